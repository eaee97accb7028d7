// Orders inside the conversation (manual 2.5): the conversation's cart, priced again from the catalog on every read
// (variants, modifiers, schedules, stock); checkout, which holds the stock at once so 200 customers racing for the
// last 10 units end with exactly 10 orders; and the order's life, new → confirmed → preparing → ready → on the way →
// delivered / picked up (or cancelled, refunded), each step in its history, an event for automations, and a word
// to the customer in their channel.
import { z } from "zod";
import { randomBytes } from "node:crypto";
import { and, asc, desc, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import {
  carts,
  orderHistory,
  orders,
  products,
  stockHolds,
  ORDER_STATUSES,
  PAYMENT_METHODS,
  type CartLine,
  type OrderItem,
  type OrderStatus,
} from "./schema.ts";
import { conversations } from "../inbox/schema.ts";
import type { AfterCommit, Db, Tx } from "../platform/db.ts";

type Reader = Pick<Tx, "select"> | Pick<Db, "select">;
import { newId } from "../platform/ids.ts";
import { AppError, badRequest, conflict, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { idRef } from "../platform/validation.ts";
import { canSee, checkReferences, contactVisibleWhere } from "../inbox/visibility.ts";
import { actorRef } from "../inbox/contacts.ts";
import { businessLocale, getBusiness, getSetting, putSetting } from "../setup/service.ts";
import { translator } from "../../ui/i18n/index.ts";
import type { Order, Product } from "./service.ts";
import { applyPromotions, useCouponsTx, runsAt, type DiscountLine } from "./promotions.ts";
import { promotions } from "./schema.ts";
import { getDeliverySettings, placeAddress } from "./delivery.ts";
import { priceListFor, withPriceList } from "./price-lists.ts";

// ---------------------------------------------------------------- settings

export const commerceSettings = z.strictObject({
  /** how long checkout holds the stock of an order nobody confirmed or paid */
  holdMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(30),
  /** a cart with items and no checkout for this long is abandoned (an automation trigger) */
  abandonedMinutes: z
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(60),
  /** the customer is told of each step of their order in their channel */
  notifyCustomer: z.boolean().default(true),
  /**
   * the approved WhatsApp template that tells a step once the 24-hour window has closed: {{1}} the order's number,
   * {{2}} its new status in words
   */
  statusTemplate: z
    .strictObject({ name: z.string().trim().min(1).max(512), language: z.string().trim().min(2).max(15) })
    .nullable()
    .default(null),
});
export type CommerceSettings = z.output<typeof commerceSettings>;
export async function getCommerceSettings(ctx: Ctx) {
  return commerceSettings.parse((await getSetting<unknown>(ctx, "commerce")) ?? {});
}
export async function saveCommerceSettings(ctx: Ctx, actor: Actor, input: z.input<typeof commerceSettings>) {
  assertAdmin(actor);
  const v = commerceSettings.parse(input);
  await ctx.database.write((tx) => putSetting(tx, "commerce", v, ctx.clock.now()));
  return v;
}

// ---------------------------------------------------------------- pricing

/** Weekday (0 Sunday) and HH:MM now in a time zone; a formatter per zone, kept. */
const zoneClocks = new Map<string, Intl.DateTimeFormat>();
function localClock(tz: string, at: number) {
  let f = zoneClocks.get(tz);
  if (!f)
    zoneClocks.set(
      tz,
      (f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        weekday: "short",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      })),
    );
  const p = f.formatToParts(new Date(at));
  const get = (t: string) => p.find((x) => x.type === t)!.value;
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(get("weekday"));
  return { day, hm: `${get("hour")}:${get("minute")}` };
}

/** Whether a product can be ordered at `at` (its schedule, in the business time zone). */
export function availableAt(p: Pick<Product, "availability">, tz: string, at: number) {
  const a = p.availability;
  if (!a) return true;
  const { day, hm } = localClock(tz, at);
  if (a.days.length && !a.days.includes(day)) return false;
  return a.from <= a.to ? hm >= a.from && hm < a.to : hm >= a.from || hm < a.to; // a span may cross midnight
}

/** What stands in a line's way: the product gone, a variant or extra it does not have, its hours, its stock. */
export type LineProblem =
  | "unknown_product"
  | "variant_required"
  | "unknown_variant"
  | "unknown_modifier"
  | "not_available_now"
  | "out_of_stock"
  | "not_enough_stock";

/**
 * A cart line or an order item in words, the same wherever a customer reads it (the AI agent's tools, the ordering
 * flow, the WhatsApp catalog reply, the abandoned-cart event): "2 × Taco al pastor (grande) + Con queso", and
 * " — $50.00 MXN" when a total and a money formatter are given.
 */
export function lineText(
  l: {
    quantity: number;
    name: string;
    variantName?: string | null;
    modifierNames?: string[];
    /** an order item's extras (a cart line's are keys: its modifierNames say them) */
    modifiers?: readonly ({ name: string } | string)[] | null;
    total?: number;
  },
  money?: (minor: number) => string,
) {
  const mods = l.modifierNames ?? (l.modifiers ?? []).flatMap((m) => (typeof m === "string" ? [] : [m.name]));
  return `${l.quantity} × ${l.name}${l.variantName ? ` (${l.variantName})` : ""}${mods.length ? ` + ${mods.join(", ")}` : ""}${money && l.total !== undefined ? ` — ${money(l.total)}` : ""}`;
}

export type PricedLine = CartLine & {
  name: string;
  variantName: string | null;
  modifierNames: string[];
  unitPrice: number;
  total: number;
  /** units left (null: not tracked) */
  stock: number | null;
  categoryId: string | null;
  problem: LineProblem | null;
};

function stockOf(p: Product, variant: string | null) {
  if (variant) return p.variants.find((v) => v.key === variant)?.stock ?? null;
  return p.stock;
}

