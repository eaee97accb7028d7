// The console as an installable app with push (issue #10), clicked at 375×740 and 1280×800: an agent turns on
// notifications on this device, a customer writes, the push service double receives a push it decrypts, the
// service worker shows it and a tap opens the conversation; preferences save; a device is removed; an address that
// is not a secure context says why push is unavailable; without a network the app shows "Sin conexión".
import { test, expect, beforeAll, afterAll } from "bun:test";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, startServer, waitUntil, type TestApp } from "../support/app.ts";
import { CHROMIUM, launchBrowser, overflowing, reachable } from "../support/browser.ts";
import { startPushDouble } from "../support/push-double.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { updateChannel } from "../../src/channels/service.ts";
import { pushSubscriptions } from "../../src/notifications/schema.ts";
import { subscribe, vapidKeys } from "../../src/notifications/service.ts";

let t: TestApp,
  s: Awaited<ReturnType<typeof seedBusiness>>,
  running: Awaited<ReturnType<typeof startServer>>,
  browser: Browser,
  push: ReturnType<typeof startPushDouble>;
beforeAll(async () => {
  t = await makeTestApp({ fetch_allow_hosts: ["127.0.0.1"] });
  s = await seedBusiness(t.ctx);
  await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, { departmentId: s.ventas.id });
  running = await startServer(t.ctx);
  browser = await launchBrowser();
  push = startPushDouble();
}, 60_000);
afterAll(async () => {
  push?.stop();
  await browser?.close();
  await running?.stop();
  await t?.close();
});

/**
 * The browser's own push service (FCM for Chromium) is out of reach: PushManager hands out a subscription at the
 * double instead, with keys only the double can decrypt for. Everything else is the real browser.
 */
async function withPushService(
  context: BrowserContext,
  sub: { endpoint: string; keys: { p256dh: string; auth: string } },
) {
  await context.addInitScript((sub) => {
    const make = () => ({
      endpoint: sub.endpoint,
      expirationTime: null,
      toJSON: () => ({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }),
      unsubscribe: async () => {
        localStorage.removeItem("test:push");
        return true;
      },
    });
    const pm = PushManager.prototype as unknown as Record<string, unknown>;
    pm.subscribe = async (opts: { applicationServerKey: Uint8Array }) => {
      localStorage.setItem("test:push", btoa(String.fromCharCode(...new Uint8Array(opts.applicationServerKey))));
      return make();
    };
    pm.getSubscription = async () => (localStorage.getItem("test:push") ? make() : null);
  }, sub);
}

async function login(page: import("playwright-core").Page, base: string, email: string) {
  await page.goto(`${base}/login`);
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", "agent-pass-123");
  await page.click("button[type=submit]");
  await page.waitForURL(/\/inbox/);
}

test("manifest, service worker and offline page are served without a session", async () => {
  const m = await fetch(`${running.url}/manifest.webmanifest`);
  expect(m.status).toBe(200);
  const j = await m.json();
  expect(j).toMatchObject({ start_url: "/inbox", display: "standalone", lang: "es" });
  expect(j.icons[0].src).toBe("/assets/icon.svg");
  expect((await fetch(`${running.url}${j.icons[0].src}`)).headers.get("content-type")).toBe("image/svg+xml");
  const sw = await fetch(`${running.url}/sw.js`);
  expect(sw.headers.get("content-type")).toContain("javascript");
  expect(await sw.text()).toContain("notificationclick");
  const off = await (await fetch(`${running.url}/offline`)).text();
  expect(off).toContain("Sin conexión");
});

