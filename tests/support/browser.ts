import { chromium, type Browser } from "playwright-core";
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.DIGYBOT_CHROMIUM ?? "/usr/bin/chromium";

/** Debian's Chromium, driven by playwright-core (never a downloaded browser). .ci/run installs it. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** A stand-in for the business's own website, on another origin, with the widget snippet in it. */
export function visitorSite(digybotUrl: string, channelId: string) {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      new Response(
        `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Tienda Prueba</title></head>
      <body><h1>Tienda Prueba</h1><p>Bienvenido a nuestra tienda.</p>
      <script>window.$ = "el $ de la tienda"; window.__keysBefore = Object.keys(window);</script>
      <script src="${digybotUrl}/widget.js" data-channel="${channelId}" async></script></body></html>`,
        { headers: { "content-type": "text/html; charset=utf-8" } },
      ),
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    origin: `http://127.0.0.1:${server.port}`,
    stop: () => server.stop(true),
  };
}

/** Logs the seeded administrator into the console at `url` and waits for the inbox. */
export async function loginAsAdmin(page: import("playwright-core").Page, url: string) {
  await page.goto(`${url}/login`);
  await page.fill("input[name=email]", "admin@test.mx");
  await page.fill("input[name=password]", "admin-pass-123");
  await page.click("button[type=submit]");
  await page.waitForURL(/\/inbox/);
}

/**
 * The page fits its viewport: nothing scrolls sideways, and no visible control (button, link, field) reaches past
 * the right edge, where a phone could not tap it, unless it sits in a box that scrolls sideways by itself (a
 * wide table, a row of tabs) and that box fits. Returns the offenders, for a readable failure.
 */
export async function overflowing(page: import("playwright-core").Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const w = window.innerWidth;
    if (document.documentElement.scrollWidth > w)
      out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${w}`);
    for (const e of document.querySelectorAll<HTMLElement>(
      "button, a[href], input:not([type=hidden]), select, textarea",
    )) {
      const r = e.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(e).visibility === "hidden") continue;
      let box = e.parentElement;
      while (box && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
      if (box && box.getBoundingClientRect().right <= w + 1 && box.getBoundingClientRect().left >= -1) continue;
      if (r.right > w + 1 || r.left < -1)
        out.push(
          `${e.tagName.toLowerCase()} "${(e.textContent || e.getAttribute("name") || "").trim().slice(0, 30)}" spans ${Math.round(r.left)}..${Math.round(r.right)} of ${w}`,
        );
    }
    return out;
  });
}

/** Whether a control is the element at its own centre, so a tap lands on it (nothing covers it; open shadow roots too). */
export async function reachable(locator: import("playwright-core").Locator): Promise<boolean> {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) return false;
    const root = el.getRootNode() as Document | ShadowRoot;
    const hit = root.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!hit && (hit === el || el.contains(hit));
  });
}

/**
 * Elements the browser's parser moved or dropped from a page's HTML: a `<form>` inside a `<p>` closes the paragraph
 * (the form and what follows land outside it, and a stray `</p>` becomes an empty paragraph), a form inside a form
 * is dropped (the inner button then posts the outer form), a link inside a link is split. The server's markup is
 * counted tag by tag against the tree the browser builds from it. Returns "tag: source N, parsed M" for each that
 * differs, for a readable failure.
 */
export async function misnested(page: import("playwright-core").Page, source: string): Promise<string[]> {
  return page.evaluate((src) => {
    const text = src.replace(/<(script|style|template)\b[\s\S]*?<\/\1>/gi, "");
    const doc = new DOMParser().parseFromString(text, "text/html");
    const out: string[] = [];
    for (const tag of ["p", "form", "a", "button", "ul", "ol", "li", "table", "tr", "td", "div", "details", "label"]) {
      const written = (text.match(new RegExp(`<${tag}[\\s>/]`, "gi")) ?? []).length;
      const parsed = doc.querySelectorAll(tag).length;
      if (written !== parsed) out.push(`${tag}: source ${written}, parsed ${parsed}`);
    }
    return out;
  }, source);
}
