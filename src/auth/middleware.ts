import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { Env } from "../app/http.ts";
import { formBody } from "../app/http.ts";
import { AppError, unauthorized } from "../platform/errors.ts";
import { apiKeyActor, sessionActor } from "./service.ts";

export const SESSION_COOKIE = "digybot_session";

/** Resolves who is calling: an API key in `Authorization: Bearer`, or a console session cookie. */
export const loadActor: MiddlewareHandler<Env> = async (c, next) => {
  const ctx = c.get("ctx");
  c.set("actor", null); c.set("csrf", null); c.set("sessionToken", null); c.set("viaCookie", false);
  const auth = c.req.header("authorization");
  if (auth?.startsWith("Bearer ")) {
    const a = await apiKeyActor(ctx, auth.slice(7).trim());
    if (!a) throw new AppError(401, "invalid_api_key", "The API key is not valid or was revoked");
    c.set("actor", a);
  } else {
    const token = getCookie(c, SESSION_COOKIE);
    const s = await sessionActor(ctx, token);
    if (s) { c.set("actor", s.actor); c.set("csrf", s.csrf); c.set("sessionToken", token!); c.set("viaCookie", true); }
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
    if (origin && origin !== new URL(c.req.url).origin) throw new AppError(403, "csrf_failed", "Cross-site request refused");
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
