// Follow-up sequences (§6.16): a contact is enrolled (by a rule, the API, from a conversation or a contacts CSV)
// and gets each step in turn, a delay after the enrolment or after the previous step, inside the sequence's send
// window, until the last step or an exit. Each step is a due row in the engine's timers table (kind "sequence"),
// so it survives restarts; it is sent once (the outbox's idempotency key is enrolment + step) and recorded once
// (sequence_sends, keyed the same). Exits are applied as their events are read from the events table, and checked
// again when a step comes due, so an exit the engine had not read yet still stops the step.
import { checkLibraryIds } from "../library/service.ts";
import { and, asc, desc, eq, inArray, like, lt, sql } from "drizzle-orm";
import { assertAdmin, isAdmin, type Actor, type Ctx } from "../platform/context.ts";
import type { Tx } from "../platform/db.ts";
import { AppError, badRequest, forbidden, notFound } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { patchOf } from "../platform/validation.ts";
import { parseCsv } from "../platform/csv.ts";
import type { events as eventsTable } from "../platform/schema.ts";
import { contacts, conversations, conversationTags, tags } from "../inbox/schema.ts";
import { canSee, contactVisibleTo } from "../inbox/visibility.ts";
import { normalizePhone, updateContact } from "../inbox/contacts.ts";
import * as inbox from "../inbox/service.ts";
import { getBusiness, type Business, weekdays } from "../setup/service.ts";
import { localParts, zonedTime } from "../calendar/service.ts";
import { normalize } from "../agents/text.ts";
import { automationTimers, sequenceEnrolments, sequenceSends, sequences } from "./schema.ts";
import { sequenceInput, type SendWindow, type SequenceStep } from "./model.ts";
import { factsFor, kick, onceARound, render } from "./engine.ts";

export type Sequence = typeof sequences.$inferSelect;
export type Enrolment = typeof sequenceEnrolments.$inferSelect;
type Timer = typeof automationTimers.$inferSelect;
type Ev = typeof eventsTable.$inferSelect;

export const sequencePatch = patchOf(sequenceInput);

// ---- the send window

