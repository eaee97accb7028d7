import { and, eq, lte, asc, inArray, sql } from "drizzle-orm";
import { outbox } from "./schema.ts";
import { newId } from "./ids.ts";
import { preparedFor, type Database, type Tx, type AfterCommit } from "./db.ts";
import type { Logger } from "./logger.ts";
import { PermanentSendError, type Sender, type QueuedPayload, type SendResult } from "./delivery.ts";

const P = (name: string) => sql.placeholder(name);
/** A reply's outbox row (every message sent goes through here): built once per writer. */
const insertOutbox = preparedFor((tx) =>
  tx
    .insert(outbox)
    .values({
      id: P("id"),
      idempotencyKey: P("idempotencyKey"),
      channelId: P("channelId"),
      messageId: P("messageId"),
      payload: P("payload"),
      status: "pending",
      attempts: 0,
      nextAttemptAt: P("now"),
      createdAt: P("now"),
      updatedAt: P("now"),
    })
    .onConflictDoNothing({ target: outbox.idempotencyKey })
    .prepare(),
);

export type OutboxRow = typeof outbox.$inferSelect;
export type OutboxPayload = QueuedPayload;
/** Called inside the transaction that records a send's outcome, so the message's status changes with it. */
export type StatusHook = (
  tx: Tx,
  after: AfterCommit,
  row: OutboxRow,
  status: "sent" | "failed",
  result: SendResult | null,
  error: string | null,
) => Promise<void>;

type Resolve = (
  channelId: string,
) => Promise<{ id: string; type: string; config: Record<string, unknown>; active: boolean } | null>;

const MAX_ATTEMPTS = 8;

/** Recording a send's outcome: once per message, so built once per writer. */
const finishStatement = preparedFor((tx) =>
  tx
    .update(outbox)
    .set({
      status: sql`${sql.placeholder("status")}`,
      attempts: sql`${sql.placeholder("attempts")}`,
      lastError: sql`${sql.placeholder("lastError")}`,
      updatedAt: sql`${sql.placeholder("now")}`,
    })
    .where(eq(outbox.id, sql.placeholder("id")))
    .prepare(),
);

/**
 * A status condition on rows already found by key. The unary + keeps SQLite from walking an index on status
 * instead (without statistics it guesses an equality matches ~10 rows: with a backlog it is every waiting row).
 */
export function onlyIf(...statuses: OutboxRow["status"][]) {
  return sql`+${outbox.status} IN (${sql.join(
    statuses.map((x) => sql`${x}`),
    sql`, `,
  )})`;
}
/** sends of one channel that may be waiting for the provider at once */
const MAX_IN_FLIGHT = 32;
/** rows claimed ('sending') at a time, just ahead of their sends */
const CLAIM_CHUNK = 64;

/** The start times of a channel's last `rate` sends (a ring), for a per-second limit that holds in every window. */
class SendWindow {
  private starts: Float64Array;
  private oldest = 0;
  private last = -Infinity;
  constructor(readonly rate: number) {
    this.starts = new Float64Array(Math.max(1, Math.min(Math.ceil(rate), 100_000))).fill(-Infinity);
  }
  next(now: number) {
    // 10 ms beyond the second: a send that starts a little late must not land in the same second at the provider
    return Math.max(now, this.starts[this.oldest] + 1010, this.last + 500 / this.rate);
  }
  take(at: number) {
    this.starts[this.oldest] = at;
    this.oldest = (this.oldest + 1) % this.starts.length;
    this.last = at;
  }
}

/**
 * Outbound delivery. A message is a row with a unique idempotency key, written in the same transaction as the
 * message itself. The sender claims a row (status 'sending', committed) before calling the channel, and records
 * the outcome after. A row found in 'sending' at start-up was interrupted mid-call: it is retried only for
 * channels whose send is idempotent; on channels whose provider reports deliveries with our tracker, it waits for
 * that report first and is sent again only without one; otherwise it is marked failed ("outcome unknown") so it is
 * never sent twice.
 */
