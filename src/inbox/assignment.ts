// Team operations (manual 2.13, 6.4): who is online, how many conversations each person may hold, and how a
// department's waiting conversations reach its people (round robin or least busy, sticky to the contact's last
// person, reassigned when someone goes offline or does not answer). Every assignment is made inside the single
// writer's transaction, from the loads it reads there: nothing is assigned twice or over capacity, however many
// conversations arrive at once. The queue is first come, first served.
import { z } from "zod";
import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lte, ne, or, sql } from "drizzle-orm";
import { assigneeLoads, conversations, contacts, type QueueNotice } from "./schema.ts";
import { agents } from "../agents/schema.ts";
import { businessLocale } from "../setup/service.ts";
import { createTicketTx } from "../tickets/service.ts";
import { translator } from "../../ui/i18n/index.ts";
import { departments, userDepartments, users } from "../auth/schema.ts";
import { isAdmin, leadsDepartment, seesAll, type Actor, type Ctx } from "../platform/context.ts";
import { AppError, forbidden, notFound } from "../platform/errors.ts";
import type { AfterCommit, Tx } from "../platform/db.ts";
import { assignTx, cachedChannel, changeConversationTx, conversationRowTx, sendMessageTx } from "./service.ts";
import { visibleWhere } from "./visibility.ts";

/**
 * A conversation a BotBuilder flow is talking in (or has lent to an AI agent) is the bot's, not the queue's: nobody
 * is given it, and it has no place in line, until the flow hands it to people or ends (automation's flow_sessions).
 */
const notInFlow = sql`NOT EXISTS (SELECT 1 FROM flow_sessions fs WHERE fs.conversation_id = ${conversations.id} AND fs.status IN ('active', 'agent'))`;

export type Presence = "online" | "away" | "offline";
export type Availability = Presence;

// ---------------------------------------------------------------- presence

/** A person's open consoles (tabs, the installed app) and when they last did something in one. */
type Live = { tabs: number; lastActive: number; goneAt: number };
const liveByCtx = new WeakMap<Ctx, Map<string, Live>>();
const liveOf = (ctx: Ctx) => {
  let m = liveByCtx.get(ctx);
  if (!m) liveByCtx.set(ctx, (m = new Map()));
  return m;
};

/**
 * A person's presence: offline when they chose it or when every console of theirs has been closed for
 * presence_offline_seconds (a reload does not count); away when they chose it or did nothing for
 * presence_away_minutes; online otherwise. Only online people are given conversations.
 */
export function presenceOf(ctx: Ctx, userId: string, availability: Availability): Presence {
  if (availability === "offline") return "offline";
  const l = liveOf(ctx).get(userId);
  const now = ctx.clock.now();
  if (!l || (l.tabs === 0 && now - l.goneAt >= ctx.config.presence_offline_seconds * 1000)) return "offline";
  if (availability === "away" || now - l.lastActive >= ctx.config.presence_away_minutes * 60_000) return "away";
  return "online";
}

/** A presence change: assignment follows it, and open team pages refresh (the event carries only who). */
const presenceChanged = (ctx: Ctx, userId: string) => {
  ctx.events.publish({ type: "team.presence_changed", data: { userId }, at: ctx.clock.now() });
  ctx.hub.broadcast("user", "team.presence_changed", { event: "team.presence_changed", userId, team: true });
};

/** A console of this person opened (its live stream); the returned function closes it. */
export function connectConsole(ctx: Ctx, userId: string) {
  const m = liveOf(ctx);
  const now = ctx.clock.now();
  const l = m.get(userId) ?? { tabs: 0, lastActive: now, goneAt: now };
  const was = l.tabs;
  l.tabs++;
  l.lastActive = now;
  m.set(userId, l);
  if (!was) presenceChanged(ctx, userId);
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    l.tabs = Math.max(0, l.tabs - 1);
    if (!l.tabs) l.goneAt = ctx.clock.now();
  };
}

