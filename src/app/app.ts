import { Hono } from "hono";
import { isNull } from "drizzle-orm";
import { bodyLimit } from "hono/body-limit";
import { join } from "node:path";
import { chmodSync, existsSync, mkdirSync, statSync } from "node:fs";
import { Cron } from "croner";
import type { Env } from "./http.ts";
import { asAppError, errorResponse } from "./http.ts";
import { loadAssets, sendAsset } from "./assets.ts";
import { consoleErrorPage, consoleRoutes, type ConsoleModule } from "./console.ts";
import { authConsole } from "../auth/console.ts";
import { setupConsole } from "../setup/console.ts";
import { inboxConsole } from "../inbox/console.ts";
import { teamConsole } from "../inbox/team-console.ts";
import { ticketsConsole } from "../tickets/console.ts";
import { boardsConsole } from "../tickets/boards-console.ts";
import { contactsConsole } from "../inbox/contacts-console.ts";
import { contactImportConsole } from "../inbox/contact-import-console.ts";
import { channelsConsole } from "../channels/console.ts";
import { agentsConsole } from "../agents/console.ts";
import { commerceConsole } from "../commerce/console.ts";
import { ordersConsole } from "../commerce/orders-console.ts";
import {
  courierRoutes,
  paymentDonePage,
  paymentWebhooks,
  productPictures,
  storeWebhooks,
} from "../commerce/payment-routes.ts";
import { calendarConsole } from "../calendar/console.ts";
import { notificationsConsole } from "../notifications/console.ts";
import { automationConsole } from "../automation/console.ts";
import { sequencesConsole } from "../automation/sequences-console.ts";
import { flowsConsole } from "../automation/flows-console.ts";
import { libraryConsole } from "../library/console.ts";
import { wireNotifications, ensureVapidKeys } from "../notifications/service.ts";
import { pwaRoutes } from "./pwa.ts";

/** The console, one domain at a time: each registers its own pages and forms. */
const consoleModules: ConsoleModule[] = [
  authConsole,
  setupConsole,
  inboxConsole,
  teamConsole,
  ticketsConsole,
  boardsConsole,
  contactImportConsole,
  contactsConsole,
  channelsConsole,
  agentsConsole,
  commerceConsole,
  ordersConsole,
  calendarConsole,
  notificationsConsole,
  automationConsole,
  sequencesConsole,
  flowsConsole,
  libraryConsole,
];
import { loadActor, requireActor, csrfProtect } from "../auth/middleware.ts";
import { apiV1 } from "../integrations/api-v1.ts";
import { OpenApiRegistry } from "../integrations/openapi.ts";
import { webchatRoutes } from "../channels/webchat/routes.ts";
import { webchatAdapter, visitorMessage } from "../channels/webchat/adapter.ts";
import { apiChannelAdapter } from "../channels/api/adapter.ts";
import { CLOUD, whatsappCloudAdapter, whatsappCloudWebhook } from "../channels/whatsapp-cloud/service.ts";
import { QR, whatsappQrAdapter, useQrSockets, type QrSocketFactory } from "../channels/whatsapp-qr/service.ts";
import { ChannelRegistry } from "../channels/types.ts";
import { startAgents, resumeAgents, stopAgents } from "../agents/index.ts";
import {
  startAutomation,
  stopAutomation,
  pruneEvents,
  automationHooks,
  wireSurveys,
  wireFlows,
} from "../automation/index.ts";
import { getChannel, wireReadReceipts } from "../channels/service.ts";
import { channels as channelsTable } from "../inbox/schema.ts";
import { sweepAssignments, wireAssignment } from "../inbox/assignment.ts";
import { sweepTicketSla, wireTickets } from "../tickets/service.ts";
import { sweepCommerce, wireCommerce } from "../commerce/orders.ts";
import { applyDeliveryStatus, wakeSnoozed, resolveIdleBotConversations, type Message } from "../inbox/service.ts";
import { Database, migrate } from "../platform/db.ts";
import { EventBus } from "../platform/events.ts";
import { RealtimeHub } from "../platform/realtime.ts";
import { FileStore } from "../platform/files.ts";
import { Outbox } from "../platform/outbox.ts";
import { createLogger, type Logger } from "../platform/logger.ts";
import type { Config } from "../platform/config.ts";
import type { Ctx, Clock } from "../platform/context.ts";
import { AppError } from "../platform/errors.ts";
import { loadSecretKey } from "../platform/secrets.ts";
import { VERSION } from "../version.ts";