const validZone = (tz: unknown): tz is string => {
  if (typeof tz !== "string" || !tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** The time zone a contact's steps are timed in: theirs (attribute "timezone") when the window says so. */
export function zoneFor(w: SendWindow, b: Pick<Business, "timezone"> | null, attributes: Record<string, unknown>) {
  if (w.contactTimeZone && validZone(attributes.timezone)) return attributes.timezone;
  return b?.timezone ?? "UTC";
}

const dayAfter = (date: string, n: number) => {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
};

/**
 * The first instant at or after `at` inside the window: one of its weekdays between its hours, or the business's
 * opening hours, in time zone `tz`. A window that never opens (every day closed) does not hold a step back.
 */
export function nextInWindow(w: SendWindow, b: Pick<Business, "hours"> | null, tz: string, at: number): number {
  const today = localParts(tz, at).date;
  // from the day before: a window past midnight (22:00–02:00) may have opened then
  for (let n = -1; n <= 8; n++) {
    const date = dayAfter(today, n);
    const [y, m, d] = date.split("-").map(Number);
    const wd = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
    let from: string, to: string;
    if (w.businessHours && b) {
      const h = b.hours[weekdays[(wd + 6) % 7]];
      if (!h?.open) continue;
      ({ from, to } = h);
    } else {
      if (!w.days.includes(wd)) continue;
      ({ from, to } = w);
    }
    const start = zonedTime(tz, date, from);
    const end = to > from ? zonedTime(tz, date, to) : zonedTime(tz, dayAfter(date, 1), to);
    if (at < end) return Math.max(at, start);
  }
  return at;
}

/** When step `i` of an enrolment comes due, its window aside. */
function dueOf(step: SequenceStep, enrolledAt: number, previousAt: number | null) {
  const base = step.after === "enrolment" || previousAt === null ? enrolledAt : previousAt;
  return base + step.delayMinutes * 60_000;
}

async function windowedDue(ctx: Ctx, seq: Sequence, contactId: string, due: number) {
  const b = await getBusiness(ctx);
  const c = await ctx.db
    .select({ attributes: contacts.attributes })
    .from(contacts)
    .where(eq(contacts.id, contactId))
    .get();
  return nextInWindow(seq.window, b, zoneFor(seq.window, b, c?.attributes ?? {}), due);
}

const timerRow = (
  e: Pick<Enrolment, "id" | "sequenceId" | "contactId" | "conversationId">,
  step: number,
  due: number,
  now: number,
) => ({
  id: newId(now),
  key: `seq:${e.id}:${step}:${due}`,
  ruleId: e.sequenceId,
  kind: "sequence" as const,
  dueAt: due,
  conversationId: e.conversationId,
  contactId: e.contactId,
  payload: { enrolmentId: e.id, step },
  createdAt: now,
});

// ---- the owner's sequences

async function checkSequence(
  ctx: Ctx,
  s: { exits?: { tagIds?: string[] }; steps?: { media?: string[]; template?: { header?: string } }[] },
) {
  for (const [i, step] of (s.steps ?? []).entries()) {
    await checkLibraryIds(ctx.db, step.media ?? [], `steps.${i}.media`);
    if (step.template?.header) await checkLibraryIds(ctx.db, [step.template.header], `steps.${i}.template.header`);
  }
  const ids = s.exits?.tagIds ?? [];
  if (!ids.length) return;
  const found = new Set(
    (await ctx.db.select({ id: tags.id }).from(tags).where(inArray(tags.id, ids))).map((r) => r.id),
  );
  const missing = ids.find((id) => !found.has(id));
  if (missing) throw badRequest("unknown_tag", "The tag does not exist", { field: "exits.tagIds", value: missing });
}

export async function createSequence(ctx: Ctx, actor: Actor, input: unknown) {
  assertAdmin(actor);
  const s = sequenceInput.parse(input);
  await checkSequence(ctx, s);
  const now = ctx.clock.now();
  const row: Sequence = { id: newId(now), ...s, createdAt: now, updatedAt: now };
  await ctx.database.write((tx) => tx.insert(sequences).values(row));
  return row;
}

export async function getSequence(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  const s = await ctx.db.select().from(sequences).where(eq(sequences.id, id)).get();
  if (!s) throw notFound("Sequence");
  return s;
}

export async function listSequences(ctx: Ctx, actor: Actor) {
  assertAdmin(actor);
  const rows = await ctx.db.select().from(sequences).orderBy(asc(sequences.name));
  const counts = await ctx.db
    .select({ id: sequenceEnrolments.sequenceId, status: sequenceEnrolments.status, n: sql<number>`count(*)` })
    .from(sequenceEnrolments)
    .groupBy(sequenceEnrolments.sequenceId, sequenceEnrolments.status);
  return rows.map((s) => {
    const of = (st: string) => Number(counts.find((c) => c.id === s.id && c.status === st)?.n ?? 0);
    return { ...s, active: of("active"), completed: of("completed"), exited: of("exited") + of("removed") };
  });
}

export async function updateSequence(ctx: Ctx, actor: Actor, id: string, patch: unknown) {
  const cur = await getSequence(ctx, actor, id);
  const p = sequencePatch.parse(patch);
  const { name, enabled, steps, window, exits } = cur;
  const next = sequenceInput.parse({ name, enabled, steps, window, exits, ...p });
  await checkSequence(ctx, next);
  const now = ctx.clock.now();
  await ctx.database.write(async (tx) => {
    await tx
      .update(sequences)
      .set({ ...next, updatedAt: now })
      .where(eq(sequences.id, id));
    // switched off: its steps wait; switched on again, each active contact's next step is due anew
    if (cur.enabled && !next.enabled) await cancelSequenceTimers(tx, id);
  });
  if (!cur.enabled && next.enabled) await resumeSequence(ctx, { ...cur, ...next });
  // fewer steps than before: contacts past the new last one are done
  if (next.steps.length < cur.steps.length)
    await ctx.database.write((tx) =>
      tx
        .update(sequenceEnrolments)
        .set({ status: "completed", reason: "steps_removed", endedAt: now, nextAt: null })
        .where(
          and(
            eq(sequenceEnrolments.sequenceId, id),
            eq(sequenceEnrolments.status, "active"),
            sql`${sequenceEnrolments.step} >= ${next.steps.length}`,
          ),
        ),
    );
  return { ...cur, ...next, updatedAt: now };
}

const cancelSequenceTimers = (tx: Tx, sequenceId: string) =>
  tx
    .update(automationTimers)
    .set({ status: "cancelled" })
    .where(
      and(
        eq(automationTimers.kind, "sequence"),
        eq(automationTimers.ruleId, sequenceId),
        eq(automationTimers.status, "pending"),
      ),
    );

async function resumeSequence(ctx: Ctx, seq: Sequence) {
  const now = ctx.clock.now();
  const active = await ctx.db
    .select()
    .from(sequenceEnrolments)
    .where(and(eq(sequenceEnrolments.sequenceId, seq.id), eq(sequenceEnrolments.status, "active")));
  for (let k = 0; k < active.length; k += 500) {
    const rows: { e: Enrolment; due: number }[] = [];
    for (const e of active.slice(k, k + 500)) {
      if (e.step >= seq.steps.length) continue;
      const due = await windowedDue(ctx, seq, e.contactId, Math.max(now, e.nextAt ?? now));
      rows.push({ e, due });
    }
    await ctx.database.write(async (tx) => {
      for (const { e, due } of rows) {
        await tx
          .insert(automationTimers)
          .values(timerRow(e, e.step, due, now))
          .onConflictDoNothing();
        await tx.update(sequenceEnrolments).set({ nextAt: due }).where(eq(sequenceEnrolments.id, e.id));
      }
    });
  }
  void kick(ctx);
}

export async function deleteSequence(ctx: Ctx, actor: Actor, id: string) {
  await getSequence(ctx, actor, id);
  const now = ctx.clock.now();
  await ctx.database.write(async (tx) => {
    await cancelSequenceTimers(tx, id);
    await tx
      .update(sequenceEnrolments)
      .set({ status: "removed", reason: "sequence_deleted", endedAt: now, nextAt: null })
      .where(and(eq(sequenceEnrolments.sequenceId, id), eq(sequenceEnrolments.status, "active")));
    await tx.delete(sequences).where(eq(sequences.id, id));
  });
}

// ---- enrolment

export type EnrolInput = { contactId?: string; conversationId?: string };

/**
 * Puts a contact in a sequence. From a conversation, its steps are sent there; the person must see it. By contact
 * only, administrators (and admin API keys) enrol anyone. A contact already active in it stays where it is.
 */
export async function enrol(ctx: Ctx, actor: Actor, sequenceId: string, input: EnrolInput, source: string) {
  const seq = await ctx.db.select().from(sequences).where(eq(sequences.id, sequenceId)).get();
  if (!seq) throw notFound("Sequence");
  let contactId = input.contactId ?? null;
  let conversationId: string | null = null;
  if (input.conversationId) {
    const conv = await ctx.db.select().from(conversations).where(eq(conversations.id, input.conversationId)).get();
    if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
    if (contactId && contactId !== conv.contactId)
      throw badRequest("contact_mismatch", "The contact is not the conversation's", { field: "contactId" });
    contactId = conv.contactId;
    conversationId = conv.id;
  } else {
    if (!isAdmin(actor) && actor.kind !== "system")
      throw forbidden("admin_only", "Only an administrator can enrol a contact without a conversation");
    if (!contactId) throw badRequest("contact_required", "Say which contact to enrol", { field: "contactId" });
    const c = await ctx.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.id, contactId)).get();
    if (!c) throw badRequest("unknown_contact", "The contact does not exist", { field: "contactId", value: contactId });
  }
  return enrolContacts(ctx, seq, [{ contactId: contactId!, conversationId }], source).then((r) => r[0]);
}

