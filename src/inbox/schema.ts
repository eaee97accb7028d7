import { sqliteTable, text, integer, index, uniqueIndex, primaryKey, customType } from "drizzle-orm/sqlite-core";
import { CHANNEL_SECRET_KEYS, openFields, sealFields } from "../platform/secrets.ts";

/** A channel's settings as JSON text, its secret fields sealed at rest (src/platform/secrets.ts). */
const channelConfig = customType<{ data: Record<string, unknown>; driverData: string }>({
  dataType: () => "text",
  toDriver: (v) => JSON.stringify(sealFields(v, CHANNEL_SECRET_KEYS)),
  fromDriver: (v) => openFields(JSON.parse(v) as Record<string, unknown>, CHANNEL_SECRET_KEYS),
});
import { users, departments } from "../auth/schema.ts";
import { agents } from "../agents/schema.ts";

// A channel connection (one web chat, one WhatsApp number, one API inbox...). config is per type.
export const channels = sqliteTable("channels", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  name: text("name").notNull(),
  departmentId: text("department_id").references(() => departments.id, { onDelete: "set null" }),
  config: channelConfig("config").notNull(),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at").notNull(),
  /** a deleted connection is kept for its conversations' history, and is no longer listed, received or sent to */
  deletedAt: integer("deleted_at"),
});

export const contacts = sqliteTable(
  "contacts",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull().default(""),
    phone: text("phone"),
    email: text("email"),
    attributes: text("attributes", { mode: "json" }).notNull().$type<Record<string, unknown>>().default({}),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("contacts_phone").on(t.phone),
    index("contacts_email").on(t.email),
    index("contacts_updated").on(t.updatedAt),
  ],
);

// How a contact is known on a channel (visitor id, WhatsApp id...). One identity, one contact.
export const contactIdentities = sqliteTable(
  "contact_identities",
  {
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    externalId: text("external_id").notNull(),
    contactId: text("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    secretHash: text("secret_hash"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.externalId] }), index("contact_identities_contact").on(t.contactId)],
);

export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id),
    contactId: text("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["open", "pending", "snoozed", "resolved"] })
      .notNull()
      .default("open"),
    ownerType: text("owner_type", { enum: ["bot", "queue", "agent"] })
      .notNull()
      .default("queue"),
    assigneeId: text("assignee_id").references(() => users.id, { onDelete: "set null" }),
    departmentId: text("department_id").references(() => departments.id, { onDelete: "set null" }),
    priority: text("priority", { enum: ["none", "low", "medium", "high", "urgent"] })
      .notNull()
      .default("none"),
    unreadCount: integer("unread_count").notNull().default(0),
    lastMessageAt: integer("last_message_at").notNull(),
    lastMessagePreview: text("last_message_preview").notNull().default(""),
    snoozedUntil: integer("snoozed_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    resolvedAt: integer("resolved_at"),
    /** the customer's last message (channels with a reply window, such as WhatsApp's 24 hours, count from it) */
    lastInboundAt: integer("last_inbound_at"),
    /** the AI agent answering while ownerType is "bot" */
    agentId: text("agent_id").references(() => agents.id, { onDelete: "set null" }),
    /** the customer's mood and how pressing the matter is, read from their messages (Copilot; feeds the priority) */
    sentiment: text("sentiment", { enum: ["positive", "neutral", "negative"] }),
    urgency: text("urgency", { enum: ["low", "normal", "high"] }),
    /** since when it waits in its department's queue (set by a trigger whenever it enters the queue) */
    queuedAt: integer("queued_at"),
    /** when its person got it (set by a trigger whenever the assignee changes) */
    assignedAt: integer("assigned_at"),
    /** a person's last reply to the customer (set by a trigger on messages) */
    agentRepliedAt: integer("agent_replied_at"),
    /** the last place and wait the customer was told while waiting in the queue, and how many times */
    queueNotice: text("queue_notice", { mode: "json" }).$type<QueueNotice>(),
    /** when its department's overflow rule moved it on (once per conversation: no ping-pong between queues) */
    overflowedAt: integer("overflowed_at"),
  },
  (t) => [
    // every inbox ordering is (last_message_at DESC, id DESC): the id completes the order inside the index
    index("conversations_last_id").on(t.lastMessageAt, t.id),
    index("conversations_status_last_id").on(t.status, t.lastMessageAt, t.id),
    // the inbox views' counts read only this index (owner, assignee and department are what they and visibility test)
    index("conversations_status_owner").on(t.status, t.ownerType, t.assigneeId, t.departmentId),
    index("conversations_status_owner_department").on(t.status, t.ownerType, t.departmentId),
    index("conversations_assignee_last_id").on(t.assigneeId, t.lastMessageAt, t.id),
    index("conversations_department_last_id").on(t.departmentId, t.lastMessageAt, t.id),
    index("conversations_contact").on(t.contactId, t.channelId),
  ],
);

/**
 * How many open conversations each person holds on each channel, kept by triggers on conversations (one counts
 * while open, owned by a person and assigned): what assignment reads for capacity, instead of counting them.
 */
export const assigneeLoads = sqliteTable(
  "assignee_loads",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    n: integer("n").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.userId, t.channelId] })],
);