/** The console's Content-Security-Policy: scripts and connections to this server only, no framing, no plugins. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

export type AppOptions = {
  log?: Logger;
  clock?: Clock;
  dbFile?: string;
  channels?: ChannelRegistry /** WhatsApp-by-QR sockets (tests: a double) */;
  whatsappSocket?: QrSocketFactory;
};

/**
 * The data dir holds the customers' conversations: readable by DigyBot's user only (0700, files 0600), also for an
 * install made before this was so.
 */
function secureDataDir(dir: string) {
  process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fix = (p: string, mode: number) => {
    try {
      if (existsSync(p) && statSync(p).mode & 0o077) chmodSync(p, mode);
    } catch {
      /* not ours */
    }
  };
  fix(dir, 0o700);
  for (const f of ["digybot.db", "digybot.db-wal", "digybot.db-shm"]) fix(join(dir, f), 0o600);
  fix(join(dir, "files"), 0o700);
  fix(join(dir, "backups"), 0o700);
}

/** Builds the context of one DigyBot: database (migrated), bus, hub, outbox, channels. Nothing global. */
export async function createContext(config: Config, opts: AppOptions = {}): Promise<Ctx> {
  const log = opts.log ?? createLogger(config.log_level);
  secureDataDir(config.data_dir);
  const key = loadSecretKey(config.secret_key_file!);
  if (key.created) log.info("secret key created: keep a copy of it apart from the backups", { file: key.file });
  const database = new Database(opts.dbFile ?? join(config.data_dir, "digybot.db"), log);
  await database.init();
  database.busyTimeoutMs = config.db_busy_timeout_ms;
  await migrate(database, { backupDir: join(config.data_dir, "backups"), log });
  await database.optimize(true);
  const clock = opts.clock ?? { now: () => Date.now() };
  const events = new EventBus(log, () => clock.now());
  const hub = new RealtimeHub();
  const files = new FileStore(database, join(config.data_dir, "files"), config.max_upload_mb * 1024 * 1024);
  const channels = opts.channels ?? new ChannelRegistry();
  let ctx!: Ctx;
  if (!channels.get("webchat")) channels.register(webchatAdapter(() => ctx));
  if (!channels.get("api")) channels.register(apiChannelAdapter(() => ctx));
  if (!channels.get(CLOUD)) channels.register(whatsappCloudAdapter(() => ctx));
  if (!channels.get(QR)) channels.register(whatsappQrAdapter(() => ctx));
  const outbox = new Outbox(
    database,
    (t) => channels.get(t),
    async (id) => {
      const ch = await getChannel(ctx, id);
      return ch ? { id: ch.id, type: ch.type, config: ch.config, active: ch.active } : null;
    },
    async () =>
      (await ctx.db.select({ id: channelsTable.id }).from(channelsTable).where(isNull(channelsTable.deletedAt))).map(
        (r) => r.id,
      ),
    log,
    () => clock.now(),
  );
  ctx = {
    config,
    database,
    db: database.db,
    log,
    clock,
    events,
    hub,
    files,
    outbox,
    channels,
    agentFor: () => null,
    heldConversation: () => null,
    replyInline: async () => false,
  };
  outbox.statusHook = async (tx, after, row, status, result, error) => {
    if (row.messageId)
      await applyDeliveryStatus(
        ctx,
        tx,
        after,
        row.messageId,
        status === "sent" ? (result?.status ?? "sent") : "failed",
        error,
        result?.externalId,
      );
  };
  if (opts.whatsappSocket) useQrSockets(ctx, opts.whatsappSocket);
  wireReadReceipts(ctx);
  wireRealtime(ctx);
  wireNotifications(ctx);
  wireAssignment(ctx);
  wireTickets(ctx);
  wireCommerce(ctx);
  // the server's Web Push identity, made at first start and kept in the database (pages only read it)
  await ensureVapidKeys(ctx);
  await startAgents(ctx);
  await wireSurveys(ctx);
  wireFlows(ctx);
  return ctx;
}

