// What a rule is made of, checked at the boundary: a trigger, AND/OR groups of conditions, a list of actions.
// Everything a rule can name is validated when it is saved (an unknown tag, a bad pattern, a cron that never
// fires), never when it runs.
import { libraryRefs } from "../library/model.ts";
import { z } from "zod";
import { idRef, templateRef } from "../platform/validation.ts";

const minutes = z
  .number()
  .int()
  .min(1)
  .max(60 * 24 * 90);
const ids = z.array(idRef).max(50);

/** Events other domains emit and rules can start on (commerce's are named now, emitted later). */
export const EVENT_TRIGGERS = {
  message_received: "inbox.message_received",
  conversation_created: "inbox.conversation_created",
  conversation_assigned: "inbox.conversation_updated",
  conversation_resolved: "inbox.conversation_updated",
  conversation_reopened: "inbox.conversation_updated",
  tag_added: "inbox.conversation_tagged",
  tag_removed: "inbox.conversation_untagged",
  contact_created: "contacts.created",
  contact_updated: "contacts.updated",
  appointment_booked: "calendar.appointment_booked",
  appointment_cancelled: "calendar.appointment_cancelled",
  order_created: "commerce.order_created",
  order_status_changed: "commerce.order_status_changed",
  order_paid: "commerce.order_paid",
  cart_abandoned: "commerce.cart_abandoned",
  ticket_created: "tickets.ticket_created",
  ticket_updated: "tickets.ticket_updated",
  ticket_sla_warning: "tickets.sla_warning",
  ticket_sla_breached: "tickets.sla_breached",
  board_card_moved: "boards.card_moved",
  webhook: "automation.webhook_received",
  contact_returned: "inbox.conversation_created",
} as const;

export const triggerSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("message_received"),
    /** only the first message of a conversation */
    first: z.boolean().default(false),
    channelIds: ids.default([]),
    /** any of these words or phrases, accents and case aside */
    keywords: z.array(z.string().trim().min(1).max(80)).max(50).default([]),
    /** a regular expression the text must match (case-insensitive) */
    pattern: z.string().max(300).optional(),
    /** the no-model classifier's intents (greeting, hours, price, order_status, human, …) */
    intents: z.array(z.string().min(1).max(40)).max(20).default([]),
  }),
  z.strictObject({ type: z.literal("conversation_created"), channelIds: ids.default([]) }),
  z.strictObject({ type: z.literal("conversation_assigned") }),
  z.strictObject({ type: z.literal("conversation_resolved") }),
  z.strictObject({ type: z.literal("conversation_reopened") }),
  z.strictObject({ type: z.literal("tag_added"), tagIds: ids.default([]) }),
  z.strictObject({ type: z.literal("tag_removed"), tagIds: ids.default([]) }),
  z.strictObject({ type: z.literal("contact_created") }),
  z.strictObject({ type: z.literal("contact_updated"), fields: z.array(z.string().max(80)).max(20).default([]) }),
  /** the customer has not written for X minutes since our last message */
  z.strictObject({ type: z.literal("customer_silent"), minutes }),
  /** the customer wrote and no person answered for X minutes */
  z.strictObject({ type: z.literal("no_agent_reply"), minutes }),
  z.strictObject({ type: z.literal("appointment_booked") }),
  z.strictObject({ type: z.literal("appointment_cancelled") }),
  /** X minutes before a booked appointment starts */
  z.strictObject({ type: z.literal("appointment_upcoming"), minutes }),
  z.strictObject({ type: z.literal("order_created") }),
  z.strictObject({
    type: z.literal("order_status_changed"),
    statuses: z.array(z.string().max(40)).max(20).default([]),
  }),
  z.strictObject({ type: z.literal("order_paid") }),
  /** an order to be paid by link or transfer is still unpaid X minutes after it was placed (not when cancelled) */
  z.strictObject({ type: z.literal("order_unpaid"), minutes }),
  z.strictObject({ type: z.literal("cart_abandoned") }),
  z.strictObject({ type: z.literal("ticket_created") }),
  z.strictObject({ type: z.literal("ticket_updated") }),
  /** an SLA answer comes due soon / is late (first_response, next_response, resolution; none: any) */
  z.strictObject({
    type: z.literal("ticket_sla_warning"),
    kinds: z
      .array(z.enum(["first_response", "next_response", "resolution"]))
      .max(3)
      .default([]),
  }),
  z.strictObject({
    type: z.literal("ticket_sla_breached"),
    kinds: z
      .array(z.enum(["first_response", "next_response", "resolution"]))
      .max(3)
      .default([]),
  }),
  /** a card moved on a board (into one of these columns; none: any) */
  z.strictObject({
    type: z.literal("board_card_moved"),
    boardId: z.string().max(64).optional(),
    columnIds: z.array(z.string().max(60)).max(12).default([]),
  }),
  /** a cron expression in the business's time zone ("0 9 * * 1": Mondays at 9:00) */
  z.strictObject({ type: z.literal("schedule"), cron: z.string().trim().min(9).max(100) }),
  /** a POST to the rule's own URL, signed with its secret */
  z.strictObject({ type: z.literal("webhook") }),
  /** a contact whose last conversation ended less than X hours ago writes again (sticky agent) */
  z.strictObject({
    type: z.literal("contact_returned"),
    hours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30),
  }),
]);
export type Trigger = z.output<typeof triggerSchema>;
export type TriggerType = Trigger["type"];

