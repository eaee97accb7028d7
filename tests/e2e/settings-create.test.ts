// The settings lists' own buttons, clicked (issue #10, item 9), at 375 and 1280 px: an administrator adds a
// person, a department, a tag and a quick reply, deletes the quick reply, unlocks a person slowed down by wrong
// passwords, and signs out. A taken name or e-mail is refused in Spanish and adds nothing.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { listDepartments, listUsers, login } from "../../src/auth/service.ts";
import { listQuickReplies, listTags } from "../../src/inbox/service.ts";

let bed: Testbed;
beforeAll(async () => {
  bed = await consoleTestbed();
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const open = (viewport: (typeof VIEWPORTS)[number]) => openConsole(bed.browser, bed.running.url, "admin", viewport);

for (const [i, viewport] of VIEWPORTS.entries())
  test(`adding a person, a department, a tag and a quick reply; deleting the quick reply (${viewport.width} px)`, async () => {
    const c = await open(viewport);
    const { page } = c;
    page.on("dialog", (d) => void d.accept());
    const ctx = bed.t.ctx;

    await c.go("/settings/departments");
    const dept = page.locator('form[action="/settings/departments"]');
    await dept.locator("[name=name]").fill(`Cocina ${i}`);
    await c.tap(dept.locator("button[type=submit]"));
    await page.waitForURL(/saved=1/);
    const cocina = (await listDepartments(ctx)).find((d) => d.name === `Cocina ${i}`);
    expect(cocina).toBeDefined();
    // its own row (other rows name it too, as a department to overflow into)
    await page
      .locator(`tr[data-id="${cocina!.id}"] td`, { hasText: `Cocina ${i}` })
      .first()
      .waitFor();

    await c.go("/settings/users");
    const form = page.locator('form[action="/settings/users"]');
    await form.locator("[name=name]").fill(`Carla ${i}`);
    await form.locator("[name=email]").fill(`carla${i}@test.mx`);
    await form.locator("[name=password]").fill("carla-pass-123");
    await form.locator("[name=departmentIds]").selectOption([cocina!.id]);
    await c.tap(form.locator("button[type=submit]"));
    await page.waitForURL(/saved=1/);
    const carla = (await listUsers(ctx)).find((u) => u.email === `carla${i}@test.mx`);
    expect(carla).toMatchObject({ name: `Carla ${i}`, role: "agent", departmentIds: [cocina!.id], active: true });
    await page.locator("tr", { hasText: `carla${i}@test.mx` }).waitFor();
    // the same e-mail again: refused in Spanish, nobody added
    const again = page.locator('form[action="/settings/users"]');
    await again.locator("[name=name]").fill("Otra Carla");
    await again.locator("[name=email]").fill(`carla${i}@test.mx`);
    await again.locator("[name=password]").fill("carla-pass-123");
    await c.tap(again.locator("button[type=submit]"));
    await page.locator(".flash.err").filter({ hasText: "Ese correo ya está en uso." }).waitFor();
    expect((await listUsers(ctx)).filter((u) => u.email === `carla${i}@test.mx`)).toHaveLength(1);
    await c.fits();

    await c.go("/settings/tags");
    const tag = page.locator('form[action="/settings/tags"]');
    await tag.locator("[name=name]").fill(`urgente-${i}`);
    await tag.locator("[name=color]").fill("#dc2626");
    await c.tap(tag.locator("button[type=submit]"));
    await page.waitForURL(/saved=1/);
    expect((await listTags(ctx)).find((x) => x.name === `urgente-${i}`)?.color).toBe("#dc2626");
    await page.locator("tr", { hasText: `urgente-${i}` }).waitFor();

    await c.go("/settings/quick-replies");
    const qr = page.locator('form[action="/settings/quick-replies"]');
    await qr.locator("[name=shortcut]").fill(`envio${i}`);
    await qr.locator("[name=body]").fill("El envío cuesta $50 MXN.");
    await c.tap(qr.locator("button[type=submit]"));
    await page.waitForURL(/saved=1/);
    const made = (await listQuickReplies(ctx)).find((x) => x.shortcut === `envio${i}`);
    expect(made?.body).toBe("El envío cuesta $50 MXN.");
    await c.tap(page.locator(`tr[data-id="${made!.id}"] button.danger`));
    await page.waitForURL(/saved=1/);
    expect((await listQuickReplies(ctx)).some((x) => x.id === made!.id)).toBe(false);
    await expect(page.locator(`tr[data-id="${made!.id}"]`).count()).resolves.toBe(0);
    await c.fits();
    await c.close();
  });

for (const [i, viewport] of VIEWPORTS.entries())
  test(`unlocking a person slowed down by wrong passwords, and signing out (${viewport.width} px)`, async () => {
    const ctx = bed.t.ctx;
    const ip = `203.0.113.${20 + i}`;
    const attempt = (password: string) =>
      login(ctx, { email: "beto@test.mx", password, ip }).then(
        () => 200,
        (e: { status?: number }) => e.status,
      );
    for (let n = 0; n < 8; n++) await attempt("no-es-su-clave");
    expect(await attempt("agent-pass-123")).toBe(429);

    const c = await open(viewport);
    await c.go("/settings/users");
    await c.tap(c.page.locator('button[data-unlock="beto@test.mx"]'));
    await c.page.waitForURL(/saved=1/);
    expect(await attempt("agent-pass-123")).toBe(200);

    // signing out ends the session: the console asks to log in again
    await c.menu();
    await c.tap(c.page.locator('form[action="/logout"] button'));
    await c.page.waitForURL(/\/login/);
    await c.page.goto(`${bed.running.url}/inbox`);
    expect(new URL(c.page.url()).pathname).toBe("/login");
    await c.close();
  });
