// The owner creates API keys with a scope in the console, on a phone and on a desktop; each key then does what
// its scope allows and no more.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, overflowing } from "../support/browser.ts";

let t: TestApp, running: Awaited<ReturnType<typeof startServer>>, browser: Browser;
beforeAll(async () => {
  t = await makeTestApp();
  await seedBusiness(t.ctx);
  running = await startServer(t.ctx);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await running?.stop();
  await t?.close();
});

test("an API key is created read-only by default or with the scope picked, and is held to it (375 and 1280 px)", async () => {
  for (const [viewport, scope, label] of [
    [{ width: 375, height: 740 }, null, "Solo lectura"],
    [{ width: 1280, height: 800 }, "inbox", "Bandeja"],
  ] as const) {
    const page = await browser.newPage({ viewport });
    await loginAsAdmin(page, running.url);
    await page.goto(`${running.url}/settings/api-keys`);
    expect(await overflowing(page)).toEqual([]);
    const name = `Integración ${viewport.width}`;
    await page.fill("#new-key input[name=name]", name);
    if (scope) await page.check(`#new-key input[name=scope][value=${scope}]`);
    await page.click("#new-key button[type=submit]");
    const key = (await page.locator("#new-api-key").textContent())!.trim();
    expect(key).toStartWith("dgb_");
    // the copy button puts it on the clipboard, and says so
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: running.url });
    await page.click('button[data-copy="new-api-key"]');
    // (the label changes once the clipboard has taken it: wait for it, do not read it at once)
    await page.locator('button[data-copy="new-api-key"]', { hasText: /^Copiado$/ }).waitFor({ timeout: 5000 });
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await expect(page.locator("#api-keys tr").filter({ hasText: name }).locator(".scope").textContent()).resolves.toBe(
      label,
    );
    expect(await overflowing(page)).toEqual([]);
    const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    expect((await fetch(`${running.url}/api/v1/conversations`, { headers: auth })).status).toBe(200);
    const reply = await fetch(`${running.url}/api/v1/contacts`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ name: `Cliente ${viewport.width}` }),
    });
    expect(reply.status).toBe(scope === "inbox" ? 201 : 403);
    const tag = await fetch(`${running.url}/api/v1/tags`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ name: `vip${viewport.width}` }),
    });
    expect(tag.status).toBe(403);
    expect((await tag.json()).error.code).toBe("insufficient_scope");
    await page.close();
  }
}, 60_000);