/** Inbox events reach the consoles allowed to see them; inbound web-chat messages reach the visitor's other tabs. */
function wireRealtime(ctx: Ctx) {
  ctx.events.on("*", (e) => {
    // boards and tickets too: an open board or ticket list refreshes on them (what it shows is read again)
    if (!/^(inbox|boards|tickets|commerce)\./.test(e.type)) return;
    const d = e.data as {
      assigneeId: string | null;
      departmentId: string | null;
      previous?: unknown;
      contactId?: string;
      channelId?: string;
      message?: Message;
      channelType?: string;
    };
    ctx.hub.broadcast("user", e.type, {
      event: e.type,
      conversationId: e.conversationId,
      assigneeId: d.assigneeId,
      departmentId: d.departmentId,
      previous: d.previous,
      messageId: d.message?.id,
      ownerType: (e.data as { ownerType?: string }).ownerType,
      ...(e.type.startsWith("boards.") ? { boardId: (e.data as { boardId?: string }).boardId } : {}),
      ...(e.type === "inbox.typing"
        ? {
            who: (e.data as { who: string }).who,
            name: (e.data as { name?: string }).name,
            userId: (e.data as { userId?: string }).userId,
          }
        : {}),
    });
    if (e.type === "inbox.message_received" && d.channelType === "webchat" && d.message) {
      ctx.hub.broadcast(
        "visitor",
        "message",
        visitorMessage(d.message),
        (p) => p === `${d.channelId}:${d.contactId}`,
        d.message.id,
      );
    }
  });
}

