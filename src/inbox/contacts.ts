import { z } from "zod";
import { and, eq, desc, sql, exists, inArray, type SQL } from "drizzle-orm";
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import { contacts, conversations, contactTags, tags } from "./schema.ts";
import { newId } from "../platform/ids.ts";
import { badRequest, notFound } from "../platform/errors.ts";
import { seesAll, type Actor, type Ctx } from "../platform/context.ts";
import { contactVisibleTo, visibleWhere } from "./visibility.ts";
import { ftsQuery, phoneDigits } from "./search.ts";
import { patchOf } from "../platform/validation.ts";
import { checkAttributes } from "./contact-fields.ts";

/** Normalises a phone to E.164; a number that cannot be a real phone is a 400 naming the field. */
export function normalizePhone(raw: string | null | undefined, country: string = "MX"): string | null {
  if (raw === null || raw === undefined || String(raw).trim() === "") return null;
  const p = parsePhoneNumberFromString(String(raw), country as CountryCode);
  if (!p?.isPossible())
    throw badRequest("invalid_phone", "The phone number is not valid", { field: "phone", value: raw });
  return p.number;
}

export const contactInput = z.strictObject({
  name: z.string().trim().max(200).default(""),
  phone: z.string().max(40).nullish(),
  email: z
    .email()
    .max(200)
    .nullish()
    .or(z.literal("").transform(() => null)),
  attributes: z
    .record(z.string().max(64), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))
    .default({}),
});
export const contactPatch = patchOf(contactInput);

export async function createContact(ctx: Ctx, input: z.input<typeof contactInput>, country?: string) {
  const c = contactInput.parse(input);
  c.attributes = (await checkAttributes(ctx, c.attributes)) as typeof c.attributes;
  const phone = normalizePhone(c.phone, country);
  const now = ctx.clock.now();
  const id = newId(now);
  await ctx.database.write(async (tx, after) => {
    await tx.insert(contacts).values({
      id,
      name: c.name,
      phone,
      email: c.email?.toLowerCase() ?? null,
      attributes: c.attributes,
      createdAt: now,
      updatedAt: now,
    });
    await ctx.events.record(tx, after, { type: "contacts.created", data: { contactId: id } });
  });
  return getContactRow(ctx, id);
}

async function getContactRow(ctx: Ctx, id: string) {
  const c = await ctx.db.select().from(contacts).where(eq(contacts.id, id)).get();
  if (!c) throw notFound("Contact");
  const t = await ctx.db
    .select({ id: tags.id, name: tags.name, color: tags.color })
    .from(contactTags)
    .innerJoin(tags, eq(tags.id, contactTags.tagId))
    .where(eq(contactTags.contactId, id));
  return { ...c, tags: t };
}

/** An agent sees a contact only through a conversation they can see. */
async function assertContactVisible(ctx: Ctx, actor: Actor, id: string) {
  if (!(await contactVisibleTo(ctx.db, actor, id))) throw notFound("Contact");
}

export async function getContact(ctx: Ctx, actor: Actor, id: string) {
  await assertContactVisible(ctx, actor, id);
  return getContactRow(ctx, id);
}

export async function updateContact(
  ctx: Ctx,
  actor: Actor,
  id: string,
  patch: z.input<typeof contactPatch>,
  country?: string,
) {
  await assertContactVisible(ctx, actor, id);
  const p = contactPatch.parse(patch);
  if (p.attributes) p.attributes = (await checkAttributes(ctx, p.attributes)) as typeof p.attributes;
  const phone = p.phone !== undefined ? normalizePhone(p.phone, country) : undefined;
  await ctx.database.write(async (tx, after) => {
    const cur = await tx.select().from(contacts).where(eq(contacts.id, id)).get();
    if (!cur) throw notFound("Contact");
    await tx
      .update(contacts)
      .set({
        ...(p.name !== undefined ? { name: p.name } : {}),
        ...(phone !== undefined ? { phone } : {}),
        ...(p.email !== undefined ? { email: p.email?.toLowerCase() ?? null } : {}),
        // attributes are merged; a null value removes that attribute
        ...(p.attributes !== undefined
          ? {
              attributes: Object.fromEntries(
                Object.entries({ ...cur.attributes, ...p.attributes }).filter(([, v]) => v !== null),
              ),
            }
          : {}),
        updatedAt: ctx.clock.now(),
      })
      .where(eq(contacts.id, id));
    await ctx.events.record(tx, after, {
      type: "contacts.updated",
      actor: actorRef(actor),
      data: { contactId: id, fields: Object.keys(p) },
    });
  });
  return getContactRow(ctx, id);
}

