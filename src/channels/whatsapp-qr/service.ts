// WhatsApp paired by QR (WhatsApp Web's multi-device protocol through Baileys): no Meta account needed.
// One live connection per number; it pairs (QR or phone code), keeps its session in the database, reconnects with
// backoff and jitter, tells logged-out and banned apart, and maps messages both ways.
// Baileys (~400 modules) is loaded on first use, not at start-up: most installs never pair a number by QR.
import type { AnyMessageContent, AuthenticationState, WAMessage, WAMessageKey } from "baileys";
import { eq, and, isNull } from "drizzle-orm";
import { createHash } from "node:crypto";
import { z } from "zod";
import { channels } from "../../inbox/schema.ts";
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
import { mediaKind, type ChannelAdapter, type OutboundMessage } from "../types.ts";
import type { WaUpdate } from "./inbound.ts";

const auth = () => import("./auth.ts");
const inbound = () => import("./inbound.ts");
/** Baileys' DisconnectReason codes this module acts on */
const LOGGED_OUT = 401,
  FORBIDDEN = 403,
  RESTART_REQUIRED = 515;

export const QR = "whatsapp_qr";

export const qrConfig = z.strictObject({
  /** messages per second: a phone number, so slow by default */
  ratePerSecond: z.number().positive().max(20).default(1),
  /** a random extra pause before each message, in ms */
  jitterMs: z.number().int().min(0).max(60_000).default(1500),
  /** also take messages from groups the number is in */
  groups: z.boolean().default(false),
});

/** What DigyBot uses of a Baileys socket. Tests hand in a double that emits the real event shapes. */
export type QrSocket = {
  // biome-ignore lint/suspicious/noExplicitAny: baileys types each event differently; handlers check what they read
  ev: { on(event: string, fn: (arg: any) => void): void };
  user?: { id: string; name?: string; lid?: string } | null;
  sendMessage(
    jid: string,
    content: AnyMessageContent,
    options?: { quoted?: WAMessage; messageId?: string },
  ): Promise<WAMessage | undefined>;
  readMessages(keys: WAMessageKey[]): Promise<void>;
  requestPairingCode(phone: string): Promise<string>;
  logout(msg?: string): Promise<void>;
  end(error: Error | undefined): void;
  /** the bytes of a received media message (Baileys downloads and decrypts them) */
  downloadMedia(msg: WAMessage): Promise<Buffer>;
};
export type QrSocketFactory = (opts: {
  auth: AuthenticationState;
  channelId: string;
  log: Ctx["log"];
}) => QrSocket | Promise<QrSocket>;

/** The real thing: Baileys' socket to WhatsApp's servers. */
export const baileysSocket: QrSocketFactory = async ({ auth, log }) => {
  const { default: makeWASocket, Browsers, downloadMediaMessage } = await import("baileys");
  const logger = {
    level: "silent",
    child: () => logger,
    trace() {},
    debug() {},
    info() {},
    warn: (o: unknown, m?: string) => log.debug("baileys", { o: String(m ?? o) }),
    error: (o: unknown, m?: string) => log.warn("baileys", { o: String(m ?? o) }),
    fatal: (o: unknown, m?: string) => log.error("baileys", { o: String(m ?? o) }),
  };
  const sock = makeWASocket({
    auth,
    logger: logger as never,
    browser: Browsers.ubuntu("DigyBot"),
    markOnlineOnConnect: false,
    syncFullHistory: false,
  });
  return Object.assign(sock as unknown as QrSocket, {
    downloadMedia: (msg: WAMessage) =>
      downloadMediaMessage(
        msg,
        "buffer",
        {},
        { logger: logger as never, reuploadRequest: sock.updateMediaMessage },
      ) as Promise<Buffer>,
  });
};

export type QrState = "stopped" | "connecting" | "qr" | "open" | "reconnecting" | "logged_out" | "banned";
export type QrStatus = {
  state: QrState;
  qr: string | null;
  pairingCode: string | null;
  lastError: string | null;
  me: string | null;
  attempts: number;
  since: number;
};

const MAX_BACKOFF_MS = 60_000;
type QrOptions = { groups?: boolean; backoffMs?: number };