export class Outbox {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private again = false;
  private stopped = true;
  statusHook: StatusHook | null = null;

  constructor(
    private database: Database,
    private adapters: (type: string) => Sender | undefined,
    private resolveChannel: Resolve,
    /** every channel's id (the drain reads each channel's queue on its own) */
    private channelIds: () => Promise<string[]>,
    private log: Logger,
    private now: () => number = Date.now,
  ) {}

  /** Adds a message to the outbox within the caller's transaction; a repeated idempotency key is a no-op. */
  async enqueue(
    tx: Tx,
    after: AfterCommit,
    m: { channelId: string; messageId: string | null; idempotencyKey: string; payload: OutboxPayload },
  ) {
    const now = this.now();
    const id = newId(now);
    // a key already queued inserts nothing (a RETURNING clause cost more than the insert)
    const r = insertOutbox(tx).run({
      id,
      idempotencyKey: m.idempotencyKey,
      channelId: m.channelId,
      messageId: m.messageId,
      payload: m.payload,
      now,
    });
    after(() => this.kick());
    const added = Number((r as { changes?: number }).changes ?? 0) > 0;
    return { id: added ? id : null, duplicate: !added };
  }

  /** Settles rows left in 'sending' by a crash, then starts draining. */
  async start() {
    this.stopped = false;
    const stuck = await this.database.db.select().from(outbox).where(eq(outbox.status, "sending"));
    if (stuck.length) this.log.warn("sends interrupted by a stop were found", { count: stuck.length });
    for (const row of stuck) {
      const adapter = this.adapters((row.payload as OutboxPayload).channelType);
      const echo = adapter?.capabilities.deliveryEcho;
      if (adapter?.capabilities.idempotentSend) {
        await this.database.write((tx) =>
          tx.update(outbox).set({ status: "pending", updatedAt: this.now() }).where(eq(outbox.id, row.id)),
        );
      } else if (echo) {
        // The provider reports what it received, with our tracker: wait for that report before sending again.
        // If it comes, the row is settled as sent (inbox.applyChannelStatus); if not, the message never got there.
        const channel = await this.resolveChannel(row.channelId);
        const grace = Number(channel?.config.reportGraceMs) || echo.graceMs;
        await this.database.write((tx) =>
          tx
            .update(outbox)
            .set({
              status: "pending",
              nextAttemptAt: this.now() + grace,
              lastError: "interrupted while sending; waiting for the provider's delivery report before sending again",
              updatedAt: this.now(),
            })
            .where(eq(outbox.id, row.id)),
        );
      } else {
        await this.finish(
          row,
          "failed",
          null,
          "interrupted while sending; the outcome is unknown, so it was not sent again",
        );
      }
    }
    this.kick();
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Asks the sender to look for due rows now. `channelsChanged` (a channel was resumed, paused or edited) makes
   * it look at paused channels again too.
   */
  kick(channelsChanged = false) {
    if (channelsChanged) this.paused.clear();
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), 0);
  }

  /** each channel's sends waiting for the provider, and the last one of each conversation (to keep their order) */
  private inFlight = new Map<string, { running: Set<Promise<void>>; byConversation: Map<string, Promise<void>> }>();

  private windows = new Map<string, SendWindow>();

  /** channels found paused: left out of the drain's queries until a channel changes or a minute passes */
  private paused = new Set<string>();

  /**
   * Runs until no row is due; then sleeps until the next retry is due (or a kick). Channels found paused are
   * left out of the queries, so their waiting rows neither block other channels nor spin the sender, nor make
   * each new message's kick read them again; they are looked at again when a channel changes (resuming one
   * kicks) or within a minute.
   */
  async drain() {
    if (this.running) return;
    this.running = true;
    this.timer = null;
    const paused = this.paused;
    try {
      for (;;) {
        this.again = false;
        // one page per channel, read from its own queue (outbox_channel_queue): a paused channel's backlog is
        // never walked through, however long it is
        const ids = (await this.channelIds()).filter((id) => !paused.has(id));
        const pages = (await Promise.all(ids.map((id) => this.dueRows(id)))).filter((p) => p.length);
        if (!pages.length) break;
        const results = await Promise.all(pages.map((rows) => this.sendChannel(rows)));
        results.forEach((r, i) => {
          if (r === "paused") paused.add(pages[i][0].channelId);
        });
        if (this.stopped) break;
      }
      // the last sends finish before the drain ends (a retry they schedule is then seen below)
      for (const f of this.inFlight.values()) await Promise.all(f.running);
    } catch (e) {
      this.log.error("outbox drain failed", { error: String(e) });
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (this.again) return this.kick();
    const ids = await this.channelIds().catch(() => [] as string[]);
    const nexts = await Promise.all(
      ids
        .filter((id) => !paused.has(id))
        .map((id) =>
          this.database.db
            .select({ at: outbox.nextAttemptAt })
            .from(outbox)
            .where(and(eq(outbox.channelId, id), eq(outbox.status, "pending")))
            .orderBy(asc(outbox.nextAttemptAt))
            .limit(1)
            .get()
            .catch(() => undefined),
        ),
    );
    const next = Math.min(...nexts.map((n) => n?.at ?? Infinity));
    const wait = Math.min(next - this.now(), paused.size ? 60_000 : Infinity);
    if (Number.isFinite(wait) && !this.stopped)
      this.timer = setTimeout(
        () => {
          this.paused.clear();
          void this.drain();
        },
        Math.max(10, Math.min(60_000, wait)),
      );
  }

  /** A channel's due rows, oldest due first (a new row is due when it is written; a retry when its backoff ends). */
  private dueRows(channelId: string) {
    return this.database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.channelId, channelId), eq(outbox.status, "pending"), lte(outbox.nextAttemptAt, this.now())))
      .orderBy(asc(outbox.nextAttemptAt), asc(outbox.id))
      .limit(500);
  }

  /** Sends one channel's due rows in order, or says the channel is paused (its rows then wait). */
  private async sendChannel(rows: OutboxRow[]): Promise<"done" | "paused"> {
    const channel = await this.resolveChannel(rows[0].channelId);
    const type = (rows[0].payload as OutboxPayload).channelType;
    const adapter = this.adapters(type);
    if (!channel || !adapter) {
      for (const r of rows)
        await this.finish(r, "failed", null, !channel ? "channel was deleted" : `no adapter for channel type ${type}`);
      return "done";
    }
    if (!channel.active || adapter.ready?.(channel.id) === false) return "paused";
    const rate = Number(channel.config.ratePerSecond) || adapter.capabilities.ratePerSecond;
    const jitter = Number(channel.config.jitterMs ?? adapter.capabilities.jitterMs ?? 0);
    // Sends overlap (up to MAX_IN_FLIGHT per channel, started at the channel's pace), but a conversation's
    // messages go out one after the other, in order. Rows are claimed a few at a time, just ahead of sending,
    // so a crash leaves few of them in 'sending' (each of those is then settled with care at the next start).
    // in-flight sends outlive this call: the drain reads its next page while the last sends of this one finish
    let flight = this.inFlight.get(channel.id);
    if (!flight) this.inFlight.set(channel.id, (flight = { running: new Set(), byConversation: new Map() }));
    const { running, byConversation } = flight;
    const claim = (i: number): Promise<OutboxRow[]> =>
      i >= rows.length
        ? Promise.resolve([])
        : this.database.write(async (tx) => {
            const ids = rows.slice(i, i + CLAIM_CHUNK).map((r) => r.id);
            const got = await tx
              .update(outbox)
              .set({ status: "sending", updatedAt: this.now() })
              .where(and(inArray(outbox.id, ids), onlyIf("pending")))
              .returning();
            return got.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
          });
    const release = (list: OutboxRow[]) =>
      list.length
        ? this.database.write((tx) =>
            tx
              .update(outbox)
              .set({ status: "pending" })
              .where(
                and(
                  inArray(
                    outbox.id,
                    list.map((r) => r.id),
                  ),
                  onlyIf("sending"),
                ),
              ),
          )
        : undefined;
    let nextClaim = claim(0);
    for (let i = 0; i < rows.length; i += CLAIM_CHUNK) {
      const claimed = await nextClaim;
      nextClaim = this.stopped ? Promise.resolve([]) : claim(i + CLAIM_CHUNK); // the next chunk is claimed while this one is sent: the pace never waits on a commit
      for (const [k, row] of claimed.entries()) {
        if (this.stopped) {
          await release(claimed.slice(k));
          break;
        }
        const conversationId = (row.payload as OutboxPayload).conversationId;
        await byConversation.get(conversationId);
        while (running.size >= MAX_IN_FLIGHT) await Promise.race(running);
        if (rate) await this.pace(channel.id, rate, jitter);
        const job: Promise<void> = this.sendOne(adapter, channel, row).finally(() => {
          running.delete(job);
          if (byConversation.get(conversationId) === job) byConversation.delete(conversationId);
        });
        running.add(job);
        byConversation.set(conversationId, job);
      }
    }
    await release(await nextClaim);
    return "done";
  }

  /**
   * Waits for the channel's next send slot. A sliding window of the last second's sends: never more than `rate`
   * sends in any 1,000 ms, and sends at most twice the rate's spacing apart, so a pause (a slow commit, a
   * timer that wakes late) is made up within the next second instead of lowering the rate.
   */
  private async pace(channelId: string, rate: number, jitterMs: number) {
    let w = this.windows.get(channelId);
    if (!w || w.rate !== rate) this.windows.set(channelId, (w = new SendWindow(rate)));
    const now = this.now();
    const at = w.next(now) + Math.random() * jitterMs;
    w.take(at);
    if (at > now) await Bun.sleep(at - now);
  }

  private async sendOne(
    adapter: Sender,
    channel: { id: string; type: string; config: Record<string, unknown> },
    row: OutboxRow,
  ) {
    const p = row.payload as OutboxPayload;
    try {
      const result = await adapter.send({
        ...p,
        outboxId: row.id,
        idempotencyKey: row.idempotencyKey,
        messageId: row.messageId,
        channel: { id: channel.id, type: channel.type, config: channel.config },
      });
      await this.finish(row, "sent", result, null);
    } catch (e) {
      const attempts = row.attempts + 1;
      const msg = e instanceof Error ? e.message : String(e);
      if (e instanceof PermanentSendError || attempts >= MAX_ATTEMPTS) {
        await this.finish({ ...row, attempts }, "failed", null, msg);
      } else {
        const delay = Math.min(300_000, 1000 * 2 ** (attempts - 1)) * (0.8 + Math.random() * 0.4);
        this.log.warn("outbox send failed, will retry", { outboxId: row.id, attempts, error: msg });
        // (unless a delivery report settled the row meanwhile: the provider had it after all)
        await this.database.write((tx) =>
          tx
            .update(outbox)
            .set({
              status: "pending",
              attempts,
              nextAttemptAt: this.now() + Math.round(delay),
              lastError: msg,
              updatedAt: this.now(),
            })
            .where(and(eq(outbox.id, row.id), eq(outbox.status, "sending"))),
        );
      }
    }
  }

  private async finish(row: OutboxRow, status: "sent" | "failed", result: SendResult | null, error: string | null) {
    await this.database.write(async (tx, after) => {
      finishStatement(tx).run({
        status,
        attempts: status === "sent" ? row.attempts + 1 : row.attempts,
        lastError: error,
        now: this.now(),
        id: row.id,
      });
      if (this.statusHook) await this.statusHook(tx, after, row, status, result, error);
    });
  }

  /** Waits until nothing is pending and due (tests, shutdown). */
  async idle(timeoutMs = 5000) {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const r = await this.database.db
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(inArray(outbox.status, ["pending", "sending"]), lte(outbox.nextAttemptAt, this.now())))
        .limit(1)
        .get();
      if (!r && !this.running) return true;
      await Bun.sleep(5);
    }
    return false;
  }
}