/** Prices a line from its product: the variant's price (or the product's) plus each modifier's. */
export function priceLine(p: Product | undefined, line: CartLine, tz: string, at: number): PricedLine {
  const base = { ...line, variantName: null, modifierNames: [], unitPrice: 0, total: 0, stock: null, categoryId: null };
  if (!p?.active) return { ...base, name: line.sku, problem: "unknown_product" };
  let unit = p.price,
    problem: LineProblem | null = null,
    variantName: string | null = null;
  if (p.variants.length) {
    const v = p.variants.find((x) => x.key === line.variant);
    if (!line.variant) problem = "variant_required";
    else if (!v) problem = "unknown_variant";
    else {
      unit = v.price;
      variantName = v.name;
    }
  } else if (line.variant) problem = "unknown_variant";
  const modifierNames: string[] = [];
  for (const k of line.modifiers) {
    const m = p.modifiers.find((x) => x.key === k);
    if (!m) problem ??= "unknown_modifier";
    else {
      unit += m.price;
      modifierNames.push(m.name);
    }
  }
  const stock = stockOf(p, line.variant);
  if (!problem && !availableAt(p, tz, at)) problem = "not_available_now";
  if (!problem && stock !== null && stock <= 0) problem = "out_of_stock";
  if (!problem && stock !== null && stock < line.quantity) problem = "not_enough_stock";
  return {
    ...line,
    name: p.name,
    variantName,
    modifierNames,
    unitPrice: unit,
    total: unit * line.quantity,
    stock,
    categoryId: p.categoryId,
    problem,
  };
}

export type DeliveryQuote =
  | { served: true; zone: string | null; fee: number; minOrder: number; minutes: number | null }
  | {
      served: false;
      reason: "outside" | "unknown_place" | "no_delivery" | "no_address";
      pickup: boolean;
      zones: string[];
    };

/** What delivering to an address costs, or why it cannot be done (no zones set: every address, no fee). */
export async function quoteDelivery(
  ctx: Ctx,
  where: { address: string; location: { lat: number; lng: number } | null },
) {
  const d = await getDeliverySettings(ctx);
  if (!d.delivery) return { served: false, reason: "no_delivery", pickup: d.pickup, zones: [] } as DeliveryQuote;
  if (!where.address.trim() && !where.location)
    return {
      served: false,
      reason: "no_address",
      pickup: d.pickup,
      zones: d.zones.map((z) => z.name),
    } as DeliveryQuote;
  if (!d.zones.length) return { served: true, zone: null, fee: 0, minOrder: 0, minutes: null } as DeliveryQuote;
  const p = placeAddress(d, where);
  if (!p.served) return { served: false, reason: p.reason, pickup: p.pickup, zones: p.zones } as DeliveryQuote;
  return {
    served: true,
    zone: p.zone.name,
    fee: p.zone.fee,
    minOrder: p.zone.minOrder,
    minutes: p.zone.minutes,
  } as DeliveryQuote;
}

export type PricedCart = {
  conversationId: string;
  lines: PricedLine[];
  subtotal: number;
  total: number;
  currency: string;
  fulfilment: "pickup" | "delivery" | null;
  address: string;
  notes: string;
  /** delivery: the zone that serves the address (its fee is in the total), or why none does */
  delivery: DeliveryQuote | null;
  /** the promotions applied now, each with its amount, and their sum */
  discounts: DiscountLine[];
  discount: number;
  couponCode: string | null;
  /** lines that cannot be ordered as they are */
  problems: { lineId: string; sku: string; problem: LineProblem }[];
  updatedAt: number | null;
};

async function productsBySku(db: Reader, skus: string[]) {
  if (!skus.length) return new Map<string, Product>();
  const rows = await (db as Pick<Tx, "select">)
    .select()
    .from(products)
    .where(inArray(products.sku, [...new Set(skus)]));
  return new Map(rows.map((p) => [p.sku, p]));
}

async function timeZone(ctx: Ctx) {
  return (await getBusiness(ctx))?.timezone ?? "America/Mexico_City";
}

async function priceCart(
  ctx: Ctx,
  db: Reader,
  conversationId: string,
  cart: typeof carts.$inferSelect | undefined,
): Promise<PricedCart> {
  const lines = cart?.lines ?? [];
  const bySku = withPriceList(
    await productsBySku(
      db,
      lines.map((l) => l.sku),
    ),
    lines.length ? await priceListFor(ctx, db, { conversationId }) : null,
  );
  const tz = await timeZone(ctx),
    now = ctx.clock.now();
  const priced = lines.map((l) => priceLine(bySku.get(l.sku), l, tz, now));
  const ok = priced.filter((l) => !l.problem || l.problem === "not_enough_stock");
  const subtotal = ok.reduce((s, l) => s + l.total, 0);
  const promo = await applyPromotions(db, ok, { tz, at: now, couponCode: cart?.couponCode ?? null });
  const delivery =
    cart?.fulfilment === "delivery"
      ? await quoteDelivery(ctx, { address: cart.address, location: cart.location ?? null })
      : null;
  return {
    conversationId,
    lines: priced,
    subtotal,
    delivery,
    discounts: promo.discounts,
    discount: promo.discount,
    couponCode: cart?.couponCode ?? null,
    total: subtotal - promo.discount + (delivery?.served ? delivery.fee : 0),
    currency: [...bySku.values()][0]?.currency ?? "MXN",
    fulfilment: cart?.fulfilment ?? null,
    address: cart?.address ?? "",
    notes: cart?.notes ?? "",
    problems: priced.filter((l) => l.problem).map((l) => ({ lineId: l.id, sku: l.sku, problem: l.problem! })),
    updatedAt: cart?.updatedAt ?? null,
  };
}

// ---------------------------------------------------------------- the cart

async function conversationFor(db: Reader, actor: Actor, conversationId: string) {
  const conv = await (db as Pick<Tx, "select">)
    .select({
      id: conversations.id,
      contactId: conversations.contactId,
      assigneeId: conversations.assigneeId,
      departmentId: conversations.departmentId,
    })
    .from(conversations)
    .where(eq(conversations.id, conversationId))
    .get();
  if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
  return conv;
}