test("an agent turns on push on her phone and her desktop; a customer's message reaches each device and opens the conversation", async () => {
  const vapid = (await vapidKeys(t.ctx)).publicKey;
  for (const [n, viewport] of [
    [1, { width: 375, height: 740 }],
    [2, { width: 1280, height: 800 }],
  ] as const) {
    const sub = push.subscribe(vapid);
    const context = await browser.newContext({ viewport });
    await context.grantPermissions(["notifications"], { origin: running.url });
    await withPushService(context, sub);
    const page = await context.newPage();
    await login(page, running.url, "ana@test.mx");
    await page.goto(`${running.url}/profile`);
    await page.click("#notifications-link");
    await page.waitForURL(/\/profile\/notifications$/);
    await expect(page.locator("#push-state").textContent()).resolves.toBe("Este dispositivo no recibe notificaciones.");
    const enable = page.locator("#push-enable");
    await enable.waitFor({ state: "visible" });
    expect(await reachable(enable)).toBe(true);
    expect(await overflowing(page)).toEqual([]);

    await Promise.all([page.waitForEvent("load"), enable.click()]);
    // the page asks the browser for its subscription once loaded: wait for the answer, do not read it at once
    await page
      .locator("#push-state", { hasText: /^Las notificaciones están activas en este dispositivo\.$/ })
      .waitFor();
    // subscribed with this server's VAPID key, one device listed
    const key = await page.evaluate(() => localStorage.getItem("test:push"));
    expect(Buffer.from(key!, "base64").toString("base64url")).toBe(vapid);
    await expect(page.locator("#devices li").count()).resolves.toBe(n);
    expect(await page.locator("#push-disable").isVisible()).toBe(true);

    // a customer writes in Ventas (Ana's department): the double decrypts a push for this device
    const r = await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `push-${n}`, name: `Cliente Push ${n}` },
      body: "¿Abren hoy?",
    });
    await push.until(() => push.delivered.some((d) => d.endpointId === sub.id));
    const got = push.delivered.find((d) => d.endpointId === sub.id)!.payload as Record<string, string>;
    expect(got).toMatchObject({
      title: `Nueva conversación de Cliente Push ${n}`,
      url: `/inbox?c=${r.conversationId}`,
    });

    // the service worker shows that push as a notification once no console is in front, and a tap opens the conversation
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker"));
    // headless pages all count as focused: this one stops pretending and another tab comes to the front, as when
    // the person switched apps
    await (await context.newCDPSession(page)).send("Emulation.setFocusEmulationEnabled", { enabled: false });
    await (await context.newPage()).bringToFront();
    await waitUntil(() => page.evaluate(() => !document.hasFocus()), 5000);
    const shown = await worker.evaluate(async (payload) => {
      const sw = self as unknown as { registration: ServiceWorkerRegistration; dispatchEvent(e: Event): boolean };
      const PushEv = (self as unknown as { PushEvent: new (t: string, i: object) => Event }).PushEvent;
      sw.dispatchEvent(new PushEv("push", { data: JSON.stringify(payload) }));
      for (let i = 0; i < 50; i++) {
        const list = await sw.registration.getNotifications();
        if (list.length) return list.map((x) => ({ title: x.title, url: (x.data as { url: string }).url }));
        await new Promise((r) => setTimeout(r, 100));
      }
      return [];
    }, got);
    expect(shown).toEqual([{ title: got.title, url: got.url }]);
    await worker.evaluate(async () => {
      const sw = self as unknown as { registration: ServiceWorkerRegistration; dispatchEvent(e: Event): boolean };
      const NotifEv = (self as unknown as { NotificationEvent: new (t: string, i: object) => Event }).NotificationEvent;
      const [notification] = await sw.registration.getNotifications();
      sw.dispatchEvent(new NotifEv("notificationclick", { notification }));
    });
    // the console open in the other tab goes to the conversation
    await page.waitForURL(new RegExp(`/inbox\\?c=${r.conversationId}`));
    await page.locator("#conv-header").waitFor();
    if (n === 2) {
      // turning push off on this device forgets this device only; the phone stays subscribed
      await page.goto(`${running.url}/profile/notifications`);
      await page.locator("#push-disable").waitFor({ state: "visible" });
      await Promise.all([page.waitForEvent("load"), page.click("#push-disable")]);
      // the page asks the browser again once loaded: the button to turn it on comes back
      await page.locator("#push-enable").waitFor({ state: "visible" });
      await expect(page.locator("#push-state").textContent()).resolves.toBe(
        "Este dispositivo no recibe notificaciones.",
      );
      await expect(page.locator("#devices li").count()).resolves.toBe(1);
      expect(await page.evaluate(() => localStorage.getItem("test:push"))).toBeNull();
    }
    await context.close();
  }
  expect(push.refused).toEqual([]);
  const rows = await t.ctx.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, s.ana.id)).all();
  expect(rows).toHaveLength(1);
});

