import type { Context } from "hono";
import { type z, ZodError } from "zod";
import { AppError } from "../platform/errors.ts";
import { DatabaseBusyError } from "../platform/db.ts";
import type { Actor, Ctx } from "../platform/context.ts";

/** Hono variables every handler can read. */
export type Env = {
  Variables: { ctx: Ctx; actor: Actor | null; csrf: string | null; sessionToken: string | null; viaCookie: boolean };
};

export function zodDetails(e: ZodError) {
  return {
    issues: e.issues.map((i) => ({
      path: i.path.join("."),
      code: i.code,
      message: i.message,
      ...(i.code === "unrecognized_keys" ? { keys: i.keys } : {}),
    })),
  };
}

/** Reads and validates a JSON body: malformed JSON and schema violations are 400s with details, never a 500. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!type.includes("application/json"))
    throw new AppError(415, "unsupported_media_type", "Send a JSON body with Content-Type: application/json");
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new AppError(400, "invalid_json", "The request body is not valid JSON");
  }
  return parseOr400(schema, raw);
}

export function parseOr400<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new AppError(400, "validation_failed", "The request has invalid fields", zodDetails(r.error));
  return r.data;
}

export function query<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return parseOr400(schema, c.req.query());
}

/**
 * Any thrown thing as the one error model: a domain error as it is, zod's as validation_failed, Hono's body limit
 * as payload_too_large, another 4xx as bad_request; anything else is logged and becomes internal.
 */
export function asAppError(
  c: Context,
  err: unknown,
  log?: { error: (m: string, d?: Record<string, unknown>) => void },
): AppError {
  if (err instanceof ZodError)
    return new AppError(400, "validation_failed", "The request has invalid fields", zodDetails(err));
  if (err instanceof AppError) return err;
  if (err instanceof DatabaseBusyError) {
    log?.error("request refused: database locked", { path: c.req.path, waitedMs: err.waitedMs });
    return new AppError(
      503,
      "database_busy",
      "The database is busy; try again in a moment",
      { waitedMs: err.waitedMs },
      2,
    );
  }
  const constraint = constraintError(err);
  if (constraint) return constraint;
  const status = (err as { status?: number })?.status;
  if (status === 413) return new AppError(413, "payload_too_large", "The request body is too large");
  if (status && status >= 400 && status < 500)
    return new AppError(status as 400, "bad_request", (err as Error).message);
  log?.error("unhandled error", {
    path: c.req.path,
    error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err),
  });
  return new AppError(500, "internal", "Internal error");
}

/**
 * A database constraint that a request broke (a unique name taken, an id that refers to nothing), once for every
 * domain: 409 unique_violation or 422 unknown_reference with the column named, instead of a 500. Also drizzle's
 * refusal of an UPDATE with nothing to set (a PATCH whose fields change nothing in that table).
 */
function constraintError(err: unknown): AppError | null {
  for (
    let e = err as { message?: string; code?: string; cause?: unknown } | undefined, i = 0;
    e && i < 4;
    e = e.cause as typeof e, i++
  ) {
    const text = `${e.code ?? ""} ${e.message ?? ""}`;
    const unique = /UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)/.exec(text);
    if (unique)
      return new AppError(409, "unique_violation", "A record with that value already exists", {
        fields: unique[1].split(", ").map((f) => f.split(".").pop()),
      });
    if (/FOREIGN KEY constraint failed|SQLITE_CONSTRAINT_FOREIGNKEY/.test(text))
      return new AppError(422, "unknown_reference", "A value refers to something that does not exist");
    if (/NOT NULL constraint failed: ([\w.]+)/.test(text))
      return new AppError(400, "validation_failed", "A required value is missing", {
        field: /NOT NULL constraint failed: [\w]+\.(\w+)/.exec(text)?.[1],
      });
    if (/CHECK constraint failed/.test(text)) return new AppError(400, "validation_failed", "A value is not allowed");
    if (/No values to set/.test(text)) return new AppError(400, "nothing_to_update", "There is nothing to change");
  }
  return null;
}

/** Maps any thrown error to {error:{code,message,details}}; unknown errors are logged and hidden. */
export function errorResponse(
  c: Context,
  err: unknown,
  log?: { error: (m: string, d?: Record<string, unknown>) => void },
) {
  const e = asAppError(c, err, log);
  if (e.retryAfter) c.header("retry-after", String(e.retryAfter));
  return c.json({ error: { code: e.code, message: e.message, details: e.details ?? null } }, e.status);
}

/**
 * The client's address: the socket's, or, when the socket is a configured trusted proxy (`trusted_proxies`), the
 * right-most address of X-Forwarded-For that is not itself a trusted proxy (entries further left can be forged).
 */
export function clientIp<E extends Env>(c: Context<E>): string | null {
  const info = (c.env as { requestIP?: (r: Request) => { address: string } | null } | undefined)?.requestIP?.(
    c.req.raw,
  );
  const norm = (a: string) => a.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  const peer = info?.address ? norm(info.address) : null;
  const trusted = c.get("ctx")?.config.trusted_proxies ?? [];
  if (!peer || !trusted.includes(peer)) return peer;
  const chain = (c.req.header("x-forwarded-for") ?? "").split(",").map(norm).filter(Boolean);
  for (let i = chain.length - 1; i >= 0; i--) if (!trusted.includes(chain[i])) return chain[i].slice(0, 64);
  return peer;
}

/**
 * A form body (urlencoded or multipart). A malformed one (a broken boundary, a truncated part) is a 400
 * invalid_multipart, never a 500: parsing it is the first thing unauthenticated routes (login, the widget) do.
 */
export async function formBody(
  c: Context,
  opts?: { all?: boolean },
): Promise<Record<string, string | File | (string | File)[]>> {
  try {
    return (await c.req.parseBody(opts ?? {})) as Record<string, string | File | (string | File)[]>;
  } catch {
    throw new AppError(400, "invalid_multipart", "The form body could not be read");
  }
}

/** The files a form field holds (one, several, or none): what a multipart upload of `name[]` gives. */
export function formFiles(v: unknown): File[] {
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is File => x instanceof File);
}

/** A stored file as an answer: shown in place when a browser shows it safely, else downloaded; sandboxed either way. */
export function fileResponse(file: Blob, mime: string, name: string) {
  const inline = /^(image\/(png|jpeg|gif|webp)|application\/pdf|audio\/|video\/)/.test(mime);
  return new Response(file, {
    headers: {
      "content-type": mime,
      "x-content-type-options": "nosniff",
      "cache-control": "private, max-age=3600",
      "content-disposition": `${inline ? "inline" : "attachment"}; filename*=UTF-8''${encodeURIComponent(name)}`,
      "content-security-policy": "default-src 'none'; sandbox",
    },
  });
}
