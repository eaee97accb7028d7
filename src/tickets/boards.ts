// Tracking boards (manual 2.11, 6.19): Kanban boards over conversations or tickets. A column is a status of its
// items (a card moved there changes the item's status, through its own domain's rules and history) or a stage of
// the board's own; WIP limits refuse a move into a full column; filters are saved with the board; each move is an
// event (boards.card_moved) that automations and other open consoles follow. Cards are what the person may see.
import { z } from "zod";
import { and, asc, avg, count, desc, eq, gte, inArray, isNotNull, notInArray, sql, type SQL } from "drizzle-orm";
import { boards, boardCards, tickets, TICKET_STATUSES, type BoardColumn } from "./schema.ts";
import { channels, contacts, conversations, conversationTags, tags } from "../inbox/schema.ts";
import { users } from "../auth/schema.ts";
import { csatSurveys } from "../automation/schema.ts";
import { newId } from "../platform/ids.ts";
import { badRequest, conflict, forbidden, notFound } from "../platform/errors.ts";
import { isAdmin, leadsDepartment, seesAll, type Actor, type Ctx } from "../platform/context.ts";
import { contactVisibleWhere, visibleWhere } from "../inbox/visibility.ts";
import { orders, ORDER_STATUSES } from "../commerce/schema.ts";
import { idRef } from "../platform/validation.ts";
import { ticketVisibleWhere, updateTicket, nextDue } from "./service.ts";
import { updateConversation } from "../inbox/service.ts";
import { actorRef } from "../inbox/contacts.ts";

export type Board = typeof boards.$inferSelect;
export const CONVERSATION_STATUSES = ["open", "pending", "snoozed", "resolved"] as const;
/** Finished items stay on a board this long (a board is today's work, not the archive). */
const DONE_WINDOW_MS = 30 * 86_400_000;
export const PAGE = 30;

const columnInput = z.strictObject({
  id: z.string().trim().min(1).max(40).optional(),
  name: z.string().trim().min(1).max(40),
  status: z.string().max(20).nullable().optional(),
  wip: z.number().int().min(1).max(10_000).nullable().optional(),
});
const filterInput = z.strictObject({
  priority: z.string().max(20).optional(),
  assignee: z.string().max(64).optional(),
  tagId: z.string().max(64).optional(),
  channelId: z.string().max(64).optional(),
  departmentId: z.string().max(64).optional(),
});

export const boardInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  kind: z.enum(["conversations", "tickets", "orders"]),
  departmentId: idRef.nullable().default(null),
  /** none: the kind's usual columns (its statuses) */
  columns: z.array(columnInput).min(1).max(12).optional(),
  filters: filterInput.default({}),
});
export const boardPatch = z.strictObject({
  name: z.string().trim().min(1).max(80).optional(),
  columns: z.array(columnInput).min(1).max(12).optional(),
  filters: filterInput.optional(),
});

const statusesOf = (kind: Board["kind"]): readonly string[] =>
  kind === "conversations" ? CONVERSATION_STATUSES : kind === "orders" ? ORDER_STATUSES : TICKET_STATUSES;
const DEFAULT_COLUMNS: Record<Board["kind"], string[]> = {
  conversations: ["open", "pending", "resolved"],
  tickets: ["new", "open", "pending", "on_hold", "solved"],
  // "delivered" also holds the orders picked up at the store (the end of the pickup road)
  orders: ["new", "confirmed", "preparing", "ready", "on_the_way", "delivered"],
};
/** A column's name for a status, in the person's language. */
export function statusLabel(t: (k: string) => string, kind: Board["kind"], s: string) {
  if (kind === "orders") {
    const w = t(`orders.status.${s}`);
    return w.charAt(0).toUpperCase() + w.slice(1);
  }
  return t(kind === "tickets" ? `tickets.status.${s}` : `status.${s}`);
}