/** The person did something in a console (typed, clicked): they are not idle. */
export function consoleActivity(ctx: Ctx, userId: string) {
  const l = liveOf(ctx).get(userId);
  if (!l) return;
  const idle = ctx.clock.now() - l.lastActive >= ctx.config.presence_away_minutes * 60_000;
  l.lastActive = ctx.clock.now();
  if (idle) presenceChanged(ctx, userId);
}

/** Forgets the live consoles of an app (tests, shutdown). */
export function forgetPresence(ctx: Ctx) {
  liveByCtx.delete(ctx);
}

export const availabilityInput = z.strictObject({ availability: z.enum(["online", "away", "offline"]) });

/**
 * Sets a person's availability: their own, or, for whoever leads one of their departments (a supervisor, an
 * administrator), theirs too — a supervisor sends home someone who left without signing out.
 */
export async function setAvailability(
  ctx: Ctx,
  actor: Actor,
  userId: string,
  input: z.input<typeof availabilityInput>,
) {
  const { availability } = availabilityInput.parse(input);
  const self = actor.kind === "user" && actor.id === userId;
  await ctx.database.write(async (tx, after) => {
    const u = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).get();
    if (!u) throw notFound("User");
    if (!self) {
      const depts = await tx
        .select({ d: userDepartments.departmentId })
        .from(userDepartments)
        .where(eq(userDepartments.userId, userId));
      if (!isAdmin(actor) && !depts.some((d) => leadsDepartment(actor, d.d)))
        throw forbidden("not_your_team", "Only a supervisor of their department can change someone else's presence");
    }
    await tx.update(users).set({ availability }).where(eq(users.id, userId));
    after(() => presenceChanged(ctx, userId));
  });
  return { userId, availability };
}

// ---------------------------------------------------------------- loads and picking

type Member = {
  id: string;
  name: string;
  capacity: number | null;
  channelCapacity: Record<string, number>;
  lastAssignedAt: number | null;
};
type Load = { total: number; byType: Map<string, number> };

/** The active members of a department who are online now. */
async function onlineMembers(ctx: Ctx, tx: Pick<Tx, "select">, departmentId: string): Promise<Member[]> {
  const rows = await tx
    .select({
      id: users.id,
      name: users.name,
      availability: users.availability,
      capacity: users.capacity,
      channelCapacity: users.channelCapacity,
      lastAssignedAt: userDepartments.lastAssignedAt,
    })
    .from(userDepartments)
    .innerJoin(users, eq(users.id, userDepartments.userId))
    .where(and(eq(userDepartments.departmentId, departmentId), eq(users.active, true)));
  return rows.filter((r) => presenceOf(ctx, r.id, r.availability) === "online");
}

/** The active members of a department online now (tickets are given to them too). */
export const onlineMembersOf = (ctx: Ctx, tx: Pick<Tx, "select">, departmentId: string) =>
  onlineMembers(ctx, tx, departmentId);

/**
 * Open conversations each person holds, in every department (capacity is the person's, not the department's),
 * in all and per channel type: read from the counts the conversations' triggers keep (assignee_loads).
 */
async function loadsOf(ctx: Ctx, tx: Tx, people: Member[]) {
  const loads = new Map<string, Load>(people.map((p) => [p.id, { total: 0, byType: new Map() }]));
  if (!people.length) return loads;
  const rows = await tx
    .select()
    .from(assigneeLoads)
    .where(
      inArray(
        assigneeLoads.userId,
        people.map((p) => p.id),
      ),
    );
  for (const r of rows) {
    if (!r.n) continue;
    const l = loads.get(r.userId)!;
    const type = (await cachedChannel(ctx, r.channelId))?.type ?? "?";
    l.total += r.n;
    l.byType.set(type, (l.byType.get(type) ?? 0) + r.n);
  }
  return loads;
}

const hasRoom = (m: Member, l: Load, channelType: string) =>
  (m.capacity == null || l.total < m.capacity) &&
  (m.channelCapacity[channelType] == null || (l.byType.get(channelType) ?? 0) < m.channelCapacity[channelType]!);

