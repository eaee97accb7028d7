// Another process holds the database's write lock for longer than a write may wait, while requests arrive:
// every request is answered (stored, or 503 database_busy with Retry-After), /healthz stays fast and says so,
// and every acknowledged message is there afterwards.
import { test, expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServe, createAdmin, adminSession } from "../support/process.ts";

const repo = join(import.meta.dir, "..", "..");

/** A second process that takes the write lock (BEGIN EXCLUSIVE) and keeps it for `ms`. */
async function holdLock(file: string, ms: number) {
  const script = `const D = require("libsql"); const db = new D(${JSON.stringify(file)}); db.exec("BEGIN EXCLUSIVE"); console.log("locked"); await Bun.sleep(${ms}); db.exec("ROLLBACK"); console.log("released");`;
  const p = Bun.spawn(["bun", "-e", script], { cwd: repo, stdout: "pipe", stderr: "inherit" });
  const reader = p.stdout.getReader();
  let out = "";
  while (!out.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`locker exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return p;
}

test("a write lock held by another process: every request answered, /healthz fast and unhealthy, nothing acknowledged lost", async () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-lock-"));
  createAdmin(dir);
  const srv = await spawnServe(dir, { env: { DIGYBOT_DB_BUSY_TIMEOUT_MS: "1000" } });
  try {
    const { key } = await adminSession(srv.url);
    const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const ch = (
      await (
        await fetch(`${srv.url}/api/v1/channels`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ type: "api", name: "CRM", config: {} }),
        })
      ).json()
    ).data;
    const send = (i: number) =>
      fetch(`${srv.url}/api/v1/inbound`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({
          channelId: ch.id,
          externalId: `lock-${i}`,
          from: { externalId: `c${i % 5}` },
          body: `mensaje ${i}`,
        }),
        signal: AbortSignal.timeout(15_000),
      });
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);

    const locker = await holdLock(join(dir, "digybot.db"), 3000);
    const started = Date.now();
    const pending: Promise<{
      i: number;
      status: number;
      retryAfter: string | null;
      body: { data?: { messageId: string } };
    }>[] = [];
    const healthTimes: number[] = [];
    const healthStatuses: number[] = [];
    // requests spread over the locked period, health checks between them
    for (let i = 0; i < 30; i++) {
      pending.push(
        send(i).then(async (r) => ({
          i,
          status: r.status,
          retryAfter: r.headers.get("retry-after"),
          body: await r.json(),
        })),
      );
      if (i % 5 === 4 && Date.now() - started < 2500) {
        const t0 = performance.now();
        const h = await fetch(`${srv.url}/healthz`, { signal: AbortSignal.timeout(2000) });
        healthTimes.push(performance.now() - t0);
        healthStatuses.push(h.status);
        if (h.status === 503) expect((await h.json()).database).toBe("busy");
      }
      await Bun.sleep(80);
    }
    const answers = await Promise.all(pending);
    await locker.exited;
    // every request got an answer: stored, or refused with the error model and a Retry-After
    for (const a of answers) {
      expect([201, 503]).toContain(a.status);
      if (a.status === 503) {
        expect(a.retryAfter).toBe("2");
        expect((a.body as { error: { code: string } }).error.code).toBe("database_busy");
      }
    }
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    // the event loop was never parked in a busy wait: health checks answered at once, and said the writer is stuck
    expect(healthTimes.length).toBeGreaterThan(2);
    expect(Math.max(...healthTimes)).toBeLessThan(500);
    expect(healthStatuses).toContain(503);
    // once the lock is gone: healthy again, every acknowledged message is stored, and the refused ones go through on retry
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    for (const a of answers.filter((x) => x.status === 503)) expect((await send(a.i)).status).toBe(201);
    const stored = new Set<string>();
    const convs = (
      await (await fetch(`${srv.url}/api/v1/conversations?status=any&limit=100`, { headers: auth })).json()
    ).data as { id: string }[];
    for (const c of convs)
      for (const m of (
        await (await fetch(`${srv.url}/api/v1/conversations/${c.id}/messages?limit=500`, { headers: auth })).json()
      ).data as { id: string; body: string }[])
        stored.add(m.body);
    for (let i = 0; i < 30; i++) expect(stored.has(`mensaje ${i}`)).toBe(true);
    expect(stored.size).toBe(30);
    expect(srv.log()).toContain("database write lock held by another connection");
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
