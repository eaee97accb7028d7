// Shopify and WooCommerce (issue #13 item 8) against their doubles and their real webhook bodies: products imported
// (variants, prices, stock) page by page; webhooks verified over the raw bytes (a wrong, missing or re-serialized
// signature refused, nothing changed), each delivery applied once, an older change ignored; Shopify's ids read as
// strings (the fixture's numeric ids are already rounded); WooCommerce's unsigned ping answered 200.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createHmac } from "node:crypto";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { startStoresDouble } from "../support/stores-double.ts";
import { products } from "../../src/commerce/schema.ts";
import { settings } from "../../src/platform/schema.ts";
import { createProduct } from "../../src/commerce/service.ts";

const SYS = { kind: "system" } as const;
const FIX = join(import.meta.dir, "../fixtures");
const raw = (file: string) => readFileSync(join(FIX, file), "utf8");
const SHOP_SECRET = "shpss_test_client_secret_7788";
const WOO_SECRET = "woo-webhook-secret-5566";
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, store: ReturnType<typeof startStoresDouble>;
const key = () => ({ authorization: `Bearer ${s.apiKey}` });
const b64 = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("base64");

beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  store = startStoresDouble({
    shopifyToken: "shpat_test_token_1234",
    wooKey: "ck_test_key",
    wooSecret: "cs_test_secret",
  });
  const r = await t.req("PUT", "/api/v1/store-settings", {
    headers: key(),
    json: {
      shopify: {
        shop: "mitienda.myshopify.com",
        accessToken: "shpat_test_token_1234",
        webhookSecret: SHOP_SECRET,
        apiUrl: store.url,
      },
      woocommerce: {
        url: store.url,
        consumerKey: "ck_test_key",
        consumerSecret: "cs_test_secret",
        webhookSecret: WOO_SECRET,
      },
    },
  });
  expect(r.status).toBe(200);
});
afterEach(async () => {
  store.stop();
  await t.close();
});
const byExternal = async (id: string) => t.ctx.db.select().from(products).where(eq(products.externalId, id)).get();
const shopifyHook = (body: string, topic: string, h: Record<string, string | undefined> = {}) =>
  t.req("POST", "/webhooks/shopify", {
    body,
    headers: Object.fromEntries(
      Object.entries({
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": b64(SHOP_SECRET, body),
        "x-shopify-shop-domain": "mitienda.myshopify.com",
        "x-shopify-webhook-id": crypto.randomUUID(),
        ...h,
      }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>,
  });

test("the settings' secrets are sealed at rest and shown as their last 4", async () => {
  const view = (await (await t.req("GET", "/api/v1/store-settings", { headers: key() })).json()).data;
  expect([view.shopify.accessToken, view.shopify.configured, view.woocommerce.consumerSecret]).toEqual([
    "••••1234",
    true,
    "••••cret",
  ]);
  const stored = JSON.stringify(
    (await t.ctx.db.select().from(settings).where(eq(settings.key, "stores")).get())!.value,
  );
  for (const secret of ["shpat_test_token_1234", SHOP_SECRET, "cs_test_secret", WOO_SECRET])
    expect(stored).not.toContain(secret);
  const bad = await t.req("PUT", "/api/v1/store-settings", {
    headers: key(),
    json: { shopify: { shop: "https://evil.com" } },
  });
  expect(bad.status).toBe(400);
});

test("Shopify: the real products/update body, its ids as strings; a bad signature changes nothing; a delivery once", async () => {
  const body = raw("shopify/products-update.json");
  // signed wrongly, not at all, or the body re-serialized after signing: refused before anything is read
  expect(
    (await shopifyHook(body, "products/update", { "x-shopify-hmac-sha256": b64("someone-else", body) })).status,
  ).toBe(401);
  expect((await shopifyHook(body, "products/update", { "x-shopify-hmac-sha256": undefined })).status).toBe(401);
  const signed = b64(SHOP_SECRET, body);
  expect(
    (await shopifyHook(JSON.stringify(JSON.parse(body)), "products/update", { "x-shopify-hmac-sha256": signed }))
      .status,
  ).toBe(401);
  expect(await t.ctx.db.select().from(products)).toEqual([]);

  const id = crypto.randomUUID();
  const r = await shopifyHook(body, "products/update", { "x-shopify-webhook-id": id });
  expect(await r.json()).toEqual({ received: true, outcome: "created" });
  // the gid keeps the true id: 788032119674292922, where the rounded number says 788032119674292900
  const p = (await byExternal("gid://shopify/Product/788032119674292922"))!;
  expect([p.name, p.sku, p.category, p.price, p.active, p.variants]).toEqual([
    "Example T-Shirt",
    "SHOP-788032119674292922",
    "Shirts",
    1999,
    true,
    [
      {
        key: "small",
        name: "Small",
        price: 1999,
        stock: 75,
        externalId: "gid://shopify/ProductVariant/642667041472713922",
      },
      {
        key: "medium",
        name: "Medium",
        price: 1999,
        stock: 50,
        externalId: "gid://shopify/ProductVariant/757650484644203962",
      },
    ],
  ]);
  // Shopify retries the same delivery: applied once
  expect(await (await shopifyHook(body, "products/update", { "x-shopify-webhook-id": id })).json()).toEqual({
    received: true,
    outcome: "duplicate",
  });
  // an older change arriving late is ignored
  const older = JSON.stringify({ ...JSON.parse(body), title: "Old title", updated_at: "2020-01-01T00:00:00-05:00" });
  expect((await (await shopifyHook(older, "products/update")).json()).outcome).toBe("stale");
  expect((await byExternal("gid://shopify/Product/788032119674292922"))!.name).toBe("Example T-Shirt");
  // another shop's delivery signed with our secret is refused too
  expect((await shopifyHook(body, "products/update", { "x-shopify-shop-domain": "otra.myshopify.com" })).status).toBe(
    401,
  );
});

test("WooCommerce: the unsigned ping gets 200, the real product.updated body is applied once", async () => {
  const ping = await t.req("POST", "/webhooks/woocommerce", {
    body: "webhook_id=15",
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  expect([ping.status, (await ping.json()).outcome]).toEqual([200, "ping"]);
  const body = raw("woocommerce/product-updated.json");
  const send = (sig: string, delivery: string) =>
    t.req("POST", "/webhooks/woocommerce", {
      body,
      headers: {
        "content-type": "application/json",
        "x-wc-webhook-topic": "product.updated",
        "x-wc-webhook-signature": sig,
        "x-wc-webhook-delivery-id": delivery,
      },
    });
  expect((await send(b64("wrong", body), "d1")).status).toBe(401);
  expect((await (await send(b64(WOO_SECRET, body), "d2")).json()).outcome).toBe("created");
  expect((await (await send(b64(WOO_SECRET, body), "d2")).json()).outcome).toBe("duplicate");
  const p = (await byExternal("794"))!;
  expect([p.name, p.sku, p.price, p.stock, p.category, p.externalSource]).toEqual([
    "Premium Quality",
    "WOO-794",
    2454,
    null,
    "Clothing",
    "woocommerce",
  ]);
});

test("import: every product of both stores, page by page, matched to a SKU typed by hand before", async () => {
  await createProduct(t.ctx, SYS, { sku: "TEE-BLK", name: "Playera negra (a mano)", price: 100 });
  for (let i = 1; i <= 3; i++)
    store.shopify.push({
      id: `gid://shopify/Product/90071992547409${90 + i}`,
      title: `Producto ${i}`,
      descriptionHtml: "<p>Algodón</p>",
      productType: "Ropa",
      status: "ACTIVE",
      updatedAt: "2026-11-01T10:00:00Z",
      variants: {
        nodes: [
          {
            id: `gid://shopify/ProductVariant/1${i}`,
            title: "Default Title",
            sku: i === 1 ? "TEE-BLK" : "",
            price: `${200 + i}.00`,
            inventoryQuantity: 5 * i,
          },
        ],
      },
    });
  const woo = JSON.parse(raw("woocommerce/product-updated.json"));
  for (let i = 0; i < 150; i++) store.woo.push({ ...woo, id: 1000 + i, name: `Woo ${i}`, sku: `W-${i}` });
  const a = await t.req("POST", "/api/v1/stores/shopify/import", { headers: key() });
  expect((await a.json()).data).toEqual({ created: 2, updated: 1, stale: 0 });
  const b = await t.req("POST", "/api/v1/stores/woocommerce/import", { headers: key() });
  expect((await b.json()).data).toEqual({ created: 150, updated: 0, stale: 0 });
  const byHand = (await t.ctx.db.select().from(products).where(eq(products.sku, "TEE-BLK")).get())!;
  expect([byHand.name, byHand.price, byHand.stock, byHand.externalId]).toEqual([
    "Producto 1",
    20100,
    5,
    "gid://shopify/Product/9007199254740991",
  ]);
  expect((await t.ctx.db.select().from(products)).length).toBe(153);
  // the credentials went to the store's own host only
  expect(
    store.requests.filter((r) => r.path.endsWith("graphql.json")).every((r) => r.auth === "shpat_test_token_1234"),
  ).toBe(true);
  // a bad token: the store's refusal, in words
  await t.req("PUT", "/api/v1/store-settings", { headers: key(), json: { shopify: { accessToken: "shpat_revoked" } } });
  const c = await t.req("POST", "/api/v1/stores/shopify/import", { headers: key() });
  expect([c.status, (await c.json()).error.code]).toEqual([502, "store_error"]);
});

test("WooCommerce orders: one taken in chat goes to the store; the store's changes reach it, by webhook or by the poll", async () => {
  const { ingestInbound } = await import("../../src/inbox/service.ts");
  const { addToCart, checkout } = await import("../../src/commerce/service.ts");
  const { orders } = await import("../../src/commerce/schema.ts");
  const { messages } = await import("../../src/inbox/schema.ts");
  const { pollWoo } = await import("../../src/commerce/stores.ts");
  store.woo.push({
    id: 501,
    name: "Taza",
    sku: "TAZA",
    price: "120.00",
    status: "publish",
    manage_stock: true,
    stock_quantity: 10,
    categories: [],
  });
  await t.req("POST", "/api/v1/stores/woocommerce/import", { headers: key() });
  const order = async (who: string) => {
    const c = (
      await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: who, name: "Ana" }, body: "hola" })
    ).conversationId;
    await addToCart(t.ctx, SYS, c, { sku: "TAZA", quantity: 2 });
    const o = await checkout(t.ctx, SYS, c, {});
    for (
      let i = 0;
      i < 100 && !(await t.ctx.db.select().from(orders).where(eq(orders.id, o.id)).get())!.externalId;
      i++
    )
      await Bun.sleep(10);
    return { o: (await t.ctx.db.select().from(orders).where(eq(orders.id, o.id)).get())!, c };
  };
  const { o, c } = await order("w1");
  expect([o.externalSource, o.externalId]).toEqual(["woocommerce", "7001"]);
  expect(store.wooOrders[0]).toMatchObject({ status: "processing", line_items: [{ product_id: 501, quantity: 2 }] });
  // the store completes it: a signed order.updated webhook; the customer is told
  const done = JSON.stringify(store.setWooOrder(7001, "processing"));
  const send = (body: string, delivery: string) =>
    t.req("POST", "/webhooks/woocommerce", {
      body,
      headers: {
        "content-type": "application/json",
        "x-wc-webhook-topic": "order.updated",
        "x-wc-webhook-signature": b64(WOO_SECRET, body),
        "x-wc-webhook-delivery-id": delivery,
      },
    });
  expect((await (await send(done, "o1")).json()).outcome).toBe("confirmed");
  const completed = JSON.stringify(store.setWooOrder(7001, "completed"));
  expect((await (await send(completed, "o2")).json()).outcome).toBe("picked_up");
  expect((await (await send(completed, "o2")).json()).outcome).toBe("duplicate");
  const told = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, c))).map((m) => m.body);
  expect(told).toContain(`Recogiste tu pedido ${o.number}. ¡Gracias por tu compra!`);
  // a webhook that never came: the poll reads the store's change back
  const second = await order("w2");
  store.setWooOrder(Number(second.o.externalId), "cancelled");
  const r = await pollWoo(t.ctx);
  expect(r.changed).toBe(1);
  expect((await t.ctx.db.select().from(orders).where(eq(orders.id, second.o.id)).get())!.status).toBe("cancelled");
  expect((await pollWoo(t.ctx)).changed).toBe(0);
});

