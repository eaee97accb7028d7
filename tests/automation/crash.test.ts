// kill -9 in the middle of automations: once during a burst of new conversations (the engine reading events), once
// while hundreds of waits come due at start-up. After each restart every conversation has each automated message
// exactly once, in order: nothing lost, nothing doubled.
import { test, expect } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAdmin, spawnServe, adminSession } from "../support/process.ts";

// 300 in the suite; AUTOMATION_CRASH_N=10000 for the larger run (by hand: it takes minutes)
const N = Number(process.env.AUTOMATION_CRASH_N ?? 300);

test("kill -9 during a burst and during due waits: each automated message goes exactly once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-auto-crash-"));
  const file = join(dir, "digybot.db");
  createAdmin(dir);
  let srv = await spawnServe(dir);
  const read = () => new Database(file, { readonly: true });
  const count = (sql: string) => {
    const db = read();
    try {
      return Number((db.query(sql).get() as { n: number }).n);
    } finally {
      db.close();
    }
  };
  const until = async (what: string, check: () => boolean, ms = 60_000 + N * 30) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await Bun.sleep(50);
    }
  };
  try {
    const { key } = await adminSession(srv.url);
    const api = async (base: string, method: string, path: string, body?: unknown) => {
      const r = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: await r.json() };
    };
    const ch = (await api(srv.url, "POST", "/channels", { type: "api", name: "Tienda", config: {} })).body.data;
    const rule = await api(srv.url, "POST", "/automations", {
      name: "Bienvenida",
      trigger: { type: "conversation_created" },
      actions: [
        { type: "send_message", body: "uno" },
        { type: "wait", minutes: 1 },
        { type: "send_message", body: "dos" },
      ],
    });
    expect(rule.status).toBe(201);

    // the burst: N new customers; the process is killed half-way through, then the rest arrive
    const post = (base: string, i: number) =>
      api(base, "POST", "/inbound", { channelId: ch.id, from: { externalId: `c${i}` }, body: `hola ${i}` });
    const acked: number[] = [];
    for (let i = 0; i < N / 2; i += 25) {
      const rs = await Promise.all(Array.from({ length: 25 }, (_, j) => post(srv.url, i + j)));
      rs.forEach((r, j) => r.status === 201 && acked.push(i + j));
    }
    await srv.stop("SIGKILL");
    srv = await spawnServe(dir);
    for (let i = N / 2; i < N; i += 25) {
      const rs = await Promise.all(Array.from({ length: 25 }, (_, j) => post(srv.url, i + j)));
      rs.forEach((r, j) => r.status === 201 && acked.push(i + j));
    }
    expect(acked).toHaveLength(N);
    await until(
      "every run to wait",
      () => count(`SELECT count(*) n FROM automation_runs WHERE status = 'waiting'`) === N,
    );
    const perConv = (body: string) =>
      count(
        `SELECT count(*) n FROM (SELECT conversation_id, count(*) k FROM messages WHERE direction = 'out' AND body = '${body}' GROUP BY conversation_id HAVING k = 1)`,
      );
    expect(count(`SELECT count(*) n FROM conversations`)).toBe(N);
    expect(perConv("uno")).toBe(N);
    expect(count(`SELECT count(*) n FROM messages WHERE body = 'uno'`)).toBe(N);

    // the waits come due while the server is down; it starts, and is killed while doing them
    await srv.stop("SIGTERM");
    const db = new Database(file);
    db.run(`UPDATE automation_timers SET due_at = due_at - 70000 WHERE kind = 'resume'`);
    db.close();
    srv = await spawnServe(dir);
    await until(
      "some waits to be done",
      () => count(`SELECT count(*) n FROM messages WHERE body = 'dos'`) >= 20,
      30_000,
    );
    await srv.stop("SIGKILL");
    srv = await spawnServe(dir);
    await until(
      "every run to finish",
      () => count(`SELECT count(*) n FROM automation_runs WHERE status = 'done'`) === N,
    );
    expect(perConv("dos")).toBe(N);
    expect(count(`SELECT count(*) n FROM messages WHERE body IN ('uno', 'dos')`)).toBe(2 * N);
    // in order: in each conversation "uno" comes before "dos"
    expect(
      count(
        `SELECT count(*) n FROM messages a JOIN messages b ON a.conversation_id = b.conversation_id WHERE a.body = 'uno' AND b.body = 'dos' AND a.id < b.id`,
      ),
    ).toBe(N);
    // and the outbox has one row for each: sent at most once
    expect(count(`SELECT count(*) n FROM outbox WHERE idempotency_key LIKE 'api:%:auto:%'`)).toBe(2 * N);
  } finally {
    await srv.stop("SIGKILL").catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 1_200_000);