/** One number's live connection. */
export class QrConnection {
  status: QrStatus = {
    state: "stopped",
    qr: null,
    pairingCode: null,
    lastError: null,
    me: null,
    attempts: 0,
    since: Date.now(),
  };
  private sock: QrSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;
  private listeners = new Set<(s: QrStatus) => void>();
  private creds: AuthenticationState["creds"] | null = null;

  constructor(
    private ctx: Ctx,
    readonly channelId: string,
    private factory: QrSocketFactory,
    private opts: QrOptions = {},
  ) {}

  get socket() {
    return this.status.state === "open" ? this.sock : null;
  }
  onChange(fn: (s: QrStatus) => void) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  private set(patch: Partial<QrStatus>) {
    const changedState = patch.state && patch.state !== this.status.state;
    this.status = { ...this.status, ...patch, ...(changedState ? { since: Date.now() } : {}) };
    for (const fn of this.listeners) fn(this.status);
  }

  /** Opens the socket (a new pairing shows a QR; a stored session reconnects). */
  async start() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const gen = ++this.generation;
    this.sock?.end(undefined);
    const a = await (await auth()).dbAuthState(this.ctx, this.channelId);
    const { statusOf } = await inbound(); // loaded before the socket exists: no event can come before its handler
    const row = await this.ctx.db
      .select({ config: channels.config })
      .from(channels)
      .where(eq(channels.id, this.channelId))
      .get();
    this.opts.groups = !!row?.config.groups;
    if (gen !== this.generation) return;
    this.set({ state: this.status.attempts ? "reconnecting" : "connecting", qr: null, pairingCode: null });
    this.creds = a.state.creds;
    const sock = await this.factory({ auth: a.state, channelId: this.channelId, log: this.ctx.log });
    if (gen !== this.generation) {
      sock.end(undefined);
      return;
    }
    this.sock = sock;
    const mine = () => gen === this.generation; // events of a replaced socket are ignored
    sock.ev.on("creds.update", () => {
      if (mine()) void a.saveCreds().catch((e) => this.ctx.log.error("whatsapp creds not saved", { error: String(e) }));
    });
    sock.ev.on(
      "connection.update",
      (u: {
        connection?: string;
        qr?: string;
        lastDisconnect?: { error?: Error & { output?: { statusCode?: number } } };
      }) => {
        if (!mine()) return;
        if (u.qr) this.set({ state: "qr", qr: u.qr });
        if (u.connection === "open") {
          this.set({
            state: "open",
            qr: null,
            pairingCode: null,
            lastError: null,
            attempts: 0,
            me: sock.user?.id ?? null,
          });
          this.ctx.outbox.kick(true); // replies that waited for the number go out now
        }
        if (u.connection === "close")
          this.closed(u.lastDisconnect?.error).catch((e) =>
            this.ctx.log.error("whatsapp close not handled", { error: String(e) }),
          );
      },
    );
    sock.ev.on("messages.upsert", (u: { messages: WAMessage[]; type: string }) => {
      if (!mine() || (u.type !== "notify" && u.type !== "append")) return;
      void this.receive(u.messages).catch((e) =>
        this.ctx.log.error("whatsapp message not stored", { channelId: this.channelId, error: String(e) }),
      );
    });
    sock.ev.on("messages.update", (list: { key: WAMessageKey; update: { status?: number } }[]) => {
      if (!mine()) return;
      for (const { key, update } of list) {
        const st = statusOf(update.status);
        if (key.fromMe && key.id && st)
          void applyChannelStatus(
            this.ctx,
            this.channelId,
            { externalId: key.id },
            st,
            st === "failed" ? "WhatsApp did not deliver the message" : null,
          ).catch(() => {});
      }
    });
    sock.ev.on("lid-mapping.update", (m: { lid: string; pn: string }) => {
      if (mine()) void this.mapLid(m.lid, m.pn);
    });
    await a.saveCreds();
  }

  /** Why the socket closed decides what comes next: pair again, stop for good, or reconnect with backoff. */
  private async closed(error?: Error & { output?: { statusCode?: number } }) {
    const code = error?.output?.statusCode;
    const message = error?.message ?? "connection closed";
    if (code === LOGGED_OUT) {
      this.generation++;
      this.set({
        state: "logged_out",
        qr: null,
        lastError: "logged out from the phone: pair the number again",
        attempts: 0,
      });
      await (await auth()).clearAuthState(this.ctx, this.channelId);
      return;
    }
    if (code === FORBIDDEN) {
      this.generation++;
      this.set({ state: "banned", qr: null, lastError: "WhatsApp refused this number (banned or restricted)" });
      return;
    }
    if (!this.creds?.me && this.status.state === "qr") {
      // nobody scanned the QR in time: wait for the owner to ask again rather than pairing forever
      this.generation++;
      this.set({ state: "stopped", qr: null, lastError: "the QR code expired: start the pairing again" });
      return;
    }
    const attempts = this.status.attempts + 1;
    const delay =
      code === RESTART_REQUIRED
        ? 0
        : Math.min(MAX_BACKOFF_MS, (this.opts.backoffMs ?? 1000) * 2 ** (attempts - 1)) * (0.5 + Math.random());
    this.set({ state: "reconnecting", lastError: `${message}${code ? ` (${code})` : ""}`, attempts });
    if (this.timer) clearTimeout(this.timer);
    const gen = this.generation;
    this.timer = setTimeout(() => {
      if (gen === this.generation)
        void this.start().catch((e) => this.ctx.log.error("whatsapp reconnect failed", { error: String(e) }));
    }, delay);
  }

  async requestPairingCode(phone: string) {
    if (!this.sock || this.status.state === "open")
      throw new AppError(409, "not_pairing", "The number is not waiting to be paired");
    const code = await this.sock.requestPairingCode(phone.replace(/\D/g, ""));
    this.set({ pairingCode: code });
    return code;
  }

  async logout() {
    const sock = this.sock;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    try {
      await sock?.logout();
    } catch {
      /* already closed */
    }
    sock?.end(undefined);
    this.sock = null;
    await (await auth()).clearAuthState(this.ctx, this.channelId);
    this.set({ state: "logged_out", qr: null, pairingCode: null, lastError: null, me: null });
  }

  stop() {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sock?.end(undefined);
    this.sock = null;
    this.set({ state: "stopped", qr: null });
  }

  private async mapLid(lidJid: string, pnJid: string) {
    const lid = lidJid.split("@")[0].split(":")[0],
      pn = pnJid.split("@")[0].split(":")[0];
    if (!lid || !pn) return;
    await (await auth()).rememberLid(this.ctx, this.channelId, lid, pn);
    // a contact first known by the LID becomes the same contact under the phone number
    await recordChannelNotice(
      this.ctx,
      this.channelId,
      `lid:${lid}`,
      "number_known",
      { phone: `+${pn}` },
      { newExternalId: pn, newPhone: `+${pn}` },
    ).catch(() => false);
  }

  private async receive(list: WAMessage[]) {
    const { lidToPhone, rememberLid } = await auth();
    const { parseMessage } = await inbound();
    for (const msg of list) {
      const jid = msg.key?.remoteJid ?? "";
      const known = jid.endsWith("@lid") ? await lidToPhone(this.ctx, this.channelId, jid.split("@")[0]) : null;
      const u = parseMessage(msg, known, this.opts);
      if (!u) continue;
      const alt = (msg.key as { remoteJidAlt?: string }).remoteJidAlt;
      if (u.peer.lid && u.peer.phone && alt)
        await rememberLid(this.ctx, this.channelId, u.peer.lid, u.peer.phone.slice(1));
      await this.apply(u, msg);
    }
  }

  private async apply(u: WaUpdate, raw: WAMessage) {
    const ctx = this.ctx,
      ch = this.channelId;
    switch (u.kind) {
      case "message": {
        const attachments: Attachment[] = [];
        let content = u.content;
        if (u.media && this.sock) {
          try {
            const bytes = await this.sock.downloadMedia(raw);
            const ext = u.media.mime.split("/")[1]?.replace(/[^a-z0-9]/gi, "") || "bin";
            const name =
              u.media.filename ?? `${u.media.voice ? "voice" : u.media.type}-${u.externalId.slice(-8)}.${ext}`;
            attachments.push(
              await ctx.files.save(new File([new Uint8Array(bytes)], name, { type: u.media.mime }), null, u.at),
            );
          } catch (e) {
            ctx.log.warn("whatsapp media not stored", { channelId: ch, error: String(e) });
            content = {
              ...content,
              pendingMedia: { id: u.externalId, mime: u.media.mime, error: e instanceof Error ? e.message : String(e) },
            };
          }
        }
        await ingestInbound(ctx, {
          channelId: ch,
          externalId: u.externalId,
          from: { externalId: u.peer.externalId, name: u.peer.name, phone: u.peer.phone },
          body: u.body,
          attachments,
          content,
          replyToExternalId: u.replyToExternalId,
          at: u.at,
        });
        return;
      }
      case "reaction":
        await changeChannelMessage(ctx, ch, u.targetExternalId, (m) => withReaction(m, "contact", u.emoji, u.at));
        return;
      case "edit":
        await changeChannelMessage(ctx, ch, u.targetExternalId, (m) => ({
          body: u.body,
          content: { ...m.content, edited: true },
        }));
        return;
      case "revoke":
        await changeChannelMessage(ctx, ch, u.targetExternalId, (m) => ({ content: { ...m.content, deleted: true } }));
        return;
    }
  }
}