test("WooCommerce's real order body: paid and processing in the store is paid and confirmed here", async () => {
  const { ingestInbound } = await import("../../src/inbox/service.ts");
  const { addToCart, checkout } = await import("../../src/commerce/service.ts");
  const { orders } = await import("../../src/commerce/schema.ts");
  await createProduct(t.ctx, SYS, { sku: "GORRA", name: "Gorra", price: 3000 });
  const c = (
    await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: "w3", name: "Ana" }, body: "hola" })
  ).conversationId;
  await addToCart(t.ctx, SYS, c, { sku: "GORRA" });
  const o = await checkout(t.ctx, SYS, c, {});
  // as if it had been pushed and the store had numbered it 727 (the fixture's order)
  await t.ctx.database.write((tx) =>
    tx.update(orders).set({ externalSource: "woocommerce", externalId: "727" }).where(eq(orders.id, o.id)),
  );
  const body = raw("woocommerce/order-created.json");
  const r = await t.req("POST", "/webhooks/woocommerce", {
    body,
    headers: {
      "content-type": "application/json",
      "x-wc-webhook-topic": "order.updated",
      "x-wc-webhook-signature": b64(WOO_SECRET, body),
      "x-wc-webhook-delivery-id": "real-1",
    },
  });
  expect((await r.json()).outcome).toBe("unchanged"); // paid moved it to confirmed already: processing is no further
  const now = (await t.ctx.db.select().from(orders).where(eq(orders.id, o.id)).get())!;
  expect([now.paymentStatus, now.status]).toEqual(["paid", "confirmed"]);
});

