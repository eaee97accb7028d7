import { sqliteTable, text, integer, index, primaryKey, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users, departments } from "../auth/schema.ts";
import type { Attachment } from "../inbox/schema.ts";

export const TICKET_STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export const TICKET_PRIORITIES = ["low", "medium", "high", "urgent"] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
export const SLA_KINDS = ["first_response", "next_response", "resolution"] as const;
export type SlaKind = (typeof SLA_KINDS)[number];

// A ticket (manual 2.7): a case that outlives a conversation, numbered for the customer.
export const tickets = sqliteTable(
  "tickets",
  {
    id: text("id").primaryKey(),
    number: integer("number").notNull().unique(),
    contactId: text("contact_id"),
    /** the conversation it was opened from (more can be linked: ticket_conversations) */
    conversationId: text("conversation_id"),
    subject: text("subject").notNull(),
    description: text("description").notNull().default(""),
    /** new (nobody has touched it), open, pending (waiting on the customer: its SLA clock stops), on hold, solved, closed */
    status: text("status", { enum: TICKET_STATUSES }).notNull().default("open"),
    priority: text("priority", { enum: TICKET_PRIORITIES }).notNull().default("medium"),
    departmentId: text("department_id"),
    createdByType: text("created_by_type", { enum: ["user", "bot", "api_key", "system"] }).notNull(),
    createdById: text("created_by_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    categoryId: text("category_id").references(() => ticketCategories.id, { onDelete: "set null" }),
    assigneeId: text("assignee_id").references(() => users.id, { onDelete: "set null" }),
    /** values of the custom fields defined in ticket_fields, by key */
    customFields: text("custom_fields", { mode: "json" }).notNull().$type<Record<string, unknown>>().default({}),
    /** a person's first public answer */
    firstResponseAt: integer("first_response_at"),
    solvedAt: integer("solved_at"),
    closedAt: integer("closed_at"),
    /** a duplicate merged into another ticket points at it (and is closed) */
    mergedIntoId: text("merged_into_id"),
    /** the SLA clocks: when each answer is due (null: none runs), when the clock stopped, what was warned and missed */
    firstResponseDueAt: integer("first_response_due_at"),
    nextResponseDueAt: integer("next_response_due_at"),
    resolutionDueAt: integer("resolution_due_at"),
    /** the resolution clock stopped here (pending: waiting on the customer), with this much business time left */
    slaPausedAt: integer("sla_paused_at"),
    slaLeftMs: integer("sla_left_ms"),
    slaWarned: text("sla_warned", { mode: "json" }).notNull().$type<SlaKind[]>().default([]),
    slaBreached: text("sla_breached", { mode: "json" }).notNull().$type<SlaKind[]>().default([]),
  },
  (t) => [
    index("tickets_status").on(t.status, t.createdAt),
    index("tickets_contact").on(t.contactId),
    index("tickets_assignee").on(t.assigneeId, t.status),
    index("tickets_department").on(t.departmentId, t.status),
  ],
);

/** What happened to a ticket, in order: its creation, every change, comments to the customer and internal notes. */
export const ticketEvents = sqliteTable(
  "ticket_events",
  {
    id: text("id").primaryKey(),
    ticketId: text("ticket_id")
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["created", "change", "comment", "note", "merged", "sla"] }).notNull(),
    actorType: text("actor_type", { enum: ["user", "contact", "bot", "api_key", "system"] }).notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name").notNull().default(""),
    body: text("body").notNull().default(""),
    attachments: text("attachments", { mode: "json" }).notNull().$type<Attachment[]>().default([]),
    /** field → [before, after] for a change; the SLA kind for an sla line */
    changes: text("changes", { mode: "json" }).$type<Record<string, unknown>>(),
    at: integer("at").notNull(),
  },
  (t) => [index("ticket_events_ticket").on(t.ticketId, t.at)],
);

