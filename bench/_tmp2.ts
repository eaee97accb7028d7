#!/usr/bin/env bun
// bench/flows: inbound → keyword flow → reply committed to the outbox, for N distinct contacts (2k and 20k by
// default), on a real SQLite file with the automation engine reading the events table, side by side with
// BuilderBot (../shared/bench/peer-builderbot.mjs: @builderbot/bot 1.3.13 with its TestProvider, in memory) when
// it is installed: PEER_DIR=<folder where `npm install @builderbot/bot@1.3.13` was run>.
// Each inbound message is committed (and acknowledged) first, then the engine reads it and the flow's reply is
// committed to the outbox: durable, sent at most once. Latency: reply committed − message handed to DigyBot.
// Run: bun bench/flows.ts [--contacts 2000,20000]
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { seedInbox } from "./seed.ts";
import { fmt, machine, pct } from "./lib.ts";
import { createContext } from "../src/app/app.ts";
import { createLogger } from "../src/platform/logger.ts";
import { ingestInbound } from "../src/inbox/service.ts";
import { startAutomation, stopAutomation, automationIdle } from "../src/automation/index.ts";
import { createFlow, publishFlow } from "../src/automation/flows.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { contacts: { type: "string", default: "2000,20000" } },
});
const sizes = values.contacts.split(",").map(Number);
const system = { kind: "system" as const };
console.log(`bench/flows on ${machine()}`);

async function ours(N: number) {
  const seeded = await seedInbox(1, 1);
  const ctx = await createContext({ ...seeded.config }, { log: createLogger("silent") });
  const stats = new Map<string, [number, number]>();
  const c = ctx.database.client as unknown as { execute: (q: unknown) => Promise<unknown> };
  const orig = c.execute.bind(c);
  c.execute = async (q: unknown) => {
    const t = performance.now();
    try { return await orig(q); } finally {
      const k = (typeof q === "string" ? q : (q as { sql: string }).sql).slice(0, 150);
      const e = stats.get(k) ?? [0, 0]; e[0]++; e[1] += performance.now() - t; stats.set(k, e);
    }
  };
  process.on("exit", () => { for (const [k, [n, ms]] of [...stats].sort((a, b) => b[1][1] - a[1][1]).slice(0, 15)) console.log(n, ms.toFixed(0), k); });
  const f = await createFlow(ctx, system, {
    name: "Bienvenida",
    keywords: ["hola", "buenas"],
    graph: {
      start: "hola",
      nodes: [{ id: "hola", type: "message", text: "¡Hola! Bienvenido a La Casa Bonita. ¿En qué te ayudo?" }],
    },
  });
  await publishFlow(ctx, system, f.id);
  startAutomation(ctx);
  // the engine has read where the events table ends before the first customer writes (as a server does at start)
  await automationIdle(ctx);
  const channelId = seeded.setup.channel.id;
  // read through DigyBot's own connection (a second SQLite library on the same file once died of SIGBUS when a
  // checkpoint truncated the WAL under it)
  const one = (q: string, ...args: unknown[]) => ctx.database.readPrepared(q).get(args) as Record<string, number>;
  const replies = () =>
    Number(one("SELECT count(*) AS n FROM messages WHERE direction = 'out' AND sender_id = ?", `flow:${f.id}`).n);
  const t0 = performance.now();
  // when each customer's message was handed to DigyBot, by conversation (the reply's latency counts from there)
  const sentAt = new Map<string, number>();
  // the customers write as a channel delivers them: 50 at a time, each committed before the next batch
  for (let i = 0; i < N; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, async (_, j) => {
        const at = Date.now();
        const r = await ingestInbound(ctx, {
          channelId,
          from: { externalId: `52155${String(10000000 + i + j)}`, name: `Cliente ${i + j}` },
          body: "hola",
        });
        sentAt.set(r.conversationId, at);
      }),
    );
  const ingested = (performance.now() - t0) / 1000;
  while (replies() < N && performance.now() - t0 < 600_000) await Bun.sleep(20);
  await automationIdle(ctx);
  const secs = (performance.now() - t0) / 1000;
  const lat = (
    ctx.database
      .readPrepared(
        "SELECT conversation_id AS c, created_at AS t FROM messages WHERE direction = 'out' AND sender_id = ?",
      )
      .all([`flow:${f.id}`]) as { c: string; t: number }[]
  )
    .map((r) => r.t - (sentAt.get(r.c) ?? r.t))
    .sort((a, b) => a - b);
  {
    const q = "SELECT seq, type, conversation_id, actor_type, actor_id, data, at FROM events WHERE seq > ? ORDER BY seq LIMIT ?";
    const mx = Number(one("SELECT max(seq) AS n FROM events").n);
    console.log(ctx.database.readPrepared("EXPLAIN QUERY PLAN " + q).all([mx - 150, 500]));
    console.log(ctx.database.readPrepared("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'events'").all([]));
    console.log(ctx.database.readPrepared("EXPLAIN QUERY PLAN SELECT seq FROM events WHERE seq > 5 ORDER BY seq LIMIT 5").all([]));
    console.log(ctx.database.readPrepared("SELECT * FROM sqlite_stat1 WHERE tbl = 'events'").all([]));
    console.log(ctx.database.readPrepared("SELECT sqlite_version() AS v").all([]));
    console.log(ctx.database.readPrepared("PRAGMA table_info(events)").all([]).map((r: any) => [r.name, r.type, r.pk]));
    console.log(typeof mx, ctx.database.readPrepared("SELECT typeof(?) AS t").all([mx]));
    for (const back of [150, 5000, 50000]) {
      const t = performance.now();
      const r = ctx.database.readPrepared(q).all([mx - back, 500]);
      console.log("back", back, r.length, (performance.now() - t).toFixed(2), "ms");
    }
  }
  const queued = Number(one("SELECT count(*) AS n FROM outbox").n);
  stopAutomation(ctx);
  await ctx.database.close();
  return {
    n: N,
    replies: lat.length,
    queued,
    secs,
    ingested,
    perSec: lat.length / secs,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
  };
}

function peer(N: number) {
  const dir = process.env.PEER_DIR;
  const script = join(import.meta.dir, "..", "..", "shared", "bench", "peer-builderbot.mjs");
  if (!dir || !existsSync(join(dir, "node_modules", "@builderbot", "bot")) || !existsSync(script)) return null;
  const p = Bun.spawnSync(["node", script, String(N)], { cwd: dir, stdout: "pipe", stderr: "pipe", timeout: 300_000 });
  const line = p.stdout.toString().trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as { msgs_per_s: number; p50_ms: string; p99_ms: string; replies: number; secs: number };
  } catch {
    return null;
  }
}

for (const N of sizes) {
  const o = await ours(N);
  console.log(
    `digybot  ${N} contacts: ${o.replies} replies (${o.queued} in the outbox) in ${fmt(o.secs, 2)} s → ${fmt(o.perSec, 0)} replies/s; latency p50 ${fmt(o.p50, 0)} ms, p99 ${fmt(o.p99, 0)} ms (ingest alone took ${fmt(o.ingested, 2)} s)`,
  );
  const b = peer(N);
  if (b)
    console.log(
      `builderbot ${N} contacts: ${b.replies} replies in ${b.secs} s → ${b.msgs_per_s} replies/s; p50 ${b.p50_ms} ms, p99 ${b.p99_ms} ms (in memory) → DigyBot ${fmt(o.perSec / b.msgs_per_s, 1)}×`,
    );
  else console.log("builderbot: not run (set PEER_DIR to a folder with @builderbot/bot@1.3.13 installed)");
}
process.exit(0);
