// Tickets: cases that outlive a conversation (manual 2.7), numbered for the customer. Created by people (from a
// conversation in one click), the API, an AI agent's tool, a flow or an automation, and a queue's overflow. Every
// change is a line in the ticket's history; SLA clocks (first response, next response, resolution) run in business
// hours and stop while the ticket waits on the customer; the customer hears of status changes in their channel.
import { z } from "zod";
import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import {
  tickets,
  ticketEvents,
  ticketConversations,
  ticketCategories,
  ticketFields,
  slaPolicies,
  ticketViews,
  TICKET_STATUSES,
  TICKET_PRIORITIES,
  type SlaKind,
  type TicketStatus,
} from "./schema.ts";
import { contacts, conversations } from "../inbox/schema.ts";
import { departments, userDepartments, users } from "../auth/schema.ts";
import { newId } from "../platform/ids.ts";
import { AppError, badRequest, conflict, forbidden, notFound } from "../platform/errors.ts";
import { assertAdmin, leadsDepartment, seesAll, type Actor, type Ctx } from "../platform/context.ts";
import { canSee, checkAttachments, checkReferences, contactVisibleWhere, visibleWhere } from "../inbox/visibility.ts";
import { actorRef } from "../inbox/contacts.ts";
import { idRef } from "../platform/validation.ts";
import type { AfterCommit, Tx } from "../platform/db.ts";
import type { Attachment } from "../inbox/schema.ts";
import { businessLocale, getBusiness, getSetting, putSetting } from "../setup/service.ts";
import { addBusinessTime, businessTimeBetween } from "../setup/business-time.ts";
import { translator } from "../../ui/i18n/index.ts";

export type Ticket = typeof tickets.$inferSelect;
export type TicketEvent = typeof ticketEvents.$inferSelect;
type By = { type: Ticket["createdByType"]; id: string | null };

const customValues = z.record(z.string().max(40), z.union([z.string().max(2000), z.number(), z.null()]));

export const ticketInput = z.strictObject({
  subject: z.string().trim().min(3).max(200),
  description: z.string().max(8000).default(""),
  /** unset: the category's priority, else medium */
  priority: z.enum(TICKET_PRIORITIES).optional(),
  contactId: idRef.nullable().default(null),
  conversationId: idRef.nullable().default(null),
  departmentId: idRef.nullable().default(null),
  categoryId: idRef.nullable().default(null),
  assigneeId: idRef.nullable().default(null),
  customFields: customValues.default({}),
});

export const ticketPatch = z.strictObject({
  subject: z.string().trim().min(3).max(200).optional(),
  description: z.string().max(8000).optional(),
  status: z.enum(TICKET_STATUSES).optional(),
  priority: z.enum(TICKET_PRIORITIES).optional(),
  categoryId: idRef.nullable().optional(),
  departmentId: idRef.nullable().optional(),
  assigneeId: idRef.nullable().optional(),
  customFields: customValues.optional(),
});

export const commentInput = z.strictObject({
  body: z.string().trim().max(8000).default(""),
  /** public: a comment to the customer (sent in the ticket's conversation); otherwise an internal note */
  public: z.boolean().default(false),
  attachments: z
    .array(z.strictObject({ fileId: idRef }))
    .max(10)
    .default([]),
});

const who = (actor: Actor) =>
  actor.kind === "user" ? actor.name : actor.kind === "api_key" ? `API: ${actor.name}` : (actor.name ?? "DigyBot");

// ---------------------------------------------------------------- SLA clocks

type Policy = typeof slaPolicies.$inferSelect;
const policyFor = (tx: Pick<Tx, "select">, priority: Ticket["priority"]) =>
  tx.select().from(slaPolicies).where(eq(slaPolicies.priority, priority)).get();

/** Where the clock is counted: the business's open hours, or every hour when the policy says so. */
async function calendarOf(ctx: Ctx, p: Policy | undefined) {
  const b = p?.businessHours ? await getBusiness(ctx) : null;
  return b;
}
async function due(ctx: Ctx, p: Policy | undefined, from: number, minutes: number | null | undefined) {
  if (!minutes) return null;
  const cal = await calendarOf(ctx, p);
  return cal ? addBusinessTime(cal, from, minutes * 60_000) : from + minutes * 60_000;
}
async function between(ctx: Ctx, p: Policy | undefined, from: number, to: number) {
  const cal = await calendarOf(ctx, p);
  return cal ? businessTimeBetween(cal, from, to) : Math.max(0, to - from);
}

/**
 * The clocks of a ticket after a change (created, priority changed, put on pending or back): first response and
 * resolution from its creation by the priority's policy; resolution stopped while pending (what was left is kept
 * and counted again from the moment it leaves pending); nothing runs once solved or closed.
 */
