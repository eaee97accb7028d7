// The automation engine. It reads the events table in order from a stored cursor (not only the in-process bus),
// so a crash between a commit and an action resumes where it stopped; it fires each rule at most once per cause
// (a run's key is rule + event, or rule + timer) and does nothing twice: what cannot be repeated (a note, a ticket,
// a notice, a webhook) has a step row written first, a message has the outbox's idempotency key, and the rest
// (tags, priority, status…) changes nothing when done again. Timed work is rows with a due time, claimed by a one-second tick:
// they survive restarts, and one that came due while the server was down fires once on start, or is skipped when
// it is older than its rule's "too late" limit.
import { createHmac } from "node:crypto";
import { and, asc, desc, eq, gt, inArray, isNotNull, lt, ne, or, sql } from "drizzle-orm";
import { Cron } from "croner";
import type { Actor, Ctx } from "../platform/context.ts";
import { preparedFor, type Tx } from "../platform/db.ts";
import { events as eventsTable } from "../platform/schema.ts";
import { AppError } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { guardedFetch } from "../platform/net-guard.ts";
import { open as unseal } from "../platform/secrets.ts";
import { contacts, conversations, conversationTags, messages, channels } from "../inbox/schema.ts";
import { users } from "../auth/schema.ts";
import * as inbox from "../inbox/service.ts";
import { updateContact } from "../inbox/contacts.ts";
import { createTicket } from "../tickets/service.ts";
import { getBusiness, getSetting, isOpenAt } from "../setup/service.ts";
import { classifyIntent } from "../agents/intents.ts";
import { normalize } from "../agents/text.ts";
import { notify } from "../notifications/service.ts";
import {
  automationRules,
  automationRuns,
  automationSteps,
  automationTimers,
  eventCursors,
  type RunTrace,
} from "./schema.ts";
import { enrol, runSequenceStep, sequenceExits, unenrol } from "./sequences.ts";
import { flowEvents, flowTimer, startFlow } from "./flows.ts";
import { sendSurvey, surveyEvents } from "./csat.ts";
import { orderWords } from "../commerce/payments.ts";
import { orders } from "../commerce/schema.ts";
import { EVENT_TRIGGERS, type Action, type Condition, type ConditionGroup, type Trigger } from "./model.ts";

type Rule = typeof automationRules.$inferSelect;
type Run = typeof automationRuns.$inferSelect;
type Timer = typeof automationTimers.$inferSelect;
type Ev = typeof eventsTable.$inferSelect;

const CURSOR = "automation";
/** an automation's change that makes another fire that makes another…: cut at this depth */
export const MAX_DEPTH = 3;
const BATCH = 500;
const LEASE_MS = 60_000;
const WEBHOOK_ATTEMPTS = 5;
/** how long events are gathered before the engine reads them (an automation answers this much later at most) */
const GATHER_MS = 15;

export type AutomationSettings = { maxMessagesPerContactHour: number };
export async function automationSettings(ctx: Ctx): Promise<AutomationSettings> {
  return {
    maxMessagesPerContactHour: 10,
    ...((await getSetting<Partial<AutomationSettings>>(ctx, "automation")) ?? {}),
  };
}

type State = {
  running: Promise<void> | null;
  again: boolean;
  stopped: boolean;
  rules: Rule[] | null;
  offs: (() => void)[];
  jobs: Cron[];
  wake?: ReturnType<typeof setTimeout>;
  soon?: ReturnType<typeof setTimeout>;
  /** counts the engine's rounds: what is read once a round (the business, the limits) is read again in the next */
  round: number;
  memo: Map<string, { round: number; value: Promise<unknown> }>;
};
const states = new WeakMap<Ctx, State>();
const stateOf = (ctx: Ctx) => {
  let s = states.get(ctx);
  if (!s)
    states.set(
      ctx,
      (s = { running: null, again: false, stopped: true, rules: null, offs: [], jobs: [], round: 0, memo: new Map() }),
    );
  return s;
};

/** Starts reading: every committed event kicks the engine, and a one-second tick claims due timers. */
export function startAutomation(ctx: Ctx, opts: { tick?: boolean } = {}) {
  const st = stateOf(ctx);
  st.stopped = false;
  // events are gathered for a moment and read in one batch: one cursor write for many events, not one each
  st.offs.push(
    ctx.events.on("*", (e) => {
      if (e.type === "inbox.typing" || st.soon) return;
      st.soon = setTimeout(() => {
        st.soon = undefined;
        void kick(ctx);
      }, GATHER_MS);
    }),
  );
  if (opts.tick !== false) st.jobs.push(new Cron("* * * * * *", { protect: true }, () => kick(ctx)));
  // one process per data dir (the instance lock): a row still claimed at start was claimed by a process that died
  st.running = ctx.database
    .write((tx) =>
      tx
        .update(automationTimers)
        .set({ status: "pending", claimedAt: null })
        .where(eq(automationTimers.status, "claimed")),
    )
    .then(() => undefined)
    .catch((e) => ctx.log.error("automation start failed", { error: String(e) }))
    .finally(() => {
      st.running = null;
      void kick(ctx);
    });
}

export function stopAutomation(ctx: Ctx) {
  const st = stateOf(ctx);
  st.stopped = true;
  for (const off of st.offs.splice(0)) off();
  for (const j of st.jobs.splice(0)) j.stop();
  if (st.wake) clearTimeout(st.wake);
  if (st.soon) clearTimeout(st.soon);
  st.soon = undefined;
}

/** The rules changed: read them again before the next event. */
export function rulesChanged(ctx: Ctx) {
  stateOf(ctx).rules = null;
}

/** Runs the engine now (events, then due timers); calls while it runs make it go round once more. */
export function kick(ctx: Ctx) {
  const st = stateOf(ctx);
  if (st.running) {
    st.again = true;
    return st.running;
  }
  st.running = (async () => {
    try {
      do {
        st.again = false;
        st.round++;
        await drainEvents(ctx);
        await drainTimers(ctx);
      } while (st.again && !st.stopped);
    } catch (e) {
      ctx.log.error("automation engine failed", { error: String(e) });
    } finally {
      st.running = null;
    }
  })();
  return st.running;
}

/** Resolves once the engine has nothing left to do now (for tests and benchmarks). */
export async function idle(ctx: Ctx) {
  const st = stateOf(ctx);
  while (st.running) await st.running;
}

async function rulesOf(ctx: Ctx) {
  const st = stateOf(ctx);
  st.rules ??= await ctx.db.select().from(automationRules).where(eq(automationRules.enabled, true)).all();
  return st.rules;
}

// ---------------------------------------------------------------- events

async function readCursor(ctx: Ctx) {
  const r = await ctx.db.select().from(eventCursors).where(eq(eventCursors.name, CURSOR)).get();
  if (r) return r.seq;
  // the first start reads from now on: rules are not run over the whole history
  const last = await ctx.db
    .select({ seq: sql<number>`coalesce(max(${eventsTable.seq}), 0)` })
    .from(eventsTable)
    .get();
  const seq = Number(last?.seq ?? 0);
  await ctx.database.write((tx) =>
    tx.insert(eventCursors).values({ name: CURSOR, seq, updatedAt: ctx.clock.now() }).onConflictDoNothing(),
  );
  return seq;
}

