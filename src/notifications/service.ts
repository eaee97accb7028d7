// Notifications for people: Web Push to their devices (RFC 8030 push services, payloads encrypted per RFC 8291
// aes128gcm, the server identified by VAPID, RFC 8292), chosen by each person's preferences and by what their role
// may see. web-push builds each request (checked under Bun against an independent decryption, tests/notifications);
// it is sent through the fetch guard, since a browser chose the endpoint.
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import webpush from "web-push";
import { z } from "zod";
import { AppError } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { seal, open } from "../platform/secrets.ts";
import { checkUrl, guardedFetch, FetchRefused } from "../platform/net-guard.ts";
import type { Actor, Ctx } from "../platform/context.ts";
import { settings } from "../platform/schema.ts";
import { users, userDepartments } from "../auth/schema.ts";
import { canSee } from "../inbox/visibility.ts";
import { translator, type Locale } from "../../ui/i18n/index.ts";
import { pushSubscriptions, notificationPrefs } from "./schema.ts";

type User = Extract<Actor, { kind: "user" }>;

export const PREF_KEYS = ["newConversation", "newMessage", "assigned", "mention", "sound"] as const;
export type PrefKey = (typeof PREF_KEYS)[number];
export type Prefs = Record<PrefKey, boolean>;
export const DEFAULT_PREFS: Prefs = {
  newConversation: true,
  newMessage: true,
  assigned: true,
  mention: true,
  sound: true,
};
/** A person keeps at most this many devices; subscribing one more lets go of the one unused longest. */
export const MAX_DEVICES = 20;
const VAPID_KEY = "push.vapid";
const PUSH_TTL_S = 24 * 3600;
const SEND_CONCURRENCY = 16;

// ---- VAPID keys: made at first start, kept in the database (the private half sealed with the data key)

let vapidCache: WeakMap<Ctx, { publicKey: string; privateKey: string }> = new WeakMap();

/**
 * Makes the server's VAPID key pair if there is none yet (start-up calls this, so pages only ever read it). It
 * opens nothing: a command run with another key file beside the same data is not stopped by it.
 */
export async function ensureVapidKeys(ctx: Ctx) {
  const row = await ctx.db.select({ key: settings.key }).from(settings).where(eq(settings.key, VAPID_KEY)).get();
  if (row) return;
  const k = webpush.generateVAPIDKeys();
  await ctx.database.write((tx) =>
    tx
      .insert(settings)
      .values({
        key: VAPID_KEY,
        value: { publicKey: k.publicKey, privateKey: seal(k.privateKey) },
        updatedAt: ctx.clock.now(),
      })
      .onConflictDoNothing(),
  );
}

async function storedVapid(ctx: Ctx) {
  let row = await ctx.db.select().from(settings).where(eq(settings.key, VAPID_KEY)).get();
  if (!row) {
    await ensureVapidKeys(ctx);
    row = await ctx.db.select().from(settings).where(eq(settings.key, VAPID_KEY)).get();
  }
  return row!.value as { publicKey: string; privateKey: string };
}

/** The public half, which browsers subscribe with. */
export async function vapidPublicKey(ctx: Ctx) {
  return vapidCache.get(ctx)?.publicKey ?? (await storedVapid(ctx)).publicKey;
}

/** The key pair, the private half opened: only when a push is sent. */
export async function vapidKeys(ctx: Ctx) {
  const hit = vapidCache.get(ctx);
  if (hit) return hit;
  const v = await storedVapid(ctx);
  const keys = { publicKey: v.publicKey, privateKey: open(v.privateKey) };
  vapidCache.set(ctx, keys);
  return keys;
}
/** Forgets cached keys (tests that swap databases). */
export const resetVapidCache = () => {
  vapidCache = new WeakMap();
};

// ---- subscriptions

const b64url = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+={0,2}$/)
    .refine((s) => Buffer.from(s, "base64url").length === bytes, `must be ${bytes} bytes, base64url`);
export const subscriptionInput = z.strictObject({
  endpoint: z.string().trim().min(1).max(1024),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({ p256dh: b64url(65), auth: b64url(16) }),
  device: z.string().trim().max(120).optional(),
});