async function clocks(ctx: Ctx, tx: Tx, t: Ticket, prev: Ticket | null, now: number): Promise<Partial<Ticket>> {
  const p = await policyFor(tx, t.priority);
  const done = t.status === "solved" || t.status === "closed";
  if (done)
    return {
      firstResponseDueAt: null,
      nextResponseDueAt: null,
      resolutionDueAt: null,
      slaPausedAt: null,
      slaLeftMs: null,
    };
  const out: Partial<Ticket> = {};
  // a priority without a policy keeps the clocks it had (raising an urgent case must not stop its clock)
  const repriced = (!prev || prev.priority !== t.priority) && (!!p || !prev);
  if (repriced) {
    out.firstResponseDueAt = t.firstResponseAt ? null : await due(ctx, p, t.createdAt, p?.firstResponseMinutes);
    if (!p?.nextResponseMinutes) out.nextResponseDueAt = null;
    // the resolution time used so far (business time since creation, less what was spent waiting on the customer)
    const total = p?.resolutionMinutes ? p.resolutionMinutes * 60_000 : null;
    if (total == null) Object.assign(out, { resolutionDueAt: null, slaLeftMs: null });
    else {
      const prevPolicy = prev ? await policyFor(tx, prev.priority) : undefined;
      const prevTotal = prevPolicy?.resolutionMinutes ? prevPolicy.resolutionMinutes * 60_000 : null;
      const prevLeft =
        prev?.slaPausedAt != null
          ? (prev.slaLeftMs ?? 0)
          : prev?.resolutionDueAt != null
            ? await between(ctx, p, now, prev.resolutionDueAt)
            : null;
      const used =
        prev && prevTotal != null && prevLeft != null
          ? prevTotal - prevLeft
          : prev
            ? await between(ctx, p, t.createdAt, now)
            : 0;
      const left = Math.max(0, total - used);
      if (t.status === "pending")
        Object.assign(out, { resolutionDueAt: null, slaPausedAt: prev?.slaPausedAt ?? now, slaLeftMs: left });
      else
        Object.assign(out, {
          resolutionDueAt: await due(ctx, p, now, left / 60_000),
          slaPausedAt: null,
          slaLeftMs: null,
        });
    }
    return out;
  }
  // the same priority: only waiting on the customer starts or stops the resolution clock
  if (t.status === "pending" && prev?.status !== "pending" && t.resolutionDueAt != null) {
    out.slaLeftMs = await between(ctx, p, now, t.resolutionDueAt);
    out.slaPausedAt = now;
    out.resolutionDueAt = null;
    out.nextResponseDueAt = null;
  } else if (t.status !== "pending" && prev?.status === "pending" && t.slaPausedAt != null) {
    out.resolutionDueAt = await due(ctx, p, now, (t.slaLeftMs ?? 0) / 60_000);
    out.slaPausedAt = null;
    out.slaLeftMs = null;
  } else if (prev && (prev.status === "solved" || prev.status === "closed")) {
    // reopened: a fresh resolution time from now
    out.resolutionDueAt = await due(ctx, p, now, p?.resolutionMinutes);
  }
  return out;
}

// ---------------------------------------------------------------- writing

/** The history line of a ticket. */
async function historyTx(
  tx: Tx,
  ticketId: string,
  kind: TicketEvent["kind"],
  actor: Actor | { kind: "contact"; id: string; name: string },
  now: number,
  extra: { body?: string; attachments?: Attachment[]; changes?: Record<string, unknown> } = {},
) {
  await tx.insert(ticketEvents).values({
    id: newId(now),
    ticketId,
    kind,
    actorType: actor.kind === "contact" ? "contact" : actorRef(actor as Actor).type,
    actorId: "id" in actor ? (actor.id ?? null) : null,
    actorName: actor.kind === "contact" ? actor.name : who(actor as Actor),
    body: extra.body ?? "",
    attachments: extra.attachments ?? [],
    changes: extra.changes ?? null,
    at: now,
  });
}

/** The domain event other domains and automations follow (tickets.ticket_created / ticket_updated / sla_*). */
function ticketEvent(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  type: string,
  t: Ticket,
  actor: Actor,
  data: Record<string, unknown> = {},
) {
  return ctx.events.record(tx, after, {
    type,
    conversationId: t.conversationId,
    actor: actorRef(actor),
    data: {
      ticketId: t.id,
      number: t.number,
      status: t.status,
      priority: t.priority,
      departmentId: t.departmentId,
      assigneeId: t.assigneeId,
      contactId: t.contactId,
      conversationId: t.conversationId,
      ...data,
    },
  });
}

/** Values of custom fields checked against their definitions (a number is a number, a list value one of its options). */
async function checkCustomFields(tx: Pick<Tx, "select">, values: Record<string, unknown>) {
  const keys = Object.keys(values);
  if (!keys.length) return values;
  const defs = await tx.select().from(ticketFields).where(inArray(ticketFields.key, keys));
  for (const k of keys) {
    const d = defs.find((x) => x.key === k);
    const v = values[k];
    const bad = (why: string) => badRequest("bad_custom_field", `Custom field ${k}: ${why}`, { field: k });
    if (!d) throw bad("no such field");
    if (v == null || v === "") continue;
    if (d.type === "number" && typeof v !== "number" && !(typeof v === "string" && Number.isFinite(Number(v))))
      throw bad("expected a number");
    if (d.type === "date" && !(typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v)))
      throw bad("expected YYYY-MM-DD");
    if (d.type === "list" && !d.options.includes(String(v))) throw bad("not one of its options");
  }
  return Object.fromEntries(
    keys.map((k) => {
      const d = defs.find((x) => x.key === k)!;
      const v = values[k];
      return [k, d.type === "number" && v !== null && v !== "" ? Number(v) : v];
    }),
  );
}

/**
 * An online member of the department with the fewest open tickets, when the department assigns by itself (its
 * conversations' rule): tickets reach people by category (its department), urgency (the priority orders the
 * queue) and availability.
 */
async function autoAssignee(ctx: Ctx, tx: Tx, departmentId: string | null) {
  if (!departmentId) return null;
  const d = await tx.select().from(departments).where(eq(departments.id, departmentId)).get();
  if (!d || d.assignment === "manual") return null;
  const { onlineMembersOf } = await import("../inbox/assignment.ts");
  const people = await onlineMembersOf(ctx, tx, departmentId);
  if (!people.length) return null;
  const open = await tx
    .select({ a: tickets.assigneeId, n: sql<number>`count(*)` })
    .from(tickets)
    .where(
      and(
        inArray(
          tickets.assigneeId,
          people.map((p) => p.id),
        ),
        inArray(tickets.status, ["new", "open", "pending", "on_hold"]),
      ),
    )
    .groupBy(tickets.assigneeId);
  const load = (id: string) => Number(open.find((o) => o.a === id)?.n ?? 0);
  return [...people].sort((a, b) => load(a.id) - load(b.id) || a.id.localeCompare(b.id))[0]!;
}

export async function createTicket(
  ctx: Ctx,
  actor: Actor,
  input: z.input<typeof ticketInput>,
  by: By = actorRef(actor),
) {
  return ctx.database.write((tx, after) => createTicketTx(ctx, tx, actor, input, by, after));
}