/** Columns checked: names, unique ids, statuses the kind has and each at most once. */
function checkColumns(kind: Board["kind"], cols: z.output<typeof columnInput>[]): BoardColumn[] {
  const seen = new Set<string>();
  const ids = new Set<string>();
  return cols.map((c, i) => {
    if (c.status && !statusesOf(kind).includes(c.status))
      throw badRequest("bad_column_status", `Column ${i + 1}: ${c.status} is not a status of ${kind}`, {
        column: i + 1,
        status: c.status,
      });
    if (c.status && seen.has(c.status))
      throw badRequest("duplicate_column_status", `Two columns show the status ${c.status}`, {
        column: i + 1,
        status: c.status,
      });
    if (c.status) seen.add(c.status);
    let id = c.id ?? `c${i + 1}-${newId().slice(-6)}`;
    if (ids.has(id)) id = `${id}-${i}`;
    ids.add(id);
    return { id, name: c.name, status: c.status ?? null, wip: c.wip ?? null };
  });
}

/** Who may make, change and delete a board: administrators; a supervisor, for a board of their department. */
function assertRunsBoard(actor: Actor, departmentId: string | null) {
  if (isAdmin(actor)) return;
  if (departmentId && leadsDepartment(actor, departmentId) && actor.kind === "user") return;
  throw forbidden("not_your_team", "Only an administrator, or a supervisor for their department, can change a board");
}

