import { sqliteTable, text, integer, index, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";

/** A product's sizes or flavours: each its own price (minor units) and its own stock (null: not tracked). */
export type Variant = {
  key: string;
  name: string;
  price: number;
  stock: number | null;
  /** its id in the store it came from (a Shopify variant's gid) */
  externalId?: string;
};
/** A product's picture: the file as uploaded and its thumbnail (both rows of `files`). */
export type ProductImage = { fileId: string; thumbId: string; name: string };
/** An extra the customer may add ("con queso +$10"), priced on top of the product or variant. */
export type Modifier = { key: string; name: string; price: number };
/** When a product can be ordered: weekdays (0 Sunday … 6 Saturday) and a time span in the business time zone. */
export type Availability = { days: number[]; from: string; to: string } | null;

/** The catalog's categories, a tree (a category may sit inside another). */
export const productCategories = sqliteTable(
  "product_categories",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    parentId: text("parent_id").references((): AnySQLiteColumn => productCategories.id, { onDelete: "set null" }),
    position: integer("position").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("product_categories_name").on(t.parentId, t.name)],
);

// The catalog (manual 2.5, 6.8). Money in minor units with its currency; stock null means not tracked.
export const products = sqliteTable(
  "products",
  {
    id: text("id").primaryKey(),
    sku: text("sku").notNull().unique(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    category: text("category").notNull().default(""),
    categoryId: text("category_id").references(() => productCategories.id, { onDelete: "set null" }),
    price: integer("price").notNull(),
    currency: text("currency").notNull().default("MXN"),
    stock: integer("stock"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    variants: text("variants", { mode: "json" }).notNull().$type<Variant[]>().default([]),
    modifiers: text("modifiers", { mode: "json" }).notNull().$type<Modifier[]>().default([]),
    availability: text("availability", { mode: "json" }).$type<Availability>(),
    /** its pictures, first the main one: each a stored file and its thumbnail (a small JPEG made when uploaded) */
    images: text("images", { mode: "json" }).notNull().$type<ProductImage[]>().default([]),
    /** low-stock alert threshold (null: no alert) */
    lowStock: integer("low_stock"),
    /** a product kept in sync with a store: shopify or woocommerce, its id there (a string: Shopify's exceed 2^53) */
    externalSource: text("external_source"),
    externalId: text("external_id"),
    /** a store's product of one variant: that variant's id there (what a Shopify cart link names) */
    externalVariantId: text("external_variant_id"),
    /** the store's last change of it that was applied (older deliveries are ignored) */
    externalUpdatedAt: integer("external_updated_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("products_name").on(t.name),
    index("products_category").on(t.categoryId),
    uniqueIndex("products_external").on(t.externalSource, t.externalId),
  ],
);

export type OrderItem = {
  sku: string;
  name: string;
  quantity: number;
  /** the unit price charged: the product's or variant's plus its modifiers */
  price: number;
  variant?: string | null;
  variantName?: string | null;
  modifiers?: { key: string; name: string; price: number }[];
  note?: string;
};

export const ORDER_STATUSES = [
  "new",
  "confirmed",
  "preparing",
  "ready",
  "on_the_way",
  "delivered",
  "picked_up",
  "cancelled",
  "refunded",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const PAYMENT_METHODS = ["cash", "transfer", "card", "link"] as const;
export const PAYMENT_STATUSES = ["unpaid", "pending", "paid", "refunded"] as const;

// Orders taken in chat or synced from a store; customers ask for their status by number.
export const orders = sqliteTable(
  "orders",
  {
    id: text("id").primaryKey(),
    number: text("number").notNull().unique(),
    contactId: text("contact_id"),
    conversationId: text("conversation_id"),
    status: text("status", { enum: ORDER_STATUSES }).notNull().default("new"),
    items: text("items", { mode: "json" }).notNull().$type<OrderItem[]>().default([]),
    subtotal: integer("subtotal").notNull().default(0),
    discount: integer("discount").notNull().default(0),
    /** the promotions that made the discount, each with its amount */
    promotions: text("promotions", { mode: "json" })
      .notNull()
      .$type<{ id: string; name: string; amount: number }[]>()
      .default([]),
    deliveryFee: integer("delivery_fee").notNull().default(0),
    total: integer("total").notNull(),
    currency: text("currency").notNull().default("MXN"),
    fulfilment: text("fulfilment", { enum: ["pickup", "delivery"] })
      .notNull()
      .default("pickup"),
    address: text("address").notNull().default(""),
    location: text("location", { mode: "json" }).$type<{ lat: number; lng: number } | null>(),
    paymentMethod: text("payment_method", { enum: PAYMENT_METHODS }),
    paymentStatus: text("payment_status", { enum: PAYMENT_STATUSES }).notNull().default("unpaid"),
    paidAt: integer("paid_at"),
    /** when it was delivered, picked up, cancelled or refunded */
    closedAt: integer("closed_at"),
    /** the customer's tracking link's secret (the page shows the courier's last position and an ETA) */
    trackingToken: text("tracking_token"),
    /** the order as pushed to a store (woocommerce) and its id there */
    externalSource: text("external_source"),
    externalId: text("external_id"),
    runId: text("run_id"),
    notes: text("notes").notNull().default(""),
    /** where it came from: chat (an agent, an AI agent, a flow), api, or a store */
    source: text("source").notNull().default("api"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("orders_contact").on(t.contactId, t.createdAt),
    index("orders_status").on(t.status, t.createdAt),
    index("orders_conversation").on(t.conversationId),
  ],
);

/** Every change of an order: created, a status move, paid, a change of its items; who did it and when. */
export const orderHistory = sqliteTable(
  "order_history",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    at: integer("at").notNull(),
    kind: text("kind").notNull(),
    actor: text("actor", { mode: "json" }).$type<{ type: string; id?: string | null; name?: string }>(),
    data: text("data", { mode: "json" }).notNull().$type<Record<string, unknown>>().default({}),
  },
  (t) => [index("order_history_order").on(t.orderId, t.at)],
);

/**
 * Stock held for an order at checkout: taken off the product's stock at once (so nobody else can buy it), kept
 * when the order is confirmed or paid, given back when the order is cancelled or the hold expires first.
 */
export const stockHolds = sqliteTable(
  "stock_holds",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    sku: text("sku").notNull(),
    variant: text("variant"),
    quantity: integer("quantity").notNull(),
    status: text("status", { enum: ["held", "kept", "released"] })
      .notNull()
      .default("held"),
    expiresAt: integer("expires_at").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("stock_holds_due").on(t.status, t.expiresAt), index("stock_holds_order").on(t.orderId)],
);

export type CartLine = {
  id: string;
  sku: string;
  variant: string | null;
  modifiers: string[];
  quantity: number;
  note: string;
};

/** The cart of a conversation: what the customer is choosing, priced again from the catalog on every read. */
export const carts = sqliteTable(
  "carts",
  {
    id: text("id").primaryKey(),
    conversationId: text("conversation_id").notNull().unique(),
    contactId: text("contact_id"),
    lines: text("lines", { mode: "json" }).notNull().$type<CartLine[]>().default([]),
    fulfilment: text("fulfilment", { enum: ["pickup", "delivery"] }),
    address: text("address").notNull().default(""),
    location: text("location", { mode: "json" }).$type<{ lat: number; lng: number } | null>(),
    notes: text("notes").notNull().default(""),
    couponCode: text("coupon_code"),
    /** when automations were told it was abandoned (once per filling) */
    abandonedAt: integer("abandoned_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("carts_updated").on(t.updatedAt)],
);

/** A payment link sent for an order: a Stripe Checkout session or a Mercado Pago preference. */
export const paymentLinks = sqliteTable(
  "payment_links",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: ["stripe", "mercadopago"] }).notNull(),
    /** the provider's id: the session (cs_…) or the preference */
    externalId: text("external_id").notNull(),
    url: text("url").notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: ["open", "paid"] })
      .notNull()
      .default("open"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("payment_links_order").on(t.orderId),
    uniqueIndex("payment_links_external").on(t.provider, t.externalId),
  ],
);

/** Notifications from payment providers already handled (they retry for days): provider and their id. */
export const paymentNotices = sqliteTable("payment_notices", {
  id: text("id").primaryKey(),
  orderId: text("order_id"),
  outcome: text("outcome").notNull(),
  receivedAt: integer("received_at").notNull(),
});

/**
 * A promotion applied live to carts: percent or amount off a product, a category or the whole cart, or buy X get Y;
 * automatic, or behind a coupon code; within dates, a daily time span (happy hour) and a number of uses.
 */
export const promotions = sqliteTable(
  "promotions",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["percent", "amount", "buy_x_get_y"] }).notNull(),
    /** percent: 1–100; amount: minor units (per unit for a product or category, once for the cart) */
    value: integer("value").notNull().default(0),
    scope: text("scope", { enum: ["cart", "product", "category"] })
      .notNull()
      .default("cart"),
    sku: text("sku"),
    categoryId: text("category_id").references(() => productCategories.id, { onDelete: "cascade" }),
    buyQuantity: integer("buy_quantity"),
    getQuantity: integer("get_quantity"),
    /** a coupon's code (upper case); null: applied by itself */
    code: text("code"),
    minSubtotal: integer("min_subtotal").notNull().default(0),
    startsAt: integer("starts_at"),
    endsAt: integer("ends_at"),
    hours: text("hours", { mode: "json" }).$type<Availability>(),
    maxUses: integer("max_uses"),
    uses: integer("uses").notNull().default(0),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("promotions_code").on(t.code)],
);