/** The HTTP application: one error handler, the console, the web chat, the REST API. */
export function createApp(ctx: Ctx) {
  const app = new Hono<Env>();
  const registry = new OpenApiRegistry();
  // a person's browser on a console page gets a page; the API, webhooks, the widget and the island's fetches get JSON
  const machinePaths =
    /^\/(api|webhooks|webchat|partials|events|assets|healthz|courier\/[^/]+\/position)(\/|$)|^\/widget\.js$/;
  app.onError((err, c) =>
    machinePaths.test(c.req.path) || !c.req.header("accept")?.includes("text/html")
      ? errorResponse(c, err, ctx.log)
      : consoleErrorPage(c, asAppError(c, err, ctx.log)),
  );
  app.notFound((c) => c.json({ error: { code: "not_found", message: "Not found", details: null } }, 404));
  app.use("*", async (c, next) => {
    c.set("ctx", ctx);
    await next();
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "same-origin");
    if (!c.req.path.startsWith("/webchat/") && c.req.path !== "/widget.js") c.header("x-frame-options", "DENY");
    // console pages run only their own scripts (no inline script, no other origin) and are never framed
    if (c.res.headers.get("content-type")?.startsWith("text/html") && !c.req.path.startsWith("/webchat/"))
      c.header("content-security-policy", CONSOLE_CSP);
  });
  // Body size limits, built once: uploads (file plus form overhead), the widget's small JSON, everything else.
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError(413, "payload_too_large", `The request body is larger than ${maxSize} bytes`, {
          max: maxSize,
        });
      },
    });
  const uploadLimit = limit(ctx.config.max_upload_mb * 1024 * 1024 + 64 * 1024);
  const widgetLimit = limit(64 * 1024);
  const jsonLimit = limit(256 * 1024);

  // a writer that cannot commit (the database locked by another process) makes the appliance unhealthy
  app.get("/healthz", (c) => {
    const w = ctx.database.writerHealth();
    return c.json(
      {
        ok: w.ok,
        version: VERSION,
        database: w.ok ? "ok" : "busy",
        ...(w.busyForMs !== null ? { busyForMs: w.busyForMs } : {}),
      },
      w.ok ? 200 : 503,
    );
  });
  app.get("/assets/:name", async (c) => {
    const assets = await loadAssets();
    const name = c.req.param("name");
    const a = Object.hasOwn(assets, name) ? assets[name] : undefined; // never Object.prototype's own names (__proto__)
    if (!a) return c.notFound();
    return sendAsset(c, a, { "cache-control": "no-cache" });
  });
  pwaRoutes(app);
  app.get("/favicon.ico", (c) =>
    c.body(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#0f766e"/><text x="16" y="22" font-size="16" text-anchor="middle" fill="#fff" font-family="sans-serif">D</text></svg>',
      200,
      { "content-type": "image/svg+xml", "cache-control": "public, max-age=86400" },
    ),
  );
  app.get("/widget.js", async (c) => {
    const a = (await loadAssets())["widget.js"];
    return sendAsset(c, a, {
      "cache-control": "public, max-age=300",
      "access-control-allow-origin": "*",
      "cross-origin-resource-policy": "cross-origin",
    });
  });

  app.use("/webchat/*", (c, next) => (c.req.path.endsWith("/attachments") ? uploadLimit : widgetLimit)(c, next));
  app.route("/webchat", webchatRoutes());
  // providers' webhooks: signed by the provider, not by a session or an API key
  app.use("/webhooks/*", limit(1024 * 1024));
  app.route("/webhooks/whatsapp-cloud", whatsappCloudWebhook());
  app.route("/webhooks/payments", paymentWebhooks());
  app.route("/webhooks", storeWebhooks());
  app.route("/pay", paymentDonePage());
  app.route("/media/products", productPictures());
  // a courier's private link and a customer's tracking link are their own credentials
  app.use("/courier/*", limit(64 * 1024));
  app.route("/", courierRoutes());
  app.use("/hooks/*", limit(256 * 1024));
  app.route("/hooks/automations", automationHooks());

  app.get("/api/v1/openapi.json", (c) =>
    c.json(registry.document(`${ctx.config.public_url?.replace(/\/$/, "") ?? new URL(c.req.url).origin}`)),
  );
  const apiUploads = new Set(["/api/v1/files", "/api/v1/knowledge/files", "/api/v1/library"]);
  const apiUpload = (path: string) => apiUploads.has(path) || /^\/api\/v1\/products\/[^/]+\/images$/.test(path);
  app.use("/api/*", (c, next) => (apiUpload(c.req.path) ? uploadLimit : jsonLimit)(c, next));
  app.use("/api/*", loadActor, requireActor, csrfProtect);
  app.route("/api/v1", apiV1(registry));

  // the console's own upload forms (a knowledge document, a catalog's CSV) get the upload limit, every other form the small one
  // the console's file forms: a knowledge document, a library file, a CSV (catalog, a sequence's contacts)
  const consoleUpload = (path: string) =>
    path === "/settings/knowledge/file" ||
    path === "/settings/library" ||
    path.endsWith("/import") ||
    /^\/settings\/catalog\/[^/]+\/images$/.test(path);
  app.use("*", (c, next) =>
    c.req.method === "GET" ? next() : (consoleUpload(c.req.path) ? uploadLimit : jsonLimit)(c, next),
  );
  app.use("*", loadActor, async (c, next) =>
    c.req.path === "/login" || c.req.path === "/setup" ? next() : csrfProtect(c, next),
  );
  app.route("/", consoleRoutes(consoleModules));
  return app;
}

