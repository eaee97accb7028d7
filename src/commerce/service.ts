// The catalog and orders, as far as conversations need them: products with price and stock that agents and AI
// agents quote from, and orders whose status a customer can ask for by number.
import { z } from "zod";
import { and, desc, eq, sql } from "drizzle-orm";
import { orders, products, type OrderItem } from "./schema.ts";
import { newId } from "../platform/ids.ts";
import { badRequest, conflict, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { patchOf, idRef } from "../platform/validation.ts";
import { contentTerms, normalize } from "../agents/text.ts";
import { checkReferences, contactVisibleWhere } from "../inbox/visibility.ts";
import { parseCsv } from "../platform/csv.ts";

export type Product = typeof products.$inferSelect;
export type Order = typeof orders.$inferSelect;

const currency = z.string().regex(/^[A-Z]{3}$/, "a three-letter currency code such as MXN");
export const productInput = z.strictObject({
  sku: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(4000).default(""),
  category: z.string().trim().max(100).default(""),
  /** in minor units (cents) */
  price: z.number().int().min(0),
  currency: currency.default("MXN"),
  /** null: not tracked */
  stock: z.number().int().min(0).nullable().default(null),
  active: z.boolean().default(true),
});
export const productPatch = patchOf(productInput);

export async function createProduct(ctx: Ctx, actor: Actor, input: z.input<typeof productInput>) {
  assertAdmin(actor);
  const p = productInput.parse(input);
  const now = ctx.clock.now();
  const row: Product = { id: newId(now), ...p, createdAt: now, updatedAt: now };
  await ctx.database.write(async (tx) => {
    if (await tx.select({ id: products.id }).from(products).where(eq(products.sku, p.sku)).get())
      throw conflict("sku_taken", "Another product has this SKU", { field: "sku" });
    await tx.insert(products).values(row);
  });
  return row;
}

export async function updateProduct(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof productPatch>) {
  assertAdmin(actor);
  const p = productPatch.parse(input);
  return ctx.database.write(async (tx) => {
    const cur = await tx.select().from(products).where(eq(products.id, id)).get();
    if (!cur) throw notFound("Product");
    if (
      p.sku &&
      p.sku !== cur.sku &&
      (await tx.select({ id: products.id }).from(products).where(eq(products.sku, p.sku)).get())
    )
      throw conflict("sku_taken", "Another product has this SKU", { field: "sku" });
    const next = { ...cur, ...p, updatedAt: ctx.clock.now() };
    await tx.update(products).set(next).where(eq(products.id, id));
    return next;
  });
}

export async function deleteProduct(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const r = await tx.delete(products).where(eq(products.id, id)).returning({ id: products.id });
    if (!r.length) throw notFound("Product");
  });
}

/**
 * A price as people write it ("189", "189.50", "$1,250.00", "1.250,50") in minor units; null when it is not one.
 * With both separators the last is the decimal one; a lone separator followed by three digits groups thousands.
 */
export function parsePrice(raw: string): number | null {
  const s = raw.replace(/[^\d.,-]/g, "");
  if (!/\d/.test(s) || s.startsWith("-")) return null;
  const lastDot = s.lastIndexOf("."),
    lastComma = s.lastIndexOf(",");
  let dec = -1;
  if (lastDot >= 0 && lastComma >= 0) dec = Math.max(lastDot, lastComma);
  else if (lastDot >= 0 || lastComma >= 0) {
    const at = Math.max(lastDot, lastComma),
      sep = s[at];
    const groups = s.split(sep).length - 1;
    if (!(s.length - at - 1 === 3 && (groups > 1 || at <= 3))) dec = at;
  }
  const wholeRaw = dec >= 0 ? s.slice(0, dec) : s;
  if (/[.,]/.test(wholeRaw) && !/^\d{1,3}([.,]\d{3})+$/.test(wholeRaw)) return null; // thousands come in threes
  const whole = wholeRaw.replace(/[.,]/g, "");
  const frac = dec >= 0 ? s.slice(dec + 1).replace(/[.,]/g, "") : "";
  if (frac.length > 2 || !/^\d*$/.test(whole + frac)) return null;
  return Number(whole || "0") * 100 + Number(frac.padEnd(2, "0") || "0");
}