/** Enrols many contacts at once (a CSV, a benchmark): one write per 500. Returns each one's enrolment. */
export async function enrolContacts(
  ctx: Ctx,
  seq: Sequence,
  list: { contactId: string; conversationId: string | null }[],
  source: string,
) {
  const now = ctx.clock.now();
  const b = await getBusiness(ctx);
  const out: { enrolment: Enrolment; already: boolean }[] = [];
  for (let k = 0; k < list.length; k += 500) {
    const part = list.slice(k, k + 500);
    const attrs = new Map(
      (
        await ctx.db
          .select({ id: contacts.id, attributes: contacts.attributes })
          .from(contacts)
          .where(
            inArray(
              contacts.id,
              part.map((p) => p.contactId),
            ),
          )
      ).map((r) => [r.id, r.attributes]),
    );
    const res = await ctx.database.write(async (tx) => {
      const done: typeof out = [];
      for (const p of part) {
        const prior = await tx
          .select()
          .from(sequenceEnrolments)
          .where(
            and(
              eq(sequenceEnrolments.sequenceId, seq.id),
              eq(sequenceEnrolments.contactId, p.contactId),
              eq(sequenceEnrolments.status, "active"),
            ),
          )
          .get();
        if (prior) {
          done.push({ enrolment: prior, already: true });
          continue;
        }
        const a = attrs.get(p.contactId) ?? {};
        const row: Enrolment = {
          id: newId(now),
          sequenceId: seq.id,
          contactId: p.contactId,
          conversationId: p.conversationId,
          status: "active",
          reason: null,
          step: 0,
          nextAt: null,
          source,
          enrolledAt: now,
          endedAt: null,
        };
        if (optedOut(a)) {
          row.status = "exited";
          row.reason = "opted_out";
          row.endedAt = now;
        } else if (seq.enabled) {
          row.nextAt = nextInWindow(seq.window, b, zoneFor(seq.window, b, a), dueOf(seq.steps[0], now, null));
        }
        await tx.insert(sequenceEnrolments).values(row);
        if (row.nextAt !== null) await tx.insert(automationTimers).values(timerRow(row, 0, row.nextAt, now));
        done.push({ enrolment: row, already: false });
      }
      return done;
    });
    out.push(...res);
  }
  void kick(ctx);
  return out;
}

