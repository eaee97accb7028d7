// The catalog and orders, as far as conversations need them: products with price and stock that agents and AI
// agents quote from, and orders whose status a customer can ask for by number.
import { z } from "zod";
import { asc, eq, isNull } from "drizzle-orm";
import { type orders, products, productCategories } from "./schema.ts";
import { newId } from "../platform/ids.ts";
import { AppError, badRequest, conflict, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { patchOf, idRef } from "../platform/validation.ts";
import { contentTerms, normalize } from "../agents/text.ts";
import { parseCsv } from "../platform/csv.ts";
import type { Tx } from "../platform/db.ts";

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
  categoryId: idRef.nullable().default(null),
  variants: z
    .array(
      z.strictObject({
        key: z.string().trim().min(1).max(64),
        name: z.string().trim().min(1).max(100),
        price: z.number().int().min(0),
        stock: z.number().int().min(0).nullable().default(null),
      }),
    )
    .max(50)
    .default([]),
  modifiers: z
    .array(
      z.strictObject({
        key: z.string().trim().min(1).max(64),
        name: z.string().trim().min(1).max(100),
        price: z.number().int().min(0),
      }),
    )
    .max(50)
    .default([]),
  availability: z
    .strictObject({
      days: z.array(z.number().int().min(0).max(6)).max(7).default([]),
      from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
      to: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM"),
    })
    .nullable()
    .default(null),
  lowStock: z.number().int().min(0).nullable().default(null),
});
export const productPatch = patchOf(productInput);

/** Keys of variants and extras are unique in their product; a category must exist. */
async function checkProductShape(
  tx: Pick<Tx, "select">,
  p: Partial<Pick<z.output<typeof productInput>, "variants" | "modifiers" | "categoryId">>,
) {
  for (const field of ["variants", "modifiers"] as const) {
    const keys = (p[field] ?? []).map((v) => v.key);
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup) throw badRequest("duplicate_key", `Two ${field} share the key ${dup}`, { field, key: dup });
  }
  if (p.categoryId) {
    const c = await tx
      .select({ id: productCategories.id })
      .from(productCategories)
      .where(eq(productCategories.id, p.categoryId))
      .get();
    if (!c) throw badRequest("unknown_category", "The category does not exist", { field: "categoryId" });
  }
}