/** The conversation's cart, priced now (an empty one when it has none). */
export async function getCart(ctx: Ctx, actor: Actor, conversationId: string) {
  await conversationFor(ctx.db, actor, conversationId);
  const cart = await ctx.db.select().from(carts).where(eq(carts.conversationId, conversationId)).get();
  return priceCart(ctx, ctx.db, conversationId, cart);
}

export const cartItemInput = z.strictObject({
  sku: z.string().trim().min(1).max(64),
  variant: z.string().trim().min(1).max(64).nullable().default(null),
  modifiers: z.array(z.string().trim().min(1).max(64)).max(20).default([]),
  quantity: z.number().int().min(1).max(999).default(1),
  note: z.string().max(300).default(""),
});
export const cartLinePatch = z.strictObject({ quantity: z.number().int().min(0).max(999) });
export const cartDetailsInput = z.strictObject({
  fulfilment: z.enum(["pickup", "delivery"]).optional(),
  address: z.string().trim().max(500).optional(),
  location: z
    .strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) })
    .nullable()
    .optional(),
  notes: z.string().max(1000).optional(),
});

const sameLine = (a: CartLine, b: Pick<CartLine, "sku" | "variant" | "modifiers" | "note">) =>
  a.sku === b.sku &&
  a.variant === b.variant &&
  a.note === b.note &&
  [...a.modifiers].sort().join("|") === [...b.modifiers].sort().join("|");

/** Changes the conversation's cart in one write and returns it priced; live consoles hear of it (commerce.cart_updated). */
async function changeCart(
  ctx: Ctx,
  actor: Actor,
  conversationId: string,
  change: (
    lines: CartLine[],
    cart: typeof carts.$inferSelect | undefined,
    tx: Tx,
  ) => Promise<Partial<typeof carts.$inferInsert> | undefined> | Partial<typeof carts.$inferInsert> | undefined,
) {
  return ctx.database.write(async (tx, after) => {
    const conv = await conversationFor(tx, actor, conversationId);
    const cur = await tx.select().from(carts).where(eq(carts.conversationId, conversationId)).get();
    const lines = [...(cur?.lines ?? [])];
    const patch = (await change(lines, cur, tx)) ?? {};
    const now = ctx.clock.now();
    const next = { lines, ...patch, updatedAt: now, abandonedAt: null };
    if (cur) await tx.update(carts).set(next).where(eq(carts.id, cur.id));
    else
      await tx
        .insert(carts)
        .values({ id: newId(now), conversationId, contactId: conv.contactId, createdAt: now, ...next });
    const row = await tx.select().from(carts).where(eq(carts.conversationId, conversationId)).get();
    const priced = await priceCart(ctx, tx, conversationId, row);
    await ctx.events.record(tx, after, {
      type: "commerce.cart_updated",
      conversationId,
      actor: actorRef(actor),
      data: {
        conversationId,
        contactId: conv.contactId,
        // who may hear of it live: the conversation's people
        assigneeId: conv.assigneeId,
        departmentId: conv.departmentId,
        lines: priced.lines.length,
        subtotal: priced.subtotal,
      },
    });
    return priced;
  });
}

/**
 * Adds an item (a product, its variant and extras): the same item again adds to its quantity. Refused, with the
 * cart unchanged, when the product is not sold, the variant or an extra does not exist, it is outside its hours, or
 * there is not that much stock left.
 */
export async function addToCart(ctx: Ctx, actor: Actor, conversationId: string, input: z.input<typeof cartItemInput>) {
  const it = cartItemInput.parse(input);
  const tz = await timeZone(ctx);
  return changeCart(ctx, actor, conversationId, async (lines, _cur, tx) => {
    const p = (await productsBySku(tx, [it.sku])).get(it.sku);
    const existing = lines.find((l) => sameLine(l, it));
    const quantity = (existing?.quantity ?? 0) + it.quantity;
    const line: CartLine = { id: existing?.id ?? newId(ctx.clock.now()), ...it, quantity };
    const priced = priceLine(p, line, tz, ctx.clock.now());
    if (priced.problem) throw lineRefusal(priced);
    if (existing) existing.quantity = quantity;
    else lines.push(line);
    return undefined;
  });
}

function lineRefusal(l: PricedLine) {
  const details = { sku: l.sku, variant: l.variant, problem: l.problem, stock: l.stock };
  switch (l.problem) {
    case "unknown_product":
      return badRequest("unknown_product", `No active product with SKU ${l.sku}`, details);
    case "variant_required":
      return badRequest("variant_required", `Choose a variant of ${l.name}`, details);
    case "unknown_variant":
      return badRequest("unknown_variant", `${l.name} has no variant ${l.variant}`, details);
    case "unknown_modifier":
      return badRequest("unknown_modifier", `${l.name} has no such extra`, details);
    case "not_available_now":
      return conflict("not_available_now", `${l.name} is not available at this time`, details);
    case "out_of_stock":
      return conflict("out_of_stock", `${l.name} is sold out`, details);
    default:
      return conflict("not_enough_stock", `Only ${l.stock} of ${l.name} left`, details);
  }
}

/** A line's new quantity (0 removes it). */
export async function updateCartLine(
  ctx: Ctx,
  actor: Actor,
  conversationId: string,
  lineId: string,
  input: z.input<typeof cartLinePatch>,
) {
  const { quantity } = cartLinePatch.parse(input);
  const tz = await timeZone(ctx);
  return changeCart(ctx, actor, conversationId, async (lines, _cur, tx) => {
    const i = lines.findIndex((l) => l.id === lineId);
    if (i < 0) throw notFound("Cart line");
    if (quantity === 0) lines.splice(i, 1);
    else {
      const p = (await productsBySku(tx, [lines[i].sku])).get(lines[i].sku);
      const priced = priceLine(p, { ...lines[i], quantity }, tz, ctx.clock.now());
      if (priced.problem && quantity > lines[i].quantity) throw lineRefusal(priced);
      lines[i] = { ...lines[i], quantity };
    }
    return undefined;
  });
}

export async function setCartDetails(
  ctx: Ctx,
  actor: Actor,
  conversationId: string,
  input: z.input<typeof cartDetailsInput>,
) {
  const d = cartDetailsInput.parse(input);
  return changeCart(ctx, actor, conversationId, () => d);
}

