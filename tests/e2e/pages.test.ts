// Every console page at 375×740 and 1280×800 (issue #10): nothing scrolls sideways, no control sits past the edge,
// and each page's main controls are the element at their own centre. On a phone the top bar is a menu that opens,
// closes and navigates, and tables turn into labelled cards.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { type seedBusiness, type startServer, apiPost, type TestApp } from "../support/app.ts";
import { openConsole, PHONE, DESKTOP, VIEWPORTS, consoleTestbed, type Testbed } from "../support/pages.ts";
import { createAgent } from "../../src/agents/service.ts";
import { addToCart, checkout, createProduct } from "../../src/commerce/service.ts";
import { createFlow } from "../../src/automation/flows.ts";
import { FLOW_RECIPES } from "../../src/automation/flow-recipes.ts";
import { createSequence } from "../../src/automation/sequences.ts";
import { installRecipe } from "../../src/automation/recipes.ts";
import { automationRules } from "../../src/automation/schema.ts";

let bed: Testbed,
  t: TestApp,
  s: Awaited<ReturnType<typeof seedBusiness>>,
  running: Awaited<ReturnType<typeof startServer>>;
let browser: Browser, conv: string, agentId: string, ticketId: string, boardId: string, contactId: string;
let productId: string, orderId: string, ruleId: string, flowId: string, sequenceId: string;
const SYS = { kind: "system" } as const;
beforeAll(async () => {
  bed = await consoleTestbed();
  ({ t, s, running, browser } = bed);
  const ch = await apiPost(t, s.apiKey, "/channels", { type: "api", name: "Tienda en línea", config: {} });
  conv = (
    await apiPost(t, s.apiKey, "/inbound", {
      channelId: ch.id,
      from: { externalId: "pages-1", name: "María Fernanda de los Ángeles Villaseñor", phone: "+525512345678" },
      body: "Hola, quisiera saber si tienen servicio a domicilio en la colonia Roma Norte y hasta qué hora",
    })
  ).conversationId;
  agentId = (await createAgent(t.ctx, { kind: "system" }, { name: "Asistente", channelIds: [] })).id;
  ticketId = (
    await apiPost(t, s.apiKey, "/tickets", {
      subject: "El pedido 1042 llegó incompleto: faltan dos piezas del juego de sartenes de la promoción",
      description: "La clienta escribió dos veces; pidió que la llamen por la tarde.",
      conversationId: conv,
    })
  ).id;
  contactId = (
    await t
      .req("GET", `/api/v1/conversations/${conv}`, { headers: { authorization: `Bearer ${s.apiKey}` } })
      .then((r) => r.json())
  ).data.contactId;
  boardId = (await apiPost(t, s.apiKey, "/boards", { name: "Seguimiento de tickets de la semana", kind: "tickets" }))
    .id;
  // the commerce and automation pages, each with something on it
  productId = (
    await createProduct(t.ctx, SYS, {
      sku: "COMBO-FAM",
      name: "Combo familiar de tacos al pastor con guacamole y refrescos",
      price: 38900,
      stock: 20,
    })
  ).id;
  await addToCart(t.ctx, SYS, conv, { sku: "COMBO-FAM", quantity: 2 });
  orderId = (await checkout(t.ctx, SYS, conv, {})).id;
  await installRecipe(t.ctx, SYS, "out_of_hours");
  ruleId = (await t.ctx.db.select().from(automationRules).get())!.id;
  flowId = (await createFlow(t.ctx, SYS, FLOW_RECIPES.restaurant_welcome!)).id;
  sequenceId = (
    await createSequence(t.ctx, SYS, {
      name: "Seguimiento de la cotización",
      steps: [{ delayMinutes: 60, variations: ["¿Pudiste revisar la cotización, {{contact.first_name|cliente}}?"] }],
    })
  ).id;
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const adminPages = () => [
  "/inbox",
  `/inbox?c=${conv}`,
  "/contacts",
  "/team",
  "/tickets",
  "/tickets/new",
  `/tickets/${ticketId}`,
  `/tickets/new?c=${conv}`,
  "/boards",
  `/boards/${boardId}`,
  `/contacts/${contactId}`,
  "/profile",
  "/profile/notifications",
  "/settings/business",
  "/settings/users",
  "/settings/departments",
  "/settings/tags",
  "/settings/contact-fields",
  "/settings/tickets",
  "/contacts/import",
  "/settings/quick-replies",
  "/settings/channels",
  "/settings/ai",
  "/settings/agents",
  `/settings/agents/${agentId}`,
  "/settings/knowledge",
  "/settings/catalog",
  "/settings/calendar",
  "/settings/api-keys",
  "/settings/login-history",
  "/settings/automations",
  "/settings/automations/new",
  "/settings/sequences",
  "/settings/sequences/new",
  "/settings/flows",
  "/settings/library",
  `/settings/automations/${ruleId}`,
  `/settings/flows/${flowId}`,
  `/settings/sequences/${sequenceId}`,
  "/settings/surveys",
  `/settings/catalog/${productId}`,
  "/settings/promotions",
  "/settings/delivery",
  "/settings/payments",
  "/settings/stores",
  "/settings/orders",
  "/orders",
  `/orders/${orderId}`,
  `/orders/${orderId}/ticket`,
  "/deliveries",
];

test("every administrator page fits a phone and a desktop, its main controls uncovered", async () => {
  for (const viewport of VIEWPORTS) {
    const c = await openConsole(browser, running.url, "admin", viewport);
    for (const path of adminPages()) {
      await c.go(path);
      try {
        await c.fits();
      } catch (e) {
        throw new Error(`${path} at ${viewport.width} px: ${(e as Error).message}`);
      }
    }
    await c.close();
  }
});

test("an agent's pages fit too", async () => {
  for (const viewport of VIEWPORTS) {
    const c = await openConsole(browser, running.url, "ana", viewport);
    for (const path of [
      "/inbox",
      "/contacts",
      "/team",
      "/tickets",
      "/boards",
      "/orders",
      "/profile",
      "/profile/notifications",
    ]) {
      await c.go(path);
      await c.fits();
    }
    await c.close();
  }
});

test("on a phone the top bar is a menu: it opens, its items are 44 px rows, it navigates and closes", async () => {
  const c = await openConsole(browser, running.url, "admin", PHONE);
  const links = c.page.locator("#top-links");
  expect(await links.isVisible()).toBe(false);
  await c.menu();
  await expect(c.page.locator("#menu-toggle").getAttribute("aria-expanded")).resolves.toBe("true");
  const heights = await links
    .locator("a, button")
    .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
  expect(heights.length).toBeGreaterThanOrEqual(5);
  expect(Math.min(...heights)).toBeGreaterThanOrEqual(44);
  // Escape closes it; a tap elsewhere too
  await c.page.keyboard.press("Escape");
  await links.waitFor({ state: "hidden" });
  await c.menu();
  await c.page.mouse.click(200, 600);
  await links.waitFor({ state: "hidden" });
  // and an item navigates
  await c.menu();
  await c.tap(links.locator('a[href="/contacts"]'));
  await c.page.waitForURL(/\/contacts$/);
  await c.close();

  const d = await openConsole(browser, running.url, "admin", DESKTOP);
  expect(await d.page.locator("#menu-toggle").isVisible()).toBe(false);
  expect(await d.page.locator('#top-links a[href="/contacts"]').isVisible()).toBe(true);
  await d.close();
});

test("on a phone a table's rows are cards labelled by column; on a desktop it stays a table", async () => {
  const c = await openConsole(browser, running.url, "admin", PHONE);
  await c.go("/settings/users");
  const row = c.page.locator("table.cards tr").filter({ hasText: "ana@test.mx" });
  await expect(row.evaluate((r) => getComputedStyle(r).display)).resolves.toBe("block");
  const labels = await row.locator("td").evaluateAll((tds) => tds.map((td) => (td as HTMLElement).dataset.label));
  expect(labels.slice(0, 2)).toEqual(["Nombre", "Correo"]);
  const before = await row
    .locator("td")
    .nth(1)
    .evaluate((td) => getComputedStyle(td, "::before").content);
  expect(before).toBe('"Correo"');
  await c.fits();
  await c.close();

  const d = await openConsole(browser, running.url, "admin", DESKTOP);
  await d.go("/settings/users");
  await expect(
    d.page
      .locator("table.cards tr")
      .first()
      .evaluate((r) => getComputedStyle(r).display),
  ).resolves.toBe("table-row");
  await d.close();
});
