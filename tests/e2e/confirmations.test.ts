// Destructive actions ask first and say what they affect (issue #10), at 375×740 and 1280×800: dismissing the
// question changes nothing, accepting it does.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { eq } from "drizzle-orm";
import type { startServer, TestApp } from "../support/app.ts";
import { openConsole, VIEWPORTS, consoleTestbed, type Testbed } from "../support/pages.ts";
import { createApiKey } from "../../src/auth/service.ts";
import { apiKeys } from "../../src/auth/schema.ts";
import { createProduct } from "../../src/commerce/service.ts";
import { products } from "../../src/commerce/schema.ts";
import { createAgent } from "../../src/agents/service.ts";
import { agents } from "../../src/agents/schema.ts";

let bed: Testbed, t: TestApp, running: Awaited<ReturnType<typeof startServer>>, browser: Browser;
beforeAll(async () => {
  bed = await consoleTestbed();
  ({ t, running, browser } = bed);
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

test("revoking a key, deleting a product or an agent: the question names it; no changes nothing (375 and 1280 px)", async () => {
  const system = { kind: "system" } as const;
  for (const viewport of VIEWPORTS) {
    const w = viewport.width;
    const key = await createApiKey(t.ctx, system, { name: `Tienda ${w}`, scope: "read" });
    await createProduct(t.ctx, system, { sku: `TACO-${w}`, name: `Taco al pastor ${w}`, price: 2500 });
    const agent = await createAgent(t.ctx, system, { name: `Asistente ${w}`, channelIds: [] });
    const c = await openConsole(browser, running.url, "admin", viewport);
    const asked: string[] = [];
    let answer = false;
    c.page.on("dialog", (d) => {
      asked.push(d.message());
      void (answer ? d.accept() : d.dismiss());
    });
    const cases = [
      {
        path: "/settings/api-keys",
        button: c.page.locator(`#api-keys tr[data-id="${key.id}"] button.danger`),
        question: `¿Revocar la llave «Tienda ${w}»? Lo que la use dejará de funcionar al momento.`,
        done: async () => !!(await t.ctx.db.select().from(apiKeys).where(eq(apiKeys.id, key.id)).get())?.revokedAt,
      },
      {
        path: "/settings/catalog",
        button: c.page.locator(`tr[data-sku="TACO-${w}"] button.danger`),
        question: `¿Eliminar «Taco al pastor ${w}» (TACO-${w}) del catálogo? Los agentes dejarán de ofrecerlo.`,
        done: async () =>
          !(await t.ctx.db
            .select()
            .from(products)
            .where(eq(products.sku, `TACO-${w}`))
            .get()),
      },
      {
        path: `/settings/agents/${agent.id}`,
        button: c.page.locator(`form[action="/settings/agents/${agent.id}/delete"] button.danger`),
        question: `¿Eliminar el agente «Asistente ${w}»? Las conversaciones que atiende pasan a tu equipo, en espera.`,
        done: async () => !(await t.ctx.db.select().from(agents).where(eq(agents.id, agent.id)).get()),
      },
    ];
    for (const k of cases) {
      await c.go(k.path);
      answer = false;
      await c.tap(k.button);
      await c.page.waitForTimeout(300);
      expect(asked.pop()).toBe(k.question);
      expect(await k.done()).toBe(false);
      answer = true;
      await Promise.all([c.page.waitForEvent("load"), c.tap(k.button)]);
      expect(asked.pop()).toBe(k.question);
      expect(await k.done()).toBe(true);
    }
    await c.close();
  }
});

test("deactivating a person asks first, by name; saving their role does not (375 and 1280 px)", async () => {
  const { createUser } = await import("../../src/auth/service.ts");
  const { users } = await import("../../src/auth/schema.ts");
  for (const viewport of VIEWPORTS) {
    const u = await createUser(t.ctx, {
      name: `Carla ${viewport.width}`,
      email: `carla${viewport.width}@test.mx`,
      password: "agent-pass-123",
      role: "agent",
      departmentIds: [],
    });
    const c = await openConsole(browser, running.url, "admin", viewport);
    const asked: string[] = [];
    let answer = false;
    c.page.on("dialog", (d) => {
      asked.push(d.message());
      void (answer ? d.accept() : d.dismiss());
    });
    await c.go("/settings/users");
    const row = c.page.locator(`form[action="/settings/users/${u.id}"]`);
    // a role change saves without a question
    await row.locator('select[name="role"]').selectOption("admin");
    await Promise.all([c.page.waitForURL(/saved=1/), c.tap(row.locator('button[type="submit"]'))]);
    expect(asked).toEqual([]);
    // deactivating: asked, refused, nothing changes; asked, accepted, done
    await row.locator('select[name="active"]').selectOption("0");
    await c.tap(row.locator('button[type="submit"]'));
    await c.page.waitForTimeout(300);
    expect(asked.pop()).toBe(
      `¿Desactivar a Carla ${viewport.width}? Sus sesiones se cierran al momento, deja de recibir conversaciones y no podrá entrar hasta que la actives de nuevo.`,
    );
    expect((await t.ctx.db.select().from(users).where(eq(users.id, u.id)).get())?.active).toBe(true);
    answer = true;
    await Promise.all([c.page.waitForEvent("load"), c.tap(row.locator('button[type="submit"]'))]);
    expect((await t.ctx.db.select().from(users).where(eq(users.id, u.id)).get())?.active).toBe(false);
    await c.close();
  }
});

test("deleting a channel says how many replies waiting in it will not be sent (375 and 1280 px)", async () => {
  const { channels } = await import("../../src/inbox/schema.ts");
  const { apiPost } = await import("../support/app.ts");
  const key = (await createApiKey(t.ctx, { kind: "system" }, { name: "canales", scope: "admin" })).key;
  for (const viewport of VIEWPORTS) {
    const w = viewport.width;
    // a paused connection: its replies wait in the outbox
    const ch = await apiPost(t, key, "/channels", { type: "api", name: `ERP ${w}`, active: false, config: {} });
    const conv = (
      await apiPost(t, key, "/inbound", { channelId: ch.id, from: { externalId: `erp-${w}` }, body: "hola" })
    ).conversationId;
    for (const body of ["uno", "dos"]) await apiPost(t, key, `/conversations/${conv}/messages`, { body });
    const c = await openConsole(browser, running.url, "admin", viewport);
    const asked: string[] = [];
    let answer = false;
    c.page.on("dialog", (d) => {
      asked.push(d.message());
      void (answer ? d.accept() : d.dismiss());
    });
    await c.go("/settings/channels");
    const del = c.page.locator(`form[action="/settings/channels/${ch.id}/delete"] button`);
    const question = `¿Eliminar «ERP ${w}»? Sus conversaciones conservan el historial pero dejan de recibir mensajes por aquí; 2 respuestas en espera no se enviarán.`;
    await c.tap(del);
    await c.page.waitForTimeout(300);
    expect(asked.pop()).toBe(question);
    expect((await t.ctx.db.select().from(channels).where(eq(channels.id, ch.id)).get())?.deletedAt).toBeNull();
    answer = true;
    await Promise.all([c.page.waitForEvent("load"), c.tap(del)]);
    expect(asked.pop()).toBe(question);
    expect((await t.ctx.db.select().from(channels).where(eq(channels.id, ch.id)).get())?.deletedAt).not.toBeNull();
    await c.close();
  }
});
