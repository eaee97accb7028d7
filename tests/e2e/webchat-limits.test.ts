// A visitor who sends too many messages in a row is told, in Spanish, to wait; tapping the message later sends it.
// Real browser on a page of another origin with the widget, at phone and desktop sizes.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { count, eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, visitorSite, overflowing } from "../support/browser.ts";
import { updateChannel } from "../../src/channels/service.ts";
import { messages, contacts } from "../../src/inbox/schema.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, running: Awaited<ReturnType<typeof startServer>>;
let browser: Browser, site: ReturnType<typeof visitorSite>;
// the app's clock runs at a tenth of real time (no refill while the browser types, however slow the machine) and
// jumps when the test says a minute has passed
const t0 = Date.now();
let jumped = 0;
const clock = { now: () => t0 + Math.floor((Date.now() - t0) / 10) + jumped };
beforeAll(async () => {
  t = await makeTestApp({}, { clock });
  s = await seedBusiness(t.ctx);
  running = await startServer(t.ctx);
  site = visitorSite(running.url, s.webchat.id);
  await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, { config: { allowedOrigins: [site.origin] } });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  site?.stop();
  await running?.stop();
  await t?.close();
});

test("the widget says to wait when a visitor sends too fast, and the message goes when tapped later (375 and 1280 px)", async () => {
  for (const viewport of [
    { width: 375, height: 740 },
    { width: 1280, height: 800 },
  ]) {
    const page = await browser.newPage({ viewport, locale: "es-MX" });
    // a slow network: the visitor's session takes a moment to be made while they keep typing
    await page.route("**/webchat/*/sessions", async (route) => {
      await Bun.sleep(400);
      await route.continue();
    });
    await page.goto(site.url);
    const w = page.locator("#digybot-webchat");
    await w.locator("button.launch").click();
    const stored = async () =>
      (await t.ctx.db.select({ n: count() }).from(messages).where(eq(messages.channelId, s.webchat.id)).get())!.n;
    const before = await stored();
    const visitors = async () => (await t.ctx.db.select({ n: count() }).from(contacts).get())!.n;
    const visitorsBefore = await visitors();
    // a visitor may send ten at once; one more in the same moment is refused (which one depends on arrival order)
    for (let i = 1; i <= 11; i++) {
      await w.locator("textarea").fill(`mensaje ${i} de ${viewport.width}`);
      await w.locator("textarea").press("Enter");
    }
    const refused = w.locator(".m.in.failed");
    await refused.waitFor({ timeout: 5000 });
    await expect(refused.innerText()).resolves.toContain("Enviaste muchos mensajes seguidos");
    const text = (await refused.innerText()).split("\n")[0];
    expect(text).toMatch(new RegExp(`^mensaje \\d+ de ${viewport.width}$`));
    await w.locator(".m.in:not(.failed):not(.pending)").nth(9).waitFor();
    expect(await stored()).toBe(before + 10);
    // messages typed before the first one's session was made wait for it: one visitor, one contact
    expect(await visitors()).toBe(visitorsBefore + 1);
    expect(await overflowing(page)).toEqual([]);
    // a minute later the tap sends it
    jumped += 61_000;
    await refused.click();
    // and is shown once the whole time, never its pending copy beside the stored one
    const copies: number[] = [];
    for (let k = 0; k < 30; k++) {
      copies.push(
        await w
          .locator(".m.in")
          // the bubble's text, then its time ("10:42", "10:42 a. m.") or, while it is being sent, "Enviando…"
          .filter({ hasText: new RegExp(`^${text}(\\d{1,2}:\\d{2}.*|Enviando…)?$`) })
          .count(),
      );
      await Bun.sleep(10);
    }
    expect(Math.max(...copies)).toBe(1);
    await w
      .locator(".m.in:not(.failed):not(.pending)")
      .filter({ hasText: new RegExp(`^${text}(\\d{1,2}:\\d{2}.*)?$`) })
      .waitFor({ timeout: 5000 });
    expect(await w.locator(".m.in.failed").count()).toBe(0);
    expect(await stored()).toBe(before + 11);
    await page.close();
  }
}, 60_000);
