// After setup, the owner's inbox lists the first steps; each ticks itself when done, and the list can be hidden
// (issue #10), on a phone and on a desktop. Agents never see it.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { makeTestApp, seedBusiness, startServer, apiPost, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, overflowing } from "../support/browser.ts";

let t: TestApp,
  s: Awaited<ReturnType<typeof seedBusiness>>,
  running: Awaited<ReturnType<typeof startServer>>,
  browser: Browser;
beforeAll(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  running = await startServer(t.ctx);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await running?.stop();
  await t?.close();
});

test("the first steps tick themselves and can be hidden (375 and 1280 px)", async () => {
  const done = (page: import("playwright-core").Page) =>
    page.locator("#onboarding li.done").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.step));
  // 375: the list, its link to the next step, and a step ticking after it is done
  const phone = await browser.newPage({ viewport: { width: 375, height: 740 } });
  await loginAsAdmin(phone, running.url);
  await phone.locator("#onboarding").waitFor();
  await expect(phone.locator("#onboarding .meta").textContent()).resolves.toBe("Te faltan 4 de 5.");
  expect(await done(phone)).toEqual(["team"]); // the seeded business already has agents
  expect(await overflowing(phone)).toEqual([]);
  await phone.locator('#onboarding li[data-step="agent"] a').click();
  await phone.waitForURL(/\/settings\/agents$/);
  await apiPost(t, s.apiKey, "/products", { sku: "T1", name: "Taco al pastor", price: 2500 });
  await phone.goto(`${running.url}/inbox`);
  expect(await done(phone)).toEqual(["catalog", "team"]);
  await expect(phone.locator("#onboarding .meta").textContent()).resolves.toBe("Te faltan 3 de 5.");
  await phone.close();
  // an agent does not see it
  const agent = await browser.newPage();
  await agent.goto(`${running.url}/login`);
  await agent.fill("input[name=email]", "ana@test.mx");
  await agent.fill("input[name=password]", "agent-pass-123");
  await agent.click("button[type=submit]");
  await agent.waitForURL(/\/inbox/);
  expect(await agent.locator("#onboarding").count()).toBe(0);
  await agent.close();
  // 1280: hidden for good
  const desk = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await loginAsAdmin(desk, running.url);
  await desk.locator("#onboarding button[type=submit]").click();
  await desk.waitForURL(/\/inbox$/);
  expect(await desk.locator("#onboarding").count()).toBe(0);
  await desk.reload();
  expect(await desk.locator("#onboarding").count()).toBe(0);
  expect(await overflowing(desk)).toEqual([]);
  await desk.close();
}, 60_000);
