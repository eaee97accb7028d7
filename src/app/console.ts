import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { setCookie, deleteCookie } from "hono/cookie";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { Env } from "./http.ts";
import { clientIp, formBody } from "./http.ts";
import { AppError } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { waiter } from "../platform/realtime.ts";
import { isAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { translator, plural, type Locale } from "../../ui/i18n/index.ts";
import { renderPage, renderFragment, html } from "../../ui/components/html.ts";
import { Bare, Layout } from "../../ui/components/layout.ts";
import { LoginPage, SetupPage, type SetupValues } from "../../ui/pages/auth.ts";
import { InboxPage, ListRows, MessageItems, ConvHeader, ViewTabs, type Filters } from "../../ui/pages/inbox.ts";
import * as S from "../../ui/pages/settings.ts";
import * as auth from "../auth/service.ts";
import * as inbox from "../inbox/service.ts";
import * as contacts from "../inbox/contacts.ts";
import * as channels from "../channels/service.ts";
import * as cloud from "../channels/whatsapp-cloud/service.ts";
import * as qr from "../channels/whatsapp-qr/service.ts";
import * as ai from "../agents/settings.ts";
import * as agentsSvc from "../agents/service.ts";
import * as kb from "../agents/knowledge.ts";
import { runTurn } from "../agents/runner.ts";
import { TOOL_NAMES } from "../agents/tools.ts";
import { turnView } from "../agents/routes.ts";
import * as AG from "../../ui/pages/agents.ts";
import * as CA from "../../ui/pages/catalog.ts";
import * as commerce from "../commerce/service.ts";
import * as calendar from "../calendar/service.ts";

/** A QR number's state for the console, with the QR drawn as SVG. */
async function qrNumberView(ctx: Ctx, channelId: string) {
  const s = qr.qrStatus(ctx, channelId);
  const qrSvg = s.qr ? await (await import("qrcode")).toString(s.qr, { type: "svg", margin: 1, width: 264 }) : null;
  return { state: s.state, qrSvg, pairingCode: s.pairingCode, lastError: s.lastError, me: s.me, since: s.since };
}
import { SESSION_COOKIE, formToken, checkFormToken } from "../auth/middleware.ts";
import { businessSchema, getBusiness, weekdays, putSetting, defaultHours, type Business } from "../setup/service.ts";
import { completeSetup } from "../setup/complete.ts";
import { onboardingFor, dismissOnboarding } from "../setup/onboarding.ts";
import { canSee } from "../inbox/visibility.ts";

type U = Extract<Actor, { kind: "user" }>;
const timezones = () => Intl.supportedValuesOf("timeZone");
const user = (c: Context<Env>) => c.get("actor") as U;
const page = (c: Context<Env>, title: string, active: string, body: unknown, status: ContentfulStatusCode = 200) => {
  const u = user(c);
  return c.html(renderPage(Layout({ t: translator(u.locale), user: u, csrf: c.get("csrf")!, title, active, children: body })), status);
};
/** An error in the person's language: the code's translation, filled from its details (a CSV's line, a field), or the message. */
const errText = (e: unknown, t: (k: string, vars?: Record<string, string | number>) => string) => {
  if (!(e instanceof AppError)) return t("errors.internal");
  const key = `errors.${e.code}`;
  const vars = e.details && typeof e.details === "object" && !Array.isArray(e.details) ? Object.fromEntries(Object.entries(e.details).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)])) : undefined;
  const s = t(key, vars);
  return s === key ? e.message : s;
};

/**
 * What a person sees when a console page or form fails outside a page's own error handling (a file over the
 * upload limit, a page only administrators may open, a conversation that is gone): a page in their language with
 * the reason and a way back, with the status the API would answer.
 */
export function consoleErrorPage(c: Context<Env>, e: AppError) {
  const actor = c.get("actor") as Actor | null;
  const locale: Locale = actor?.kind === "user" ? actor.locale : "es";
  const t = translator(locale);
  const ref = c.req.header("referer");
  const back = ref && URL.canParse(ref) && new URL(ref).origin === new URL(c.req.url).origin ? new URL(ref).pathname + new URL(ref).search : "/inbox";
  if (e.retryAfter) c.header("retry-after", String(e.retryAfter));
  return c.html(renderPage(Bare({ locale, title: t("errors.title"), children: html`<div class="auth" role="alert"><h1>${t("errors.title")}</h1>
    <p class="error-text">${errText(e, t)}</p><p><a class="button" href=${back}>${t("errors.back")}</a></p></div>` })), e.status);
}

function hoursFromForm(f: Record<string, unknown>) {
  return Object.fromEntries(weekdays.map((d) => [d, { open: f[`open_${d}`] === "on", from: String(f[`from_${d}`] || "09:00"), to: String(f[`to_${d}`] || "18:00") }]));
}

function startSession(c: Context<Env>, token: string) {
  const ctx = c.get("ctx");
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: "Lax", path: "/", secure: ctx.config.secure_cookies || !!ctx.config.public_url?.startsWith("https:"), maxAge: ctx.config.session_days * 86400 });
}

