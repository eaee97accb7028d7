// The inbox filters read whole at 1280 and at 375 px: each select is wide enough for the option it shows
// (issue #10 bug: at 1280 px "Departamento: Todos" showed as "Departan"), and choosing one filters the list.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser, Page } from "playwright-core";
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

/** The selects whose shown option is wider than the room the select gives it (its arrow and padding taken off). */
const cutOff = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLSelectElement>("#filters select")]
      .filter((sel) => {
        const span = document.createElement("span");
        const cs = getComputedStyle(sel);
        span.style.font = cs.font;
        span.style.position = "absolute";
        span.style.whiteSpace = "nowrap";
        span.textContent = sel.selectedOptions[0]?.textContent ?? "";
        document.body.append(span);
        const need = span.getBoundingClientRect().width;
        span.remove();
        const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 18;
        return need > room;
      })
      .map((sel) => `${sel.name}: "${sel.selectedOptions[0]?.textContent}" in ${sel.clientWidth}px`),
  );

test("the filters are readable and filter the list (375 and 1280 px)", async () => {
  const ch = await apiPost(t, s.apiKey, "/channels", { type: "api", name: "CRM", config: {} });
  const a = await apiPost(t, s.apiKey, "/inbound", {
    channelId: ch.id,
    from: { externalId: "f1", name: "Cliente de Ventas" },
    body: "hola",
  });
  await apiPost(t, s.apiKey, "/inbound", {
    channelId: ch.id,
    from: { externalId: "f2", name: "Cliente de Soporte" },
    body: "hola",
  });
  await t.req("PATCH", `/api/v1/conversations/${a.conversationId}`, {
    headers: { authorization: `Bearer ${s.apiKey}` },
    json: { departmentId: s.ventas.id },
  });
  for (const viewport of [
    { width: 375, height: 740 },
    { width: 1280, height: 800 },
  ]) {
    const page = await browser.newPage({ viewport });
    await loginAsAdmin(page, running.url);
    expect(await cutOff(page)).toEqual([]);
    await page.selectOption("#filters select[name=departmentId]", s.ventas.id);
    await page.waitForURL(/departmentId=/);
    await page.locator("#conv-list").filter({ hasText: "Cliente de Ventas" }).waitFor();
    expect(await page.locator("#conv-list").textContent()).not.toContain("Cliente de Soporte");
    expect(await cutOff(page)).toEqual([]);
    expect(await overflowing(page)).toEqual([]);
    await page.close();
  }
}, 60_000);
