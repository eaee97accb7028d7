import type { Config } from "./config.ts";
import type { Database, Db } from "./db.ts";
import type { Logger } from "./logger.ts";
import type { EventBus } from "./events.ts";
import type { RealtimeHub } from "./realtime.ts";
import type { FileStore } from "./files.ts";
import type { Outbox } from "./outbox.ts";
import type { ChannelRegistry } from "../channels/types.ts";

export type Clock = { now(): number };

/** Everything a use case may need, passed explicitly (no module singletons): tests build one per app. */
export type Ctx = {
  config: Config;
  database: Database;
  db: Db;
  log: Logger;
  clock: Clock;
  events: EventBus;
  hub: RealtimeHub;
  files: FileStore;
  outbox: Outbox;
  channels: ChannelRegistry;
  /**
   * The AI agent that takes a new conversation on this channel/department, or null (people take it). Set by the
   * agents domain from its cache of active agents; synchronous because ingest asks inside its transaction.
   */
  agentFor: (channelId: string, departmentId: string | null) => string | null;
};

/** Who is acting: a console user (with the departments they belong to) or an API key (acts as an administrator). */
export type Actor =
  | { kind: "user"; id: string; name: string; role: "admin" | "agent"; locale: "es" | "en"; departmentIds: string[] }
  | { kind: "api_key"; id: string; name: string }
  | { kind: "system"; id?: string };

export const isAdmin = (a: Actor) => a.kind !== "user" || a.role === "admin";