test("preferences save; a device is removed after a confirmation that names it (375 and 1280 px)", async () => {
  // Ana starts with two devices of her own, whatever the tests before left
  await t.ctx.db.delete(pushSubscriptions).where(eq(pushSubscriptions.userId, s.ana.id));
  const vapid = (await vapidKeys(t.ctx)).publicKey;
  const ana = {
    kind: "user" as const,
    id: s.ana.id,
    name: "Ana",
    role: "agent" as const,
    locale: "es" as const,
    departmentIds: [],
  };
  for (const ua of [
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  ]) {
    const sub = push.subscribe(vapid);
    await subscribe(t.ctx, ana, { endpoint: sub.endpoint, keys: sub.keys }, ua);
  }
  for (const viewport of [
    { width: 375, height: 740 },
    { width: 1280, height: 800 },
  ]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await login(page, running.url, "ana@test.mx");
    await page.goto(`${running.url}/profile/notifications`);
    const box = page.locator('input[name="newMessage"]');
    const was = await box.isChecked();
    await box.setChecked(!was);
    await Promise.all([
      page.waitForURL(/saved=1/),
      page.click('form[action="/profile/notifications"] button[type=submit]'),
    ]);
    await expect(page.locator(".flash").textContent()).resolves.toBe("Guardado.");
    expect(await page.locator('input[name="newMessage"]').isChecked()).toBe(!was);
    expect(await overflowing(page)).toEqual([]);

    const before = await page.locator("#devices li").count();
    expect(before).toBeGreaterThan(0);
    if (viewport.width === 375) {
      // a test push reaches each of her devices
      const sent = push.delivered.length;
      await Promise.all([page.waitForURL(/tested=/), page.click('form[action="/profile/notifications/test"] button')]);
      await expect(page.locator(".flash").textContent()).resolves.toBe(
        `Prueba enviada a ${before} ${before === 1 ? "dispositivo" : "dispositivos"}.`,
      );
      expect(push.delivered.slice(sent).map((d) => (d.payload as { title: string }).title)).toEqual(
        Array(before).fill("Así se verán tus avisos"),
      );
    }
    const dialogs: string[] = [];
    page.once("dialog", (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    const remove = page.locator("#devices li button.danger").first();
    await remove.scrollIntoViewIfNeeded();
    expect(await reachable(remove)).toBe(true);
    await Promise.all([page.waitForEvent("load"), remove.click()]);
    expect(dialogs[0]).toMatch(/^¿Dejar de enviar notificaciones a .+\?$/);
    await expect(page.locator("#devices li").count()).resolves.toBe(before - 1);
    await context.close();
  }
  expect(
    await t.ctx.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, s.ana.id)).all(),
  ).toHaveLength(0);
  // with no device left the list says what to do next
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page, running.url, "ana@test.mx");
  await page.goto(`${running.url}/profile/notifications`);
  await expect(page.locator("#devices .empty").textContent()).resolves.toContain("Actívalas arriba");
  await context.close();
});

test("opened at an address that is not a secure context, the page says plainly why push is unavailable", async () => {
  const port = new URL(running.url).port;
  const lan = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--host-resolver-rules=MAP digybot.lan 127.0.0.1"],
  });
  try {
    for (const viewport of [
      { width: 375, height: 740 },
      { width: 1280, height: 800 },
    ]) {
      const page = await lan.newPage({ viewport });
      const base = `http://digybot.lan:${port}`;
      await login(page, base, "beto@test.mx");
      await page.goto(`${base}/profile/notifications`);
      expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
      // the page finds out what the browser can do once loaded: wait for its answer
      await page
        .locator("#push-state")
        .filter({
          hasText: `Las notificaciones push necesitan una conexión segura: abre la consola con https:// (o en esta misma computadora como localhost). Ahora está abierta con ${base}.`,
        })
        .waitFor();
      expect(await page.locator("#push-enable").isVisible()).toBe(false);
      expect(await overflowing(page)).toEqual([]);
      await page.close();
    }
  } finally {
    await lan.close();
  }
});

test("without a network the installed app shows the Spanish offline page, and comes back by itself", async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const page = await context.newPage();
  await login(page, running.url, "beto@test.mx");
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => null));
  await page.reload();
  await waitUntil(() => page.evaluate(() => !!navigator.serviceWorker.controller), 5000);
  await context.setOffline(true);
  await page.goto(`${running.url}/inbox`).catch(() => null);
  await expect(page.locator("h1").textContent()).resolves.toBe("Sin conexión");
  expect(await overflowing(page)).toEqual([]);
  await context.setOffline(false);
  await page.waitForURL(/\/inbox$/);
  await page.locator("#view-tabs").waitFor();
  await context.close();
});