const COLS = {
  sku: ["sku", "codigo", "código", "clave"],
  name: ["name", "nombre", "producto"],
  price: ["price", "precio"],
  stock: ["stock", "existencias", "inventario"],
  category: ["category", "categoria", "categoría"],
  description: ["description", "descripcion", "descripción"],
  currency: ["currency", "moneda"],
  active: ["active", "activo"],
} as const;

/**
 * Products from a spreadsheet's CSV (columns named in Spanish or English: sku, name, price; optionally stock,
 * category, description, currency, active): a known SKU is updated, a new one added. All or nothing: a bad line
 * is named with its number and column, and nothing is written.
 */
export async function importProducts(ctx: Ctx, actor: Actor, csv: string) {
  assertAdmin(actor);
  const [head, ...rows] = parseCsv(csv);
  if (!head) throw badRequest("csv_empty", "The file has no lines");
  const norm = head.map((h) => h.toLowerCase().trim());
  const col = Object.fromEntries(
    Object.entries(COLS).map(([k, names]) => [k, norm.findIndex((h) => (names as readonly string[]).includes(h))]),
  ) as Record<keyof typeof COLS, number>;
  const missing = (["sku", "name", "price"] as const).filter((k) => col[k] < 0);
  if (missing.length) throw badRequest("csv_missing_columns", `Missing column(s): ${missing.join(", ")}`, { missing });
  const items = rows.map((r, i) => {
    const line = i + 2,
      get = (k: keyof typeof COLS) => (col[k] >= 0 ? (r[col[k]] ?? "").trim() : "");
    const bad = (column: string, value: string, why: string) =>
      badRequest("invalid_csv", `Line ${line}, ${column}: "${value}" ${why}`, { line, column, value });
    const price = parsePrice(get("price"));
    if (price === null) throw bad(head[col.price], get("price"), "is not a price");
    const stockRaw = get("stock");
    const stock = stockRaw === "" ? null : /^\d+$/.test(stockRaw) ? Number(stockRaw) : NaN;
    if (Number.isNaN(stock)) throw bad(head[col.stock], stockRaw, "is not a whole number");
    const activeRaw = get("active").toLowerCase();
    const parsed = productInput.safeParse({
      sku: get("sku"),
      name: get("name"),
      price,
      stock,
      category: get("category"),
      description: get("description"),
      ...(get("currency") ? { currency: get("currency").toUpperCase() } : {}),
      active: !["no", "0", "false", "falso", "inactivo"].includes(activeRaw),
    });
    if (!parsed.success) {
      const is = parsed.error.issues[0],
        k = String(is.path[0] ?? "") as keyof typeof COLS;
      throw bad(col[k] >= 0 ? head[col[k]] : k, col[k] >= 0 ? get(k) : "", `: ${is.message}`);
    }
    return parsed.data;
  });
  const skus = new Set<string>();
  for (const [i, p] of items.entries()) {
    if (skus.has(p.sku))
      throw badRequest("csv_duplicate_sku", `Line ${i + 2}: SKU ${p.sku} appears twice`, { line: i + 2, sku: p.sku });
    skus.add(p.sku);
  }
  return ctx.database.write(async (tx) => {
    let created = 0,
      updated = 0;
    const now = ctx.clock.now();
    for (const p of items) {
      const cur = await tx.select({ id: products.id }).from(products).where(eq(products.sku, p.sku)).get();
      if (cur) {
        await tx
          .update(products)
          .set({ ...p, updatedAt: now })
          .where(eq(products.id, cur.id));
        updated++;
      } else {
        await tx.insert(products).values({ id: newId(now), ...p, createdAt: now, updatedAt: now });
        created++;
      }
    }
    return { created, updated };
  });
}

export async function listProducts(ctx: Ctx) {
  return ctx.db.select().from(products).orderBy(products.name);
}

/**
 * Active products matching what a customer wrote: the name counts most, then the category or SKU, then the
 * description, summed over the content words; any word found is enough to be listed. Compared on the text as
 * `contentTerms` reads it (no accents, no case), so "jalapeño" typed as "jalapeno" finds "Chile jalapeño" and the
 * other way round; SQL's LIKE could not (it compares accents, and only ASCII without case). Small catalogs need
 * nothing more than this.
 */