/** Whose turn it is: round robin gives it to whoever got one longest ago; least busy to whoever holds fewest. */
function pick(mode: "round_robin" | "least_busy", free: Member[], loads: Map<string, Load>) {
  const turn = (a: Member, b: Member) => (a.lastAssignedAt ?? 0) - (b.lastAssignedAt ?? 0) || a.id.localeCompare(b.id);
  return [...free].sort((a, b) =>
    mode === "least_busy" ? loads.get(a.id)!.total - loads.get(b.id)!.total || turn(a, b) : turn(a, b),
  )[0];
}

/** The person who last served this contact within `hours`, if any. */
async function lastServedBy(tx: Tx, contactId: string, exceptId: string, since: number) {
  const r = await tx
    .select({ a: conversations.assigneeId })
    .from(conversations)
    .where(
      and(
        eq(conversations.contactId, contactId),
        ne(conversations.id, exceptId),
        isNotNull(conversations.assigneeId),
        sql`coalesce(${conversations.resolvedAt}, ${conversations.updatedAt}) >= ${since}`,
      ),
    )
    .orderBy(desc(conversations.updatedAt))
    .limit(1)
    .get();
  return r?.a ?? null;
}

type Dept = typeof departments.$inferSelect;

/**
 * One department's turn of assignment inside the writer's transaction: its waiting conversations, oldest first,
 * each to an online member with room (the contact's last person first when sticky). Returns how many it gave.
 */
async function drainTx(ctx: Ctx, tx: Tx, after: AfterCommit, dept: Dept) {
  if (dept.assignment === "manual") return 0;
  const members = await onlineMembers(ctx, tx, dept.id);
  if (!members.length) return 0;
  const loads = await loadsOf(ctx, tx, members);
  let given = 0;
  let lastTurn = Math.max(0, ...members.map((m) => m.lastAssignedAt ?? 0));
  for (;;) {
    const waiting = await tx
      .select({ id: conversations.id, contactId: conversations.contactId, channelId: conversations.channelId })
      .from(conversations)
      .where(waitingWhere(dept.id))
      .orderBy(asc(conversations.queuedAt), asc(conversations.id))
      .limit(200);
    let round = 0;
    for (const w of waiting) {
      const type = (await cachedChannel(ctx, w.channelId))?.type ?? "?";
      const free = members.filter((m) => hasRoom(m, loads.get(m.id)!, type));
      if (!free.length) {
        if (!members.some((m) => hasRoom(m, loads.get(m.id)!, "\u0000"))) return given; // everyone is full
        continue;
      }
      let to: Member | undefined;
      if (dept.stickyHours) {
        const last = await lastServedBy(tx, w.contactId, w.id, ctx.clock.now() - dept.stickyHours * 3_600_000);
        to = free.find((m) => m.id === last);
      }
      const sticky = !!to;
      to ??= pick(dept.assignment, free, loads);
      if (!to) continue;
      const conv = conversationRowTx(tx, w.id)!;
      await assignTx(ctx, tx, after, conv, to, {
        key: sticky ? "auto_assigned_sticky" : "auto_assigned",
        params: { name: to.name, department: dept.name },
      });
      const l = loads.get(to.id)!;
      l.total++;
      l.byType.set(type, (l.byType.get(type) ?? 0) + 1);
      // turns are strictly ordered even within one millisecond
      lastTurn = Math.max(ctx.clock.now(), lastTurn + 1);
      to.lastAssignedAt = lastTurn;
      await tx
        .update(userDepartments)
        .set({ lastAssignedAt: lastTurn })
        .where(and(eq(userDepartments.userId, to.id), eq(userDepartments.departmentId, dept.id)));
      given++;
      round++;
    }
    if (waiting.length < 200 || !round) return given;
  }
}

// ---------------------------------------------------------------- the waiting line, as the customer sees it

/**
 * How long a conversation of this department took its person lately: the median, from assignment to resolution,
 * of those resolved in the last hour (null with fewer than three: no estimate rather than a made-up one).
 */
