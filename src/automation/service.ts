// Rules as the owner manages them: create, change, switch on and off, delete, and read their run log. Every id a
// rule names (tags, people, departments, channels, AI agents) and every pattern and schedule is checked here, when
// it is saved, with the field named; the engine never meets a rule it cannot run.
import { libraryItems } from "../library/schema.ts";
import { randomBytes } from "node:crypto";
import { and, desc, eq, inArray, lt } from "drizzle-orm";
import { Cron } from "croner";
import type { z } from "zod";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { badRequest, notFound } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { seal } from "../platform/secrets.ts";
import { patchOf } from "../platform/validation.ts";
import { channels, tags } from "../inbox/schema.ts";
import { departments, users } from "../auth/schema.ts";
import { agents } from "../agents/schema.ts";
import { automationRules, automationRuns, automationTimers, flows, sequences } from "./schema.ts";
import { ruleInput, type Action, type ConditionGroup, type Trigger } from "./model.ts";
import { cancelTimersOf, kick, rulesChanged, scheduleNext } from "./engine.ts";

export const rulePatch = patchOf(ruleInput);
type Rule = typeof automationRules.$inferSelect;

/** What the API and the console show of a rule: never its webhook secret. */
export function ruleView(r: Rule) {
  const { webhookSecret, tooLateMs, ...rest } = r;
  return {
    ...rest,
    tooLateMinutes: tooLateMs === null ? null : Math.round(tooLateMs / 60_000),
    hasWebhook: !!webhookSecret,
  };
}

async function checkReferences(ctx: Ctx, trigger: Trigger, conditions: ConditionGroup, actions: Action[]) {
  const need = {
    tags: new Set<string>(),
    users: new Set<string>(),
    departments: new Set<string>(),
    channels: new Set<string>(),
    agents: new Set<string>(),
    sequences: new Set<string>(),
    flows: new Set<string>(),
    library: new Set<string>(),
  };
  const where = new Map<string, string>();
  const add = (kind: keyof typeof need, id: string, field: string) => {
    need[kind].add(id);
    if (!where.has(`${kind}:${id}`)) where.set(`${kind}:${id}`, field);
  };
  if ("channelIds" in trigger) trigger.channelIds.forEach((id) => add("channels", id, "trigger.channelIds"));
  if ("tagIds" in trigger) trigger.tagIds.forEach((id) => add("tags", id, "trigger.tagIds"));
  if (trigger.type === "message_received" && trigger.pattern)
    try {
      new RegExp(trigger.pattern, "iu");
    } catch {
      throw badRequest("invalid_pattern", "The pattern is not a valid regular expression", {
        field: "trigger.pattern",
      });
    }
  if (trigger.type === "schedule") {
    let next: Date | null = null;
    try {
      next = new Cron(trigger.cron, { paused: true }).nextRun();
    } catch {
      throw badRequest("invalid_cron", "The schedule is not a valid cron expression", { field: "trigger.cron" });
    }
    if (!next) throw badRequest("invalid_cron", "The schedule never comes", { field: "trigger.cron" });
  }
  const walk = (g: ConditionGroup, path: string) =>
    g.items.forEach((c, i) => {
      if ("items" in c) return walk(c, `${path}.items.${i}`);
      if (c.op === "matches")
        try {
          new RegExp(String(c.value ?? ""), "iu");
        } catch {
          throw badRequest("invalid_pattern", "The pattern is not a valid regular expression", {
            field: `${path}.items.${i}.value`,
          });
        }
      if (!["exists", "not_exists"].includes(c.op) && c.value === undefined)
        throw badRequest("value_required", "This condition needs a value", { field: `${path}.items.${i}.value` });
    });
  walk(conditions, "conditions");
  actions.forEach((a, i) => {
    const f = `actions.${i}`;
    if (a.type === "add_tag" || a.type === "remove_tag") add("tags", a.tagId, `${f}.tagId`);
    if (a.type === "assign_user") add("users", a.userId, `${f}.userId`);
    if (a.type === "assign_department") add("departments", a.departmentId, `${f}.departmentId`);
    if (a.type === "from_agent" && a.departmentId) add("departments", a.departmentId, `${f}.departmentId`);
    if (a.type === "notify") {
      a.userIds.forEach((id) => add("users", id, `${f}.userIds`));
      if (a.departmentId) add("departments", a.departmentId, `${f}.departmentId`);
      if (!a.userIds.length && !a.departmentId)
        throw badRequest("recipients_required", "Say whom to notify: people or a department", {
          field: `${f}.userIds`,
        });
    }
    if (a.type === "to_agent") add("agents", a.agentId, `${f}.agentId`);
    if (a.type === "enrol_sequence" || a.type === "unenrol_sequence") add("sequences", a.sequenceId, `${f}.sequenceId`);
    if (a.type === "start_flow") add("flows", a.flowId, `${f}.flowId`);
    if (a.type === "send_message" && a.media) a.media.forEach((id) => add("library", id, `${f}.media`));
    if (a.type === "send_message" && a.template?.header) add("library", a.template.header, `${f}.template.header`);
    if (a.type === "send_message" && trigger.type === "schedule")
      throw badRequest("no_conversation", "A scheduled rule has no conversation to write in", { field: `${f}.type` });
  });
  const tables = { tags, users, departments, channels, agents, sequences, flows, library: libraryItems } as const;
  for (const kind of Object.keys(need) as (keyof typeof need)[]) {
    const ids = [...need[kind]];
    if (!ids.length) continue;
    const t = tables[kind];
    const found = new Set(
      (await ctx.db.select({ id: t.id }).from(t).where(inArray(t.id, ids))).map((r: { id: string }) => r.id),
    );
    const missing = ids.find((id) => !found.has(id));
    if (missing)
      throw badRequest(
        kind === "library" ? "unknown_library_item" : `unknown_${kind.replace(/s$/, "")}`,
        `The ${kind.replace(/s$/, "")} does not exist`,
        {
          field: where.get(`${kind}:${missing}`),
          value: missing,
        },
      );
  }
}

