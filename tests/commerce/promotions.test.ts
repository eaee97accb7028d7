// Promotions applied live (issue #13 item 1): percent off a category (and what is under it), amount off a product
// per unit and off the cart (capped), buy X get Y (the cheapest units free), a happy hour by time of day, coupons
// with dates, a minimum and a number of uses (the last use raced by two checkouts); each a line explaining it, and
// the order keeps what it was given.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { orders, products, promotions } from "../../src/commerce/schema.ts";
import {
  addToCart,
  applyCoupon,
  checkout,
  createCategory,
  createProduct,
  getCart,
} from "../../src/commerce/service.ts";
import { createPromotion } from "../../src/commerce/promotions.ts";

const SYS = { kind: "system" } as const;
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
// Wednesday 2 December 2026, 13:00 in Mexico City
let now = Date.UTC(2026, 11, 2, 19, 0);
let n = 0;
beforeEach(async () => {
  now = Date.UTC(2026, 11, 2, 19, 0);
  t = await makeTestApp({}, { clock: { now: () => now } });
  s = await seedBusiness(t.ctx);
  const comida = await createCategory(t.ctx, SYS, { name: "Comida" });
  const tacos = await createCategory(t.ctx, SYS, { name: "Tacos", parentId: comida.id });
  const bebidas = await createCategory(t.ctx, SYS, { name: "Bebidas" });
  await createProduct(t.ctx, SYS, {
    sku: "TACO",
    name: "Taco al pastor",
    price: 2500,
    categoryId: tacos.id,
    modifiers: [{ key: "queso", name: "Con queso", price: 1000 }],
  });
  await createProduct(t.ctx, SYS, { sku: "GRINGA", name: "Gringa", price: 6000, categoryId: comida.id });
  await createProduct(t.ctx, SYS, { sku: "HOR", name: "Horchata", price: 3000, categoryId: bebidas.id });
});
afterEach(() => t.close());

const conv = async () =>
  (await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: `pr${++n}`, name: "C" }, body: "hola" }))
    .conversationId;
const cats = async () => Object.fromEntries((await t.ctx.db.select().from(products)).map((p) => [p.sku, p.categoryId]));
const lines = (c: Awaited<ReturnType<typeof getCart>>) => c.discounts.map((d) => [d.name, d.amount]);

test("percent off a category covers the categories under it; amount off a product per unit; the cart's capped", async () => {
  const comida = (await cats()).GRINGA!;
  await createPromotion(t.ctx, SYS, {
    name: "10% en comida",
    kind: "percent",
    value: 10,
    scope: "category",
    categoryId: comida,
  });
  await createPromotion(t.ctx, SYS, {
    name: "$5 menos por horchata",
    kind: "amount",
    value: 500,
    scope: "product",
    sku: "HOR",
  });
  const c = await conv();
  await addToCart(t.ctx, SYS, c, { sku: "TACO", quantity: 2 }); // 50.00, in Tacos under Comida
  await addToCart(t.ctx, SYS, c, { sku: "GRINGA" }); // 60.00
  await addToCart(t.ctx, SYS, c, { sku: "HOR", quantity: 3 }); // 90.00
  const cart = await getCart(t.ctx, SYS, c);
  expect(cart.subtotal).toBe(20000);
  expect(lines(cart)).toEqual([
    ["$5 menos por horchata", 1500],
    ["10% en comida", 1100],
  ]);
  expect(cart.total).toBe(20000 - 2600);
  // a cart amount larger than the cart stops at its subtotal
  await createPromotion(t.ctx, SYS, { name: "Regalo", kind: "amount", value: 999_900, scope: "cart" });
  const all = await getCart(t.ctx, SYS, c);
  expect([all.discount, all.total]).toEqual([20000, 0]);
});

test("buy 2 get 1 on tacos: of every three units the cheapest is free, pooled over the lines", async () => {
  await createPromotion(t.ctx, SYS, {
    name: "3x2 en tacos",
    kind: "buy_x_get_y",
    scope: "category",
    categoryId: (await cats()).TACO!,
    buyQuantity: 2,
    getQuantity: 1,
  });
  const c = await conv();
  await addToCart(t.ctx, SYS, c, { sku: "TACO", quantity: 4, modifiers: ["queso"] }); // 35.00 each
  await addToCart(t.ctx, SYS, c, { sku: "TACO", quantity: 2 }); // 25.00 each
  // six units: two groups of three, the two cheapest (25.00) free
  expect(lines(await getCart(t.ctx, SYS, c))).toEqual([["3x2 en tacos", 5000]]);
  const o = await checkout(t.ctx, SYS, c, {});
  expect([o.subtotal, o.discount, o.total, o.promotions]).toEqual([
    19000,
    5000,
    14000,
    [{ id: expect.any(String), name: "3x2 en tacos", amount: 5000 }],
  ]);
});