/**
 * createTicket inside the caller's transaction (a queue's overflow opens its call-back ticket with its own change).
 * Its conversation and contact must be visible to the actor; a ticket on a conversation takes that conversation's
 * contact and (unless given) its department; a category gives its department and priority when they are not given.
 */
export async function createTicketTx(
  ctx: Ctx,
  tx: Tx,
  actor: Actor,
  input: z.input<typeof ticketInput>,
  by: By = actorRef(actor),
  after?: AfterCommit,
) {
  const t = ticketInput.parse(input);
  const ref = await checkReferences(tx, actor, t);
  const category = t.categoryId
    ? await tx.select().from(ticketCategories).where(eq(ticketCategories.id, t.categoryId)).get()
    : null;
  if (t.categoryId && !category)
    throw badRequest("unknown_category", "The ticket category does not exist", { field: "categoryId" });
  const departmentId = t.departmentId ?? category?.departmentId ?? ref.departmentId;
  if (
    departmentId &&
    !(await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, departmentId)).get())
  )
    throw badRequest("unknown_department", "The department does not exist", { field: "departmentId" });
  if (t.assigneeId) await checkAssignee(tx, actor, t.assigneeId, departmentId);
  const customFields = await checkCustomFields(tx, t.customFields);
  const now = ctx.clock.now();
  const number =
    Number(
      (
        await tx
          .select({ n: sql<number>`coalesce(max(${tickets.number}), 0)` })
          .from(tickets)
          .get()
      )?.n ?? 0,
    ) + 1;
  const assignee = t.assigneeId ? { id: t.assigneeId } : await autoAssignee(ctx, tx, departmentId);
  const row: Ticket = {
    id: newId(now),
    number,
    contactId: ref.contactId,
    conversationId: t.conversationId,
    subject: t.subject,
    description: t.description,
    status: "new",
    priority: t.priority ?? category?.priority ?? "medium",
    departmentId,
    createdByType: by.type,
    createdById: by.id,
    createdAt: now,
    updatedAt: now,
    categoryId: category?.id ?? null,
    assigneeId: assignee?.id ?? null,
    customFields,
    firstResponseAt: null,
    solvedAt: null,
    closedAt: null,
    mergedIntoId: null,
    firstResponseDueAt: null,
    nextResponseDueAt: null,
    resolutionDueAt: null,
    slaPausedAt: null,
    slaLeftMs: null,
    slaWarned: [],
    slaBreached: [],
  };
  Object.assign(row, await clocks(ctx, tx, row, null, now));
  await tx.insert(tickets).values(row);
  if (row.conversationId)
    await tx
      .insert(ticketConversations)
      .values({ ticketId: row.id, conversationId: row.conversationId })
      .onConflictDoNothing();
  await historyTx(tx, row.id, "created", actor, now, {
    body: row.description,
    changes: assignee && !t.assigneeId ? { assigneeId: [null, assignee.id], auto: true } : undefined,
  });
  const a = after ?? (() => {});
  await ticketEvent(ctx, tx, a, "tickets.ticket_created", row, actor);
  return row;
}

/** Who may be given a ticket: an active person; someone else than oneself only by whoever leads its department. */
async function checkAssignee(tx: Pick<Tx, "select">, actor: Actor, userId: string, departmentId: string | null) {
  const u = await tx.select({ id: users.id, active: users.active }).from(users).where(eq(users.id, userId)).get();
  if (!u?.active)
    throw badRequest("unknown_assignee", "The agent does not exist or is inactive", { field: "assigneeId" });
  if (actor.kind === "user" && userId !== actor.id && !leadsDepartment(actor, departmentId))
    throw forbidden("not_your_team", "Only a supervisor of its department can give a ticket to someone else");
}

/** A ticket the actor may see, read in the writer's transaction, or 404. */
async function visibleTicketTx(tx: Pick<Tx, "select">, actor: Actor, id: string) {
  const t = await tx
    .select()
    .from(tickets)
    .where(and(eq(tickets.id, id), ticketVisibleWhere(actor)))
    .get();
  if (!t) throw notFound("Ticket");
  return t;
}

/**
 * Changes a ticket: each field changed is a line in its history; status moves keep their times and the SLA clocks
 * (pending stops the resolution clock); a change of priority re-prices the clocks. The customer hears of a new
 * status in their channel when the business wants it (settings: tickets.notifyCustomer).
 */
export async function updateTicket(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof ticketPatch>) {
  const p = ticketPatch.parse(input);
  return ctx.database.write(async (tx, after) => {
    const cur = await visibleTicketTx(tx, actor, id);
    if (cur.mergedIntoId && p.status && p.status !== "closed")
      throw conflict("ticket_merged", "This ticket was merged into another; reopen that one instead");
    return updateTicketTx(ctx, tx, after, actor, cur, p);
  });
}