/** A courier: no console account, a private link to their phone page (its token kept only as a hash). */
export const couriers = sqliteTable("couriers", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  phone: text("phone").notNull().default(""),
  tokenHash: text("token_hash").notNull().unique(),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  /** the last position the courier's phone shared */
  position: text("position", { mode: "json" }).$type<{ lat: number; lng: number; at: number } | null>(),
  createdAt: integer("created_at").notNull(),
});

export type RunStop = { orderId: string; etaMinutes: number; deliveredAt: number | null };

/** Orders grouped into a courier's run, in the order the route plan gave. */
export const deliveryRuns = sqliteTable(
  "delivery_runs",
  {
    id: text("id").primaryKey(),
    courierId: text("courier_id")
      .notNull()
      .references(() => couriers.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["planned", "on_the_way", "done"] })
      .notNull()
      .default("planned"),
    stops: text("stops", { mode: "json" }).notNull().$type<RunStop[]>().default([]),
    totalMinutes: integer("total_minutes").notNull().default(0),
    startedAt: integer("started_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("delivery_runs_courier").on(t.courierId, t.status)],
);

/**
 * A price list: other prices for some products (and their variants) on some channels or for contacts with some
 * tags (a wholesale customer, the delivery apps' channel). The first active list that matches a conversation
 * prices its cart; products it does not name keep the catalog's price.
 */
export const priceLists = sqliteTable("price_lists", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  channelIds: text("channel_ids", { mode: "json" }).notNull().$type<string[]>().default([]),
  tagIds: text("tag_ids", { mode: "json" }).notNull().$type<string[]>().default([]),
  /** saved contact segments (contacts' filters) whose contacts it prices */
  segmentIds: text("segment_ids", { mode: "json" }).notNull().$type<string[]>().default([]),
  /** "SKU" or "SKU:variant" → the price in minor units */
  prices: text("prices", { mode: "json" }).notNull().$type<Record<string, number>>().default({}),
  position: integer("position").notNull().default(0),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at").notNull(),
});
