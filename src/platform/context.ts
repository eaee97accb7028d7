import type { Config } from "./config.ts";
import type { AfterCommit, Database, Db, Tx } from "./db.ts";
import type { Logger } from "./logger.ts";
import type { EventBus } from "./events.ts";
import type { RealtimeHub } from "./realtime.ts";
import type { FileStore } from "./files.ts";
import type { Outbox } from "./outbox.ts";
import { forbidden } from "./errors.ts";

export type Clock = { now(): number };

/** Everything a use case may need, passed explicitly (no module singletons): tests build one per app. `channels` (the
 * channel registry) is declared by channels/types.ts, so this file imports nothing above the foundation. */
export interface Ctx {
  config: Config;
  database: Database;
  db: Db;
  log: Logger;
  clock: Clock;
  events: EventBus;
  hub: RealtimeHub;
  files: FileStore;
  outbox: Outbox;
  /**
   * The AI agent that takes a new conversation on this channel/department, or null (people take it). Set by the
   * agents domain from its cache of active agents; synchronous because ingest asks inside its transaction.
   */
  agentFor: (channelId: string, departmentId: string | null) => string | null;
  /**
   * A resolved conversation that still takes this message (the answer to its satisfaction survey) instead of a new
   * conversation opening, or null. Set by the automation domain from its cache of open surveys; synchronous for
   * the same reason.
   */
  heldConversation: (
    contactId: string,
    channelId: string,
    said: { text: string; choiceId?: string; files: number },
    at: number,
  ) => string | null;
  /**
   * Gives a customer's message, inside ingest's transaction, the chance of a reply committed with it (a keyword
   * flow's first turn). True when it answered. Set by the automation domain; the default answers nothing.
   */
  replyInline: (tx: Tx, after: AfterCommit, m: InlineInbound) => Promise<boolean>;
}

/** A customer's message as ingest has just stored it, for ctx.replyInline. */
export type InlineInbound = {
  /** the inbox.message_received event's sequence */
  seq: number;
  conversationId: string;
  contactId: string;
  channelId: string;
  channelType: string;
  /** the conversation was opened by this message */
  created: boolean;
  text: string;
};

/** What an API key may do: read (GET only), inbox (what an agent does, on every conversation), admin (everything). */
export type ApiScope = "read" | "inbox" | "admin";
export const API_SCOPES: readonly ApiScope[] = ["read", "inbox", "admin"];

/** admin: everything; supervisor: an agent who also runs their departments' team (no settings); agent: their work. */
export type Role = "admin" | "supervisor" | "agent";
export const ROLES: readonly Role[] = ["admin", "supervisor", "agent"];

/** Who is acting: a console user (with the departments they belong to), an API key (with its scope) or DigyBot itself. */
export type Actor =
  | {
      kind: "user";
      id: string;
      name: string;
      role: Role;
      locale: "es" | "en";
      departmentIds: string[];
      /** what the person chose (online, away, offline): the console's presence control shows it */
      availability?: "online" | "away" | "offline";
    }
  | { kind: "api_key"; id: string; name: string; scope: ApiScope }
  | { kind: "system"; id?: string; name?: string };

/** May change the business's settings (team, channels, AI, catalog…): administrators, admin-scope keys, the system. */
export const isAdmin = (a: Actor) =>
  a.kind === "system" || (a.kind === "user" ? a.role === "admin" : a.scope === "admin");
/** Refuses (403 admin_only) whoever may not change the business's settings. */
export function assertAdmin(a: Actor) {
  if (!isAdmin(a)) throw forbidden("admin_only", "Only an administrator can do this");
}
/** Sees every conversation and what belongs to them: everyone but agents, who see theirs and their departments'. */
export const seesAll = (a: Actor) => a.kind !== "user" || a.role === "admin";
/**
 * Runs a department's team (its queue, its people's presence and load, reassigning over their rules): administrators
 * for every department, supervisors for their own, API keys of inbox scope or more, DigyBot itself.
 */
export const leadsDepartment = (a: Actor, departmentId: string | null) =>
  a.kind === "system" ||
  (a.kind === "api_key"
    ? a.scope !== "read"
    : a.role === "admin" || (a.role === "supervisor" && !!departmentId && a.departmentIds.includes(departmentId)));