test("a happy hour runs only in its hours (the business's time zone)", async () => {
  await createPromotion(t.ctx, SYS, {
    name: "Hora feliz",
    kind: "percent",
    value: 20,
    scope: "product",
    sku: "HOR",
    hours: { days: [1, 2, 3, 4, 5], from: "17:00", to: "19:00" },
  });
  const c = await conv();
  await addToCart(t.ctx, SYS, c, { sku: "HOR", quantity: 2 });
  expect((await getCart(t.ctx, SYS, c)).discount).toBe(0); // 13:00
  now = Date.UTC(2026, 11, 2, 23, 30); // 17:30
  expect(lines(await getCart(t.ctx, SYS, c))).toEqual([["Hora feliz", 1200]]);
  now = Date.UTC(2026, 11, 5, 23, 30); // Saturday 17:30
  expect((await getCart(t.ctx, SYS, c)).discount).toBe(0);
});

test("coupons: unknown, not yet valid, below the minimum, then applied; the last use goes to one of two racers", async () => {
  await createPromotion(t.ctx, SYS, {
    name: "BIENVENIDA 15%",
    kind: "percent",
    value: 15,
    code: "bienvenida",
    minSubtotal: 10000,
    startsAt: Date.UTC(2026, 11, 3, 6, 0),
    maxUses: 1,
  });
  const [a, b] = [await conv(), await conv()];
  for (const c of [a, b]) await addToCart(t.ctx, SYS, c, { sku: "GRINGA" });
  await expect(applyCoupon(t.ctx, SYS, a, "NOEXISTE")).rejects.toMatchObject({ code: "unknown_coupon" });
  await expect(applyCoupon(t.ctx, SYS, a, "bienvenida")).rejects.toMatchObject({ code: "coupon_not_running" });
  now = Date.UTC(2026, 11, 3, 19, 0);
  await expect(applyCoupon(t.ctx, SYS, a, "BIENVENIDA")).rejects.toMatchObject({
    code: "coupon_not_applicable",
    details: { minSubtotal: 10000 },
  });
  expect((await getCart(t.ctx, SYS, a)).couponCode).toBeNull();
  for (const c of [a, b]) {
    await addToCart(t.ctx, SYS, c, { sku: "HOR", quantity: 2 }); // 120.00
    const cart = await applyCoupon(t.ctx, SYS, c, " bienvenida ");
    expect([cart.couponCode, lines(cart), cart.total]).toEqual(["BIENVENIDA", [["BIENVENIDA 15%", 1800]], 10200]);
  }
  // two checkouts at once, one use left: one gets it, the other is told
  const r = await Promise.allSettled([checkout(t.ctx, SYS, a, {}), checkout(t.ctx, SYS, b, {})]);
  expect(r.map((x) => x.status).sort()).toEqual(["fulfilled", "rejected"]);
  expect((r.find((x) => x.status === "rejected") as PromiseRejectedResult).reason.code).toBe("coupon_used_up");
  expect((await t.ctx.db.select().from(promotions))[0].uses).toBe(1);
  expect((await t.ctx.db.select().from(orders)).map((o) => o.total)).toEqual([10200]);
  // the one refused can take the coupon off and order at full price
  const loser = r[0].status === "rejected" ? a : b;
  await applyCoupon(t.ctx, SYS, loser, null);
  expect((await checkout(t.ctx, SYS, loser, {})).total).toBe(12000);
  expect((await t.ctx.db.select().from(orders).where(eq(orders.total, 12000))).length).toBe(1);
});

test("a promotion's rules are checked: percent range, buy X get Y quantities, a taken code", async () => {
  const bad = [
    [{ name: "x", kind: "percent", value: 120 }, "value"],
    [{ name: "x", kind: "buy_x_get_y", scope: "product", sku: "TACO" }, "buyQuantity"],
    [{ name: "x", kind: "buy_x_get_y", buyQuantity: 1, getQuantity: 1 }, "scope"],
    [{ name: "x", kind: "amount", value: 100, scope: "product" }, "sku"],
    [{ name: "x", kind: "percent", value: 5, code: "a b" }, "code"],
  ] as const;
  for (const [input, field] of bad) {
    const r = await t.req("POST", "/api/v1/promotions", {
      headers: { authorization: `Bearer ${s.apiKey}` },
      json: input,
    });
    const j = await r.json();
    expect([r.status, JSON.stringify(j.error.details)]).toEqual([400, expect.stringContaining(field)]);
  }
  await createPromotion(t.ctx, SYS, { name: "A", kind: "percent", value: 5, code: "VERANO" });
  await expect(
    createPromotion(t.ctx, SYS, { name: "B", kind: "percent", value: 5, code: "verano" }),
  ).rejects.toMatchObject({
    code: "coupon_taken",
  });
  expect((await t.ctx.db.select().from(promotions)).length).toBe(1);
});
