// Deleting a department or a tag asks first and says what it affects; empty lists say what to do next (issue #10),
// at 375 and 1280 px.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { makeTestApp, seedBusiness, startServer, apiPost, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, overflowing } from "../support/browser.ts";
import { listDepartments } from "../../src/auth/service.ts";
import { listTags } from "../../src/inbox/service.ts";

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

test("a department's and a tag's deletion says what it affects; cancelling keeps them (375 and 1280 px)", async () => {
  const key = { authorization: `Bearer ${s.apiKey}` };
  const ch = await apiPost(t, s.apiKey, "/channels", { type: "api", name: "CRM", config: {} });
  const conv = (await apiPost(t, s.apiKey, "/inbound", { channelId: ch.id, from: { externalId: "d1" }, body: "hola" }))
    .conversationId;
  await t.req("PATCH", `/api/v1/conversations/${conv}`, { headers: key, json: { departmentId: s.soporte.id } });
  const tag = await apiPost(t, s.apiKey, "/tags", { name: "vip" });
  await t.req("PUT", `/api/v1/conversations/${conv}/tags/${tag.id}`, { headers: key });
  for (const [i, viewport] of [
    [1, { width: 375, height: 740 }],
    [2, { width: 1280, height: 800 }],
  ] as const) {
    const page = await browser.newPage({ viewport });
    const dialogs: string[] = [];
    let accept = false;
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void (accept ? d.accept() : d.dismiss());
    });
    await loginAsAdmin(page, running.url);
    if (i === 1) {
      await page.goto(`${running.url}/settings/departments`);
      await page.locator(`tr[data-id="${s.soporte.id}"] button.danger`).click();
      const members = (await listDepartments(t.ctx)).find((d) => d.id === s.soporte.id)!.members;
      expect(members).toBe(2); // Beto and the administrator
      expect(dialogs.at(-1)).toBe(
        "¿Borrar «Soporte»? 1 conversación y 0 canales quedarán sin departamento, y se quitará a 2 personas de él.",
      );
      expect((await listDepartments(t.ctx)).some((d) => d.id === s.soporte.id)).toBe(true);
      expect(await overflowing(page)).toEqual([]);
      accept = true;
      await page.locator(`tr[data-id="${s.soporte.id}"] button.danger`).click();
      await page.waitForURL(/saved=1/);
      expect((await listDepartments(t.ctx)).some((d) => d.id === s.soporte.id)).toBe(false);
    } else {
      await page.goto(`${running.url}/settings/tags`);
      await page.locator(`tr[data-id="${tag.id}"] button.danger`).click();
      expect(dialogs.at(-1)).toBe("¿Borrar la etiqueta «vip»? Se quitará de 1 conversación.");
      expect((await listTags(t.ctx)).length).toBe(1);
      accept = true;
      await page.locator(`tr[data-id="${tag.id}"] button.danger`).click();
      await page.waitForURL(/saved=1/);
      expect(await listTags(t.ctx)).toEqual([]);
      // the empty list says what to do next
      await expect(page.locator(".card .empty").first().textContent()).resolves.toContain("Crea la primera abajo");
      expect(await overflowing(page)).toEqual([]);
    }
    await page.close();
  }
}, 60_000);
