// Orders inside the conversation (issue #13 items 1, 2, 5, 6, 9): the cart priced from the catalog (variants, extras,
// schedules, stock), checkout holding the stock so a race for the last units never oversells, the order's life with
// its history, events and the customer told, holds that expire, abandoned carts, categories and the CSV columns.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { and, eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { ingestInbound, forgetChannels } from "../../src/inbox/service.ts";
import { channels, messages } from "../../src/inbox/schema.ts";
import { events } from "../../src/platform/schema.ts";
import { orders, products, stockHolds } from "../../src/commerce/schema.ts";
import {
  addToCart,
  checkout,
  createCategory,
  createProduct,
  formatMoney,
  importProducts,
  listCategories,
  productsInCategory,
  updateCategory,
} from "../../src/commerce/service.ts";
import { lineText, saveCommerceSettings, sweepCommerce } from "../../src/commerce/orders.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
// Wednesday 2026-12-02 13:00 in Mexico City (19:00 UTC)
let now = Date.UTC(2026, 11, 2, 19, 0);
const clock = { now: () => now };
const sys = { kind: "system" as const };
const key = () => ({ authorization: `Bearer ${s.apiKey}` });
const api = async (method: string, path: string, json?: unknown, headers: Record<string, string> = key()) => {
  const r = await t.req(method, `/api/v1${path}`, { headers, json });
  return { status: r.status, body: await r.json() };
};

beforeEach(async () => {
  now = Date.UTC(2026, 11, 2, 19, 0);
  t = await makeTestApp({}, { clock });
  s = await seedBusiness(t.ctx);
  await t.ctx.database.write((tx) => tx.update(channels).set({ departmentId: s.ventas.id }));
  forgetChannels(t.ctx);
  await createProduct(t.ctx, sys, {
    sku: "TACO-P",
    name: "Taco al pastor",
    price: 2500,
    stock: 50,
    modifiers: [
      { key: "queso", name: "Con queso", price: 1000 },
      { key: "pina", name: "Extra piña", price: 500 },
    ],
  });
  await createProduct(t.ctx, sys, {
    sku: "HOR",
    name: "Horchata",
    price: 0,
    variants: [
      { key: "chica", name: "Chica", price: 3000, stock: null },
      { key: "grande", name: "Grande", price: 4500, stock: 3 },
    ],
  });
  await createProduct(t.ctx, sys, {
    sku: "CHILAQ",
    name: "Chilaquiles",
    price: 9000,
    availability: { days: [], from: "08:00", to: "12:00" },
  });
});
afterEach(() => t.close());

const customer = async (i: number) =>
  (
    await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `o-${i}`, name: `Cliente ${i}` },
      body: `quiero pedir ${i}`,
    })
  ).conversationId;
const bodies = async (conversationId: string) =>
  (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, conversationId))).map((m) => m.body);

test("the cart prices each line from the catalog: variant, extras, the same item again adds to it", async () => {
  const c = await customer(1);
  let r = await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P", quantity: 3, modifiers: ["queso"] });
  expect(r.status).toBe(200);
  r = await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P", quantity: 1, modifiers: ["queso"] });
  r = await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P", quantity: 2 });
  r = await api("POST", `/conversations/${c}/cart/items`, { sku: "HOR", variant: "grande" });
  const cart = r.body.data;
  expect(
    cart.lines.map(
      (l: {
        name: string;
        quantity: number;
        unitPrice: number;
        total: number;
        modifierNames: string[];
        variantName: string | null;
      }) => [l.name, l.variantName, l.modifierNames, l.quantity, l.unitPrice, l.total],
    ),
  ).toEqual([
    ["Taco al pastor", null, ["Con queso"], 4, 3500, 14000],
    ["Taco al pastor", null, [], 2, 2500, 5000],
    ["Horchata", "Grande", [], 1, 4500, 4500],
  ]);
  expect(cart.subtotal).toBe(23500);
  expect(cart.problems).toEqual([]);
  // a line's quantity; 0 removes it
  const line = cart.lines[1].id;
  r = await api("PATCH", `/conversations/${c}/cart/items/${line}`, { quantity: 5 });
  expect(r.body.data.subtotal).toBe(23500 + 3 * 2500);
  r = await api("PATCH", `/conversations/${c}/cart/items/${line}`, { quantity: 0 });
  expect(r.body.data.lines).toHaveLength(2);
  expect((await api("GET", `/conversations/${c}/cart`)).body.data.subtotal).toBe(18500);
});