/**
 * A coupon on the cart (null takes it off): refused, the cart unchanged, when no promotion has that code, it is not
 * running (its dates, hours or uses), or it gives this cart nothing (its minimum, its products).
 */
export async function applyCoupon(ctx: Ctx, actor: Actor, conversationId: string, code: string | null) {
  const c = code?.trim().toUpperCase() || null;
  if (c && !/^[A-Z0-9_-]{1,32}$/.test(c))
    throw badRequest("unknown_coupon", "No coupon has that code", { field: "code" });
  const tz = await timeZone(ctx);
  return changeCart(ctx, actor, conversationId, async (lines, cur, tx) => {
    if (!c) return { couponCode: null };
    const p = await tx.select().from(promotions).where(eq(promotions.code, c)).get();
    if (!p) throw badRequest("unknown_coupon", "No coupon has that code", { field: "code", code: c });
    if (p.maxUses !== null && p.uses >= p.maxUses)
      throw conflict("coupon_used_up", "The coupon has no uses left", { code: c });
    if (!runsAt(p, tz, ctx.clock.now()))
      throw conflict("coupon_not_running", "The coupon is not valid now", { code: c });
    const priced = await priceCart(ctx, tx, conversationId, cur ? { ...cur, lines, couponCode: c } : undefined);
    if (!priced.discounts.some((d) => d.id === p.id))
      throw conflict("coupon_not_applicable", "The coupon gives this cart nothing", {
        code: c,
        minSubtotal: p.minSubtotal,
      });
    return { couponCode: c };
  });
}

export async function clearCart(ctx: Ctx, actor: Actor, conversationId: string) {
  return changeCart(ctx, actor, conversationId, (lines) => {
    lines.splice(0);
    return { fulfilment: null, address: "", location: null, notes: "", couponCode: null };
  });
}

// ---------------------------------------------------------------- orders

/** The moves an order may make: forward along its road (skipping steps is allowed), cancel before the end, refund a paid one. */
const FLOW: OrderStatus[] = ["new", "confirmed", "preparing", "ready", "on_the_way", "delivered"];
export function nextStatuses(o: Pick<Order, "status" | "fulfilment" | "paymentStatus">): OrderStatus[] {
  const s = o.status;
  if (s === "refunded") return [];
  if (s === "delivered" || s === "picked_up" || s === "cancelled")
    return o.paymentStatus === "paid" ? ["refunded"] : [];
  const road = o.fulfilment === "pickup" ? ["new", "confirmed", "preparing", "ready", "picked_up"] : FLOW;
  const at = road.indexOf(s);
  return [...(road.slice(at + 1) as OrderStatus[]), "cancelled"];
}

export const checkoutInput = z.strictObject({
  paymentMethod: z.enum(PAYMENT_METHODS).default("cash"),
  notes: z.string().max(2000).optional(),
});

export const orderInput = z.strictObject({
  number: z.string().trim().min(1).max(40).optional(),
  contactId: idRef.nullable().default(null),
  conversationId: idRef.nullable().default(null),
  status: z.enum(["new", "confirmed"]).default("new"),
  items: z.array(cartItemInput).min(1).max(200),
  fulfilment: z.enum(["pickup", "delivery"]).default("pickup"),
  address: z.string().trim().max(500).default(""),
  paymentMethod: z.enum(PAYMENT_METHODS).nullable().default(null),
  couponCode: z.string().trim().max(32).nullable().default(null),
  notes: z.string().max(2000).default(""),
});

async function historyTx(tx: Tx, orderId: string, kind: string, actor: Actor, at: number, data = {}) {
  await tx.insert(orderHistory).values({ id: newId(at), orderId, at, kind, actor: actorRef(actor), data });
}

async function orderEvent(ctx: Ctx, tx: Tx, after: AfterCommit, type: string, o: Order, actor: Actor, data = {}) {
  // who may hear of it live: the people of its conversation (an order without one: those who see everything)
  const scope = o.conversationId
    ? await tx
        .select({ assigneeId: conversations.assigneeId, departmentId: conversations.departmentId })
        .from(conversations)
        .where(eq(conversations.id, o.conversationId))
        .get()
    : undefined;
  await ctx.events.record(tx, after, {
    type,
    conversationId: o.conversationId,
    actor: actorRef(actor),
    data: {
      orderId: o.id,
      number: o.number,
      status: o.status,
      total: o.total,
      currency: o.currency,
      paymentStatus: o.paymentStatus,
      paymentMethod: o.paymentMethod,
      contactId: o.contactId,
      conversationId: o.conversationId,
      assigneeId: scope?.assigneeId ?? null,
      departmentId: scope?.departmentId ?? null,
      ...data,
    },
  });
}

/**
 * Takes the stock of the order's items in the same write that creates it: a line short of stock refuses the whole
 * order, so what one checkout took nobody else can (the writer serialises checkouts).
 */
async function holdStockTx(
  tx: Tx,
  orderId: string,
  items: OrderItem[],
  bySku: Map<string, Product>,
  at: number,
  expiresAt: number,
  lowStock: { sku: string; name: string; variant: string | null; left: number }[] = [],
) {
  const need = new Map<string, number>();
  for (const i of items) {
    const k = `${i.sku}\u0000${i.variant ?? ""}`;
    need.set(k, (need.get(k) ?? 0) + i.quantity);
  }
  for (const [k, qty] of need) {
    const [sku, variant] = k.split("\u0000");
    const p = bySku.get(sku)!;
    const left = stockOf(p, variant || null);
    if (left === null) continue;
    if (left < qty)
      throw conflict(
        left <= 0 ? "out_of_stock" : "not_enough_stock",
        left <= 0 ? `${p.name} is sold out` : `Only ${left} of ${p.name} left`,
        {
          sku,
          variant: variant || null,
          stock: left,
        },
      );
    if (variant) p.variants = p.variants.map((v) => (v.key === variant ? { ...v, stock: (v.stock ?? 0) - qty } : v));
    else p.stock = left - qty;
    // crossing the owner's alert level (or selling out) is an event: automations and the catalog page show it
    if (p.lowStock !== null && left > p.lowStock && left - qty <= p.lowStock)
      lowStock.push({ sku, name: p.name, variant: variant || null, left: left - qty });
    await tx.update(products).set({ stock: p.stock, variants: p.variants, updatedAt: at }).where(eq(products.id, p.id));
    await tx.insert(stockHolds).values({
      id: newId(at),
      orderId,
      sku,
      variant: variant || null,
      quantity: qty,
      expiresAt,
      createdAt: at,
    });
  }
}

