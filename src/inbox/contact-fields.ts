// What the business keeps about its contacts (manual 6.18): attribute definitions (text, number, date, or one of a
// list) the console edits and the contact page shows with their own inputs, and saved segments — a search and
// filters of the contacts list, by name, with their live count (campaigns send to them).
import { z } from "zod";
import { and, asc, count, eq, exists, inArray, sql } from "drizzle-orm";
import { contactFields, contactSegments, contacts, conversations } from "./schema.ts";
import { newId } from "../platform/ids.ts";
import type { Db, Tx } from "../platform/db.ts";
import { badRequest, conflict, notFound } from "../platform/errors.ts";
import { assertAdmin, seesAll, type Actor, type Ctx } from "../platform/context.ts";
import { contactFilters, contactFilterWhere } from "./contacts.ts";
import { visibleWhere } from "./visibility.ts";
import { ftsQuery, phoneDigits } from "./search.ts";

export const fieldInput = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "lowercase letters, digits and _"),
  label: z.string().trim().min(1).max(80),
  type: z.enum(["text", "number", "date", "list"]),
  options: z.array(z.string().trim().min(1).max(80)).max(50).default([]),
});
export type ContactField = typeof contactFields.$inferSelect;

export async function listContactFields(ctx: Ctx) {
  return ctx.db.select().from(contactFields).orderBy(asc(contactFields.label));
}
export async function createContactField(ctx: Ctx, actor: Actor, input: z.input<typeof fieldInput>) {
  assertAdmin(actor);
  const f = fieldInput.parse(input);
  if (f.type === "list" && !f.options.length)
    throw badRequest("list_needs_options", "A list field needs its options", { field: "options" });
  return ctx.database.write(async (tx) => {
    if (await tx.select({ id: contactFields.id }).from(contactFields).where(eq(contactFields.key, f.key)).get())
      throw conflict("field_exists", "A field with this key already exists", { field: "key" });
    const row = { id: newId(), ...f, options: f.type === "list" ? f.options : [], createdAt: ctx.clock.now() };
    await tx.insert(contactFields).values(row);
    return row;
  });
}
export async function deleteContactField(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const r = await tx.delete(contactFields).where(eq(contactFields.id, id)).returning({ id: contactFields.id });
    if (!r.length) throw notFound("Field");
  });
}

/**
 * Attribute values checked against their definitions: a number is a number (stored as one), a date YYYY-MM-DD, a
 * list value one of its options. Attributes without a definition pass as they are; null removes one.
 */
export async function checkAttributes(ctx: Ctx, values: Record<string, unknown>, known?: Map<string, ContactField>) {
  const keys = Object.keys(values);
  if (!keys.length) return values;
  const defs = known ?? new Map((await listContactFields(ctx)).map((d) => [d.key, d]));
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = values[k];
    const d = defs.get(k);
    if (!d || v === null || v === "") {
      out[k] = v === "" ? null : v;
      continue;
    }
    const bad = (why: string) =>
      badRequest("bad_attribute", `${d.label}: ${why}`, { field: d.label, value: String(v).slice(0, 60) });
    if (d.type === "number") {
      const n = typeof v === "number" ? v : Number(String(v).replace(",", "."));
      if (!Number.isFinite(n)) throw bad("expected a number");
      out[k] = n;
    } else if (d.type === "date") {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(String(v)) || Number.isNaN(Date.parse(String(v))))
        throw bad("expected YYYY-MM-DD");
      out[k] = String(v);
    } else if (d.type === "list") {
      if (!d.options.includes(String(v))) throw bad("not one of its options");
      out[k] = String(v);
    } else out[k] = String(v);
  }
  return out;
}

// ---------------------------------------------------------------- segments

export const segmentInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  /** the contacts list's search (q) and filters */
  filters: z.record(z.string().max(20), z.string().max(200)).default({}),
});
export type Segment = typeof contactSegments.$inferSelect;