test("a line the catalog cannot serve is refused in words, and the cart stays as it was", async () => {
  const c = await customer(1);
  await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P" });
  const refusals: [unknown, number, string][] = [
    [{ sku: "NOPE" }, 400, "unknown_product"],
    [{ sku: "HOR" }, 400, "variant_required"],
    [{ sku: "HOR", variant: "jumbo" }, 400, "unknown_variant"],
    [{ sku: "TACO-P", modifiers: ["tocino"] }, 400, "unknown_modifier"],
    [{ sku: "HOR", variant: "grande", quantity: 4 }, 409, "not_enough_stock"],
    [{ sku: "CHILAQ" }, 409, "not_available_now"], // breakfast, 8–12; it is 13:00
    [{ sku: "TACO-P", quantity: 0 }, 400, "validation_failed"],
  ];
  for (const [body, status, code] of refusals) {
    const r = await api("POST", `/conversations/${c}/cart/items`, body);
    expect([r.status, r.body.error.code]).toEqual([status, code]);
  }
  const cart = (await api("GET", `/conversations/${c}/cart`)).body.data;
  expect(cart.lines.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity])).toEqual([["TACO-P", 1]]);
  // at 9:00 the breakfast can be ordered
  now = Date.UTC(2026, 11, 2, 15, 0);
  expect((await api("POST", `/conversations/${c}/cart/items`, { sku: "CHILAQ" })).status).toBe(200);
});