/** The server-rendered console: pages for people, fragments for the live client island. */
export function consoleRoutes() {
  const app = new Hono<Env>();

  // A fresh install goes to the setup wizard; afterwards, pages need a session.
  app.use("*", async (c, next) => {
    const p = c.req.path;
    const ctx = c.get("ctx");
    if (p === "/setup" || p === "/login") return next();
    if ((await auth.countUsers(ctx)) === 0) return c.redirect("/setup");
    if (!c.get("actor") || c.get("actor")!.kind !== "user") return c.redirect(`/login`);
    return next();
  });

  app.get("/", (c) => c.redirect("/inbox"));

  app.get("/login", async (c) => {
    const ctx = c.get("ctx");
    if ((await auth.countUsers(ctx)) === 0) return c.redirect("/setup");
    const locale = ((await getBusiness(ctx))?.locale ?? ctx.config.default_locale) as Locale;
    return c.html(renderPage(LoginPage({ t: translator(locale), locale, csrf: formToken(c) })));
  });
  app.post("/login", async (c) => {
    const ctx = c.get("ctx");
    const f = await formBody(c);
    const locale = ((await getBusiness(ctx))?.locale ?? ctx.config.default_locale) as Locale;
    const t = translator(locale);
    try {
      checkFormToken(c, f);
      const s = await auth.login(ctx, { email: String(f.email ?? ""), password: String(f.password ?? ""), ip: clientIp(c), userAgent: c.req.header("user-agent") });
      startSession(c, s.token);
      return c.redirect("/inbox");
    } catch (e) {
      const status = e instanceof AppError ? e.status : 500;
      if (e instanceof AppError && e.retryAfter) c.header("retry-after", String(e.retryAfter));
      return c.html(renderPage(LoginPage({ t, locale, error: errText(e, t), email: String(f.email ?? ""), csrf: formToken(c) })), status as 401);
    }
  });
  app.post("/logout", async (c) => {
    await auth.logout(c.get("ctx"), c.get("sessionToken") ?? undefined);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/login");
  });

  app.get("/setup", async (c) => {
    const ctx = c.get("ctx");
    if ((await auth.countUsers(ctx)) > 0) return c.redirect("/login");
    const locale = ctx.config.default_locale;
    return c.html(renderPage(SetupPage({ t: translator(locale), locale, values: {}, timezones: timezones(), csrf: formToken(c) })));
  });
  app.post("/setup", async (c) => {
    const ctx = c.get("ctx");
    if ((await auth.countUsers(ctx)) > 0) throw new AppError(409, "setup_done", "Setup was already completed");
    const f = await formBody(c);
    const values: SetupValues = { name: String(f.name ?? ""), description: String(f.description ?? ""), location: String(f.location ?? ""), country: String(f.country ?? "").toUpperCase(), timezone: String(f.timezone ?? ""), locale: String(f.locale ?? "es"), departments: String(f.departments ?? ""), adminName: String(f.adminName ?? ""), email: String(f.email ?? ""), hours: hoursFromForm(f) };
    const locale = (values.locale === "en" ? "en" : "es") as Locale;
    const t = translator(locale);
    try {
      checkFormToken(c, f);
      await completeSetup(ctx, {
        business: { name: values.name!, description: values.description, location: values.location, country: values.country, timezone: values.timezone!, hours: values.hours as never, locale },
        departments: values.departments!.split(/\r?\n/).map((s) => s.trim()).filter(Boolean),
        admin: { name: values.adminName!, email: values.email!, password: String(f.password ?? "") },
      });
      const s = await auth.login(ctx, { email: values.email!, password: String(f.password ?? ""), ip: clientIp(c), userAgent: c.req.header("user-agent") });
      startSession(c, s.token);
      return c.redirect("/inbox");
    } catch (e) {
      const detail = e instanceof z.ZodError ? e.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") : "";
      return c.html(renderPage(SetupPage({ t, locale, values, error: `${errText(e, t)} ${detail}`.trim(), timezones: timezones(), csrf: formToken(c) })), e instanceof AppError && e.status === 403 ? 403 : 400);
    }
  });

  // ---- inbox
  const filtersOf = (c: Context<Env>): Filters & { before?: string; c?: string } => {
    const q = c.req.query();
    // an agent starts on her own conversations; an administrator on all of them
    const view = ["all", "mine", "unassigned", "bot", "queue"].includes(q.view ?? "") ? q.view! : isAdmin(user(c)) ? "all" : "mine";
    const status = ["open", "pending", "snoozed", "resolved", "any"].includes(q.status ?? "") ? q.status! : "open";
    return { view, status, departmentId: q.departmentId || undefined, tagId: q.tagId || undefined, channelId: q.channelId || undefined, q: q.q || undefined, before: q.before || undefined, c: q.c || undefined };
  };
  const listOf = async (ctx: Ctx, u: U, f: ReturnType<typeof filtersOf>) => inbox.listConversations(ctx, u, { view: f.view as never, status: f.status as never, departmentId: f.departmentId, tagId: f.tagId, channelId: f.channelId, q: f.q, before: f.before });
  const lookups = async (ctx: Ctx) => {
    const [users, departments, tags, chans, quickReplies] = await Promise.all([auth.listUsers(ctx), auth.listDepartments(ctx), inbox.listTags(ctx), channels.listChannels(ctx), inbox.listQuickReplies(ctx)]);
    return { users: users.filter((x) => x.active).map((x) => ({ id: x.id, name: x.name })), departments: departments.map((d) => ({ id: d.id, name: d.name })), tags, channels: chans.map((x) => ({ id: x.id, name: x.name })), quickReplies };
  };

  app.get("/inbox", async (c) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const t = translator(u.locale);
    const f = filtersOf(c);
    const list = await listOf(ctx, u, f);
    let conv = null, messages: inbox.Message[] = [], past: Awaited<ReturnType<typeof contacts.contactConversations>> = [];
    let templates: { name: string; language: string; params: number; body: string }[] = [], windowClosed = false;
    let interactive: { maxButtons: number; maxListRows: number } | undefined;
    if (f.c) {
      try { conv = await inbox.getConversation(ctx, u, f.c); } catch (e) { if (!(e instanceof AppError && e.status === 404)) throw e; }
      if (conv) {
        messages = await inbox.listMessages(ctx, u, conv.id, { limit: 200 });
        past = await contacts.contactConversations(ctx, u, conv.contactId);
        const caps = ctx.channels.get(conv.channel.type)?.capabilities;
        if (caps?.templates) templates = (await cloud.listTemplates(ctx, u, conv.channelId)).filter((x) => x.status === "APPROVED");
        interactive = caps?.interactive;
        if (caps?.replyWindowHours) windowClosed = (conv.lastInboundAt ?? 0) + caps.replyWindowHours * 3_600_000 < ctx.clock.now();
      }
    }
    const counts = await inbox.countViews(ctx, u, f.status as never);
    const steps = isAdmin(u) && !f.c ? await onboardingFor(ctx) : null;
    return page(c, t("nav.inbox"), "inbox", InboxPage({ t, locale: u.locale, filters: f, counts, onboarding: steps, csrf: c.get("csrf")!, items: list.items as never, next: list.next, conv: conv as never, messages, past, isAdmin: isAdmin(u), templates, windowClosed, interactive, ...(await lookups(ctx)) }));
  });

  app.get("/partials/inbox-list", async (c) => {
    const u = user(c);
    const f = filtersOf(c);
    const list = await listOf(c.get("ctx"), u, f);
    return c.html(renderFragment(ListRows({ items: list.items as never, t: translator(u.locale), locale: u.locale, filters: f, openId: f.c, next: list.next })));
  });
  app.post("/onboarding/dismiss", async (c) => {
    if (!isAdmin(user(c))) throw new AppError(403, "admin_only", "Only an administrator can do this");
    await dismissOnboarding(c.get("ctx"));
    return c.redirect("/inbox");
  });
  app.get("/partials/inbox-tabs", async (c) => {
    const u = user(c);
    const f = filtersOf(c);
    return c.html(renderFragment(ViewTabs({ t: translator(u.locale), filters: f, counts: await inbox.countViews(c.get("ctx"), u, f.status as never) })));
  });
  app.get("/partials/messages/:id", async (c) => {
    const u = user(c);
    const ctx = c.get("ctx");
    const msgs = await inbox.listMessages(ctx, u, c.req.param("id"), { after: c.req.query("after") || undefined, limit: 200 });
    return c.html(renderFragment(MessageItems({ messages: msgs, t: translator(u.locale), locale: u.locale })));
  });
  app.get("/partials/conversation-header/:id", async (c) => {
    const u = user(c);
    const ctx = c.get("ctx");
    const conv = await inbox.getConversation(ctx, u, c.req.param("id"));
    return c.html(renderFragment(ConvHeader({ c: conv as never, t: translator(u.locale), ...(await lookups(ctx)) })));
  });

  // Live updates for this user: only events about conversations they may see (before or after the change).
  app.get("/console/events", (c) => {
    const ctx = c.get("ctx");
    const u = user(c);
    return streamSSE(c, async (stream) => {
      let open = true;
      const queue: string[] = [];
      const w = waiter();
      const remove = ctx.hub.add({
        id: newId(), kind: "user", principal: u.id,
        filter: (_e, d) => {
          const x = d as { assigneeId: string | null; departmentId: string | null; previous?: { assigneeId: string | null; departmentId: string | null } };
          return canSee(u, x) || (!!x.previous && canSee(u, x.previous));
        },
        send: (event, data) => { queue.push(JSON.stringify({ event, ...(data as object) })); w.wake(); },
        close: () => { open = false; w.wake(); },
      });
      stream.onAbort(() => { open = false; remove(); w.wake(); });
      await stream.writeSSE({ event: "ready", data: "{}" });
      while (open) {
        if (queue.length) await stream.writeSSE({ event: "inbox", data: `[${queue.splice(0).join(",")}]` });
        await w.wait(15_000);
        if (!queue.length && open) await stream.writeSSE({ event: "ping", data: "{}" });
      }
      remove();
    });
  });

  // ---- contacts and profile
  app.get("/contacts", async (c) => {
    const u = user(c);
    const t = translator(u.locale);
    const q = c.req.query("q") ?? "";
    const r = await contacts.listContacts(c.get("ctx"), u, { q, before: c.req.query("before") || undefined });
    return page(c, t("contacts.title"), "contacts", S.ContactsPage({ t, q, items: r.items, next: r.next, locale: u.locale }));
  });
  app.get("/profile", (c) => {
    const u = user(c);
    const t = translator(u.locale);
    return page(c, t("nav.profile"), "profile", S.ProfilePage({ t, csrf: c.get("csrf")!, user: u, flash: c.req.query("saved") ? t("settings.saved") : undefined }));
  });
  app.post("/profile", async (c) => {
    const u = user(c);
    const f = await formBody(c);
    try {
      await auth.updateUser(c.get("ctx"), u, u.id, { name: String(f.name ?? u.name), locale: f.locale === "en" ? "en" : "es", ...(f.password ? { password: String(f.password), currentPassword: String(f.currentPassword ?? "") } : {}) });
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500) throw e;
      const t = translator(u.locale);
      if (e.retryAfter) c.header("retry-after", String(e.retryAfter));
      return page(c, t("nav.profile"), "profile", S.ProfilePage({ t, csrf: c.get("csrf")!, user: { name: String(f.name || u.name), locale: u.locale }, error: errText(e, t) }), e.status as ContentfulStatusCode);
    }
    if (f.password) return c.redirect("/login");
    return c.redirect("/profile?saved=1");
  });

  // ---- settings (administrators)
  app.use("/settings/*", async (c, next) => { if (!isAdmin(user(c))) throw new AppError(403, "admin_only", "Only an administrator can do this"); await next(); });
  app.use("/settings", async (c, next) => { if (!isAdmin(user(c))) throw new AppError(403, "admin_only", "Only an administrator can do this"); await next(); });
  app.get("/settings", (c) => c.redirect("/settings/business"));
  /** A settings page; a refused form comes back to it with the error and the status the API would answer. */
  const settingsPage = (c: Context<Env>, active: string, body: unknown, error?: string, flash?: string, status: number = 200) => {
    const t = translator(user(c).locale);
    return page(c, t("settings.title"), "settings", S.SettingsFrame({ t, active, flash: flash ?? (c.req.query("saved") ? t("settings.saved") : undefined), error, children: body }), status as ContentfulStatusCode);
  };
  // Runs a settings change and comes back to the page, or shows the page again with the error.
  const act = (path: string, render: (c: Context<Env>) => Promise<unknown>, fn: (c: Context<Env>, f: Record<string, string | File | (string | File)[]>) => Promise<unknown>) => async (c: Context<Env>) => {
    const f = await formBody(c, { all: true });
    try {
      await fn(c, f);
      return c.redirect(`/settings/${path}?saved=1`);
    } catch (e) {
      const t = translator(user(c).locale);
      const detail = e instanceof AppError && e.details && typeof e.details === "object" && "issues" in e.details ? ` ${JSON.stringify((e.details as { issues: unknown }).issues)}` : e instanceof z.ZodError ? ` ${e.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` : "";
      return settingsPage(c, path, await render(c), errText(e instanceof z.ZodError ? new AppError(400, "validation_failed", "invalid") : e, t) + detail, undefined, e instanceof AppError ? e.status : e instanceof z.ZodError ? 400 : 500);
    }
  };
  const pid = (c: Context<Env>) => c.req.param("id") as string;
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  const arr = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === "string" && v ? [v] : []);
  const T = (c: Context<Env>) => translator(user(c).locale);
  const csrf = (c: Context<Env>) => c.get("csrf")!;

  const businessView = async (c: Context<Env>) => S.BusinessSettings({ t: T(c), csrf: csrf(c), b: (await getBusiness(c.get("ctx"))) ?? { name: "", description: "", location: "", country: "MX", timezone: "America/Mexico_City", locale: "es", hours: defaultHours() }, timezones: timezones() });
  app.get("/settings/business", async (c) => settingsPage(c, "business", await businessView(c)));
  app.post("/settings/business", act("business", businessView, async (c, f) => {
    const ctx = c.get("ctx");
    const b: Business = businessSchema.parse({ name: str(f.name), description: str(f.description), location: str(f.location), country: str(f.country).toUpperCase(), timezone: str(f.timezone), locale: str(f.locale) || "es", hours: hoursFromForm(f) });
    await ctx.database.write((tx) => putSetting(tx, "business", b, ctx.clock.now()));
  }));

  const usersView = async (c: Context<Env>) => S.UsersSettings({ t: T(c), csrf: csrf(c), locale: user(c).locale, users: await auth.listUsers(c.get("ctx")), departments: await auth.listDepartments(c.get("ctx")) });
  app.get("/settings/users", async (c) => settingsPage(c, "users", await usersView(c)));
  app.post("/settings/users", act("users", usersView, (c, f) => auth.createUser(c.get("ctx"), { name: str(f.name), email: str(f.email), password: str(f.password), role: str(f.role) === "admin" ? "admin" : "agent", departmentIds: arr(f.departmentIds) })));
  app.post("/settings/users/:id/unlock", act("users", usersView, (c) => auth.unlockLogin(c.get("ctx"), user(c), pid(c))));
  // an administrator renames a person or sets a new password for them (their sessions end); her own password
  // is changed on her profile, with the current one
  app.post("/settings/users/:id/profile", act("users", usersView, (c, f) => auth.updateUser(c.get("ctx"), user(c), pid(c), { name: str(f.name), ...(str(f.password) ? { password: str(f.password) } : {}) })));
  app.post("/settings/users/:id", act("users", usersView, (c, f) => auth.updateUser(c.get("ctx"), user(c), pid(c), { role: str(f.role) === "admin" ? "admin" : "agent", departmentIds: arr(f.departmentIds), active: str(f.active) !== "0" })));

  const count = (c: Context<Env>, key: string, n: number) => plural(user(c).locale, key, n);
  const deptView = async (c: Context<Env>) => {
    const u = await inbox.usageCounts(c.get("ctx"));
    return S.SimpleListSettings({ t: T(c), csrf: csrf(c), title: T(c)("settings.departments"), rows: await auth.listDepartments(c.get("ctx")), cols: [{ key: "name", label: T(c)("common.name") }, { key: "description", label: T(c)("common.description") }, { key: "members", label: T(c)("departments.members") }], createAction: "/settings/departments", deleteBase: "/settings/departments", fields: [{ name: "name", label: T(c)("common.name") }],
      empty: T(c)("departments.empty"), editFields: (r) => [{ name: "name", label: T(c)("common.name"), value: String(r.name) }],
      confirmOf: (r) => T(c)("departments.deleteConfirm", { name: String(r.name), conversations: count(c, "count.conversations", u.departmentConversations.get(String(r.id)) ?? 0), channels: count(c, "count.channels", u.departmentChannels.get(String(r.id)) ?? 0), people: count(c, "count.people", Number(r.members ?? 0)) }) });
  };
  app.get("/settings/departments", async (c) => settingsPage(c, "departments", await deptView(c)));
  app.post("/settings/departments", act("departments", deptView, (c, f) => auth.createDepartment(c.get("ctx"), user(c), { name: str(f.name) })));
  app.post("/settings/departments/:id/delete", act("departments", deptView, (c) => auth.deleteDepartment(c.get("ctx"), user(c), pid(c))));
  app.post("/settings/departments/:id", act("departments", deptView, (c, f) => auth.updateDepartment(c.get("ctx"), user(c), pid(c), { name: str(f.name) })));

  const tagsView = async (c: Context<Env>) => S.SimpleListSettings({ t: T(c), csrf: csrf(c), title: T(c)("settings.tags"), rows: await inbox.listTags(c.get("ctx")), empty: T(c)("tags.empty"), editFields: (r) => [{ name: "name", label: T(c)("common.name"), value: String(r.name) }, { name: "color", label: T(c)("tags.color"), type: "color", value: String(r.color) }],
    confirmOf: ((u) => (r: Record<string, unknown>) => T(c)("tags.deleteConfirm", { name: String(r.name), conversations: count(c, "count.conversations", u.tagConversations.get(String(r.id)) ?? 0) }))(await inbox.usageCounts(c.get("ctx"))), cols: [{ key: "name", label: T(c)("common.name"), render: (r) => html`<span class="tag" style=${`background:${r.color}`}>${r.name}</span>` }], createAction: "/settings/tags", deleteBase: "/settings/tags", fields: [{ name: "name", label: T(c)("common.name") }, { name: "color", label: T(c)("tags.color"), type: "color", value: "#0f766e" }] });
  app.get("/settings/tags", async (c) => settingsPage(c, "tags", await tagsView(c)));
  app.post("/settings/tags", act("tags", tagsView, (c, f) => inbox.createTag(c.get("ctx"), user(c), { name: str(f.name), color: str(f.color) || undefined })));
  app.post("/settings/tags/:id/delete", act("tags", tagsView, (c) => inbox.deleteTag(c.get("ctx"), user(c), pid(c))));
  app.post("/settings/tags/:id", act("tags", tagsView, (c, f) => inbox.updateTag(c.get("ctx"), user(c), pid(c), { name: str(f.name), ...(str(f.color) ? { color: str(f.color) } : {}) })));

  const qrView = async (c: Context<Env>) => S.SimpleListSettings({ t: T(c), csrf: csrf(c), title: T(c)("settings.quickReplies"), rows: await inbox.listQuickReplies(c.get("ctx")), empty: T(c)("qr.empty"), editFields: (r) => [{ name: "shortcut", label: T(c)("qr.shortcut"), value: String(r.shortcut) }, { name: "body", label: T(c)("qr.body"), textarea: true, value: String(r.body) }], confirmOf: (r) => T(c)("qr.deleteConfirm", { shortcut: String(r.shortcut) }), cols: [{ key: "shortcut", label: T(c)("qr.shortcut"), render: (r) => `/${r.shortcut}` }, { key: "body", label: T(c)("qr.body") }], createAction: "/settings/quick-replies", deleteBase: "/settings/quick-replies", fields: [{ name: "shortcut", label: T(c)("qr.shortcut") }, { name: "body", label: T(c)("qr.body"), textarea: true }] });
  app.get("/settings/quick-replies", async (c) => settingsPage(c, "quick-replies", await qrView(c)));
  app.post("/settings/quick-replies", act("quick-replies", qrView, (c, f) => inbox.createQuickReply(c.get("ctx"), user(c), { shortcut: str(f.shortcut), body: str(f.body) })));
  app.post("/settings/quick-replies/:id/delete", act("quick-replies", qrView, (c) => inbox.deleteQuickReply(c.get("ctx"), user(c), pid(c))));
  app.post("/settings/quick-replies/:id", act("quick-replies", qrView, (c, f) => inbox.updateQuickReply(c.get("ctx"), user(c), pid(c), { shortcut: str(f.shortcut), body: str(f.body) })));

  const baseUrl = (c: Context<Env>) => c.get("ctx").config.public_url?.replace(/\/$/, "") ?? new URL(c.req.url).origin;
  const channelsView = async (c: Context<Env>) => {
    const ctx = c.get("ctx");
    const list = await Promise.all((await channels.listChannels(ctx)).map(async (ch) => ({
      ...channels.publicChannel(ch),
      stats: ch.type === "webchat" ? undefined : await channels.channelStats(ctx, ch.id),
      templates: ch.type === cloud.CLOUD ? await cloud.listTemplates(ctx, user(c), ch.id) : undefined,
      qr: ch.type === qr.QR ? await qrNumberView(ctx, ch.id) : undefined,
    })));
    return S.ChannelsSettings({ t: T(c), csrf: csrf(c), baseUrl: baseUrl(c), locale: user(c).locale, channels: list, departments: await auth.listDepartments(ctx) });
  };
  const cloudConfigOf = (f: Record<string, unknown>) => ({ phoneNumberId: str(f.phoneNumberId), wabaId: str(f.wabaId), accessToken: str(f.accessToken), appSecret: str(f.appSecret), verifyToken: str(f.verifyToken), ratePerSecond: Number(str(f.ratePerSecond)) || 80 });
  app.get("/settings/channels", async (c) => settingsPage(c, "channels", await channelsView(c)));
  app.post("/settings/channels", act("channels", channelsView, (c, f) => str(f.type) === cloud.CLOUD
    ? channels.createChannel(c.get("ctx"), user(c), { type: cloud.CLOUD, name: str(f.name), config: cloudConfigOf(f) })
    : str(f.type) === qr.QR ? channels.createChannel(c.get("ctx"), user(c), { type: qr.QR, name: str(f.name), config: {} })
    : channels.createChannel(c.get("ctx"), user(c), { type: "webchat", name: str(f.name), config: {} })));
  app.post("/settings/channels/:id", act("channels", channelsView, async (c, f) => {
    if (f.preChat === "on" && !arr(f.preChatFields).length) throw new AppError(400, "prechat_fields_required", "Pick at least one detail to ask before the chat", { field: "preChatFields" });
    const ctx = c.get("ctx");
    const cur = await channels.getChannel(ctx, pid(c));
    if (!cur) throw new AppError(404, "not_found", "Channel not found");
    const config = cur.type === "webchat" ? { title: str(f.title), greeting: str(f.greeting), offlineMessage: str(f.offlineMessage), color: str(f.color) || "#0f766e", preChat: { enabled: f.preChat === "on", fields: (["name", "email", "phone"] as const).filter((x) => arr(f.preChatFields).includes(x)), required: f.preChatRequired === "on" }, locale: (["business", "es", "en", "auto"] as const).find((l) => l === f.widgetLocale) ?? "business", allowedOrigins: str(f.allowedOrigins).split(/\s+/).map((s) => s.trim().replace(/\/$/, "")).filter(Boolean) }
      : cur.type === cloud.CLOUD ? cloudConfigOf(f) : undefined;
    await channels.updateChannel(ctx, user(c), cur.id, { name: str(f.name) || cur.name, departmentId: str(f.departmentId) || null, active: f.active === "on", ...(config ? { config } : {}) });
  }));
  app.post("/settings/channels/:id/delete", act("channels", channelsView, (c) => channels.deleteChannel(c.get("ctx"), user(c), pid(c))));
  app.post("/settings/channels/:id/pair", act("channels", channelsView, (c) => qr.startPairing(c.get("ctx"), user(c), pid(c))));
  app.post("/settings/channels/:id/pair-code", act("channels", channelsView, (c, f) => qr.pairWithPhone(c.get("ctx"), user(c), pid(c), str(f.phone))));
  app.post("/settings/channels/:id/logout", act("channels", channelsView, (c) => qr.logoutNumber(c.get("ctx"), user(c), pid(c))));
  app.get("/partials/channel-qr/:id", async (c) => {
    const u = user(c);
    if (!isAdmin(u)) throw new AppError(403, "admin_only", "Only an administrator can do this");
    return c.html(renderFragment(S.QrStatusView({ t: T(c), csrf: csrf(c), channelId: pid(c), s: await qrNumberView(c.get("ctx"), pid(c)), locale: u.locale })));
  });
  app.post("/settings/channels/:id/templates/sync", act("channels", channelsView, (c) => cloud.syncTemplates(c.get("ctx"), user(c), pid(c))));

  // ---- AI model server
  const aiView = async (c: Context<Env>, test?: S.AiTestView) => S.AiSettings({ t: T(c), csrf: csrf(c), s: ai.publicAiSettings(await ai.getAiSettings(c.get("ctx"))), defaultOllama: c.get("ctx").config.ollama_url, test, pulls: ai.pullStatus(c.get("ctx")) });
  app.get("/settings/ai", async (c) => {
    const pulling = c.req.query("pulling");
    return settingsPage(c, "ai", await aiView(c), undefined, pulling ? T(c)("ai.pullStarted", { model: pulling.slice(0, 200) }) : undefined);
  });
  app.post("/settings/ai", act("ai", aiView, (c, f) => ai.saveAiSettings(c.get("ctx"), user(c), { provider: str(f.provider) === "openai" ? "openai" : "ollama", ollamaUrl: str(f.ollamaUrl), openaiUrl: str(f.openaiUrl) || undefined, openaiKey: str(f.openaiKey), chatModel: str(f.chatModel), embedModel: str(f.embedModel), concurrency: Number(str(f.concurrency)) || 1, timeoutMs: (Number(str(f.timeoutS)) || 60) * 1000, shareContactData: str(f.shareContactData) === "1" })));
  app.post("/settings/ai/test", async (c) => settingsPage(c, "ai", await aiView(c, await ai.testAi(c.get("ctx"), user(c)))));
  // A download runs in the background; a failure that comes at once (an unknown model, no server) is shown at once,
  // never "Guardado." (issue #10), and a later one in the progress list, each in the owner's words.
  app.post("/settings/ai/pull", async (c) => {
    const f = await formBody(c);
    const t = T(c);
    let state: Awaited<ReturnType<typeof ai.startPull>>;
    try { state = await ai.startPull(c.get("ctx"), user(c), str(f.model)); } catch (e) {
      return settingsPage(c, "ai", await aiView(c), errText(e instanceof z.ZodError ? new AppError(400, "validation_failed", "invalid") : e, t), undefined, e instanceof AppError ? e.status : 400);
    }
    for (let i = 0; i < 40 && !state.done; i++) await Bun.sleep(50);
    if (state.error) {
      return settingsPage(c, "ai", await aiView(c), S.pullFailure(t, state), undefined, 502);
    }
    return c.redirect(`/settings/ai?pulling=${encodeURIComponent(state.model)}`);
  });
  app.get("/partials/ai-pulls", async (c) => {
    if (!isAdmin(user(c))) throw new AppError(403, "admin_only", "Only an administrator can do this");
    return c.html(renderFragment(S.PullProgressView({ t: T(c), pulls: ai.pullStatus(c.get("ctx")) })));
  });

  // ---- AI agents and their playground
  const channelOpts = async (c: Context<Env>) => (await channels.listChannels(c.get("ctx"))).map((ch) => ({ id: ch.id, name: ch.name }));
  const deptOpts = async (c: Context<Env>) => (await auth.listDepartments(c.get("ctx"))).map((d) => ({ id: d.id, name: d.name }));
  const agentsView = async (c: Context<Env>) => AG.AgentsList({ t: T(c), csrf: csrf(c), agents: await agentsSvc.listAgents(c.get("ctx")), channels: await channelOpts(c) });
  const agentOr404 = async (c: Context<Env>) => { const a = await agentsSvc.getAgent(c.get("ctx"), pid(c)); if (!a) throw new AppError(404, "not_found", "Agent not found"); return a; };
  const agentView = async (c: Context<Env>, play?: { history: AG.PlayTurn[]; detail?: AG.PlayDetail }) => {
    const a = await agentOr404(c);
    return html`${AG.AgentForm({ t: T(c), csrf: csrf(c), a, channels: await channelOpts(c), departments: await deptOpts(c), tools: [...TOOL_NAMES] })}${AG.Playground({ t: T(c), csrf: csrf(c), agentId: a.id, history: play?.history ?? [], detail: play?.detail })}`;
  };
  app.get("/settings/agents", async (c) => settingsPage(c, "agents", await agentsView(c)));
  app.post("/settings/agents", async (c) => {
    const f = await formBody(c, { all: true });
    try {
      const a = await agentsSvc.createAgent(c.get("ctx"), user(c), { name: str(f.name), channelIds: arr(f.channelIds) });
      return c.redirect(`/settings/agents/${a.id}`);
    } catch (e) {
      return settingsPage(c, "agents", await agentsView(c), errText(e instanceof z.ZodError ? new AppError(400, "validation_failed", "invalid") : e, T(c)), undefined, e instanceof AppError ? e.status : 400);
    }
  });
  app.get("/settings/agents/:id", async (c) => settingsPage(c, "agents", await agentView(c)));
  app.post("/settings/agents/:id", async (c) => {
    const f = await formBody(c, { all: true });
    try {
      await agentsSvc.updateAgent(c.get("ctx"), user(c), pid(c), {
        name: str(f.name), persona: str(f.persona), tone: str(f.tone) as "friendly", instructions: str(f.instructions), language: str(f.language) as "auto",
        channelIds: arr(f.channelIds), departmentIds: arr(f.departmentIds), tools: arr(f.tools),
        handoff: { keywords: str(f.keywords).split(",").map((k) => k.trim()).filter(Boolean), maxBotReplies: Number(str(f.maxBotReplies)) || 0, onNegativeSentiment: str(f.onNegativeSentiment) === "1", departmentId: str(f.handoffDepartmentId) || null, message: str(f.handoffMessage), idleResolveHours: str(f.idleResolveHours).trim() === "" ? 12 : Number(str(f.idleResolveHours)) },
        burstMs: Math.round((Number(str(f.burstS)) || 0) * 1000), useModel: str(f.useModel) === "1", active: str(f.active) === "1",
      });
      return c.redirect(`/settings/agents/${pid(c)}?saved=1`);
    } catch (e) {
      return settingsPage(c, "agents", await agentView(c), errText(e instanceof z.ZodError ? new AppError(400, "validation_failed", "invalid") : e, T(c)) + (e instanceof z.ZodError ? ` ${e.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` : ""), undefined, e instanceof AppError ? e.status : 400);
    }
  });
  app.post("/settings/agents/:id/delete", act("agents", agentsView, (c) => agentsSvc.deleteAgent(c.get("ctx"), user(c), pid(c))));
  app.post("/settings/agents/:id/playground", async (c) => {
    const f = await formBody(c);
    const a = await agentOr404(c);
    let history: AG.PlayTurn[] = [];
    try { history = z.array(z.object({ role: z.enum(["customer", "bot", "agent"]), text: z.string().max(4000) })).max(40).parse(JSON.parse(str(f.history) || "[]")); } catch { history = []; }
    const message = str(f.message).trim().slice(0, 4000);
    if (!message) return settingsPage(c, "agents", await agentView(c, { history }));
    const r = await runTurn(c.get("ctx"), { agent: a, conversationId: null, contactId: null, history, customerText: message, botReplies: history.filter((m) => m.role === "bot").length, dryRun: true });
    const next: AG.PlayTurn[] = [...history, { role: "customer" as const, text: message }, ...(r.reply ? [{ role: "bot" as const, text: r.reply }] : [])].slice(-40);
    return settingsPage(c, "agents", await agentView(c, { history: next, detail: turnView(r) }));
  });

  // ---- knowledge base
  const kbView = async (c: Context<Env>) => AG.KnowledgeSettings({ t: T(c), csrf: csrf(c), sources: await kb.listSources(c.get("ctx")), index: await kb.indexStatus(c.get("ctx")) });
  app.get("/settings/knowledge", async (c) => settingsPage(c, "knowledge", await kbView(c)));
  app.post("/settings/knowledge/file", act("knowledge", kbView, async (c, f) => {
    if (!(f.file instanceof File) || !f.file.size) throw new AppError(400, "file_required", "Choose a file", { field: "file" });
    return kb.addUploadedDocument(c.get("ctx"), user(c), f.file, str(f.title).trim() || undefined);
  }));
  app.post("/settings/knowledge/faq", act("knowledge", kbView, (c, f) => {
    const faq = str(f.faq).replace(/\r\n?/g, "\n").split(/\n\s*\n/).map((b) => b.trim().split("\n")).filter((l) => l.length >= 2).map(([q, ...a]) => ({ question: q.trim(), answer: a.join("\n").trim() }));
    return kb.addSource(c.get("ctx"), user(c), { title: str(f.title).trim() || undefined, faq });
  }));
  app.post("/settings/knowledge/text", act("knowledge", kbView, (c, f) => kb.addSource(c.get("ctx"), user(c), str(f.url).trim() ? { url: str(f.url).trim(), ...(str(f.title).trim() ? { title: str(f.title).trim() } : {}) } : { text: str(f.text), ...(str(f.title).trim() ? { title: str(f.title).trim() } : {}) })));
  app.post("/settings/knowledge/:id/delete", act("knowledge", kbView, (c) => kb.deleteSource(c.get("ctx"), user(c), pid(c))));
  app.post("/settings/knowledge/reindex", act("knowledge", kbView, (c) => kb.reindex(c.get("ctx"), user(c))));
  app.get("/partials/kb-index", async (c) => {
    if (!isAdmin(user(c))) throw new AppError(403, "admin_only", "Only an administrator can do this");
    return c.html(renderFragment(AG.IndexProgress({ t: T(c), index: await kb.indexStatus(c.get("ctx")) })));
  });

  // ---- catalog and calendar (what the agents' tools quote and book)
  const catalogView = async (c: Context<Env>) => CA.CatalogSettings({ t: T(c), csrf: csrf(c), products: await commerce.listProducts(c.get("ctx")), money: (p) => commerce.formatMoney(p.price, p.currency, user(c).locale) });
  const priceOf = (v: unknown) => {
    const p = commerce.parsePrice(str(v));
    if (p === null) throw new AppError(400, "invalid_price", "The price is not valid", { field: "price", value: str(v) });
    return p;
  };
  const stockOf = (v: unknown) => {
    const x = str(v).trim();
    if (x === "") return null;
    if (!/^\d+$/.test(x)) throw new AppError(400, "invalid_stock", "Stock is a whole number, or empty when not tracked", { field: "stock", value: x });
    return Number(x);
  };
  app.get("/settings/catalog", async (c) => {
    const imported = /^(\d+)-(\d+)$/.exec(c.req.query("imported") ?? "");
    return settingsPage(c, "catalog", await catalogView(c), undefined, imported ? T(c)("catalog.imported", { created: imported[1], updated: imported[2] }) : undefined);
  });
  app.post("/settings/catalog", act("catalog", catalogView, (c, f) => commerce.createProduct(c.get("ctx"), user(c), {
    sku: str(f.sku), name: str(f.name), category: str(f.category), description: str(f.description), price: priceOf(f.price), ...(str(f.currency).trim() ? { currency: str(f.currency).trim().toUpperCase() } : {}), stock: stockOf(f.stock),
  })));
  app.post("/settings/catalog/import", async (c) => {
    const f = await formBody(c);
    try {
      if (!(f.file instanceof File) || !f.file.size) throw new AppError(400, "file_required", "Choose a file", { field: "file" });
      const r = await commerce.importProducts(c.get("ctx"), user(c), await f.file.text());
      return c.redirect(`/settings/catalog?imported=${r.created}-${r.updated}`);
    } catch (e) {
      return settingsPage(c, "catalog", await catalogView(c), errText(e, T(c)), undefined, e instanceof AppError ? e.status : 500);
    }
  });
  app.post("/settings/catalog/:id", act("catalog", catalogView, (c, f) => commerce.updateProduct(c.get("ctx"), user(c), pid(c), { price: priceOf(f.price), stock: stockOf(f.stock), active: str(f.active) === "1" })));
  app.post("/settings/catalog/:id/delete", act("catalog", catalogView, (c) => commerce.deleteProduct(c.get("ctx"), user(c), pid(c))));

  const calendarView = async (c: Context<Env>) => {
    const ctx = c.get("ctx");
    const [cfg, b, list] = await Promise.all([calendar.getCalendarSettings(ctx), getBusiness(ctx), calendar.listAppointments(ctx, user(c), { from: ctx.clock.now() })]);
    const names = await contacts.contactNames(ctx, list.flatMap((a) => (a.contactId ? [a.contactId] : [])));
    const tz = b?.timezone ?? "UTC";
    return CA.CalendarSettings({ t: T(c), csrf: csrf(c), slotMinutes: cfg.slotMinutes, services: cfg.services, appointments: list.map((a) => ({ id: a.id, ...calendar.localParts(tz, a.startsAt), service: a.service, notes: a.notes, contactName: a.contactId ? names.get(a.contactId) ?? null : null, conversationId: a.conversationId })) });
  };
  app.get("/settings/calendar", async (c) => settingsPage(c, "calendar", await calendarView(c)));
  app.post("/settings/calendar", act("calendar", calendarView, (c, f) => calendar.saveCalendarSettings(c.get("ctx"), user(c), { slotMinutes: Number(str(f.slotMinutes)), services: str(f.services).split(/\r?\n/).map((x) => x.trim()).filter(Boolean) })));
  app.post("/settings/calendar/:id/cancel", act("calendar", calendarView, (c) => calendar.cancelAppointment(c.get("ctx"), user(c), pid(c))));

  app.get("/settings/api-keys", async (c) => settingsPage(c, "api-keys", S.ApiKeysSettings({ t: T(c), csrf: csrf(c), locale: user(c).locale, keys: await auth.listApiKeys(c.get("ctx")) })));
  app.post("/settings/api-keys", async (c) => {
    const f = await formBody(c);
    const k = await auth.createApiKey(c.get("ctx"), user(c), { name: str(f.name), scope: (["read", "inbox", "admin"] as const).find((x) => x === f.scope) ?? "read" });
    return settingsPage(c, "api-keys", S.ApiKeysSettings({ t: T(c), csrf: csrf(c), locale: user(c).locale, keys: await auth.listApiKeys(c.get("ctx")), created: { key: k.key, scope: k.scope } }));
  });
  app.post("/settings/api-keys/:id/delete", act("api-keys", async () => null, (c) => auth.revokeApiKey(c.get("ctx"), user(c), pid(c))));
  app.get("/settings/login-history", async (c) => settingsPage(c, "login-history", S.LoginHistory({ t: T(c), locale: user(c).locale, rows: await auth.loginHistory(c.get("ctx"), 200) })));

  return app;
}