/** A readable device name from a user agent: "Chrome · Android". */
export function deviceName(ua: string | null | undefined) {
  const s = ua ?? "";
  const browser = /Edg\//.test(s)
    ? "Edge"
    : /Firefox\//.test(s)
      ? "Firefox"
      : /Chrome\/|Chromium\//.test(s)
        ? "Chrome"
        : /Safari\//.test(s)
          ? "Safari"
          : "";
  const os = /Android/.test(s)
    ? "Android"
    : /iPhone|iPad/.test(s)
      ? "iOS"
      : /Windows/.test(s)
        ? "Windows"
        : /Mac OS X/.test(s)
          ? "macOS"
          : /Linux/.test(s)
            ? "Linux"
            : "";
  return [browser, os].filter(Boolean).join(" · ");
}

/** Stores this device's subscription for the person (the same endpoint again replaces it: one per device). */
export async function subscribe(ctx: Ctx, user: User, input: unknown, userAgent?: string | null) {
  const p = subscriptionInput.safeParse(input);
  if (!p.success) throw new AppError(400, "validation_failed", "Invalid push subscription", { issues: p.error.issues });
  const s = p.data;
  try {
    // refused now rather than at the first push: a browser's push service is a public https server
    await checkUrl(s.endpoint, { allowHosts: ctx.config.fetch_allow_hosts });
  } catch (e) {
    if (e instanceof FetchRefused)
      throw new AppError(400, "push_endpoint_refused", "That push service address is not allowed", {
        field: "endpoint",
        reason: e.kind,
      });
    throw e;
  }
  const now = ctx.clock.now();
  const device = s.device || deviceName(userAgent);
  return ctx.database.write(async (tx) => {
    const existing = await tx
      .select({ id: pushSubscriptions.id })
      .from(pushSubscriptions)
      .where(eq(pushSubscriptions.endpoint, s.endpoint))
      .get();
    const id = existing?.id ?? newId();
    if (existing)
      await tx
        .update(pushSubscriptions)
        .set({ userId: user.id, p256dh: s.keys.p256dh, auth: s.keys.auth, device, lastError: null })
        .where(eq(pushSubscriptions.id, id));
    else
      await tx.insert(pushSubscriptions).values({
        id,
        userId: user.id,
        endpoint: s.endpoint,
        p256dh: s.keys.p256dh,
        auth: s.keys.auth,
        device,
        createdAt: now,
      });
    const mine = await tx
      .select({ id: pushSubscriptions.id })
      .from(pushSubscriptions)
      .where(eq(pushSubscriptions.userId, user.id))
      .orderBy(
        desc(sql`coalesce(${pushSubscriptions.lastSentAt}, ${pushSubscriptions.createdAt})`),
        desc(pushSubscriptions.createdAt),
      )
      .all();
    const extra = mine.slice(MAX_DEVICES).map((r) => r.id);
    if (extra.length) await tx.delete(pushSubscriptions).where(inArray(pushSubscriptions.id, extra));
    return { id, device };
  });
}

export async function listDevices(ctx: Ctx, user: User) {
  return ctx.db
    .select({
      id: pushSubscriptions.id,
      device: pushSubscriptions.device,
      createdAt: pushSubscriptions.createdAt,
      lastSentAt: pushSubscriptions.lastSentAt,
      lastError: pushSubscriptions.lastError,
    })
    .from(pushSubscriptions)
    .where(eq(pushSubscriptions.userId, user.id))
    .orderBy(desc(pushSubscriptions.createdAt))
    .all();
}

/** Removes one of the person's own devices (by id), or the device with this endpoint (the browser unsubscribed). */
export async function unsubscribe(ctx: Ctx, user: User, ref: { id?: string; endpoint?: string }) {
  const where = ref.id
    ? eq(pushSubscriptions.id, ref.id)
    : ref.endpoint
      ? eq(pushSubscriptions.endpoint, ref.endpoint)
      : undefined;
  if (!where) throw new AppError(400, "validation_failed", "Name the device", { field: "id" });
  const n = await ctx.database.write(async (tx) => {
    const r = await tx
      .delete(pushSubscriptions)
      .where(and(where, eq(pushSubscriptions.userId, user.id)))
      .returning({ id: pushSubscriptions.id });
    return r.length;
  });
  if (!n && ref.id) throw new AppError(404, "not_found", "Device not found");
}

// ---- preferences

const withDefaults = (stored: unknown): Prefs => ({ ...DEFAULT_PREFS, ...((stored as Partial<Prefs>) ?? {}) });