async function handlingMs(q: Pick<Tx, "select">, departmentId: string, now: number) {
  const rows = await q
    .select({ resolvedAt: conversations.resolvedAt, assignedAt: conversations.assignedAt })
    .from(conversations)
    .where(
      and(
        eq(conversations.departmentId, departmentId),
        gte(conversations.lastMessageAt, now - 86_400_000),
        eq(conversations.status, "resolved"),
        gte(conversations.resolvedAt, now - 3_600_000),
        isNotNull(conversations.assignedAt),
      ),
    )
    .limit(500);
  const took = rows
    .map((r) => r.resolvedAt! - r.assignedAt!)
    .filter((ms) => ms > 0)
    .sort((a, b) => a - b);
  return took.length >= 3 ? took[Math.floor(took.length / 2)]! : null;
}

/** A waiting customer's place: 1 is next; minutes is the estimate (null when there is none to give). */
export type QueuePlace = { position: number; minutes: number | null };

/**
 * The estimated wait for the n-th in line: each online person frees a seat about every handling time, so the
 * n-th waits about ceil(n / people) of them. Nobody online, or no recent handling time: no estimate.
 */
const estimate = (position: number, online: number, handling: number | null) =>
  online && handling ? Math.max(1, Math.round((Math.ceil(position / online) * handling) / 60_000)) : null;

const waitingWhere = (departmentId: string) =>
  and(
    eq(conversations.ownerType, "queue"),
    eq(conversations.departmentId, departmentId),
    isNull(conversations.assigneeId),
    eq(conversations.status, "open"),
    notInFlow,
  );

/** What web-chat visitors were last told of their place, by conversation (the banner changes only when it does). */
const toldByCtx = new WeakMap<Ctx, Map<string, { departmentId: string; principal: string; key: string }>>();
const toldOf = (ctx: Ctx) => {
  let m = toldByCtx.get(ctx);
  if (!m) toldByCtx.set(ctx, (m = new Map()));
  return m;
};

/** Whether a customer told by message is told again: a real change, not before ten minutes, at most four times. */
function worthTelling(prev: QueueNotice | null, place: QueuePlace, now: number) {
  if (!prev) return true;
  if (prev.count >= 4 || now - prev.at < 10 * 60_000) return false;
  if (place.position <= Math.floor(prev.position / 2)) return true;
  if (place.minutes == null || prev.minutes == null) return place.minutes !== prev.minutes;
  return Math.abs(place.minutes - prev.minutes) >= Math.max(5, prev.minutes / 2);
}

/**
 * Tells a department's waiting customers their place and estimated wait, after its turn of assignment: the web
 * chat as a live banner (gone when someone takes it), other channels by a message only when it changes
 * meaningfully (worthTelling), never a flood. Only departments that assign by themselves have a line to tell.
 */
async function tellQueueTx(ctx: Ctx, tx: Tx, after: AfterCommit, dept: Dept) {
  const told = toldOf(ctx);
  const waiting =
    dept.assignment === "manual"
      ? []
      : await tx
          .select({
            id: conversations.id,
            contactId: conversations.contactId,
            channelId: conversations.channelId,
            queueNotice: conversations.queueNotice,
          })
          .from(conversations)
          .where(waitingWhere(dept.id))
          .orderBy(asc(conversations.queuedAt), asc(conversations.id))
          .limit(500);
  const live: { principal: string; place: QueuePlace | null }[] = [];
  const still = new Set(waiting.map((w) => w.id));
  for (const [id, t] of told)
    if (t.departmentId === dept.id && !still.has(id)) {
      told.delete(id);
      live.push({ principal: t.principal, place: null });
    }
  if (waiting.length) {
    const now = ctx.clock.now();
    const online = (await onlineMembers(ctx, tx, dept.id)).length;
    const handling = await handlingMs(tx, dept.id, now);
    let locale: "es" | "en" | null = null;
    for (const [i, w] of waiting.entries()) {
      const place = { position: i + 1, minutes: estimate(i + 1, online, handling) };
      const channel = await cachedChannel(ctx, w.channelId);
      if (!channel || channel.deletedAt) continue;
      if (channel.type === "webchat") {
        const principal = `${w.channelId}:${w.contactId}`;
        const key = `${place.position}|${place.minutes}`;
        if (told.get(w.id)?.key !== key) {
          told.set(w.id, { departmentId: dept.id, principal, key });
          live.push({ principal, place });
        }
        continue;
      }
      if (!worthTelling(w.queueNotice, place, now)) continue;
      const t = translator((locale ??= await businessLocale(ctx)));
      const count = (w.queueNotice?.count ?? 0) + 1;
      const body =
        place.minutes == null
          ? t("queue.notice", { position: String(place.position) })
          : t("queue.noticeEstimate", { position: String(place.position), minutes: String(place.minutes) });
      if (!(await noticeTx(ctx, tx, after, w.id, body, `queue:${w.id}:${count}`))) continue;
      await tx
        .update(conversations)
        .set({ queueNotice: { at: now, position: place.position, minutes: place.minutes, count } })
        .where(eq(conversations.id, w.id));
    }
  }
  if (live.length)
    after(() => {
      for (const l of live)
        ctx.hub.broadcast("visitor", "queue", l.place ?? { position: null }, (p) => p === l.principal);
    });
}

