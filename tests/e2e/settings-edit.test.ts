// An administrator edits what was created: renames a department and a tag, changes a quick reply, renames a
// person and sets a new password for them (issue #10), at 375 and 1280 px.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { makeTestApp, seedBusiness, startServer, apiPost, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, overflowing } from "../support/browser.ts";
import { listDepartments, listUsers, login } from "../../src/auth/service.ts";
import { listTags, listQuickReplies } from "../../src/inbox/service.ts";

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

async function edit(page: Page, path: string, id: string, values: Record<string, string>) {
  await page.goto(`${running.url}${path}`);
  const row = page.locator(`tr[data-id="${id}"]`);
  await row.locator("details.edit summary").click();
  for (const [k, v] of Object.entries(values)) await row.locator(`details.edit [name="${k}"]`).fill(v);
  await row.locator("details.edit button[type=submit]").click();
  await page.waitForURL(/saved=1/);
}

test("rename, change and reset from the settings lists (375 and 1280 px)", async () => {
  const tag = await apiPost(t, s.apiKey, "/tags", { name: "vip" });
  const qr = await apiPost(t, s.apiKey, "/quick-replies", { shortcut: "horario", body: "Abrimos de 9 a 18 h." });
  for (const [i, viewport] of [
    [1, { width: 375, height: 740 }],
    [2, { width: 1280, height: 800 }],
  ] as const) {
    const page = await browser.newPage({ viewport });
    await loginAsAdmin(page, running.url);
    await edit(page, "/settings/departments", s.ventas.id, { name: `Ventas ${i}` });
    expect((await listDepartments(t.ctx)).find((d) => d.id === s.ventas.id)?.name).toBe(`Ventas ${i}`);
    await edit(page, "/settings/tags", tag.id, { name: `cliente-vip-${i}` });
    expect((await listTags(t.ctx)).find((x) => x.id === tag.id)?.name).toBe(`cliente-vip-${i}`);
    await edit(page, "/settings/quick-replies", qr.id, { body: `Abrimos de 9 a ${17 + i} h.` });
    expect((await listQuickReplies(t.ctx)).find((x) => x.id === qr.id)?.body).toBe(`Abrimos de 9 a ${17 + i} h.`);
    expect(await overflowing(page)).toEqual([]);
    // a taken name is refused in Spanish and changes nothing
    await page.goto(`${running.url}/settings/departments`);
    const row = page.locator(`tr[data-id="${s.ventas.id}"]`);
    await row.locator("details.edit summary").click();
    await row.locator('details.edit [name="name"]').fill("Soporte");
    await row.locator("details.edit button[type=submit]").click();
    await page.locator(".flash.err, .error").filter({ hasText: "Ese departamento ya existe." }).first().waitFor();
    expect((await listDepartments(t.ctx)).find((d) => d.id === s.ventas.id)?.name).toBe(`Ventas ${i}`);
    // a person: renamed, and a new password set by the administrator
    await page.goto(`${running.url}/settings/users`);
    const form = page.locator('form[data-user="ana@test.mx"]');
    await page.locator("details.edit").filter({ has: form }).locator("summary").click();
    await form.locator("[name=name]").fill(`Ana López ${i}`);
    await form.locator("[name=password]").fill(`nueva-ana-${i}-clave`);
    await form.locator("button[type=submit]").click();
    await page.waitForURL(/saved=1/);
    expect((await listUsers(t.ctx)).find((u) => u.id === s.ana.id)?.name).toBe(`Ana López ${i}`);
    expect(
      (await login(t.ctx, { email: "ana@test.mx", password: `nueva-ana-${i}-clave`, ip: `198.51.100.${i}` })).user.name,
    ).toBe(`Ana López ${i}`);
    expect(await overflowing(page)).toEqual([]);
    await page.close();
  }
}, 60_000);
