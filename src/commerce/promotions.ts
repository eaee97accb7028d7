// Promotions applied live to a cart (manual 2.5): percent or amount off a product, a category (and the categories
// under it) or the whole cart; buy X get Y (the cheapest units free); coupon codes with dates and a number of uses;
// happy hours by time of day. Each applied promotion is a line explaining it; the discount never passes the subtotal.
import { z } from "zod";
import { and, eq, isNull, sql } from "drizzle-orm";
import { promotions, productCategories, type Availability } from "./schema.ts";
import type { Tx, Db } from "../platform/db.ts";
import { newId } from "../platform/ids.ts";
import { badRequest, conflict, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { idRef } from "../platform/validation.ts";
import { availableAt } from "./orders.ts";

export type Promotion = typeof promotions.$inferSelect;
type Reader = Pick<Tx, "select"> | Pick<Db, "select">;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM");
export const promotionInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    kind: z.enum(["percent", "amount", "buy_x_get_y"]),
    value: z.number().int().min(0).max(100_000_000).default(0),
    scope: z.enum(["cart", "product", "category"]).default("cart"),
    sku: z.string().trim().min(1).max(64).nullable().default(null),
    categoryId: idRef.nullable().default(null),
    buyQuantity: z.number().int().min(1).max(100).nullable().default(null),
    getQuantity: z.number().int().min(1).max(100).nullable().default(null),
    code: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{3,32}$/, "3 to 32 letters, digits, - or _")
      .transform((c) => c.toUpperCase())
      .nullable()
      .default(null),
    minSubtotal: z.number().int().min(0).default(0),
    startsAt: z.number().int().nullable().default(null),
    endsAt: z.number().int().nullable().default(null),
    hours: z
      .strictObject({ days: z.array(z.number().int().min(0).max(6)).max(7).default([]), from: hhmm, to: hhmm })
      .nullable()
      .default(null),
    maxUses: z.number().int().min(1).nullable().default(null),
    active: z.boolean().default(true),
  })
  .superRefine((p, c) => {
    if (p.kind === "percent" && (p.value < 1 || p.value > 100))
      c.addIssue({ code: "custom", path: ["value"], message: "a percent is 1 to 100" });
    if (p.kind === "amount" && p.value < 1)
      c.addIssue({ code: "custom", path: ["value"], message: "an amount above 0" });
    if (p.kind === "buy_x_get_y" && (!p.buyQuantity || !p.getQuantity))
      c.addIssue({ code: "custom", path: ["buyQuantity"], message: "buy X get Y needs both quantities" });
    if (p.kind === "buy_x_get_y" && p.scope === "cart")
      c.addIssue({ code: "custom", path: ["scope"], message: "buy X get Y is for a product or a category" });
    if (p.scope === "product" && !p.sku) c.addIssue({ code: "custom", path: ["sku"], message: "which product" });
    if (p.scope === "category" && !p.categoryId)
      c.addIssue({ code: "custom", path: ["categoryId"], message: "which category" });
    if (p.startsAt && p.endsAt && p.endsAt <= p.startsAt)
      c.addIssue({ code: "custom", path: ["endsAt"], message: "ends after it starts" });
  });

export async function listPromotions(ctx: Ctx) {
  return ctx.db.select().from(promotions).orderBy(promotions.createdAt);
}

export async function createPromotion(ctx: Ctx, actor: Actor, input: z.input<typeof promotionInput>) {
  assertAdmin(actor);
  const p = promotionInput.parse(input);
  return ctx.database.write(async (tx) => {
    if (
      p.categoryId &&
      !(await tx.select().from(productCategories).where(eq(productCategories.id, p.categoryId)).get())
    )
      throw badRequest("unknown_category", "The category does not exist", { field: "categoryId" });
    if (p.code && (await tx.select({ id: promotions.id }).from(promotions).where(eq(promotions.code, p.code)).get()))
      throw conflict("coupon_taken", "Another promotion has this code", { field: "code" });
    const now = ctx.clock.now();
    const row: Promotion = { id: newId(now), ...p, uses: 0, createdAt: now };
    await tx.insert(promotions).values(row);
    return row;
  });
}

export async function setPromotionActive(ctx: Ctx, actor: Actor, id: string, active: boolean) {
  assertAdmin(actor);
  return ctx.database.write(async (tx) => {
    const r = await tx.update(promotions).set({ active }).where(eq(promotions.id, id)).returning();
    if (!r.length) throw notFound("Promotion");
    return r[0];
  });
}

export async function deletePromotion(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const r = await tx.delete(promotions).where(eq(promotions.id, id)).returning({ id: promotions.id });
    if (!r.length) throw notFound("Promotion");
  });
}