/** Takes a contact out of a sequence (a person, the API, a rule). */
export async function unenrol(ctx: Ctx, actor: Actor, sequenceId: string, contactId: string, reason = "removed") {
  if (!isAdmin(actor) && !(await contactVisibleTo(ctx.db, actor, contactId))) throw notFound("Contact");
  const n = await endEnrolments(
    ctx,
    and(
      eq(sequenceEnrolments.sequenceId, sequenceId),
      eq(sequenceEnrolments.contactId, contactId),
      eq(sequenceEnrolments.status, "active"),
    )!,
    "removed",
    reason,
  );
  return n;
}

async function endEnrolments(
  ctx: Ctx,
  where: ReturnType<typeof and> & object,
  status: "exited" | "removed" | "completed",
  reason: string,
) {
  const now = ctx.clock.now();
  return ctx.database.write(async (tx) => {
    const ended = await tx
      .update(sequenceEnrolments)
      .set({ status, reason, endedAt: now, nextAt: null })
      .where(where)
      .returning({ id: sequenceEnrolments.id });
    for (const e of ended)
      await tx
        .update(automationTimers)
        .set({ status: "cancelled" })
        .where(and(like(automationTimers.key, `seq:${e.id}:%`), eq(automationTimers.status, "pending")));
    return ended.length;
  });
}

/**
 * Enrols the contacts of a CSV with a header naming `phone`, `email` or `id` (the contact's id; Spanish headers
 * teléfono/telefono/correo work too). Lines that match no contact are reported with their number; nothing else
 * about them changes.
 */
export async function enrolCsv(ctx: Ctx, actor: Actor, sequenceId: string, text: string) {
  assertAdmin(actor);
  const seq = await getSequence(ctx, actor, sequenceId);
  const rows = parseCsv(text.replace(/^\uFEFF/, ""));
  if (rows.length < 2) throw badRequest("csv_empty", "The file has no contacts under its header", { field: "file" });
  if (rows.length > 50_001)
    throw badRequest("csv_too_long", "At most 50,000 contacts per file", { field: "file", max: "50 000" });
  const head = rows[0].map((h) => normalize(h).replace(/\s+/g, ""));
  const col = (...names: string[]) => head.findIndex((h) => names.includes(h));
  const cPhone = col("phone", "telefono", "celular", "whatsapp"),
    cEmail = col("email", "correo", "e-mail", "mail"),
    cId = col("id", "contactid", "contacto");
  if (cPhone < 0 && cEmail < 0 && cId < 0)
    throw badRequest("csv_columns", "The header needs a phone, email or id column", { field: "file", header: rows[0] });
  const b = await getBusiness(ctx);
  const errors: { line: number; message: string }[] = [];
  const found: { contactId: string; conversationId: null }[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i];
    if (r.every((x) => !x.trim())) continue;
    const id = cId >= 0 ? r[cId]?.trim() : "";
    let phone: string | null = null;
    try {
      phone = cPhone >= 0 ? normalizePhone(r[cPhone], b?.country) : null;
    } catch {
      errors.push({ line: i + 1, message: "invalid_phone" });
      continue;
    }
    const email = cEmail >= 0 ? r[cEmail]?.trim().toLowerCase() : "";
    const c = id
      ? await ctx.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.id, id)).get()
      : phone
        ? await ctx.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.phone, phone)).get()
        : email
          ? await ctx.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.email, email)).get()
          : undefined;
    if (!c) {
      errors.push({ line: i + 1, message: id || phone || email ? "no_such_contact" : "no_contact_key" });
      continue;
    }
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    found.push({ contactId: c.id, conversationId: null });
  }
  const res = await enrolContacts(ctx, seq, found, "csv");
  return {
    enrolled: res.filter((r) => !r.already).length,
    already: res.filter((r) => r.already).length,
    errors,
  };
}