/**
 * DigyBot's word to a waiting customer, sent at most once per key. A channel that refuses it (a closed reply
 * window) changes nothing (sendMessageTx checks before it writes): the queue goes on without the message.
 */
async function noticeTx(ctx: Ctx, tx: Tx, after: AfterCommit, conversationId: string, body: string, key: string) {
  try {
    await sendMessageTx(
      ctx,
      tx,
      after,
      { kind: "system", name: "DigyBot" },
      conversationId,
      { body, idempotencyKey: key },
      {
        notice: true,
      },
    );
    return true;
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    ctx.log.info("queue notice not sent", { conversationId, code: e.code });
    return false;
  }
}

/** A web-chat visitor's place in the queue now (what the widget shows when its stream opens), or null. */
export async function visitorQueuePlace(ctx: Ctx, channelId: string, contactId: string): Promise<QueuePlace | null> {
  const mine = await ctx.db
    .select({ id: conversations.id, departmentId: conversations.departmentId, queuedAt: conversations.queuedAt })
    .from(conversations)
    .where(
      and(
        eq(conversations.contactId, contactId),
        eq(conversations.channelId, channelId),
        eq(conversations.ownerType, "queue"),
        isNull(conversations.assigneeId),
        eq(conversations.status, "open"),
        notInFlow,
      ),
    )
    .get();
  if (!mine?.departmentId) return null;
  const dept = await ctx.db.select().from(departments).where(eq(departments.id, mine.departmentId)).get();
  if (!dept || dept.assignment === "manual") return null;
  const ahead = await ctx.db
    .select({ n: sql<number>`count(*)` })
    .from(conversations)
    .where(
      and(
        waitingWhere(dept.id),
        sql`(${conversations.queuedAt}, ${conversations.id}) < (${mine.queuedAt ?? 0}, ${mine.id})`,
      ),
    )
    .get();
  const position = Number(ahead?.n ?? 0) + 1;
  const now = ctx.clock.now();
  // the reader runs the same queries as the writer's transaction (only its driver's typing differs)
  const reader = ctx.db as unknown as Pick<Tx, "select">;
  const online = (await onlineMembers(ctx, reader, dept.id)).length;
  return { position, minutes: estimate(position, online, await handlingMs(reader, dept.id, now)) };
}

/**
 * A department's overflow rule: conversations waiting longer than its minutes go (once each) to another
 * department, to an AI agent (who answers them now), or get a call-back ticket and a message saying so.
 */
