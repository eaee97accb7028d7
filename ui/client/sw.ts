// The console's service worker (served at /sw.js, scope /): keeps the shell for a page that says "sin conexión"
// when the network is gone, shows Web Push notifications, and opens the conversation when one is tapped.
// The project type-checks with the DOM library; the few service-worker types used here are declared locally.
type Extendable = Event & { waitUntil(p: Promise<unknown>): void };
type FetchEv = Extendable & { request: Request; respondWith(r: Response | Promise<Response>): void };
type PushEv = Extendable & { data: { json(): unknown; text(): string } | null };
type ClickEv = Extendable & { notification: Notification };
type WindowClient = {
  url: string;
  focused: boolean;
  visibilityState: string;
  focus(): Promise<unknown>;
  navigate(url: string): Promise<unknown>;
};
type Scope = {
  location: Location;
  registration: ServiceWorkerRegistration;
  skipWaiting(): Promise<void>;
  clients: {
    claim(): Promise<void>;
    matchAll(o: object): Promise<WindowClient[]>;
    openWindow(url: string): Promise<unknown>;
  };
  addEventListener(type: "install" | "activate", fn: (e: Extendable) => void): void;
  addEventListener(type: "fetch", fn: (e: FetchEv) => void): void;
  addEventListener(type: "push", fn: (e: PushEv) => void): void;
  addEventListener(type: "notificationclick", fn: (e: ClickEv) => void): void;
};
const sw = self as unknown as Scope;

const CACHE = "digybot-shell-v1";
const SHELL = ["/offline", "/assets/console.css", "/assets/console.js", "/assets/icon.svg"];

sw.addEventListener("install", (e) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(SHELL))
      .then(() => sw.skipWaiting()),
  );
});
sw.addEventListener("activate", (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  );
});

// Pages always come from the network (they are live); without one, the offline page. Shell assets: network first,
// the cached copy when offline. Nothing else is cached: conversations never stay on the device.
sw.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET" || new URL(req.url).origin !== sw.location.origin) return;
  if (req.mode === "navigate") {
    e.respondWith(fetch(req).catch(async () => (await caches.match("/offline")) ?? Response.error()));
    return;
  }
  const path = new URL(req.url).pathname;
  if (SHELL.includes(path))
    e.respondWith(
      fetch(req)
        .then((res) => {
          if (res.ok) {
            const copy = res.clone();
            void caches.open(CACHE).then((c) => c.put(req, copy));
          }
          return res;
        })
        .catch(async () => (await caches.match(req)) ?? Response.error()),
    );
});

type Push = { title: string; body?: string; url?: string; tag?: string; kind?: string };

sw.addEventListener("push", (e) => {
  let p: Push;
  try {
    p = e.data?.json() as Push;
  } catch {
    p = { title: e.data?.text() ?? "DigyBot" };
  }
  e.waitUntil(
    (async () => {
      // the person is looking at the console right now: it shows the news itself (and plays its sound)
      const wins = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
      if (wins.some((w) => w.focused && w.visibilityState === "visible")) return;
      await sw.registration.showNotification(p.title, {
        body: p.body ?? "",
        tag: p.tag,
        icon: "/assets/icon.svg",
        badge: "/assets/icon.svg",
        data: { url: p.url ?? "/inbox" },
      });
    })(),
  );
});

sw.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const url = new URL((e.notification.data as { url?: string } | null)?.url ?? "/inbox", sw.location.origin);
  if (url.origin !== sw.location.origin) return;
  e.waitUntil(
    (async () => {
      const wins = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = wins.find((w) => new URL(w.url).pathname.startsWith("/inbox")) ?? wins[0];
      // an open console goes to the conversation (navigate needs no user gesture; focus and openWindow do)
      if (open && (await open.navigate(url.href).catch(() => null))) await open.focus().catch(() => null);
      else await sw.clients.openWindow(url.href);
    })(),
  );
});
