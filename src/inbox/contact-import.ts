// Contacts from a spreadsheet (manual 6.18): a CSV with its columns mapped (name, phone, e-mail, tags, attributes),
// de-duplicated by phone and e-mail (against the contacts there are and within the file), all or nothing — every
// line is checked before anything is written, and a bad one is named with its line, column and value — written in
// one transaction, with its progress readable while it runs (the console shows a bar).
import { z } from "zod";
import { inArray } from "drizzle-orm";
import { contacts, contactTags, tags } from "./schema.ts";
import { newId } from "../platform/ids.ts";
import { AppError, badRequest, forbidden } from "../platform/errors.ts";
import { isAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { parseCsvLines } from "../platform/csv.ts";
import { normalizePhone } from "./contacts.ts";
import { getBusiness } from "../setup/service.ts";
import { checkAttributes, listContactFields } from "./contact-fields.ts";
import { actorRef } from "./contacts.ts";

export const MAX_IMPORT_ROWS = 100_000;

/** What a column of the file is: one of the contact's fields, its tags (separated by | or ,), an attribute, or nothing. */
export const columnTarget = z.union([
  z.enum(["ignore", "name", "phone", "email", "tags"]),
  z.string().regex(/^attr:[^\s=]{1,64}$/, "attr:<key>"),
]);
export const mappingInput = z.array(columnTarget).min(1).max(200);

/** A first guess of each column from its header (Spanish or English), which the person confirms or changes. */
export function guessMapping(header: string[]): string[] {
  const fold = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim();
  const used = new Set<string>();
  return header.map((h) => {
    const k = fold(h);
    // a second column that looks like the same field becomes an attribute of its own
    const pick = (t: string) => {
      if (used.has(t)) return `attr:${k.replace(/\s+/g, "_").slice(0, 64) || "col"}`;
      used.add(t);
      return t;
    };
    if (/^(nombre|name|cliente|nombre completo|full name)$/.test(k)) return pick("name");
    if (/(telefono|phone|celular|movil|whatsapp|tel)/.test(k)) return pick("phone");
    if (/(correo|e-?mail|mail)/.test(k)) return pick("email");
    if (/^(etiquetas?|tags?)$/.test(k)) return pick("tags");
    if (!k) return "ignore";
    return `attr:${k.replace(/\s+/g, "_").slice(0, 64)}`;
  });
}

/** A file read for import: its header and rows (with their lines); too long or empty is a 400. */
export function readImportFile(text: string) {
  const rows = parseCsvLines(text.replace(/^\uFEFF/, ""));
  if (rows.length < 2) throw badRequest("csv_empty", "The file has no rows under its header", { field: "file" });
  if (rows.length - 1 > MAX_IMPORT_ROWS)
    throw badRequest("csv_too_long", `At most ${MAX_IMPORT_ROWS} contacts per file`, {
      field: "file",
      max: "100 000",
    });
  return { header: rows[0]!.cells, rows: rows.slice(1) };
}

export type ImportProgress = { phase: "checking" | "writing" | "done" | "failed"; done: number; total: number };
export type ImportResult = { created: number; updated: number; mergedInFile: number; tagged: number };

const emailOk = z.email();

/**
 * Imports the rows with the mapping. Every row is checked first (a phone that cannot be one, an e-mail that is
 * not one: 400 csv_value naming line, column and value; nothing written). Then, in one transaction: a row whose
 * phone or e-mail is already a contact's updates that contact (fields it lacks, its attributes, its tags); rows of
 * the file that share a phone or e-mail are one contact; the others are created. Tags named in the file that do
 * not exist are created.
 */
export async function importContacts(
  ctx: Ctx,
  actor: Actor,
  file: { header: string[]; rows: { line: number; cells: string[] }[] },
  mapping: z.input<typeof mappingInput>,
  progress: (p: ImportProgress) => void = () => {},
): Promise<ImportResult> {
  if (!(isAdmin(actor) || (actor.kind === "user" && actor.role === "supervisor")))
    throw forbidden("not_your_team", "Only an administrator or a supervisor can import contacts");
  const map = mappingInput.parse(mapping);
  if (map.length !== file.header.length)
    throw badRequest("csv_mapping", "The mapping must name what each column of the file is", {
      columns: file.header.length,
    });
  if (!map.includes("phone") && !map.includes("email") && !map.includes("name"))
    throw badRequest("import_columns", "Map a name, phone or e-mail column");
  const country = (await getBusiness(ctx))?.country ?? "MX";
  // the attributes the business defines are checked as the contact page checks them
  const defs = new Map((await listContactFields(ctx)).map((d) => [d.key, d]));
  const total = file.rows.length;
  type Row = {
    name: string;
    phone: string | null;
    email: string | null;
    attributes: Record<string, string>;
    tags: string[];
  };
  const parsed: Row[] = [];
  for (const [i, r] of file.rows.entries()) {
    const row: Row = { name: "", phone: null, email: null, attributes: {}, tags: [] };
    for (const [j, target] of map.entries()) {
      const v = (r.cells[j] ?? "").trim();
      if (!v || target === "ignore") continue;
      const bad = (why: string) =>
        badRequest("csv_value", why, { line: r.line, column: file.header[j] ?? String(j + 1), value: v.slice(0, 60) });
      if (target === "name") row.name = v.slice(0, 200);
      else if (target === "phone") {
        try {
          row.phone = normalizePhone(v, country);
        } catch {
          throw bad("The phone number is not valid");
        }
      } else if (target === "email") {
        if (!emailOk.safeParse(v).success || v.length > 200) throw bad("The e-mail is not valid");
        row.email = v.toLowerCase();
      } else if (target === "tags")
        row.tags.push(
          ...v
            .split(/[|,]/)
            .map((x) => x.trim())
            .filter(Boolean)
            .map((x) => x.slice(0, 40)),
        );
      else {
        const key = target.slice(5);
        const d = defs.get(key);
        if (d) {
          try {
            row.attributes[key] = (await checkAttributes(ctx, { [key]: v }, defs))[key] as never;
          } catch {
            throw bad(`${d.label}: not a valid value`);
          }
        } else row.attributes[key] = v.slice(0, 2000);
      }
    }
    if (!row.name && !row.phone && !row.email && !Object.keys(row.attributes).length) continue;
    parsed.push(row);
    if (i % 2000 === 0) progress({ phase: "checking", done: i, total });
  }
  progress({ phase: "writing", done: 0, total: parsed.length });
  const now = ctx.clock.now();
  const result: ImportResult = { created: 0, updated: 0, mergedInFile: 0, tagged: 0 };
  await ctx.database.write(async (tx, after) => {
    // what is already there, by phone and by e-mail
    const byPhone = new Map<string, typeof contacts.$inferSelect>();
    const byEmail = new Map<string, typeof contacts.$inferSelect>();
    const phones = [...new Set(parsed.map((p) => p.phone).filter((x): x is string => !!x))];
    const emails = [...new Set(parsed.map((p) => p.email).filter((x): x is string => !!x))];
    for (let i = 0; i < phones.length; i += 500)
      for (const c of await tx
        .select()
        .from(contacts)
        .where(inArray(contacts.phone, phones.slice(i, i + 500))))
        if (c.phone) byPhone.set(c.phone, c);
    for (let i = 0; i < emails.length; i += 500)
      for (const c of await tx
        .select()
        .from(contacts)
        .where(inArray(contacts.email, emails.slice(i, i + 500))))
        if (c.email) byEmail.set(c.email, c);
    // the file's own rows, one per person (the same phone or e-mail), later rows filling what earlier ones lack
    const people = new Map<string, Row & { existing?: typeof contacts.$inferSelect }>();
    const keyOf = new Map<string, string>();
    for (const r of parsed) {
      const k = (r.phone && keyOf.get(`p:${r.phone}`)) || (r.email && keyOf.get(`e:${r.email}`)) || null;
      if (k) {
        const p = people.get(k)!;
        p.name ||= r.name;
        p.phone ??= r.phone;
        p.email ??= r.email;
        Object.assign(p.attributes, r.attributes);
        p.tags.push(...r.tags);
        result.mergedInFile++;
        if (r.phone) keyOf.set(`p:${r.phone}`, k);
        if (r.email) keyOf.set(`e:${r.email}`, k);
        continue;
      }
      const id = newId(now);
      const existing = (r.phone && byPhone.get(r.phone)) || (r.email && byEmail.get(r.email)) || undefined;
      people.set(id, { ...r, tags: [...r.tags], existing });
      if (r.phone) keyOf.set(`p:${r.phone}`, id);
      if (r.email) keyOf.set(`e:${r.email}`, id);
    }
    // tags by name (made when missing)
    const tagNames = [...new Set([...people.values()].flatMap((p) => p.tags))];
    const tagIds = new Map<string, string>();
    if (tagNames.length) {
      for (const t of await tx.select().from(tags)) tagIds.set(t.name.toLowerCase(), t.id);
      for (const n of tagNames)
        if (!tagIds.has(n.toLowerCase())) {
          const id = newId(now);
          await tx.insert(tags).values({ id, name: n, color: "#64748b", createdAt: now });
          tagIds.set(n.toLowerCase(), id);
        }
    }
    let done = 0;
    const fresh: (typeof contacts.$inferInsert)[] = [];
    const links: { contactId: string; tagId: string }[] = [];
    for (const [id, p] of people) {
      const contactId = p.existing?.id ?? id;
      if (p.existing) {
        await tx
          .update(contacts)
          .set({
            name: p.existing.name || p.name,
            phone: p.existing.phone ?? p.phone,
            email: p.existing.email ?? p.email,
            attributes: { ...p.existing.attributes, ...p.attributes },
            updatedAt: now,
          })
          .where(inArray(contacts.id, [contactId]));
        result.updated++;
      } else {
        fresh.push({
          id,
          name: p.name,
          phone: p.phone,
          email: p.email,
          attributes: p.attributes,
          createdAt: now,
          updatedAt: now,
        });
        result.created++;
      }
      for (const n of new Set(p.tags.map((x) => x.toLowerCase()))) links.push({ contactId, tagId: tagIds.get(n)! });
      if (fresh.length >= 500) await tx.insert(contacts).values(fresh.splice(0));
      if (++done % 2000 === 0) progress({ phase: "writing", done, total: people.size });
    }
    if (fresh.length) await tx.insert(contacts).values(fresh);
    for (let i = 0; i < links.length; i += 500)
      await tx
        .insert(contactTags)
        .values(links.slice(i, i + 500))
        .onConflictDoNothing();
    result.tagged = links.length;
    await ctx.events.record(tx, after, {
      type: "contacts.imported",
      actor: actorRef(actor),
      data: { ...result },
    });
  });
  progress({ phase: "done", done: total, total });
  return result;
}

// ---------------------------------------------------------------- the console's import jobs

type Job = {
  id: string;
  userId: string;
  header: string[];
  rows: { line: number; cells: string[] }[];
  mapping: string[];
  progress: ImportProgress | null;
  result: ImportResult | null;
  error: AppError | null;
  at: number;
};
const jobsByCtx = new WeakMap<Ctx, Map<string, Job>>();
const jobsOf = (ctx: Ctx) => {
  let m = jobsByCtx.get(ctx);
  if (!m) jobsByCtx.set(ctx, (m = new Map()));
  // files read more than an hour ago are dropped
  for (const [k, j] of m) if (ctx.clock.now() - j.at > 3_600_000) m.delete(k);
  return m;
};

/** A file uploaded in the console, kept (in memory, an hour) until its person confirms the mapping. */
export function startImportJob(ctx: Ctx, actor: Actor, text: string) {
  const file = readImportFile(text);
  const id = newId();
  jobsOf(ctx).set(id, {
    id,
    userId: actor.kind === "user" ? actor.id : "",
    ...file,
    mapping: guessMapping(file.header),
    progress: null,
    result: null,
    error: null,
    at: ctx.clock.now(),
  });
  return id;
}

/** A job of this person, or undefined (someone else's reads as gone). */
export function importJob(ctx: Ctx, actor: Actor, id: string) {
  const j = jobsOf(ctx).get(id);
  return j && actor.kind === "user" && j.userId === actor.id ? j : undefined;
}

/** Runs a job with the mapping confirmed; its progress and result are read from importJob while it runs. */
export function runImportJob(ctx: Ctx, actor: Actor, job: Job, mapping: string[]) {
  job.mapping = mapping;
  job.error = null;
  job.result = null;
  job.progress = { phase: "checking", done: 0, total: job.rows.length };
  return importContacts(ctx, actor, job, mapping, (p) => (job.progress = p)).then(
    (r) => {
      job.result = r;
      job.rows = [];
    },
    (e) => {
      job.progress = { phase: "failed", done: 0, total: job.rows.length };
      job.error = e instanceof AppError ? e : new AppError(400, "validation_failed", String(e));
    },
  );
}