// ---- what the owner reads

/** A sequence's figures: per step, sent and skipped and the replies it got; how its contacts ended. */
export async function sequenceStats(ctx: Ctx, actor: Actor, id: string) {
  const seq = await getSequence(ctx, actor, id);
  const sends = await ctx.db
    .select({ step: sequenceSends.step, outcome: sequenceSends.outcome, n: sql<number>`count(*)` })
    .from(sequenceSends)
    .where(eq(sequenceSends.sequenceId, id))
    .groupBy(sequenceSends.step, sequenceSends.outcome);
  const ends = await ctx.db
    .select({
      status: sequenceEnrolments.status,
      reason: sequenceEnrolments.reason,
      step: sequenceEnrolments.step,
      n: sql<number>`count(*)`,
    })
    .from(sequenceEnrolments)
    .where(eq(sequenceEnrolments.sequenceId, id))
    .groupBy(sequenceEnrolments.status, sequenceEnrolments.reason, sequenceEnrolments.step);
  const n = (xs: { n: number }[]) => xs.reduce((s, x) => s + Number(x.n), 0);
  return {
    steps: seq.steps.map((_, i) => ({
      step: i,
      sent: n(sends.filter((s) => s.step === i && s.outcome === "sent")),
      skipped: n(sends.filter((s) => s.step === i && s.outcome === "skipped")),
      // a contact who replied after step i is one whose next step was i + 1 when they left
      replied: n(ends.filter((e) => e.reason === "replied" && e.step === i + 1)),
      waiting: n(ends.filter((e) => e.status === "active" && e.step === i)),
    })),
    active: n(ends.filter((e) => e.status === "active")),
    completed: n(ends.filter((e) => e.status === "completed")),
    exited: Object.fromEntries(
      [
        ...new Set(ends.filter((e) => e.status !== "active" && e.status !== "completed").map((e) => e.reason ?? "")),
      ].map((r) => [
        r,
        n(ends.filter((e) => e.status !== "active" && e.status !== "completed" && (e.reason ?? "") === r)),
      ]),
    ),
  };
}

/** A sequence's contacts, newest enrolment first. */
export async function listEnrolments(
  ctx: Ctx,
  actor: Actor,
  id: string,
  f: { status?: Enrolment["status"]; before?: string; limit?: number } = {},
) {
  await getSequence(ctx, actor, id);
  const limit = f.limit ?? 50;
  const rows = await ctx.db
    .select({ e: sequenceEnrolments, name: contacts.name, phone: contacts.phone, email: contacts.email })
    .from(sequenceEnrolments)
    .leftJoin(contacts, eq(contacts.id, sequenceEnrolments.contactId))
    .where(
      and(
        eq(sequenceEnrolments.sequenceId, id),
        f.status ? eq(sequenceEnrolments.status, f.status) : undefined,
        f.before ? lt(sequenceEnrolments.id, f.before) : undefined,
      ),
    )
    .orderBy(desc(sequenceEnrolments.id))
    .limit(limit + 1);
  const items = rows
    .slice(0, limit)
    .map((r) => ({ ...r.e, contact: { name: r.name, phone: r.phone, email: r.email } }));
  return { items, next: rows.length > limit ? items[items.length - 1].id : null };
}

/** A contact's sequences, each with its steps as they went (sent, skipped and why, next due). */
export async function contactSequences(ctx: Ctx, actor: Actor, contactId: string) {
  if (!(await contactVisibleTo(ctx.db, actor, contactId))) throw notFound("Contact");
  const rows = await ctx.db
    .select({ e: sequenceEnrolments, name: sequences.name, steps: sequences.steps })
    .from(sequenceEnrolments)
    .leftJoin(sequences, eq(sequences.id, sequenceEnrolments.sequenceId))
    .where(eq(sequenceEnrolments.contactId, contactId))
    .orderBy(desc(sequenceEnrolments.enrolledAt))
    .limit(50);
  if (!rows.length) return [];
  const sends = await ctx.db
    .select()
    .from(sequenceSends)
    .where(
      inArray(
        sequenceSends.enrolmentId,
        rows.map((r) => r.e.id),
      ),
    )
    .orderBy(asc(sequenceSends.step));
  return rows.map((r) => ({
    ...r.e,
    sequenceName: r.name ?? null,
    stepCount: r.steps?.length ?? 0,
    sends: sends
      .filter((s) => s.enrolmentId === r.e.id)
      .map(({ step, outcome, detail, messageId, at }) => ({ step, outcome, detail, messageId, at })),
  }));
}

