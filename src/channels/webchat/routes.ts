import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { and, eq, gt, asc, desc, inArray } from "drizzle-orm";
import type { Env } from "../../app/http.ts";
import { readJson, parseOr400, formBody, clientIp, fileResponse } from "../../app/http.ts";
import { RateLimiter, addressKey } from "../../platform/rate-limit.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { newId, newSecret, hashSecret } from "../../platform/ids.ts";
import { waiter } from "../../platform/realtime.ts";
import { contactIdentities, contacts, conversations, messages } from "../../inbox/schema.ts";
import { ingestInbound, cachedChannel, markReadByCustomer, contactTyping } from "../../inbox/service.ts";
import { normalizePhone } from "../../inbox/contacts.ts";
import { getBusiness, isOpenAt } from "../../setup/service.ts";
import { webchatConfig, type WebchatConfig } from "../service.ts";
import { visitorMessage, authorNames } from "./adapter.ts";
import type { Ctx } from "../../platform/context.ts";
import { visitorQueuePlace } from "../../inbox/assignment.ts";

type Channel = { id: string; type: string; name: string; active: boolean; config: WebchatConfig };
type WEnv = Env & { Variables: Env["Variables"] & { channel: Channel } };

async function loadChannel(ctx: Ctx, id: string): Promise<Channel | null> {
  const ch = await cachedChannel(ctx, id);
  if (ch?.type !== "webchat" || !ch.active) return null;
  return { ...ch, config: webchatConfig.parse(ch.config) };
}

/** A visitor proves who they are with the token issued at session start: "<visitorId>.<secret>". */
async function visitor(c: Context<WEnv>, token?: string | null) {
  const raw = token ?? c.req.header("authorization")?.replace(/^Bearer\s+/i, "") ?? "";
  const [visitorId, secret] = raw.split(".");
  if (!visitorId || !secret) throw new AppError(401, "visitor_token_required", "A visitor token is required");
  const ctx = c.get("ctx");
  const ch = c.get("channel");
  const id = await ctx.db
    .select()
    .from(contactIdentities)
    .where(and(eq(contactIdentities.channelId, ch.id), eq(contactIdentities.externalId, visitorId)))
    .get();
  if (!id || id.secretHash !== hashSecret(secret))
    throw new AppError(401, "visitor_token_invalid", "The visitor token is not valid");
  return { visitorId, contactId: id.contactId };
}

/**
 * Anonymous visitors are limited per client address (sessions an hour, messages and files a minute, as
 * configured) and per visitor (a steady 20 messages a minute), so a script cannot fill the inbox or the disk.
 */
type Limits = { sessions: RateLimiter; byAddress: RateLimiter; byVisitor: RateLimiter; typing: RateLimiter };
const limitsOf = new WeakMap<Ctx, Limits>();
function limits(ctx: Ctx): Limits {
  let l = limitsOf.get(ctx);
  if (!l) {
    const now = () => ctx.clock.now();
    const s = ctx.config.webchat_sessions_per_hour,
      m = ctx.config.webchat_messages_per_minute;
    l = {
      sessions: new RateLimiter(s / 60, Math.max(5, Math.ceil(s / 5)), now),
      byAddress: new RateLimiter(m, Math.max(10, Math.ceil(m / 3)), now),
      byVisitor: new RateLimiter(20, 10, now),
      // the widget says "typing" at most every 3 s while the visitor writes
      typing: new RateLimiter(30, 5, now),
    };
    limitsOf.set(ctx, l);
  }
  return l;
}
function limitMessage(c: Context<WEnv>, visitorId: string) {
  const l = limits(c.get("ctx"));
  const ip = clientIp(c);
  if (ip) l.byAddress.check(`${c.get("channel").id}:${addressKey(ip)}`);
  l.byVisitor.check(`${c.get("channel").id}:${visitorId}`);
}

const prechat = z.strictObject({
  name: z.string().trim().max(120).optional(),
  email: z
    .email()
    .max(200)
    .optional()
    .or(z.literal("").transform(() => undefined)),
  phone: z.string().max(40).optional(),
});

/**
 * The web chat's public API, called by the widget from the customer's browser on the business's website.
 * Every route checks the page's Origin against the channel's allowed origins before doing anything.
 */