/** Gives back the stock an order still holds (cancelled, refunded before it was kept, or its hold expired). */
async function releaseStockTx(tx: Tx, orderId: string, at: number) {
  const held = await tx
    .select()
    .from(stockHolds)
    .where(and(eq(stockHolds.orderId, orderId), inArray(stockHolds.status, ["held", "kept"])));
  for (const h of held) {
    const p = await tx.select().from(products).where(eq(products.sku, h.sku)).get();
    if (p) {
      if (h.variant)
        p.variants = p.variants.map((v) =>
          v.key === h.variant && v.stock !== null ? { ...v, stock: v.stock + h.quantity } : v,
        );
      else if (p.stock !== null) p.stock += h.quantity;
      await tx
        .update(products)
        .set({ stock: p.stock, variants: p.variants, updatedAt: at })
        .where(eq(products.id, p.id));
    }
    await tx.update(stockHolds).set({ status: "released" }).where(eq(stockHolds.id, h.id));
  }
  return held.length;
}

async function nextNumber(tx: Tx) {
  const r = await tx
    .select({ n: sql<number>`max(cast(${orders.number} as integer))` })
    .from(orders)
    .where(sql`${orders.number} glob '[0-9]*'`)
    .get();
  return String(Math.max(1000, Number(r?.n ?? 0)) + 1);
}

/** Creates an order inside a write: priced from the catalog (never from what a client sent), its stock held. */
async function createOrderTx(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  actor: Actor,
  o: z.output<typeof orderInput> & {
    source: string;
    deliveryFee?: number;
    location?: { lat: number; lng: number } | null;
  },
) {
  const refs = await checkReferences(tx, actor, { contactId: o.contactId, conversationId: o.conversationId });
  const raw = await productsBySku(
    tx,
    o.items.map((i) => i.sku),
  );
  // the list that prices this conversation (or contact) prices the order too
  const bySku = withPriceList(
    raw,
    await priceListFor(ctx, tx, { conversationId: o.conversationId, contactId: refs.contactId }),
  );
  const tz = await timeZone(ctx),
    now = ctx.clock.now();
  const items: OrderItem[] = [];
  let cur: string | null = null;
  for (const it of o.items) {
    const p = bySku.get(it.sku);
    const priced = priceLine(p, { id: "", ...it }, tz, now);
    // stock is checked below, summed over every line of the same product
    if (priced.problem && priced.problem !== "not_enough_stock" && priced.problem !== "out_of_stock")
      throw lineRefusal(priced);
    if (cur && p!.currency !== cur) throw badRequest("mixed_currencies", "An order's products share one currency");
    cur = p!.currency;
    items.push({
      sku: it.sku,
      name: p!.name,
      quantity: it.quantity,
      price: priced.unitPrice,
      variant: it.variant,
      variantName: priced.variantName,
      modifiers: it.modifiers.map((k) => p!.modifiers.find((m) => m.key === k)!),
      note: it.note,
    });
  }
  const number = o.number ?? (await nextNumber(tx));
  if (await tx.select({ id: orders.id }).from(orders).where(eq(orders.number, number)).get())
    throw conflict("order_number_taken", "Another order has this number", { field: "number" });
  const subtotal = items.reduce((s, i) => s + i.price * i.quantity, 0);
  // the promotions running now, priced again here (never what the cart showed a minute ago)
  const promo = await applyPromotions(
    tx,
    items.map((i) => ({
      sku: i.sku,
      quantity: i.quantity,
      unitPrice: i.price,
      total: i.price * i.quantity,
      categoryId: bySku.get(i.sku)?.categoryId ?? null,
    })),
    { tz, at: now, couponCode: o.couponCode },
  );
  // a coupon the customer was given but that no longer applies refuses the order, so they hear why
  if (o.couponCode && promo.coupon !== "applied") {
    const code = o.couponCode.toUpperCase();
    const p = await tx.select().from(promotions).where(eq(promotions.code, code)).get();
    if (!p) throw badRequest("unknown_coupon", "No coupon has that code", { code });
    if (p.maxUses !== null && p.uses >= p.maxUses)
      throw conflict("coupon_used_up", "The coupon has no uses left", { code });
    throw conflict(
      promo.coupon === "not_running" ? "coupon_not_running" : "coupon_not_applicable",
      "The coupon does not apply",
      {
        code,
      },
    );
  }
  const coupons = promo.discounts.filter((d) => d.code).map((d) => d.id);
  if (coupons.length) await useCouponsTx(tx, coupons);
  const row: Order = {
    id: newId(now),
    number,
    contactId: refs.contactId,
    conversationId: o.conversationId,
    status: o.status,
    items,
    subtotal,
    discount: promo.discount,
    promotions: promo.discounts.map(({ id, name, amount }) => ({ id, name, amount })),
    deliveryFee: o.deliveryFee ?? 0,
    total: subtotal - promo.discount + (o.deliveryFee ?? 0),
    currency: cur!,
    fulfilment: o.fulfilment,
    address: o.address,
    location: o.location ?? null,
    paymentMethod: o.paymentMethod,
    paymentStatus: "unpaid",
    paidAt: null,
    closedAt: null,
    // a delivery's tracking link
    trackingToken: o.fulfilment === "delivery" ? randomBytes(18).toString("base64url") : null,
    runId: null,
    externalSource: null,
    externalId: null,
    notes: o.notes,
    source: o.source,
    createdAt: now,
    updatedAt: now,
  };
  await tx.insert(orders).values(row);
  const { holdMinutes } = await getCommerceSettings(ctx);
  const low: { sku: string; name: string; variant: string | null; left: number }[] = [];
  await holdStockTx(tx, row.id, items, raw, now, now + holdMinutes * 60_000, low);
  for (const l of low)
    await ctx.events.record(tx, after, {
      type: "commerce.low_stock",
      actor: actorRef(actor),
      data: { ...l, orderId: row.id },
    });
  if (row.status === "confirmed") await keepStockTx(tx, row.id);
  await historyTx(tx, row.id, "created", actor, now, { status: row.status, total: row.total });
  await orderEvent(ctx, tx, after, "commerce.order_created", row, actor);
  // an order of a connected store's products goes to the store too, once it is committed
  const woo = items.every((i) => bySku.get(i.sku)?.externalSource === "woocommerce");
  if (woo)
    after(() => {
      void import("./stores.ts")
        .then((m) => m.pushOrderToWoo(ctx, row.id))
        .catch((e) => ctx.log.warn("order not pushed to the store", { orderId: row.id, error: String(e) }));
    });
  await tellCustomerTx(ctx, tx, after, row);
  return row;
}