test("Shopify orders: the store's checkout link sent in chat; its real orders webhook, found by our number, pays and closes ours", async () => {
  const { ingestInbound } = await import("../../src/inbox/service.ts");
  const { addToCart, checkout } = await import("../../src/commerce/service.ts");
  const { orders } = await import("../../src/commerce/schema.ts");
  const { messages } = await import("../../src/inbox/schema.ts");
  await shopifyHook(raw("shopify/products-update.json"), "products/update");
  const tee = (await byExternal("gid://shopify/Product/788032119674292922"))!;
  const c = (
    await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: "sh1", name: "Ana" }, body: "hola" })
  ).conversationId;
  await addToCart(t.ctx, SYS, c, { sku: tee.sku, variant: "medium", quantity: 2 });
  const o = await checkout(t.ctx, SYS, c, {});
  const r = await t.req("POST", `/api/v1/orders/${o.id}/shopify-checkout`, { headers: key() });
  // the variant's id from its gid (757650484644203962), not the rounded number
  const url = `https://mitienda.myshopify.com/cart/757650484644203962:2?attributes[digybot_order]=${o.number}`;
  expect((await r.json()).data.url).toBe(url);
  expect((await t.ctx.db.select().from(messages).where(eq(messages.conversationId, c))).map((m) => m.body)).toContain(
    `Puedes pagar tu pedido ${o.number} ($39.98 MXN) aquí: ${url}`,
  );
  // the store's orders/create body (the fixture), with our number as its cart attribute, paid
  const body = JSON.parse(raw("shopify/orders-create.json"));
  const paid = JSON.stringify({
    ...body,
    cancelled_at: null,
    financial_status: "paid",
    fulfillment_status: null,
    note_attributes: [{ name: "digybot_order", value: o.number }],
  });
  expect((await (await shopifyHook(paid, "orders/create")).json()).outcome).toBe("paid");
  let now = (await t.ctx.db.select().from(orders).where(eq(orders.id, o.id)).get())!;
  expect([now.paymentStatus, now.status, now.externalId]).toEqual([
    "paid",
    "confirmed",
    "gid://shopify/Order/820982911946154508",
  ]);
  // fulfilled in the store: picked up here (found now by the order's gid)
  const fulfilled = JSON.stringify({
    ...body,
    cancelled_at: null,
    financial_status: "paid",
    fulfillment_status: "fulfilled",
    note_attributes: [],
  });
  expect((await (await shopifyHook(fulfilled, "orders/fulfilled")).json()).outcome).toBe("picked_up");
  now = (await t.ctx.db.select().from(orders).where(eq(orders.id, o.id)).get())!;
  expect(now.status).toBe("picked_up");
  // a product not from the store cannot be sent to its checkout
  await createProduct(t.ctx, SYS, { sku: "LOCAL", name: "Local", price: 100 });
  await addToCart(t.ctx, SYS, c, { sku: "LOCAL" });
  const o2 = await checkout(t.ctx, SYS, c, {});
  const bad = await t.req("POST", `/api/v1/orders/${o2.id}/shopify-checkout`, { headers: key() });
  expect([bad.status, (await bad.json()).error.code]).toEqual([400, "not_a_store_product"]);
});