async function updateTicketTx(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  actor: Actor,
  cur: Ticket,
  p: z.output<typeof ticketPatch>,
) {
  const now = ctx.clock.now();
  const next: Ticket = { ...cur };
  const changes: Record<string, [unknown, unknown]> = {};
  const set = <K extends keyof Ticket>(k: K, v: Ticket[K] | undefined) => {
    if (v === undefined || JSON.stringify(v) === JSON.stringify(cur[k])) return;
    next[k] = v;
    changes[k as string] = [cur[k], v];
  };
  if (p.categoryId !== undefined && p.categoryId !== null) {
    const c = await tx.select().from(ticketCategories).where(eq(ticketCategories.id, p.categoryId)).get();
    if (!c) throw badRequest("unknown_category", "The ticket category does not exist", { field: "categoryId" });
  }
  if (p.departmentId) {
    const d = await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, p.departmentId)).get();
    if (!d) throw badRequest("unknown_department", "The department does not exist", { field: "departmentId" });
  }
  if (p.assigneeId) await checkAssignee(tx, actor, p.assigneeId, p.departmentId ?? cur.departmentId);
  set("subject", p.subject);
  set("description", p.description);
  set("priority", p.priority);
  set("categoryId", p.categoryId);
  set("departmentId", p.departmentId);
  set("assigneeId", p.assigneeId);
  if (p.customFields) set("customFields", { ...cur.customFields, ...(await checkCustomFields(tx, p.customFields)) });
  // a new ticket a person touches is open
  const status =
    p.status ?? (cur.status === "new" && actor.kind === "user" && Object.keys(changes).length ? "open" : undefined);
  set("status", status);
  if (!Object.keys(changes).length) return cur;
  if (next.status !== cur.status) {
    if (next.status === "solved") next.solvedAt = now;
    if (next.status === "closed") next.closedAt = now;
    if (["new", "open", "pending", "on_hold"].includes(next.status)) {
      next.solvedAt = null;
      next.closedAt = null;
    }
  }
  Object.assign(next, await clocks(ctx, tx, next, cur, now));
  next.updatedAt = now;
  await tx.update(tickets).set(next).where(eq(tickets.id, cur.id));
  await historyTx(tx, cur.id, "change", actor, now, { changes });
  await ticketEvent(ctx, tx, after, "tickets.ticket_updated", next, actor, {
    changes: Object.keys(changes),
    previousStatus: cur.status,
  });
  if (next.status !== cur.status) await tellCustomerTx(ctx, tx, after, next);
  return next;
}

/** The ticket settings: whether the customer is told of status changes. */
export const ticketSettings = z.strictObject({ notifyCustomer: z.boolean().default(true) });
export async function getTicketSettings(ctx: Ctx) {
  return ticketSettings.parse((await getSetting<unknown>(ctx, "tickets")) ?? {});
}
export async function saveTicketSettings(ctx: Ctx, actor: Actor, input: z.input<typeof ticketSettings>) {
  assertAdmin(actor);
  const v = ticketSettings.parse(input);
  await ctx.database.write((tx) => putSetting(tx, "tickets", v, ctx.clock.now()));
  return v;
}

/** Tells the customer of a ticket's new status in its conversation (open, pending, solved, closed; not on hold). */
async function tellCustomerTx(ctx: Ctx, tx: Tx, after: AfterCommit, t: Ticket) {
  if (!t.conversationId || t.status === "new" || t.status === "on_hold") return;
  if (!(await getTicketSettings(ctx)).notifyCustomer) return;
  const tr = translator(await businessLocale(ctx));
  const body = tr(`tickets.tell.${t.status}`, { number: String(t.number), subject: t.subject });
  const { sendNoticeTx } = await import("../inbox/service.ts");
  try {
    await sendNoticeTx(ctx, tx, after, t.conversationId, {
      body,
      idempotencyKey: `ticket:${t.id}:${t.status}:${t.updatedAt}`,
    });
  } catch (e) {
    // a channel that refuses it now (a closed reply window) changes nothing: the status change stands
    if (!(e instanceof AppError)) throw e;
    ctx.log.info("ticket status not told", { ticketId: t.id, code: e.code });
  }
}

/**
 * A comment: to the customer (public: sent in the ticket's conversation, and a person's first one answers the
 * first-response clock) or an internal note; attachments are stored files the actor may use.
 */
export async function commentTicket(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof commentInput>) {
  const c = commentInput.parse(input);
  if (!c.body && !c.attachments.length) throw badRequest("empty_comment", "A comment needs a text or a file");
  return ctx.database.write(async (tx, after) => {
    const t = await visibleTicketTx(tx, actor, id);
    const attachments = await checkAttachments(tx, actor, c.attachments);
    const now = ctx.clock.now();
    if (c.public && t.conversationId) {
      const { sendMessageTx } = await import("../inbox/service.ts");
      await sendMessageTx(ctx, tx, after, actor, t.conversationId, {
        body: c.body,
        attachments,
        takeOver: false,
      });
    }
    await historyTx(tx, t.id, c.public ? "comment" : "note", actor, now, { body: c.body, attachments });
    const patch: Partial<Ticket> = { updatedAt: now };
    if (c.public && actor.kind === "user") {
      if (!t.firstResponseAt) Object.assign(patch, { firstResponseAt: now, firstResponseDueAt: null });
      patch.nextResponseDueAt = null;
      if (t.status === "new") patch.status = "open";
    }
    await tx.update(tickets).set(patch).where(eq(tickets.id, t.id));
    const next = { ...t, ...patch };
    await ticketEvent(ctx, tx, after, "tickets.ticket_updated", next, actor, {
      changes: [c.public ? "comment" : "note"],
      previousStatus: t.status,
    });
    return next;
  });
}

export const closeTicket = (ctx: Ctx, actor: Actor, id: string) => updateTicket(ctx, actor, id, { status: "closed" });
export const reopenTicket = (ctx: Ctx, actor: Actor, id: string) => updateTicket(ctx, actor, id, { status: "open" });

export const mergeInput = z.strictObject({ intoId: idRef });

/**
 * Merges a duplicate into another ticket: the duplicate is closed pointing at it, its conversations are linked to
 * it, and both histories say so. Both must be visible to the actor; a ticket is not merged into itself or twice.
 */