/** The next events after `cursor`, in order (a prepared read: the engine asks it all the time). */
function readEvents(ctx: Ctx, cursor: number): Ev[] {
  const rows = ctx.database
    .readPrepared(
      "SELECT seq, type, conversation_id, actor_type, actor_id, data, at FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
    )
    .all([cursor, BATCH]) as Record<string, unknown>[];
  return rows.map((r) => ({
    seq: Number(r.seq),
    type: r.type as string,
    conversationId: (r.conversation_id as string | null) ?? null,
    actorType: (r.actor_type as string | null) ?? null,
    actorId: (r.actor_id as string | null) ?? null,
    data: JSON.parse(String(r.data)),
    at: Number(r.at),
  }));
}

async function drainEvents(ctx: Ctx) {
  let cursor = await readCursor(ctx);
  for (;;) {
    const rows = readEvents(ctx, cursor);
    if (!rows.length) return;
    const rules = await rulesOf(ctx);
    // in order, one at a time: the engine reads alongside live traffic and must not crowd the writer
    for (const ev of rows)
      try {
        if (rules.length) await handleEvent(ctx, ev, rules);
        await sequenceExits(ctx, ev);
      } catch (e) {
        // one event the engine cannot handle must not stop it reading the others (it would read it for ever)
        ctx.log.error("automation event failed", { seq: ev.seq, type: ev.type, error: String(e) });
      }
    // flows after the batch's rules: one conversation's events in order, many conversations side by side (their
    // replies then share the writer's group commits)
    await flowEvents(ctx, rows);
    // a customer's answer to a satisfaction survey
    await surveyEvents(ctx, rows);
    cursor = rows[rows.length - 1].seq;
    await ctx.database.write((tx) =>
      tx.update(eventCursors).set({ seq: cursor, updatedAt: ctx.clock.now() }).where(eq(eventCursors.name, CURSOR)),
    );
    if (stateOf(ctx).stopped) return;
  }
}

/** Who caused an event, as far as automations go: which rule, and how deep in a chain of automations. */
function causeOf(ev: Pick<Ev, "actorType" | "actorId">) {
  const m = ev.actorType === "system" ? /^automation:([^:]+):(\d+)$/.exec(ev.actorId ?? "") : null;
  return m ? { ruleId: m[1], depth: Number(m[2]) } : { ruleId: null, depth: 0 };
}

type Data = Record<string, unknown> & {
  conversationId?: string;
  contactId?: string;
  messageId?: string;
  private?: boolean;
  changes?: Record<string, unknown>;
  previousStatus?: string;
  tagId?: string;
  appointmentId?: string;
  startsAt?: number;
  /** an order event's order, its status and how it is to be paid */
  orderId?: string;
  status?: string;
  paymentStatus?: string;
  paymentMethod?: string | null;
  fields?: string[];
  /** a board move's board and columns */
  boardId?: string;
  to?: string;
  toName?: string;
  /** an SLA event's kind (first_response, next_response, resolution) */
  kind?: string;
  ruleId?: string;
  first?: boolean;
  /** a customer's answer to a survey, kept in its resolved conversation (csat.ts): no rule's business */
  held?: boolean;
};

async function handleEvent(ctx: Ctx, ev: Ev, rules: Rule[]) {
  const d = (ev.data ?? {}) as Data;
  if (d.held) return;
  const conversationId = ev.conversationId ?? d.conversationId ?? null;
  const cause = causeOf(ev);
  await maintainTimers(ctx, ev, d, conversationId, rules, cause.ruleId);
  // what several rules may ask of one event is read once
  const seen: Seen = {};
  for (const rule of rules) {
    const tr = rule.trigger;
    if (EVENT_TRIGGERS[tr.type as keyof typeof EVENT_TRIGGERS] !== ev.type) continue;
    // a rule never fires on what it did itself, and a chain of automations stops at MAX_DEPTH
    if (cause.ruleId === rule.id) continue;
    if (tr.type === "webhook" && d.ruleId !== rule.id) continue;
    if (cause.depth >= MAX_DEPTH) {
      ctx.log.warn("automation chain cut", { ruleId: rule.id, depth: cause.depth, event: ev.seq });
      continue;
    }
    const detail = await triggerMatches(ctx, tr, ev, d, conversationId, seen);
    if (detail === null) continue;
    await fire(ctx, rule, {
      key: `${rule.id}:e${ev.seq}`,
      eventSeq: ev.seq,
      event: ev.type,
      detail,
      conversationId,
      contactId: d.contactId ?? null,
      depth: cause.depth + (cause.ruleId ? 1 : 0),
      data: d,
    });
  }
}

type Seen = { body?: Promise<string>; normalized?: string; intent?: string };

/** null when the event is not one this trigger wants; otherwise a word on what it saw (for the run log). */
async function triggerMatches(ctx: Ctx, tr: Trigger, ev: Ev, d: Data, conversationId: string | null, seen: Seen) {
  switch (tr.type) {
    case "message_received": {
      if (tr.channelIds.length && !tr.channelIds.includes(String(d.channelId))) return null;
      // said by the event itself (counting messages now would see later ones)
      if (tr.first && d.first !== true) return null;
      if (!tr.keywords.length && !tr.pattern && !tr.intents.length) return "";
      seen.body ??= d.messageId
        ? readsOf(ctx)
            .body.get({ id: d.messageId })
            .then((m) => m?.body ?? "")
        : Promise.resolve("");
      const body = await seen.body;
      seen.normalized ??= ` ${normalize(body)} `;
      const n = seen.normalized;
      const kw = tr.keywords.find((k) => n.includes(` ${normalize(k)} `));
      if (kw) return kw;
      if (tr.pattern && new RegExp(tr.pattern, "iu").test(body)) return tr.pattern;
      if (tr.intents.length) {
        seen.intent ??= classifyIntent(body).intent;
        if (tr.intents.includes(seen.intent)) return seen.intent;
      }
      return null;
    }
    case "conversation_created":
      return !tr.channelIds.length || tr.channelIds.includes(String(d.channelId)) ? "" : null;
    case "conversation_assigned":
      return d.changes?.assigneeId ? String(d.changes.assigneeId) : null;
    case "conversation_resolved":
      return d.changes?.status === "resolved" ? "" : null;
    case "conversation_reopened":
      return d.changes?.status === "open" && (d.previousStatus === "resolved" || d.previousStatus === "snoozed")
        ? ""
        : null;
    case "tag_added":
    case "tag_removed":
      return !tr.tagIds.length || tr.tagIds.includes(String(d.tagId)) ? String(d.tagName ?? d.tagId) : null;
    case "contact_updated":
      return !tr.fields.length || (d.fields ?? []).some((f) => tr.fields.includes(f)) ? "" : null;
    case "board_card_moved":
      if (tr.boardId && d.boardId !== tr.boardId) return null;
      return !tr.columnIds.length || tr.columnIds.includes(String(d.to)) ? String(d.toName ?? d.to ?? "") : null;
    case "ticket_sla_warning":
    case "ticket_sla_breached":
      return !tr.kinds.length || tr.kinds.includes(d.kind as never) ? String(d.kind ?? "") : null;
    case "order_status_changed":
      return !tr.statuses.length || tr.statuses.includes(String(d.status)) ? String(d.status ?? "") : null;
    case "contact_returned": {
      // the contact's previous conversation ended less than X hours before this one began
      if (!d.contactId) return null;
      const prev = await ctx.db
        .select({ resolvedAt: conversations.resolvedAt, assigneeId: conversations.assigneeId })
        .from(conversations)
        .where(
          and(
            eq(conversations.contactId, d.contactId),
            ne(conversations.id, conversationId ?? ""),
            isNotNull(conversations.resolvedAt),
          ),
        )
        .orderBy(desc(conversations.resolvedAt))
        .limit(1)
        .get();
      return prev?.resolvedAt && ev.at - prev.resolvedAt <= tr.hours * 3_600_000 ? (prev.assigneeId ?? "") : null;
    }
    default:
      return "";
  }
}