async function overflowTx(ctx: Ctx, tx: Tx, after: AfterCommit, dept: Dept) {
  if (!dept.overflowAfterMinutes || !dept.overflowAction || dept.assignment === "manual") return;
  const now = ctx.clock.now();
  const late = await tx
    .select({ id: conversations.id })
    .from(conversations)
    .where(
      and(
        waitingWhere(dept.id),
        lte(conversations.queuedAt, now - dept.overflowAfterMinutes * 60_000),
        isNull(conversations.overflowedAt),
      ),
    )
    .orderBy(asc(conversations.queuedAt))
    .limit(200);
  if (!late.length) return;
  const minutes = String(dept.overflowAfterMinutes);
  if (dept.overflowAction === "department") {
    const to = await tx
      .select()
      .from(departments)
      .where(eq(departments.id, dept.overflowTargetId ?? ""))
      .get();
    if (!to) return void ctx.log.warn("overflow department is gone", { departmentId: dept.id });
    for (const l of late)
      await changeConversationTx(
        ctx,
        tx,
        after,
        conversationRowTx(tx, l.id)!,
        { departmentId: to.id, overflowedAt: now },
        { key: "overflow_department", params: { name: to.name, minutes } },
      );
  } else if (dept.overflowAction === "agent") {
    const a = await tx
      .select()
      .from(agents)
      .where(eq(agents.id, dept.overflowTargetId ?? ""))
      .get();
    if (!a?.active) return void ctx.log.warn("overflow AI agent is gone or paused", { departmentId: dept.id });
    for (const l of late)
      await changeConversationTx(
        ctx,
        tx,
        after,
        conversationRowTx(tx, l.id)!,
        { ownerType: "bot", agentId: a.id, assigneeId: null, overflowedAt: now },
        { key: "overflow_agent", params: { name: a.name, minutes } },
      );
  } else {
    let locale: "es" | "en" | null = null;
    for (const l of late) {
      const conv = conversationRowTx(tx, l.id)!;
      const ticket = await createTicketTx(
        ctx,
        tx,
        { kind: "system" },
        {
          subject: translator((locale ??= await businessLocale(ctx)))("queue.callbackSubject", { minutes }),
          conversationId: conv.id,
        },
      );
      await changeConversationTx(
        ctx,
        tx,
        after,
        conv,
        { overflowedAt: now },
        { key: "overflow_ticket", params: { number: String(ticket.number), minutes } },
      );
      await noticeTx(
        ctx,
        tx,
        after,
        conv.id,
        translator(locale)("queue.callback", { number: String(ticket.number) }),
        `overflow:${conv.id}`,
      );
    }
  }
}

// ---------------------------------------------------------------- when assignment runs

type Runner = { pending: Set<string>; running: Promise<void> | null; all: boolean };
const runners = new WeakMap<Ctx, Runner>();
const runnerOf = (ctx: Ctx) => {
  let r = runners.get(ctx);
  if (!r) runners.set(ctx, (r = { pending: new Set(), running: null, all: false }));
  return r;
};

/**
 * Asks for a department's (or every department's) turn of assignment soon. Requests that come while one runs
 * are gathered into the next: a burst of 200 conversations is a handful of transactions, not 200.
 */
export function requestAssignment(ctx: Ctx, departmentId: string | null) {
  const r = runnerOf(ctx);
  if (departmentId) r.pending.add(departmentId);
  else r.all = true;
  if (!r.running) r.running = run(ctx, r);
}

async function run(ctx: Ctx, r: Runner) {
  await Promise.resolve();
  try {
    while (r.pending.size || r.all) {
      const ids = [...r.pending];
      const all = r.all;
      r.pending.clear();
      r.all = false;
      await ctx.database.write(async (tx, after) => {
        const depts = await tx
          .select()
          .from(departments)
          .where(and(ne(departments.assignment, "manual"), all ? undefined : inArray(departments.id, ids)));
        for (const d of depts) {
          await drainTx(ctx, tx, after, d);
          await tellQueueTx(ctx, tx, after, d);
        }
      });
    }
  } catch (e) {
    ctx.log.error("assignment failed", { error: String(e) });
  } finally {
    r.running = null;
  }
}

/** Resolves once no assignment is pending or running (tests, the benchmark). */
export async function assignmentSettled(ctx: Ctx) {
  const r = runnerOf(ctx);
  while (r.running) await r.running;
}

/**
 * The periodic check: conversations of people who went offline, and conversations their person has not answered
 * within the department's minutes, go to someone else, each with an activity line; then every department's queue
 * gets its turn (someone's idle time ran out, a capacity freed without an event).
 */
