// Price lists (manual 2.5): other prices on some channels, for contacts with some tags, or for the contacts of saved
// segments (the contacts list's filters: tag, channel, last seen, an attribute…). The first active list
// (by position) that matches a conversation prices its cart and its order; a product it does not name keeps the
// catalog's price; extras keep theirs.
import { z } from "zod";
import { asc, eq, inArray } from "drizzle-orm";
import { priceLists } from "./schema.ts";
import { contactSegments, contactTags, conversations } from "../inbox/schema.ts";
import { segmentsOf } from "../inbox/contact-fields.ts";
import type { Db, Tx } from "../platform/db.ts";
import { newId } from "../platform/ids.ts";
import { badRequest, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import type { Product } from "./service.ts";

type Reader = Pick<Tx, "select"> | Pick<Db, "select">;
export type PriceList = typeof priceLists.$inferSelect;

export const priceListInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    channelIds: z.array(z.string().min(1).max(64)).max(50).default([]),
    tagIds: z.array(z.string().min(1).max(64)).max(50).default([]),
    segmentIds: z.array(z.string().min(1).max(64)).max(20).default([]),
    prices: z.record(z.string().trim().min(1).max(130), z.number().int().min(0)).default({}),
    position: z.number().int().min(0).max(10_000).default(0),
    active: z.boolean().default(true),
  })
  .refine((p) => p.channelIds.length || p.tagIds.length || p.segmentIds.length, {
    message: "a list is for some channels, tags or segments",
    path: ["channelIds"],
  })
  .refine((p) => Object.keys(p.prices).length > 0, { message: "a list names at least one price", path: ["prices"] });

export async function listPriceLists(ctx: Ctx) {
  return ctx.db.select().from(priceLists).orderBy(asc(priceLists.position), asc(priceLists.createdAt));
}
export async function createPriceList(ctx: Ctx, actor: Actor, input: z.input<typeof priceListInput>) {
  assertAdmin(actor);
  const p = priceListInput.parse(input);
  for (const [i, id] of p.segmentIds.entries())
    if (
      !(await ctx.db.select({ id: contactSegments.id }).from(contactSegments).where(eq(contactSegments.id, id)).get())
    )
      throw badRequest("unknown_segment", "The segment does not exist", { field: `segmentIds.${i}`, value: id });
  const now = ctx.clock.now();
  const row: PriceList = { id: newId(now), ...p, createdAt: now };
  await ctx.database.write((tx) => tx.insert(priceLists).values(row));
  return row;
}
export async function deletePriceList(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const r = await tx.delete(priceLists).where(eq(priceLists.id, id)).returning({ id: priceLists.id });
    if (!r.length) throw notFound("Price list");
  });
}

/** "TACO=22.50" lines (or "SKU:variante=precio") as a list's prices; the bad line named. */
export function parsePriceLines(text: string, parsePrice: (s: string) => number | null) {
  const prices: Record<string, number> = {};
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .forEach((l, i) => {
      const m = /^([^=]+?)\s*=\s*(.+)$/.exec(l);
      const price = m ? parsePrice(m[2]) : null;
      if (!m || price === null)
        throw badRequest("invalid_price_line", `Line ${i + 1}: "${l}" is not SKU=price`, { line: i + 1, value: l });
      prices[m[1].trim()] = price;
    });
  return prices;
}

/**
 * The list that prices a conversation (its channel, its contact's tags and segments), or a contact's (its tags and
 * segments), if any. A segment is matched now, as its filters read today (last seen within N days…).
 */
export async function priceListFor(
  ctx: Ctx,
  db: Reader,
  ref: { conversationId?: string | null; contactId?: string | null },
) {
  const r = db as Pick<Tx, "select">;
  const lists = (await r.select().from(priceLists).orderBy(asc(priceLists.position), asc(priceLists.createdAt))).filter(
    (l) => l.active,
  );
  if (!lists.length) return null;
  let channelId: string | null = null;
  let contactId = ref.contactId ?? null;
  if (ref.conversationId) {
    const c = await r
      .select({ channelId: conversations.channelId, contactId: conversations.contactId })
      .from(conversations)
      .where(eq(conversations.id, ref.conversationId))
      .get();
    channelId = c?.channelId ?? null;
    contactId = c?.contactId ?? contactId;
  }
  const tags = contactId
    ? new Set(
        (
          await r
            .select({ tagId: contactTags.tagId })
            .from(contactTags)
            .where(inArray(contactTags.contactId, [contactId]))
        ).map((x) => x.tagId),
      )
    : new Set<string>();
  // segments are read only for the lists that name one, and only while no earlier list has matched
  for (const l of lists) {
    if ((channelId && l.channelIds.includes(channelId)) || l.tagIds.some((t) => tags.has(t))) return l;
    if (contactId && l.segmentIds.length && (await segmentsOf(ctx, r, contactId, l.segmentIds)).size) return l;
  }
  return null;
}

/** The products as the list prices them (the product's price and its variants'; a product the list does not name as it is). */
export function withPriceList(bySku: Map<string, Product>, list: PriceList | null) {
  if (!list) return bySku;
  const out = new Map<string, Product>();
  for (const [sku, p] of bySku) {
    const own = list.prices[sku];
    out.set(sku, {
      ...p,
      price: own ?? p.price,
      variants: p.variants.map((v) => ({ ...v, price: list.prices[`${sku}:${v.key}`] ?? v.price })),
    });
  }
  return out;
}
