// Shopify and WooCommerce (manual 4): the store's products, variants, stock and prices imported into the catalog
// and kept in sync through the store's webhooks, each verified (Shopify's X-Shopify-Hmac-Sha256 and WooCommerce's
// X-WC-Webhook-Signature: base64 HMAC-SHA256 of the raw body), handled once however often it is sent, older
// changes ignored. Shopify's ids exceed 2^53: they are read only as strings (admin_graphql_api_id), never as
// JSON numbers. WooCommerce's first delivery is an unsigned `webhook_id=N` ping that must get 200.
import { z } from "zod";
import { createHmac, timingSafeEqual } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { orders, paymentNotices, products, type OrderStatus, type Variant } from "./schema.ts";
import { contacts } from "../inbox/schema.ts";
import { newId } from "../platform/ids.ts";
import { AppError, badRequest } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { getSetting, putSetting } from "../setup/service.ts";
import { maskFields, mergeSecrets, openFields, sealFields } from "../platform/secrets.ts";
import { FetchRefused, guardedFetch } from "../platform/net-guard.ts";
import { parsePrice } from "./service.ts";
import type { Tx } from "../platform/db.ts";

// a store's JSON, read field by field (its shape is the store's, checked where it is used)
// biome-ignore lint/suspicious/noExplicitAny: external JSON
type Obj = Record<string, any>;

const SECRETS = new Set(["accessToken", "webhookSecret", "consumerKey", "consumerSecret"]);
export const storeSettings = z.strictObject({
  shopify: z
    .strictObject({
      /** mitienda.myshopify.com */
      shop: z
        .string()
        .trim()
        .regex(/^$|^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "the shop's myshopify.com address")
        .default(""),
      accessToken: z.string().trim().max(300).default(""),
      /** the app's client secret, which signs the webhooks */
      webhookSecret: z.string().trim().max(300).default(""),
      /** the Admin API's address (by default the shop's own) */
      apiUrl: z
        .url({ protocol: /^https?$/ })
        .or(z.literal(""))
        .default(""),
    })
    .default({ shop: "", accessToken: "", webhookSecret: "", apiUrl: "" }),
  woocommerce: z
    .strictObject({
      /** the store's address, https://mitienda.com */
      url: z
        .url({ protocol: /^https?$/ })
        .or(z.literal(""))
        .default(""),
      consumerKey: z.string().trim().max(300).default(""),
      consumerSecret: z.string().trim().max(300).default(""),
      webhookSecret: z.string().trim().max(300).default(""),
    })
    .default({ url: "", consumerKey: "", consumerSecret: "", webhookSecret: "" }),
});
export type StoreSettings = z.output<typeof storeSettings>;