/** What a condition can look at. attributes.* is any contact attribute. */
export const CONDITION_FIELDS = [
  "contact.name",
  "contact.phone",
  "contact.email",
  "contact.language",
  "conversation.status",
  "conversation.priority",
  "conversation.channelId",
  "conversation.channelType",
  "conversation.departmentId",
  "conversation.assigneeId",
  "conversation.ownerType",
  "conversation.sentiment",
  "conversation.urgency",
  "conversation.tags",
  "message.body",
  "business.open",
  "time.weekday",
  "time.hour",
] as const;

const fieldName = z
  .string()
  .max(120)
  .refine((f) => (CONDITION_FIELDS as readonly string[]).includes(f) || /^contact\.attributes\.[\w.-]{1,80}$/.test(f), {
    message: "unknown field",
  });

export const conditionSchema = z.strictObject({
  field: fieldName,
  op: z.enum(["eq", "neq", "contains", "not_contains", "in", "not_in", "exists", "not_exists", "gt", "lt", "matches"]),
  value: z
    .union([z.string().max(500), z.number(), z.boolean(), z.array(z.union([z.string().max(200), z.number()])).max(100)])
    .optional(),
});
export type Condition = z.output<typeof conditionSchema>;

export type ConditionGroup = { match: "all" | "any"; items: (Condition | ConditionGroup)[] };
export const conditionGroupSchema: z.ZodType<ConditionGroup> = z.lazy(() =>
  z.strictObject({
    match: z.enum(["all", "any"]).default("all"),
    items: z
      .array(z.union([conditionSchema, conditionGroupSchema]))
      .max(30)
      .default([]),
  }),
) as never;

const text = z.string().trim().min(1).max(4000);
const button = z.strictObject({ id: z.string().min(1).max(256), title: z.string().trim().min(1).max(20) });

export const actionSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("send_message"),
    /** {{contact.first_name|cliente}}, {{contact.name}}, {{business.name}}, {{agent.name}}, {{appointment.time}}… */
    body: text,
    buttons: z.array(button).min(1).max(3).optional(),
    /** files from the library sent with the text (their ids there) */
    media: libraryRefs.optional(),
    /** sent instead when the channel's reply window has closed (WhatsApp's 24 h) */
    template: templateRef.optional(),
  }),
  z.strictObject({ type: z.literal("add_note"), body: text }),
  z.strictObject({ type: z.literal("assign_user"), userId: idRef }),
  /** the person who last served this contact (sticky agent) */
  z.strictObject({ type: z.literal("assign_last") }),
  z.strictObject({ type: z.literal("assign_department"), departmentId: idRef }),
  z.strictObject({ type: z.literal("add_tag"), tagId: idRef }),
  z.strictObject({ type: z.literal("remove_tag"), tagId: idRef }),
  z.strictObject({ type: z.literal("set_priority"), priority: z.enum(["none", "low", "medium", "high", "urgent"]) }),
  z.strictObject({ type: z.literal("set_status"), status: z.enum(["open", "pending", "resolved"]) }),
  z.strictObject({ type: z.literal("snooze"), minutes }),
  z.strictObject({
    type: z.literal("set_contact"),
    field: z.enum(["name", "email", "phone", "language"]).or(z.string().regex(/^attributes\.[\w.-]{1,80}$/)),
    value: z.string().max(500),
  }),
  z.strictObject({
    type: z.literal("create_ticket"),
    subject: z.string().trim().min(1).max(200),
    description: z.string().max(4000).default(""),
    priority: z.enum(["low", "medium", "high", "urgent"]).default("medium"),
  }),
  /** a console and push notice to these people, or to a department's */
  z.strictObject({
    type: z.literal("notify"),
    userIds: ids.default([]),
    departmentId: idRef.optional(),
    message: z.string().trim().min(1).max(300),
  }),
  /** a signed POST (X-DigyBot-Signature: sha256=HMAC of the body), retried with backoff */
  z.strictObject({ type: z.literal("webhook"), url: z.url().max(2000) }),
  z.strictObject({ type: z.literal("wait"), minutes }),
  z.strictObject({ type: z.literal("to_agent"), agentId: idRef }),
  /** puts the conversation's contact in a follow-up sequence (once: a contact already in it stays where it is) */
  z.strictObject({ type: z.literal("enrol_sequence"), sequenceId: idRef }),
  z.strictObject({ type: z.literal("unenrol_sequence"), sequenceId: idRef }),
  /** the conversation enters a flow's published version (leaving one it was in) */
  z.strictObject({ type: z.literal("start_flow"), flowId: idRef }),
  z.strictObject({ type: z.literal("from_agent"), departmentId: idRef.optional() }),
  /**
   * The satisfaction survey (CSAT): 1–5 as buttons, a list or numbered lines, then an optional comment. Once per
   * conversation; not sent when the channel's reply window has closed. Empty texts take the business's defaults.
   */
  z.strictObject({
    type: z.literal("send_survey"),
    question: z.string().trim().max(1000).optional(),
    comment: z.string().trim().max(1000).optional(),
    thanks: z.string().trim().max(1000).optional(),
  }),
]);
export type Action = z.output<typeof actionSchema>;
export type ActionType = Action["type"];

