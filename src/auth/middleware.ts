import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import type { Env } from "../app/http.ts";
import { formBody } from "../app/http.ts";
import { AppError, unauthorized } from "../platform/errors.ts";
import { apiKeyActor, sessionActor } from "./service.ts";
import { newSecret } from "../platform/ids.ts";

export const SESSION_COOKIE = "digybot_session";

/** Resolves who is calling: an API key in `Authorization: Bearer`, or a console session cookie. */
export const loadActor: MiddlewareHandler<Env> = async (c, next) => {
  const ctx = c.get("ctx");
  c.set("actor", null);
  c.set("csrf", null);
  c.set("sessionToken", null);
  c.set("viaCookie", false);
  const auth = c.req.header("authorization");
  if (auth?.startsWith("Bearer ")) {
    const a = await apiKeyActor(ctx, auth.slice(7).trim());
    if (!a) throw new AppError(401, "invalid_api_key", "The API key is not valid or was revoked");
    c.set("actor", a);
  } else {
    const token = getCookie(c, SESSION_COOKIE);
    const s = await sessionActor(ctx, token);
    if (s) {
      c.set("actor", s.actor);
      c.set("csrf", s.csrf);
      c.set("sessionToken", token!);
      c.set("viaCookie", true);
    }
  }
  await next();
};

export const requireActor: MiddlewareHandler<Env> = async (c, next) => {
  if (!c.get("actor")) throw unauthorized();
  await next();
};

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cookie-authenticated changes must carry the session's CSRF token (X-CSRF-Token header, or _csrf form field)
 * and, when the browser says where it comes from, come from this same origin. API keys are not cookies: exempt.
 */
export const csrfProtect: MiddlewareHandler<Env> = async (c, next) => {
  if (!SAFE.has(c.req.method) && c.get("viaCookie")) {
    const origin = c.req.header("origin");
    if (origin && origin !== new URL(c.req.url).origin)
      throw new AppError(403, "csrf_failed", "Cross-site request refused");
    let token = c.req.header("x-csrf-token");
    if (!token) {
      const type = c.req.header("content-type") ?? "";
      if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) {
        const form = await formBody(c);
        token = typeof form._csrf === "string" ? form._csrf : undefined;
      }
    }
    if (!token || token !== c.get("csrf")) throw new AppError(403, "csrf_failed", "Missing or wrong CSRF token");
  }
  await next();
};

export const FORM_COOKIE = "digybot_form";

/**
 * The forms used before there is a session (login, first-run setup) carry a token that must match a cookie of
 * this site (double submit; the cookie is SameSite=Strict, so another site's page cannot post it). Without it a
 * page elsewhere could log a browser into the attacker's account, or set up a fresh install for itself.
 */
export function formToken(c: Context<Env>): string {
  const have = getCookie(c, FORM_COOKIE);
  if (have && /^[\w-]{32,64}$/.test(have)) return have;
  const token = newSecret(24);
  const ctx = c.get("ctx");
  setCookie(c, FORM_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: ctx.config.secure_cookies || !!ctx.config.public_url?.startsWith("https:"),
  });
  return token;
}

/** Throws 403 form_expired unless the posted `_csrf` field matches the form cookie and the browser does not say cross-site. */
export function checkFormToken(c: Context<Env>, form: Record<string, unknown>) {
  const cookie = getCookie(c, FORM_COOKIE) ?? "";
  const sent = typeof form._csrf === "string" ? form._csrf : "";
  const same = !!cookie && cookie.length === sent.length && timingSafeEqual(Buffer.from(cookie), Buffer.from(sent));
  if (c.req.header("sec-fetch-site") === "cross-site" || !same)
    throw new AppError(403, "form_expired", "The form expired or came from another site; send it again");
}
