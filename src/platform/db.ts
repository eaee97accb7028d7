import { createClient, type Client } from "@libsql/client";
import {
  createTableRelationsHelpers,
  extractTablesRelationalConfig,
  getTableColumns,
  sql,
  type Placeholder,
} from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { BetterSQLiteSession } from "drizzle-orm/better-sqlite3/session";
import { BaseSQLiteDatabase, SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import LibsqlDatabase from "libsql";
import {
  mkdirSync,
  existsSync,
  statSync,
  renameSync,
  rmSync,
  copyFileSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import * as schema from "../schema.ts";
import { migrations as embedded } from "../../migrations/index.ts";
import type { Logger } from "./logger.ts";

export type Db = LibSQLDatabase<typeof schema>;
/** What a write job receives: the writer, inside the batch's transaction. */
export type Tx = BetterSQLite3Database<typeof schema>;
/** A way for a write job to run something only after its transaction commits. */
export type AfterCommit = (fn: () => void) => void;
type Job = {
  fn: (tx: Tx, after: AfterCommit) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  at: number;
};

/** The write lock is held by someone else (another process) for longer than a write may wait. */
export class DatabaseBusyError extends Error {
  constructor(readonly waitedMs: number) {
    super(`the database is locked by another process (waited ${waitedMs} ms)`);
  }
}
/** A batch whose jobs have all been answered already (they must not be run again one by one). */
class BatchSettled extends Error {}
const isBusy = (e: unknown) =>
  /SQLITE_BUSY|database is locked/i.test(
    String((e as { code?: string })?.code ?? "") + String((e as Error)?.message ?? e),
  );

type SyncQuery = ReturnType<BetterSQLiteSession<Record<string, never>, never>["prepareQuery"]>;
/**
 * The reader's session: libsql's synchronous calls (as @libsql/client made them too) behind drizzle's asynchronous
 * face, so every read answers a promise and a failed one rejects, as the code written for @libsql/client expects.
 */
class PromisedSession extends BetterSQLiteSession<Record<string, never>, never> {
  override prepareQuery(...args: Parameters<BetterSQLiteSession<Record<string, never>, never>["prepareQuery"]>) {
    let q: SyncQuery;
    try {
      q = super.prepareQuery(...args);
    } catch (e) {
      const failed = () => Promise.reject(e);
      return { mode: "async", run: failed, all: failed, get: failed, values: failed, execute: failed } as never;
    }
    const promised =
      <K extends "run" | "all" | "get" | "values">(k: K) =>
      (placeholders?: Record<string, unknown>) => {
        try {
          return Promise.resolve(q[k](placeholders as never));
        } catch (e) {
          return Promise.reject(e);
        }
      };
    // the query itself stays synchronous underneath (its all() calls its own values())
    const facade = Object.create(q) as Record<string, unknown>;
    facade.mode = "async";
    facade.run = promised("run");
    facade.all = promised("all");
    facade.get = promised("get");
    facade.values = promised("values");
    return facade as never;
  }
}

/**
 * A libsql connection whose prepare() keeps each distinct statement (drizzle asks it for every query it runs).
 * `conn` is asked at each use, so the reader can be opened at its first read.
 */
type RawStatement = ReturnType<InstanceType<typeof LibsqlDatabase>["prepare"]>;

/**
 * One statement's text as two prepared statements: one for get() and run(), one for all() and iterate().
 * libsql (0.5.x) does not reset a statement that all() or iterate() ran to its end, and a get() on it afterwards
 * steps the old cursor with the old parameters: it returned another query's row (a run of another courier, found
 * by a test). Kept apart, each is reset by its own kind of call. Raw mode is the caller's, applied to both.
 */
export function splitStatement(prepare: () => RawStatement): RawStatement {
  let one: RawStatement | undefined;
  let many: RawStatement | undefined;
  let raw: boolean | undefined;
  let safe: boolean | undefined;
  const use = (which: "one" | "many") => {
    const st = which === "one" ? (one ??= prepare()) : (many ??= prepare());
    if (raw !== undefined) st.raw(raw);
    if (safe !== undefined) st.safeIntegers(safe);
    return st;
  };
  const wrapper = {
    raw(v?: boolean) {
      raw = v ?? true;
      return wrapper;
    },
    safeIntegers(v?: boolean) {
      safe = v ?? true;
      return wrapper;
    },
    pluck(v?: boolean) {
      use("one").pluck(v);
      use("many").pluck(v);
      return wrapper;
    },
    get: (...a: unknown[]) => use("one").get(...(a as [])),
    run: (...a: unknown[]) => use("one").run(...(a as [])),
    all: (...a: unknown[]) => use("many").all(...(a as [])),
    iterate: (...a: unknown[]) => use("many").iterate(...(a as [])),
    columns: () => use("one").columns(),
    get reader() {
      return use("one").reader;
    },
  };
  return wrapper as unknown as RawStatement;
}

function statementCache(conn: () => InstanceType<typeof LibsqlDatabase>) {
  const statements = new Map<string, RawStatement>();
  return new Proxy(
    {},
    {
      get(_, prop) {
        const target = conn();
        if (prop === "prepare") {
          return (sql: string) => {
            let st = statements.get(sql);
            if (!st) {
              if (statements.size >= 2000) statements.clear(); // IN (?, ?, …) lists of every length stay bounded
              st = splitStatement(() => target.prepare(sql));
              statements.set(sql, st);
            }
            return st;
          };
        }
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    },
  );
}

/**
 * The database of one DigyBot: one SQLite file, a single writer connection and a reader connection (WAL lets it
 * read while the writer writes), both through libsql's synchronous API with each statement prepared once.
 *
 * All writes go through `write()`. Jobs queued while a commit is in flight are committed together in the
 * next transaction (group commit). If any job of a batch throws, the batch is rolled back and its jobs are
 * run again one transaction each, so only the failing job fails. Nothing a job does is visible to the bus
 * before its commit: side effects are registered with `after()` and run once the commit returns.
 */
export class Database {
  /** For upkeep only (migrations, the journal mode, checkpoints, backups): every read goes through `db`. */
  readonly client: Client;
  /** Reads: drizzle on the reader connection, every query answering a promise. */
  readonly db: Db;
  /**
   * The writer: one connection for the life of the process (its pragmas hold for every write), through libsql's
   * synchronous API, with each distinct statement prepared once. @libsql/client prepares on every call, which
   * made statement preparation the largest cost of an inbound message.
   */
  private writerRaw: InstanceType<typeof LibsqlDatabase>;
  private writer: Tx;
  private queue: Job[] = [];
  /** Transactions committed and jobs in them (group commit at work: jobs / commits is the mean batch). */
  readonly stats = { commits: 0, jobs: 0 };
  private draining = false;
  private closed = false;

  /**
   * While another connection holds the write lock, a write waits for it at most `busyTimeoutMs`, retrying on
   * timers (never in SQLite's synchronous busy wait, which would stall every request, stream and health check),
   * then fails with DatabaseBusyError (503 database_busy). `busySince` says since when the writer cannot begin.
   */
  busyTimeoutMs = 5000;
  busySince: number | null = null;

  constructor(
    readonly path: string,
    private log?: Logger,
    readonly maxBatch = 256,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.client = createClient({ url: `file:${path}`, timeout: 5000, intMode: "number", concurrency: 8 } as never);
    // timeout 0: a locked database answers SQLITE_BUSY at once; the writer waits for it on timers (beginWrite)
    this.writerRaw = new LibsqlDatabase(path, { timeout: 0 } as never);
    // drizzle's better-sqlite3 session over libsql's compatible API (its drizzle() entry would load better-sqlite3),
    // each distinct statement prepared once per connection
    const dialect = new SQLiteSyncDialect();
    this.writer = new BaseSQLiteDatabase(
      "sync",
      dialect,
      new BetterSQLiteSession(statementCache(() => this.writerRaw) as never, dialect, undefined, {}),
      undefined,
    ) as unknown as Tx;
    // Reads go the same way, on one reader connection (opened at the first read): @libsql/client prepared every
    // query again and asked its columns on every call, which cost more than most reads themselves.
    const tables = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
    const relational = { fullSchema: schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap };
    this.db = new BaseSQLiteDatabase(
      "async",
      dialect,
      new PromisedSession(statementCache(() => this.reader()) as never, dialect, relational as never, {}),
      relational as never,
    ) as unknown as Db;
  }

  /**
   * WAL (persistent, file-level) and the writer connection's pragmas. synchronous=NORMAL in WAL mode: a commit
   * survives a crash of the process; only an OS crash or power loss can lose the last commits. libsql calls are
   * synchronous, so with FULL every commit's fsync would also stall the whole event loop.
   */
  async init() {
    await this.client.execute("PRAGMA journal_mode=WAL");
    this.writerRaw.exec("PRAGMA synchronous=NORMAL");
    this.writerRaw.exec("PRAGMA foreign_keys=ON");
    // Checkpoints run on the committing connection, on the event loop: fewer, larger ones (about every 32 MB of
    // WAL instead of 4 MB) write hot pages once instead of many times. The nightly job truncates the WAL.
    this.writerRaw.exec("PRAGMA wal_autocheckpoint=8000");
  }

  private checkpointer: Worker | null = null;
  /**
   * While serving, WAL checkpoints run on a worker thread (src/platform/checkpointer.ts) every `everyMs`, so a
   * checkpoint's page copies and fsync never stall the event loop. The writer keeps a far higher autocheckpoint
   * as a safety net, and keeps its own if the worker cannot start.
   */
  startBackgroundCheckpoints(everyMs = 2000): Promise<boolean> {
    this.checkpointerStarting ??= this.startCheckpointer(everyMs);
    return this.checkpointerStarting;
  }
  private checkpointerStarting: Promise<boolean> | null = null;

  private async startCheckpointer(everyMs: number) {
    let w: Worker | null = null;
    try {
      w = new Worker(new URL("./checkpointer.ts", import.meta.url).href);
      const worker = w;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("checkpointer did not start")), 10_000);
        worker.onmessage = (e: MessageEvent<{ type: string; message?: string }>) => {
          clearTimeout(t);
          if (e.data.type === "started") resolve();
          else reject(new Error(e.data.message ?? e.data.type));
        };
        worker.onerror = (e) => {
          clearTimeout(t);
          reject(new Error(e.message));
        };
        worker.postMessage({ type: "start", path: this.path, everyMs });
      });
      worker.onmessage = (e: MessageEvent<{ type: string; message?: string }>) => {
        if (e.data.type === "error") this.log?.warn("background checkpoint failed", { error: e.data.message });
      };
      (worker as unknown as { unref(): void }).unref();
      this.writerRaw.exec("PRAGMA wal_autocheckpoint=64000");
      this.checkpointer = worker;
      return true;
    } catch (e) {
      w?.terminate();
      this.log?.warn("background checkpoints unavailable; the writer checkpoints itself", { error: String(e) });
      return false;
    }
  }

  private async stopBackgroundCheckpoints() {
    await this.checkpointerStarting;
    const w = this.checkpointer;
    if (!w) return;
    this.checkpointer = null;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      w.onmessage = (e: MessageEvent<{ type: string }>) => {
        if (e.data.type === "stopped") {
          clearTimeout(t);
          resolve();
        }
      };
      w.postMessage({ type: "stop" });
    });
    w.terminate();
    this.writerRaw.exec("PRAGMA wal_autocheckpoint=8000");
  }

  write<T>(fn: (tx: Tx, after: AfterCommit) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("database is closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject, at: Date.now() });
      if (!this.draining) void this.drain();
    });
  }

  private async drain() {
    this.draining = true;
    try {
      while (this.queue.length) {
        // A job's statements are synchronous calls, so a whole commit runs without yielding: without this turn
        // of the event loop, requests already read from their sockets would each wait for a commit of their own.
        await new Promise((r) => setImmediate(r));
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.commit(batch);
        } catch (e) {
          // A job of a batch failed (or the commit did): nothing of the batch was kept. Run each job alone, so
          // only the failing one fails. Jobs are plain database work and safe to run again. A batch of one has
          // already been answered (rejected) by commit(), and so has a batch that could not get the lock.
          if (batch.length > 1 && !(e instanceof BatchSettled))
            for (const job of batch) await this.commit([job]).catch(() => {});
        }
      }
    } catch (e) {
      this.log?.error("writer failed", { error: String(e) });
    } finally {
      this.draining = false;
    }
  }

  /**
   * Takes the write lock for a batch. While another connection holds it, tries again every few milliseconds on
   * timers; a job that has waited `busyTimeoutMs` since it was queued is answered with DatabaseBusyError and
   * leaves the batch. Returns the jobs still waiting (none: nothing to commit).
   */
  private async beginWrite(batch: Job[]): Promise<Job[]> {
    let pause = 5;
    for (;;) {
      try {
        this.writerRaw.exec("BEGIN IMMEDIATE");
        if (this.busySince !== null)
          this.log?.info("database write lock free again", { waitedMs: Date.now() - this.busySince });
        this.busySince = null;
        return batch;
      } catch (e) {
        if (!isBusy(e)) throw e;
      }
      const now = Date.now();
      if (this.busySince === null) {
        this.busySince = now;
        this.log?.warn("database write lock held by another connection; writes wait", {
          timeoutMs: this.busyTimeoutMs,
        });
      }
      const waiting: Job[] = [];
      for (const job of batch) {
        if (now - job.at >= this.busyTimeoutMs) job.reject(new DatabaseBusyError(now - job.at));
        else waiting.push(job);
      }
      if (waiting.length < batch.length)
        this.log?.error("writes refused: database locked", {
          refused: batch.length - waiting.length,
          waiting: waiting.length,
        });
      batch = waiting;
      if (!batch.length) return batch;
      await Bun.sleep(pause);
      pause = Math.min(pause * 2, 100);
    }
  }

  /** Runs jobs in one transaction; on success settles them and runs their after-commit hooks. */
  private async commit(jobs: Job[]) {
    const values: unknown[] = [];
    const afters: (() => void)[] = [];
    let batch = jobs;
    try {
      batch = await this.beginWrite(jobs);
    } catch (e) {
      for (const job of jobs) job.reject(e);
      throw new BatchSettled(String(e));
    }
    if (!batch.length) throw new BatchSettled("every job of the batch waited too long for the write lock");
    // Only the writer ever uses this connection, one batch at a time, so the transaction may span awaits.
    try {
      for (const job of batch) values.push(await job.fn(this.writer, (f) => afters.push(f)));
      this.writerRaw.exec("COMMIT");
    } catch (e) {
      if (this.writerRaw.inTransaction) this.writerRaw.exec("ROLLBACK");
      if (batch.length === 1) batch[0].reject(e);
      throw e;
    }
    this.stats.commits++;
    this.stats.jobs += batch.length;
    batch.forEach((job, i) => job.resolve(values[i]));
    for (const f of afters) {
      try {
        f();
      } catch (e) {
        this.log?.error("after-commit hook failed", { error: String(e) });
      }
    }
  }

  /**
   * Whether the writer can commit now: false while writes wait for a lock held elsewhere. When no write is
   * under way it probes (BEGIN IMMEDIATE and ROLLBACK, no waiting), so a lock is seen even with no traffic.
   */
  writerHealth(): { ok: boolean; busyForMs: number | null } {
    if (this.closed) return { ok: false, busyForMs: null };
    if (this.busySince !== null) return { ok: false, busyForMs: Date.now() - this.busySince };
    if (this.draining || this.writerRaw.inTransaction) return { ok: true, busyForMs: null };
    try {
      this.writerRaw.exec("BEGIN IMMEDIATE");
      this.writerRaw.exec("ROLLBACK");
      return { ok: true, busyForMs: null };
    } catch (e) {
      if (!isBusy(e)) throw e;
      return { ok: false, busyForMs: 0 };
    }
  }

  /** Waits until every queued write has committed. */
  async flush() {
    while (this.draining || this.queue.length) await Bun.sleep(1);
  }

  /**
   * A consistent online copy of the whole database (VACUUM INTO), safe while the server runs. With `filesDir`,
   * the attachments under it are added to the copy (table __backup_files: path, size, SHA-256, bytes), so one
   * file holds everything a restore needs; verifyDatabaseFile checks every file's hash.
   */
  async backupTo(file: string, opts: { filesDir?: string } = {}) {
    if (existsSync(file)) throw new Error(`backup target exists: ${file}`);
    mkdirSync(dirname(file), { recursive: true });
    await this.client.execute({ sql: "VACUUM INTO ?", args: [file] });
    if (!opts.filesDir) return { files: 0 };
    const copy = new LibsqlDatabase(file, { timeout: 5000 } as never);
    let n = 0;
    try {
      copy.exec(
        "CREATE TABLE __backup_files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, sha256 TEXT NOT NULL, data BLOB NOT NULL)",
      );
      const ins = copy.prepare("INSERT INTO __backup_files (path, size, sha256, data) VALUES (?, ?, ?, ?)");
      copy.exec("BEGIN");
      for (const rel of listFiles(opts.filesDir)) {
        const bytes = readFileSync(join(opts.filesDir, rel));
        ins.run(rel, bytes.length, new Bun.CryptoHasher("sha256").update(bytes).digest("hex"), bytes);
        n++;
      }
      copy.exec("COMMIT");
    } finally {
      copy.close();
    }
    return { files: n };
  }

  async checkpoint() {
    await this.client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  /**
   * Refreshes the query planner's statistics where a table changed a lot since they were taken (SQLite's advice:
   * 0x10002 when a long-lived connection opens, plain `optimize` every few hours). Statistics taken when a table
   * was small once made a primary-key lookup scan the whole table: with 20,000 conversations, every new one cost
   * 40 ms in the notifications' contact lookup alone.
   */
  async optimize(opening = false) {
    // on the writer, in a write job: what it writes (statistics) never waits for, or holds, another connection
    await this.write(async () => {
      const w = this.writerRaw;
      w.exec(opening ? "PRAGMA optimize=0x10002" : "PRAGMA optimize");
      // Statistics of a table that is still small mislead the planner once it grows: with the events table
      // measured at one row, the engine's "events after my cursor" read scanned and sorted the whole table instead
      // of using the primary key (9 ms a read at 60,000 events). They are dropped until the table is worth
      // measuring; SQLite's defaults (a large table) choose the indexes meanwhile.
      if (w.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").get())
        w.exec(
          "DELETE FROM sqlite_stat1 WHERE tbl IN (SELECT tbl FROM sqlite_stat1 GROUP BY tbl HAVING max(CAST(stat AS INTEGER)) < 1000)",
        );
      // a connection keeps the statistics it loaded, whatever another one measures since: each one reloads them
      w.exec("ANALYZE sqlite_schema");
    });
    this.readerRaw?.exec("ANALYZE sqlite_schema");
  }

  async close() {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.stopBackgroundCheckpoints();
    try {
      await this.checkpoint();
    } catch {
      /* best effort */
    }
    this.writerRaw.close();
    this.readerRaw?.close();
    this.client.close();
  }

  private readerRaw: InstanceType<typeof LibsqlDatabase> | null = null;
  private readStatements = new Map<string, ReturnType<InstanceType<typeof LibsqlDatabase>["prepare"]>>();
  /**
   * A read statement prepared once on a connection kept for hot read paths (knowledge retrieval runs on every
   * customer message an agent answers): `@libsql/client` prepares on every call, which cost more than the query.
   * Kept apart from the statements `db` prepares on the same connection: drizzle switches its own to raw rows.
   */
  readPrepared(sqlText: string) {
    const reader = this.reader();
    let st = this.readStatements.get(sqlText);
    if (!st) {
      if (this.readStatements.size >= 500) this.readStatements.clear();
      st = splitStatement(() => reader.prepare(sqlText));
      this.readStatements.set(sqlText, st);
    }
    return st;
  }

  /** The reader connection (`db` and readPrepared), opened at the first read. */
  private reader() {
    if (this.closed) throw new Error("database closed");
    this.readerRaw ??= new LibsqlDatabase(this.path, { timeout: 5000 } as never);
    return this.readerRaw;
  }
}

/**
 * Statements of a hot write path, built once per writer. Drizzle otherwise rebuilds a query's SQL text from its
 * builder on every call, which costs more than running the statement. Build them with `sql.placeholder()`.
 */
export function preparedFor<T>(build: (tx: Tx) => T): (tx: Tx) => T {
  const cache = new WeakMap<Tx, T>();
  return (tx) => {
    let p = cache.get(tx);
    if (!p) cache.set(tx, (p = build(tx)));
    return p;
  };
}

/** An insert's values where every column is a placeholder of its own name (run it with a whole row). */
export function placeholdersOf<T extends SQLiteTable>(table: T) {
  return Object.fromEntries(Object.keys(getTableColumns(table)).map((k) => [k, sql.placeholder(k)])) as unknown as {
    [K in keyof T["$inferInsert"]]-?: Placeholder;
  };
}

export class MigrationError extends Error {}

/**
 * Applies the embedded migrations that this database lacks, all in one transaction, after an automatic
 * backup of a database that already holds data. Refuses a database written by a newer DigyBot.
 */
export async function migrate(
  database: Database,
  opts: { backupDir?: string; log?: Logger; migrations?: typeof embedded; now?: () => number } = {},
) {
  const list = opts.migrations ?? embedded;
  const c = database.client;
  await c.execute("CREATE TABLE IF NOT EXISTS __migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const applied = new Set((await c.execute("SELECT name FROM __migrations")).rows.map((r) => String(r.name)));
  const known = new Set(list.map((m) => m.name));
  const unknown = [...applied].filter((n) => !known.has(n));
  if (unknown.length) {
    throw new MigrationError(
      `database was written by a newer DigyBot (unknown migrations: ${unknown.join(", ")}); upgrade DigyBot or restore a backup`,
    );
  }
  const pending = list.filter((m) => !applied.has(m.name));
  if (!pending.length) return { applied: [] as string[], backup: null as string | null };
  let backup: string | null = null;
  if (applied.size && opts.backupDir) {
    backup = join(
      opts.backupDir,
      `pre-migrate-${new Date((opts.now ?? Date.now)()).toISOString().replace(/[:.]/g, "-")}.db`,
    );
    await database.backupTo(backup);
    opts.log?.info("backup before migration", { file: backup });
  }
  const stmts: { sql: string; args?: unknown[] }[] = [];
  for (const m of pending) {
    for (const s of m.sql.split("--> statement-breakpoint")) if (s.trim()) stmts.push({ sql: s });
    stmts.push({ sql: "INSERT INTO __migrations (name, applied_at) VALUES (?, ?)", args: [m.name, Date.now()] });
  }
  await c.migrate(stmts as never);
  opts.log?.info("migrations applied", { names: pending.map((m) => m.name) });
  return { applied: pending.map((m) => m.name), backup };
}

/** Checks that a file is a healthy DigyBot database: integrity, and migrations this version knows. */
export async function verifyDatabaseFile(
  file: string,
): Promise<{ ok: true; migrations: string[]; files: number } | { ok: false; reason: string }> {
  if (!existsSync(file) || statSync(file).size === 0) return { ok: false, reason: "file is missing or empty" };
  const c = createClient({ url: `file:${file}`, intMode: "number" });
  try {
    const integ = await c.execute("PRAGMA integrity_check");
    if (String(integ.rows[0]?.[0]) !== "ok")
      return { ok: false, reason: `integrity check failed: ${String(integ.rows[0]?.[0])}` };
    const t = await c.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='__migrations'");
    if (!t.rows.length) return { ok: false, reason: "not a DigyBot database (no migrations table)" };
    const names = (await c.execute("SELECT name FROM __migrations ORDER BY name")).rows.map((r) => String(r.name));
    const known = new Set(embedded.map((m) => m.name));
    const unknown = names.filter((n) => !known.has(n));
    if (unknown.length) return { ok: false, reason: `written by a newer DigyBot (migrations ${unknown.join(", ")})` };
    let files = 0;
    if ((await c.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='__backup_files'")).rows.length) {
      const rows = await c.execute("SELECT path, size, sha256 FROM __backup_files");
      for (const r of rows.rows) {
        const data = (await c.execute({ sql: "SELECT data FROM __backup_files WHERE path = ?", args: [r.path] }))
          .rows[0]?.data as ArrayBuffer;
        const bytes = new Uint8Array(data);
        if (
          bytes.length !== Number(r.size) ||
          new Bun.CryptoHasher("sha256").update(bytes).digest("hex") !== String(r.sha256)
        )
          return { ok: false, reason: `attachment ${String(r.path)} in the backup is damaged` };
        if (!safeRelative(String(r.path)))
          return { ok: false, reason: `attachment path ${String(r.path)} is not valid` };
        files++;
      }
    }
    return { ok: true, migrations: names, files };
  } catch (e) {
    return { ok: false, reason: `cannot read: ${(e as Error).message}` };
  } finally {
    c.close();
  }
}

/**
 * Replaces the database file with a verified backup, keeping the current one beside it; the attachments a backup
 * carries are written back under `filesDir` (each checked against its hash). Server must be stopped.
 */
export async function restoreDatabaseFile(backup: string, target: string, filesDir?: string) {
  const v = await verifyDatabaseFile(backup);
  if (!v.ok) throw new MigrationError(`restore refused: ${backup}: ${v.reason}`);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.restoring`;
  copyFileSync(backup, tmp);
  let files = 0;
  const raw = new LibsqlDatabase(tmp, { timeout: 5000 } as never);
  try {
    if (raw.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name='__backup_files'").get()) {
      if (filesDir) {
        for (const r of raw.prepare("SELECT path, data FROM __backup_files").iterate() as Iterable<{
          path: string;
          data: Uint8Array;
        }>) {
          const dest = join(filesDir, r.path);
          mkdirSync(dirname(dest), { recursive: true });
          writeFileSync(dest, r.data);
          files++;
        }
      }
      raw.exec("DROP TABLE __backup_files");
      raw.exec("VACUUM");
    }
  } finally {
    raw.close();
  }
  let previous: string | null = null;
  if (existsSync(target)) {
    previous = `${target}.before-restore-${Date.now()}`;
    renameSync(target, previous);
  }
  for (const ext of ["-wal", "-shm"]) rmSync(target + ext, { force: true });
  renameSync(tmp, target);
  return { previous, migrations: v.migrations, files };
}

/** Every file under a folder, as paths relative to it (forward slashes). */
function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((d) => d.isFile())
    .map((d) =>
      relative(root, join(d.parentPath ?? (d as unknown as { path: string }).path, d.name))
        .split(sep)
        .join("/"),
    );
}

/** A path inside the files folder: relative, no "..", no absolute or drive parts. */
function safeRelative(p: string) {
  return (
    !!p && !p.startsWith("/") && !p.includes("\\") && !p.split("/").some((x) => x === ".." || x === "" || x === ".")
  );
}