const TIMED: string[] = ["customer_silent", "no_agent_reply", "appointment_upcoming", "order_unpaid"];
/** Orders a reminder to pay makes sense for: paid by a link or a transfer (cash and card are paid on delivery). */
const PAID_LATER = new Set(["link", "transfer"]);

/** Timed triggers follow the conversation: our message starts "silent for X", the customer's stops it, and so on. */
async function maintainTimers(
  ctx: Ctx,
  ev: Ev,
  d: Data,
  conversationId: string | null,
  rules: Rule[],
  causedBy: string | null,
) {
  const timed = rules.filter((r) => TIMED.includes(r.trigger.type));
  if (!timed.length) return;
  const now = ctx.clock.now();
  const upsert: (typeof automationTimers.$inferInsert)[] = [];
  const keepIfPending: (typeof automationTimers.$inferInsert)[] = [];
  const cancel: { conversationId?: string; kind: Timer["kind"]; keyPrefix?: string }[] = [];
  // a queue notice (DigyBot telling a waiting customer their place) is not the business's last word
  const ours = ev.type === "inbox.message_created" && !d.private && !d.notice && ev.actorType !== "contact";
  const fromPerson = ours && ev.actorType === "user";
  // a timer of this rule for this cause (its key: one per rule and conversation, appointment or order)
  const row = (
    r: Rule,
    kind: Timer["kind"],
    key: string,
    dueAt: number,
    payload: Record<string, unknown>,
  ): typeof automationTimers.$inferInsert => ({
    id: newId(now),
    key,
    ruleId: r.id,
    kind,
    dueAt,
    conversationId,
    contactId: d.contactId ?? null,
    payload,
    createdAt: now,
  });
  for (const r of timed) {
    const tr = r.trigger;
    if (tr.type === "customer_silent" && conversationId && ours && causedBy !== r.id)
      upsert.push(row(r, "silent", `silent:${r.id}:${conversationId}`, ev.at + tr.minutes * 60_000, { since: ev.at }));
    if (tr.type === "no_agent_reply" && conversationId && ev.type === "inbox.message_received")
      keepIfPending.push(
        row(r, "no_reply", `noreply:${r.id}:${conversationId}`, ev.at + tr.minutes * 60_000, { since: ev.at }),
      );
    if (tr.type === "appointment_upcoming" && ev.type === "calendar.appointment_booked" && d.appointmentId) {
      const due = Number(d.startsAt) - tr.minutes * 60_000;
      if (due > now)
        upsert.push(
          row(r, "appointment", `appt:${r.id}:${d.appointmentId}`, due, {
            appointmentId: d.appointmentId,
            startsAt: d.startsAt,
          }),
        );
    }
    if (
      tr.type === "order_unpaid" &&
      ev.type === "commerce.order_created" &&
      d.orderId &&
      d.paymentStatus !== "paid" &&
      PAID_LATER.has(String(d.paymentMethod))
    )
      upsert.push(row(r, "order", `unpaid:${r.id}:${d.orderId}`, ev.at + tr.minutes * 60_000, { orderId: d.orderId }));
  }
  if (ev.type === "inbox.message_received" && conversationId) cancel.push({ conversationId, kind: "silent" });
  // paid or cancelled: no reminder to pay
  if (
    d.orderId &&
    (ev.type === "commerce.order_paid" || (ev.type === "commerce.order_status_changed" && d.status === "cancelled"))
  )
    cancel.push({ kind: "order", keyPrefix: `:${d.orderId}` });
  if (fromPerson && conversationId) cancel.push({ conversationId, kind: "no_reply" });
  if (ev.type === "calendar.appointment_cancelled" && d.appointmentId)
    cancel.push({ kind: "appointment", keyPrefix: `:${d.appointmentId}` });
  if (!upsert.length && !keepIfPending.length && !cancel.length) return;
  await ctx.database.write(async (tx) => {
    for (const c of cancel)
      await tx
        .update(automationTimers)
        .set({ status: "cancelled" })
        .where(
          and(
            eq(automationTimers.kind, c.kind),
            eq(automationTimers.status, "pending"),
            c.conversationId ? eq(automationTimers.conversationId, c.conversationId) : undefined,
            c.keyPrefix ? sql`${automationTimers.key} LIKE ${`%${c.keyPrefix}`}` : undefined,
          ),
        );
    for (const t of upsert)
      await tx
        .insert(automationTimers)
        .values(t)
        .onConflictDoUpdate({
          target: automationTimers.key,
          set: { dueAt: t.dueAt, status: "pending", attempts: 0, claimedAt: null, payload: t.payload },
        });
    // "no reply for X" counts from the first unanswered message: a pending one is kept as it is
    for (const t of keepIfPending)
      await tx
        .insert(automationTimers)
        .values(t)
        .onConflictDoUpdate({
          target: automationTimers.key,
          set: { dueAt: t.dueAt, status: "pending", attempts: 0, claimedAt: null, payload: t.payload },
          setWhere: sql`${automationTimers.status} <> 'pending'`,
        });
  });
}

// ---------------------------------------------------------------- firing a rule

type Cause = {
  key: string;
  eventSeq?: number | null;
  event: string;
  detail?: string;
  conversationId: string | null;
  contactId: string | null;
  depth: number;
  data?: Data;
  timerId?: string;
};

type Facts = {
  conversation: (typeof conversations.$inferSelect & { channelType: string; tags: string[] }) | null;
  contact: typeof contacts.$inferSelect | null;
  message: { body: string } | null;
  business: { name: string; open: boolean; weekday: string; hour: number; locale: string; timezone: string };
  appointment: { startsAt: number; service?: string } | null;
  /** the order an order event or timer is about, in words */
  order: Awaited<ReturnType<typeof orderWords>> | null;
  assigneeName: string | null;
};

const formatters = new Map<string, Intl.DateTimeFormat>();
/** What many runs of one round need and seldom changes (the business, the limits): read once a round. */
export function onceARound<T>(ctx: Ctx, key: string, load: () => Promise<T>): Promise<T> {
  const st = stateOf(ctx);
  const hit = st.memo.get(key);
  if (hit?.round === st.round) return hit.value as Promise<T>;
  const value = load();
  st.memo.set(key, { round: st.round, value });
  return value;
}
const businessOf = (ctx: Ctx) => onceARound(ctx, "business", () => getBusiness(ctx));