export async function mergeTicket(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof mergeInput>) {
  const { intoId } = mergeInput.parse(input);
  if (intoId === id)
    throw badRequest("merge_into_itself", "A ticket cannot be merged into itself", { field: "intoId" });
  return ctx.database.write(async (tx, after) => {
    const dup = await visibleTicketTx(tx, actor, id);
    const into = await tx
      .select()
      .from(tickets)
      .where(and(eq(tickets.id, intoId), ticketVisibleWhere(actor)))
      .get();
    if (!into) throw badRequest("unknown_ticket", "No ticket with that id that you can see", { field: "intoId" });
    if (dup.mergedIntoId) throw conflict("ticket_merged", "This ticket was already merged into another");
    if (into.mergedIntoId)
      throw badRequest("ticket_merged", "That ticket was merged into another", { field: "intoId" });
    const now = ctx.clock.now();
    const links = await tx.select().from(ticketConversations).where(eq(ticketConversations.ticketId, dup.id));
    for (const l of links)
      await tx
        .insert(ticketConversations)
        .values({ ticketId: into.id, conversationId: l.conversationId })
        .onConflictDoNothing();
    await tx
      .update(tickets)
      .set({
        mergedIntoId: into.id,
        status: "closed",
        closedAt: now,
        updatedAt: now,
        firstResponseDueAt: null,
        nextResponseDueAt: null,
        resolutionDueAt: null,
        slaPausedAt: null,
        slaLeftMs: null,
      })
      .where(eq(tickets.id, dup.id));
    await historyTx(tx, dup.id, "merged", actor, now, { changes: { into: into.number } });
    await historyTx(tx, into.id, "merged", actor, now, { changes: { from: dup.number } });
    await tx.update(tickets).set({ updatedAt: now }).where(eq(tickets.id, into.id));
    await ticketEvent(ctx, tx, after, "tickets.ticket_updated", { ...dup, status: "closed" }, actor, {
      changes: ["mergedIntoId", "status"],
      previousStatus: dup.status,
    });
    return { ...into, updatedAt: now };
  });
}

/** Links another conversation (the same customer writing again) to a ticket. */
export async function linkConversation(ctx: Ctx, actor: Actor, id: string, conversationId: string) {
  return ctx.database.write(async (tx) => {
    const t = await visibleTicketTx(tx, actor, id);
    await checkReferences(tx, actor, { conversationId });
    await tx.insert(ticketConversations).values({ ticketId: t.id, conversationId }).onConflictDoNothing();
    await historyTx(tx, t.id, "change", actor, ctx.clock.now(), { changes: { linked: [null, conversationId] } });
    return t;
  });
}

// ---------------------------------------------------------------- reading

/** What an agent may see of tickets: their departments', their visible conversations' and contacts', their own. */
export function ticketVisibleWhere(actor: Actor): SQL | undefined {
  if (seesAll(actor)) return undefined;
  if (actor.kind !== "user") return sql`0`;
  return or(
    actor.departmentIds.length ? inArray(tickets.departmentId, actor.departmentIds) : undefined,
    eq(tickets.assigneeId, actor.id),
    sql`${tickets.conversationId} IN (SELECT ${conversations.id} FROM ${conversations} WHERE ${visibleWhere(actor)})`,
    contactVisibleWhere(actor, tickets.contactId),
    and(eq(tickets.createdByType, "user"), eq(tickets.createdById, actor.id)),
  );
}

