// Price lists (issue #13 item 1): other prices on a channel or for contacts with a tag; the first active list that
// matches prices the cart and the order (a variant's own price too, the extras kept); products it does not name keep
// the catalog's price; the catalog itself is never changed by an order priced from a list.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { contactTags, tags } from "../../src/inbox/schema.ts";
import { products } from "../../src/commerce/schema.ts";
import { addToCart, checkout, createProduct, getCart } from "../../src/commerce/service.ts";
import { createPriceList } from "../../src/commerce/price-lists.ts";

const SYS = { kind: "system" } as const;
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
let n = 0;
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  await createProduct(t.ctx, SYS, {
    sku: "TACO",
    name: "Taco",
    price: 2500,
    modifiers: [{ key: "queso", name: "Queso", price: 1000 }],
  });
  await createProduct(t.ctx, SYS, {
    sku: "HOR",
    name: "Horchata",
    price: 0,
    variants: [
      { key: "chica", name: "Chica", price: 3000, stock: 20 },
      { key: "grande", name: "Grande", price: 4500, stock: 20 },
    ],
  });
  await createProduct(t.ctx, SYS, { sku: "AGUA", name: "Agua", price: 1500 });
});
afterEach(() => t.close());

const conv = async () =>
  await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: `pl${++n}`, name: "C" }, body: "hola" });

test("a channel's list prices the cart and the order; what it does not name keeps the catalog's price", async () => {
  await createPriceList(t.ctx, SYS, {
    name: "Web",
    channelIds: [s.webchat.id],
    prices: { TACO: 2000, "HOR:grande": 4000 },
  });
  const { conversationId: c } = await conv();
  await addToCart(t.ctx, SYS, c, { sku: "TACO", quantity: 2, modifiers: ["queso"] });
  await addToCart(t.ctx, SYS, c, { sku: "HOR", variant: "grande" });
  await addToCart(t.ctx, SYS, c, { sku: "AGUA" });
  const cart = await getCart(t.ctx, SYS, c);
  expect(cart.lines.map((l) => [l.sku, l.unitPrice])).toEqual([
    ["TACO", 3000], // 20.00 from the list + the extra's 10.00
    ["HOR", 4000],
    ["AGUA", 1500],
  ]);
  const o = await checkout(t.ctx, SYS, c, {});
  expect([o.subtotal, o.items.map((i) => i.price)]).toEqual([6000 + 4000 + 1500, [3000, 4000, 1500]]);
  // the catalog is as it was (the stock taken, the variant prices not)
  const hor = (await t.ctx.db.select().from(products).where(eq(products.sku, "HOR")).get())!;
  expect(hor.variants).toEqual([
    { key: "chica", name: "Chica", price: 3000, stock: 20 },
    { key: "grande", name: "Grande", price: 4500, stock: 19 },
  ]);
});

test("a tag's list for its contacts; the first matching list wins; none: the catalog's prices", async () => {
  const { conversationId: plain } = await conv();
  await addToCart(t.ctx, SYS, plain, { sku: "AGUA" });
  const vip = await conv();
  const tagId = "tag-mayoreo";
  await t.ctx.database.write(async (tx) => {
    await tx.insert(tags).values({ id: tagId, name: "mayoreo", color: "#000", createdAt: 1 });
    await tx.insert(contactTags).values({ contactId: vip.message.senderId!, tagId });
  });
  await createPriceList(t.ctx, SYS, { name: "Mayoreo", tagIds: [tagId], prices: { AGUA: 1000 }, position: 0 });
  await createPriceList(t.ctx, SYS, { name: "Otra", tagIds: [tagId], prices: { AGUA: 900 }, position: 5 });
  await addToCart(t.ctx, SYS, vip.conversationId, { sku: "AGUA" });
  expect((await getCart(t.ctx, SYS, vip.conversationId)).total).toBe(1000);
  expect((await getCart(t.ctx, SYS, plain)).total).toBe(1500);
  const bad = await t.req("POST", "/api/v1/price-lists", {
    headers: { authorization: `Bearer ${s.apiKey}` },
    json: { name: "Nada", prices: { AGUA: 1 } },
  });
  expect([bad.status, (await bad.json()).error.code]).toEqual([400, "validation_failed"]);
});

test("a saved segment's list prices its contacts' carts, matched now; an unknown segment is refused", async () => {
  const { createSegment } = await import("../../src/inbox/contact-fields.ts");
  const { updateContact } = await import("../../src/inbox/contacts.ts");
  const { conversations } = await import("../../src/inbox/schema.ts");
  const mayoreo = await createSegment(t.ctx, SYS, { name: "Mayoreo", filters: { attribute: "tipo=mayoreo" } });
  const bad = await t.req("POST", "/api/v1/price-lists", {
    headers: { authorization: `Bearer ${s.apiKey}` },
    json: { name: "X", segmentIds: ["no-such-segment"], prices: { TACO: 1 } },
  });
  expect([bad.status, (await bad.json()).error?.code]).toEqual([400, "unknown_segment"]);
  await createPriceList(t.ctx, SYS, { name: "Mayoreo", segmentIds: [mayoreo.id], prices: { TACO: 1800 } });
  const { conversationId: c } = await conv();
  await addToCart(t.ctx, SYS, c, { sku: "TACO", quantity: 10 });
  // not in the segment yet: the catalog's price
  expect((await getCart(t.ctx, SYS, c)).subtotal).toBe(25000);
  // the contact becomes a wholesale customer: the list's price, on the next read of the cart
  const contactId = (await t.ctx.db.select().from(conversations).where(eq(conversations.id, c)).get())!.contactId;
  await updateContact(t.ctx, SYS, contactId, { attributes: { tipo: "mayoreo" } });
  expect((await getCart(t.ctx, SYS, c)).subtotal).toBe(18000);
  const o = await checkout(t.ctx, SYS, c, {});
  expect(o.items[0]).toMatchObject({ sku: "TACO", price: 1800, quantity: 10 });
  // another customer, not in it
  const other = (await conv()).conversationId;
  await addToCart(t.ctx, SYS, other, { sku: "TACO" });
  expect((await getCart(t.ctx, SYS, other)).subtotal).toBe(2500);
});