async function keepStockTx(tx: Tx, orderId: string) {
  await tx
    .update(stockHolds)
    .set({ status: "kept" })
    .where(and(eq(stockHolds.orderId, orderId), eq(stockHolds.status, "held")));
}

/** An order through the API or the console (a person creating it for a customer). */
export async function createOrder(ctx: Ctx, actor: Actor, input: z.input<typeof orderInput>) {
  const o = orderInput.parse(input);
  return ctx.database.write((tx, after) =>
    createOrderTx(ctx, tx, after, actor, { ...o, source: actor.kind === "api_key" ? "api" : "console" }),
  );
}

/**
 * The conversation's cart becomes an order: refused while a line cannot be ordered or delivery has no address;
 * the stock is held and the cart emptied in the same write.
 */
export async function checkout(ctx: Ctx, actor: Actor, conversationId: string, input: z.input<typeof checkoutInput>) {
  const c = checkoutInput.parse(input);
  return ctx.database.write(async (tx, after) => {
    await conversationFor(tx, actor, conversationId);
    const cart = await tx.select().from(carts).where(eq(carts.conversationId, conversationId)).get();
    if (!cart?.lines.length) throw conflict("cart_empty", "The cart is empty");
    if (cart.fulfilment === "delivery" && !cart.address.trim() && !cart.location)
      throw badRequest("address_required", "Delivery needs an address", { field: "address" });
    let deliveryFee = 0;
    if (cart.fulfilment === "delivery") {
      // the cart as priced now: its delivery quote and the food it counts towards the zone's minimum
      const priced = await priceCart(ctx, tx, conversationId, cart);
      const q = priced.delivery!;
      if (!q.served)
        throw conflict(
          q.reason === "unknown_place" ? "address_unplaceable" : "outside_delivery_area",
          q.reason === "unknown_place"
            ? "The address could not be placed: ask for a location pin or a postal code"
            : "No delivery to that address",
          { pickup: q.pickup, zones: q.zones },
        );
      if (priced.subtotal - priced.discount < q.minOrder)
        throw conflict("below_delivery_minimum", "The order is below the zone's minimum for delivery", {
          minOrder: q.minOrder,
          zone: q.zone,
        });
      deliveryFee = q.fee;
    }
    const row = await createOrderTx(ctx, tx, after, actor, {
      number: undefined,
      contactId: null,
      conversationId,
      status: "new",
      items: cart.lines.map(({ sku, variant, modifiers, quantity, note }) => ({
        sku,
        variant,
        modifiers,
        quantity,
        note,
      })),
      fulfilment: cart.fulfilment ?? "pickup",
      address: cart.address,
      paymentMethod: c.paymentMethod,
      couponCode: cart.couponCode,
      notes: c.notes ?? cart.notes,
      source: actor.kind === "user" ? "console" : "chat",
      deliveryFee,
      location: cart.location ?? null,
    });
    await tx.delete(carts).where(eq(carts.id, cart.id));
    return row;
  });
}