export const ticketFilters = z.object({
  /** one status, "active" (not solved or closed), or "any" */
  status: z.enum([...TICKET_STATUSES, "active", "any"]).default("active"),
  priority: z.enum(TICKET_PRIORITIES).optional(),
  /** "me", "none" or a person's id */
  assignee: z.string().max(64).optional(),
  departmentId: z.string().max(64).optional(),
  categoryId: z.string().max(64).optional(),
  contactId: z.string().max(64).optional(),
  /** breached: an SLA was missed; at_risk: one is due within the hour */
  sla: z.enum(["breached", "at_risk"]).optional(),
  q: z.string().max(200).optional(),
  /** the page after this ticket (its number) */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type TicketFilters = z.output<typeof ticketFilters>;

const ACTIVE: TicketStatus[] = ["new", "open", "pending", "on_hold"];

export async function listTickets(ctx: Ctx, actor: Actor, input: z.input<typeof ticketFilters> = {}) {
  const f = ticketFilters.parse(input);
  const now = ctx.clock.now();
  const conds: (SQL | undefined)[] = [ticketVisibleWhere(actor)];
  if (f.status === "active") conds.push(inArray(tickets.status, ACTIVE));
  else if (f.status !== "any") conds.push(eq(tickets.status, f.status));
  if (f.priority) conds.push(eq(tickets.priority, f.priority));
  if (f.assignee === "none") conds.push(isNull(tickets.assigneeId));
  else if (f.assignee)
    conds.push(eq(tickets.assigneeId, f.assignee === "me" && actor.kind === "user" ? actor.id : f.assignee));
  if (f.departmentId) conds.push(eq(tickets.departmentId, f.departmentId));
  if (f.categoryId) conds.push(eq(tickets.categoryId, f.categoryId));
  if (f.contactId) conds.push(eq(tickets.contactId, f.contactId));
  if (f.sla === "breached") conds.push(sql`${tickets.slaBreached} <> '[]'`);
  if (f.sla === "at_risk")
    conds.push(
      or(
        lte(tickets.firstResponseDueAt, now + 3_600_000),
        lte(tickets.nextResponseDueAt, now + 3_600_000),
        lte(tickets.resolutionDueAt, now + 3_600_000),
      ),
    );
  if (f.q) {
    const n = Number(f.q.replace(/^#/, ""));
    const like = `%${f.q.replace(/[%_\\]/g, "\\$&")}%`;
    conds.push(
      Number.isInteger(n) && n > 0
        ? or(eq(tickets.number, n), sql`${tickets.subject} LIKE ${like} ESCAPE '\\'`)
        : sql`${tickets.subject} LIKE ${like} ESCAPE '\\'`,
    );
  }
  if (f.before) conds.push(lt(tickets.number, f.before));
  const rows = await ctx.db
    .select({
      t: tickets,
      contactName: contacts.name,
      assigneeName: users.name,
      categoryName: ticketCategories.name,
    })
    .from(tickets)
    .leftJoin(contacts, eq(contacts.id, tickets.contactId))
    .leftJoin(users, eq(users.id, tickets.assigneeId))
    .leftJoin(ticketCategories, eq(ticketCategories.id, tickets.categoryId))
    .where(and(...conds))
    .orderBy(desc(tickets.number))
    .limit(f.limit + 1);
  const items = rows.slice(0, f.limit).map((r) => ({
    ...r.t,
    contactName: r.contactName,
    assigneeName: r.assigneeName,
    categoryName: r.categoryName,
    slaDueAt: nextDue(r.t),
  }));
  return { items, next: rows.length > f.limit ? items.at(-1)!.number : null };
}

/** The SLA time that comes due first (what a list shows as the ticket's clock), or null. */
export const nextDue = (t: Pick<Ticket, "firstResponseDueAt" | "nextResponseDueAt" | "resolutionDueAt">) => {
  const all = [t.firstResponseDueAt, t.nextResponseDueAt, t.resolutionDueAt].filter((x): x is number => x != null);
  return all.length ? Math.min(...all) : null;
};

/** A ticket with its whole history, its linked conversations, and the names the page shows. */
export async function getTicket(ctx: Ctx, actor: Actor, id: string) {
  const t = await ctx.db
    .select()
    .from(tickets)
    .where(and(eq(tickets.id, id), ticketVisibleWhere(actor)))
    .get();
  if (!t) throw notFound("Ticket");
  const [history, links, contact, assignee, category, merged] = await Promise.all([
    ctx.db
      .select()
      .from(ticketEvents)
      .where(eq(ticketEvents.ticketId, id))
      .orderBy(asc(ticketEvents.at), asc(ticketEvents.id)),
    ctx.db
      .select({
        id: conversations.id,
        channelId: conversations.channelId,
        status: conversations.status,
        preview: conversations.lastMessagePreview,
        lastMessageAt: conversations.lastMessageAt,
        assigneeId: conversations.assigneeId,
        departmentId: conversations.departmentId,
      })
      .from(ticketConversations)
      .innerJoin(conversations, eq(conversations.id, ticketConversations.conversationId))
      .where(eq(ticketConversations.ticketId, id)),
    t.contactId
      ? ctx.db
          .select({ id: contacts.id, name: contacts.name, phone: contacts.phone, email: contacts.email })
          .from(contacts)
          .where(eq(contacts.id, t.contactId))
          .get()
      : null,
    t.assigneeId
      ? ctx.db.select({ id: users.id, name: users.name }).from(users).where(eq(users.id, t.assigneeId)).get()
      : null,
    t.categoryId ? ctx.db.select().from(ticketCategories).where(eq(ticketCategories.id, t.categoryId)).get() : null,
    t.mergedIntoId
      ? ctx.db
          .select({ id: tickets.id, number: tickets.number })
          .from(tickets)
          .where(eq(tickets.id, t.mergedIntoId))
          .get()
      : null,
  ]);
  return {
    ...t,
    slaDueAt: nextDue(t),
    history,
    // the conversations the actor may open (a ticket can be shared with someone who does not see all of them)
    conversations: links.filter((l) => canSee(actor, l)).map(({ assigneeId: _a, departmentId: _d, ...l }) => l),
    contact: contact ?? null,
    assignee: assignee ?? null,
    category: category ?? null,
    mergedInto: merged ?? null,
  };
}

/** Open tickets of a conversation (its header shows them; the customer's replies reach them). */
export async function ticketsOfConversation(ctx: Ctx, actor: Actor, conversationId: string) {
  return ctx.db
    .select({ id: tickets.id, number: tickets.number, subject: tickets.subject, status: tickets.status })
    .from(ticketConversations)
    .innerJoin(tickets, eq(tickets.id, ticketConversations.ticketId))
    .where(and(eq(ticketConversations.conversationId, conversationId), ticketVisibleWhere(actor)))
    .orderBy(desc(tickets.number));
}

// ---------------------------------------------------------------- the customer writes; the clocks come due

/**
 * A customer's message in a conversation linked to active tickets: a line in each ticket's history, a pending
 * ticket back to open (its clock runs again), and the next-response clock started.
 */
export async function customerWrote(ctx: Ctx, conversationId: string, body: string, contactName: string) {
  const linked = await ctx.db
    .select({ id: tickets.id })
    .from(ticketConversations)
    .innerJoin(tickets, eq(tickets.id, ticketConversations.ticketId))
    .where(
      and(
        eq(ticketConversations.conversationId, conversationId),
        inArray(tickets.status, ACTIVE),
        isNull(tickets.mergedIntoId),
      ),
    );
  if (!linked.length) return;
  await ctx.database.write(async (tx, after) => {
    const now = ctx.clock.now();
    for (const l of linked) {
      const t = (await tx.select().from(tickets).where(eq(tickets.id, l.id)).get())!;
      await historyTx(tx, t.id, "comment", { kind: "contact", id: t.contactId ?? "", name: contactName }, now, {
        body,
      });
      const system: Actor = { kind: "system", name: "DigyBot" };
      let cur = t;
      if (t.status === "pending") cur = await updateTicketTx(ctx, tx, after, system, t, { status: "open" });
      const p = await policyFor(tx, cur.priority);
      if (p?.nextResponseMinutes && cur.firstResponseAt && cur.nextResponseDueAt == null)
        await tx
          .update(tickets)
          .set({ nextResponseDueAt: await due(ctx, p, now, p.nextResponseMinutes), updatedAt: now })
          .where(eq(tickets.id, cur.id));
    }
  });
}

/** A person's public reply in a ticket's conversation answers its clocks as a public comment does. */
export async function personReplied(ctx: Ctx, conversationId: string, at: number) {
  const linked = await ctx.db
    .select({ id: tickets.id, first: tickets.firstResponseAt, status: tickets.status })
    .from(ticketConversations)
    .innerJoin(tickets, eq(tickets.id, ticketConversations.ticketId))
    .where(and(eq(ticketConversations.conversationId, conversationId), inArray(tickets.status, ACTIVE)));
  if (!linked.length) return;
  await ctx.database.write(async (tx) => {
    for (const l of linked)
      await tx
        .update(tickets)
        .set({
          nextResponseDueAt: null,
          ...(l.first ? {} : { firstResponseAt: at, firstResponseDueAt: null }),
        })
        .where(eq(tickets.id, l.id));
  });
}

const SLA_COLUMNS = {
  first_response: tickets.firstResponseDueAt,
  next_response: tickets.nextResponseDueAt,
  resolution: tickets.resolutionDueAt,
} as const;

/**
 * The SLA check (every half minute): a warning when an answer comes due within the policy's minutes, a breach when
 * it is late — each once per ticket and kind, as a line in the history and an event automations can act on; a
 * breach raises the priority one step and/or gives the ticket to someone else when the policy says so.
 */
export async function sweepTicketSla(ctx: Ctx) {
  const now = ctx.clock.now();
  const policies = await ctx.db.select().from(slaPolicies);
  if (!policies.length) return { warned: 0, breached: 0 };
  const maxWarn = Math.max(...policies.map((p) => p.warnMinutes)) * 60_000;
  let warned = 0,
    breached = 0;
  for (const [kind, col] of Object.entries(SLA_COLUMNS) as [SlaKind, (typeof SLA_COLUMNS)[SlaKind]][]) {
    const due = await ctx.db
      .select({ id: tickets.id })
      .from(tickets)
      .where(and(isNotNull(col), lte(col, now + maxWarn), inArray(tickets.status, ACTIVE)))
      .limit(500);
    if (!due.length) continue;
    await ctx.database.write(async (tx, after) => {
      for (const d of due) {
        const t = (await tx.select().from(tickets).where(eq(tickets.id, d.id)).get())!;
        const at =
          t[
            (
              {
                first_response: "firstResponseDueAt",
                next_response: "nextResponseDueAt",
                resolution: "resolutionDueAt",
              } as const
            )[kind]
          ];
        if (at == null) continue;
        const p = policies.find((x) => x.priority === t.priority);
        const system: Actor = { kind: "system", name: "DigyBot" };
        if (at <= now && !t.slaBreached.includes(kind)) {
          breached++;
          await tx
            .update(tickets)
            .set({ slaBreached: [...t.slaBreached, kind], slaWarned: [...new Set([...t.slaWarned, kind])] })
            .where(eq(tickets.id, t.id));
          await historyTx(tx, t.id, "sla", system, now, { changes: { breached: kind, dueAt: at } });
          await ticketEvent(ctx, tx, after, "tickets.sla_breached", t, system, { kind, dueAt: at });
          const cur = (await tx.select().from(tickets).where(eq(tickets.id, t.id)).get())!;
          const raise = p?.raisePriority
            ? TICKET_PRIORITIES[Math.min(3, TICKET_PRIORITIES.indexOf(cur.priority) + 1)]
            : undefined;
          const other = p?.reassign ? await autoAssignee(ctx, tx, cur.departmentId) : null;
          const patch: z.output<typeof ticketPatch> = {};
          if (raise && raise !== cur.priority) patch.priority = raise;
          if (other && other.id !== cur.assigneeId) patch.assigneeId = other.id;
          if (Object.keys(patch).length) await updateTicketTx(ctx, tx, after, system, cur, patch);
        } else if (at > now && at - now <= (p ? p.warnMinutes * 60_000 : maxWarn) && !t.slaWarned.includes(kind)) {
          // (a priority raised past its policies keeps the clock it had, warned as early as any policy warns)
          warned++;
          await tx
            .update(tickets)
            .set({ slaWarned: [...t.slaWarned, kind] })
            .where(eq(tickets.id, t.id));
          await historyTx(tx, t.id, "sla", system, now, { changes: { warning: kind, dueAt: at } });
          await ticketEvent(ctx, tx, after, "tickets.sla_warning", t, system, { kind, dueAt: at });
        }
      }
    });
  }
  return { warned, breached };
}

/** Tickets follow their conversations: what the customer writes reaches them, and a person's reply answers them. */
export function wireTickets(ctx: Ctx) {
  const offs = [
    ctx.events.on("inbox.message_received", (e) => {
      const d = e.data as { held?: boolean; message?: { body: string }; contactId?: string };
      if (d.held || !e.conversationId) return;
      void (async () => {
        const name = d.contactId
          ? ((await ctx.db.select({ name: contacts.name }).from(contacts).where(eq(contacts.id, d.contactId)).get())
              ?.name ?? "")
          : "";
        await customerWrote(ctx, e.conversationId!, d.message?.body ?? "", name);
      })().catch((err) => ctx.log.error("ticket follow-up failed", { error: String(err) }));
    }),
    ctx.events.on("inbox.message_created", (e) => {
      const d = e.data as { private?: boolean; notice?: boolean };
      if (d.private || d.notice || e.actor?.type !== "user" || !e.conversationId) return;
      void personReplied(ctx, e.conversationId, e.at).catch((err) =>
        ctx.log.error("ticket follow-up failed", { error: String(err) }),
      );
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}

// ---------------------------------------------------------------- settings: categories, fields, SLA policies, views

export const categoryInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  departmentId: idRef.nullable().default(null),
  priority: z.enum(TICKET_PRIORITIES).nullable().default(null),
});
export async function listCategories(ctx: Ctx) {
  return ctx.db.select().from(ticketCategories).orderBy(asc(ticketCategories.name));
}
export async function createCategory(ctx: Ctx, actor: Actor, input: z.input<typeof categoryInput>) {
  assertAdmin(actor);
  const c = categoryInput.parse(input);
  return ctx.database.write(async (tx) => {
    if (
      await tx.select({ id: ticketCategories.id }).from(ticketCategories).where(eq(ticketCategories.name, c.name)).get()
    )
      throw conflict("category_exists", "A category with this name already exists", { field: "name" });
    if (
      c.departmentId &&
      !(await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, c.departmentId)).get())
    )
      throw badRequest("unknown_department", "The department does not exist", { field: "departmentId" });
    const row = { id: newId(), ...c, createdAt: ctx.clock.now() };
    await tx.insert(ticketCategories).values(row);
    return row;
  });
}
export async function deleteCategory(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const r = await tx
      .delete(ticketCategories)
      .where(eq(ticketCategories.id, id))
      .returning({ id: ticketCategories.id });
    if (!r.length) throw notFound("Category");
  });
}

export const fieldInput = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "lowercase letters, digits and _"),
  label: z.string().trim().min(1).max(80),
  type: z.enum(["text", "number", "date", "list"]),
  options: z.array(z.string().trim().min(1).max(80)).max(50).default([]),
});
export async function listFields(ctx: Ctx) {
  return ctx.db.select().from(ticketFields).orderBy(asc(ticketFields.label));
}
export async function createField(ctx: Ctx, actor: Actor, input: z.input<typeof fieldInput>) {
  assertAdmin(actor);
  const f = fieldInput.parse(input);
  if (f.type === "list" && !f.options.length)
    throw badRequest("list_needs_options", "A list field needs its options", { field: "options" });
  return ctx.database.write(async (tx) => {
    if (await tx.select({ id: ticketFields.id }).from(ticketFields).where(eq(ticketFields.key, f.key)).get())
      throw conflict("field_exists", "A field with this key already exists", { field: "key" });
    const row = { id: newId(), ...f, createdAt: ctx.clock.now() };
    await tx.insert(ticketFields).values(row);
    return row;
  });
}
export async function deleteField(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const r = await tx.delete(ticketFields).where(eq(ticketFields.id, id)).returning({ id: ticketFields.id });
    if (!r.length) throw notFound("Field");
  });
}

