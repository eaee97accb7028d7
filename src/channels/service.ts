import { z } from "zod";
import { eq, asc, and, desc, count, isNull, inArray } from "drizzle-orm";
import { outbox } from "../platform/schema.ts";
import { channels, messages, conversations } from "../inbox/schema.ts";
import { departments } from "../auth/schema.ts";
import { newId } from "../platform/ids.ts";
import { badRequest, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { patchOf, idRef } from "../platform/validation.ts";
import { CHANNEL_SECRET_KEYS, keepsSecret, maskFields } from "../platform/secrets.ts";
import { forgetChannels, cachedChannel, contactExternalId } from "../inbox/service.ts";
import { cloudConfig } from "./whatsapp-cloud/graph.ts";
import { CLOUD, forgetCloudChannels } from "./whatsapp-cloud/service.ts";
import { QR, qrConfig } from "./whatsapp-qr/service.ts";

export const webchatConfig = z.strictObject({
  /** origins (scheme://host[:port]) allowed to embed the widget; empty = any */
  allowedOrigins: z
    .array(
      z
        .string()
        .trim()
        .regex(/^https?:\/\/[^/\s]+$/, "expected an origin such as https://example.com"),
    )
    .max(50)
    .default([]),
  title: z.string().max(80).default(""),
  greeting: z.string().max(500).default(""),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/)
    .default("#0f766e"),
  preChat: z
    .object({
      enabled: z.boolean().default(false),
      fields: z.array(z.enum(["name", "email", "phone"])).default(["name", "email"]),
      required: z.boolean().default(true),
    })
    .default({ enabled: false, fields: ["name", "email"], required: true }),
  offlineMessage: z.string().max(500).default(""),
  /** the widget's language: the business's (default), one set here, or auto (the visitor's browser) */
  locale: z.enum(["business", "es", "en", "auto"]).default("business"),
});
export type WebchatConfig = z.infer<typeof webchatConfig>;

const configSchemas: Record<string, z.ZodType> = {
  webchat: webchatConfig,
  api: z.strictObject({
    callbackUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .nullish(),
    secret: z.string().max(200).nullish(),
  }),
  [CLOUD]: cloudConfig,
  [QR]: qrConfig,
};

/** Settings that are written but never shown again (tokens, secrets): answers carry only their last 4 characters. */
const secretKeys = CHANNEL_SECRET_KEYS;
export function publicChannel<T extends { config: Record<string, unknown> }>(ch: T): T {
  return { ...ch, config: maskFields(ch.config, secretKeys) };
}

export const channelInput = z.strictObject({
  type: z.enum(["webchat", "api", CLOUD, QR]),
  name: z.string().trim().min(1).max(80),
  departmentId: idRef.nullish(),
  config: z.record(z.string(), z.unknown()).default({}),
  active: z.boolean().default(true),
});