export type Running = { ctx: Ctx; server: ReturnType<typeof Bun.serve>; url: string; stop: () => Promise<void> };

/** Starts serving: HTTP on the configured address, the outbox, the scheduler. stop() shuts down in order. */
export async function startServer(ctx: Ctx): Promise<Running> {
  const app = createApp(ctx);
  ctx.files.ensureDir();
  const server = Bun.serve({
    hostname: ctx.config.host,
    port: ctx.config.port,
    fetch: app.fetch,
    idleTimeout: 60,
    maxRequestBodySize: ctx.config.max_upload_mb * 1024 * 1024 + 1024 * 1024,
  });
  await ctx.outbox.start();
  for (const a of ctx.channels.all()) await a.start?.(ctx);
  await resumeAgents(ctx);
  // automations: the events committed while the server was down, and the timers that came due, are read now
  startAutomation(ctx);
  const jobs = [
    new Cron(
      "* * * * *",
      { protect: true },
      () => void wakeSnoozed(ctx).catch((e) => ctx.log.error("snooze job failed", { error: String(e) })),
    ),
    new Cron(
      "*/5 * * * *",
      { protect: true },
      () =>
        void resolveIdleBotConversations(ctx).catch((e) =>
          ctx.log.error("idle bot conversations job failed", { error: String(e) }),
        ),
    ),
    // people who went offline or left a customer unanswered, and queues someone's free time can take
    new Cron(
      "*/15 * * * * *",
      { protect: true },
      () => void sweepAssignments(ctx).catch((e) => ctx.log.error("assignment sweep failed", { error: String(e) })),
    ),
    // tickets' SLA clocks: warnings before a breach, breaches and their escalation
    new Cron(
      "*/30 * * * * *",
      { protect: true },
      () => void sweepTicketSla(ctx).catch((e) => ctx.log.error("ticket SLA sweep failed", { error: String(e) })),
    ),
    // stock holds nobody confirmed in time, and carts left with items
    new Cron(
      "*/30 * * * * *",
      { protect: true },
      () => void sweepCommerce(ctx).catch((e) => ctx.log.error("commerce sweep failed", { error: String(e) })),
    ),
    // WooCommerce never retries a failed webhook: the orders it changed are read back every 5 minutes
    new Cron(
      "*/5 * * * *",
      { protect: true },
      () =>
        void import("../commerce/stores.ts")
          .then((m) => m.pollWoo(ctx))
          .catch((e) => ctx.log.warn("store poll failed", { error: String(e) })),
    ),
    // the planner's statistics follow a growing inbox within the hour (the nightly job alone let them go stale)
    new Cron("41 * * * *", { protect: true }, async () => {
      await ctx.database.optimize().catch((e) => ctx.log.warn("optimize failed", { error: String(e) }));
    }),
    new Cron("17 3 * * *", { protect: true }, async () => {
      await pruneEvents(ctx, ctx.config.events_retention_days).catch((e) =>
        ctx.log.error("events retention failed", { error: String(e) }),
      );
      await ctx.database.checkpoint();
      await ctx.database.optimize();
    }),
  ];
  // WAL checkpoints move to a worker thread a second after start, off the start-up path (nothing needs them sooner)
  const checkpointerStart = setTimeout(() => void ctx.database.startBackgroundCheckpoints(), 1000);
  const url = `http://${ctx.config.host.includes(":") ? `[${ctx.config.host}]` : ctx.config.host}:${server.port}`;
  let stopped = false;
  return {
    ctx,
    server,
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      server.stop(false);
      ctx.hub.closeAll();
      for (const a of ctx.channels.all()) await a.stop?.();
      stopAgents(ctx);
      stopAutomation(ctx);
      ctx.outbox.stop();
      for (const j of jobs) j.stop();
      clearTimeout(checkpointerStart);
      server.stop(true);
      await ctx.database.close();
    },
  };
}
