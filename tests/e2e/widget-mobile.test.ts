// The web chat on a phone and on a desktop: the launcher never covers the composer or the pre-chat form, and the
// pre-chat asks for exactly the details the owner picked in the console (the phone too). Regressions for issue
// #10: at 375 px the launcher covered "Enviar" and the pre-chat's button; the phone field never appeared and
// the fields could not be chosen.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, visitorSite, overflowing, reachable } from "../support/browser.ts";
import { updateChannel, listChannels } from "../../src/channels/service.ts";
import { contacts } from "../../src/inbox/schema.ts";

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
afterAll(async () => {
  await browser?.close();
  site?.stop();
  await running?.stop();
  await t?.close();
});

const sizes = [
  { width: 375, height: 740 },
  { width: 1280, height: 800 },
];

test("the composer's controls are not covered by the launcher", async () => {
  for (const viewport of sizes) {
    const page = await browser.newPage({ viewport, locale: "es-MX" });
    await page.goto(site.url);
    const w = page.locator("#digybot-webchat");
    await w.locator("button.launch").click();
    await w.locator("form.send").waitFor();
    for (const sel of ["button.go", "textarea", "label.att", ".head button"])
      expect(`${viewport.width} ${sel} ${await reachable(w.locator(sel))}`).toBe(`${viewport.width} ${sel} true`);
    // and it still sends
    await w.locator("textarea").fill(`hola desde ${viewport.width}`);
    await w.locator("button.go").click();
    await w
      .locator(".m.in:not(.failed):not(.pending)")
      .filter({ hasText: `hola desde ${viewport.width}` })
      .waitFor();
    // closed, the launcher is back
    await w.locator(".head button").click();
    expect(await reachable(w.locator("button.launch"))).toBe(true);
    await page.close();
  }
});

test("the owner picks the pre-chat's details in the console; the visitor is asked exactly those, the phone too", async () => {
  for (const [i, viewport] of sizes.entries()) {
    const admin = await browser.newPage({ viewport });
    await loginAsAdmin(admin, running.url);
    await admin.goto(`${running.url}/settings/channels`);
    const card = admin.locator(`[data-channel="${s.webchat.id}"]`);
    await card.locator("input[name=preChat]").check();
    for (const f of ["name", "email", "phone"])
      await card.locator(`input[name=preChatFields][value=${f}]`).setChecked(false);
    await card.locator(".channel-settings button[type=submit]").click();
    // none chosen: said in Spanish, nothing saved
    await admin.locator(".flash.err, .error").filter({ hasText: "Elige al menos un dato" }).first().waitFor();
    expect((await listChannels(t.ctx)).find((c) => c.id === s.webchat.id)?.config.preChat).toMatchObject({
      enabled: false,
    });
    await admin.goto(`${running.url}/settings/channels`);
    await card.locator("input[name=preChat]").check();
    await card.locator("input[name=preChatFields][value=name]").check();
    await card.locator("input[name=preChatFields][value=email]").uncheck();
    await card.locator("input[name=preChatFields][value=phone]").check();
    expect(await overflowing(admin)).toEqual([]);
    await card.locator(".channel-settings button[type=submit]").click();
    await admin.waitForURL(/saved=1/);
    expect((await listChannels(t.ctx)).find((c) => c.id === s.webchat.id)?.config.preChat).toEqual({
      enabled: true,
      fields: ["name", "phone"],
      required: true,
    });
    await admin.close();

    const page = await browser.newPage({ viewport, locale: "es-MX" });
    await page.goto(site.url);
    const w = page.locator("#digybot-webchat");
    await w.locator("button.launch").click();
    const form = w.locator("form.pre");
    await form.waitFor();
    expect(
      await form
        .locator("input")
        .evaluateAll((els) => els.map((e) => `${(e as HTMLInputElement).name}:${(e as HTMLInputElement).type}`)),
    ).toEqual(["name:text", "phone:tel"]);
    expect(await reachable(form.locator("button.go"))).toBe(true);
    await form.locator("input[name=name]").fill(`Lucía ${i}`);
    await form.locator("input[name=phone]").fill(`55 1234 560${i}`);
    await form.locator("button.go").click();
    await w.locator("form.send").waitFor();
    const k = (await t.ctx.db.select().from(contacts).all()).find((c) => c.name === `Lucía ${i}`);
    expect(k?.phone).toBe(`+52551234560${i}`);
    await page.close();
    await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, {
      config: { allowedOrigins: [site.origin], preChat: { enabled: false, fields: ["name", "email"], required: true } },
    });
  }
}, 60_000);

// The widget runs on the business's own website: it must not leave its (minified) names on the page's window,
// where they once overwrote the site's own globals (a `$`, a `_`…).
test("the widget leaves the website's globals alone and adds none of its own", async () => {
  const page = await browser.newPage({ viewport: sizes[1] });
  await page.goto(site.url);
  await page.locator("#digybot-webchat button.launch").waitFor();
  const added = await page.evaluate(() => {
    const before = new Set((window as unknown as { __keysBefore: string[] }).__keysBefore);
    return Object.keys(window).filter((k) => !before.has(k) && k !== "__keysBefore");
  });
  expect(added).toEqual([]);
  await expect(page.evaluate(() => (window as unknown as { $: unknown }).$)).resolves.toBe("el $ de la tienda");
  await page.close();
});
