// AI agents: created and tuned by the owner (manual 6.13). Which agent answers a new conversation is decided
// from a cache of the active agents (read on every inbound message, inside ingest's transaction), rebuilt after
// every change.
import { z } from "zod";
import { asc, eq, inArray, isNull, and } from "drizzle-orm";
import { agents, type HandoffRules } from "./schema.ts";
import { channels, conversations } from "../inbox/schema.ts";
import { departments } from "../auth/schema.ts";
import { newId } from "../platform/ids.ts";
import { badRequest, conflict, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { patchOf, idRef } from "../platform/validation.ts";
import { TOOL_NAMES } from "./tools.ts";
import { requestAssignment } from "../inbox/assignment.ts";

export type Agent = typeof agents.$inferSelect;

export const handoffInput = z.strictObject({
  keywords: z.array(z.string().trim().min(2).max(60)).max(50).default([]),
  maxBotReplies: z.number().int().min(0).max(100).default(0),
  onNegativeSentiment: z.boolean().default(true),
  departmentId: idRef.nullable().default(null),
  message: z.string().trim().max(500).default(""),
  /** a conversation the customer left silent this long is resolved by the agent (0: never); their next message reopens it */
  idleResolveHours: z.number().int().min(0).max(720).default(12),
});

export const agentInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  persona: z.string().trim().max(2000).default(""),
  tone: z.enum(["friendly", "formal", "concise"]).default("friendly"),
  instructions: z.string().trim().max(8000).default(""),
  language: z.enum(["auto", "es", "en"]).default("auto"),
  channelIds: z.array(z.string().min(1)).max(50).default([]),
  departmentIds: z.array(z.string().min(1)).max(50).default([]),
  tools: z.array(z.enum(TOOL_NAMES)).max(TOOL_NAMES.length).default(["search_products", "order_status", "handoff"]),
  handoff: handoffInput.default(handoffInput.parse({})),
  burstMs: z.number().int().min(0).max(30_000).default(2500),
  useModel: z.boolean().default(true),
  active: z.boolean().default(true),
});
export const agentPatch = patchOf(agentInput);

type Routing = { byChannel: Map<string, string>; byDepartment: Map<string, string> };
const routings = new WeakMap<Ctx, Routing>();

/** Loads the routing cache and plugs it into ingest (ctx.agentFor). Called once when the context is built. */
export async function wireAgents(ctx: Ctx) {
  await refreshRouting(ctx);
  ctx.agentFor = (channelId, departmentId) => {
    const r = routings.get(ctx);
    return r?.byChannel.get(channelId) ?? (departmentId ? r?.byDepartment.get(departmentId) : undefined) ?? null;
  };
}

async function refreshRouting(ctx: Ctx) {
  const rows = await ctx.db.select().from(agents).where(eq(agents.active, true)).orderBy(asc(agents.createdAt));
  const r: Routing = { byChannel: new Map(), byDepartment: new Map() };
  for (const a of rows) {
    for (const c of a.channelIds) if (!r.byChannel.has(c)) r.byChannel.set(c, a.id);
    for (const d of a.departmentIds) if (!r.byDepartment.has(d)) r.byDepartment.set(d, a.id);
  }
  routings.set(ctx, r);
}

/** Checks what an agent points at, and that no other active agent already answers one of its channels. */
async function validate(ctx: Ctx, a: z.output<typeof agentInput>, selfId: string | null) {
  if (a.channelIds.length) {
    const found = await ctx.db
      .select({ id: channels.id })
      .from(channels)
      .where(and(inArray(channels.id, a.channelIds), isNull(channels.deletedAt)));
    const missing = a.channelIds.filter((id) => !found.some((f) => f.id === id));
    if (missing.length)
      throw badRequest("unknown_channel", "A channel does not exist", { field: "channelIds", ids: missing });
  }
  const deptIds = [...a.departmentIds, ...(a.handoff.departmentId ? [a.handoff.departmentId] : [])];
  if (deptIds.length) {
    const found = await ctx.db.select({ id: departments.id }).from(departments).where(inArray(departments.id, deptIds));
    const missing = deptIds.filter((id) => !found.some((f) => f.id === id));
    if (missing.length)
      throw badRequest("unknown_department", "A department does not exist", { field: "departmentIds", ids: missing });
  }
  if (a.active) {
    const others = (await ctx.db.select().from(agents).where(eq(agents.active, true))).filter((o) => o.id !== selfId);
    for (const o of others) {
      const c = a.channelIds.find((id) => o.channelIds.includes(id));
      if (c)
        throw conflict("channel_taken", `The agent ${o.name} already answers this channel`, {
          field: "channelIds",
          channelId: c,
          agent: o.name,
        });
      const d = a.departmentIds.find((id) => o.departmentIds.includes(id));
      if (d)
        throw conflict("department_taken", `The agent ${o.name} already answers this department`, {
          field: "departmentIds",
          departmentId: d,
          agent: o.name,
        });
    }
  }
}

export async function listAgents(ctx: Ctx) {
  return ctx.db.select().from(agents).orderBy(asc(agents.name));
}

export async function getAgent(ctx: Ctx, id: string) {
  return (await ctx.db.select().from(agents).where(eq(agents.id, id)).get()) ?? null;
}

export async function createAgent(ctx: Ctx, actor: Actor, input: z.input<typeof agentInput>) {
  assertAdmin(actor);
  const a = agentInput.parse(input);
  await validate(ctx, a, null);
  const now = ctx.clock.now();
  const row: Agent = { id: newId(now), ...a, handoff: a.handoff as HandoffRules, createdAt: now, updatedAt: now };
  await ctx.database.write((tx) => tx.insert(agents).values(row));
  await refreshRouting(ctx);
  return row;
}

export async function updateAgent(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof agentPatch>) {
  assertAdmin(actor);
  const p = agentPatch.parse(input);
  const cur = await getAgent(ctx, id);
  if (!cur) throw notFound("Agent");
  const { id: _id, createdAt: _c, updatedAt: _u, ...editable } = cur;
  const next = agentInput.parse({ ...editable, ...p, handoff: { ...cur.handoff, ...(p.handoff ?? {}) } });
  await validate(ctx, next, id);
  const row: Agent = { ...cur, ...next, handoff: next.handoff as HandoffRules, updatedAt: ctx.clock.now() };
  await ctx.database.write(async (tx) => {
    await tx.update(agents).set(row).where(eq(agents.id, id));
    // a paused agent answers nobody: its conversations go to people rather than wait for it
    if (!row.active)
      await tx
        .update(conversations)
        .set({ ownerType: "queue", updatedAt: ctx.clock.now() })
        .where(and(eq(conversations.agentId, id), eq(conversations.ownerType, "bot")));
  });
  await refreshRouting(ctx);
  // the conversations it handed to the queue get their turn of assignment now (not at the next sweep)
  if (!row.active) requestAssignment(ctx, null);
  return row;
}

/** Deleting an agent gives its open conversations to people (the foreign key clears their agent). */
export async function deleteAgent(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  if (!(await getAgent(ctx, id))) throw notFound("Agent");
  await ctx.database.write(async (tx) => {
    await tx
      .update(conversations)
      .set({ ownerType: "queue", updatedAt: ctx.clock.now() })
      .where(and(eq(conversations.agentId, id), eq(conversations.ownerType, "bot")));
    await tx.delete(agents).where(eq(agents.id, id));
  });
  await refreshRouting(ctx);
  requestAssignment(ctx, null);
}