function parseConfig(type: string, cfg: unknown) {
  const schema = configSchemas[type];
  if (!schema) throw badRequest("unknown_channel_type", `Unknown channel type ${type}`);
  const r = schema.safeParse(cfg);
  if (!r.success)
    throw badRequest("invalid_channel_config", "The channel settings are not valid", {
      issues: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  return r.data as Record<string, unknown>;
}

export const channelPatch = patchOf(channelInput.omit({ type: true }));

export async function createChannel(ctx: Ctx, actor: Actor, input: z.input<typeof channelInput>) {
  assertAdmin(actor);
  const c = channelInput.parse(input);
  const config = parseConfig(c.type, c.config);
  return ctx.database
    .write(async (tx) => {
      if (
        c.departmentId &&
        !(await tx.select({ id: departments.id }).from(departments).where(eq(departments.id, c.departmentId)).get())
      )
        throw badRequest("unknown_department", "The department does not exist", { field: "departmentId" });
      const row = {
        id: newId(),
        type: c.type,
        name: c.name,
        departmentId: c.departmentId ?? null,
        config,
        active: c.active,
        createdAt: ctx.clock.now(),
        deletedAt: null,
      };
      await tx.insert(channels).values(row);
      return row;
    })
    .finally(() => forgetCloudChannels(ctx));
}

export async function updateChannel(ctx: Ctx, actor: Actor, id: string, input: z.input<typeof channelPatch>) {
  assertAdmin(actor);
  const p = channelPatch.parse(input);
  return ctx.database
    .write(async (tx) => {
      const cur = await tx.select().from(channels).where(eq(channels.id, id)).get();
      if (!cur) throw notFound("Channel");
      // a secret sent back as shown (••••1234) or empty means "unchanged"
      const given = p.config
        ? Object.fromEntries(Object.entries(p.config).filter(([k, v]) => !(secretKeys.has(k) && keepsSecret(v))))
        : undefined;
      const config = given ? parseConfig(cur.type, { ...cur.config, ...given }) : undefined;
      const r = await tx
        .update(channels)
        .set({
          ...(p.name ? { name: p.name } : {}),
          ...(p.departmentId !== undefined ? { departmentId: p.departmentId ?? null } : {}),
          ...(p.active !== undefined ? { active: p.active } : {}),
          ...(config ? { config } : {}),
        })
        .where(eq(channels.id, id))
        .returning();
      return r[0];
    })
    .finally(() => {
      forgetChannels(ctx);
      forgetCloudChannels(ctx);
      ctx.outbox.kick(true);
    });
}

export async function listChannels(ctx: Ctx) {
  return ctx.db.select().from(channels).where(isNull(channels.deletedAt)).orderBy(asc(channels.createdAt));
}

/** A connection, or null when there is none (or it was deleted). */
export async function getChannel(ctx: Ctx, id: string) {
  return (
    (await ctx.db
      .select()
      .from(channels)
      .where(and(eq(channels.id, id), isNull(channels.deletedAt)))
      .get()) ?? null
  );
}

/**
 * Deletes a connection: its conversations keep their history (the row stays, marked deleted), nothing more is
 * received or sent through it, replies still waiting fail with the reason, and the provider side is let go of
 * (a QR-paired number is logged out, so it disappears from the phone's linked devices).
 */
export async function deleteChannel(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  const ch = await getChannel(ctx, id);
  if (!ch) throw notFound("Channel");
  const now = ctx.clock.now();
  const reason = "the connection was deleted";
  await ctx.database.write(async (tx) => {
    await tx.update(channels).set({ active: false, deletedAt: now }).where(eq(channels.id, id));
    const waiting = tx
      .select({ id: outbox.messageId })
      .from(outbox)
      .where(and(eq(outbox.channelId, id), inArray(outbox.status, ["pending", "sending"])));
    await tx.update(messages).set({ status: "failed", error: reason }).where(inArray(messages.id, waiting));
    await tx
      .update(outbox)
      .set({ status: "failed", lastError: reason, updatedAt: now })
      .where(and(eq(outbox.channelId, id), inArray(outbox.status, ["pending", "sending"])));
  });
  forgetChannels(ctx);
  forgetCloudChannels(ctx);
  await ctx.channels.get(ch.type)?.removed?.(ctx, id);
  return { id, deleted: true };
}

/** A connection's outbound counters (the outbox's rows by state) and its latest delivery error. */
export async function channelStats(ctx: Ctx, channelId: string) {
  const rows = await ctx.db
    .select({ status: outbox.status, n: count() })
    .from(outbox)
    .where(eq(outbox.channelId, channelId))
    .groupBy(outbox.status);
  const by = Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
  const last = await ctx.db
    .select({ error: outbox.lastError, at: outbox.updatedAt })
    .from(outbox)
    .where(and(eq(outbox.channelId, channelId), eq(outbox.status, "failed")))
    .orderBy(desc(outbox.updatedAt))
    .limit(1)
    .get();
  return {
    queued: (by.pending ?? 0) + (by.sending ?? 0),
    sent: by.sent ?? 0,
    failed: by.failed ?? 0,
    lastError: last?.error ?? null,
    lastErrorAt: last?.at ?? null,
  };
}

/**
 * An agent opening a conversation marks the customer's last message read on their side, on channels that can
 * (WhatsApp's blue ticks). Called once per app.
 */
export function wireReadReceipts(ctx: Ctx) {
  ctx.events.on("inbox.conversation_read", async (e) => {
    if (!e.conversationId) return;
    const conv = await ctx.db
      .select({ channelId: conversations.channelId, contactId: conversations.contactId })
      .from(conversations)
      .where(eq(conversations.id, e.conversationId))
      .get();
    const ch = conv ? await cachedChannel(ctx, conv.channelId) : undefined;
    const adapter = ch ? ctx.channels.get(ch.type) : undefined;
    if (!conv || !ch || !adapter?.markRead) return;
    const last = await ctx.db
      .select({ externalId: messages.externalId })
      .from(messages)
      .where(and(eq(messages.conversationId, e.conversationId), eq(messages.direction, "in")))
      .orderBy(desc(messages.id))
      .limit(1)
      .get();
    const to = await contactExternalId(ctx, conv.channelId, conv.contactId);
    if (!last?.externalId || !to) return;
    await adapter
      .markRead(ctx, ch, { contactExternalId: to, messageExternalId: last.externalId })
      .catch((err) => ctx.log.warn("read receipt failed", { channelId: ch.id, error: String(err) }));
  });
}