const optionalMinutes = z
  .number()
  .int()
  .min(1)
  .max(60 * 24 * 60)
  .nullable()
  .default(null);
export const policyInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  priority: z.enum(TICKET_PRIORITIES),
  firstResponseMinutes: optionalMinutes,
  nextResponseMinutes: optionalMinutes,
  resolutionMinutes: optionalMinutes,
  businessHours: z.boolean().default(true),
  warnMinutes: z.number().int().min(1).max(1440).default(15),
  raisePriority: z.boolean().default(false),
  reassign: z.boolean().default(false),
});
export async function listPolicies(ctx: Ctx) {
  return ctx.db.select().from(slaPolicies).orderBy(asc(slaPolicies.createdAt));
}
/** One policy per priority: saving one for a priority that has one replaces it. Applies to tickets opened afterwards. */
export async function savePolicy(ctx: Ctx, actor: Actor, input: z.input<typeof policyInput>) {
  assertAdmin(actor);
  const p = policyInput.parse(input);
  if (!p.firstResponseMinutes && !p.nextResponseMinutes && !p.resolutionMinutes)
    throw badRequest("policy_without_times", "A policy needs at least one of its times", {
      field: "firstResponseMinutes",
    });
  return ctx.database.write(async (tx) => {
    const cur = await tx.select().from(slaPolicies).where(eq(slaPolicies.priority, p.priority)).get();
    if (cur) {
      await tx.update(slaPolicies).set(p).where(eq(slaPolicies.id, cur.id));
      return { ...cur, ...p };
    }
    const row = { id: newId(), ...p, createdAt: ctx.clock.now() };
    await tx.insert(slaPolicies).values(row);
    return row;
  });
}
export async function deletePolicy(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  await ctx.database.write(async (tx) => {
    const r = await tx.delete(slaPolicies).where(eq(slaPolicies.id, id)).returning({ id: slaPolicies.id });
    if (!r.length) throw notFound("SLA policy");
  });
}

