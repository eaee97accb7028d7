import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Action, ConditionGroup, SendWindow, SequenceExits, SequenceStep, Trigger } from "./model.ts";
import type { FlowGraph } from "./flow-model.ts";

// Rules: a trigger, conditions (AND/OR groups) and actions, run by the engine (engine.ts) from the events table.
export const automationRules = sqliteTable("automation_rules", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  trigger: text("trigger", { mode: "json" }).notNull().$type<Trigger>(),
  conditions: text("conditions", { mode: "json" }).notNull().$type<ConditionGroup>(),
  actions: text("actions", { mode: "json" }).notNull().$type<Action[]>(),
  /** a timed step that comes due later than this (the server was down) is skipped, not sent late; null: never */
  tooLateMs: integer("too_late_ms"),
  /** the inbound-webhook trigger's signing secret, sealed; shown once when made */
  webhookSecret: text("webhook_secret"),
  /** the ready-made recipe it came from, if any */
  recipe: text("recipe"),
  runs: integer("runs").notNull().default(0),
  failures: integer("failures").notNull().default(0),
  lastRunAt: integer("last_run_at"),
  lastError: text("last_error"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// One row per time a rule fired (its conditions held): the key (rule + event, or rule + timer) makes a rule fire
// once per cause, however often the engine sees it again after a crash.
export const automationRuns = sqliteTable(
  "automation_runs",
  {
    id: text("id").primaryKey(),
    ruleId: text("rule_id").notNull(),
    key: text("key").notNull().unique(),
    eventSeq: integer("event_seq"),
    conversationId: text("conversation_id"),
    contactId: text("contact_id"),
    status: text("status", { enum: ["running", "waiting", "done", "failed", "skipped"] }).notNull(),
    /** what the trigger saw, each condition's outcome, each action's result */
    trace: text("trace", { mode: "json" }).notNull().$type<RunTrace>(),
    error: text("error"),
    depth: integer("depth").notNull().default(0),
    startedAt: integer("started_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("automation_runs_rule").on(t.ruleId, t.startedAt), index("automation_runs_conv").on(t.conversationId)],
);

export type RunTrace = {
  trigger: { type: string; event?: string; detail?: string };
  conditions: { label: string; ok: boolean }[];
  /** skipped: the action rightly did nothing (a survey already sent), which is no failure */
  actions: { i: number; type: string; ok: boolean; skipped?: boolean; result?: string; error?: string; at: number }[];
};

// Steps already done, by run and step: an action is never done twice, even when its run is resumed after a crash.
export const automationSteps = sqliteTable("automation_steps", {
  key: text("key").primaryKey(),
  runId: text("run_id").notNull(),
  at: integer("at").notNull(),
});

// Due rows: waits, "customer silent for X", "no agent reply for X", "X before an appointment", "an order still
// unpaid after X", schedules and
// webhook deliveries. Claimed by the scheduler, they survive restarts; `key` keeps one per cause.
export const automationTimers = sqliteTable(
  "automation_timers",
  {
    id: text("id").primaryKey(),
    key: text("key").notNull().unique(),
    ruleId: text("rule_id").notNull(),
    kind: text("kind", {
      enum: ["resume", "silent", "no_reply", "appointment", "order", "schedule", "webhook", "sequence", "flow"],
    }).notNull(),
    dueAt: integer("due_at").notNull(),
    conversationId: text("conversation_id"),
    contactId: text("contact_id"),
    payload: text("payload", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    status: text("status", { enum: ["pending", "claimed", "done", "cancelled", "skipped"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    claimedAt: integer("claimed_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("automation_timers_due").on(t.status, t.dueAt),
    index("automation_timers_conv").on(t.conversationId, t.kind, t.status),
  ],
);

// How far each reader of the events table has got (the automation engine's cursor).
export const eventCursors = sqliteTable("event_cursors", {
  name: text("name").primaryKey(),
  seq: integer("seq").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// Follow-up sequences (§6.16): steps sent one after another to an enrolled contact, inside a send window, until
// the last step or an exit (the customer replied, a tag, an order, a person took over, opted out).
export const sequences = sqliteTable("sequences", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  steps: text("steps", { mode: "json" }).notNull().$type<SequenceStep[]>(),
  window: text("window", { mode: "json" }).notNull().$type<SendWindow>(),
  exits: text("exits", { mode: "json" }).notNull().$type<SequenceExits>(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// A contact in a sequence. One active enrolment per contact and sequence; `step` is the next step to send.
export const sequenceEnrolments = sqliteTable(
  "sequence_enrolments",
  {
    id: text("id").primaryKey(),
    sequenceId: text("sequence_id").notNull(),
    contactId: text("contact_id").notNull(),
    /** where the steps are sent; null: the contact's latest conversation when each step is due */
    conversationId: text("conversation_id"),
    status: text("status", { enum: ["active", "completed", "exited", "removed"] }).notNull(),
    /** why it ended: replied, tag, order, human, opted_out, removed, sequence_deleted… */
    reason: text("reason"),
    step: integer("step").notNull().default(0),
    nextAt: integer("next_at"),
    /** rule, api, console, csv */
    source: text("source").notNull(),
    enrolledAt: integer("enrolled_at").notNull(),
    endedAt: integer("ended_at"),
  },
  (t) => [
    uniqueIndex("sequence_enrolments_active").on(t.sequenceId, t.contactId).where(sql`status = 'active'`),
    index("sequence_enrolments_contact").on(t.contactId, t.status),
    index("sequence_enrolments_seq").on(t.sequenceId, t.status),
  ],
);

// Each step once per enrolment: sent (with its message) or skipped (and why). The key is enrolment + step.
export const sequenceSends = sqliteTable(
  "sequence_sends",
  {
    key: text("key").primaryKey(),
    enrolmentId: text("enrolment_id").notNull(),
    sequenceId: text("sequence_id").notNull(),
    step: integer("step").notNull(),
    outcome: text("outcome", { enum: ["sent", "skipped"] }).notNull(),
    detail: text("detail"),
    messageId: text("message_id"),
    at: integer("at").notNull(),
  },
  (t) => [index("sequence_sends_seq").on(t.sequenceId, t.step), index("sequence_sends_enrolment").on(t.enrolmentId)],
);

// BotBuilder flows (§6.14): a draft graph the owner edits and published versions the conversations run. A
// conversation stays on the version it started with.
export const flows = sqliteTable("flows", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  keywords: text("keywords", { mode: "json" }).notNull().$type<string[]>(),
  channelIds: text("channel_ids", { mode: "json" }).notNull().$type<string[]>(),
  draft: text("draft", { mode: "json" }).notNull().$type<FlowGraph>(),
  template: text("template", { mode: "json" }).$type<{
    name: string;
    language: string;
    params: string[];
    header?: string;
  }>(),
  /** the version conversations start on; null: not published yet */
  publishedVersion: integer("published_version"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const flowVersions = sqliteTable(
  "flow_versions",
  {
    id: text("id").primaryKey(),
    flowId: text("flow_id").notNull(),
    version: integer("version").notNull(),
    graph: text("graph", { mode: "json" }).notNull().$type<FlowGraph>(),
    publishedAt: integer("published_at").notNull(),
    publishedBy: text("published_by"),
  },
  (t) => [uniqueIndex("flow_versions_flow_version").on(t.flowId, t.version)],
);

// A conversation inside a flow: where it waits (an ask, a menu, a wait), its variables, the last event it took.
// One active session per conversation.
export const flowSessions = sqliteTable(
  "flow_sessions",
  {
    id: text("id").primaryKey(),
    conversationId: text("conversation_id").notNull(),
    flowId: text("flow_id").notNull(),
    versionId: text("version_id").notNull(),
    /** active: the flow talks; agent: an AI agent has it until it gives it back (an agent step with a next) */
    status: text("status", { enum: ["active", "agent", "done", "ended"] }).notNull(),
    /** the node waiting for the customer (or a timer); null once done */
    nodeId: text("node_id"),
    vars: text("vars", { mode: "json" }).notNull().$type<Record<string, string>>(),
    /** tries left at the node asking */
    tries: integer("tries").notNull().default(0),
    /** messages sent so far: each one's outbox key is session + this counter, so a replay sends nothing twice */
    sent: integer("sent").notNull().default(0),
    /** the last event this session took (an event read again after a crash is not taken twice) */
    lastSeq: integer("last_seq").notNull().default(0),
    /** the nodes it went through, for the run log and the emulator's lit path (the last 200) */
    path: text("path", { mode: "json" }).notNull().$type<string[]>(),
    reason: text("reason"),
    startedAt: integer("started_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("flow_sessions_active").on(t.conversationId).where(sql`status = 'active'`),
    index("flow_sessions_flow").on(t.flowId, t.status),
    // "has a session already taken this event?" (the engine asks it of every keyword message)
    index("flow_sessions_conversation").on(t.conversationId, t.lastSeq),
  ],
);

// Satisfaction surveys (§6.12, CSAT): one per conversation, sent after it is resolved. The customer answers 1–5
// (a button, a list row, a digit or stars) and may add a comment; the score counts for the person who served the
// conversation and for its department.
export const csatSurveys = sqliteTable(
  "csat_surveys",
  {
    id: text("id").primaryKey(),
    conversationId: text("conversation_id").notNull().unique(),
    contactId: text("contact_id").notNull(),
    channelId: text("channel_id").notNull(),
    /** the person who had the conversation when it was resolved (null: the bot or nobody) */
    userId: text("user_id"),
    departmentId: text("department_id"),
    ruleId: text("rule_id"),
    /** sent: waiting for a score; rated: waiting (a while) for a comment; done */
    status: text("status", { enum: ["sent", "rated", "done"] }).notNull(),
    score: integer("score"),
    comment: text("comment"),
    /** what the customer is asked after the score, and thanked with (the rule's words, or the defaults) */
    texts: text("texts", { mode: "json" }).notNull().$type<{ comment: string; thanks: string }>(),
    sentAt: integer("sent_at").notNull(),
    ratedAt: integer("rated_at"),
    doneAt: integer("done_at"),
  },
  (t) => [
    index("csat_contact").on(t.contactId, t.channelId, t.status),
    index("csat_rated").on(t.ratedAt),
    index("csat_sent").on(t.sentAt),
  ],
);
