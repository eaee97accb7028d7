// What each API key scope may call. read: every GET; inbox: besides, what an agent
// does, on every conversation (replies, notes, assignments, tags on conversations, contacts, inbound messages,
// files, tickets, orders, appointments, the copilot); admin: everything. Settings stay with admin-scope keys.
import { AppError } from "../platform/errors.ts";
import type { ApiScope } from "../platform/context.ts";

const INBOX_WRITES: [string, RegExp][] = [
  ["POST", /^\/contacts$/],
  ["PATCH", /^\/contacts\/[^/]+$/],
  ["POST", /^\/contacts\/[^/]+\/notes$/],
  ["PUT", /^\/contacts\/[^/]+\/tags\/[^/]+$/],
  ["DELETE", /^\/contacts\/[^/]+\/tags\/[^/]+$/],
  ["PATCH", /^\/conversations\/[^/]+$/],
  ["POST", /^\/conversations\/[^/]+\/(read|messages|typing)$/],
  ["PUT", /^\/conversations\/[^/]+\/tags\/[^/]+$/],
  ["DELETE", /^\/conversations\/[^/]+\/tags\/[^/]+$/],
  ["POST", /^\/conversations\/[^/]+\/copilot\/(suggestions|summary)$/],
  ["POST", /^\/copilot\/rewrite$/],
  ["POST", /^\/inbound$/],
  ["POST", /^\/files$/],
  ["POST", /^\/tickets$/],
  ["PATCH", /^\/tickets\/[^/]+$/],
  ["POST", /^\/boards\/[^/]+\/moves$/],
  ["POST", /^\/tickets\/[^/]+\/(comments|close|reopen|merge|conversations)$/],
  ["PUT", /^\/users\/[^/]+\/availability$/],
  ["POST", /^\/orders$/],
  ["POST", /^\/calendar\/appointments$/],
  ["POST", /^\/calendar\/appointments\/[^/]+\/cancel$/],
  ["POST", /^\/sequences\/[^/]+\/enrolments$/],
  ["POST", /^\/conversations\/[^/]+\/flow$/],
  ["DELETE", /^\/conversations\/[^/]+\/flow$/],
  ["DELETE", /^\/sequences\/[^/]+\/enrolments\/[^/]+$/],
];

/** The narrowest scope that may make this call (`path` inside /api/v1). */
export function scopeNeeded(method: string, path: string): ApiScope {
  if (method === "GET" || method === "HEAD") return "read";
  if (INBOX_WRITES.some(([m, r]) => m === method && r.test(path))) return "inbox";
  return "admin";
}

const rank: Record<ApiScope, number> = { read: 0, inbox: 1, admin: 2 };

/** Throws 403 insufficient_scope when a key's scope does not reach the call. */
export function requireScope(scope: ApiScope, method: string, path: string) {
  const needed = scopeNeeded(method, path);
  if (rank[scope] < rank[needed])
    throw new AppError(
      403,
      "insufficient_scope",
      `This API key's scope (${scope}) does not allow this; it needs ${needed}`,
      { scope, needed },
    );
}