export const viewInput = z.strictObject({
  name: z.string().trim().min(1).max(60),
  filters: z.record(z.string().max(20), z.string().max(200)).default({}),
  /** for everyone (administrators only) */
  shared: z.boolean().default(false),
});
/** One's saved ticket views and the shared ones. */
export async function listViews(ctx: Ctx, actor: Actor) {
  const mine = actor.kind === "user" ? eq(ticketViews.userId, actor.id) : undefined;
  return ctx.db
    .select()
    .from(ticketViews)
    .where(or(isNull(ticketViews.userId), mine))
    .orderBy(asc(ticketViews.name));
}
export async function createView(ctx: Ctx, actor: Actor, input: z.input<typeof viewInput>) {
  const v = viewInput.parse(input);
  // the filters are checked as a list would read them
  const filters = Object.fromEntries(
    Object.entries(ticketFilters.partial().parse(v.filters))
      .filter(([k, x]) => x !== undefined && k !== "limit" && k !== "before")
      .map(([k, x]) => [k, String(x)]),
  );
  if (v.shared) assertAdmin(actor);
  else if (actor.kind !== "user")
    throw badRequest("view_needs_person", "A personal view belongs to a person; share it instead");
  return ctx.database.write(async (tx) => {
    const row = {
      id: newId(),
      userId: v.shared ? null : (actor as { id: string }).id,
      name: v.name,
      filters,
      createdAt: ctx.clock.now(),
    };
    await tx.insert(ticketViews).values(row);
    return row;
  });
}
export async function deleteView(ctx: Ctx, actor: Actor, id: string) {
  await ctx.database.write(async (tx) => {
    const v = await tx.select().from(ticketViews).where(eq(ticketViews.id, id)).get();
    const own = v && actor.kind === "user" && v.userId === actor.id;
    if (!v || !(own || (v.userId === null && seesAll(actor)))) throw notFound("View");
    if (v.userId === null) assertAdmin(actor);
    await tx.delete(ticketViews).where(eq(ticketViews.id, id));
  });
}

/** The people who may take tickets of a department (its members), for the assign picker. */
export async function departmentPeople(ctx: Ctx, departmentId: string | null) {
  const rows = departmentId
    ? await ctx.db
        .select({ id: users.id, name: users.name })
        .from(userDepartments)
        .innerJoin(users, eq(users.id, userDepartments.userId))
        .where(and(eq(userDepartments.departmentId, departmentId), eq(users.active, true)))
    : await ctx.db.select({ id: users.id, name: users.name }).from(users).where(eq(users.active, true));
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}