// the engine's lookups, prepared once per database (drizzle otherwise rebuilds and re-prepares each query)
const P = (name: string) => sql.placeholder(name);
function buildReads(db: Ctx["db"]) {
  return {
    conversation: db
      .select()
      .from(conversations)
      .where(eq(conversations.id, P("id")))
      .prepare(),
    contact: db
      .select()
      .from(contacts)
      .where(eq(contacts.id, P("id")))
      .prepare(),
    channelType: db
      .select({ type: channels.type })
      .from(channels)
      .where(eq(channels.id, P("id")))
      .prepare(),
    tags: db
      .select({ tagId: conversationTags.tagId })
      .from(conversationTags)
      .where(eq(conversationTags.conversationId, P("id")))
      .prepare(),
    body: db
      .select({ body: messages.body })
      .from(messages)
      .where(eq(messages.id, P("id")))
      .prepare(),
    userName: db
      .select({ name: users.name })
      .from(users)
      .where(eq(users.id, P("id")))
      .prepare(),
  };
}
const prepared = new WeakMap<object, ReturnType<typeof buildReads>>();
const readsOf = (ctx: Ctx) => {
  let r = prepared.get(ctx.db);
  if (!r) prepared.set(ctx.db, (r = buildReads(ctx.db)));
  return r;
};

export async function factsFor(ctx: Ctx, c: Cause): Promise<Facts> {
  const q = readsOf(ctx);
  const conv = c.conversationId ? await q.conversation.get({ id: c.conversationId }) : undefined;
  const contactId = c.contactId ?? conv?.contactId ?? null;
  const contact = contactId ? await q.contact.get({ id: contactId }) : undefined;
  const channel = conv ? await q.channelType.get({ id: conv.channelId }) : undefined;
  const tags = conv ? (await q.tags.all({ id: conv.id })).map((r) => r.tagId) : [];
  const msg = c.data?.messageId ? await q.body.get({ id: c.data.messageId }) : undefined;
  const b = await businessOf(ctx);
  const now = ctx.clock.now();
  const tz = b?.timezone ?? "UTC";
  let fmt = formatters.get(tz);
  if (!fmt)
    formatters.set(
      tz,
      (fmt = new Intl.DateTimeFormat("en-US", { timeZone: tz, weekday: "short", hour: "numeric", hourCycle: "h23" })),
    );
  const parts = Object.fromEntries(fmt.formatToParts(new Date(now)).map((p) => [p.type, p.value]));
  const assignee = conv?.assigneeId ? await q.userName.get({ id: conv.assigneeId }) : undefined;
  return {
    conversation: conv ? { ...conv, channelType: channel?.type ?? "", tags } : null,
    contact: contact ?? null,
    message: msg ?? null,
    business: {
      name: b?.name ?? "",
      open: b ? isOpenAt(b, now) : true,
      weekday: String(parts.weekday ?? "")
        .toLowerCase()
        .slice(0, 3),
      hour: Number(parts.hour ?? 0),
      locale: b?.locale ?? ctx.config.default_locale,
      timezone: tz,
    },
    appointment: c.data?.startsAt ? { startsAt: Number(c.data.startsAt), service: c.data.service as string } : null,
    order: c.data?.orderId
      ? ((await orderWords(ctx, c.data.orderId, (b?.locale ?? ctx.config.default_locale) === "en" ? "en" : "es")) ??
        null)
      : null,
    assigneeName: assignee?.name ?? null,
  };
}

function factValue(f: Facts, field: string): unknown {
  const attrs = (f.contact?.attributes ?? {}) as Record<string, unknown>;
  if (field.startsWith("contact.attributes.")) return attrs[field.slice("contact.attributes.".length)];
  switch (field) {
    case "contact.name":
      return f.contact?.name;
    case "contact.phone":
      return f.contact?.phone;
    case "contact.email":
      return f.contact?.email;
    case "contact.language":
      return attrs.language;
    case "conversation.tags":
      return f.conversation?.tags ?? [];
    case "message.body":
      return f.message?.body;
    case "business.open":
      return f.business.open;
    case "time.weekday":
      return f.business.weekday;
    case "time.hour":
      return f.business.hour;
    default:
      if (field.startsWith("conversation.") && f.conversation)
        return (f.conversation as Record<string, unknown>)[field.slice("conversation.".length)];
      return undefined;
  }
}

const fold = (v: unknown) => (typeof v === "string" ? normalize(v) : v);

export function testCondition(c: Condition, actual: unknown): boolean {
  const list = Array.isArray(c.value) ? c.value.map(fold) : [fold(c.value)];
  const has = (x: unknown) => list.includes(fold(x));
  const arr = Array.isArray(actual) ? actual : null;
  switch (c.op) {
    case "exists":
      return actual !== undefined && actual !== null && actual !== "" && !(arr && !arr.length);
    case "not_exists":
      return !testCondition({ ...c, op: "exists" }, actual);
    case "eq":
      return arr ? arr.some(has) : String(fold(actual ?? "")) === String(fold(c.value ?? "")) || actual === c.value;
    case "neq":
      return !testCondition({ ...c, op: "eq" }, actual);
    case "in":
      return arr ? arr.some(has) : has(actual);
    case "not_in":
      return !testCondition({ ...c, op: "in" }, actual);
    case "contains":
      return arr ? arr.some(has) : String(fold(actual ?? "")).includes(String(fold(c.value ?? "")));
    case "not_contains":
      return !testCondition({ ...c, op: "contains" }, actual);
    case "gt":
      return Number(actual) > Number(c.value);
    case "lt":
      return Number(actual) < Number(c.value);
    case "matches":
      try {
        return new RegExp(String(c.value ?? ""), "iu").test(String(actual ?? ""));
      } catch {
        return false;
      }
  }
}

/** Evaluates a group, writing each condition's outcome into `out` (for the run log). */
export function evaluate(g: ConditionGroup, f: Facts, out: RunTrace["conditions"]): boolean {
  if (!g.items.length) return true;
  const results = g.items.map((item) => {
    if ("items" in item) return evaluate(item, f, out);
    const ok = testCondition(item, factValue(f, item.field));
    out.push({
      label: `${item.field} ${item.op}${item.value !== undefined ? ` ${JSON.stringify(item.value)}` : ""}`,
      ok,
    });
    return ok;
  });
  return g.match === "any" ? results.some(Boolean) : results.every(Boolean);
}

/** Fills {{contact.first_name|cliente}}-style variables from what the engine knows. */
export function render(text: string, f: Facts) {
  const locale = f.business.locale === "en" ? "en-US" : "es-MX";
  const first = (f.contact?.name ?? "").trim().split(/\s+/)[0] ?? "";
  const when = f.appointment ? new Date(f.appointment.startsAt) : null;
  const vars: Record<string, string | undefined> = {
    "contact.first_name": first,
    "contact.name": f.contact?.name,
    "contact.phone": f.contact?.phone ?? undefined,
    "contact.email": f.contact?.email ?? undefined,
    "business.name": f.business.name,
    "agent.name": f.assigneeName ?? undefined,
    "conversation.id": f.conversation?.id,
    "appointment.date": when?.toLocaleDateString(locale, {
      weekday: "long",
      day: "numeric",
      month: "long",
      timeZone: f.business.timezone,
    }),
    "appointment.time": when?.toLocaleTimeString(locale, {
      hour: "numeric",
      minute: "2-digit",
      timeZone: f.business.timezone,
    }),
    "appointment.service": f.appointment?.service,
    "order.number": f.order?.number,
    "order.total": f.order?.total,
    "order.status": f.order?.status,
    "order.payment_url": f.order?.paymentUrl,
    "order.how_to_pay": f.order?.howToPay,
  };
  const attrs = (f.contact?.attributes ?? {}) as Record<string, unknown>;
  return text.replace(/\{\{\s*([\w.]+)\s*(?:\|([^}]*))?\}\}/g, (_m, name: string, fallback?: string) => {
    const v = name.startsWith("contact.attributes.") ? attrs[name.slice(19)] : vars[name];
    const s = v === undefined || v === null ? "" : String(v).trim();
    return s || (fallback ?? "").trim();
  });
}