export async function sweepAssignments(ctx: Ctx) {
  const now = ctx.clock.now();
  await ctx.database.write(async (tx, after) => {
    const depts = await tx.select().from(departments).where(ne(departments.assignment, "manual"));
    for (const d of depts) {
      const held = await tx
        .select({
          id: conversations.id,
          assigneeId: conversations.assigneeId,
          name: users.name,
          availability: users.availability,
          assignedAt: conversations.assignedAt,
          agentRepliedAt: conversations.agentRepliedAt,
          lastInboundAt: conversations.lastInboundAt,
        })
        .from(conversations)
        .innerJoin(users, eq(users.id, conversations.assigneeId))
        .where(
          and(
            eq(conversations.status, "open"),
            eq(conversations.ownerType, "agent"),
            eq(conversations.departmentId, d.id),
            or(
              d.reassignOnOffline ? sql`1` : sql`0`,
              d.reassignAfterMinutes
                ? and(
                    lte(conversations.assignedAt, now - d.reassignAfterMinutes * 60_000),
                    sql`coalesce(${conversations.agentRepliedAt}, 0) < ${conversations.assignedAt}`,
                    sql`coalesce(${conversations.lastInboundAt}, 0) > coalesce(${conversations.agentRepliedAt}, 0)`,
                  )
                : sql`0`,
            ),
          ),
        );
      const members = await onlineMembers(ctx, tx, d.id);
      const loads = await loadsOf(ctx, tx, members);
      for (const h of held) {
        const offline = presenceOf(ctx, h.assigneeId!, h.availability) === "offline";
        const unanswered =
          !!d.reassignAfterMinutes &&
          (h.assignedAt ?? now) <= now - d.reassignAfterMinutes * 60_000 &&
          (h.agentRepliedAt ?? 0) < (h.assignedAt ?? 0) &&
          (h.lastInboundAt ?? 0) > (h.agentRepliedAt ?? 0);
        if (!(offline && d.reassignOnOffline) && !unanswered) continue;
        const conv = conversationRowTx(tx, h.id)!;
        const type = (await cachedChannel(ctx, conv.channelId))?.type ?? "?";
        const free = members.filter((m) => m.id !== h.assigneeId && hasRoom(m, loads.get(m.id)!, type));
        const to = pick(d.assignment as "round_robin" | "least_busy", free, loads);
        // unanswered, with nobody else free: it stays (moving it to the queue would only hide it)
        if (!to && !offline) continue;
        const key = offline ? "reassigned_offline" : "reassigned_unanswered";
        const params = { from: h.name, name: to?.name ?? "", minutes: String(d.reassignAfterMinutes ?? "") };
        await assignTx(ctx, tx, after, conv, to ?? null, { key: to ? key : `${key}_queue`, params });
        if (to) {
          const l = loads.get(to.id)!;
          l.total++;
          l.byType.set(type, (l.byType.get(type) ?? 0) + 1);
        }
      }
      await overflowTx(ctx, tx, after, d);
      await drainTx(ctx, tx, after, d);
      await tellQueueTx(ctx, tx, after, d);
    }
  });
}

/** Assignment follows the inbox: a conversation waiting, a capacity freed, a person coming online, a rule changed. */
export function wireAssignment(ctx: Ctx) {
  const offs = [
    ctx.events.on("*", (e) => {
      if (e.type !== "inbox.conversation_created" && e.type !== "inbox.conversation_updated") return;
      const d = e.data as {
        departmentId?: string | null;
        assigneeId?: string | null;
        ownerType?: string;
        previous?: { departmentId?: string | null; assigneeId?: string | null };
        changes?: Record<string, unknown>;
      };
      // what can give someone a conversation: one entering a queue, a seat freed, a department changed. A
      // conversation taken from the queue by a person (assignment's own writes among them) only fills a seat.
      const ch = d.changes ?? {};
      const matters =
        e.type === "inbox.conversation_created"
          ? !d.assigneeId && d.ownerType !== "bot"
          : ch.ownerType === "queue" ||
            ch.status !== undefined ||
            ch.departmentId !== undefined ||
            (ch.assigneeId !== undefined && !!d.previous?.assigneeId);
      if (!matters) return;
      if (d.departmentId) requestAssignment(ctx, d.departmentId);
      if (d.previous?.departmentId && d.previous.departmentId !== d.departmentId)
        requestAssignment(ctx, d.previous.departmentId);
    }),
    ctx.events.on("team.presence_changed", () => requestAssignment(ctx, null)),
    ctx.events.on("auth.user_updated", () => requestAssignment(ctx, null)),
    ctx.events.on("auth.department_updated", (e) => requestAssignment(ctx, String(e.data.departmentId))),
  ];
  return () => {
    for (const off of offs) off();
  };
}