test("WooCommerce variable products: their variations are its variants (import, webhook), an order names the variation", async () => {
  const { ingestInbound } = await import("../../src/inbox/service.ts");
  const { addToCart, checkout } = await import("../../src/commerce/service.ts");
  const variation = (id: number, size: string, flavour: string, price: string, stock: number | null) => ({
    id,
    sku: `PLAYERA-${id}`,
    price,
    regular_price: price,
    manage_stock: stock !== null,
    stock_quantity: stock,
    stock_status: stock === 0 ? "outofstock" : "instock",
    attributes: [
      { id: 1, name: "Talla", option: size },
      { id: 2, name: "Color", option: flavour },
    ],
  });
  store.woo.push({
    id: 600,
    name: "Playera",
    type: "variable",
    sku: "PLAYERA",
    price: "199.00",
    status: "publish",
    manage_stock: false,
    stock_status: "instock",
    categories: [{ id: 9, name: "Ropa" }],
    variations: [601, 602, 603],
  });
  store.wooVariations["600"] = [
    variation(601, "Chica", "Negro", "199.00", 5),
    variation(602, "Grande", "Negro", "219.00", 0),
    variation(603, "Grande", "Blanco", "219.00", null),
  ];
  const r = await t.req("POST", "/api/v1/stores/woocommerce/import", { headers: key() });
  expect(r.status).toBe(200);
  let p = (await byExternal("600"))!;
  expect(p.variants).toEqual([
    { key: "chica-negro", name: "Chica / Negro", price: 19900, stock: 5, externalId: "601" },
    { key: "grande-negro", name: "Grande / Negro", price: 21900, stock: 0, externalId: "602" },
    { key: "grande-blanco", name: "Grande / Blanco", price: 21900, stock: null, externalId: "603" },
  ]);
  expect([p.price, p.stock, p.category]).toEqual([19900, null, "Ropa"]);
  expect(store.requests.some((x) => x.path === "/wp-json/wc/v3/products/600/variations")).toBe(true);

  // a product.updated delivery names the variations by id only: they are read again from the store
  store.wooVariations["600"]![0]!.stock_quantity = 2;
  const body = JSON.stringify({ ...store.woo[0], date_modified_gmt: "2030-01-01T00:00:00" });
  const hook = await t.req("POST", "/webhooks/woocommerce", {
    body,
    headers: {
      "content-type": "application/json",
      "x-wc-webhook-topic": "product.updated",
      "x-wc-webhook-signature": b64(WOO_SECRET, body),
      "x-wc-webhook-delivery-id": "var-1",
    },
  });
  expect(hook.status).toBe(200);
  p = (await byExternal("600"))!;
  expect(p.variants.map((v) => [v.key, v.stock])).toEqual([
    ["chica-negro", 2],
    ["grande-negro", 0],
    ["grande-blanco", null],
  ]);

  // an order of a variant goes to the store with its variation's id
  const c = (
    await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: "wv", name: "Ana" }, body: "hola" })
  ).conversationId;
  await addToCart(t.ctx, SYS, c, { sku: "PLAYERA", variant: "grande-blanco", quantity: 1 });
  await checkout(t.ctx, SYS, c, {});
  for (let i = 0; i < 100 && !store.wooOrders.length; i++) await Bun.sleep(10);
  expect(store.wooOrders[0]).toMatchObject({ line_items: [{ product_id: 600, variation_id: 603, quantity: 1 }] });
});

