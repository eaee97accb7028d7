import { events as eventsTable } from "./schema.ts";
import { sql } from "drizzle-orm";
import { preparedFor, type Tx, type AfterCommit } from "./db.ts";
import type { Logger } from "./logger.ts";

export type DomainEvent = {
  seq?: number;
  type: string;
  conversationId?: string | null;
  actor?: { type: "user" | "contact" | "api_key" | "system" | "bot"; id?: string | null };
  data: Record<string, unknown>;
  at: number;
};
const P = (name: string) => sql.placeholder(name);
const insertEvent = preparedFor((tx) =>
  tx
    .insert(eventsTable)
    .values({
      type: P("type"),
      conversationId: P("conversationId"),
      actorType: P("actorType"),
      actorId: P("actorId"),
      data: P("data"),
      at: P("at"),
    })
    .prepare(),
);

type Handler = (e: DomainEvent) => void | Promise<void>;

/**
 * Events are recorded in the events table inside the writer's transaction and published on the
 * in-process bus only after that transaction commits: a subscriber never sees a change that was rolled back.
 */
export class EventBus {
  private handlers = new Map<string, Set<Handler>>();
  /** `now`: the application's clock (a test clock in tests), the time an event is recorded at unless it says */
  constructor(
    private log?: Logger,
    private now: () => number = Date.now,
  ) {}

  /**
   * Records the event in `tx` and publishes it after commit. `live` rides only on the in-process publication
   * (e.g. the whole message for realtime), so event rows stay small and never duplicate message bodies.
   */
  async record(
    tx: Tx,
    after: AfterCommit,
    e: Omit<DomainEvent, "at"> & { at?: number },
    live?: Record<string, unknown>,
  ) {
    const ev: DomainEvent = { ...e, at: e.at ?? this.now() };
    const r = insertEvent(tx).run({
      type: ev.type,
      conversationId: ev.conversationId ?? null,
      actorType: ev.actor?.type ?? null,
      actorId: ev.actor?.id ?? null,
      data: ev.data,
      at: ev.at,
    });
    ev.seq = Number(r.lastInsertRowid);
    after(() => this.publish(live ? { ...ev, data: { ...ev.data, ...live } } : ev));
    return ev;
  }

  /** Subscribes to one event type, or to all with "*". Returns the unsubscribe function. */
  on(type: string, fn: Handler) {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  publish(e: DomainEvent) {
    for (const key of [e.type, "*"]) {
      for (const fn of this.handlers.get(key) ?? []) {
        try {
          const r = fn(e);
          if (r && typeof (r as Promise<void>).catch === "function")
            (r as Promise<void>).catch((err) =>
              this.log?.error("event handler failed", { type: e.type, error: String(err) }),
            );
        } catch (err) {
          this.log?.error("event handler failed", { type: e.type, error: String(err) });
        }
      }
    }
  }
}