export function actorRef(actor: Actor) {
  return {
    type:
      actor.kind === "api_key" ? ("api_key" as const) : actor.kind === "user" ? ("user" as const) : ("system" as const),
    id: "id" in actor ? (actor.id ?? null) : null,
  };
}

export const contactFilters = z.object({
  q: z.string().max(200).optional(),
  before: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  /** has this tag */
  tagId: z.string().max(64).optional(),
  /** known on this channel (an identity there) */
  channelId: z.string().max(64).optional(),
  /** wrote within the last N days / not for N days */
  seenDays: z.coerce.number().int().min(1).max(3650).optional(),
  notSeenDays: z.coerce.number().int().min(1).max(3650).optional(),
  /** created within the last N days */
  createdDays: z.coerce.number().int().min(1).max(3650).optional(),
  /** an attribute's value, as "key=value" */
  attribute: z
    .string()
    .max(200)
    .regex(/^[^=]{1,64}=.*$/, "key=value")
    .optional(),
});
export type ContactFilters = z.input<typeof contactFilters>;

/** The conditions of contactFilters (search aside): what a list, a segment's count and an export share. */
export function contactFilterWhere(ctx: Ctx, f: z.output<typeof contactFilters>) {
  const conds = [];
  const now = ctx.clock.now();
  if (f.tagId)
    conds.push(
      sql`${contacts.id} IN (SELECT ${contactTags.contactId} FROM ${contactTags} WHERE ${contactTags.tagId} = ${f.tagId})`,
    );
  if (f.channelId)
    conds.push(sql`${contacts.id} IN (SELECT contact_id FROM contact_identities WHERE channel_id = ${f.channelId})`);
  if (f.seenDays)
    conds.push(
      sql`EXISTS (SELECT 1 FROM ${conversations} WHERE ${conversations.contactId} = ${contacts.id} AND ${conversations.lastInboundAt} >= ${now - f.seenDays * 86_400_000})`,
    );
  if (f.notSeenDays)
    conds.push(
      sql`NOT EXISTS (SELECT 1 FROM ${conversations} WHERE ${conversations.contactId} = ${contacts.id} AND ${conversations.lastInboundAt} >= ${now - f.notSeenDays * 86_400_000})`,
    );
  if (f.createdDays) conds.push(sql`${contacts.createdAt} >= ${now - f.createdDays * 86_400_000}`);
  if (f.attribute) {
    const i = f.attribute.indexOf("=");
    const k = f.attribute.slice(0, i).trim();
    const v = f.attribute.slice(i + 1).trim();
    // compared as text: an attribute stored as the number 5 matches "5"
    conds.push(sql`CAST(json_extract(${contacts.attributes}, ${`$."${k.replace(/"/g, "")}"`}) AS TEXT) = ${v}`);
  }
  return conds;
}

/**
 * Contacts newest first, searched and filtered. A search reads its index newest first and stops at the page
 * (names and e-mails through contacts_fts, any part of a phone through the trigram index contacts_phone_fts), so
 * its cost follows the page, not how many contacts match. The cursor is a contact's id.
 */