export async function searchProducts(ctx: Ctx, query: string, limit = 5) {
  const terms = contentTerms(query).slice(0, 6);
  const active = await ctx.db.select().from(products).where(eq(products.active, true)).orderBy(products.name);
  if (!terms.length) return active.slice(0, limit);
  const scored = active
    .map((p) => {
      const [name, category, sku, description] = [p.name, p.category ?? "", p.sku ?? "", p.description ?? ""].map((x) =>
        normalize(x),
      );
      let score = 0;
      for (const t of terms)
        score += name.includes(t) ? 3 : category.includes(t) || sku.includes(t) ? 2 : description.includes(t) ? 1 : 0;
      return { p, score };
    })
    .filter((x) => x.score > 0);
  // stable: equal scores keep the catalog's order by name
  return scored
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((x) => x.p);
}

/** Money for people: minor units in the currency's own format ("$1,250.00 MXN"). */
export function formatMoney(minor: number, cur: string, locale: "es" | "en" = "es") {
  const n = new Intl.NumberFormat(locale === "es" ? "es-MX" : "en-US", {
    style: "currency",
    currency: cur,
    currencyDisplay: "narrowSymbol",
  }).format(minor / 100);
  return `${n} ${cur}`;
}

export const orderInput = z.strictObject({
  number: z.string().trim().min(1).max(40).optional(),
  contactId: idRef.nullable().default(null),
  status: z.enum(["pending", "confirmed", "preparing", "shipped", "delivered", "cancelled"]).default("pending"),
  items: z
    .array(z.strictObject({ sku: z.string().trim().min(1).max(64), quantity: z.number().int().min(1).max(10_000) }))
    .min(1)
    .max(200),
  notes: z.string().max(2000).default(""),
});

/** An order priced from the catalog (never from what a client sends), numbered from 1001 unless given a number. */
export async function createOrder(ctx: Ctx, actor: Actor, input: z.input<typeof orderInput>) {
  const o = orderInput.parse(input);
  return ctx.database.write(async (tx) => {
    await checkReferences(tx, actor, { contactId: o.contactId });
    const items: OrderItem[] = [];
    let cur: string | null = null;
    for (const it of o.items) {
      const p = await tx.select().from(products).where(eq(products.sku, it.sku)).get();
      if (!p?.active) throw badRequest("unknown_product", `No active product with SKU ${it.sku}`, { sku: it.sku });
      if (cur && p.currency !== cur) throw badRequest("mixed_currencies", "An order's products share one currency");
      cur = p.currency;
      items.push({ sku: p.sku, name: p.name, quantity: it.quantity, price: p.price });
    }
    const now = ctx.clock.now();
    const number =
      o.number ?? String(1000 + Number((await tx.select({ n: sql<number>`count(*)` }).from(orders).get())?.n ?? 0) + 1);
    if (await tx.select({ id: orders.id }).from(orders).where(eq(orders.number, number)).get())
      throw conflict("order_number_taken", "Another order has this number", { field: "number" });
    const row: Order = {
      id: newId(now),
      number,
      contactId: o.contactId,
      status: o.status,
      items,
      total: items.reduce((s, i) => s + i.price * i.quantity, 0),
      currency: cur!,
      notes: o.notes,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert(orders).values(row);
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

/** Orders an actor may see: an agent those of contacts with a conversation she can see. */
export async function listOrders(ctx: Ctx, actor: Actor, opts: { contactId?: string; limit?: number } = {}) {
  return ctx.db
    .select()
    .from(orders)
    .where(
      and(
        contactVisibleWhere(actor, orders.contactId),
        opts.contactId ? eq(orders.contactId, opts.contactId) : undefined,
      ),
    )
    .orderBy(desc(orders.createdAt))
    .limit(opts.limit ?? 100);
}

export async function setOrderStatus(ctx: Ctx, actor: Actor, id: string, status: Order["status"]) {
  assertAdmin(actor);
  return ctx.database.write(async (tx) => {
    const cur = await tx.select().from(orders).where(eq(orders.id, id)).get();
    if (!cur) throw notFound("Order");
    await tx.update(orders).set({ status, updatedAt: ctx.clock.now() }).where(eq(orders.id, id));
    return { ...cur, status };
  });
}