/** Checks the conditions and, when they hold, records the run (once per cause) and does its actions. */
export async function fire(ctx: Ctx, rule: Rule, c: Cause) {
  const facts = await factsFor(ctx, c);
  const trace: RunTrace = {
    trigger: { type: rule.trigger.type, event: c.event, ...(c.detail ? { detail: c.detail } : {}) },
    conditions: [],
    actions: [],
  };
  if (!evaluate(rule.conditions, facts, trace.conditions)) return null;
  const now = ctx.clock.now();
  let fresh = false;
  const run = await ctx.database.write(async (tx) => {
    const q = runStatements(tx);
    const prior = (await q.prior.get({ key: c.key })) as Run | undefined;
    if (prior) return prior;
    fresh = true;
    const row: Run = {
      id: newId(now),
      ruleId: rule.id,
      key: c.key,
      eventSeq: c.eventSeq ?? null,
      conversationId: facts.conversation?.id ?? c.conversationId,
      contactId: facts.contact?.id ?? c.contactId,
      status: "running",
      trace,
      error: null,
      depth: c.depth,
      startedAt: now,
      finishedAt: null,
    };
    await q.insert.run({ ...row, trace: JSON.stringify(row.trace) });
    await q.counted.run({ ruleId: rule.id, now });
    return row;
  });
  if (run.status !== "running") return run;
  return execute(ctx, rule, run, facts, 0, fresh);
}

const AT_MOST_ONCE = new Set<Action["type"]>(["add_note", "create_ticket", "notify"]);

// the statements every run writes, built once per writer (drizzle would rebuild their SQL on every call)
const runStatements = preparedFor((tx) => ({
  prior: tx
    .select()
    .from(automationRuns)
    .where(eq(automationRuns.key, P("key")))
    .prepare(),
  insert: tx
    .insert(automationRuns)
    .values({
      id: P("id"),
      ruleId: P("ruleId"),
      key: P("key"),
      eventSeq: P("eventSeq"),
      conversationId: P("conversationId"),
      contactId: P("contactId"),
      status: sql`${P("status")}`,
      trace: sql`${P("trace")}`,
      error: P("error"),
      depth: P("depth"),
      startedAt: P("startedAt"),
      finishedAt: P("finishedAt"),
    })
    .prepare(),
  counted: tx
    .update(automationRules)
    .set({ runs: sql`${automationRules.runs} + 1`, lastRunAt: sql`${P("now")}` })
    .where(eq(automationRules.id, P("ruleId")))
    .prepare(),
  finish: tx
    .update(automationRuns)
    .set({
      status: sql`${P("status")}`,
      trace: sql`${P("trace")}`,
      error: sql`${P("error")}`,
      finishedAt: sql`${P("finishedAt")}`,
    })
    .where(eq(automationRuns.id, P("id")))
    .prepare(),
}));

/** Does the run's actions from `start`, skipping those already done; a wait parks the run on a timer. */
async function execute(ctx: Ctx, rule: Rule, run: Run, facts: Facts, start: number, fresh = false): Promise<Run> {
  // a fresh run has no steps yet; a resumed one skips those it did
  const done = new Set(
    fresh
      ? []
      : (
          await ctx.db
            .select({ key: automationSteps.key })
            .from(automationSteps)
            .where(eq(automationSteps.runId, run.id))
        ).map((r) => r.key),
  );
  const trace = run.trace;
  let failed = run.status === "failed";
  let firstError = run.error;
  const actor: Actor = {
    kind: "system",
    id: `automation:${rule.id}:${run.depth}`,
    name: `${facts.business.locale === "en" ? "Automation" : "Automatización"} «${rule.name}»`,
  };
  for (let i = start; i < rule.actions.length; i++) {
    const a = rule.actions[i];
    const key = `${run.id}:${i}`;
    if (done.has(key)) continue;
    const now = ctx.clock.now();
    if (a.type === "wait") {
      await ctx.database.write(async (tx) => {
        await tx.insert(automationSteps).values({ key, runId: run.id, at: now }).onConflictDoNothing();
        await tx
          .insert(automationTimers)
          .values({
            id: newId(now),
            key: `resume:${key}`,
            ruleId: rule.id,
            kind: "resume",
            dueAt: now + a.minutes * 60_000,
            conversationId: run.conversationId,
            contactId: run.contactId,
            payload: { runId: run.id, next: i + 1 },
            createdAt: now,
          })
          .onConflictDoNothing();
        trace.actions.push({ i, type: a.type, ok: true, result: `${a.minutes} min`, at: now });
        await tx.update(automationRuns).set({ status: "waiting", trace }).where(eq(automationRuns.id, run.id));
      });
      return { ...run, status: "waiting", trace };
    }
    // what cannot be undone or repeated is marked done before it is done: at most once, even across a crash
    if (AT_MOST_ONCE.has(a.type))
      await ctx.database.write((tx) =>
        tx.insert(automationSteps).values({ key, runId: run.id, at: now }).onConflictDoNothing(),
      );
    let entry: RunTrace["actions"][number];
    try {
      const result = await perform(ctx, rule, run, a, i, facts, actor);
      entry = { i, type: a.type, ok: true, ...(result ? { result } : {}), at: now };
    } catch (e) {
      const msg = e instanceof AppError ? `${e.code}: ${e.message}` : String(e);
      // what an action rightly does not do (a second survey, one past the reply window) is no failure
      if (a.type === "send_survey" && e instanceof AppError && SURVEY_SKIPS.has(e.code))
        entry = { i, type: a.type, ok: false, skipped: true, error: msg, at: now };
      else {
        entry = { i, type: a.type, ok: false, error: msg, at: now };
        failed = true;
        firstError ??= msg;
      }
      if (!(e instanceof AppError))
        ctx.log.error("automation action failed", { ruleId: rule.id, action: a.type, error: msg });
    }
    // an action done again after a crash replaces its earlier line in the log
    trace.actions = [...trace.actions.filter((x) => x.i !== i), entry];
    // an idempotent action (a tag, a priority, a message with its outbox key) done again after a crash changes
    // nothing, so only the others pay for a step row; the trace is written with the run's end
    if (AT_MOST_ONCE.has(a.type) || a.type === "webhook")
      await ctx.database.write(async (tx) => {
        await tx.insert(automationSteps).values({ key, runId: run.id, at: now }).onConflictDoNothing();
        await tx.update(automationRuns).set({ trace }).where(eq(automationRuns.id, run.id));
      });
  }
  const finishedAt = ctx.clock.now();
  const status = failed ? "failed" : "done";
  const finish = async (tx: Tx) => {
    await runStatements(tx).finish.run({
      id: run.id,
      status,
      trace: JSON.stringify(trace),
      error: firstError,
      finishedAt,
    });
    if (failed)
      await tx
        .update(automationRules)
        .set({ failures: sql`${automationRules.failures} + 1`, lastError: firstError })
        .where(eq(automationRules.id, rule.id));
  };
  // the conversation says what the automation did there, one line per run, written with the run's end
  const did = trace.actions.filter((x) => x.ok && x.i >= start && x.type !== "wait").map((x) => x.type);
  const noted =
    run.conversationId && did.length
      ? await inbox.recordSystemActivity(
          ctx,
          run.conversationId,
          `automation:${rule.id}:${run.depth}`,
          "automation",
          { name: rule.name, actions: [...new Set(did)].join(",") },
          finish,
        )
      : false;
  if (!noted) await ctx.database.write(finish);
  return { ...run, status, trace, error: firstError, finishedAt };
}