export async function listContacts(ctx: Ctx, actor: Actor, input: ContactFilters) {
  const f = contactFilters.parse(input);
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
  const conds = contactFilterWhere(ctx, f);
  const before = f.before ? sql`(SELECT rowid FROM ${contacts} WHERE ${contacts.id} = ${f.before})` : null;
  if (before) conds.push(sql`${contacts}.rowid < ${before}`);
  const q = f.q ? ftsQuery(f.q) : null;
  const digits = f.q ? phoneDigits(f.q) : null;
  // a plain search (no other condition) takes the index's newest matches alone; with conditions, the index's
  // matches are the candidates the conditions then narrow
  const plain = conds.length === (before ? 1 : 0) && seesAll(actor);
  const page = (table: string, match: SQL) =>
    plain
      ? sql`${contacts}.rowid IN (SELECT rowid FROM ${sql.raw(table)} WHERE ${match}${before ? sql` AND rowid < ${before}` : sql``} ORDER BY rowid DESC LIMIT ${limit})`
      : sql`${contacts}.rowid IN (SELECT rowid FROM ${sql.raw(table)} WHERE ${match})`;
  // a whole e-mail is looked up by its own index
  const email = f.q && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(f.q.trim()) ? f.q.trim().toLowerCase() : null;
  if (email) conds.push(eq(contacts.email, email));
  else if (digits && digits.length >= 3) conds.push(page("contacts_phone_fts", sql`phone LIKE ${`%${digits}%`}`));
  else if (q) conds.push(page("contacts_fts", sql`contacts_fts MATCH ${q}`));
  if (!seesAll(actor))
    conds.push(
      exists(
        ctx.db
          .select({ one: sql`1` })
          .from(conversations)
          .where(and(eq(conversations.contactId, contacts.id), visibleWhere(actor))),
      ),
    );
  const rows = await ctx.db
    .select()
    .from(contacts)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(sql`${contacts}.rowid DESC`)
    .limit(limit);
  return { items: rows, next: rows.length === limit ? rows[rows.length - 1].id : null };
}

/** The contacts a list shows (search and filters), as CSV: what the person may see, at most 100,000 rows. */
export async function exportContactsCsv(ctx: Ctx, actor: Actor, input: ContactFilters) {
  const cell = (v: unknown) => {
    const s = v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    // a cell a spreadsheet would run as a formula starts with a quote mark
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",\n\r;]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const rows: string[] = ["id,name,phone,email,attributes,created_at"];
  let before: string | undefined;
  for (let n = 0; n < 500; n++) {
    const page = await listContacts(ctx, actor, { ...input, limit: 200, before });
    for (const c of page.items)
      rows.push(
        [c.id, c.name, c.phone, c.email, c.attributes, new Date(c.createdAt).toISOString()].map(cell).join(","),
      );
    if (!page.next) break;
    before = page.next;
  }
  return `\uFEFF${rows.join("\r\n")}\r\n`;
}

/** Past conversations of a contact that the actor may see, newest first. */
export async function contactConversations(ctx: Ctx, actor: Actor, contactId: string) {
  return ctx.db
    .select({
      id: conversations.id,
      status: conversations.status,
      channelId: conversations.channelId,
      lastMessageAt: conversations.lastMessageAt,
      lastMessagePreview: conversations.lastMessagePreview,
      createdAt: conversations.createdAt,
    })
    .from(conversations)
    .where(and(eq(conversations.contactId, contactId), visibleWhere(actor)))
    .orderBy(desc(conversations.lastMessageAt))
    .limit(50);
}

/** Names of contacts by id, for lists that point at them (appointments, tickets); a contact without a name is "". */
export async function contactNames(ctx: Ctx, ids: string[]) {
  const uniq = [...new Set(ids)];
  if (!uniq.length) return new Map<string, string>();
  const rows = await ctx.db
    .select({ id: contacts.id, name: contacts.name, phone: contacts.phone, email: contacts.email })
    .from(contacts)
    .where(inArray(contacts.id, uniq));
  return new Map(rows.map((r) => [r.id, r.name || r.phone || r.email || ""]));
}