/** The conversations a ticket is about (the one it came from, and any linked later). */
export const ticketConversations = sqliteTable(
  "ticket_conversations",
  {
    ticketId: text("ticket_id")
      .notNull()
      .references(() => tickets.id, { onDelete: "cascade" }),
    conversationId: text("conversation_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.ticketId, t.conversationId] }),
    index("ticket_conversations_conv").on(t.conversationId),
  ],
);

/** Ticket categories; each may send its tickets to a department and give them a priority. */
export const ticketCategories = sqliteTable("ticket_categories", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  departmentId: text("department_id").references(() => departments.id, { onDelete: "set null" }),
  priority: text("priority", { enum: TICKET_PRIORITIES }),
  createdAt: integer("created_at").notNull(),
});

/** Custom ticket fields: a key, its label and type (text, number, date, or one of a list). */
export const ticketFields = sqliteTable("ticket_fields", {
  id: text("id").primaryKey(),
  key: text("key").notNull().unique(),
  label: text("label").notNull(),
  type: text("type", { enum: ["text", "number", "date", "list"] }).notNull(),
  options: text("options", { mode: "json" }).notNull().$type<string[]>().default([]),
  createdAt: integer("created_at").notNull(),
});

/** An SLA policy: the answer times a priority promises, in business hours or around the clock. */
export const slaPolicies = sqliteTable(
  "sla_policies",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    priority: text("priority", { enum: TICKET_PRIORITIES }).notNull(),
    firstResponseMinutes: integer("first_response_minutes"),
    nextResponseMinutes: integer("next_response_minutes"),
    resolutionMinutes: integer("resolution_minutes"),
    businessHours: integer("business_hours", { mode: "boolean" }).notNull().default(true),
    /** a warning this many minutes before a breach */
    warnMinutes: integer("warn_minutes").notNull().default(15),
    /** what a breach does besides its event: raise the priority one step, give the ticket to someone else */
    raisePriority: integer("raise_priority", { mode: "boolean" }).notNull().default(false),
    reassign: integer("reassign", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("sla_policies_priority").on(t.priority)],
);

/** A saved ticket list: its filters, for one person or (no user) for everyone. */
export const ticketViews = sqliteTable("ticket_views", {
  id: text("id").primaryKey(),
  userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
  name: text("name").notNull(),
  filters: text("filters", { mode: "json" }).notNull().$type<Record<string, string>>(),
  createdAt: integer("created_at").notNull(),
});

/** A board's column: a status of its items (a move there changes it), or a stage of the board's own (none). */
export type BoardColumn = { id: string; name: string; status?: string | null; wip?: number | null };

// Tracking boards (manual 2.11, 6.19): Kanban boards over conversations or tickets.
export const boards = sqliteTable("boards", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  kind: text("kind", { enum: ["conversations", "tickets", "orders"] }).notNull(),
  /** a department's board (its supervisor runs it), or everyone's */
  departmentId: text("department_id").references(() => departments.id, { onDelete: "cascade" }),
  columns: text("columns", { mode: "json" }).notNull().$type<BoardColumn[]>(),
  /** the filters saved with the board: priority, assignee, tag, channel, department */
  filters: text("filters", { mode: "json" }).notNull().$type<Record<string, string>>().default({}),
  createdBy: text("created_by"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Where a card sits when a person put it there: its column and place. A card moved to a stage stays there while
 * its item keeps the status it had then; once the status changes, its status column takes it.
 */
export const boardCards = sqliteTable(
  "board_cards",
  {
    boardId: text("board_id")
      .notNull()
      .references(() => boards.id, { onDelete: "cascade" }),
    itemId: text("item_id").notNull(),
    columnId: text("column_id").notNull(),
    position: integer("position").notNull(),
    statusAtMove: text("status_at_move").notNull(),
    movedAt: integer("moved_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.boardId, t.itemId] }),
    index("board_cards_column").on(t.boardId, t.columnId, t.position),
  ],
);