export async function getPrefs(ctx: Ctx, userId: string): Promise<Prefs> {
  const r = await ctx.db.select().from(notificationPrefs).where(eq(notificationPrefs.userId, userId)).get();
  return withDefaults(r?.prefs);
}

/** Several people's preferences in one query (who to tell about one event). */
async function prefsOf(ctx: Ctx, userIds: string[]) {
  const rows = await ctx.db.select().from(notificationPrefs).where(inArray(notificationPrefs.userId, userIds)).all();
  const stored = new Map(rows.map((r) => [r.userId, r.prefs]));
  return new Map(userIds.map((id) => [id, withDefaults(stored.get(id))]));
}
export async function savePrefs(ctx: Ctx, user: User, prefs: Partial<Record<string, unknown>>) {
  const next = Object.fromEntries(PREF_KEYS.map((k) => [k, prefs[k] === true])) as Prefs;
  const now = ctx.clock.now();
  await ctx.database.write((tx) =>
    tx
      .insert(notificationPrefs)
      .values({ userId: user.id, prefs: next, updatedAt: now })
      .onConflictDoUpdate({ target: notificationPrefs.userId, set: { prefs: next, updatedAt: now } }),
  );
  return next;
}

// ---- who is told what

export type Notice = {
  /** alert: an automation asks these people to look (heard as a mention is) */
  kind: Exclude<PrefKey, "sound"> | "alert";
  conversationId: string;
  contactName: string;
  text?: string;
  by?: string;
};
export type PushPayload = { title: string; body: string; url: string; tag: string; kind: Notice["kind"] };

/** What a notice says to one person, in their language. */
export function payloadFor(locale: Locale, n: Notice): PushPayload {
  const t = translator(locale);
  const body = (n.text ?? "").replace(/\s+/g, " ").trim().slice(0, 140);
  const title =
    n.kind === "newConversation"
      ? t("push.newConversation", { name: n.contactName })
      : n.kind === "newMessage"
        ? t("push.newMessage", { name: n.contactName })
        : n.kind === "assigned"
          ? t("push.assigned", { name: n.contactName })
          : n.kind === "alert"
            ? t("push.automation", { by: n.by ?? "", name: n.contactName })
            : t("push.mention", { by: n.by ?? "", name: n.contactName });
  return {
    title,
    body,
    url: `/inbox?c=${encodeURIComponent(n.conversationId)}`,
    tag: `${n.kind}:${n.conversationId}`,
    kind: n.kind,
  };
}

type Recipient = User & { active: boolean };

async function people(ctx: Ctx): Promise<Recipient[]> {
  const rows = await ctx.db
    .select({ id: users.id, name: users.name, role: users.role, locale: users.locale, active: users.active })
    .from(users)
    .all();
  const links = await ctx.db.select().from(userDepartments).all();
  return rows.map((u) => ({
    kind: "user" as const,
    ...u,
    departmentIds: links.filter((l) => l.userId === u.id).map((l) => l.departmentId),
  }));
}

/** The people named with @ in a note: "@Ana", "@ana.lopez" or "@Ana López" (accents and case aside). */
export function mentioned(body: string, names: { id: string; name: string }[]) {
  const fold = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  const text = fold(body);
  const out = new Set<string>();
  for (const u of names) {
    const full = fold(u.name).trim();
    const first = full.split(/\s+/)[0];
    const forms = new Set(
      [full, full.replace(/\s+/g, "."), full.replace(/\s+/g, "_"), first].filter((f) => f.length >= 2),
    );
    for (const f of forms) {
      const re = new RegExp(`(^|[^\\p{L}\\p{N}])@${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}])`, "u");
      if (re.test(text)) out.add(u.id);
    }
  }
  return out;
}

/**
 * Decides who is told about an event and sends it: each person once, only about conversations they may see,
 * never about their own doing, only for what their preferences keep.
 */