/** For a conversation's contact panel: the sequences one may put its contact in, and the contact's timeline. */
export async function sequencePanel(ctx: Ctx, actor: Actor, conversationId: string) {
  const conv = await ctx.db.select().from(conversations).where(eq(conversations.id, conversationId)).get();
  if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
  const options = await ctx.db
    .select({ id: sequences.id, name: sequences.name })
    .from(sequences)
    .where(eq(sequences.enabled, true))
    .orderBy(asc(sequences.name));
  return { options, timeline: await contactSequences(ctx, actor, conv.contactId) };
}

// ---- the engine's side: a step comes due, an event may end enrolments

const OPT_OUT = new Set([
  "baja",
  "stop",
  "alto",
  "unsubscribe",
  "darme de baja",
  "dar de baja",
  "no mas mensajes",
  "no quiero mas mensajes",
  "cancelar suscripcion",
]);
const optedOut = (a: Record<string, unknown>) => a.opt_out === true || a.opt_out === "true" || a.opt_out === "1";
/** Whether a customer's message is an opt-out ("BAJA", "STOP", "no más mensajes"). */
export const isOptOut = (body: string) =>
  OPT_OUT.has(
    normalize(body)
      .replace(/[^\p{L}\p{N} ]/gu, "")
      .trim(),
  );

// The reads of every step, prepared once on the reader connection (drizzle would build and SQLite prepare them
// on every call; a sequence over ten thousand contacts runs them fifty thousand times).
const STEP_SQL = {
  enrolment: `SELECT id, sequence_id AS sequenceId, contact_id AS contactId, conversation_id AS conversationId,
    status, step, enrolled_at AS enrolledAt FROM sequence_enrolments WHERE id = ?`,
  // what may end an enrolment, since it began: its contact's attributes (opted out), a message from them, one
  // from a person of the team, an order
  facts: `SELECT (SELECT attributes FROM contacts WHERE id = ?1) AS attributes,
    EXISTS (SELECT 1 FROM messages m JOIN conversations v ON v.id = m.conversation_id
      WHERE v.contact_id = ?1 AND m.direction = 'in' AND m.created_at > ?2) AS replied,
    EXISTS (SELECT 1 FROM messages m JOIN conversations v ON v.id = m.conversation_id
      WHERE v.contact_id = ?1 AND m.direction = 'out' AND m.sender_type = 'agent' AND m.private = 0
      AND m.created_at > ?2) AS human,
    EXISTS (SELECT 1 FROM orders WHERE contact_id = ?1 AND created_at > ?2) AS ordered`,
  conversation: "SELECT id FROM conversations WHERE id = ?",
  latestConversation: "SELECT id FROM conversations WHERE contact_id = ? ORDER BY last_message_at DESC LIMIT 1",
};
type StepEnrolment = Pick<
  Enrolment,
  "id" | "sequenceId" | "contactId" | "conversationId" | "status" | "step" | "enrolledAt"
>;
const read = <T>(ctx: Ctx, q: keyof typeof STEP_SQL, ...args: unknown[]) =>
  ctx.database.readPrepared(STEP_SQL[q]).get(args) as T | undefined;

/** A reason the enrolment must end now, from what happened since it began; null when it goes on. */
type StepFacts = { attributes: string | null; replied: number; human: number; ordered: number };
async function exitReason(
  ctx: Ctx,
  seq: Sequence,
  e: StepEnrolment,
  f: StepFacts,
  attributes: Record<string, unknown> | null,
) {
  if (!attributes) return "contact_deleted";
  if (optedOut(attributes)) return "opted_out";
  if (seq.exits.replied && f.replied) return "replied";
  if (seq.exits.humanTook && f.human) return "human";
  if (seq.exits.tagIds.length) {
    const r = await ctx.db
      .select({ tagId: conversationTags.tagId })
      .from(conversationTags)
      .innerJoin(conversations, eq(conversations.id, conversationTags.conversationId))
      .where(and(eq(conversations.contactId, e.contactId), inArray(conversationTags.tagId, seq.exits.tagIds)))
      .limit(1)
      .get();
    if (r) return "tag";
  }
  if (seq.exits.orderPlaced && f.ordered) return "order";
  return null;
}