export async function getStoreSettings(ctx: Ctx): Promise<StoreSettings> {
  const raw = ((await getSetting<Record<string, Record<string, unknown>>>(ctx, "stores")) ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  return storeSettings.parse({
    shopify: openFields(raw.shopify ?? {}, SECRETS),
    woocommerce: openFields(raw.woocommerce ?? {}, SECRETS),
  });
}
/** The settings as a person sees them: a secret only as its last four characters. */
export async function storeSettingsView(ctx: Ctx) {
  const s = await getStoreSettings(ctx);
  return {
    shopify: {
      ...maskFields(s.shopify, SECRETS),
      configured: !!(s.shopify.shop && s.shopify.accessToken && s.shopify.webhookSecret),
    },
    woocommerce: {
      ...maskFields(s.woocommerce, SECRETS),
      configured: !!(s.woocommerce.url && s.woocommerce.consumerKey && s.woocommerce.consumerSecret),
    },
  };
}
/** Saves a store's settings; a secret left empty or sent back as shown (••••1234) stays as it was. */
export async function saveStoreSettings(ctx: Ctx, actor: Actor, input: Record<string, Record<string, unknown>>) {
  assertAdmin(actor);
  const cur = await getStoreSettings(ctx);
  const v = storeSettings.parse({
    shopify: mergeSecrets(cur.shopify, input?.shopify, SECRETS),
    woocommerce: mergeSecrets(cur.woocommerce, input?.woocommerce, SECRETS),
  });
  await ctx.database.write((tx) =>
    putSetting(
      tx,
      "stores",
      { shopify: sealFields(v.shopify, SECRETS), woocommerce: sealFields(v.woocommerce, SECRETS) },
      ctx.clock.now(),
    ),
  );
  return storeSettingsView(ctx);
}

// ---------------------------------------------------------------- a store's product in our catalog

type StoreProduct = {
  source: "shopify" | "woocommerce";
  externalId: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price: number;
  stock: number | null;
  /** undefined: not known from this delivery (the ones we have are kept) */
  variants: Variant[] | undefined;
  /** a product of one variant: that variant's id in the store */
  externalVariantId: string | null;
  active: boolean;
  updatedAt: number;
};

const text = (html: unknown) =>
  String(html ?? "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 4000);
const money = (v: unknown) => parsePrice(String(v ?? "")) ?? 0;
const when = (v: unknown) => {
  const t = Date.parse(String(v ?? ""));
  return Number.isFinite(t) ? t : 0;
};
const tail = (gid: string) => gid.split("/").pop() ?? gid;
const keyOf = (s: string) =>
  s
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 64) || "v";

/**
 * A Shopify product (its webhook body or the Admin API's) as ours. Every id is read from admin_graphql_api_id
 * (a string): the numeric `id` fields are already rounded by any JSON.parse.
 */
export function fromShopify(p: Obj): StoreProduct {
  const gid = String(p.admin_graphql_api_id ?? p.id ?? "");
  if (!gid.startsWith("gid://shopify/Product/")) throw badRequest("invalid_store_product", "Not a Shopify product");
  const vs: Obj[] = p.variants ?? [];
  const stockOf = (v: Obj) =>
    v.inventory_quantity === null || v.inventory_quantity === undefined
      ? null
      : Math.max(0, Number(v.inventory_quantity));
  const single = vs.length <= 1;
  const used = new Set<string>();
  const variants: Variant[] = single
    ? []
    : vs.map((v) => {
        let key = keyOf(String(v.title ?? ""));
        if (used.has(key)) key = `${key}-${tail(String(v.admin_graphql_api_id ?? ""))}`.slice(0, 64);
        used.add(key);
        return {
          key,
          name: String(v.title ?? "").slice(0, 100) || key,
          price: money(v.price),
          stock: stockOf(v),
          ...(v.admin_graphql_api_id ? { externalId: String(v.admin_graphql_api_id) } : {}),
        };
      });
  const first = vs[0];
  return {
    source: "shopify",
    externalId: gid,
    sku: (single && first?.sku ? String(first.sku) : `SHOP-${tail(gid)}`).slice(0, 64),
    name: String(p.title ?? "").slice(0, 200) || `Shopify ${tail(gid)}`,
    description: text(p.body_html),
    category: String(p.product_type ?? "").slice(0, 100),
    price: single ? money(first?.price) : Math.min(...variants.map((v) => v.price)),
    stock: single && first ? stockOf(first) : null,
    variants,
    externalVariantId: single && first?.admin_graphql_api_id ? String(first.admin_graphql_api_id) : null,
    active: (p.status ?? "active") === "active",
    updatedAt: when(p.updated_at),
  };
}

/** A WooCommerce product (its webhook body or the REST API's: the same object) as ours. */
/** A WooCommerce stock as ours: counted when the store manages it, 0 when out of stock, else not tracked. */
const wooStock = (p: Obj) =>
  p.manage_stock === true ? Math.max(0, Number(p.stock_quantity ?? 0)) : p.stock_status === "outofstock" ? 0 : null;

/**
 * A WooCommerce product as ours. A variable product's variations (GET /products/{id}/variations) become its
 * variants: named by their attributes' options ("Grande / Fresa"), each with its price, stock and the variation's
 * id; without them (a webhook's body lists only their ids) `variants` is undefined and the ones we have are kept.
 */
export function fromWoo(p: Obj, variations?: Obj[]): StoreProduct {
  if (p.id === undefined || p.name === undefined)
    throw badRequest("invalid_store_product", "Not a WooCommerce product");
  const id = String(p.id);
  const variable = p.type === "variable";
  const used = new Set<string>();
  const variants: Variant[] | undefined = !variable
    ? []
    : variations?.map((v) => {
        const name =
          ((v.attributes ?? []) as Obj[])
            .map((a) => String(a.option ?? "").trim())
            .filter(Boolean)
            .join(" / ")
            .slice(0, 100) || `#${v.id}`;
        let key = keyOf(name) || `v${v.id}`;
        if (used.has(key)) key = `${key}-${v.id}`.slice(0, 64);
        used.add(key);
        return { key, name, price: money(v.price), stock: wooStock(v), externalId: String(v.id) };
      });
  const prices = (variants ?? []).map((v) => v.price);
  return {
    source: "woocommerce",
    externalId: id,
    sku: (p.sku ? String(p.sku) : `WOO-${id}`).slice(0, 64),
    name: String(p.name).slice(0, 200),
    description: text(p.short_description || p.description),
    category: String(p.categories?.[0]?.name ?? "").slice(0, 100),
    price: prices.length ? Math.min(...prices) : money(p.price),
    // a variable product's stock is its variations'
    stock: variable ? null : wooStock(p),
    variants,
    externalVariantId: null,
    active: p.status === "publish" && p.purchasable !== false,
    updatedAt: when(p.date_modified_gmt ? `${p.date_modified_gmt}Z` : p.date_modified),
  };
}

/** Creates or updates our copy of a store's product; a change older than the one applied is ignored. */
async function upsertTx(tx: Tx, sp: StoreProduct, now: number) {
  const cur = await tx
    .select()
    .from(products)
    .where(and(eq(products.externalSource, sp.source), eq(products.externalId, sp.externalId)))
    .get();
  if (cur?.externalUpdatedAt && sp.updatedAt && sp.updatedAt < cur.externalUpdatedAt) return "stale";
  const fields = {
    name: sp.name,
    description: sp.description,
    category: sp.category,
    price: sp.price,
    stock: sp.stock,
    // (undefined: the store's delivery did not say them; the ones we have stay)
    ...(sp.variants ? { variants: sp.variants } : {}),
    externalVariantId: sp.externalVariantId,
    active: sp.active,
    externalUpdatedAt: sp.updatedAt || now,
    updatedAt: now,
  };
  if (cur) {
    await tx.update(products).set(fields).where(eq(products.id, cur.id));
    return "updated";
  }
  // a SKU the catalog already has (typed by hand before the store was connected) is that product
  const bySku = await tx.select().from(products).where(eq(products.sku, sp.sku)).get();
  if (bySku) {
    await tx
      .update(products)
      .set({ ...fields, externalSource: sp.source, externalId: sp.externalId })
      .where(eq(products.id, bySku.id));
    return "updated";
  }
  await tx.insert(products).values({
    id: newId(now),
    sku: sp.sku,
    currency: "MXN",
    modifiers: [],
    availability: null,
    lowStock: null,
    categoryId: null,
    externalSource: sp.source,
    externalId: sp.externalId,
    createdAt: now,
    ...fields,
  });
  return "created";
}

// ---------------------------------------------------------------- webhooks

function sameB64(given: string | undefined, secret: string, raw: string) {
  if (!given || !secret) return false;
  const want = createHmac("sha256", secret).update(raw, "utf8").digest();
  const got = Buffer.from(given, "base64");
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Once per delivery id: true the first time (the delivery is then recorded in the same write). */
async function firstTimeTx(tx: Tx, id: string, outcome: string, now: number) {
  const r = await tx
    .insert(paymentNotices)
    .values({ id, orderId: null, outcome, receivedAt: now })
    .onConflictDoNothing()
    .returning({ id: paymentNotices.id });
  return r.length > 0;
}

/** POST /webhooks/shopify: verified over the raw bytes, before anything is parsed. */
export async function shopifyWebhook(
  ctx: Ctx,
  raw: string,
  h: { hmac?: string; topic?: string; webhookId?: string; shop?: string },
) {
  const s = await getStoreSettings(ctx);
  if (!sameB64(h.hmac, s.shopify.webhookSecret, raw))
    throw new AppError(401, "bad_signature", "The X-Shopify-Hmac-Sha256 header does not match the app's secret");
  if (s.shopify.shop && h.shop && h.shop.toLowerCase() !== s.shopify.shop)
    throw new AppError(401, "bad_signature", "The delivery is for another shop");
  const topic = h.topic ?? "";
  let body: Obj;
  try {
    body = JSON.parse(raw);
  } catch {
    throw badRequest("invalid_json", "The body is not JSON");
  }
  const now = ctx.clock.now();
  if (topic.startsWith("orders/")) {
    if (h.webhookId) {
      const first = await ctx.database.write((tx) => firstTimeTx(tx, `shopify:${h.webhookId}`, topic, now));
      if (!first) return "duplicate";
    }
    return applyShopifyOrder(ctx, topic, body);
  }
  // a stock change at one location: the variant's total over every location is asked of the shop first
  const level = topic === "inventory_levels/update" ? await shopifyLevel(s.shopify, body) : null;
  return ctx.database.write(async (tx) => {
    if (h.webhookId && !(await firstTimeTx(tx, `shopify:${h.webhookId}`, topic, now))) return "duplicate";
    if (topic === "products/create" || topic === "products/update") return upsertTx(tx, fromShopify(body), now);
    if (level) return applyLevelTx(tx, level, now);
    if (topic === "products/delete") {
      const gid = String(body.admin_graphql_api_id ?? "");
      // a delete's body may carry only the numeric id, already rounded: then there is nothing safe to match
      if (!gid) return "ignored";
      await tx
        .update(products)
        .set({ active: false, updatedAt: now })
        .where(and(eq(products.externalSource, "shopify"), eq(products.externalId, gid)));
      return "deactivated";
    }
    return "ignored";
  });
}

/** POST /webhooks/woocommerce: the unsigned ping answered 200; every other delivery verified, then applied once. */
export async function wooWebhook(
  ctx: Ctx,
  raw: string,
  h: { signature?: string; topic?: string; deliveryId?: string },
) {
  if (/^webhook_id=\d+$/.test(raw.trim())) return "ping";
  const s = await getStoreSettings(ctx);
  if (!sameB64(h.signature, s.woocommerce.webhookSecret, raw))
    throw new AppError(401, "bad_signature", "The X-WC-Webhook-Signature header does not match the webhook's secret");
  let body: Obj;
  try {
    body = JSON.parse(raw);
  } catch {
    throw badRequest("invalid_json", "The body is not JSON");
  }
  const topic = h.topic ?? "";
  const now = ctx.clock.now();
  if (topic.startsWith("order.")) {
    if (h.deliveryId) {
      const first = await ctx.database.write((tx) => firstTimeTx(tx, `woocommerce:${h.deliveryId}`, topic, now));
      if (!first) return "duplicate";
    }
    return applyWooOrder(ctx, body);
  }
  // a variable product's body names its variations by id only: they are read from the store first (a store that
  // cannot be reached then leaves the variants we have as they are)
  const productTopic = topic === "product.created" || topic === "product.updated" || topic === "product.restored";
  let variations: Obj[] | undefined;
  if (productTopic && body.type === "variable" && s.woocommerce.url)
    variations = await wooVariations(s.woocommerce, body.id).catch((e) => {
      if (!(e instanceof AppError)) throw e;
      ctx.log.warn("woocommerce variations unread", { product: String(body.id), error: e.message });
      return undefined;
    });
  return ctx.database.write(async (tx) => {
    if (h.deliveryId && !(await firstTimeTx(tx, `woocommerce:${h.deliveryId}`, topic, now))) return "duplicate";
    if (productTopic) return upsertTx(tx, fromWoo(body, variations), now);
    if (topic === "product.deleted") {
      await tx
        .update(products)
        .set({ active: false, updatedAt: now })
        .where(and(eq(products.externalSource, "woocommerce"), eq(products.externalId, String(body.id))));
      return "deactivated";
    }
    return "ignored";
  });
}

// ---------------------------------------------------------------- import

const wooAuth = (c: { consumerKey: string; consumerSecret: string }) =>
  `Basic ${Buffer.from(`${c.consumerKey}:${c.consumerSecret}`).toString("base64")}`;

/** A variable product's variations, every page of them (GET /wp-json/wc/v3/products/{id}/variations). */
async function wooVariations(c: { url: string; consumerKey: string; consumerSecret: string }, productId: unknown) {
  const out: Obj[] = [];
  for (let page = 1; page <= 20; page++) {
    const r = await storeFetch(
      `${c.url.replace(/\/$/, "")}/wp-json/wc/v3/products/${encodeURIComponent(String(productId))}/variations?per_page=100&page=${page}`,
      { authorization: wooAuth(c) },
    );
    const list = JSON.parse(r.text) as Obj[];
    out.push(...list);
    if (!list.length || page >= Number(r.headers.get("x-wp-totalpages") ?? "1")) break;
  }
  return out;
}

async function storeFetch(url: string, headers: Record<string, string>, body?: string) {
  try {
    const r = await guardedFetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers: { accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      originHeaders: headers,
      body,
      allowHosts: [new URL(url).hostname.toLowerCase()],
      maxBytes: 8 * 1024 * 1024,
      timeoutMs: 20_000,
      maxRedirects: 2,
    });
    if (!r.ok) throw new AppError(502, "store_error", `The store answered ${r.status}`, { status: r.status });
    return { text: r.text(), headers: r.headers };
  } catch (e) {
    if (e instanceof FetchRefused)
      throw new AppError(502, "store_unreachable", `The store could not be reached: ${e.message}`);
    throw e;
  }
}

/** Shopify's GraphQL endpoint of the connected shop (its apiUrl when set: a proxy, or the tests' double). */
const shopifyEndpoint = (c: { shop: string; apiUrl: string }) =>
  `${(c.apiUrl || `https://${c.shop}`).replace(/\/$/, "")}/admin/api/2025-01/graphql.json`;

const LEVEL_QUERY = `query Level($id: ID!) {
  inventoryItem(id: $id) { id variant { id inventoryQuantity product { id } } }
}`;

/**
 * An inventory_levels/update delivery's item (read from its admin_graphql_api_id: the numeric inventory_item_id is
 * already rounded by JSON.parse), and that item's variant with its quantity over every location, from the shop.
 * Null for a delivery that names no item.
 */
async function shopifyLevel(c: { shop: string; apiUrl: string; accessToken: string }, body: Obj) {
  const item = /[?&]inventory_item_id=(\d+)/.exec(String(body.admin_graphql_api_id ?? ""))?.[1];
  if (!item || !c.accessToken) return null;
  const r = await storeFetch(
    shopifyEndpoint(c),
    { "x-shopify-access-token": c.accessToken },
    JSON.stringify({ query: LEVEL_QUERY, variables: { id: `gid://shopify/InventoryItem/${item}` } }),
  );
  const v = (JSON.parse(r.text) as { data?: { inventoryItem?: Obj | null } }).data?.inventoryItem?.variant;
  if (!v?.id || !v.product?.id) return null;
  const q = v.inventoryQuantity;
  return {
    productId: String(v.product.id),
    variantId: String(v.id),
    stock: q === null || q === undefined ? null : Math.max(0, Number(q)),
  };
}

/** The variant's (or a one-variant product's) stock as the shop counts it now. */
async function applyLevelTx(tx: Tx, l: { productId: string; variantId: string; stock: number | null }, now: number) {
  const p = await tx
    .select()
    .from(products)
    .where(and(eq(products.externalSource, "shopify"), eq(products.externalId, l.productId)))
    .get();
  if (!p) return "ignored";
  if (p.variants.some((v) => v.externalId === l.variantId)) {
    const variants = p.variants.map((v) => (v.externalId === l.variantId ? { ...v, stock: l.stock } : v));
    await tx.update(products).set({ variants, updatedAt: now }).where(eq(products.id, p.id));
    return "stock";
  }
  if (p.externalVariantId === l.variantId || !p.variants.length) {
    await tx.update(products).set({ stock: l.stock, updatedAt: now }).where(eq(products.id, p.id));
    return "stock";
  }
  return "ignored";
}

const SHOPIFY_QUERY = `query Products($after: String) {
  products(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id title descriptionHtml productType status updatedAt
      variants(first: 100) { nodes { id title sku price inventoryQuantity } }
    }
  }
}`;

/** Every product of the connected store into the catalog (created or updated), page by page. */
export async function importStore(ctx: Ctx, actor: Actor, kind: "shopify" | "woocommerce") {
  assertAdmin(actor);
  const s = await getStoreSettings(ctx);
  const found: StoreProduct[] = [];
  if (kind === "shopify") {
    const c = s.shopify;
    if (!c.shop || !c.accessToken) throw badRequest("store_not_configured", "Connect the Shopify store first");
    const endpoint = shopifyEndpoint(c);
    let after: string | null = null;
    for (let page = 0; page < 200; page++) {
      const r = await storeFetch(
        endpoint,
        { "x-shopify-access-token": c.accessToken },
        JSON.stringify({ query: SHOPIFY_QUERY, variables: { after } }),
      );
      const j = JSON.parse(r.text) as { data?: { products?: Obj }; errors?: unknown };
      const ps = j.data?.products;
      if (!ps) throw new AppError(502, "store_error", "The store's answer has no products", { errors: j.errors });
      for (const n of ps.nodes as Obj[])
        found.push(
          fromShopify({
            admin_graphql_api_id: n.id,
            title: n.title,
            body_html: n.descriptionHtml,
            product_type: n.productType,
            status: String(n.status ?? "ACTIVE").toLowerCase(),
            updated_at: n.updatedAt,
            variants: (n.variants?.nodes ?? []).map((v: Obj) => ({
              admin_graphql_api_id: v.id,
              title: v.title,
              sku: v.sku,
              price: v.price,
              inventory_quantity: v.inventoryQuantity,
            })),
          }),
        );
      if (!ps.pageInfo?.hasNextPage) break;
      after = ps.pageInfo.endCursor;
    }
  } else {
    const c = s.woocommerce;
    if (!c.url || !c.consumerKey || !c.consumerSecret)
      throw badRequest("store_not_configured", "Connect the WooCommerce store first");
    const auth = wooAuth(c);
    for (let page = 1; page <= 200; page++) {
      const r = await storeFetch(`${c.url.replace(/\/$/, "")}/wp-json/wc/v3/products?per_page=100&page=${page}`, {
        authorization: auth,
      });
      const list = JSON.parse(r.text) as Obj[];
      for (const p of list) found.push(fromWoo(p, p.type === "variable" ? await wooVariations(c, p.id) : undefined));
      const pages = Number(r.headers.get("x-wp-totalpages") ?? "1");
      if (!list.length || page >= pages) break;
    }
  }
  const now = ctx.clock.now();
  const counts = { created: 0, updated: 0, stale: 0 };
  await ctx.database.write(async (tx) => {
    for (const p of found) counts[(await upsertTx(tx, p, now)) as keyof typeof counts]++;
  });
  return counts;
}

// ---------------------------------------------------------------- orders and the store (WooCommerce)

/** WooCommerce's order statuses as ours (the steps a store moves an order through). */
const WOO_STATUS: Record<string, OrderStatus | "delivered_or_picked"> = {
  processing: "confirmed",
  completed: "delivered_or_picked",
  cancelled: "cancelled",
  refunded: "refunded",
  failed: "cancelled",
};

/**
 * An order taken in chat whose products are all the WooCommerce store's goes to the store as a processing order
 * (its lines by the store's product ids); the store's id is kept, so its later changes reach the conversation.
 */
export async function pushOrderToWoo(ctx: Ctx, orderId: string) {
  const s = (await getStoreSettings(ctx)).woocommerce;
  if (!s.url || !s.consumerKey || !s.consumerSecret) return null;
  const o = await ctx.db.select().from(orders).where(eq(orders.id, orderId)).get();
  if (!o || o.externalId) return null;
  const ps = await ctx.db.select().from(products).where(eq(products.externalSource, "woocommerce"));
  const bySku = new Map(ps.map((p) => [p.sku, p]));
  const contact = o.contactId
    ? await ctx.db.select().from(contacts).where(eq(contacts.id, o.contactId)).get()
    : undefined;
  const body = {
    status: "processing",
    set_paid: o.paymentStatus === "paid",
    customer_note: o.notes,
    billing: { first_name: contact?.name ?? "", phone: contact?.phone ?? "", email: contact?.email ?? "" },
    shipping: o.fulfilment === "delivery" ? { address_1: o.address } : undefined,
    // a variant's line names the store's variation
    line_items: o.items.map((i) => {
      const p = bySku.get(i.sku);
      const v = i.variant ? p?.variants.find((x) => x.key === i.variant)?.externalId : undefined;
      return { product_id: Number(p?.externalId), ...(v ? { variation_id: Number(v) } : {}), quantity: i.quantity };
    }),
    meta_data: [{ key: "digybot_order", value: o.number }],
  };
  const auth = wooAuth(s);
  const r = await storeFetch(
    `${s.url.replace(/\/$/, "")}/wp-json/wc/v3/orders`,
    { authorization: auth },
    JSON.stringify(body),
  );
  const made = JSON.parse(r.text) as { id?: number | string };
  if (made.id === undefined) throw new AppError(502, "store_error", "The store did not say the order's id");
  await ctx.database.write((tx) =>
    tx
      .update(orders)
      .set({ externalSource: "woocommerce", externalId: String(made.id) })
      .where(eq(orders.id, o.id)),
  );
  return String(made.id);
}

/** The store changed an order we pushed: its new status becomes ours when it is a move ours may make (told to the customer). */
async function applyWooOrder(ctx: Ctx, body: Obj) {
  const id = body.id === undefined ? "" : String(body.id);
  const o = id
    ? await ctx.db
        .select()
        .from(orders)
        .where(and(eq(orders.externalSource, "woocommerce"), eq(orders.externalId, id)))
        .get()
    : undefined;
  const mapped = WOO_STATUS[String(body.status ?? "")];
  if (!o || !mapped) return "ignored";
  const { nextStatuses, setOrderStatus, markPaid } = await import("./orders.ts");
  const store: Actor = { kind: "system", name: "WooCommerce" };
  if (body.date_paid_gmt && o.paymentStatus !== "paid" && o.status !== "cancelled")
    await markPaid(ctx, store, o.id, {});
  const now = (await ctx.db.select().from(orders).where(eq(orders.id, o.id)).get())!;
  const target: OrderStatus =
    mapped === "delivered_or_picked" ? (now.fulfilment === "pickup" ? "picked_up" : "delivered") : mapped;
  if (target === now.status || !nextStatuses(now).includes(target)) return "unchanged";
  await setOrderStatus(ctx, store, o.id, { status: target });
  return target;
}

/**
 * WooCommerce never retries a failed delivery (and disables a webhook after 5 failures): every few minutes the
 * orders changed since the last look are read back (`modified_after`) and applied like a webhook.
 */
export async function pollWoo(ctx: Ctx) {
  const s = (await getStoreSettings(ctx)).woocommerce;
  if (!s.url || !s.consumerKey || !s.consumerSecret) return { checked: 0, changed: 0 };
  const pushed = await ctx.db
    .select({ id: orders.id })
    .from(orders)
    .where(eq(orders.externalSource, "woocommerce"))
    .limit(1);
  if (!pushed.length) return { checked: 0, changed: 0 };
  const since = (await getSetting<number>(ctx, "stores_polled_at")) ?? ctx.clock.now() - 86_400_000;
  const startedAt = ctx.clock.now();
  const auth = wooAuth(s);
  let checked = 0,
    changed = 0;
  for (let page = 1; page <= 50; page++) {
    const r = await storeFetch(
      `${s.url.replace(/\/$/, "")}/wp-json/wc/v3/orders?modified_after=${encodeURIComponent(new Date(since - 60_000).toISOString())}&per_page=100&page=${page}`,
      { authorization: auth },
    );
    const list = JSON.parse(r.text) as Obj[];
    for (const o of list) {
      checked++;
      const outcome = await applyWooOrder(ctx, o);
      if (outcome !== "ignored" && outcome !== "unchanged") changed++;
    }
    if (!list.length || page >= Number(r.headers.get("x-wp-totalpages") ?? "1")) break;
  }
  await ctx.database.write((tx) => putSetting(tx, "stores_polled_at", startedAt, ctx.clock.now()));
  return { checked, changed };
}

// ---------------------------------------------------------------- orders and the store (Shopify)

/**
 * An order of the Shopify store's products is paid in the store: its cart link (the store's own checkout, the
 * variants and quantities, our order's number as a cart attribute) is sent in the conversation. The store's order
 * webhooks then find ours by that attribute.
 */
export async function sendShopifyCheckout(ctx: Ctx, actor: Actor, orderId: string) {
  const s = (await getStoreSettings(ctx)).shopify;
  if (!s.shop) throw badRequest("store_not_configured", "Connect the Shopify store first");
  const { getOrder } = await import("./orders.ts");
  const o = await getOrder(ctx, actor, orderId);
  const ps = await ctx.db.select().from(products).where(eq(products.externalSource, "shopify"));
  const bySku = new Map(ps.map((p) => [p.sku, p]));
  const parts: string[] = [];
  for (const i of o.items) {
    const p = bySku.get(i.sku);
    const gid = i.variant ? p?.variants.find((v) => v.key === i.variant)?.externalId : p?.externalVariantId;
    if (!gid)
      throw badRequest("not_a_store_product", `${i.name} is not one of the Shopify store's products`, { sku: i.sku });
    parts.push(`${tail(gid)}:${i.quantity}`);
  }
  const url = `https://${s.shop}/cart/${parts.join(",")}?attributes[digybot_order]=${encodeURIComponent(o.number)}`;
  await ctx.database.write((tx) =>
    tx
      .update(orders)
      .set({ externalSource: "shopify", paymentMethod: "link", paymentStatus: "pending" })
      .where(eq(orders.id, o.id)),
  );
  const { sendPayLink } = await import("./payments.ts");
  await sendPayLink(ctx, o, url, `shopify-cart:${o.id}`);
  return { url };
}

/** orders/create, orders/paid, orders/fulfilled, orders/cancelled: ours found by its number (the cart attribute). */
async function applyShopifyOrder(ctx: Ctx, topic: string, body: Obj) {
  const attrs: Obj[] = body.note_attributes ?? [];
  const number = String(attrs.find((a) => a.name === "digybot_order")?.value ?? "");
  const gid = String(body.admin_graphql_api_id ?? "");
  const o =
    (number
      ? await ctx.db
          .select()
          .from(orders)
          .where(and(eq(orders.number, number), eq(orders.externalSource, "shopify")))
          .get()
      : undefined) ??
    (gid
      ? await ctx.db
          .select()
          .from(orders)
          .where(and(eq(orders.externalSource, "shopify"), eq(orders.externalId, gid)))
          .get()
      : undefined);
  if (!o) return "ignored";
  if (gid && o.externalId !== gid)
    await ctx.database.write((tx) => tx.update(orders).set({ externalId: gid }).where(eq(orders.id, o.id)));
  const { nextStatuses, setOrderStatus, markPaid } = await import("./orders.ts");
  const store: Actor = { kind: "system", name: "Shopify" };
  if (body.cancelled_at || topic === "orders/cancelled") {
    if (nextStatuses(o).includes("cancelled"))
      await setOrderStatus(ctx, store, o.id, { status: "cancelled", reason: String(body.cancel_reason ?? "shopify") });
    return "cancelled";
  }
  if (body.financial_status === "paid" && o.paymentStatus !== "paid")
    await markPaid(ctx, store, o.id, { method: "link", reference: `shopify ${body.name ?? gid}` });
  if (body.fulfillment_status === "fulfilled") {
    const now = (await ctx.db.select().from(orders).where(eq(orders.id, o.id)).get())!;
    const target = now.fulfilment === "pickup" ? "picked_up" : "delivered";
    if (nextStatuses(now).includes(target)) await setOrderStatus(ctx, store, o.id, { status: target });
    return target;
  }
  return body.financial_status === "paid" ? "paid" : "unchanged";
}