export async function notify(
  ctx: Ctx,
  n: Notice,
  to: (p: Recipient) => boolean,
  scope: { assigneeId: string | null; departmentId: string | null },
  actorId?: string | null,
  team?: Recipient[],
) {
  const everyone = (team ?? (await people(ctx))).filter(
    (p) => p.active && p.id !== actorId && canSee(p, scope) && to(p),
  );
  if (!everyone.length) return { people: 0, sent: 0, failed: 0 };
  const prefs = await prefsOf(
    ctx,
    everyone.map((p) => p.id),
  );
  const wanted = everyone.filter((p) => prefs.get(p.id)![n.kind === "alert" ? "mention" : n.kind]);
  const subs = wanted.length
    ? await ctx.db
        .select()
        .from(pushSubscriptions)
        .where(
          inArray(
            pushSubscriptions.userId,
            wanted.map((p) => p.id),
          ),
        )
        .all()
    : [];
  const byUser = new Map(wanted.map((p) => [p.id, p]));
  const jobs = subs.map((s) => ({ sub: s, payload: payloadFor(byUser.get(s.userId)!.locale, n) }));
  const r = await sendAll(ctx, jobs);
  return { people: wanted.length, ...r };
}

type SubRow = typeof pushSubscriptions.$inferSelect;

async function subject(ctx: Ctx) {
  const pub = ctx.config.public_url;
  if (pub?.startsWith("https:")) return pub.replace(/\/$/, "");
  const admin = await ctx.db
    .select({ email: users.email })
    .from(users)
    .where(eq(users.role, "admin"))
    .orderBy(users.createdAt)
    .get();
  return `mailto:${admin?.email ?? "admin@localhost"}`;
}

/** Sends each payload to its device, a few at a time; a subscription the service says is gone is deleted. */
export async function sendAll(ctx: Ctx, jobs: { sub: SubRow; payload: PushPayload }[]) {
  if (!jobs.length) return { sent: 0, failed: 0 };
  const vapid = await vapidKeys(ctx);
  const sub = await subject(ctx);
  let sent = 0;
  let failed = 0;
  const gone: string[] = [];
  const outcomes: { id: string; ok: boolean; error: string | null }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { sub: s, payload } = jobs[next++];
      try {
        const req = webpush.generateRequestDetails(
          { endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } },
          JSON.stringify(payload),
          {
            vapidDetails: { subject: sub, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
            contentEncoding: "aes128gcm",
            TTL: PUSH_TTL_S,
            urgency: "high",
            topic: payload.tag.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 32),
          },
        );
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const res = await guardedFetch(req.endpoint, {
          method: "POST",
          headers,
          body: new Uint8Array(req.body as Buffer),
          maxBytes: 16 * 1024,
          timeoutMs: 10_000,
          maxRedirects: 0,
          allowHosts: ctx.config.fetch_allow_hosts,
        });
        if (res.status === 404 || res.status === 410) gone.push(s.id);
        else if (res.ok) {
          sent++;
          outcomes.push({ id: s.id, ok: true, error: null });
          continue;
        } else outcomes.push({ id: s.id, ok: false, error: `HTTP ${res.status}: ${res.text().slice(0, 200)}` });
        failed++;
      } catch (e) {
        failed++;
        outcomes.push({ id: s.id, ok: false, error: String((e as Error).message ?? e).slice(0, 200) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, jobs.length) }, worker));
  const now = ctx.clock.now();
  await ctx.database.write(async (tx) => {
    if (gone.length) await tx.delete(pushSubscriptions).where(inArray(pushSubscriptions.id, gone));
    const ok = outcomes.filter((o) => o.ok).map((o) => o.id);
    if (ok.length)
      await tx
        .update(pushSubscriptions)
        .set({ lastSentAt: now, lastError: null })
        .where(inArray(pushSubscriptions.id, ok));
    for (const o of outcomes.filter((x) => !x.ok))
      await tx.update(pushSubscriptions).set({ lastError: o.error }).where(eq(pushSubscriptions.id, o.id));
  });
  if (failed) ctx.log.warn("push: some notifications were not delivered", { sent, failed, gone: gone.length });
  return { sent, failed };
}

// ---- wiring: inbox events become notices

type Scope = { conversationId: string; assigneeId: string | null; departmentId: string | null; contactId?: string };

// Two lookups by primary key, not a join: with statistics taken when the tables were small, SQLite planned the
// join as two full scans (40 ms a message at 20,000 conversations); a lone primary-key lookup never scans.
async function contactNameOf(ctx: Ctx, conversationId: string) {
  const c = ctx.database
    .readPrepared("SELECT contact_id AS contactId FROM conversations WHERE id = ?")
    .get([conversationId]) as { contactId: string } | undefined;
  const r = c
    ? (ctx.database.readPrepared("SELECT name, phone FROM contacts WHERE id = ?").get([c.contactId]) as
        | { name: string; phone: string | null }
        | undefined)
    : undefined;
  return r?.name || r?.phone || "—";
}