// ---------------------------------------------------------------- what the team sees

/**
 * The people of the departments the actor may see (their presence, load and capacity) and each department's queue
 * with every waiting conversation's place and wait. Agents see their own departments; supervisors and
 * administrators also who they may act on (`leads`).
 */
export async function teamOverview(ctx: Ctx, actor: Actor) {
  const all = seesAll(actor);
  const depts = (await ctx.db.select().from(departments).orderBy(departments.name)).filter(
    (d) => all || (actor.kind === "user" && actor.departmentIds.includes(d.id)),
  );
  const ids = depts.map((d) => d.id);
  const links = ids.length
    ? await ctx.db
        .select({
          departmentId: userDepartments.departmentId,
          id: users.id,
          name: users.name,
          role: users.role,
          availability: users.availability,
          capacity: users.capacity,
          active: users.active,
        })
        .from(userDepartments)
        .innerJoin(users, eq(users.id, userDepartments.userId))
        .where(inArray(userDepartments.departmentId, ids))
        .orderBy(users.name)
    : [];
  const people = [...new Map(links.filter((l) => l.active).map((l) => [l.id, l])).values()];
  const load = people.length
    ? await ctx.db
        .select({ a: assigneeLoads.userId, n: sql<number>`sum(${assigneeLoads.n})` })
        .from(assigneeLoads)
        .where(
          inArray(
            assigneeLoads.userId,
            people.map((p) => p.id),
          ),
        )
        .groupBy(assigneeLoads.userId)
    : [];
  const queue = ids.length
    ? await ctx.db
        .select({
          id: conversations.id,
          departmentId: conversations.departmentId,
          queuedAt: conversations.queuedAt,
          preview: conversations.lastMessagePreview,
          contactName: contacts.name,
          channelId: conversations.channelId,
        })
        .from(conversations)
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(
          and(
            eq(conversations.ownerType, "queue"),
            inArray(conversations.departmentId, ids),
            isNull(conversations.assigneeId),
            eq(conversations.status, "open"),
            notInFlow,
            visibleWhere(actor),
          ),
        )
        .orderBy(asc(conversations.queuedAt), asc(conversations.id))
        .limit(500)
    : [];
  const now = ctx.clock.now();
  return {
    departments: depts.map((d) => ({
      id: d.id,
      name: d.name,
      assignment: d.assignment,
      leads: leadsDepartment(actor, d.id),
      people: links
        .filter((l) => l.departmentId === d.id && l.active)
        .map((l) => ({
          id: l.id,
          name: l.name,
          role: l.role,
          availability: l.availability,
          presence: presenceOf(ctx, l.id, l.availability),
          capacity: l.capacity,
          open: Number(load.find((x) => x.a === l.id)?.n ?? 0),
        })),
      queue: queue
        .filter((q) => q.departmentId === d.id)
        .map((q, i) => ({
          conversationId: q.id,
          position: i + 1,
          contactName: q.contactName,
          preview: q.preview,
          channelId: q.channelId,
          waitingMs: Math.max(0, now - (q.queuedAt ?? now)),
        })),
    })),
  };
}

/** Whether this person may be given one more conversation of this channel now (online, with room). */
export async function canTakeMore(ctx: Ctx, tx: Tx, userId: string, channelType: string) {
  const u = await tx
    .select({
      id: users.id,
      name: users.name,
      availability: users.availability,
      capacity: users.capacity,
      channelCapacity: users.channelCapacity,
    })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  if (!u || presenceOf(ctx, u.id, u.availability) !== "online") return false;
  const m = { ...u, lastAssignedAt: null };
  const l = (await loadsOf(ctx, tx, [m])).get(u.id)!;
  return hasRoom(m, l, channelType);
}