test("an agent reaches only the carts of conversations she can see", async () => {
  const c = await customer(1);
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
  expect((await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P" }, ana)).status).toBe(200);
  expect((await api("GET", `/conversations/${c}/cart`, undefined, beto)).status).toBe(404);
  expect((await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P" }, beto)).status).toBe(404);
  expect((await api("POST", `/conversations/${c}/checkout`, {}, beto)).status).toBe(404);
  expect((await api("GET", `/conversations/${c}/cart`, undefined, ana)).body.data.lines[0].quantity).toBe(1);
});

test("checkout: the cart becomes an order priced from the catalog, the stock is held, the customer is told", async () => {
  const c = await customer(1);
  expect((await api("POST", `/conversations/${c}/checkout`, {})).body.error.code).toBe("cart_empty");
  await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P", quantity: 3, modifiers: ["queso", "pina"] });
  await api("POST", `/conversations/${c}/cart/items`, { sku: "HOR", variant: "grande", quantity: 2 });
  await api("PATCH", `/conversations/${c}/cart`, { fulfilment: "delivery" });
  const noAddress = await api("POST", `/conversations/${c}/checkout`, {});
  expect([noAddress.status, noAddress.body.error.code]).toEqual([400, "address_required"]);
  await api("PATCH", `/conversations/${c}/cart`, { address: "Av. Juárez 10, Centro" });
  const r = await api("POST", `/conversations/${c}/checkout`, { paymentMethod: "cash" });
  expect(r.status).toBe(201);
  const o = r.body.data;
  expect([o.number, o.status, o.subtotal, o.total, o.fulfilment, o.address, o.paymentMethod]).toEqual([
    "1001",
    "new",
    3 * 4000 + 2 * 4500,
    21000,
    "delivery",
    "Av. Juárez 10, Centro",
    "cash",
  ]);
  expect(o.items[0].modifiers.map((m: { name: string }) => m.name)).toEqual(["Con queso", "Extra piña"]);
  // stock taken at once; the cart is gone
  const [taco] = await t.ctx.db.select().from(products).where(eq(products.sku, "TACO-P"));
  const [hor] = await t.ctx.db.select().from(products).where(eq(products.sku, "HOR"));
  expect(taco.stock).toBe(47);
  expect(hor.variants.find((v) => v.key === "grande")!.stock).toBe(1);
  expect((await api("GET", `/conversations/${c}/cart`)).body.data.lines).toEqual([]);
  // told, once, in the conversation; an event for automations
  expect(await bodies(c)).toContain("Recibimos tu pedido 1001 por $210.00 MXN. Te avisamos en cuanto lo confirmemos.");
  const ev = await t.ctx.db.select().from(events).where(eq(events.type, "commerce.order_created"));
  expect(ev.map((e) => (e.data as { number: string }).number)).toEqual(["1001"]);
  // the next order is 1002
  await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P" });
  expect((await api("POST", `/conversations/${c}/checkout`, {})).body.data.number).toBe("1002");
});

test("200 customers race for the last 10 units: exactly 10 orders, none oversold", async () => {
  await t.ctx.database.write((tx) => tx.update(products).set({ stock: 10 }).where(eq(products.sku, "TACO-P")));
  const convs: string[] = [];
  for (let i = 0; i < 200; i++) convs.push(await customer(i));
  for (const c of convs) await addToCart(t.ctx, sys, c, { sku: "TACO-P", quantity: 1 });
  const results = await Promise.allSettled(convs.map((c) => checkout(t.ctx, sys, c, {})));
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
  expect(won).toHaveLength(10);
  expect(new Set(lost.map((r) => (r.reason as { code: string }).code))).toEqual(new Set(["out_of_stock"]));
  expect((await t.ctx.db.select().from(orders)).length).toBe(10);
  const [taco] = await t.ctx.db.select().from(products).where(eq(products.sku, "TACO-P"));
  expect(taco.stock).toBe(0);
  const holds = await t.ctx.db.select().from(stockHolds);
  expect(holds.reduce((n, h) => n + h.quantity, 0)).toBe(10);
});

test("an order's life: forward only, pickup's own road, cancel gives the stock back, a refund needs a payment", async () => {
  const c = await customer(1);
  await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P", quantity: 4 });
  const o = (await api("POST", `/conversations/${c}/checkout`, {})).body.data;
  let d = (await api("GET", `/orders/${o.id}`)).body.data;
  expect(d.next).toEqual(["confirmed", "preparing", "ready", "picked_up", "cancelled"]);
  for (const st of ["confirmed", "preparing", "ready"])
    expect((await api("POST", `/orders/${o.id}/status`, { status: st })).status).toBe(200);
  // backwards, or a road it is not on
  for (const st of ["preparing", "on_the_way", "refunded"]) {
    const r = await api("POST", `/orders/${o.id}/status`, { status: st });
    expect([r.status, r.body.error.code]).toEqual([409, "invalid_transition"]);
  }
  expect((await api("POST", `/orders/${o.id}/status`, { status: "bogus" })).status).toBe(400);
  expect((await api("POST", `/orders/${o.id}/status`, { status: "picked_up" })).status).toBe(200);
  d = (await api("GET", `/orders/${o.id}`)).body.data;
  expect(d.history.map((h: { kind: string; data: { to?: string } }) => h.data.to ?? h.kind)).toEqual([
    "created",
    "confirmed",
    "preparing",
    "ready",
    "picked_up",
  ]);
  expect(d.next).toEqual([]); // not paid: nothing to refund
  const told = await bodies(c);
  for (const line of [
    "Tu pedido 1001 está confirmado. Total: $100.00 MXN.",
    "Estamos preparando tu pedido 1001.",
    "Tu pedido 1001 está listo.",
    "Recogiste tu pedido 1001. ¡Gracias por tu compra!",
  ])
    expect(told).toContain(line);
  const changes = await t.ctx.db.select().from(events).where(eq(events.type, "commerce.order_status_changed"));
  expect(changes.map((e) => (e.data as { status: string }).status)).toEqual([
    "confirmed",
    "preparing",
    "ready",
    "picked_up",
  ]);
  // a cancelled order gives its stock back
  await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P", quantity: 5 });
  const o2 = (await api("POST", `/conversations/${c}/checkout`, {})).body.data;
  const stock = async () => (await t.ctx.db.select().from(products).where(eq(products.sku, "TACO-P")))[0].stock;
  expect(await stock()).toBe(41);
  expect(
    (await api("POST", `/orders/${o2.id}/status`, { status: "cancelled", reason: "el cliente no contesta" })).status,
  ).toBe(200);
  expect(await stock()).toBe(46);
  expect(await bodies(c)).toContain("Tu pedido 1002 fue cancelado.");
  // cancelling again changes nothing (the same status), and a cancelled order cannot be paid
  expect((await api("POST", `/orders/${o2.id}/status`, { status: "cancelled" })).status).toBe(200);
  expect(await stock()).toBe(46);
  expect((await api("POST", `/orders/${o2.id}/paid`, {})).body.error.code).toBe("order_closed");
});

test("paid: a new order moves on to confirmed by itself, once; delivered and paid can be refunded", async () => {
  const c = await customer(1);
  await api("POST", `/conversations/${c}/cart/items`, { sku: "TACO-P", quantity: 2 });
  await api("PATCH", `/conversations/${c}/cart`, { fulfilment: "delivery", address: "Calle 5 #20" });
  const o = (await api("POST", `/conversations/${c}/checkout`, { paymentMethod: "transfer" })).body.data;
  const paid = await api("POST", `/orders/${o.id}/paid`, { reference: "SPEI 123" });
  expect([paid.body.data.status, paid.body.data.paymentStatus]).toEqual(["confirmed", "paid"]);
  expect((await api("POST", `/orders/${o.id}/paid`, {})).body.data.status).toBe("confirmed");
  expect((await t.ctx.db.select().from(events).where(eq(events.type, "commerce.order_paid"))).length).toBe(1);
  const holds = await t.ctx.db.select().from(stockHolds).where(eq(stockHolds.orderId, o.id));
  expect(holds.map((h) => h.status)).toEqual(["kept"]);
  for (const st of ["on_the_way", "delivered", "refunded"])
    expect((await api("POST", `/orders/${o.id}/status`, { status: st })).status).toBe(200);
  const d = (await api("GET", `/orders/${o.id}`)).body.data;
  expect([d.status, d.paymentStatus]).toEqual(["refunded", "refunded"]);
  expect(await bodies(c)).toContain("Te reembolsamos el pedido 1001 ($50.00 MXN).");
});

test("a hold nobody confirmed expires: the order is cancelled and its stock is back; a confirmed one keeps it", async () => {
  await saveCommerceSettings(t.ctx, sys, { holdMinutes: 15 });
  const [a, b] = [await customer(1), await customer(2)];
  await addToCart(t.ctx, sys, a, { sku: "TACO-P", quantity: 10 });
  await addToCart(t.ctx, sys, b, { sku: "TACO-P", quantity: 5 });
  const oa = await checkout(t.ctx, sys, a, {});
  const ob = await checkout(t.ctx, sys, b, {});
  await api("POST", `/orders/${ob.id}/status`, { status: "confirmed" });
  now += 14 * 60_000;
  expect((await sweepCommerce(t.ctx)).expired).toBe(0);
  now += 2 * 60_000;
  expect((await sweepCommerce(t.ctx)).expired).toBe(1);
  expect((await sweepCommerce(t.ctx)).expired).toBe(0);
  const status = async (id: string) => (await t.ctx.db.select().from(orders).where(eq(orders.id, id)))[0].status;
  expect([await status(oa.id), await status(ob.id)]).toEqual(["cancelled", "confirmed"]);
  expect((await t.ctx.db.select().from(products).where(eq(products.sku, "TACO-P")))[0].stock).toBe(45);
  const d = (await api("GET", `/orders/${oa.id}`)).body.data;
  expect(d.history.at(-1).data).toEqual({ from: "new", to: "cancelled", reason: "hold_expired" });
});

test("a cart left with items is announced once as abandoned, after the time the business set", async () => {
  await saveCommerceSettings(t.ctx, sys, { abandonedMinutes: 30 });
  const [a, b] = [await customer(1), await customer(2)];
  await addToCart(t.ctx, sys, a, { sku: "TACO-P", quantity: 2 });
  await addToCart(t.ctx, sys, b, { sku: "TACO-P", quantity: 1 });
  now += 20 * 60_000;
  await addToCart(t.ctx, sys, b, { sku: "TACO-P", quantity: 1 }); // b is still choosing
  now += 11 * 60_000;
  expect((await sweepCommerce(t.ctx)).abandoned).toBe(1);
  expect((await sweepCommerce(t.ctx)).abandoned).toBe(0);
  const ev = await t.ctx.db.select().from(events).where(eq(events.type, "commerce.cart_abandoned"));
  expect(ev.map((e) => [e.conversationId, (e.data as { items: string[] }).items])).toEqual([
    [a, ["2 × Taco al pastor"]],
  ]);
  now += 30 * 60_000;
  expect((await sweepCommerce(t.ctx)).abandoned).toBe(1); // b now; a only again once it changes
});

test("categories are a tree: a menu category holds what is under it; a category cannot sit inside itself", async () => {
  const comida = await createCategory(t.ctx, sys, { name: "Comida" });
  const tacos = await createCategory(t.ctx, sys, { name: "Tacos", parentId: comida.id });
  const bebidas = await createCategory(t.ctx, sys, { name: "Bebidas" });
  await t.ctx.database.write(async (tx) => {
    await tx.update(products).set({ categoryId: tacos.id }).where(eq(products.sku, "TACO-P"));
    await tx.update(products).set({ categoryId: bebidas.id }).where(eq(products.sku, "HOR"));
  });
  expect((await productsInCategory(t.ctx, comida.id)).map((p) => p.sku)).toEqual(["TACO-P"]);
  expect((await productsInCategory(t.ctx, bebidas.id)).map((p) => p.sku)).toEqual(["HOR"]);
  await expect(updateCategory(t.ctx, sys, comida.id, { parentId: tacos.id })).rejects.toMatchObject({
    code: "category_cycle",
  });
  const dup = await api("POST", "/product-categories", { name: "tacos", parentId: comida.id });
  expect([dup.status, dup.body.error.code]).toEqual([409, "category_taken"]);
  expect((await api("POST", "/products", { sku: "X", name: "X", price: 1, categoryId: "nope" })).body.error.code).toBe(
    "unknown_category",
  );
  expect((await listCategories(t.ctx)).map((c) => c.name).sort()).toEqual(["Bebidas", "Comida", "Tacos"]);
});

test("the CSV import gains variants, extras, hours and a category path, and still names a bad line", async () => {
  const csv = [
    "sku,nombre,precio,categoria,variantes,extras,horario,stock_minimo",
    'AGUA,Agua fresca,30,Bebidas > Aguas,"Chica=30|Grande=45:12",,,',
    "MOLLE,Molletes,65,Desayunos,,Queso extra=10|Chorizo=15,08:00-12:00,5",
  ].join("\n");
  expect(await importProducts(t.ctx, sys, csv)).toEqual({ created: 2, updated: 0 });
  const [agua] = await t.ctx.db.select().from(products).where(eq(products.sku, "AGUA"));
  expect(agua.variants).toEqual([
    { key: "chica", name: "Chica", price: 3000, stock: null },
    { key: "grande", name: "Grande", price: 4500, stock: 12 },
  ]);
  const [molle] = await t.ctx.db.select().from(products).where(eq(products.sku, "MOLLE"));
  expect(molle.modifiers).toEqual([
    { key: "queso-extra", name: "Queso extra", price: 1000 },
    { key: "chorizo", name: "Chorizo", price: 1500 },
  ]);
  expect([molle.availability, molle.lowStock]).toEqual([{ days: [], from: "08:00", to: "12:00" }, 5]);
  const cats = await listCategories(t.ctx);
  const aguas = cats.find((c) => c.name === "Aguas")!;
  expect(cats.find((c) => c.id === aguas.parentId)?.name).toBe("Bebidas");
  expect(agua.categoryId).toBe(aguas.id);
  const bad = "sku,nombre,precio,horario\nX1,Uno,10,\nX2,Dos,10,mañana";
  await expect(importProducts(t.ctx, sys, bad)).rejects.toMatchObject({
    code: "invalid_csv",
    details: { line: 3, column: "horario", value: "mañana" },
  });
  expect(
    (
      await t.ctx.db
        .select()
        .from(products)
        .where(and(eq(products.sku, "X1")))
    ).length,
  ).toBe(0);
});

test("stock crossing the owner's alert level is an event, once", async () => {
  await t.ctx.database.write((tx) =>
    tx.update(products).set({ stock: 12, lowStock: 5 }).where(eq(products.sku, "TACO-P")),
  );
  const [a, b, c] = [await customer(1), await customer(2), await customer(3)];
  await addToCart(t.ctx, sys, a, { sku: "TACO-P", quantity: 6 }); // 12 → 6: above 5
  await checkout(t.ctx, sys, a, {});
  await addToCart(t.ctx, sys, b, { sku: "TACO-P", quantity: 2 }); // 6 → 4: crosses 5
  await checkout(t.ctx, sys, b, {});
  await addToCart(t.ctx, sys, c, { sku: "TACO-P", quantity: 1 }); // 4 → 3: already under
  await checkout(t.ctx, sys, c, {});
  const ev = await t.ctx.db.select().from(events).where(eq(events.type, "commerce.low_stock"));
  expect(ev.map((e) => e.data)).toEqual([
    { sku: "TACO-P", name: "Taco al pastor", variant: null, left: 4, orderId: expect.any(String) },
  ]);
});

test("a line in words is the same everywhere: variant, extras, and the total when asked", () => {
  const money = (m: number) => formatMoney(m, "MXN", "es");
  const cartLine = {
    quantity: 2,
    name: "Taco al pastor",
    variantName: "Grande",
    modifierNames: ["Con queso", "Extra piña"],
    modifiers: ["queso", "pina"],
    total: 8000,
  };
  expect(lineText(cartLine)).toBe("2 × Taco al pastor (Grande) + Con queso, Extra piña");
  expect(lineText(cartLine, money)).toBe("2 × Taco al pastor (Grande) + Con queso, Extra piña — $80.00 MXN");
  // an order's item keeps its extras as objects
  expect(
    lineText({ quantity: 1, name: "Horchata", variantName: null, modifiers: [{ name: "Sin hielo" }] as never }),
  ).toBe("1 × Horchata + Sin hielo");
  expect(lineText({ quantity: 3, name: "Agua" })).toBe("3 × Agua");
});