test("in the open console, a hidden tab counts new messages in its title, chimes and shows a desktop notification", async () => {
  for (const viewport of [
    { width: 375, height: 740 },
    { width: 1280, height: 800 },
  ]) {
    const context = await browser.newContext({ viewport });
    await context.grantPermissions(["notifications"], { origin: running.url });
    // what the browser does when the person switches tabs: document.hidden and visibilitychange, under the test's control
    await context.addInitScript(() => {
      const w = window as unknown as { __hidden: boolean; __notes: string[]; __chimes: number };
      w.__hidden = false;
      w.__notes = [];
      w.__chimes = 0;
      Object.defineProperty(document, "hidden", { get: () => w.__hidden });
      Object.defineProperty(document, "visibilityState", { get: () => (w.__hidden ? "hidden" : "visible") });
      const N = window.Notification;
      class Recorded extends N {
        constructor(title: string, o?: NotificationOptions) {
          super(title, o);
          w.__notes.push(`${title} | ${o?.tag ?? ""}`);
        }
      }
      window.Notification = Recorded as typeof Notification;
      const A = window.AudioContext;
      window.AudioContext = class extends A {
        createOscillator() {
          w.__chimes++;
          return super.createOscillator();
        }
      } as typeof AudioContext;
    });
    const page = await context.newPage();
    await login(page, running.url, "ana@test.mx");
    await page.locator('body[data-live="1"]').waitFor();
    const title = await page.title();
    await page.evaluate(() => {
      (window as unknown as { __hidden: boolean }).__hidden = true;
      document.dispatchEvent(new Event("visibilitychange"));
    });
    const n = Date.now();
    const r = await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `tab-${n}`, name: "Cliente Pestaña" },
      body: "hola",
    });
    await waitUntil(async () => (await page.title()) === `(1) ${title}`, 5000);
    // the desktop notification may come a moment after the title (a full run once read it too early)
    await waitUntil(
      async () => (await page.evaluate(() => (window as unknown as { __notes: string[] }).__notes.length)) > 0,
      5000,
    );
    const seen = await page.evaluate(() => {
      const w = window as unknown as { __notes: string[]; __chimes: number };
      return { notes: w.__notes, chimes: w.__chimes };
    });
    expect(seen.notes).toEqual([`Mensaje nuevo en DigyBot | conv:${r.conversationId}`]);
    expect(seen.chimes).toBe(1);
    await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `tab-${n}`, name: "Cliente Pestaña" },
      body: "¿sigue ahí?",
    });
    await waitUntil(async () => (await page.title()) === `(2) ${title}`, 5000);
    // back to the tab: the counter clears
    await page.evaluate(() => {
      (window as unknown as { __hidden: boolean }).__hidden = false;
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await waitUntil(async () => (await page.title()) === title, 5000);
    await context.close();
  }
});

test("the client's unsubscribe forgets that device only, for its owner only", async () => {
  const vapid = (await vapidKeys(t.ctx)).publicKey;
  const a = push.subscribe(vapid);
  const { subscribe } = await import("../../src/notifications/service.ts");
  const beto = {
    kind: "user" as const,
    id: s.beto.id,
    name: "Beto",
    role: "agent" as const,
    locale: "es" as const,
    departmentIds: [s.soporte.id],
  };
  await subscribe(t.ctx, beto, { endpoint: a.endpoint, keys: a.keys });
  const { sessionHeaders } = await import("../support/app.ts");
  const asAna = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const asBeto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
  const post = (h: Record<string, string>, body: unknown) =>
    t.app.request("/push/unsubscribe", {
      method: "POST",
      headers: { ...h, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const count = async () =>
    (await t.ctx.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, s.beto.id)).all()).length;
  expect((await post(asAna, { endpoint: a.endpoint })).status).toBe(204);
  expect(await count()).toBe(1);
  expect((await post(asBeto, {})).status).toBe(400);
  expect((await post(asBeto, { endpoint: a.endpoint })).status).toBe(204);
  expect(await count()).toBe(0);
});
