import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

/** When an AI agent gives a conversation to people, besides the customer asking for one. */
export type HandoffRules = {
  /** words or phrases that hand over at once (besides "asesor", "humano", "agent"… which always do) */
  keywords: string[];
  /** after this many bot replies in one conversation, people take it (0: no limit) */
  maxBotReplies: number;
  /** a customer who is clearly upset goes to people */
  onNegativeSentiment: boolean;
  /** the department that receives handed-over conversations (null: the conversation's own) */
  departmentId: string | null;
  /** hours of the customer's silence after which the agent resolves the conversation (0: never; missing: 12) */
  idleResolveHours?: number;
  /** what the agent says when it hands over (empty: the default, in the agent's language) */
  message: string;
};

// An AI text agent (manual 2.1, 6.13): who it is, how it speaks, what it serves, what it may do.
export const agents = sqliteTable("agents", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  persona: text("persona").notNull().default(""),
  tone: text("tone", { enum: ["friendly", "formal", "concise"] })
    .notNull()
    .default("friendly"),
  instructions: text("instructions").notNull().default(""),
  /** the language it answers in; auto: the customer's (Spanish or English) */
  language: text("language", { enum: ["auto", "es", "en"] })
    .notNull()
    .default("auto"),
  /** channel connections it answers on (empty: none by channel) */
  channelIds: text("channel_ids", { mode: "json" }).notNull().$type<string[]>().default([]),
  /** departments whose new conversations it answers (empty: none by department) */
  departmentIds: text("department_ids", { mode: "json" }).notNull().$type<string[]>().default([]),
  /** the tools it may call (names from the tool registry; no admin tool exists there) */
  tools: text("tools", { mode: "json" }).notNull().$type<string[]>().default([]),
  handoff: text("handoff", { mode: "json" }).notNull().$type<HandoffRules>(),
  /** how long customer messages are gathered before one reply (a burst of short messages gets one answer) */
  burstMs: integer("burst_ms").notNull().default(2500),
  /** false: answers only from the knowledge base and the built-in intents, without a language model */
  useModel: integer("use_model", { mode: "boolean" }).notNull().default(true),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// A document of the knowledge base. Its extracted text is kept, so re-indexing never needs the original file.
export const kbSources = sqliteTable("kb_sources", {
  id: text("id").primaryKey(),
  title: text("title").notNull(),
  kind: text("kind", { enum: ["pdf", "docx", "text", "markdown", "csv", "web", "faq"] }).notNull(),
  fileId: text("file_id"),
  url: text("url"),
  content: text("content").notNull().default(""),
  status: text("status", { enum: ["queued", "indexing", "ready", "failed"] })
    .notNull()
    .default("queued"),
  chunkCount: integer("chunk_count").notNull().default(0),
  /** chunks whose embedding is stored (for the progress bar; keyword search works before) */
  embeddedCount: integer("embedded_count").notNull().default(0),
  error: text("error"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// A passage of a source: what retrieval finds and an answer cites. FAQ pairs are one chunk each.
// The integer id is the rowid shared with the FTS index and the vector table (kb_vectors, made at run time
// with the embedding model's dimension).
export const kbChunks = sqliteTable(
  "kb_chunks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    sourceId: text("source_id")
      .notNull()
      .references(() => kbSources.id, { onDelete: "cascade" }),
    ord: integer("ord").notNull(),
    heading: text("heading").notNull().default(""),
    body: text("body").notNull(),
    /** a curated question (FAQ): a close match answers with `answer` directly */
    question: text("question"),
    answer: text("answer"),
    /** the embedding model its vector was made with (null: not embedded yet) */
    embeddedWith: text("embedded_with"),
  },
  (t) => [index("kb_chunks_source").on(t.sourceId, t.ord), index("kb_chunks_embedded").on(t.embeddedWith)],
);