// ---------------------------------------------------------------- the connections of an app

const managers = new WeakMap<Ctx, Map<string, QrConnection>>();
const factories = new WeakMap<Ctx, { factory: QrSocketFactory; opts: QrOptions }>();
function all(ctx: Ctx) {
  let m = managers.get(ctx);
  if (!m) managers.set(ctx, (m = new Map()));
  return m;
}

/** The connection of a number (created stopped the first time). */
export function connectionOf(ctx: Ctx, channelId: string) {
  const m = all(ctx);
  let c = m.get(channelId);
  const f = factories.get(ctx);
  if (!c) m.set(channelId, (c = new QrConnection(ctx, channelId, f?.factory ?? baileysSocket, { ...f?.opts })));
  return c;
}

export async function qrChannel(ctx: Ctx, actor: Actor, channelId: string) {
  assertAdmin(actor);
  const ch = await ctx.db.select().from(channels).where(eq(channels.id, channelId)).get();
  if (!ch || ch.type !== QR) throw notFound("Channel");
  return ch;
}

/** Starts pairing (or reconnecting) a number; the QR appears in its status. */
export async function startPairing(ctx: Ctx, actor: Actor, channelId: string) {
  await qrChannel(ctx, actor, channelId);
  const c = connectionOf(ctx, channelId);
  if (c.status.state !== "open") {
    c.status.attempts = 0;
    await c.start();
  }
  return c.status;
}
export async function pairWithPhone(ctx: Ctx, actor: Actor, channelId: string, phone: string) {
  await qrChannel(ctx, actor, channelId);
  const c = connectionOf(ctx, channelId);
  if (c.status.state !== "qr") {
    // WhatsApp takes a code request once the socket is ready, which its first QR signals
    const ready = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        off();
        resolve(false);
      }, 20_000);
      const off = c.onChange((st) => {
        if (st.state === "qr") {
          clearTimeout(t);
          off();
          resolve(true);
        }
      });
    });
    if (c.status.state !== "connecting" && c.status.state !== "reconnecting") await c.start();
    if (!(await ready)) throw new AppError(503, "whatsapp_unreachable", "WhatsApp did not answer: try again");
  }
  return c.requestPairingCode(phone);
}
export async function logoutNumber(ctx: Ctx, actor: Actor, channelId: string) {
  await qrChannel(ctx, actor, channelId);
  await connectionOf(ctx, channelId).logout();
}
export function qrStatus(ctx: Ctx, channelId: string) {
  return connectionOf(ctx, channelId).status;
}