export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    channelId: text("channel_id").notNull(),
    direction: text("direction", { enum: ["in", "out", "activity"] }).notNull(),
    senderType: text("sender_type", { enum: ["contact", "agent", "bot", "system"] }).notNull(),
    senderId: text("sender_id"),
    body: text("body").notNull().default(""),
    attachments: text("attachments", { mode: "json" }).notNull().$type<Attachment[]>().default([]),
    private: integer("private", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: ["received", "queued", "sent", "delivered", "read", "failed"] }).notNull(),
    error: text("error"),
    externalId: text("external_id"),
    /** what a text body and attachments cannot say: location, contact cards, buttons, templates, quoted reply, reactions */
    content: text("content", { mode: "json" }).$type<MessageContent>(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("messages_conversation").on(t.conversationId, t.id),
    uniqueIndex("messages_channel_external").on(t.channelId, t.externalId),
  ],
);

/** What a waiting customer was last told of their place in the queue (on channels told by message). */
export type QueueNotice = { at: number; position: number; minutes: number | null; count: number };

export type Attachment = { fileId: string; name: string; mime: string; size: number };

/** A contact card shared in a message. */
export type SharedContact = {
  name: string;
  phones: { phone: string; type?: string; waId?: string }[];
  emails?: string[];
};
export type ReplyButton = { id: string; title: string };
export type ListSection = { title?: string; rows: { id: string; title: string; description?: string }[] };

/**
 * Structured content of a message, beside its text body (which always holds a readable rendering, so search,
 * previews and channels without the feature keep working).
 */
export type MessageContent = {
  /** what kind of message this was on its channel (text, image, location, contacts, sticker, interactive, template, order, unsupported...) */
  kind?: string;
  location?: { latitude: number; longitude: number; name?: string; address?: string; url?: string };
  contacts?: SharedContact[];
  /** buttons offered by the business (at most 3 on WhatsApp) */
  buttons?: ReplyButton[];
  /** a list offered by the business: the button that opens it and its sections */
  list?: { button: string; sections: ListSection[] };
  /** options the web chat shows as chips under the message (its text keeps them numbered) */
  quickReplies?: { id: string; title: string; detail?: string; image?: string; quantity?: boolean }[];
  /** the customer's choice of a button or list row */
  choice?: { id: string; title: string; description?: string; quantity?: number };
  /** an approved template; `header` names the library item its media header shows (the message's attachment) */
  template?: { name: string; language: string; params: string[]; header?: string };
  order?: {
    catalogId?: string;
    items: { sku: string; quantity: number; price: number; currency: string }[];
    text?: string;
  };
  /** the message this one answers (quoted) */
  replyTo?: { messageId: string | null; externalId: string | null; preview?: string };
  /** reactions to this message, one per side at most (WhatsApp allows one per person) */
  reactions?: { by: "contact" | "business"; emoji: string; at: number }[];
  forwarded?: boolean;
  edited?: boolean;
  deleted?: boolean;
  /** how an AI agent made this reply: for the people reading the conversation (sources cited, tools called) */
  ai?: {
    agentId: string;
    mode: string;
    intent?: string;
    sources: { sourceId: string; title: string }[];
    tools: { name: string; ok: boolean }[];
  };
  /** media the channel announced but that could not be fetched (kept to retry) */
  pendingMedia?: { id: string; mime?: string; error: string };
};

export const tags = sqliteTable("tags", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  color: text("color").notNull().default("#64748b"),
  createdAt: integer("created_at").notNull(),
});

export const conversationTags = sqliteTable(
  "conversation_tags",
  {
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id, { onDelete: "cascade" }),
    tagId: text("tag_id")
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.tagId] }), index("conversation_tags_tag").on(t.tagId)],
);

export const contactTags = sqliteTable(
  "contact_tags",
  {
    contactId: text("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    tagId: text("tag_id")
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.contactId, t.tagId] })],
);

// Quick replies / message templates used with /shortcut in the composer (manual 6.7).
export const quickReplies = sqliteTable("quick_replies", {
  id: text("id").primaryKey(),
  shortcut: text("shortcut").notNull().unique(),
  body: text("body").notNull(),
  /** files from the library sent with it (their ids there) */
  media: text("media", { mode: "json" }).notNull().$type<string[]>().default([]),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Notes about a contact (not about one conversation): what the team knows of the person. */
export const contactNotes = sqliteTable(
  "contact_notes",
  {
    id: text("id").primaryKey(),
    contactId: text("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    authorId: text("author_id"),
    authorName: text("author_name").notNull().default(""),
    body: text("body").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("contact_notes_contact").on(t.contactId, t.createdAt)],
);

/** A merge of two contacts into one: who was merged (as they were), by whom, when. */
export const contactMerges = sqliteTable(
  "contact_merges",
  {
    id: text("id").primaryKey(),
    keptId: text("kept_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    mergedId: text("merged_id").notNull(),
    merged: text("merged", { mode: "json" })
      .notNull()
      .$type<{ name: string; phone: string | null; email: string | null; attributes: Record<string, unknown> }>(),
    byName: text("by_name").notNull().default(""),
    at: integer("at").notNull(),
  },
  (t) => [index("contact_merges_kept").on(t.keptId, t.at)],
);

/** Contact attributes the business defines: a key, its label and type (text, number, date, or one of a list). */
export const contactFields = sqliteTable("contact_fields", {
  id: text("id").primaryKey(),
  key: text("key").notNull().unique(),
  label: text("label").notNull(),
  type: text("type", { enum: ["text", "number", "date", "list"] }).notNull(),
  options: text("options", { mode: "json" }).notNull().$type<string[]>().default([]),
  createdAt: integer("created_at").notNull(),
});

/** A saved segment: a search and filters of the contacts list, by name (campaigns send to them). */
export const contactSegments = sqliteTable("contact_segments", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  filters: text("filters", { mode: "json" }).notNull().$type<Record<string, string>>(),
  createdBy: text("created_by"),
  createdAt: integer("created_at").notNull(),
});
