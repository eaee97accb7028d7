import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

// Key/value settings of the business (profile, hours, setup state). Values are JSON.
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// Every change worth reacting to (automations, reports, realtime catch-up). Append-only; seq orders them.
export const events = sqliteTable(
  "events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    type: text("type").notNull(),
    conversationId: text("conversation_id"),
    actorType: text("actor_type"),
    actorId: text("actor_id"),
    data: text("data", { mode: "json" }).notNull(),
    at: integer("at").notNull(),
  },
  (t) => [index("events_type_at").on(t.type, t.at), index("events_conversation").on(t.conversationId)],
);

// One row per outbound message to a channel. idempotency_key is unique: enqueuing twice sends once.
export const outbox = sqliteTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    idempotencyKey: text("idempotency_key").notNull().unique(),
    channelId: text("channel_id").notNull(),
    messageId: text("message_id"),
    payload: text("payload", { mode: "json" }).notNull(),
    status: text("status", { enum: ["pending", "sending", "sent", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("outbox_due").on(t.status, t.nextAttemptAt),
    index("outbox_message").on(t.messageId),
    index("outbox_channel_queue").on(t.channelId, t.status, t.nextAttemptAt),
  ],
);

// Uploaded media kept in the data dir; the row says where and what.
// A library file sent in a message gets a row of the conversation's on the same path (the bytes are kept once).
export const files = sqliteTable(
  "files",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    mime: text("mime").notNull(),
    size: integer("size").notNull(),
    path: text("path").notNull(),
    conversationId: text("conversation_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("files_path").on(t.path)],
);