/** The filters a segment may hold: those of the contacts list, checked as the list reads them. */
function checkFilters(filters: Record<string, string>) {
  const f = contactFilters
    .omit({ before: true, limit: true })
    .strict()
    .parse(Object.fromEntries(Object.entries(filters).filter(([, v]) => v)));
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, String(v)]));
}

export async function listSegments(ctx: Ctx) {
  return ctx.db.select().from(contactSegments).orderBy(asc(contactSegments.name));
}
/** Saves a segment (administrators and supervisors: campaigns send to them). */
export async function createSegment(ctx: Ctx, actor: Actor, input: z.input<typeof segmentInput>) {
  if (!(seesAll(actor) || (actor.kind === "user" && actor.role === "supervisor"))) assertAdmin(actor);
  const s = segmentInput.parse(input);
  const filters = checkFilters(s.filters);
  return ctx.database.write(async (tx) => {
    if (await tx.select({ id: contactSegments.id }).from(contactSegments).where(eq(contactSegments.name, s.name)).get())
      throw conflict("segment_exists", "A segment with this name already exists", { field: "name" });
    const row = {
      id: newId(),
      name: s.name,
      filters,
      createdBy: "id" in actor ? (actor.id ?? null) : null,
      createdAt: ctx.clock.now(),
    };
    await tx.insert(contactSegments).values(row);
    return row;
  });
}
export async function deleteSegment(ctx: Ctx, actor: Actor, id: string) {
  if (!(seesAll(actor) || (actor.kind === "user" && actor.role === "supervisor"))) assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const r = await tx.delete(contactSegments).where(eq(contactSegments.id, id)).returning({ id: contactSegments.id });
    if (!r.length) throw notFound("Segment");
  });
}
export async function getSegment(ctx: Ctx, id: string) {
  const s = await ctx.db.select().from(contactSegments).where(eq(contactSegments.id, id)).get();
  if (!s) throw notFound("Segment");
  return s;
}

/** A segment's filters as conditions on contacts: the list's filters and its search (names, e-mails, phones). */
function segmentWhere(ctx: Ctx, filters: Record<string, string>) {
  const f = contactFilters.parse(checkFilters(filters));
  const conds = contactFilterWhere(ctx, f);
  const q = f.q ? ftsQuery(f.q) : null;
  const digits = f.q ? phoneDigits(f.q) : null;
  if (digits)
    conds.push(sql`${contacts}.rowid IN (SELECT rowid FROM contacts_phone_fts WHERE phone LIKE ${`%${digits}%`})`);
  else if (q) conds.push(sql`${contacts}.rowid IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ${q})`);
  return conds;
}

/** The saved segments, of those named, that a contact is in now (a price list for a segment, campaigns). */
export async function segmentsOf(
  ctx: Ctx,
  reader: Pick<Tx, "select"> | Pick<Db, "select">,
  contactId: string,
  segmentIds: string[],
) {
  if (!segmentIds.length) return new Set<string>();
  const db = reader as Pick<Tx, "select">;
  const rows = await db.select().from(contactSegments).where(inArray(contactSegments.id, segmentIds));
  const inside = new Set<string>();
  for (const s of rows) {
    const hit = await db
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(eq(contacts.id, contactId), ...segmentWhere(ctx, s.filters)))
      .get();
    if (hit) inside.add(s.id);
  }
  return inside;
}

/** How many contacts a search and filters hold, as the actor may see them (a segment's live count). */
export async function countContacts(ctx: Ctx, actor: Actor, filters: Record<string, string>) {
  const conds = segmentWhere(ctx, filters);
  if (!seesAll(actor))
    conds.push(
      exists(
        ctx.db
          .select({ one: sql`1` })
          .from(conversations)
          .where(and(eq(conversations.contactId, contacts.id), visibleWhere(actor))),
      ),
    );
  const r = await ctx.db
    .select({ n: count() })
    .from(contacts)
    .where(conds.length ? and(...conds) : undefined)
    .get();
  return r?.n ?? 0;
}
