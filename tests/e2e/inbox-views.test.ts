// Bot and human work apart in the console (issue #10): the views Bot / En espera / Mías / Todas with counts that
// move live, the owner on every row, at 375 and 1280 px.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, startServer, apiPost, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, overflowing } from "../support/browser.ts";
import { conversations } from "../../src/inbox/schema.ts";

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

test("the views sort bot and human work, with live counts (375 and 1280 px)", async () => {
  const ch = await apiPost(t, s.apiKey, "/channels", { type: "api", name: "CRM", config: {} });
  const agent = await (await import("../../src/agents/service.ts")).createAgent(
    t.ctx,
    { kind: "system" },
    { name: "Sofía", channelIds: [] },
  );
  const bot = (
    await apiPost(t, s.apiKey, "/inbound", {
      channelId: ch.id,
      from: { externalId: "b1", name: "Cliente del bot" },
      body: "hola",
    })
  ).conversationId;
  await t.ctx.database.write((tx) =>
    tx
      .update(conversations)
      .set({ ownerType: "bot", agentId: agent.id, unreadCount: 0 })
      .where(eq(conversations.id, bot)),
  );
  await apiPost(t, s.apiKey, "/inbound", {
    channelId: ch.id,
    from: { externalId: "w1", name: "Cliente en espera" },
    body: "hola",
  });
  for (const [i, viewport] of [
    [1, { width: 375, height: 740 }],
    [2, { width: 1280, height: 800 }],
  ] as const) {
    const page = await browser.newPage({ viewport });
    await loginAsAdmin(page, running.url);
    const count = (view: string) => page.locator(`#view-tabs [data-view=${view}] .count`).textContent();
    await expect(count("bot")).resolves.toBe("1");
    await page.locator("#view-tabs [data-view=bot]").click();
    await page.waitForURL(/view=bot/);
    const rows = page.locator("#conv-list li[data-id]");
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().textContent()).resolves.toContain("Cliente del bot");
    await expect(rows.first().locator(".owner").textContent()).resolves.toBe("Bot");
    expect(await rows.first().locator(".badge").count()).toBe(0); // a bot's conversation is not unread for people
    await page.locator("#view-tabs [data-view=queue]").click();
    await page.waitForURL(/view=queue/);
    await expect(rows.first().locator(".owner").textContent()).resolves.toBe("En espera");
    const waiting = Number(await count("queue"));
    // a new customer arrives: the waiting count and the list move without a reload
    await apiPost(t, s.apiKey, "/inbound", {
      channelId: ch.id,
      from: { externalId: `n${i}`, name: `Cliente nuevo ${i}` },
      body: "hola",
    });
    await page
      .locator("#conv-list")
      .filter({ hasText: `Cliente nuevo ${i}` })
      .waitFor({ timeout: 5000 });
    await page.waitForFunction(
      (n) => document.querySelector("#view-tabs [data-view=queue] .count")?.textContent === String(n),
      waiting + 1,
    );
    expect(await overflowing(page)).toEqual([]);
    await page.close();
  }
}, 60_000);