export async function createProduct(ctx: Ctx, actor: Actor, input: z.input<typeof productInput>) {
  assertAdmin(actor);
  const p = productInput.parse(input);
  const now = ctx.clock.now();
  const row: Product = {
    id: newId(now),
    ...p,
    externalSource: null,
    externalId: null,
    externalUpdatedAt: null,
    externalVariantId: null,
    images: [],
    createdAt: now,
    updatedAt: now,
  };
  await ctx.database.write(async (tx) => {
    await checkProductShape(tx, p);
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
    await checkProductShape(tx, p);
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

/**
 * A price typed in a console form (as parsePrice reads it), or a 400 naming the field; `empty` is what an empty
 * field means (without it, an empty field is refused like any other that is not a price).
 */
export function priceField(raw: string, field: string, empty?: number) {
  if (empty !== undefined && !raw.trim()) return empty;
  const p = parsePrice(raw);
  if (p === null) throw new AppError(400, "invalid_price", "The price is not valid", { field, value: raw });
  return p;
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
  variants: ["variants", "variantes"],
  modifiers: ["modifiers", "extras", "modificadores"],
  hours: ["hours", "horario", "availability", "disponibilidad"],
  lowStock: ["low_stock", "stock_minimo", "stock mínimo", "alerta_stock"],
} as const;

const slug = (s: string) =>
  normalize(s)
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 64) || "x";

/**
 * "Chico=45|Grande=60" (name=price, and :stock for a variant's own stock: "Grande=60:12"), the form a spreadsheet
 * holds variants and extras in; null when a part is not of that form.
 */
export function parseOptionList(raw: string, withStock: boolean) {
  const out: { key: string; name: string; price: number; stock: number | null }[] = [];
  for (const part of raw
    .split("|")
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^(.+?)\s*=\s*([^:]+?)(?::\s*(\d+))?$/.exec(part);
    if (!m || (m[3] && !withStock)) return null;
    const price = parsePrice(m[2]);
    if (price === null) return null;
    out.push({ key: slug(m[1]), name: m[1].trim(), price, stock: m[3] ? Number(m[3]) : null });
  }
  return out;
}

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
    const variants = parseOptionList(get("variants"), true);
    if (!variants) throw bad(head[col.variants], get("variants"), 'is not a list like "Chico=45|Grande=60"');
    const mods = parseOptionList(get("modifiers"), false);
    if (!mods) throw bad(head[col.modifiers], get("modifiers"), 'is not a list like "Queso=10|Aguacate=15"');
    const hoursRaw = get("hours");
    const hours = hoursRaw ? /^([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)$/.exec(hoursRaw) : null;
    if (hoursRaw && !hours) throw bad(head[col.hours], hoursRaw, 'is not a time span like "08:00-12:00"');
    const lowRaw = get("lowStock");
    if (lowRaw && !/^\d+$/.test(lowRaw)) throw bad(head[col.lowStock], lowRaw, "is not a whole number");
    const parsed = productInput.safeParse({
      variants,
      modifiers: mods.map(({ key, name, price }) => ({ key, name, price })),
      availability: hours ? { days: [], from: `${hours[1]}:${hours[2]}`, to: `${hours[3]}:${hours[4]}` } : null,
      lowStock: lowRaw ? Number(lowRaw) : null,
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
      // the category column is a path in the tree ("Bebidas > Aguas"), made when missing
      const categoryId = p.category ? await categoryByPath(tx, p.category, now) : null;
      if (cur) {
        await tx
          .update(products)
          .set({ ...p, categoryId, updatedAt: now })
          .where(eq(products.id, cur.id));
        updated++;
      } else {
        await tx.insert(products).values({ id: newId(now), ...p, categoryId, createdAt: now, updatedAt: now });
        created++;
      }
    }
    return { created, updated };
  });
}

// ---------------------------------------------------------------- categories (a tree)

export type Category = typeof productCategories.$inferSelect;
export const categoryInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  parentId: idRef.nullable().default(null),
  position: z.number().int().min(0).max(10_000).default(0),
});
export const categoryPatch = patchOf(categoryInput);

export async function listCategories(ctx: Ctx) {
  return ctx.db.select().from(productCategories).orderBy(asc(productCategories.position), asc(productCategories.name));
}

/** The categories as a tree's lines: each with its depth and full path ("Bebidas › Aguas"), parents first. */
export function categoryTree(all: Category[]) {
  const kids = new Map<string | null, Category[]>();
  for (const c of all) kids.set(c.parentId, [...(kids.get(c.parentId) ?? []), c]);
  const out: (Category & { depth: number; path: string })[] = [];
  const walk = (parent: string | null, depth: number, prefix: string) => {
    for (const c of kids.get(parent) ?? []) {
      const path = prefix ? `${prefix} › ${c.name}` : c.name;
      out.push({ ...c, depth, path });
      walk(c.id, depth + 1, path);
    }
  };
  walk(null, 0, "");
  return out;
}

async function checkParent(tx: Pick<Tx, "select">, id: string | null, parentId: string | null) {
  if (!parentId) return;
  let at: string | null = parentId;
  for (let depth = 0; at; depth++) {
    if (at === id) throw badRequest("category_cycle", "A category cannot sit inside itself", { field: "parentId" });
    if (depth > 20) throw badRequest("category_too_deep", "Categories nest at most 20 deep", { field: "parentId" });
    const row: { parentId: string | null } | undefined = await tx
      .select({ parentId: productCategories.parentId })
      .from(productCategories)
      .where(eq(productCategories.id, at))
      .get();
    if (!row) throw badRequest("unknown_category", "The parent category does not exist", { field: "parentId" });
    at = row.parentId;
  }
}

async function sameNameTaken(tx: Pick<Tx, "select">, name: string, parentId: string | null, except?: string) {
  const rows = await tx
    .select({ id: productCategories.id, name: productCategories.name })
    .from(productCategories)
    .where(parentId ? eq(productCategories.parentId, parentId) : isNull(productCategories.parentId));
  return rows.some((r) => r.id !== except && normalize(r.name) === normalize(name));
}