export async function orderByNumber(ctx: Ctx, number: string) {
  return (
    ctx.db
      .select()
      .from(orders)
      .where(eq(orders.number, number.replace(/^#/, "").trim()))
      .get() ?? null
  );
}

export const orderFilters = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  contactId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Orders an actor may see: an agent those of contacts with a conversation she can see. */
export async function listOrders(ctx: Ctx, actor: Actor, opts: Partial<z.output<typeof orderFilters>> = {}) {
  return ctx.db
    .select()
    .from(orders)
    .where(
      and(
        contactVisibleWhere(actor, orders.contactId),
        opts.contactId ? eq(orders.contactId, opts.contactId) : undefined,
        opts.status ? eq(orders.status, opts.status) : undefined,
      ),
    )
    .orderBy(desc(orders.createdAt))
    .limit(opts.limit ?? 100);
}

export async function getOrder(ctx: Ctx, actor: Actor, id: string) {
  const o = await visibleOrder(ctx.db, actor, id);
  const history = await ctx.db
    .select()
    .from(orderHistory)
    .where(eq(orderHistory.orderId, id))
    .orderBy(asc(orderHistory.at), asc(orderHistory.id));
  return { ...o, history, next: nextStatuses(o) };
}

/** An order the actor may see (an agent: those of contacts with a conversation she can see); 404 otherwise. */
export async function visibleOrder(db: Reader, actor: Actor, id: string) {
  const o = await (db as Pick<Tx, "select">)
    .select()
    .from(orders)
    .where(and(eq(orders.id, id), contactVisibleWhere(actor, orders.contactId)))
    .get();
  if (!o) throw notFound("Order");
  return o;
}

export const statusInput = z.strictObject({
  status: z.enum(ORDER_STATUSES),
  reason: z.string().max(500).optional(),
});

/**
 * Moves an order to its next status: only the moves `nextStatuses` allows (409 otherwise, nothing changed). A
 * confirmed order keeps its stock; a cancelled one gives it back; each move is in the history, an event, and told to
 * the customer when the business wants it.
 */
export async function setOrderStatus(
  ctx: Ctx,
  actor: Actor,
  id: string,
  input: z.input<typeof statusInput>,
  /** tell: false when the caller tells the customer itself (a run's tracking link says "on the way") */
  opts: { tell?: boolean } = {},
) {
  const s = statusInput.parse(input);
  return ctx.database.write(async (tx, after) => {
    const cur = await visibleOrder(tx, actor, id);
    return moveOrderTx(ctx, tx, after, actor, cur, s.status, s.reason, opts.tell ?? true);
  });
}

async function moveOrderTx(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  actor: Actor,
  cur: Order,
  status: OrderStatus,
  reason?: string,
  tell = true,
) {
  if (status === cur.status) return cur;
  if (!nextStatuses(cur).includes(status))
    throw conflict("invalid_transition", `An order that is ${cur.status} cannot become ${status}`, {
      from: cur.status,
      to: status,
      allowed: nextStatuses(cur),
    });
  const now = ctx.clock.now();
  const closedAt = ["delivered", "picked_up", "cancelled", "refunded"].includes(status) ? (cur.closedAt ?? now) : null;
  const next: Order = { ...cur, status, closedAt, updatedAt: now };
  if (status === "cancelled" || (status === "refunded" && cur.status === "cancelled"))
    await releaseStockTx(tx, cur.id, now);
  else await keepStockTx(tx, cur.id);
  if (status === "refunded" && cur.paymentStatus === "paid") next.paymentStatus = "refunded";
  await tx
    .update(orders)
    .set({ status, paymentStatus: next.paymentStatus, closedAt, updatedAt: now })
    .where(eq(orders.id, cur.id));
  await historyTx(tx, cur.id, "status", actor, now, { from: cur.status, to: status, ...(reason ? { reason } : {}) });
  await orderEvent(ctx, tx, after, "commerce.order_status_changed", next, actor, { previousStatus: cur.status });
  if (tell) await tellCustomerTx(ctx, tx, after, next);
  return next;
}

export const paymentInput = z.strictObject({
  method: z.enum(PAYMENT_METHODS).optional(),
  reference: z.string().max(200).optional(),
});

/**
 * Records an order as paid (a person confirming cash or a transfer, or a payment provider's verified notice): once;
 * a new order moves on to confirmed by itself and keeps its stock; the customer is told.
 */
export async function markPaid(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof paymentInput> = {}) {
  const p = paymentInput.parse(input);
  return ctx.database.write(async (tx, after) => {
    const cur = await visibleOrder(tx, actor, id);
    return markPaidTx(ctx, tx, after, actor, cur, p);
  });
}

export async function markPaidTx(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  actor: Actor,
  cur: Order,
  p: z.output<typeof paymentInput>,
) {
  if (cur.paymentStatus === "paid") return cur;
  if (cur.status === "cancelled" || cur.status === "refunded")
    throw conflict("order_closed", "A cancelled order cannot be paid", { status: cur.status });
  const now = ctx.clock.now();
  let next: Order = {
    ...cur,
    paymentStatus: "paid",
    paidAt: now,
    paymentMethod: p.method ?? cur.paymentMethod,
    updatedAt: now,
  };
  await tx
    .update(orders)
    .set({ paymentStatus: "paid", paidAt: now, paymentMethod: next.paymentMethod, updatedAt: now })
    .where(eq(orders.id, cur.id));
  await keepStockTx(tx, cur.id);
  await historyTx(tx, cur.id, "paid", actor, now, {
    method: next.paymentMethod,
    ...(p.reference ? { reference: p.reference } : {}),
  });
  await orderEvent(ctx, tx, after, "commerce.order_paid", next, actor);
  if (cur.status === "new") next = await moveOrderTx(ctx, tx, after, actor, next, "confirmed");
  return next;
}

/**
 * Tells the customer of their order's new step in its conversation (when the business wants it); past WhatsApp's
 * 24 hours, as the approved status template chosen in the settings. A channel that refuses it changes nothing: the
 * step stands, and the order's history says the customer could not be told.
 */
async function tellCustomerTx(ctx: Ctx, tx: Tx, after: AfterCommit, o: Order) {
  if (!o.conversationId) return;
  const settings = await getCommerceSettings(ctx);
  if (!settings.notifyCustomer) return;
  const locale = await businessLocale(ctx);
  const t = translator(locale);
  const { formatMoney } = await import("./service.ts");
  const { sendNoticeTx } = await import("../inbox/service.ts");
  const idempotencyKey = `order:${o.id}:${o.status}`;
  const tpl = settings.statusTemplate;
  try {
    await sendNoticeTx(ctx, tx, after, o.conversationId, {
      body: t(`orders.tell.${o.status}`, { number: o.number, total: formatMoney(o.total, o.currency, locale) }),
      idempotencyKey,
    });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    let code = e.code;
    if (code === "outside_reply_window" && tpl) {
      try {
        const params = [o.number, t(`orders.status.${o.status}`)];
        await sendNoticeTx(ctx, tx, after, o.conversationId, {
          body: "",
          content: { template: { name: tpl.name, language: tpl.language, params } },
          idempotencyKey,
        });
        return;
      } catch (e2) {
        if (!(e2 instanceof AppError)) throw e2;
        code = e2.code;
      }
    }
    await historyTx(tx, o.id, "not_told", { kind: "system" }, ctx.clock.now(), { status: o.status, code });
  }
}

// ---------------------------------------------------------------- sweeps

/**
 * Holds past their time: an order nobody confirmed or paid gives its stock back and is cancelled (its history says
 * why); and carts left with items and no checkout are announced once as abandoned.
 */
export async function sweepCommerce(ctx: Ctx) {
  const now = ctx.clock.now();
  const system: Actor = { kind: "system", name: "DigyBot" };
  const due = await ctx.db
    .selectDistinct({ orderId: stockHolds.orderId })
    .from(stockHolds)
    .where(and(eq(stockHolds.status, "held"), lte(stockHolds.expiresAt, now)))
    .limit(200);
  let expired = 0;
  for (const { orderId } of due)
    await ctx.database.write(async (tx, after) => {
      const o = await tx.select().from(orders).where(eq(orders.id, orderId)).get();
      if (!o) return;
      if (o.status === "new" && o.paymentStatus !== "paid") {
        expired++;
        await moveOrderTx(ctx, tx, after, system, o, "cancelled", "hold_expired");
      } else await keepStockTx(tx, orderId);
    });
  const { abandonedMinutes } = await getCommerceSettings(ctx);
  const stale = await ctx.db
    .select()
    .from(carts)
    .where(and(isNull(carts.abandonedAt), lte(carts.updatedAt, now - abandonedMinutes * 60_000)))
    .limit(200);
  let abandoned = 0;
  for (const c of stale) {
    if (!c.lines.length) continue;
    await ctx.database.write(async (tx, after) => {
      const r = await tx
        .update(carts)
        .set({ abandonedAt: now })
        .where(and(eq(carts.id, c.id), isNull(carts.abandonedAt), eq(carts.updatedAt, c.updatedAt)))
        .returning({ id: carts.id });
      if (!r.length) return;
      abandoned++;
      const priced = await priceCart(ctx, tx, c.conversationId, c);
      await ctx.events.record(tx, after, {
        type: "commerce.cart_abandoned",
        conversationId: c.conversationId,
        actor: { type: "system", id: null },
        data: {
          conversationId: c.conversationId,
          contactId: c.contactId,
          items: priced.lines.map((l) => lineText(l)),
          subtotal: priced.subtotal,
          currency: priced.currency,
        },
      });
    });
  }
  return { expired, abandoned };
}

/**
 * A location pin the customer sends (WhatsApp's location message) while a cart is open becomes the cart's delivery
 * address: the zone and fee are read from it, not from a guess at the text.
 */
export function wireCommerce(ctx: Ctx) {
  return ctx.events.on("inbox.message_received", (e) => {
    const d = e.data as {
      message?: {
        content?: {
          location?: { latitude: number; longitude: number; name?: string; address?: string };
          order?: { items: { sku: string; quantity: number; price: number; currency: string }[] };
        } | null;
      };
    };
    const wo = d.message?.content?.order;
    if (wo && e.conversationId)
      void cartFromCatalogOrder(ctx, e.conversationId, wo.items).catch((err) =>
        ctx.log.error("catalog order failed", { error: String(err) }),
      );
    const l = d.message?.content?.location;
    if (!l || !e.conversationId) return;
    const conversationId = e.conversationId;
    void ctx.database
      .write(async (tx, after) => {
        const cart = await tx.select().from(carts).where(eq(carts.conversationId, conversationId)).get();
        if (!cart?.lines.length) return;
        const now = ctx.clock.now();
        const address = [l.name, l.address].filter(Boolean).join(", ") || cart.address;
        await tx
          .update(carts)
          .set({ location: { lat: l.latitude, lng: l.longitude }, address, fulfilment: "delivery", updatedAt: now })
          .where(eq(carts.id, cart.id));
        const conv = await conversationFor(tx, { kind: "system" }, conversationId);
        await ctx.events.record(tx, after, {
          type: "commerce.cart_updated",
          conversationId,
          actor: { type: "system", id: null },
          data: {
            conversationId,
            contactId: cart.contactId,
            assigneeId: conv.assigneeId,
            departmentId: conv.departmentId,
            location: true,
          },
        });
      })
      .catch((err) => ctx.log.error("cart location failed", { error: String(err) }));
  });
}

/**
 * A WhatsApp catalog order (the customer picked from the catalog on Meta and sent it) becomes the conversation's
 * cart, priced from our catalog, never from the prices Meta's catalog carried: the customer gets the summary at our
 * prices, items we do not sell (or have no stock of) are named, and the team sees what Meta's total said.
 */
export async function cartFromCatalogOrder(
  ctx: Ctx,
  conversationId: string,
  items: { sku: string; quantity: number; price: number; currency: string }[],
) {
  const system: Actor = { kind: "system", name: "DigyBot" };
  const tz = await timeZone(ctx);
  const missing: string[] = [];
  const cart = await changeCart(ctx, system, conversationId, async (lines, _cur, tx) => {
    lines.splice(0);
    const bySku = await productsBySku(
      tx,
      items.map((i) => i.sku),
    );
    for (const it of items) {
      const q = Math.max(1, Math.min(999, Math.floor(it.quantity)));
      const p = bySku.get(it.sku);
      // a product with variants cannot be told apart from a catalog line: it is named, and asked about
      const line: CartLine = {
        id: newId(ctx.clock.now()),
        sku: it.sku,
        variant: null,
        modifiers: [],
        quantity: q,
        note: "",
      };
      const priced = priceLine(p, line, tz, ctx.clock.now());
      if (priced.problem && priced.problem !== "not_enough_stock") missing.push(p?.name ?? it.sku);
      else lines.push(line);
    }
    return { couponCode: null };
  });
  const locale = await businessLocale(ctx);
  const t = translator(locale);
  const { formatMoney } = await import("./service.ts");
  const money = (m: number) => formatMoney(m, cart.currency, locale);
  const theirs = items.reduce((n, i) => n + i.price * i.quantity, 0);
  const body = [
    t("orders.catalogOrder"),
    ...cart.lines.map((l) => lineText(l, money)),
    ...(missing.length ? [t("orders.catalogMissing", { items: missing.join(", ") })] : []),
    t("orders.catalogTotal", { total: money(cart.total) }),
  ].join("\n");
  const { sendNoticeTx, recordSystemActivity } = await import("../inbox/service.ts");
  await ctx.database
    .write((tx, after) =>
      sendNoticeTx(ctx, tx, after, conversationId, {
        body,
        idempotencyKey: `catalog-order:${conversationId}:${cart.updatedAt}`,
      }),
    )
    .catch((e) => {
      if (!(e instanceof AppError)) throw e;
    });
  await recordSystemActivity(ctx, conversationId, "commerce", "catalog_order", {
    ours: money(cart.total),
    theirs: `${theirs} ${items[0]?.currency ?? ""}`.trim(),
  });
  return { cart, missing };
}