test("Shopify inventory_levels/update (the real body): the variant's total over every location, asked of the shop", async () => {
  // the product, from the real products/update body: two variants
  expect((await (await shopifyHook(raw("shopify/products-update.json"), "products/update")).json()).outcome).toBe(
    "created",
  );
  const body = raw("shopify/inventory_levels-update.json");
  // the body's numeric inventory_item_id is rounded (…884000); its gid keeps the true one (…884015)
  const item = "gid://shopify/InventoryItem/271878346596884015";
  store.shopifyInventory[item] = {
    id: "gid://shopify/ProductVariant/757650484644203962",
    inventoryQuantity: 12,
    product: { id: "gid://shopify/Product/788032119674292922" },
  };
  const r = await shopifyHook(body, "inventory_levels/update");
  expect(await r.json()).toEqual({ received: true, outcome: "stock" });
  const p = (await byExternal("gid://shopify/Product/788032119674292922"))!;
  expect(p.variants.map((v) => [v.key, v.stock])).toEqual([
    ["small", 75],
    ["medium", 12],
  ]);
  // signed wrongly: refused, nothing read from the shop
  const asked = store.requests.length;
  expect(
    (await shopifyHook(body, "inventory_levels/update", { "x-shopify-hmac-sha256": b64("nope", body) })).status,
  ).toBe(401);
  expect(store.requests.length).toBe(asked);
  // an item the shop does not know (or of a product we do not have) changes nothing
  delete store.shopifyInventory[item];
  expect((await (await shopifyHook(body, "inventory_levels/update")).json()).outcome).toBe("ignored");
});