export async function createCategory(ctx: Ctx, actor: Actor, input: z.input<typeof categoryInput>) {
  assertAdmin(actor);
  const c = categoryInput.parse(input);
  return ctx.database.write(async (tx) => {
    await checkParent(tx, null, c.parentId);
    if (await sameNameTaken(tx, c.name, c.parentId))
      throw conflict("category_taken", "Another category here has this name", { field: "name" });
    const now = ctx.clock.now();
    const row: Category = { id: newId(now), ...c, createdAt: now };
    await tx.insert(productCategories).values(row);
    return row;
  });
}

export async function updateCategory(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof categoryPatch>) {
  assertAdmin(actor);
  const p = categoryPatch.parse(input);
  return ctx.database.write(async (tx) => {
    const cur = await tx.select().from(productCategories).where(eq(productCategories.id, id)).get();
    if (!cur) throw notFound("Category");
    const next = { ...cur, ...p };
    await checkParent(tx, id, next.parentId);
    if (await sameNameTaken(tx, next.name, next.parentId, id))
      throw conflict("category_taken", "Another category here has this name", { field: "name" });
    await tx.update(productCategories).set(next).where(eq(productCategories.id, id));
    return next;
  });
}

/** Deletes a category: its products stay (without a category) and its subcategories move up to its parent. */
export async function deleteCategory(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const cur = await tx.select().from(productCategories).where(eq(productCategories.id, id)).get();
    if (!cur) throw notFound("Category");
    await tx.update(productCategories).set({ parentId: cur.parentId }).where(eq(productCategories.parentId, id));
    await tx.update(products).set({ categoryId: null }).where(eq(products.categoryId, id));
    await tx.delete(productCategories).where(eq(productCategories.id, id));
  });
}

/** A category by its path ("Bebidas > Aguas" or "Bebidas › Aguas"), made on the way when missing (CSV import). */
async function categoryByPath(tx: Tx, path: string, now: number) {
  let parent: string | null = null;
  for (const name of path
    .split(/\s*[>›/]\s*/)
    .map((x) => x.trim())
    .filter(Boolean)) {
    const rows = await tx
      .select()
      .from(productCategories)
      .where(parent ? eq(productCategories.parentId, parent) : isNull(productCategories.parentId));
    const found = rows.find((r) => normalize(r.name) === normalize(name));
    if (found) parent = found.id;
    else {
      const id = newId(now);
      await tx.insert(productCategories).values({ id, name, parentId: parent, position: 0, createdAt: now });
      parent = id;
    }
  }
  return parent;
}

/**
 * The products of a category and every category under it, active and orderable by name (the menu a customer
 * browses). Without a category: every active product.
 */
export async function productsInCategory(ctx: Ctx, categoryId: string | null) {
  const all = await ctx.db.select().from(products).where(eq(products.active, true)).orderBy(products.name);
  if (!categoryId) return all;
  const cats = await listCategories(ctx);
  const under = new Set([categoryId]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of cats)
      if (c.parentId && under.has(c.parentId) && !under.has(c.id)) {
        under.add(c.id);
        grew = true;
      }
  }
  return all.filter((p) => p.categoryId && under.has(p.categoryId));
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
  // a product's categories count as its category words (a menu step can ask for "Bebidas")
  const paths = new Map(categoryTree(await listCategories(ctx)).map((c) => [c.id, c.path]));
  const scored = active
    .map((p) => {
      const cat = `${p.category ?? ""} ${(p.categoryId && paths.get(p.categoryId)) || ""}`;
      const [name, category, sku, description] = [p.name, cat, p.sku ?? "", p.description ?? ""].map((x) =>
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

export {
  createOrder,
  orderInput,
  orderByNumber,
  listOrders,
  getOrder,
  setOrderStatus,
  markPaid,
  checkout,
  getCart,
  addToCart,
  updateCartLine,
  setCartDetails,
  clearCart,
  applyCoupon,
  lineText,
} from "./orders.ts";