export async function listRules(ctx: Ctx, actor: Actor) {
  assertAdmin(actor);
  return (await ctx.db.select().from(automationRules).orderBy(automationRules.name)).map(ruleView);
}

export async function getRule(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  const r = await ctx.db.select().from(automationRules).where(eq(automationRules.id, id)).get();
  if (!r) throw notFound("Automation");
  return r;
}

/** Creates a rule. A webhook-triggered rule gets a signing secret, returned this once. */
export async function createRule(ctx: Ctx, actor: Actor, input: z.input<typeof ruleInput>, recipe?: string) {
  assertAdmin(actor);
  const r = ruleInput.parse(input);
  await checkReferences(ctx, r.trigger, r.conditions, r.actions);
  const now = ctx.clock.now();
  const secret =
    r.trigger.type === "webhook" || r.actions.some((a) => a.type === "webhook")
      ? randomBytes(24).toString("base64url")
      : null;
  const row: Rule = {
    id: newId(now),
    name: r.name,
    enabled: r.enabled,
    trigger: r.trigger,
    conditions: r.conditions,
    actions: r.actions,
    tooLateMs: r.tooLateMinutes === null ? null : r.tooLateMinutes * 60_000,
    webhookSecret: secret ? seal(secret) : null,
    recipe: recipe ?? null,
    runs: 0,
    failures: 0,
    lastRunAt: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.database.write((tx) => tx.insert(automationRules).values(row));
  rulesChanged(ctx);
  await scheduleNext(ctx, row, now);
  void kick(ctx);
  return { ...ruleView(row), ...(secret ? { webhookSecret: secret } : {}) };
}

export async function updateRule(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof rulePatch>) {
  const prior = await getRule(ctx, actor, id);
  const p = rulePatch.parse(input);
  const next = {
    trigger: p.trigger ?? prior.trigger,
    conditions: p.conditions ?? prior.conditions,
    actions: p.actions ?? prior.actions,
  };
  await checkReferences(ctx, next.trigger, next.conditions, next.actions);
  const now = ctx.clock.now();
  const patch: Partial<Rule> = {
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.enabled !== undefined ? { enabled: p.enabled } : {}),
    ...next,
    ...(p.tooLateMinutes !== undefined
      ? { tooLateMs: p.tooLateMinutes === null ? null : p.tooLateMinutes * 60_000 }
      : {}),
    updatedAt: now,
  };
  let secret: string | null = null;
  if (!prior.webhookSecret && (next.trigger.type === "webhook" || next.actions.some((a) => a.type === "webhook"))) {
    secret = randomBytes(24).toString("base64url");
    patch.webhookSecret = seal(secret);
  }
  await ctx.database.write((tx) => tx.update(automationRules).set(patch).where(eq(automationRules.id, id)));
  const row = { ...prior, ...patch };
  // a changed trigger or a rule switched off leaves no timer of the old one behind
  if (!row.enabled || JSON.stringify(prior.trigger) !== JSON.stringify(row.trigger)) await cancelTimersOf(ctx, id);
  rulesChanged(ctx);
  await scheduleNext(ctx, row, now);
  return { ...ruleView(row), ...(secret ? { webhookSecret: secret } : {}) };
}

export async function deleteRule(ctx: Ctx, actor: Actor, id: string) {
  await getRule(ctx, actor, id);
  await cancelTimersOf(ctx, id);
  await ctx.database.write(async (tx) => {
    await tx.delete(automationRules).where(eq(automationRules.id, id));
    await tx
      .delete(automationTimers)
      .where(and(eq(automationTimers.ruleId, id), eq(automationTimers.status, "cancelled")));
  });
  rulesChanged(ctx);
}

/** The run log of a rule, newest first. */
export async function listRuns(ctx: Ctx, actor: Actor, ruleId: string, opts: { before?: string; limit?: number } = {}) {
  await getRule(ctx, actor, ruleId);
  const limit = Math.min(opts.limit ?? 50, 200);
  const rows = await ctx.db
    .select()
    .from(automationRuns)
    .where(and(eq(automationRuns.ruleId, ruleId), opts.before ? lt(automationRuns.id, opts.before) : undefined))
    .orderBy(desc(automationRuns.id))
    .limit(limit + 1);
  return { items: rows.slice(0, limit), next: rows.length > limit ? rows[limit - 1].id : null };
}

/** Pending timers of a rule (what will happen, and when). */
export async function pendingTimers(ctx: Ctx, actor: Actor, ruleId: string) {
  await getRule(ctx, actor, ruleId);
  return ctx.db
    .select()
    .from(automationTimers)
    .where(and(eq(automationTimers.ruleId, ruleId), eq(automationTimers.status, "pending")))
    .orderBy(automationTimers.dueAt)
    .limit(100);
}