export async function createBoard(ctx: Ctx, actor: Actor, input: z.input<typeof boardInput>) {
  const b = boardInput.parse(input);
  assertRunsBoard(actor, b.departmentId);
  const t = (await import("../../ui/i18n/index.ts")).translator(actor.kind === "user" ? actor.locale : "es");
  const columns = checkColumns(
    b.kind,
    b.columns ?? DEFAULT_COLUMNS[b.kind].map((s) => ({ name: statusLabel(t as never, b.kind, s), status: s })),
  );
  const now = ctx.clock.now();
  const row: Board = {
    id: newId(now),
    name: b.name,
    kind: b.kind,
    departmentId: b.departmentId,
    columns,
    filters: b.filters,
    createdBy: "id" in actor ? (actor.id ?? null) : null,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.database.write((tx) => tx.insert(boards).values(row));
  return row;
}

/** A board the actor may open: everyone's, or their department's. */
export async function getBoard(ctx: Ctx, actor: Actor, id: string) {
  const b = await ctx.db.select().from(boards).where(eq(boards.id, id)).get();
  if (!b || !boardVisible(actor, b)) throw notFound("Board");
  return b;
}
const boardVisible = (actor: Actor, b: Pick<Board, "departmentId">) =>
  seesAll(actor) || !b.departmentId || (actor.kind === "user" && actor.departmentIds.includes(b.departmentId));

export async function listBoards(ctx: Ctx, actor: Actor) {
  return (await ctx.db.select().from(boards).orderBy(asc(boards.name))).filter((b) => boardVisible(actor, b));
}

export async function updateBoard(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof boardPatch>) {
  const p = boardPatch.parse(input);
  const b = await getBoard(ctx, actor, id);
  assertRunsBoard(actor, b.departmentId);
  const next = {
    ...(p.name ? { name: p.name } : {}),
    ...(p.columns ? { columns: checkColumns(b.kind, p.columns) } : {}),
    ...(p.filters ? { filters: p.filters } : {}),
    updatedAt: ctx.clock.now(),
  };
  await ctx.database.write(async (tx) => {
    await tx.update(boards).set(next).where(eq(boards.id, id));
    // cards placed in a column that is gone go back to where their status puts them
    if (next.columns)
      await tx.delete(boardCards).where(
        and(
          eq(boardCards.boardId, id),
          notInArray(
            boardCards.columnId,
            next.columns.map((c) => c.id),
          ),
        ),
      );
  });
  return { ...b, ...next };
}

export async function deleteBoard(ctx: Ctx, actor: Actor, id: string) {
  const b = await getBoard(ctx, actor, id);
  assertRunsBoard(actor, b.departmentId);
  await ctx.database.write((tx) => tx.delete(boards).where(eq(boards.id, id)));
}

// ---------------------------------------------------------------- reading a board

/** The columns of the item table a board reads, by kind. */
function source(kind: Board["kind"]) {
  if (kind === "orders")
    return {
      id: orders.id,
      status: orders.status,
      createdAt: orders.createdAt,
      updatedAt: orders.updatedAt,
      activity: orders.updatedAt,
      // orders have no assignee, department or priority of their own
      assignee: sql<string | null>`NULL`,
      department: sql<string | null>`NULL`,
      priority: sql<string>`'none'`,
      done: ["delivered", "picked_up", "cancelled", "refunded"],
      doneAt: orders.closedAt,
    };
  return kind === "conversations"
    ? {
        id: conversations.id,
        status: conversations.status,
        createdAt: conversations.createdAt,
        updatedAt: conversations.updatedAt,
        activity: conversations.lastMessageAt,
        assignee: conversations.assigneeId,
        department: conversations.departmentId,
        priority: conversations.priority,
        done: ["resolved"],
        doneAt: conversations.resolvedAt,
      }
    : {
        id: tickets.id,
        status: tickets.status,
        createdAt: tickets.createdAt,
        updatedAt: tickets.updatedAt,
        activity: tickets.updatedAt,
        assignee: tickets.assigneeId,
        department: tickets.departmentId,
        priority: tickets.priority,
        done: ["solved", "closed"],
        doneAt: tickets.solvedAt,
      };
}

const tableOf = (kind: Board["kind"]) =>
  kind === "conversations" ? conversations : kind === "orders" ? orders : tickets;
/** What a person may see of a kind: conversations and tickets by their own rules, orders by their contact's. */
const visibleOf = (actor: Actor, kind: Board["kind"]) =>
  kind === "conversations"
    ? visibleWhere(actor)
    : kind === "orders"
      ? contactVisibleWhere(actor, orders.contactId)
      : ticketVisibleWhere(actor);

export const boardFilters = z.object({
  priority: z.string().max(20).optional(),
  /** "me", "none" or a person's id */
  assignee: z.string().max(64).optional(),
  tagId: z.string().max(64).optional(),
  channelId: z.string().max(64).optional(),
  departmentId: z.string().max(64).optional(),
});

/** What every column of a board shares: visibility, the board's department, its saved and asked filters. */
function baseWhere(ctx: Ctx, actor: Actor, b: Board, f: z.output<typeof boardFilters>): (SQL | undefined)[] {
  const s = source(b.kind);
  const conds: (SQL | undefined)[] = [visibleOf(actor, b.kind)];
  const dept = f.departmentId || b.departmentId;
  if (b.kind === "orders") {
    // an order's channel, tags and department are its conversation's
    if (dept || f.channelId || f.tagId)
      conds.push(
        sql`${orders.conversationId} IN (SELECT ${conversations.id} FROM ${conversations} WHERE 1 ${dept ? sql`AND ${conversations.departmentId} = ${dept}` : sql``} ${f.channelId ? sql`AND ${conversations.channelId} = ${f.channelId}` : sql``} ${f.tagId ? sql`AND ${conversations.id} IN (SELECT ${conversationTags.conversationId} FROM ${conversationTags} WHERE ${conversationTags.tagId} = ${f.tagId})` : sql``})`,
      );
  } else {
    if (dept) conds.push(sql`${s.department} = ${dept}`);
    if (f.priority) conds.push(sql`${s.priority} = ${f.priority}`);
    if (f.assignee === "none") conds.push(sql`${s.assignee} IS NULL`);
    else if (f.assignee)
      conds.push(sql`${s.assignee} = ${f.assignee === "me" && actor.kind === "user" ? actor.id : f.assignee}`);
  }
  if (b.kind === "conversations") {
    if (f.channelId) conds.push(eq(conversations.channelId, f.channelId));
    if (f.tagId)
      conds.push(
        sql`${conversations.id} IN (SELECT ${conversationTags.conversationId} FROM ${conversationTags} WHERE ${conversationTags.tagId} = ${f.tagId})`,
      );
  } else if (b.kind === "tickets" && (f.channelId || f.tagId)) {
    // a ticket's channel and tags are its conversation's
    conds.push(
      sql`${tickets.conversationId} IN (SELECT ${conversations.id} FROM ${conversations} WHERE 1 ${f.channelId ? sql`AND ${conversations.channelId} = ${f.channelId}` : sql``} ${f.tagId ? sql`AND ${conversations.id} IN (SELECT ${conversationTags.conversationId} FROM ${conversationTags} WHERE ${conversationTags.tagId} = ${f.tagId})` : sql``})`,
    );
  }
  // finished items only while recent
  conds.push(
    sql`(${s.status} NOT IN (${sql.join(
      s.done.map((d) => sql`${d}`),
      sql`, `,
    )}) OR ${s.updatedAt} >= ${ctx.clock.now() - DONE_WINDOW_MS})`,
  );
  return conds;
}

/** Which items a column holds (see boardCards: a card put in a stage stays there while its status is the same). */
function columnWhere(b: Board, col: BoardColumn): SQL {
  const s = source(b.kind);
  const stages = b.columns.filter((c) => !c.status).map((c) => c.id);
  const pinnedTo = (ids: string[]) =>
    ids.length
      ? sql`EXISTS (SELECT 1 FROM ${boardCards} WHERE ${boardCards.boardId} = ${b.id} AND ${boardCards.itemId} = ${s.id} AND ${boardCards.columnId} IN (${sql.join(
          ids.map((i) => sql`${i}`),
          sql`, `,
        )}) AND ${boardCards.statusAtMove} = ${s.status})`
      : sql`0`;
  if (col.status) {
    const st =
      b.kind === "orders" && col.status === "delivered" && !b.columns.some((c) => c.status === "picked_up")
        ? sql`${s.status} IN ('delivered', 'picked_up')`
        : sql`${s.status} = ${col.status}`;
    return sql`(${st} AND NOT ${pinnedTo(stages)})`;
  }
  const first = stages[0] === col.id;
  const mapped = b.columns.filter((c) => c.status).map((c) => c.status!);
  // the first stage also holds whatever no column takes (a status the board does not show)
  const unplaced = first
    ? mapped.length
      ? sql` OR (${s.status} NOT IN (${sql.join(
          mapped.map((m) => sql`${m}`),
          sql`, `,
        )}) AND NOT ${pinnedTo(stages)})`
      : sql` OR NOT ${pinnedTo(stages)}`
    : sql``;
  return sql`(${pinnedTo([col.id])}${unplaced})`;
}

export type Card = {
  id: string;
  kind: Board["kind"];
  title: string;
  contactName: string | null;
  channelName: string | null;
  assigneeName: string | null;
  priority: string;
  status: string;
  tags: { name: string; color: string }[];
  createdAt: number;
  slaDueAt: number | null;
  slaBreached: boolean;
  conversationId: string | null;
  /** an order's card: pickup or delivery, paid or not, how many items */
  order?: { fulfilment: string; paymentStatus: string; items: number };
};

/** One page of a column's cards: placed cards first in their order, then by last activity. */
async function columnCards(
  ctx: Ctx,
  actor: Actor,
  b: Board,
  col: BoardColumn,
  f: z.output<typeof boardFilters>,
  before = 0,
) {
  const s = source(b.kind);
  const placed = sql`(SELECT ${boardCards.position} FROM ${boardCards} WHERE ${boardCards.boardId} = ${b.id} AND ${boardCards.itemId} = ${s.id} AND ${boardCards.columnId} = ${col.id})`;
  const where = and(...baseWhere(ctx, actor, b, f), columnWhere(b, col));
  const cards: Card[] = [];
  if (b.kind === "conversations") {
    const rows = await ctx.db
      .select({
        c: conversations,
        contactName: contacts.name,
        channelName: channels.name,
        assigneeName: users.name,
        pos: sql<number | null>`${placed}`,
      })
      .from(conversations)
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .leftJoin(channels, eq(channels.id, conversations.channelId))
      .leftJoin(users, eq(users.id, conversations.assigneeId))
      .where(where)
      .orderBy(sql`${placed} IS NULL`, sql`${placed}`, desc(conversations.lastMessageAt), desc(conversations.id))
      .limit(PAGE)
      .offset(before);
    const tagRows = rows.length
      ? await ctx.db
          .select({ id: conversationTags.conversationId, name: tags.name, color: tags.color })
          .from(conversationTags)
          .innerJoin(tags, eq(tags.id, conversationTags.tagId))
          .where(
            inArray(
              conversationTags.conversationId,
              rows.map((r) => r.c.id),
            ),
          )
      : [];
    for (const r of rows)
      cards.push({
        id: r.c.id,
        kind: b.kind,
        title: r.c.lastMessagePreview,
        contactName: r.contactName,
        channelName: r.channelName,
        assigneeName: r.assigneeName,
        priority: r.c.priority,
        status: r.c.status,
        tags: tagRows.filter((t) => t.id === r.c.id).map((t) => ({ name: t.name, color: t.color })),
        createdAt: r.c.createdAt,
        slaDueAt: null,
        slaBreached: false,
        conversationId: r.c.id,
      });
  } else if (b.kind === "orders") {
    const rows = await ctx.db
      .select({ o: orders, contactName: contacts.name, channelName: channels.name })
      .from(orders)
      .leftJoin(contacts, eq(contacts.id, orders.contactId))
      .leftJoin(conversations, eq(conversations.id, orders.conversationId))
      .leftJoin(channels, eq(channels.id, conversations.channelId))
      .where(where)
      .orderBy(sql`${placed} IS NULL`, sql`${placed}`, asc(orders.createdAt), asc(orders.id))
      .limit(PAGE)
      .offset(before);
    const { formatMoney } = await import("../commerce/service.ts");
    const locale = actor.kind === "user" ? actor.locale : "es";
    for (const r of rows)
      cards.push({
        id: r.o.id,
        kind: b.kind,
        title: `#${r.o.number} · ${formatMoney(r.o.total, r.o.currency, locale)}`,
        contactName: r.contactName,
        channelName: r.channelName,
        assigneeName: null,
        priority: "none",
        status: r.o.status,
        tags: [],
        createdAt: r.o.createdAt,
        slaDueAt: null,
        slaBreached: false,
        conversationId: r.o.conversationId,
        order: {
          fulfilment: r.o.fulfilment,
          paymentStatus: r.o.paymentStatus,
          items: r.o.items.reduce((n, i) => n + i.quantity, 0),
        },
      });
  } else {
    const rows = await ctx.db
      .select({ t: tickets, contactName: contacts.name, assigneeName: users.name, channelName: channels.name })
      .from(tickets)
      .leftJoin(contacts, eq(contacts.id, tickets.contactId))
      .leftJoin(users, eq(users.id, tickets.assigneeId))
      .leftJoin(conversations, eq(conversations.id, tickets.conversationId))
      .leftJoin(channels, eq(channels.id, conversations.channelId))
      .where(where)
      .orderBy(sql`${placed} IS NULL`, sql`${placed}`, desc(tickets.updatedAt), desc(tickets.id))
      .limit(PAGE)
      .offset(before);
    for (const r of rows)
      cards.push({
        id: r.t.id,
        kind: b.kind,
        title: `#${r.t.number} ${r.t.subject}`,
        contactName: r.contactName,
        channelName: r.channelName,
        assigneeName: r.assigneeName,
        priority: r.t.priority,
        status: r.t.status,
        tags: [],
        createdAt: r.t.createdAt,
        slaDueAt: nextDue(r.t),
        slaBreached: r.t.slaBreached.length > 0,
        conversationId: r.t.conversationId,
      });
  }
  return cards;
}

/** A column's count and average age, over all its cards (not just the first page). */
async function columnStats(ctx: Ctx, actor: Actor, b: Board, col: BoardColumn, f: z.output<typeof boardFilters>) {
  const s = source(b.kind);
  const now = ctx.clock.now();
  const table = tableOf(b.kind);
  const r = await ctx.db
    .select({ n: count(), age: avg(sql`${now} - ${s.createdAt}`) })
    .from(table)
    .where(and(...baseWhere(ctx, actor, b, f), columnWhere(b, col)))
    .get();
  return { count: Number(r?.n ?? 0), avgAgeMs: r?.age == null ? null : Math.round(Number(r.age)) };
}

/**
 * A board as its page shows it: each column with its first page of cards, count, average age and WIP limit; and
 * the board's figures: open items per person, average resolution time (the last 7 days), CSAT (the last 30).
 */
export async function readBoard(ctx: Ctx, actor: Actor, id: string, asked: z.input<typeof boardFilters> = {}) {
  const b = await getBoard(ctx, actor, id);
  const f = boardFilters.parse({ ...b.filters, ...Object.fromEntries(Object.entries(asked).filter(([, v]) => v)) });
  const columns = await Promise.all(
    b.columns.map(async (col) => ({
      ...col,
      cards: await columnCards(ctx, actor, b, col, f),
      ...(await columnStats(ctx, actor, b, col, f)),
    })),
  );
  const s = source(b.kind);
  const table = tableOf(b.kind);
  const now = ctx.clock.now();
  const base = baseWhere(ctx, actor, b, f);
  const load = await ctx.db
    .select({ id: s.assignee, name: users.name, n: count() })
    .from(table)
    .innerJoin(users, eq(users.id, s.assignee))
    .where(and(...base, notInArray(s.status, s.done as never[])))
    .groupBy(s.assignee, users.name)
    .orderBy(desc(count()));
  const resolution = await ctx.db
    .select({ ms: avg(sql`${s.doneAt} - ${s.createdAt}`) })
    .from(table)
    .where(and(...base, isNotNull(s.doneAt), gte(s.doneAt, now - 7 * 86_400_000)))
    .get();
  const conversationIds =
    b.kind === "conversations"
      ? sql`SELECT ${conversations.id} FROM ${conversations} WHERE ${and(...base)}`
      : b.kind === "orders"
        ? sql`SELECT ${orders.conversationId} FROM ${orders} WHERE ${and(...base)}`
        : sql`SELECT ${tickets.conversationId} FROM ${tickets} WHERE ${and(...base)}`;
  const csat = await ctx.db
    .select({ score: avg(csatSurveys.score), n: count() })
    .from(csatSurveys)
    .where(
      and(
        isNotNull(csatSurveys.score),
        gte(csatSurveys.ratedAt, now - 30 * 86_400_000),
        sql`${csatSurveys.conversationId} IN (${conversationIds})`,
      ),
    )
    .get();
  return {
    board: b,
    filters: f,
    columns,
    kpis: {
      load: load.map((l) => ({ id: l.id!, name: l.name, open: Number(l.n) })),
      avgResolutionMs: resolution?.ms == null ? null : Math.round(Number(resolution.ms)),
      csat: csat?.n ? { average: Math.round(Number(csat.score) * 10) / 10, answers: Number(csat.n) } : null,
    },
  };
}

/** More cards of one column, after the first `offset` (the board's saved filters, and those asked). */
export async function moreCards(
  ctx: Ctx,
  actor: Actor,
  id: string,
  columnId: string,
  offset: number,
  asked: z.input<typeof boardFilters> = {},
) {
  const b = await getBoard(ctx, actor, id);
  const col = b.columns.find((c) => c.id === columnId);
  if (!col) throw notFound("Column");
  const f = boardFilters.parse({ ...b.filters, ...Object.fromEntries(Object.entries(asked).filter(([, v]) => v)) });
  return { board: b, cards: await columnCards(ctx, actor, b, col, f, offset) };
}

// ---------------------------------------------------------------- moving a card

export const moveInput = z.strictObject({
  itemId: idRef,
  columnId: z.string().min(1).max(60),
  /** the column's cards in their new order, as the board showed them (the moved one among them) */
  order: z
    .array(idRef)
    .max(PAGE * 4)
    .optional(),
});

/**
 * Moves a card: into a status column it changes the item's status (the conversation's or ticket's own rules and
 * history apply, so a person may move only what they may change); into a stage it only places it. A full column
 * (its WIP limit reached) refuses the move and nothing changes. The event carries the item's scope, so only
 * consoles that may see it hear of it.
 */
export async function moveCard(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof moveInput>) {
  const m = moveInput.parse(input);
  const b = await getBoard(ctx, actor, id);
  const to = b.columns.find((c) => c.id === m.columnId);
  if (!to) throw badRequest("unknown_column", "The board has no such column", { field: "columnId" });
  const s = source(b.kind);
  const table = tableOf(b.kind);
  const f = boardFilters.parse(b.filters);
  const visible = visibleOf(actor, b.kind);
  const item = await ctx.db
    .select({ id: s.id, status: s.status, assigneeId: s.assignee, departmentId: s.department })
    .from(table)
    .where(and(eq(s.id, m.itemId), visible))
    .get();
  if (!item) throw notFound(b.kind === "conversations" ? "Conversation" : b.kind === "orders" ? "Order" : "Ticket");
  const from = b.columns.find((c) => c.status === item.status)?.id ?? null;
  const here = await ctx.db
    .select({ n: count() })
    .from(table)
    .where(and(...baseWhere(ctx, actor, b, f), columnWhere(b, to), sql`${s.id} <> ${item.id}`))
    .get();
  const inTarget = await ctx.db
    .select({ id: s.id })
    .from(table)
    .where(and(eq(s.id, item.id), columnWhere(b, to)))
    .get();
  if (to.wip && !inTarget && Number(here?.n ?? 0) >= to.wip)
    throw conflict("wip_limit", `The column ${to.name} is full (${to.wip})`, { column: to.name, wip: to.wip });
  let status = item.status as string;
  if (to.status && to.status !== item.status) {
    if (b.kind === "conversations")
      await updateConversation(
        ctx,
        actor,
        item.id,
        to.status === "snoozed"
          ? { status: "snoozed", snoozedUntil: ctx.clock.now() + 86_400_000 }
          : { status: to.status as never },
      );
    else if (b.kind === "orders") {
      // the delivered column ends the pickup road too; an order moves only as its own rules allow
      const { setOrderStatus } = await import("../commerce/orders.ts");
      const o = await ctx.db.select({ fulfilment: orders.fulfilment }).from(orders).where(eq(orders.id, item.id)).get();
      const target = to.status === "delivered" && o?.fulfilment === "pickup" ? "picked_up" : to.status;
      if (target !== item.status) await setOrderStatus(ctx, actor, item.id, { status: target as never });
      status = target;
    } else await updateTicket(ctx, actor, item.id, { status: to.status as never });
    if (b.kind !== "orders") status = to.status;
  }
  // the column's order as the person left it; only cards that are in that column (and visible) are placed by it
  const asked = (m.order ?? [item.id]).includes(item.id) ? (m.order ?? [item.id]) : [item.id, ...(m.order ?? [])];
  const others = asked.filter((x) => x !== item.id);
  const theirs = others.length
    ? await ctx.db
        .select({ id: s.id, status: s.status })
        .from(table)
        .where(and(inArray(s.id, others), visible, columnWhere(b, to)))
    : [];
  const statusOf = new Map<string, string>([
    ...theirs.map((r) => [r.id, r.status as string] as const),
    [item.id, status],
  ]);
  const order = asked.filter((x) => statusOf.has(x));
  const now = ctx.clock.now();
  await ctx.database.write(async (tx, after) => {
    for (const [pos, itemId] of order.entries())
      await tx
        .insert(boardCards)
        .values({
          boardId: b.id,
          itemId,
          columnId: to.id,
          position: pos,
          statusAtMove: statusOf.get(itemId)!,
          movedAt: now,
        })
        .onConflictDoUpdate({
          target: [boardCards.boardId, boardCards.itemId],
          set: {
            columnId: to.id,
            position: pos,
            ...(itemId === item.id ? { statusAtMove: status, movedAt: now } : {}),
          },
        });
    await ctx.events.record(tx, after, {
      type: "boards.card_moved",
      conversationId: b.kind === "conversations" ? item.id : null,
      actor: actorRef(actor),
      data: {
        boardId: b.id,
        itemId: item.id,
        kind: b.kind,
        from,
        to: to.id,
        toName: to.name,
        status,
        assigneeId: item.assigneeId,
        departmentId: item.departmentId,
      },
    });
  });
  return { itemId: item.id, columnId: to.id, status };
}