const skip = (code: string, message: string) => new AppError(409, code, message);
const SURVEY_SKIPS = new Set(["survey_already_sent", "outside_reply_window"]);

async function perform(
  ctx: Ctx,
  rule: Rule,
  run: Run,
  a: Action,
  i: number,
  f: Facts,
  actor: Actor,
): Promise<string | undefined> {
  const conv = f.conversation;
  const needConv = () => {
    if (!conv) throw skip("no_conversation", "This trigger has no conversation to act on");
    return conv;
  };
  switch (a.type) {
    case "send_message": {
      const c = needConv();
      const cap = (await onceARound(ctx, "settings", () => automationSettings(ctx))).maxMessagesPerContactHour;
      const sent = await ctx.db
        .select({ n: sql<number>`count(*)` })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(
          and(
            eq(conversations.contactId, c.contactId),
            eq(messages.direction, "out"),
            sql`${messages.senderId} LIKE 'automation:%'`,
            gt(messages.createdAt, ctx.clock.now() - 3_600_000),
          ),
        )
        .get();
      if (Number(sent?.n ?? 0) >= cap)
        throw skip("automation_cap", `This contact already got ${cap} automated messages in the last hour`);
      const base = { idempotencyKey: `auto:${run.id}:${i}`, takeOver: false };
      try {
        const r = await inbox.sendMessage(ctx, actor, c.id, {
          ...base,
          body: render(a.body, f),
          ...(a.buttons ? { content: { buttons: a.buttons } } : {}),
          ...(a.media?.length ? { library: a.media } : {}),
        });
        return r.message.id;
      } catch (e) {
        // outside the reply window only an approved template may go: the rule's, when it has one
        if (!(e instanceof AppError && e.code === "outside_reply_window")) throw e;
        if (!a.template) throw e;
        const r = await inbox.sendMessage(ctx, actor, c.id, {
          ...base,
          idempotencyKey: `auto:${run.id}:${i}:t`,
          content: { template: { ...a.template, params: a.template.params.map((p) => render(p, f)) } },
        });
        return `template ${a.template.name}: ${r.message.id}`;
      }
    }
    case "send_survey": {
      const c = needConv();
      const r = await sendSurvey(
        ctx,
        actor,
        c.id,
        { question: a.question ? render(a.question, f) : undefined, comment: a.comment, thanks: a.thanks },
        { ruleId: rule.id, locale: f.business.locale, idempotencyKey: `auto:${run.id}:${i}` },
      );
      return r.message.id;
    }
    case "enrol_sequence": {
      const c = needConv();
      const r = await enrol(ctx, { kind: "system" }, a.sequenceId, { conversationId: c.id }, "rule");
      return r.already ? "already" : r.enrolment.status;
    }
    case "start_flow": {
      const s = await startFlow(ctx, { kind: "system" }, needConv().id, a.flowId, run.eventSeq ?? 0);
      return s.status;
    }
    case "unenrol_sequence": {
      if (!f.contact) throw skip("no_contact", "This trigger has no contact to act on");
      return `${await unenrol(ctx, { kind: "system" }, a.sequenceId, f.contact.id)}`;
    }
    case "add_note":
      await inbox.sendMessage(ctx, actor, needConv().id, { body: render(a.body, f), private: true, takeOver: false });
      return;
    case "assign_user":
      await inbox.updateConversation(ctx, actor, needConv().id, { assigneeId: a.userId });
      return a.userId;
    case "assign_last": {
      const c = needConv();
      const prev = await ctx.db
        .select({ assigneeId: conversations.assigneeId })
        .from(conversations)
        .innerJoin(users, eq(users.id, conversations.assigneeId))
        .where(
          and(
            eq(conversations.contactId, c.contactId),
            ne(conversations.id, c.id),
            isNotNull(conversations.assigneeId),
            eq(users.active, true),
          ),
        )
        .orderBy(desc(conversations.lastMessageAt))
        .limit(1)
        .get();
      if (!prev?.assigneeId) throw skip("no_previous_agent", "Nobody served this contact before");
      await inbox.updateConversation(ctx, actor, c.id, { assigneeId: prev.assigneeId });
      return prev.assigneeId;
    }
    case "assign_department":
      await inbox.updateConversation(ctx, actor, needConv().id, { departmentId: a.departmentId });
      return;
    case "add_tag":
    case "remove_tag":
      await inbox.tagConversation(ctx, actor, needConv().id, a.tagId, a.type === "add_tag");
      return;
    case "set_priority":
      await inbox.updateConversation(ctx, actor, needConv().id, { priority: a.priority });
      return;
    case "set_status":
      await inbox.updateConversation(ctx, actor, needConv().id, { status: a.status });
      return;
    case "snooze":
      await inbox.updateConversation(ctx, actor, needConv().id, {
        status: "snoozed",
        snoozedUntil: ctx.clock.now() + a.minutes * 60_000,
      });
      return;
    case "set_contact": {
      if (!f.contact) throw skip("no_contact", "This trigger has no contact to act on");
      const value = render(a.value, f);
      const field = a.field === "language" ? "attributes.language" : a.field;
      await updateContact(
        ctx,
        actor,
        f.contact.id,
        field.startsWith("attributes.") ? { attributes: { [field.slice(11)]: value || null } } : { [field]: value },
      );
      return;
    }
    case "create_ticket": {
      const t = await createTicket(ctx, actor, {
        subject: render(a.subject, f),
        description: render(a.description, f),
        priority: a.priority,
        conversationId: conv?.id ?? null,
        contactId: conv ? null : (f.contact?.id ?? null),
      });
      return `#${t.number}`;
    }
    case "notify": {
      const c = needConv();
      const r = await notify(
        ctx,
        {
          kind: "alert",
          conversationId: c.id,
          contactName: f.contact?.name || f.contact?.phone || "",
          text: render(a.message, f),
          by: rule.name,
        },
        (p) => a.userIds.includes(p.id) || (!!a.departmentId && p.departmentIds.includes(a.departmentId)),
        c,
      );
      return `${r.people}`;
    }
    case "webhook": {
      const now = ctx.clock.now();
      const body = JSON.stringify({
        rule: { id: rule.id, name: rule.name },
        run: run.id,
        trigger: run.trace.trigger,
        conversation: conv ? { id: conv.id, status: conv.status, channelType: conv.channelType } : null,
        contact: f.contact
          ? { id: f.contact.id, name: f.contact.name, phone: f.contact.phone, email: f.contact.email }
          : null,
        at: now,
      });
      await ctx.database.write((tx) =>
        tx
          .insert(automationTimers)
          .values({
            id: newId(now),
            key: `webhook:${run.id}:${i}`,
            ruleId: rule.id,
            kind: "webhook",
            dueAt: now,
            conversationId: run.conversationId,
            contactId: run.contactId,
            payload: { url: a.url, body, runId: run.id, i },
            createdAt: now,
          })
          .onConflictDoNothing(),
      );
      return "queued";
    }
    case "to_agent":
      await inbox.updateConversation(ctx, actor, needConv().id, { agentId: a.agentId });
      return;
    case "from_agent": {
      const c = needConv();
      if (c.ownerType !== "bot") return "not the bot's";
      await inbox.updateConversation(ctx, actor, c.id, {
        ownerType: "queue",
        ...(a.departmentId ? { departmentId: a.departmentId } : {}),
      });
      return;
    }
    case "wait":
      return;
  }
}

