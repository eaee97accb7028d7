import { test, expect } from "bun:test";
import { mkdtempSync, statSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { Database } from "../../src/platform/db.ts";

async function freshDb() {
  const dir = mkdtempSync(join(tmpdir(), "digybot-db-"));
  const db = new Database(join(dir, "t.db"));
  await db.init();
  await db.client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  return {
    db,
    dir,
    async close() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test("writes that arrive in separate turns of the event loop are committed together", async () => {
  const t = await freshDb();
  try {
    const before = { ...t.db.stats };
    // each write starts from its own macrotask, as HTTP requests do
    const writes = await Promise.all(
      Array.from(
        { length: 100 },
        (_, i) =>
          new Promise((resolve, reject) => {
            setTimeout(
              () =>
                t.db
                  .write(async (tx) => tx.run(sql`INSERT INTO t (body) VALUES (${`row ${i}`})`))
                  .then(resolve, reject),
              0,
            );
          }),
      ),
    );
    expect(writes).toHaveLength(100);
    const commits = t.db.stats.commits - before.commits;
    expect(t.db.stats.jobs - before.jobs).toBe(100);
    expect(commits).toBeLessThanOrEqual(10);
    expect(Number((await t.db.client.execute("SELECT count(*) n FROM t")).rows[0].n)).toBe(100);
  } finally {
    await t.close();
  }
});

test("while serving, a worker thread checkpoints the WAL into the database file", async () => {
  const t = await freshDb();
  try {
    expect(await t.db.startBackgroundCheckpoints(50)).toBe(true);
    const file = t.db.path;
    const sizeBefore = statSync(file).size;
    // ~4 MB of rows: far below the writer's own autocheckpoint once the worker runs, so only the worker copies them
    for (let b = 0; b < 20; b++) {
      await t.db.write(async (tx) => {
        for (let i = 0; i < 100; i++) tx.run(sql`INSERT INTO t (body) VALUES (${"x".repeat(2000)})`);
      });
    }
    let size = statSync(file).size;
    for (let i = 0; i < 100 && size < sizeBefore + 3_000_000; i++) {
      await Bun.sleep(20);
      size = statSync(file).size;
    }
    expect(size).toBeGreaterThan(sizeBefore + 3_000_000);
  } finally {
    await t.close();
  }
});

test("statistics taken while a table was small are dropped, and every open connection plans with what is left", async () => {
  const t = await freshDb();
  try {
    // the events table as it is
    await t.db.client.execute(
      "CREATE TABLE ev (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, conversation_id TEXT, actor_type TEXT, actor_id TEXT, data TEXT NOT NULL, at INTEGER NOT NULL)",
    );
    await t.db.client.execute("CREATE INDEX ev_type_at ON ev (type, at)");
    await t.db.client.execute("CREATE INDEX ev_conversation ON ev (conversation_id)");
    await t.db.write(async (tx) => tx.run(sql`INSERT INTO ev (type, data, at) VALUES ('x', '{}', 1)`));
    // measured at one row, as a fresh install's first statistics are, by the writer (which keeps them loaded)
    await t.db.write(async (tx) => tx.run(sql`ANALYZE`));
    const q =
      "EXPLAIN QUERY PLAN SELECT seq, type, conversation_id, actor_type, actor_id, data, at FROM ev WHERE seq > ? ORDER BY seq LIMIT 500";
    const readerPlan = () => (t.db.readPrepared(q).all([0]) as { detail: string }[]).map((r) => r.detail).join(" | ");
    // the writer's own connection, between two write jobs (an EXPLAIN inside a job left its read open)
    const writer = (t.db as unknown as { writerRaw: { prepare(q: string): { all(a: unknown[]): unknown } } }).writerRaw;
    const writerPlan = async () =>
      (writer.prepare(q).all([0]) as { detail: string }[]).map((r) => r.detail).join(" | ");
    // the writer and a reader opened now plan with them: the whole table is scanned and sorted
    expect(readerPlan()).toContain("SCAN ev");
    expect(await writerPlan()).toContain("SCAN ev");
    await t.db.optimize();
    expect(readerPlan()).toBe("SEARCH ev USING INTEGER PRIMARY KEY (rowid>?)");
    expect(await writerPlan()).toBe("SEARCH ev USING INTEGER PRIMARY KEY (rowid>?)");
    // a table big enough to measure keeps its statistics
    await t.db.write(async (tx) => {
      for (let i = 0; i < 1500; i++) tx.run(sql`INSERT INTO t (body) VALUES (${`row ${i}`})`);
    });
    await t.db.client.execute("CREATE INDEX t_body ON t (body)");
    await t.db.client.execute("ANALYZE");
    await t.db.optimize();
    const kept = await t.db.client.execute("SELECT tbl FROM sqlite_stat1");
    expect(kept.rows.map((r) => r.tbl)).toEqual(["t"]);
  } finally {
    await t.close();
  }
});

// libsql 0.5 leaves a statement that all() ran to its end un-reset, and a get() on it afterwards stepped the old
// cursor with the old parameters: a query for one courier's run returned another courier's (found by a browser
// test). Statements are cached by their text, so the same query read with all() and then get() must still answer
// for its own parameters, on the reader, the writer and readPrepared.
test("a cached statement read with all() and then get() answers for the new parameters", async () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-stmt-"));
  const db = new Database(join(dir, "d.db"));
  await db.init();
  await db.client.execute("CREATE TABLE r (id TEXT, c TEXT)");
  await db.client.execute("INSERT INTO r VALUES ('r1', 'c1'), ('r2', 'c2'), ('r3', 'c2')");
  const q = (c: string) => sql`SELECT id FROM r WHERE c = ${c}`;
  // the reader (ctx.db)
  expect(await db.db.all(q("c2"))).toEqual([{ id: "r2" }, { id: "r3" }]);
  expect(await db.db.get(q("c1"))).toMatchObject({ id: "r1" });
  expect(await db.db.all(q("c1"))).toEqual([{ id: "r1" }]);
  expect(await db.db.get(q("c2"))).toMatchObject({ id: "r2" });
  // the writer, inside a write
  await db.write(async (tx) => {
    expect(tx.all(q("c2"))).toEqual([{ id: "r2" }, { id: "r3" }]);
    expect(tx.get(q("c1"))).toMatchObject({ id: "r1" });
  });
  // a hot path's own statement
  const st = db.readPrepared("SELECT id FROM r WHERE c = ?");
  expect(st.all("c2")).toEqual([{ id: "r2" }, { id: "r3" }]);
  expect(st.get("c1")).toMatchObject({ id: "r1" });
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});