/** No device of anyone's is subscribed (a prepared read): an inbox event then has nobody to push to. */
const nobodySubscribed = (ctx: Ctx) =>
  !ctx.database.readPrepared("SELECT 1 AS x FROM push_subscriptions LIMIT 1").get([]);

/** Subscribes to the inbox's events. Returns the unsubscribe function. */
export function wireNotifications(ctx: Ctx) {
  const inDepartments = (scope: Scope) => (p: Recipient) =>
    scope.departmentId ? p.departmentIds.includes(scope.departmentId) : p.role === "admin";
  // the work is skipped whole while no device is subscribed (most messages of a business without push)
  const run = (what: string, job: () => Promise<unknown>) => {
    if (nobodySubscribed(ctx)) return;
    job().catch((e) => ctx.log.error("push notification failed", { what, error: String(e) }));
  };
  const offs = [
    // a customer's new conversation waiting for people (not one an AI agent took)
    ctx.events.on("inbox.conversation_created", (e) => {
      const d = e.data as Scope & { ownerType?: string };
      if (d.ownerType === "bot" || d.assigneeId) return;
      run("newConversation", async () => {
        const name = await contactNameOf(ctx, d.conversationId);
        await notify(
          ctx,
          {
            kind: "newConversation",
            conversationId: d.conversationId,
            contactName: name,
            text: (e.data as { preview?: string }).preview,
          },
          inDepartments(d),
          d,
        );
      });
    }),
    // a customer's message in a conversation someone owns: that person; waiting in the queue: the department
    ctx.events.on("inbox.message_received", (e) => {
      const d = e.data as Scope & { ownerType?: string; held?: boolean; message?: { body: string } };
      // only the assignee hears of it: a message waiting in the queue (or the bot's) costs nothing here; an answer
      // to a satisfaction survey calls nobody
      if (d.ownerType === "bot" || d.held || !e.conversationId || !d.assigneeId) return;
      run("newMessage", async () => {
        const name = await contactNameOf(ctx, e.conversationId!);
        await notify(
          ctx,
          { kind: "newMessage", conversationId: e.conversationId!, contactName: name, text: d.message?.body },
          (p) => p.id === d.assigneeId,
          d,
        );
      });
    }),
    ctx.events.on("inbox.conversation_updated", (e) => {
      const d = e.data as Scope & {
        changes?: { assigneeId?: string | null; ownerType?: string };
        previous?: { assigneeId: string | null };
      };
      const to = d.changes?.assigneeId;
      const byId = e.actor?.type === "user" ? e.actor.id : null;
      if (to && to !== d.previous?.assigneeId && to !== byId) {
        run("assigned", async () => {
          const name = await contactNameOf(ctx, d.conversationId);
          await notify(
            ctx,
            { kind: "assigned", conversationId: d.conversationId, contactName: name },
            (p) => p.id === to,
            d,
            byId,
          );
        });
      } else if (d.changes?.ownerType === "queue" && !d.assigneeId) {
        // an AI agent handed the conversation over: for people it is a new conversation waiting
        run("handoff", async () => {
          const name = await contactNameOf(ctx, d.conversationId);
          await notify(
            ctx,
            { kind: "newConversation", conversationId: d.conversationId, contactName: name },
            inDepartments(d),
            d,
            byId,
          );
        });
      }
    }),
    // a note naming someone with @
    ctx.events.on("inbox.message_created", (e) => {
      const d = e.data as Scope & { private?: boolean; message?: { body: string } };
      if (!d.private || !d.message?.body.includes("@") || !e.conversationId) return;
      const byId = e.actor?.type === "user" ? e.actor.id : null;
      run("mention", async () => {
        const all = await people(ctx);
        const named = mentioned(
          d.message!.body,
          all.filter((p) => p.active),
        );
        named.delete(byId ?? "");
        if (!named.size) return;
        const name = await contactNameOf(ctx, e.conversationId!);
        const by = all.find((p) => p.id === byId)?.name ?? "";
        await notify(
          ctx,
          { kind: "mention", conversationId: e.conversationId!, contactName: name, text: d.message!.body, by },
          (p) => named.has(p.id),
          d,
          byId,
          all,
        );
      });
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