// ---------------------------------------------------------------- timers

async function drainTimers(ctx: Ctx) {
  for (;;) {
    const now = ctx.clock.now();
    // a read first: most rounds find nothing due, and then write nothing
    const any = await ctx.db
      .select({ id: automationTimers.id })
      .from(automationTimers)
      .where(
        or(
          and(eq(automationTimers.status, "pending"), lt(automationTimers.dueAt, now + 1)),
          and(eq(automationTimers.status, "claimed"), lt(automationTimers.claimedAt, now - LEASE_MS)),
        ),
      )
      .limit(1)
      .get();
    if (!any) break;
    const due = await ctx.database.write((tx) =>
      tx
        .update(automationTimers)
        .set({ status: "claimed", claimedAt: now, attempts: sql`${automationTimers.attempts} + 1` })
        .where(
          inArray(
            automationTimers.id,
            tx
              .select({ id: automationTimers.id })
              .from(automationTimers)
              .where(
                or(
                  and(eq(automationTimers.status, "pending"), lt(automationTimers.dueAt, now + 1)),
                  // claimed by a process that died before finishing it
                  and(eq(automationTimers.status, "claimed"), lt(automationTimers.claimedAt, now - LEASE_MS)),
                ),
              )
              .orderBy(asc(automationTimers.dueAt))
              .limit(BATCH),
          ),
        )
        .returning(),
    );
    if (!due.length) break;
    const rules = new Map(
      (
        await ctx.db
          .select()
          .from(automationRules)
          .where(inArray(automationRules.id, [...new Set(due.map((t) => t.ruleId))]))
      ).map((r) => [r.id, r]),
    );
    const finished: { id: string; status: Timer["status"] }[] = [];
    // one conversation's timers in due order, different conversations side by side: their writes then share the
    // writer's group commits instead of paying one commit each
    await inGroups(
      due.sort((a, b) => a.dueAt - b.dueAt),
      (t) => t.conversationId ?? t.id,
      async (t) => {
        let status: Timer["status"] = "done";
        try {
          status = await handleTimer(ctx, t, rules.get(t.ruleId));
        } catch (e) {
          ctx.log.error("automation timer failed", { timer: t.id, kind: t.kind, error: String(e) });
        }
        if (status !== "pending") finished.push({ id: t.id, status });
      },
    );
    if (finished.length)
      await ctx.database.write(async (tx) => {
        for (const s of ["done", "skipped", "cancelled"] as const) {
          const ids = finished.filter((f) => f.status === s).map((f) => f.id);
          for (let k = 0; k < ids.length; k += 500)
            await tx
              .update(automationTimers)
              .set({ status: s })
              .where(and(inArray(automationTimers.id, ids.slice(k, k + 500)), eq(automationTimers.status, "claimed")));
        }
      });
    if (due.length < BATCH || stateOf(ctx).stopped) break;
  }
  wakeForNext(ctx);
}

/** Between one-second ticks, wakes the engine when the next timer comes due (lateness well under a second). */
function wakeForNext(ctx: Ctx) {
  const st = stateOf(ctx);
  if (st.stopped) return;
  const next = ctx.db
    .select({ at: sql<number | null>`min(${automationTimers.dueAt})` })
    .from(automationTimers)
    .where(eq(automationTimers.status, "pending"))
    .get();
  void Promise.resolve(next).then((r) => {
    const wait = r?.at ? r.at - ctx.clock.now() : Number.POSITIVE_INFINITY;
    if (st.stopped || !(wait < 1000)) return;
    if (st.wake) clearTimeout(st.wake);
    st.wake = setTimeout(() => void kick(ctx), Math.max(0, wait));
  });
}

const PARALLEL = 32;
/** Runs `fn` over items, those of one group (a conversation) one after another in order, up to PARALLEL groups at once. */
export async function inGroups<T>(items: T[], groupOf: (x: T) => string, fn: (x: T) => Promise<void>) {
  const groups = new Map<string, T[]>();
  for (const x of items) {
    const k = groupOf(x);
    const g = groups.get(k);
    if (g) g.push(x);
    else groups.set(k, [x]);
  }
  const queue = [...groups.values()];
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
      for (let g = queue.shift(); g; g = queue.shift()) for (const x of g) await fn(x);
    }),
  );
}

/** Does one due row; returns the row's new status ("pending" when it was put back for a retry). */
async function handleTimer(ctx: Ctx, t: Timer, rule: Rule | undefined): Promise<Timer["status"]> {
  const now = ctx.clock.now();
  if (t.kind === "webhook") return deliverWebhook(ctx, t, rule);
  if (t.kind === "sequence") return runSequenceStep(ctx, t);
  if (t.kind === "flow") return flowTimer(ctx, t);
  if (!rule?.enabled) return "cancelled";
  const late = rule.tooLateMs !== null && now - t.dueAt > rule.tooLateMs;
  if (t.kind === "resume") {
    const p = t.payload as { runId: string; next: number };
    const run = await ctx.db.select().from(automationRuns).where(eq(automationRuns.id, p.runId)).get();
    // "running": the process died in the middle of it; its done steps are skipped
    if (!run || (run.status !== "waiting" && run.status !== "running")) return "done";
    if (late) {
      await finishSkipped(ctx, run, `too late: due ${new Date(t.dueAt).toISOString()}`);
      return "skipped";
    }
    await ctx.database.write((tx) =>
      tx.update(automationRuns).set({ status: "running" }).where(eq(automationRuns.id, run.id)),
    );
    const facts = await factsFor(ctx, {
      key: run.key,
      event: "automation.resume",
      conversationId: run.conversationId,
      contactId: run.contactId,
      depth: run.depth,
    });
    await execute(ctx, rule, { ...run, status: "running" }, facts, p.next);
    return "done";
  }
  const cause: Cause = {
    key: `${rule.id}:t:${t.key}:${t.dueAt}`,
    event: `automation.${t.kind}`,
    conversationId: t.conversationId,
    contactId: t.contactId,
    depth: 0,
    timerId: t.id,
    data: t.kind === "appointment" || t.kind === "order" ? (t.payload as Data) : undefined,
  };
  if (t.kind === "order") {
    // still unpaid now? (paid or cancelled after the timer was set and before it was cancelled)
    const o = await orderState(ctx, String((t.payload as Data).orderId));
    if (!o || o.paymentStatus === "paid" || o.status === "cancelled" || o.status === "refunded") return "cancelled";
  }
  if (t.kind === "silent" || t.kind === "no_reply") {
    // still true now? (the customer wrote, or a person answered, after the timer was set and before it was cancelled)
    const p = t.payload as { since: number };
    const c = t.conversationId ? await readsOf(ctx).conversation.get({ id: t.conversationId }) : undefined;
    if (!c) return "cancelled";
    if (t.kind === "silent" && (c.lastInboundAt ?? 0) > p.since) return "cancelled";
    if (t.kind === "no_reply") {
      const answered = await ctx.db
        .select({ id: messages.id })
        .from(messages)
        .where(
          and(
            eq(messages.conversationId, t.conversationId!),
            eq(messages.direction, "out"),
            eq(messages.senderType, "agent"),
            eq(messages.private, false),
            gt(messages.createdAt, p.since),
          ),
        )
        .limit(1)
        .get();
      if (answered) return "cancelled";
    }
  }
  if (t.kind === "schedule") await scheduleNext(ctx, rule, t.dueAt);
  if (late) {
    await recordSkipped(ctx, rule, cause, `too late: due ${new Date(t.dueAt).toISOString()}`);
    return "skipped";
  }
  await fire(ctx, rule, cause);
  return "done";
}

