// The orders' console (issue #13 item 5), each change checked in the database, at 375 and 1280 px: the list opened
// from the menu and filtered, an order moved on step by step from its page (the customer told in the
// conversation), a jump, marked paid, a refused move shown in Spanish, cancelled (the stock back), the kitchen
// ticket printed; the orders board made from the list, a card moved with its own control.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { channels, messages } from "../../src/inbox/schema.ts";
import { boards } from "../../src/tickets/schema.ts";
import { orders, products } from "../../src/commerce/schema.ts";
import { forgetChannels, ingestInbound } from "../../src/inbox/service.ts";
import { addToCart, checkout, createProduct, setCartDetails } from "../../src/commerce/service.ts";

let bed: Testbed;
const SYS = { kind: "system" } as const;
beforeAll(async () => {
  bed = await consoleTestbed();
  const { t, s } = bed;
  await t.ctx.database.write((tx) => tx.update(channels).set({ departmentId: s.ventas.id }));
  forgetChannels(t.ctx);
  await createProduct(t.ctx, SYS, {
    sku: "TACO-P",
    name: "Taco al pastor",
    price: 2500,
    stock: 100,
    modifiers: [{ key: "queso", name: "Con queso", price: 1000 }],
  });
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

let n = 0;
/** A customer's order taken in chat: the cart, then checkout (as the AI agent or the flow does it). */
async function chatOrder(quantity: number, delivery = false) {
  const { t, s } = bed;
  n++;
  const c = (
    await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `oc-${n}`, name: `Cliente ${n}` },
      body: "hola",
    })
  ).conversationId;
  await addToCart(t.ctx, SYS, c, { sku: "TACO-P", quantity, modifiers: ["queso"], note: "sin cebolla" });
  if (delivery) await setCartDetails(t.ctx, SYS, c, { fulfilment: "delivery", address: "Av. Reforma 100" });
  return checkout(t.ctx, SYS, c, { paymentMethod: "cash" });
}
const orderRow = async (id: string) => (await bed.t.ctx.db.select().from(orders).where(eq(orders.id, id)).get())!;
const stock = async () => (await bed.t.ctx.db.select().from(products).where(eq(products.sku, "TACO-P")).get())!.stock;
const told = async (conversationId: string) =>
  (await bed.t.ctx.db.select().from(messages).where(eq(messages.conversationId, conversationId))).map((m) => m.body);

