// WhatsApp through Meta's Cloud API: the channel adapter (sending), the webhook's effects, the template registry.
import { and, eq, notInArray, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { ZodError } from "zod";
import type { Env } from "../../app/http.ts";
import { channels } from "../../inbox/schema.ts";
import { channelTemplates } from "../schema.ts";
import { newId } from "../../platform/ids.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../../platform/context.ts";
import {
  ingestInbound,
  contactExternalId,
  applyChannelStatus,
  changeChannelMessage,
  withReaction,
  recordChannelNotice,
} from "../../inbox/service.ts";
import { WHATSAPP_MEDIA } from "../whatsapp-media.ts";
import type { Attachment } from "../../inbox/schema.ts";
import { servesChannel } from "../../inbox/visibility.ts";
import {
  PermanentSendError,
  mediaKind,
  templateMediaHeader,
  type ChannelAdapter,
  type OutboundMessage,
} from "../types.ts";
import { cloudConfig, GraphClient, sendFailure, type CloudConfig } from "./graph.ts";
import { parseWebhook, validSignature, type CloudUpdate, type CloudMedia } from "./inbound.ts";

export const CLOUD = "whatsapp_cloud";

type CloudChannel = { id: string; config: CloudConfig };
const configs = new WeakMap<object, CloudConfig>();
/** A connection's settings, parsed once per stored config object. */
function configOf(raw: Record<string, unknown>) {
  let c = configs.get(raw);
  if (!c) configs.set(raw, (c = cloudConfig.parse(raw)));
  return c;
}

const lists = new WeakMap<Ctx, { at: number; list: Promise<CloudChannel[]> }>();
/**
 * The Cloud API connections, re-read at most every 2 s (webhooks come in bursts). Paused ones too: pausing
 * stops sending, but what customers write is still received and kept.
 */
function cloudChannels(ctx: Ctx) {
  const hit = lists.get(ctx);
  if (hit && Date.now() - hit.at < 2000) return hit.list;
  const list = ctx.db
    .select()
    .from(channels)
    .where(and(eq(channels.type, CLOUD), isNull(channels.deletedAt)))
    .then((rows) =>
      rows.flatMap((r) => {
        try {
          return [{ id: r.id, config: configOf(r.config) }];
        } catch {
          return [];
        }
      }),
    );
  lists.set(ctx, { at: Date.now(), list });
  return list;
}
export function forgetCloudChannels(ctx: Ctx) {
  lists.delete(ctx);
}

// ---------------------------------------------------------------- sending

/** The Graph API message bodies for one outbound message (an attachment each, then text or interactive). */
async function buildPayloads(ctx: Ctx, graph: GraphClient, msg: OutboundMessage): Promise<Record<string, unknown>[]> {
  const c = msg.content;
  if (c?.template) {
    const t = c.template;
    const components: Record<string, unknown>[] = [];
    // the media header is the message's attachment (a library item), uploaded as any attachment is
    const a = t.header ? msg.attachments[0] : undefined;
    if (a) {
      const f = await ctx.files.get(a.fileId);
      if (!f) throw new Error(`attachment ${a.fileId} is missing from the data dir`);
      const type = mediaKind(a.mime);
      const media: Record<string, unknown> = { id: await graph.uploadMedia(f.file, a.mime, a.name) };
      if (type === "document") media.filename = a.name;
      components.push({ type: "header", parameters: [{ type, [type]: media }] });
    }
    if (t.params.length)
      components.push({ type: "body", parameters: t.params.map((text) => ({ type: "text", text })) });
    return [{ type: "template", template: { name: t.name, language: { code: t.language }, components } }];
  }
  if (c?.buttons)
    return [
      {
        type: "interactive",
        interactive: {
          type: "button",
          body: { text: msg.body },
          action: { buttons: c.buttons.map((b) => ({ type: "reply", reply: { id: b.id, title: b.title } })) },
        },
      },
    ];
  if (c?.list)
    return [
      {
        type: "interactive",
        interactive: {
          type: "list",
          body: { text: msg.body },
          action: {
            button: c.list.button,
            sections: c.list.sections.map((s) => ({ ...(s.title ? { title: s.title } : {}), rows: s.rows })),
          },
        },
      },
    ];
  const out: Record<string, unknown>[] = [];
  let caption = msg.body;
  for (const a of msg.attachments) {
    const f = await ctx.files.get(a.fileId);
    if (!f) throw new Error(`attachment ${a.fileId} is missing from the data dir`);
    const id = await graph.uploadMedia(f.file, a.mime, a.name);
    const type = mediaKind(a.mime);
    const media: Record<string, unknown> = { id };
    if (type === "document") media.filename = a.name;
    if (caption && type !== "audio") {
      media.caption = caption;
      caption = "";
    }
    out.push({ type, [type]: media });
  }
  if (caption) out.push({ type: "text", text: { body: caption, preview_url: /https?:\/\//.test(caption) } });
  return out;
}

export function whatsappCloudAdapter(getCtx: () => Ctx): ChannelAdapter {
  return {
    type: CLOUD,
    capabilities: {
      idempotentSend: false,
      attachments: true,
      media: WHATSAPP_MEDIA,
      ratePerSecond: 80,
      interactive: { maxButtons: 3, maxListRows: 10 },
      templates: true,
      replyWindowHours: 24,
      // Meta reports every message back with the tracker we set; a send cut by a crash waits this long for it
      deliveryEcho: { graceMs: 60_000 },
    },
    async markRead(_ctx, channel, to) {
      await new GraphClient(configOf(channel.config)).markRead(to.messageExternalId);
    },
    async send(msg) {
      const ctx = getCtx();
      const cfg = configOf(msg.channel.config);
      const graph = new GraphClient(cfg);
      const to = await contactExternalId(ctx, msg.channel.id, msg.contactId);
      if (!to) throw new PermanentSendError("the contact has no WhatsApp id on this number");
      try {
        const payloads = await buildPayloads(ctx, graph, msg);
        let first: string | undefined;
        for (const [i, p] of payloads.entries()) {
          const body: Record<string, unknown> = { to, ...p, biz_opaque_callback_data: msg.messageId ?? msg.outboxId };
          if (i === 0 && msg.replyToExternalId) body.context = { message_id: msg.replyToExternalId };
          const r = await graph.sendMessage(body);
          first ??= r.messages?.[0]?.id;
        }
        return { externalId: first, status: "sent" };
      } catch (e) {
        throw sendFailure(e);
      }
    },
  };
}

// ---------------------------------------------------------------- receiving

async function fetchMedia(ctx: Ctx, ch: CloudChannel, media: CloudMedia, at: number): Promise<Attachment> {
  const graph = new GraphClient(ch.config, 10_000);
  const info = await graph.mediaInfo(media.id);
  const bytes = await graph.download(info.url, ch.config.maxMediaMb * 1024 * 1024);
  const mime = (info.mime_type || media.mime).split(";")[0].trim();
  const ext = mime.split("/")[1]?.replace(/[^a-z0-9]/gi, "") || "bin";
  const name = media.filename ?? `${media.voice ? "voice" : mediaKind(mime)}-${media.id}.${ext}`;
  return ctx.files.save(new File([bytes], name, { type: mime }), null, at);
}

/** Meta keeps a customer's media for weeks: a download that failed is tried again after 30 s, 5 min and 30 min. */
export const MEDIA_RETRIES_MS = [30_000, 300_000, 1_800_000];
function retryMedia(ctx: Ctx, ch: CloudChannel, externalId: string, media: CloudMedia, at: number, attempt = 0) {
  if (attempt >= MEDIA_RETRIES_MS.length) return;
  const timer = setTimeout(async () => {
    try {
      const att = await fetchMedia(ctx, ch, media, at);
      await changeChannelMessage(ctx, ch.id, externalId, (m) => {
        const { pendingMedia: _, ...content } = m.content ?? {};
        return { attachments: [...m.attachments, att], content };
      });
    } catch {
      retryMedia(ctx, ch, externalId, media, at, attempt + 1);
    }
  }, MEDIA_RETRIES_MS[attempt]);
  (timer as { unref?: () => void }).unref?.();
}

async function apply(ctx: Ctx, ch: CloudChannel, u: CloudUpdate) {
  switch (u.kind) {
    case "message": {
      const attachments: Attachment[] = [];
      let content = u.content;
      if (u.media) {
        try {
          attachments.push(await fetchMedia(ctx, ch, u.media, u.at));
        } catch (e) {
          // the message is kept without its file; the media id stays on it to fetch again later
          ctx.log.warn("whatsapp media download failed", { channelId: ch.id, mediaId: u.media.id, error: String(e) });
          content = {
            ...content,
            pendingMedia: { id: u.media.id, mime: u.media.mime, error: e instanceof Error ? e.message : String(e) },
          };
        }
      }
      const r = await ingestInbound(ctx, {
        channelId: ch.id,
        externalId: u.externalId,
        from: {
          externalId: u.from.waId,
          name: u.from.name,
          phone: /^\d{6,15}$/.test(u.from.waId) ? `+${u.from.waId}` : null,
        },
        body: u.body,
        attachments,
        content,
        replyToExternalId: u.replyToExternalId,
        at: u.at,
      });
      if (content?.pendingMedia && u.media && !r.duplicate) retryMedia(ctx, ch, u.externalId, u.media, u.at);
      return;
    }
    case "reaction":
      await changeChannelMessage(ctx, ch.id, u.targetExternalId, (m) => withReaction(m, "contact", u.emoji, u.at));
      return;
    case "edit":
      await changeChannelMessage(ctx, ch.id, u.targetExternalId, (m) => ({
        body: u.body,
        content: { ...m.content, edited: true },
      }));
      return;
    case "revoke":
      await changeChannelMessage(ctx, ch.id, u.targetExternalId, (m) => ({ content: { ...m.content, deleted: true } }));
      return;
    case "system":
      if (u.type === "user_changed_number" && u.newWaId)
        await recordChannelNotice(
          ctx,
          ch.id,
          u.from.waId,
          "number_changed",
          { phone: `+${u.newWaId}` },
          { newExternalId: u.newWaId, newPhone: `+${u.newWaId}` },
        );
      else await recordChannelNotice(ctx, ch.id, u.from.waId, "identity_changed", {});
      return;
    case "status":
      await applyChannelStatus(ctx, ch.id, { messageId: u.tracker, externalId: u.externalId }, u.status, u.error);
      return;
  }
}

/**
 * The webhook Meta calls for every Cloud API number of the app: GET to verify (hub.challenge), POST with updates.
 * A POST is answered 200 only after everything in it is stored; a bad or missing signature gets 401 and
 * changes nothing.
 */
export function whatsappCloudWebhook() {
  const app = new Hono<Env>();
  app.get("/", async (c) => {
    const ctx = c.get("ctx");
    const mode = c.req.query("hub.mode"),
      token = c.req.query("hub.verify_token"),
      challenge = c.req.query("hub.challenge");
    const known = (await cloudChannels(ctx)).some((ch) => ch.config.verifyToken === token);
    if (mode !== "subscribe" || !token || !known || !challenge)
      throw new AppError(403, "verification_failed", "The verify token does not match any WhatsApp connection");
    return c.text(challenge);
  });
  app.post("/", async (c) => {
    const ctx = c.get("ctx");
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const sig = c.req.header("x-hub-signature-256");
    const signedFor = (await cloudChannels(ctx)).filter((ch) => validSignature(raw, sig, ch.config.appSecret));
    if (!signedFor.length)
      throw new AppError(401, "invalid_signature", "The X-Hub-Signature-256 header is missing or does not match");
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      throw new AppError(400, "invalid_json", "The body is not valid JSON");
    }
    // signed but not shaped as Meta sends it: refused (400), never a 500; what could be read of it is stored
    let updates: ReturnType<typeof parseWebhook>;
    try {
      updates = parseWebhook(payload);
    } catch {
      throw new AppError(400, "invalid_payload", "The webhook body is not a WhatsApp Business Account update");
    }
    let malformed = 0;
    for (const u of updates) {
      const ch = signedFor.find((x) => x.config.phoneNumberId === u.phoneNumberId);
      if (!ch) {
        ctx.log.warn("whatsapp webhook for an unknown number", { phoneNumberId: u.phoneNumberId });
        continue;
      }
      try {
        await apply(ctx, ch, u);
      } catch (e) {
        const bad = e instanceof ZodError || (e instanceof AppError && e.status < 500) || e instanceof TypeError;
        if (!bad) throw e;
        malformed++;
        ctx.log.warn("whatsapp webhook update refused", {
          kind: u.kind,
          error: e instanceof Error ? e.message.slice(0, 300) : String(e),
        });
      }
    }
    if (malformed)
      throw new AppError(400, "invalid_payload", `${malformed} update(s) of the webhook are not valid`, { malformed });
    return c.text("ok");
  });
  return app;
}

// ---------------------------------------------------------------- templates

/** Reads the account's templates from Meta and replaces this connection's registry with them. */
export async function syncTemplates(ctx: Ctx, actor: Actor, channelId: string) {
  assertAdmin(actor);
  const row = await ctx.db.select().from(channels).where(eq(channels.id, channelId)).get();
  if (!row || row.type !== CLOUD) throw notFound("Channel");
  let list;
  try {
    list = await new GraphClient(configOf(row.config)).templates();
  } catch (e) {
    throw new AppError(
      502,
      "provider_error",
      `WhatsApp did not give the templates: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const now = ctx.clock.now();
  return ctx.database.write(async (tx) => {
    const keep: string[] = [];
    for (const t of list) {
      const body = t.components?.find((x) => x.type?.toUpperCase() === "BODY")?.text ?? "";
      const params = Math.max(0, ...[...body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1])));
      const values = {
        name: t.name,
        language: t.language,
        category: t.category ?? "",
        status: t.status,
        body,
        params,
        components: t.components ?? [],
        updatedAt: now,
      };
      const cur = await tx
        .select({ id: channelTemplates.id })
        .from(channelTemplates)
        .where(
          and(
            eq(channelTemplates.channelId, channelId),
            eq(channelTemplates.name, t.name),
            eq(channelTemplates.language, t.language),
          ),
        )
        .get();
      if (cur) {
        await tx.update(channelTemplates).set(values).where(eq(channelTemplates.id, cur.id));
        keep.push(cur.id);
      } else {
        const id = newId(now);
        await tx.insert(channelTemplates).values({ id, channelId, ...values });
        keep.push(id);
      }
    }
    await tx
      .delete(channelTemplates)
      .where(
        and(eq(channelTemplates.channelId, channelId), keep.length ? notInArray(channelTemplates.id, keep) : undefined),
      );
    return { synced: list.length };
  });
}

/**
 * The approved templates of every connection, one per name and language, for an editor that picks one (a rule's,
 * a sequence step's, the order notices'): their variable count and the media their header asks for.
 */
export async function approvedTemplates(ctx: Ctx) {
  const rows = await ctx.db
    .select({
      name: channelTemplates.name,
      language: channelTemplates.language,
      params: channelTemplates.params,
      components: channelTemplates.components,
    })
    .from(channelTemplates)
    .where(eq(channelTemplates.status, "APPROVED"))
    .orderBy(channelTemplates.name, channelTemplates.language);
  const seen = new Set<string>();
  return rows
    .filter((x) => !seen.has(`${x.name}|${x.language}`) && seen.add(`${x.name}|${x.language}`))
    .map((x) => ({ name: x.name, language: x.language, params: x.params, header: templateMediaHeader(x.components) }));
}

/** A connection's templates, for those who serve the channel (servesChannel); others get 404, as for an unknown id. */
export async function listTemplates(ctx: Ctx, actor: Actor, channelId: string) {
  if (!(await servesChannel(ctx.db, actor, channelId))) throw notFound("Channel");
  return ctx.db
    .select()
    .from(channelTemplates)
    .where(eq(channelTemplates.channelId, channelId))
    .orderBy(channelTemplates.name, channelTemplates.language);
}