/** Whether a promotion runs at `at`: active, within its dates, its hours, and uses left. */
export function runsAt(p: Promotion, tz: string, at: number) {
  if (!p.active) return false;
  if (p.startsAt && at < p.startsAt) return false;
  if (p.endsAt && at >= p.endsAt) return false;
  if (p.maxUses !== null && p.uses >= p.maxUses) return false;
  return availableAt({ availability: p.hours as Availability }, tz, at);
}

export type DiscountLine = { id: string; name: string; amount: number; code: string | null };
type Line = { sku: string; quantity: number; unitPrice: number; total: number; categoryIds: string[] };

/** The discount one promotion gives these lines (0 when it does not apply). */
function discountOf(p: Promotion, lines: Line[], subtotal: number) {
  if (subtotal < p.minSubtotal) return 0;
  const eligible =
    p.scope === "cart"
      ? lines
      : p.scope === "product"
        ? lines.filter((l) => l.sku === p.sku)
        : lines.filter((l) => p.categoryId && l.categoryIds.includes(p.categoryId));
  if (!eligible.length) return 0;
  const base = eligible.reduce((s, l) => s + l.total, 0);
  if (p.kind === "percent") return Math.round((base * p.value) / 100);
  if (p.kind === "amount")
    return p.scope === "cart"
      ? Math.min(p.value, base)
      : eligible.reduce((s, l) => s + Math.min(p.value, l.unitPrice) * l.quantity, 0);
  // buy X get Y: of every X+Y units (pooled over the eligible lines), the Y cheapest are free
  const units = eligible.flatMap((l) => Array<number>(l.quantity).fill(l.unitPrice)).sort((a, b) => a - b);
  const group = (p.buyQuantity ?? 1) + (p.getQuantity ?? 1);
  const free = Math.floor(units.length / group) * (p.getQuantity ?? 1);
  return units.slice(0, free).reduce((s, u) => s + u, 0);
}

/** Each category's id with those of the categories above it (a category promotion covers what is under it). */
async function ancestry(db: Reader) {
  const all = await (db as Pick<Tx, "select">)
    .select({ id: productCategories.id, parentId: productCategories.parentId })
    .from(productCategories);
  const parent = new Map(all.map((c) => [c.id, c.parentId]));
  return (id: string | null) => {
    const out: string[] = [];
    for (let at = id, n = 0; at && n < 25; at = parent.get(at) ?? null, n++) out.push(at);
    return out;
  };
}

/**
 * The promotions that apply to priced lines now: every automatic one that runs, and the coupon given (when it
 * runs); largest first, the total discount capped at the subtotal. A coupon that does not apply is said in `coupon`.
 */
export async function applyPromotions(
  db: Reader,
  lines: { sku: string; quantity: number; unitPrice: number; total: number; categoryId: string | null }[],
  opts: { tz: string; at: number; couponCode: string | null },
) {
  const code = opts.couponCode?.toUpperCase() ?? null;
  const candidates = await (db as Pick<Tx, "select">)
    .select()
    .from(promotions)
    .where(
      and(
        eq(promotions.active, true),
        code ? sql`(${promotions.code} IS NULL OR ${promotions.code} = ${code})` : isNull(promotions.code),
      ),
    );
  // the categories' tree is read only when a category promotion may apply (every cart read prices again)
  const up = candidates.some((p) => p.scope === "category") ? await ancestry(db) : () => [];
  const ls: Line[] = lines.map((l) => ({ ...l, categoryIds: up(l.categoryId) }));
  const subtotal = ls.reduce((s, l) => s + l.total, 0);
  const found: DiscountLine[] = [];
  let coupon: "applied" | "not_applicable" | "not_running" | "unknown" | null = code ? "unknown" : null;
  for (const p of candidates) {
    const running = runsAt(p, opts.tz, opts.at);
    if (p.code) coupon = running ? "not_applicable" : "not_running";
    if (!running) continue;
    const amount = discountOf(p, ls, subtotal);
    if (amount <= 0) continue;
    if (p.code) coupon = "applied";
    found.push({ id: p.id, name: p.name, amount, code: p.code });
  }
  found.sort((a, b) => b.amount - a.amount);
  let left = subtotal;
  const discounts = found
    .map((d) => {
      const amount = Math.min(d.amount, left);
      left -= amount;
      return { ...d, amount };
    })
    .filter((d) => d.amount > 0);
  return { discounts, discount: subtotal - left, coupon };
}

/** Counts a use of each coupon an order took (inside the checkout's write); one used up meanwhile refuses it. */
export async function useCouponsTx(tx: Tx, ids: string[]) {
  for (const id of ids) {
    const r = await tx
      .update(promotions)
      .set({ uses: sql`${promotions.uses} + 1` })
      .where(
        and(eq(promotions.id, id), sql`(${promotions.maxUses} IS NULL OR ${promotions.uses} < ${promotions.maxUses})`),
      )
      .returning({ id: promotions.id });
    if (!r.length) throw conflict("coupon_used_up", "The coupon has no uses left", { promotionId: id });
  }
}
