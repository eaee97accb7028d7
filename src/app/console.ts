// The console's shared plumbing: the session gate, the page layout, errors in the person's language, and the
// helpers settings forms use. Each domain registers its own pages and forms (src/<domain>/console.ts); the
// composition root (app.ts) passes them here in one list.
import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { setCookie } from "hono/cookie";
import { z } from "zod";
import type { Env } from "./http.ts";
import { formBody } from "./http.ts";
import { AppError } from "../platform/errors.ts";
import { assertAdmin, type Actor } from "../platform/context.ts";
import { translator, plural, type Locale, type T as Translate } from "../../ui/i18n/index.ts";
import { renderPage, html } from "../../ui/components/html.ts";
import { Bare, Layout } from "../../ui/components/layout.ts";
import { SettingsFrame } from "../../ui/components/settings.ts";
import * as auth from "../auth/service.ts";
import { SESSION_COOKIE } from "../auth/middleware.ts";

export type ConsoleUser = Extract<Actor, { kind: "user" }>;
export type ConsoleApp = Hono<Env>;
export type C = Context<Env>;
/** A domain's console: registers its pages, fragments and forms on the console app. */
export type ConsoleModule = (app: ConsoleApp) => void;
export type Form = Record<string, string | File | (string | File)[]>;

export const user = (c: C) => c.get("actor") as ConsoleUser;
export const T = (c: C) => translator(user(c).locale);
export const csrf = (c: C) => c.get("csrf")!;
export const pid = (c: C) => c.req.param("id") as string;
export const str = (v: unknown) => (typeof v === "string" ? v : "");
export const arr = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === "string" && v ? [v] : []);
export const count = (c: C, key: string, n: number) => plural(user(c).locale, key, n);
export const timezones = () => Intl.supportedValuesOf("timeZone");
export const adminOnly = (c: C) => assertAdmin(user(c));
/** The address the business's customers and providers reach DigyBot at: the configured public URL, else this request's. */
export const publicUrl = (c: C) => c.get("ctx").config.public_url?.replace(/\/$/, "") ?? new URL(c.req.url).origin;
/** The status a refused form answers with: the error's own, 400 for invalid input, 500 for anything else. */
export const statusOf = (e: unknown, otherwise = 500) =>
  e instanceof AppError ? e.status : e instanceof z.ZodError ? 400 : otherwise;

export const page = (c: C, title: string, active: string, body: unknown, status: number = 200) => {
  const u = user(c);
  return c.html(
    renderPage(Layout({ t: translator(u.locale), user: u, csrf: csrf(c), title, active, children: body })),
    status as ContentfulStatusCode,
  );
};

/** An error in the person's language: the code's translation, filled from its details (a CSV's line, a field), or the message. */
export const errText = (e: unknown, t: Translate) => {
  if (e instanceof z.ZodError) return t("errors.validation_failed");
  if (!(e instanceof AppError)) return t("errors.internal");
  const key = `errors.${e.code}`;
  const vars =
    e.details && typeof e.details === "object" && !Array.isArray(e.details)
      ? Object.fromEntries(Object.entries(e.details).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]))
      : undefined;
  const s = t(key, vars);
  return s === key ? e.message : s;
};
/** Which fields were wrong, for the form that sent them. */
const errDetail = (e: unknown) =>
  e instanceof AppError && e.details && typeof e.details === "object" && "issues" in e.details
    ? ` ${JSON.stringify((e.details as { issues: unknown }).issues)}`
    : e instanceof z.ZodError
      ? ` ${e.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`
      : "";

/**
 * What a person sees when a console page or form fails outside a page's own error handling (a file over the
 * upload limit, a page only administrators may open, a conversation that is gone): a page in their language with
 * the reason and a way back, with the status the API would answer.
 */
export function consoleErrorPage(c: C, e: AppError) {
  const actor = c.get("actor") as Actor | null;
  const locale: Locale = actor?.kind === "user" ? actor.locale : "es";
  const t = translator(locale);
  const ref = c.req.header("referer");
  const back =
    ref && URL.canParse(ref) && new URL(ref).origin === new URL(c.req.url).origin
      ? new URL(ref).pathname + new URL(ref).search
      : "/inbox";
  if (e.retryAfter) c.header("retry-after", String(e.retryAfter));
  return c.html(
    renderPage(
      Bare({
        locale,
        title: t("errors.title"),
        children: html`<div class="auth" role="alert"><h1>${t("errors.title")}</h1>
    <p class="error-text">${errText(e, t)}</p><p><a class="button" href=${back}>${t("errors.back")}</a></p></div>`,
      }),
    ),
    e.status,
  );
}

export function startSession(c: C, token: string) {
  const ctx = c.get("ctx");
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    secure: ctx.config.secure_cookies || !!ctx.config.public_url?.startsWith("https:"),
    maxAge: ctx.config.session_days * 86400,
  });
}

/** A settings page; a refused form comes back to it with the error and the status the API would answer. */
export const settingsPage = (
  c: C,
  active: string,
  body: unknown,
  error?: string,
  flash?: string,
  status: number = 200,
) => {
  const t = T(c);
  return page(
    c,
    t("settings.title"),
    "settings",
    SettingsFrame({
      t,
      active,
      flash: flash ?? (c.req.query("saved") ? t("settings.saved") : undefined),
      error,
      children: body,
    }),
    status,
  );
};

/** A settings form: runs the change and comes back to the page, or shows the page again with the error and its fields. */
export const act =
  (path: string, render: (c: C) => Promise<unknown>, fn: (c: C, f: Form) => Promise<unknown>) => async (c: C) => {
    const f = await formBody(c, { all: true });
    try {
      await fn(c, f);
      return c.redirect(`/settings/${path}?saved=1`);
    } catch (e) {
      return settingsPage(c, path, await render(c), errText(e, T(c)) + errDetail(e), undefined, statusOf(e));
    }
  };
/** The same for a form whose page is not a plain redirect target: shows the page with the error. */
export const refused = async (c: C, path: string, render: (c: C) => Promise<unknown>, e: unknown, otherwise = 400) =>
  settingsPage(c, path, await render(c), errText(e, T(c)) + errDetail(e), undefined, statusOf(e, otherwise));

/** The server-rendered console: each domain's pages behind one session gate, settings for administrators only. */
export function consoleRoutes(modules: ConsoleModule[]) {
  const app = new Hono<Env>();
  // A fresh install goes to the setup wizard; afterwards, pages need a session.
  app.use("*", async (c, next) => {
    const p = c.req.path;
    if (p === "/setup" || p === "/login") return next();
    if ((await auth.countUsers(c.get("ctx"))) === 0) return c.redirect("/setup");
    if (!c.get("actor") || c.get("actor")!.kind !== "user") return c.redirect(`/login`);
    return next();
  });
  app.use("/settings/*", async (c, next) => {
    adminOnly(c);
    await next();
  });
  app.use("/settings", async (c, next) => {
    adminOnly(c);
    await next();
  });
  app.get("/settings", (c) => c.redirect("/settings/business"));
  for (const register of modules) register(app);
  return app;
}