function jidOf(externalId: string) {
  return externalId.startsWith("lid:") ? `${externalId.slice(4)}@lid` : `${externalId}@s.whatsapp.net`;
}

/** WhatsApp Web accepts the sender's own message id: the outbox row gives it one, stable across attempts. */
export function messageIdFor(outboxId: string) {
  return `3EB0${createHash("sha256").update(outboxId).digest("hex").slice(0, 18).toUpperCase()}`;
}

/** The socket this app's connections use (tests hand in a double; the default is Baileys). */
export function useQrSockets(ctx: Ctx, factory: QrSocketFactory, opts: QrOptions = {}) {
  factories.set(ctx, { factory, opts });
}

export function whatsappQrAdapter(getCtx: () => Ctx): ChannelAdapter {
  return {
    type: QR,
    // A QR-paired number is a phone: a slow, irregular pace keeps it from looking like a bot (and from a ban).
    // Sending is idempotent: each message carries an id derived from its outbox row, the same on every attempt,
    // and WhatsApp keeps one message per id (its own retry receipts re-send a message under the same id), so a
    // send cut short by a crash is simply sent again.
    capabilities: { idempotentSend: true, attachments: true, media: WHATSAPP_MEDIA, ratePerSecond: 1, jitterMs: 1500 },
    async start(ctx) {
      // numbers paired before reconnect on start; unpaired ones wait for the owner to pair them
      const rows = await ctx.db
        .select()
        .from(channels)
        .where(and(eq(channels.type, QR), eq(channels.active, true), isNull(channels.deletedAt)));
      if (!rows.length) return;
      const { storedCreds } = await auth();
      for (const ch of rows)
        if ((await storedCreds(ctx, ch.id))?.me)
          await connectionOf(ctx, ch.id)
            .start()
            .catch((e) => ctx.log.error("whatsapp connection failed to start", { channelId: ch.id, error: String(e) }));
    },
    stop() {
      const ctx = getCtx();
      for (const c of all(ctx).values()) c.stop();
    },
    async removed(ctx, channelId) {
      const c = all(ctx).get(channelId);
      if (c && c.status.state === "open") await c.logout().catch(() => c.stop());
      else c?.stop();
      all(ctx).delete(channelId);
    },
    async markRead(ctx, channel, to) {
      await connectionOf(ctx, channel.id).socket?.readMessages([
        { remoteJid: jidOf(to.contactExternalId), id: to.messageExternalId, fromMe: false },
      ]);
    },
    ready(channelId) {
      return connectionOf(getCtx(), channelId).status.state === "open";
    },
    async send(msg: OutboundMessage) {
      const ctx = getCtx();
      const sock = connectionOf(ctx, msg.channel.id).socket;
      if (!sock) throw new Error("the WhatsApp number is not connected");
      const to = await contactExternalId(ctx, msg.channel.id, msg.contactId);
      if (!to) throw new Error("the contact has no WhatsApp id on this number");
      const jid = jidOf(to);
      const quoted = msg.replyToExternalId
        ? ({
            key: { remoteJid: jid, id: msg.replyToExternalId, fromMe: false },
            message: { conversation: "" },
          } as WAMessage)
        : undefined;
      const contents: AnyMessageContent[] = [];
      let caption = msg.body;
      for (const a of msg.attachments) {
        const f = await ctx.files.get(a.fileId);
        if (!f) throw new Error(`attachment ${a.fileId} is missing from the data dir`);
        const data = Buffer.from(await f.file.arrayBuffer());
        const kind = mediaKind(a.mime);
        const c: Record<string, unknown> = { [kind]: data, mimetype: a.mime };
        if (kind === "document") c.fileName = a.name;
        if (caption && kind !== "audio") {
          c.caption = caption;
          caption = "";
        }
        contents.push(c as AnyMessageContent);
      }
      if (caption) contents.push({ text: caption });
      let first: string | undefined;
      for (const [i, c] of contents.entries()) {
        const r = await sock.sendMessage(jid, c, {
          ...(i === 0 && quoted ? { quoted } : {}),
          messageId: i === 0 ? messageIdFor(msg.outboxId) : messageIdFor(`${msg.outboxId}:${i}`),
        });
        first ??= r?.key?.id ?? undefined;
      }
      return { externalId: first, status: "sent" };
    },
  };
}
