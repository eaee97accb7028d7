// The owner sets, per AI agent, after how many hours of the customer's silence the agent resolves the
// conversation (issue #10), on a phone and on a desktop.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, overflowing } from "../support/browser.ts";
import { createAgent } from "../../src/agents/service.ts";
import { agents } from "../../src/agents/schema.ts";

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

test("an agent's idle-resolve hours are shown with their default and saved (375 and 1280 px)", async () => {
  const a = await createAgent(t.ctx, { kind: "system" }, { name: "Sofía", channelIds: [] });
  for (const [hours, viewport] of [
    ["6", { width: 375, height: 740 }],
    ["0", { width: 1280, height: 800 }],
  ] as const) {
    const page = await browser.newPage({ viewport });
    await loginAsAdmin(page, running.url);
    await page.goto(`${running.url}/settings/agents/${a.id}`);
    const field = page.locator("input[name=idleResolveHours]");
    if (viewport.width === 375) expect(await field.inputValue()).toBe("12");
    await field.fill(hours);
    await page.click('form.card[action^="/settings/agents/"] button.primary');
    await page.waitForURL(/saved=1/);
    expect(await page.locator("input[name=idleResolveHours]").inputValue()).toBe(hours);
    const row = (await t.ctx.db.select().from(agents).where(eq(agents.id, a.id)).get())!;
    expect(row.handoff.idleResolveHours).toBe(Number(hours));
    expect(await overflowing(page)).toEqual([]);
    await page.close();
  }
}, 60_000);