export function webchatRoutes() {
  const app = new Hono<WEnv>();

  app.use("/:channelId/*", async (c, next) => {
    const origin = c.req.header("origin");
    const ch = await loadChannel(c.get("ctx"), c.req.param("channelId"));
    if (!ch) throw notFound("Chat");
    const allowed = ch.config.allowedOrigins;
    const own = new URL(c.req.url).origin;
    if (allowed.length && origin !== own && (!origin || !allowed.includes(origin)))
      throw new AppError(403, "origin_not_allowed", "This website is not allowed to use this chat", {
        origin: origin ?? null,
      });
    if (origin) {
      c.header("access-control-allow-origin", origin);
      c.header("vary", "Origin");
      c.header("access-control-allow-headers", "authorization, content-type");
      c.header("access-control-allow-methods", "GET, POST, PATCH, OPTIONS");
      c.header("access-control-max-age", "600");
    }
    if (c.req.method === "OPTIONS") return c.body(null, 204);
    c.set("channel", ch);
    await next();
  });

  app.get("/:channelId/config", async (c) => {
    const ctx = c.get("ctx");
    const ch = c.get("channel");
    const b = await getBusiness(ctx);
    const online = b ? isOpenAt(b, ctx.clock.now()) : true;
    return c.json({
      data: {
        name: b?.name ?? ch.name,
        title: ch.config.title,
        greeting: ch.config.greeting,
        color: ch.config.color,
        preChat: ch.config.preChat,
        online,
        offlineMessage: ch.config.offlineMessage,
        locale:
          ch.config.locale === "auto"
            ? null
            : ch.config.locale === "business"
              ? b?.locale === "en"
                ? "en"
                : "es"
              : ch.config.locale,
        maxUploadBytes: ctx.files.limitBytes,
      },
    });
  });

  // Starts a visitor: a contact and an identity whose secret only this browser holds (kept in localStorage).
  app.post("/:channelId/sessions", async (c) => {
    const ctx = c.get("ctx");
    const ch = c.get("channel");
    const ip = clientIp(c);
    if (ip) limits(ctx).sessions.check(`${ch.id}:${addressKey(ip)}`);
    const body = c.req.header("content-type")?.includes("json") ? await readJson(c, prechat) : {};
    const country = (await getBusiness(ctx))?.country ?? "MX";
    const phone = body.phone ? normalizePhone(body.phone, country) : null;
    const visitorId = newId();
    const secret = newSecret();
    const now = ctx.clock.now();
    const contactId = newId(now);
    await ctx.database.write(async (tx, after) => {
      await tx.insert(contacts).values({
        id: contactId,
        name: body.name ?? "",
        email: body.email?.toLowerCase() ?? null,
        phone,
        attributes: { source: "webchat", page: (c.req.header("referer") ?? "").slice(0, 300) },
        createdAt: now,
        updatedAt: now,
      });
      await tx
        .insert(contactIdentities)
        .values({ channelId: ch.id, externalId: visitorId, contactId, secretHash: hashSecret(secret), createdAt: now });
      await ctx.events.record(tx, after, {
        type: "contacts.created",
        actor: { type: "contact", id: contactId },
        data: { contactId, channelId: ch.id, lead: !!(body.email || body.phone) },
      });
    });
    return c.json({ data: { token: `${visitorId}.${secret}`, visitorId } }, 201);
  });

  // Lead capture after the chat started (pre-chat form shown later, or the visitor corrects their data).
  app.patch("/:channelId/contact", async (c) => {
    const ctx = c.get("ctx");
    const v = await visitor(c);
    const body = await readJson(c, prechat);
    const country = (await getBusiness(ctx))?.country ?? "MX";
    const phone = body.phone ? normalizePhone(body.phone, country) : undefined;
    await ctx.database.write(async (tx, after) => {
      await tx
        .update(contacts)
        .set({
          ...(body.name ? { name: body.name } : {}),
          ...(body.email ? { email: body.email.toLowerCase() } : {}),
          ...(phone ? { phone } : {}),
          updatedAt: ctx.clock.now(),
        })
        .where(eq(contacts.id, v.contactId));
      await ctx.events.record(tx, after, {
        type: "contacts.updated",
        actor: { type: "contact", id: v.contactId },
        data: { contactId: v.contactId, fields: Object.keys(body), lead: true },
      });
    });
    return c.json({ data: { ok: true } });
  });

  const sendBody = z.strictObject({
    clientId: z.string().min(8).max(64),
    body: z.string().max(5000),
    /** a quick reply tapped: the option's id (the body is its title) */
    choice: z
      .strictObject({
        id: z.string().min(1).max(256),
        title: z.string().max(100),
        /** a product card's quantity (its + and −) */
        quantity: z.number().int().min(1).max(99).optional(),
      })
      .optional(),
  });
  app.post("/:channelId/messages", async (c) => {
    const ctx = c.get("ctx");
    const v = await visitor(c);
    limitMessage(c, v.visitorId);
    const b = await readJson(c, sendBody);
    const r = await ingestInbound(ctx, {
      channelId: c.get("channel").id,
      externalId: `${v.visitorId}:${b.clientId}`,
      from: { externalId: v.visitorId },
      body: b.body,
      ...(b.choice ? { content: { kind: "quick_reply", choice: b.choice } } : {}),
    });
    return c.json({ data: visitorMessage(r.message), duplicate: r.duplicate }, r.duplicate ? 200 : 201);
  });

  app.post("/:channelId/attachments", async (c) => {
    const ctx = c.get("ctx");
    const v = await visitor(c);
    limitMessage(c, v.visitorId);
    const len = Number(c.req.header("content-length") ?? 0);
    if (len > ctx.files.limitBytes + 64 * 1024)
      throw new AppError(413, "file_too_large", "The file is too large", { max: ctx.files.limitBytes });
    const form = await formBody(c);
    const file = form.file;
    const clientId = parseOr400(z.string().min(8).max(64), form.clientId);
    if (!(file instanceof File))
      throw new AppError(400, "file_required", "Send the file in a multipart field named file", { field: "file" });
    const att = await ctx.files.save(file, null, ctx.clock.now());
    const r = await ingestInbound(ctx, {
      channelId: c.get("channel").id,
      externalId: `${v.visitorId}:${clientId}`,
      from: { externalId: v.visitorId },
      body: typeof form.body === "string" ? form.body.slice(0, 5000) : "",
      attachments: [att],
    });
    return c.json({ data: visitorMessage(r.message) }, 201);
  });

  // The visitor is writing: the consoles that may see their latest conversation show it. Nothing is stored; past
  // the limit the call is simply ignored.
  app.post("/:channelId/typing", async (c) => {
    const ctx = c.get("ctx");
    const v = await visitor(c);
    const ch = c.get("channel");
    if (limits(ctx).typing.take(`${ch.id}:${v.visitorId}`)) return c.body(null, 204);
    const conv = await ctx.db
      .select()
      .from(conversations)
      .where(and(eq(conversations.contactId, v.contactId), eq(conversations.channelId, ch.id)))
      .orderBy(desc(conversations.lastMessageAt))
      .get();
    if (conv && conv.status !== "resolved") contactTyping(ctx, conv);
    return c.body(null, 204);
  });

  // Read receipts: the widget says which of the business's messages the visitor has seen.
  app.post("/:channelId/read", async (c) => {
    const ctx = c.get("ctx");
    const v = await visitor(c);
    const { upTo } = await readJson(c, z.strictObject({ upTo: z.string().min(1).max(64) }));
    return c.json({
      data: {
        read: await markReadByCustomer(ctx, await visitorConversationIds(ctx, c.get("channel").id, v.contactId), upTo),
      },
    });
  });

  app.get("/:channelId/messages", async (c) => {
    const v = await visitor(c);
    const after = z.string().max(64).optional().parse(c.req.query("after"));
    return c.json({ data: await visitorHistory(c.get("ctx"), c.get("channel").id, v.contactId, after) });
  });

  // Live updates. EventSource cannot send headers, so the token rides in the query; Last-Event-ID (or ?after)
  // is the last message id the widget has, and everything newer is replayed before going live.
  app.get("/:channelId/stream", async (c) => {
    const ctx = c.get("ctx");
    const v = await visitor(c, c.req.query("token"));
    const after = c.req.header("last-event-id") || c.req.query("after") || undefined;
    const ch = c.get("channel");
    return streamSSE(c, async (stream) => {
      let open = true;
      const queue: { event: string; data: string; id?: string }[] = [];
      const w = waiter();
      const remove = ctx.hub.add({
        id: newId(),
        kind: "visitor",
        principal: `${ch.id}:${v.contactId}`,
        send: (event, data, id) => {
          queue.push({ event, data: JSON.stringify(data), id });
          w.wake();
        },
        close: () => {
          open = false;
          w.wake();
        },
      });
      stream.onAbort(() => {
        open = false;
        remove();
        w.wake();
      });
      for (const m of await visitorHistory(ctx, ch.id, v.contactId, after))
        await stream.writeSSE({ event: "message", data: JSON.stringify(m), id: m.id });
      await stream.writeSSE({ event: "ready", data: "{}" });
      // waiting in the queue: the place and estimate now; changes come live
      const place = await visitorQueuePlace(ctx, ch.id, v.contactId);
      if (place) await stream.writeSSE({ event: "queue", data: JSON.stringify(place) });
      while (open) {
        while (queue.length) await stream.writeSSE(queue.shift()!);
        await w.wait(15_000);
        if (!queue.length && open) await stream.writeSSE({ event: "ping", data: "{}" });
      }
      remove();
    });
  });

  app.get("/:channelId/files/:fileId", async (c) => {
    const ctx = c.get("ctx");
    const v = await visitor(c, c.req.query("token"));
    const f = await ctx.files.get(c.req.param("fileId"));
    if (!f?.row.conversationId) throw notFound("File");
    const conv = await ctx.db.select().from(conversations).where(eq(conversations.id, f.row.conversationId)).get();
    if (!conv || conv.contactId !== v.contactId) throw notFound("File");
    return fileResponse(f.file, f.row.mime, f.row.name);
  });

  return app;
}

/** The visitor's conversations on this channel, past and present. */
async function visitorConversationIds(ctx: Ctx, channelId: string, contactId: string) {
  const convs = await ctx.db
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.contactId, contactId), eq(conversations.channelId, channelId)));
  return convs.map((x) => x.id);
}

/** What the visitor may see: the non-private messages of their conversations on this channel. */
async function visitorHistory(ctx: Ctx, channelId: string, contactId: string, after?: string) {
  const ids = await visitorConversationIds(ctx, channelId, contactId);
  if (!ids.length) return [];
  const conds = [inArray(messages.conversationId, ids), eq(messages.private, false)];
  if (after) conds.push(gt(messages.id, after));
  const rows = await ctx.db
    .select()
    .from(messages)
    .where(and(...conds))
    .orderBy(asc(messages.id))
    .limit(500);
  const names = await authorNames(ctx, rows);
  return rows.map((m) => visitorMessage(m, names));
}
