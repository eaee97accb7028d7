// A visitor who sends too many messages in a row is told, in Spanish, to wait; tapping the message later sends it.
// Real browser on a page of another origin with the widget, at phone and desktop sizes.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { count, eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, visitorSite, overflowing } from "../support/browser.ts";
import { updateChannel } from "../../src/channels/service.ts";
import { messages } from "../../src/inbox/schema.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, running: Awaited<ReturnType<typeof startServer>>;
let browser: Browser, site: ReturnType<typeof visitorSite>;
beforeAll(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  running = await startServer(t.ctx);
  site = visitorSite(running.url, s.webchat.id);
  await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, { config: { allowedOrigins: [site.origin] } });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => { await browser?.close(); site?.stop(); await running?.stop(); await t?.close(); });

test("the widget says to wait when a visitor sends too fast, and the message goes when tapped later (375 and 1280 px)", async () => {
  for (const viewport of [{ width: 375, height: 740 }, { width: 1280, height: 800 }]) {
    const page = await browser.newPage({ viewport, locale: "es-MX" });
    await page.goto(site.url);
    const w = page.locator("#digybot-webchat");
    await w.locator("button.launch").click();
    const stored = async () => (await t.ctx.db.select({ n: count() }).from(messages).where(eq(messages.channelId, s.webchat.id)).get())!.n;
    const before = await stored();
    // a visitor may send ten at once; the eleventh in the same moment is refused
    for (let i = 1; i <= 11; i++) {
      await w.locator("textarea").fill(`mensaje ${i} de ${viewport.width}`);
      await w.locator("textarea").press("Enter");
    }
    const refused = w.locator(".m.in.failed");
    await refused.waitFor({ timeout: 5000 });
    await expect(refused.innerText()).resolves.toContain("Enviaste muchos mensajes seguidos");
    await w.locator(".m.in:not(.failed)").nth(9).waitFor();
    expect(await stored()).toBe(before + 10);
    expect(await overflowing(page)).toEqual([]);
    // a few seconds later the tap sends it
    await Bun.sleep(3500);
    await refused.click();
    await w.locator(".m.in:not(.failed)").filter({ hasText: `mensaje 11 de ${viewport.width}` }).waitFor({ timeout: 5000 });
    expect(await w.locator(".m.in.failed").count()).toBe(0);
    expect(await stored()).toBe(before + 11);
    await page.close();
  }
}, 60_000);