const pick = (id: string, step: number, n: number) => {
  let h = 2166136261;
  for (const ch of `${id}:${step}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) % n;
};

/** A step came due (engine.handleTimer, kind "sequence"). Returns the timer's new status. */
export async function runSequenceStep(ctx: Ctx, t: Timer): Promise<Timer["status"]> {
  const { enrolmentId, step } = t.payload as { enrolmentId: string; step: number };
  const e = read<StepEnrolment>(ctx, "enrolment", enrolmentId);
  if (e?.status !== "active" || e.step !== step) return "cancelled";
  // a sequence is read once a round (a round runs the steps of many contacts of it)
  const seq = await onceARound(ctx, `sequence:${e.sequenceId}`, () =>
    ctx.db.select().from(sequences).where(eq(sequences.id, e.sequenceId)).get(),
  );
  if (!seq?.enabled) return "cancelled";
  const now = ctx.clock.now();
  if (step >= seq.steps.length) {
    await endEnrolments(ctx, eq(sequenceEnrolments.id, e.id)!, "completed", "done");
    return "done";
  }
  const f = read<StepFacts>(ctx, "facts", e.contactId, e.enrolledAt)!;
  const attributes = f.attributes ? (JSON.parse(f.attributes) as Record<string, unknown>) : null;
  const why = await exitReason(ctx, seq, e, f, attributes);
  if (why) {
    await endEnrolments(ctx, eq(sequenceEnrolments.id, e.id)!, "exited", why);
    return "cancelled";
  }
  // the window may have changed since the step was timed (or the server was down past its end): wait for it
  const b = await onceARound(ctx, "business", () => getBusiness(ctx));
  const zone = zoneFor(seq.window, b, attributes ?? {});
  const inWindow = nextInWindow(seq.window, b, zone, now);
  if (inWindow > now + 60_000) {
    await ctx.database.write(async (tx) => {
      await tx
        .insert(automationTimers)
        .values(timerRow(e, step, inWindow, now))
        .onConflictDoNothing();
      await tx.update(sequenceEnrolments).set({ nextAt: inWindow }).where(eq(sequenceEnrolments.id, e.id));
    });
    return "done";
  }
  const s = seq.steps[step];
  const conv =
    (e.conversationId ? read<{ id: string }>(ctx, "conversation", e.conversationId) : undefined) ??
    read<{ id: string }>(ctx, "latestConversation", e.contactId);
  let outcome: "sent" | "skipped" = "sent";
  let detail: string | null = null;
  let messageId: string | null = null;
  if (!conv) {
    outcome = "skipped";
    detail = "no_conversation";
  } else {
    const facts = await factsFor(ctx, {
      key: `seq:${e.id}:${step}`,
      event: "sequence.step",
      conversationId: conv.id,
      contactId: e.contactId,
      depth: 0,
    });
    const actor: Actor = {
      kind: "system",
      id: `sequence:${seq.id}`,
      name: `${facts.business.locale === "en" ? "Sequence" : "Secuencia"} «${seq.name}»`,
    };
    const key = `seq:${e.id}:${step}`;
    try {
      try {
        const r = await inbox.sendMessage(ctx, actor, conv.id, {
          idempotencyKey: key,
          takeOver: false,
          body: render(s.variations[pick(e.id, step, s.variations.length)], facts),
          ...(s.buttons ? { content: { buttons: s.buttons } } : {}),
          ...(s.media?.length ? { library: s.media } : {}),
        });
        messageId = r.message.id;
      } catch (err) {
        // outside the reply window only an approved template may go: the step's, when it has one
        if (!(err instanceof AppError && err.code === "outside_reply_window") || !s.template) throw err;
        const r = await inbox.sendMessage(ctx, actor, conv.id, {
          idempotencyKey: `${key}:t`,
          takeOver: false,
          content: { template: { ...s.template, params: s.template.params.map((p) => render(p, facts)) } },
        });
        messageId = r.message.id;
        detail = `template ${s.template.name}`;
      }
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      outcome = "skipped";
      detail = err.code === "outside_reply_window" ? "window_closed" : err.code;
    }
  }
  // the step's record, the enrolment's next step and its timer: one write
  const last = step + 1 >= seq.steps.length;
  const nextDue = last ? null : nextInWindow(seq.window, b, zone, dueOf(seq.steps[step + 1], e.enrolledAt, now));
  await ctx.database.write(async (tx) => {
    const fresh = await tx
      .insert(sequenceSends)
      .values({
        key: `${e.id}:${step}`,
        enrolmentId: e.id,
        sequenceId: seq.id,
        step,
        outcome,
        detail,
        messageId,
        at: now,
      })
      .onConflictDoNothing()
      .returning({ key: sequenceSends.key });
    if (!fresh.length) return;
    await tx
      .update(sequenceEnrolments)
      .set(
        last
          ? { step: step + 1, status: "completed", reason: "done", endedAt: now, nextAt: null }
          : { step: step + 1, nextAt: nextDue },
      )
      .where(and(eq(sequenceEnrolments.id, e.id), eq(sequenceEnrolments.status, "active")));
    if (nextDue !== null)
      await tx
        .insert(automationTimers)
        .values(timerRow(e, step + 1, nextDue, now))
        .onConflictDoNothing();
  });
  return "done";
}

/** Does anyone wait in a sequence? (read once a round: most businesses' events need no exit check) */
const anyActive = (ctx: Ctx) =>
  onceARound(
    ctx,
    "sequences.active",
    async () =>
      !!(await ctx.db
        .select({ id: sequenceEnrolments.id })
        .from(sequenceEnrolments)
        .where(eq(sequenceEnrolments.status, "active"))
        .limit(1)
        .get()),
  );

/** An event read by the engine that may end enrolments: the customer replied or opted out, a person took over, a tag, an order. */
export async function sequenceExits(ctx: Ctx, ev: Ev) {
  const d = (ev.data ?? {}) as Record<string, unknown>;
  const user = ev.actorType === "user";
  let reason: "replied" | "human" | "tag" | "order" | "opted_out" | null = null;
  let contactId = typeof d.contactId === "string" ? d.contactId : null;
  let body: string | null = null;
  switch (ev.type) {
    case "inbox.message_received":
      reason = "replied";
      if (typeof d.messageId === "string")
        body =
          (
            ctx.database.readPrepared("SELECT body FROM messages WHERE id = ?").get([d.messageId]) as
              | { body: string }
              | undefined
          )?.body ?? null;
      if (body !== null && isOptOut(body)) reason = "opted_out";
      break;
    case "inbox.message_created":
      if (user && !d.private) reason = "human";
      break;
    case "inbox.conversation_updated": {
      const ch = (d.changes ?? {}) as Record<string, unknown>;
      if (user && typeof ch.assigneeId === "string" && ch.assigneeId) reason = "human";
      break;
    }
    case "inbox.conversation_tagged":
      reason = "tag";
      break;
    case "commerce.order_created":
      reason = "order";
      break;
    case "contacts.updated":
      if (Array.isArray(d.fields) && d.fields.includes("attributes")) reason = "opted_out";
      break;
  }
  if (!reason) return;
  // only when someone waits in a sequence (after the cheap checks above)
  if (reason !== "opted_out" && !(await anyActive(ctx))) return;
  if (!contactId && ev.conversationId)
    contactId =
      (
        await ctx.db
          .select({ contactId: conversations.contactId })
          .from(conversations)
          .where(eq(conversations.id, ev.conversationId))
          .get()
      )?.contactId ?? null;
  if (!contactId) return;
  if (reason === "opted_out" && ev.type === "inbox.message_received") {
    // "BAJA": the contact is marked, so no sequence (nor, later, campaign) writes to them again
    const c = await ctx.db
      .select({ attributes: contacts.attributes })
      .from(contacts)
      .where(eq(contacts.id, contactId))
      .get();
    if (c && !optedOut(c.attributes))
      await updateContact(ctx, { kind: "system", id: "sequences" }, contactId, { attributes: { opt_out: true } });
  }
  if (reason === "opted_out") {
    const c = await ctx.db
      .select({ attributes: contacts.attributes })
      .from(contacts)
      .where(eq(contacts.id, contactId))
      .get();
    if (!c || !optedOut(c.attributes)) return;
  }
  const active = await ctx.db
    .select({ e: sequenceEnrolments, exits: sequences.exits })
    .from(sequenceEnrolments)
    .innerJoin(sequences, eq(sequences.id, sequenceEnrolments.sequenceId))
    .where(and(eq(sequenceEnrolments.contactId, contactId), eq(sequenceEnrolments.status, "active")));
  const ending = active.filter(({ e, exits }) => {
    // only what happened after the enrolment (the message a rule enrolled on is not a reply to it)
    if (ev.at <= e.enrolledAt) return false;
    if (reason === "opted_out") return true;
    if (reason === "replied") return exits.replied;
    if (reason === "human") return exits.humanTook;
    if (reason === "order") return exits.orderPlaced;
    return typeof d.tagId === "string" && exits.tagIds.includes(d.tagId);
  });
  if (ending.length)
    await endEnrolments(
      ctx,
      and(
        inArray(
          sequenceEnrolments.id,
          ending.map((x) => x.e.id),
        ),
        eq(sequenceEnrolments.status, "active"),
      )!,
      "exited",
      reason,
    );
}