const orderState = (ctx: Ctx, id: string) =>
  ctx.db
    .select({ status: orders.status, paymentStatus: orders.paymentStatus })
    .from(orders)
    .where(eq(orders.id, id))
    .get();

async function finishSkipped(ctx: Ctx, run: Run, why: string) {
  await ctx.database.write((tx) =>
    tx
      .update(automationRuns)
      .set({ status: "skipped", error: why, finishedAt: ctx.clock.now() })
      .where(eq(automationRuns.id, run.id)),
  );
}

/** A timer that came due too late is written in the run log as skipped, so the owner sees it did not go. */
async function recordSkipped(ctx: Ctx, rule: Rule, c: Cause, why: string) {
  const now = ctx.clock.now();
  await ctx.database.write((tx) =>
    tx
      .insert(automationRuns)
      .values({
        id: newId(now),
        ruleId: rule.id,
        key: c.key,
        eventSeq: null,
        conversationId: c.conversationId,
        contactId: c.contactId,
        status: "skipped",
        trace: { trigger: { type: rule.trigger.type, event: c.event }, conditions: [], actions: [] },
        error: why,
        depth: c.depth,
        startedAt: now,
        finishedAt: now,
      })
      .onConflictDoNothing(),
  );
}

/** A schedule rule's next due row (cron in the business's time zone), from `after`. */
export async function scheduleNext(ctx: Ctx, rule: Rule, after: number) {
  if (rule.trigger.type !== "schedule" || !rule.enabled) return;
  const tz = (await getBusiness(ctx))?.timezone ?? "UTC";
  const next = new Cron(rule.trigger.cron, { timezone: tz, paused: true }).nextRun(
    new Date(Math.max(after, ctx.clock.now() - 1)),
  );
  if (!next) return;
  const now = ctx.clock.now();
  await ctx.database.write((tx) =>
    tx
      .insert(automationTimers)
      .values({
        id: newId(now),
        key: `schedule:${rule.id}:${next.getTime()}`,
        ruleId: rule.id,
        kind: "schedule",
        dueAt: next.getTime(),
        conversationId: null,
        contactId: null,
        payload: {},
        createdAt: now,
      })
      .onConflictDoNothing(),
  );
}

/** Posts a webhook action's body, signed with the rule's secret; retried with backoff, the outcome in the run log. */
async function deliverWebhook(ctx: Ctx, t: Timer, rule: Rule | undefined): Promise<Timer["status"]> {
  const p = t.payload as { url: string; body: string; runId: string; i: number };
  const secret = rule?.webhookSecret ? unseal(rule.webhookSecret) : "";
  let error: string | null = null;
  try {
    const res = await guardedFetch(p.url, {
      method: "POST",
      allowHosts: ctx.config.fetch_allow_hosts,
      maxRedirects: 0,
      headers: {
        "content-type": "application/json",
        "user-agent": "DigyBot-Automation/1",
        "x-digybot-signature": `sha256=${createHmac("sha256", secret).update(p.body).digest("hex")}`,
        "x-digybot-delivery": t.id,
      },
      body: p.body,
      timeoutMs: 10_000,
      maxBytes: 64 * 1024,
    });
    if (res.status >= 300) error = `HTTP ${res.status}`;
  } catch (e) {
    error = e instanceof AppError ? `${e.code}: ${e.message}` : String(e);
  }
  if (error && t.attempts < WEBHOOK_ATTEMPTS) {
    const backoff = Math.min(2 ** t.attempts * 5_000, 10 * 60_000);
    await ctx.database.write((tx) =>
      tx
        .update(automationTimers)
        .set({ status: "pending", dueAt: ctx.clock.now() + backoff, claimedAt: null })
        .where(eq(automationTimers.id, t.id)),
    );
    return "pending";
  }
  // the result goes into the run's log
  await ctx.database.write(async (tx) => {
    const run = await tx.select().from(automationRuns).where(eq(automationRuns.id, p.runId)).get();
    if (!run) return;
    const trace = run.trace;
    const entry = trace.actions.find((x) => x.i === p.i && x.type === "webhook");
    if (entry) {
      entry.ok = !error;
      if (error) entry.error = `${error} (${t.attempts} tries)`;
      else entry.result = "delivered";
    }
    await tx
      .update(automationRuns)
      .set({
        trace,
        ...(error ? { status: "failed" as const, error: run.error ?? `webhook: ${error}` } : {}),
      })
      .where(eq(automationRuns.id, run.id));
    if (error && rule)
      await tx
        .update(automationRules)
        .set({ failures: sql`${automationRules.failures} + 1`, lastError: `webhook: ${error}` })
        .where(eq(automationRules.id, rule.id));
  });
  return "done";
}

/** Pending timers of a rule that was switched off or deleted are cancelled (a waiting run's resume among them). */
export async function cancelTimersOf(ctx: Ctx, ruleId: string) {
  await ctx.database.write((tx) =>
    tx
      .update(automationTimers)
      .set({ status: "cancelled" })
      .where(
        and(
          eq(automationTimers.ruleId, ruleId),
          eq(automationTimers.status, "pending"),
          ne(automationTimers.kind, "webhook"),
        ),
      ),
  );
}

/** The events table keeps `days` of history, and never an event the engine has not read yet. */
export async function pruneEvents(ctx: Ctx, days: number) {
  const cursor = await ctx.db.select().from(eventCursors).where(eq(eventCursors.name, CURSOR)).get();
  const before = ctx.clock.now() - days * 86_400_000;
  const upTo = cursor?.seq ?? 0;
  let total = 0;
  for (;;) {
    const n = await ctx.database.write(
      (tx) =>
        tx.run(
          sql`DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE at < ${before} AND seq <= ${upTo} ORDER BY seq LIMIT 5000)`,
        ).changes,
    );
    total += Number(n ?? 0);
    if (!n) return total;
  }
}