for (const viewport of VIEWPORTS)
  test(`an order moved on from its page, paid, refused in Spanish, cancelled, its kitchen ticket (${viewport.width} px)`, async () => {
    const o = await chatOrder(3, true);
    const other = await chatOrder(2);
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.menu();
    await c.tap('#top-links a[href="/orders"]');
    await page.waitForURL(/\/orders$/);
    await c.fits();
    await page.locator(`li.order-row[data-order="${o.number}"]`).waitFor();
    // search by number
    await page.fill('#order-filters input[name="q"]', `#${other.number}`);
    await Promise.all([page.waitForEvent("load"), c.tap("#order-filters button[type=submit]")]);
    expect(
      await page.locator("li.order-row").evaluateAll((li) => li.map((x) => (x as HTMLElement).dataset.order)),
    ).toEqual([other.number]);
    await c.go("/orders");
    await c.tap(page.locator(`li.order-row[data-order="${o.number}"] a`));
    await page.waitForURL(new RegExp(`/orders/${o.id}$`));
    await c.fits();
    expect(await page.locator("#order-total").textContent()).toBe("$105.00 MXN");
    // one tap: the next step
    await Promise.all([page.waitForEvent("load"), c.tap("#order-actions button.primary")]);
    expect((await orderRow(o.id)).status).toBe("confirmed");
    expect(await page.locator("#order-status").textContent()).toBe("Confirmado");
    expect(await told(o.conversationId!)).toContain(`Tu pedido ${o.number} está confirmado. Total: $105.00 MXN.`);
    // a jump: straight to "on the way"
    await page.locator("#order-jump").selectOption("on_the_way");
    await Promise.all([page.waitForEvent("load"), c.tap('#order-actions form.inline button[type="submit"]')]);
    expect((await orderRow(o.id)).status).toBe("on_the_way");
    // cash received
    await Promise.all([page.waitForEvent("load"), c.tap("#mark-paid")]);
    expect((await orderRow(o.id)).paymentStatus).toBe("paid");
    expect(await page.locator("#order-payment").textContent()).toBe("Pagado");
    expect(await page.locator("#order-history li").count()).toBe(4);

    // a move made elsewhere meanwhile: this page still offers it, and the refusal is shown in Spanish
    await bed.t.ctx.database.write((tx) => tx.update(orders).set({ status: "cancelled" }).where(eq(orders.id, o.id)));
    await Promise.all([page.waitForEvent("load"), c.tap("#order-actions button.primary")]);
    expect(await page.locator(".flash.err").textContent()).toBe(
      "El pedido no puede pasar a ese estado desde el que tiene.",
    );
    expect((await orderRow(o.id)).status).toBe("cancelled");
    await c.fits();

    // the kitchen ticket: quantities, extras and notes, a print button
    await c.go(`/orders/${other.id}`);
    const [ticket] = await Promise.all([page.context().waitForEvent("page"), c.tap("#kitchen-ticket")]);
    await ticket.waitForLoadState();
    expect(new URL(ticket.url()).pathname).toBe(`/orders/${other.id}/ticket`);
    expect(await ticket.locator("#ticket-items li").textContent()).toBe("2×Taco al pastor+ Con quesosin cebolla");
    await ticket.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => {
        (window as unknown as { printed: number }).printed++;
      };
    });
    await ticket.click("#print-ticket");
    expect(await ticket.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
    await ticket.close();

    // the customer's page lists the order, and opens it
    await c.go(`/contacts/${o.contactId}`);
    await Promise.all([
      page.waitForURL(new RegExp(`/orders/${o.id}$`)),
      c.tap(page.locator(`li[data-order="${o.number}"] a`)),
    ]);

    // cancel the other: asked first, then the stock is back
    const before = await stock();
    await c.go(`/orders/${other.id}`);
    page.once("dialog", (d) => void d.accept());
    await Promise.all([page.waitForEvent("load"), c.tap("#order-actions button.danger")]);
    expect((await orderRow(other.id)).status).toBe("cancelled");
    expect(await stock()).toBe(before! + 2);
    await c.close();
  }, 90_000);

test("the orders board: made from the list, its columns the order's statuses; a card moved with its control (375 and 1280 px)", async () => {
  for (const viewport of VIEWPORTS) {
    const o = await chatOrder(1);
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go("/orders");
    await Promise.all([page.waitForURL(/\/boards\/[^/?]+$/), c.tap("#orders-board")]);
    const b = (await bed.t.ctx.db.select().from(boards).where(eq(boards.kind, "orders")).get())!;
    expect(b.columns.map((x) => x.name)).toEqual([
      "Nuevo",
      "Confirmado",
      "En preparación",
      "Listo",
      "En camino",
      "Entregado",
    ]);
    await c.fits();
    const card = page.locator(`li.board-card[data-item="${o.id}"]`);
    expect(await card.locator(".card-title").textContent()).toBe(`#${o.number} · $35.00 MXN`);
    // a pickup order put in "Entregado" ends its own road: picked up
    await card.locator("select[name=columnId]").selectOption(b.columns[5]!.id);
    await Promise.all([page.waitForEvent("load"), c.tap(card.locator("button[type=submit]"))]);
    expect((await orderRow(o.id)).status).toBe("picked_up");
    expect(await told(o.conversationId!)).toContain(`Recogiste tu pedido ${o.number}. ¡Gracias por tu compra!`);
    // the list offers the board now (not a second one)
    await c.go("/orders");
    expect(await page.locator("a#orders-board").getAttribute("href")).toBe(`/boards/${b.id}`);
    await c.close();
  }
  expect((await bed.t.ctx.db.select().from(boards).where(eq(boards.kind, "orders"))).length).toBe(1);
}, 90_000);