export const ruleInput = z.strictObject({
  name: z.string().trim().min(1).max(120),
  enabled: z.boolean().default(true),
  trigger: triggerSchema,
  conditions: conditionGroupSchema.default({ match: "all", items: [] }),
  actions: z.array(actionSchema).min(1).max(30),
  /** minutes after its due time past which a timed step is skipped rather than done late */
  tooLateMinutes: z
    .number()
    .int()
    .min(1)
    .max(60 * 24 * 30)
    .nullable()
    .default(null),
});
export type RuleInput = z.input<typeof ruleInput>;

// ---- follow-up sequences

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM");

/** One message of a sequence, sent `delayMinutes` after the enrolment or after the previous step. */
export const sequenceStepSchema = z.strictObject({
  delayMinutes: z
    .number()
    .int()
    .min(0)
    .max(60 * 24 * 365),
  after: z.enum(["enrolment", "previous"]).default("previous"),
  /** one is picked per contact (the same one every time for that contact); variables as in rules */
  variations: z.array(text).min(1).max(5),
  buttons: z.array(button).min(1).max(3).optional(),
  /** files from the library sent with the text */
  media: libraryRefs.optional(),
  /** sent instead when the channel's reply window has closed; without one the step is skipped there */
  template: templateRef.optional(),
});
export type SequenceStep = z.output<typeof sequenceStepSchema>;

/** When steps may go out: these weekdays between these hours, or the business's opening hours. */
export const sendWindowSchema = z
  .strictObject({
    /** 0 = Sunday … 6 = Saturday */
    days: z.array(z.number().int().min(0).max(6)).min(1).max(7).default([1, 2, 3, 4, 5]),
    from: hhmm.default("09:00"),
    to: hhmm.default("19:00"),
    /** the business's opening hours instead of days/from/to */
    businessHours: z.boolean().default(false),
    /** the contact's time zone (attribute "timezone") when known, else the business's */
    contactTimeZone: z.boolean().default(true),
  })
  .refine((w) => w.businessHours || w.from < w.to, { message: "the window must end after it starts", path: ["to"] });
export type SendWindow = z.output<typeof sendWindowSchema>;

/** What takes a contact out of the sequence before its last step. Opting out always does. */
export const sequenceExitsSchema = z.strictObject({
  replied: z.boolean().default(true),
  tagIds: ids.default([]),
  orderPlaced: z.boolean().default(true),
  humanTook: z.boolean().default(true),
});
export type SequenceExits = z.output<typeof sequenceExitsSchema>;

export const sequenceInput = z.strictObject({
  name: z.string().trim().min(1).max(120),
  enabled: z.boolean().default(true),
  steps: z.array(sequenceStepSchema).min(1).max(20),
  window: sendWindowSchema.default({
    days: [1, 2, 3, 4, 5],
    from: "09:00",
    to: "19:00",
    businessHours: false,
    contactTimeZone: true,
  }),
  exits: sequenceExitsSchema.default({ replied: true, tagIds: [], orderPlaced: true, humanTook: true }),
});
export type SequenceInput = z.input<typeof sequenceInput>;
