// An agent changes her password on her profile, from a phone and from a desktop: the current password is asked
// for, a wrong one is refused in Spanish and changes nothing, the right one signs her out to log in again.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, overflowing } from "../support/browser.ts";

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

// one test per size, each with its own agent, so a slow machine (each step hashes with argon2id) has the whole
// time limit for one size
for (const [i, email, viewport] of [
  [1, "ana@test.mx", { width: 375, height: 740 }],
  [2, "beto@test.mx", { width: 1280, height: 800 }],
] as const) {
  test(`changing the password on the profile page asks for the current one (${viewport.width} px)`, async () => {
    let password = "agent-pass-123";
    const page = await browser.newPage({ viewport });
    await page.goto(`${running.url}/login`);
    await page.fill("input[name=email]", email);
    await page.fill("input[name=password]", password);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/inbox/);
    // on a phone the top bar is a menu: open it first
    if (viewport.width < 700) {
      expect(await page.locator(".top a.me").isVisible()).toBe(false);
      await page.click("#menu-toggle");
    }
    await page.click(".top a.me");
    await page.waitForURL(/\/profile/);
    expect(await overflowing(page)).toEqual([]);

    await page.fill("input[name=currentPassword]", "no-es-la-mia");
    await page.fill("input[name=password]", `cambiada-${i}-xyz`);
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/profile") && r.request().method() === "POST"),
      page.click("form.card button[type=submit]"),
    ]);
    // the refusal is the profile page with its error, not some other 403 (a CSRF refusal would also be a 403)
    const body = await refused.text();
    expect(refused.status()).toBe(403);
    expect(body.match(/id="profile-error">([^<]*)</)?.[1] ?? body.slice(0, 400)).toBe(
      "La contraseña actual no es correcta.",
    );
    await expect(page.locator("#profile-error").textContent()).resolves.toBe("La contraseña actual no es correcta.");
    expect(page.url()).toContain("/profile");
    expect(await overflowing(page)).toEqual([]);

    await page.fill("input[name=currentPassword]", password);
    await page.fill("input[name=password]", `cambiada-${i}-xyz`);
    await page.click("form.card button[type=submit]");
    await page.waitForURL(/\/login/);
    // the old password no longer works; the new one does
    await page.fill("input[name=email]", email);
    await page.fill("input[name=password]", password);
    await page.click("button[type=submit]");
    await page.locator(".flash.err").waitFor();
    password = `cambiada-${i}-xyz`;
    await page.fill("input[name=password]", password);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/inbox/);
    await page.close();
  }, 60_000);
}
