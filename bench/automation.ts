#!/usr/bin/env bun
// bench/automation: the automation engine on a real SQLite file, in process.
//  1. timers: N "customer silent" timers coming due at R per second (a rule sets each conversation's priority):
//     how many fire per second, and how late each fires (run start − due time), p50/p99/max;
//  2. ingest with 20 active rules against ingest with none, in the same run: inbound messages per second while the
//     engine reads every event (a few rules match and act, the rest are checked and pass).
// Run: bun bench/automation.ts [--timers 100000] [--rate 2000] [--messages 5000]
import { parseArgs } from "node:util";
import { Database as Raw } from "bun:sqlite";
import { join } from "node:path";
import { seedInbox } from "./seed.ts";
import { fmt, machine, pct } from "./lib.ts";
import { createContext } from "../src/app/app.ts";
import { createLogger } from "../src/platform/logger.ts";
import { newId } from "../src/platform/ids.ts";
import { ingestInbound } from "../src/inbox/service.ts";
import { createTag } from "../src/inbox/service.ts";
import { startAutomation, stopAutomation, automationIdle, createRule } from "../src/automation/index.ts";
import { automationRuns } from "../src/automation/schema.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    timers: { type: "string", default: "100000" },
    rate: { type: "string", default: "2000" },
    messages: { type: "string", default: "5000" },
  },
});
const N = Number(values.timers),
  RATE = Number(values.rate),
  M = Number(values.messages);
const system = { kind: "system" as const };

console.log(`bench/automation on ${machine()}`);

// ---- 1. timers coming due
{
  const seeded = await seedInbox(N, 1);
  const ctx = await createContext({ ...seeded.config }, { log: createLogger("silent") });
  const rule = await createRule(ctx, system, {
    name: "Seguimiento",
    trigger: { type: "customer_silent", minutes: 60 },
    actions: [{ type: "set_priority", priority: "high" }],
  });
  await ctx.database.close();
  // the timers, as the engine writes them after our last message in each conversation, due from 3 s from now at RATE/s
  const raw = new Raw(join(seeded.dir, "digybot.db"));
  raw.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
  const convs = raw.query("SELECT id, contact_id FROM conversations").all() as { id: string; contact_id: string }[];
  const t0 = Date.now() + 3000;
  const ins = raw.prepare(
    "INSERT INTO automation_timers (id, key, rule_id, kind, due_at, conversation_id, contact_id, payload, status, attempts, created_at) VALUES (?, ?, ?, 'silent', ?, ?, ?, ?, 'pending', 0, ?)",
  );
  raw.transaction(() => {
    convs.forEach((c, i) => {
      const due = t0 + Math.floor((i * 1000) / RATE);
      ins.run(
        newId(),
        `silent:${rule.id}:${c.id}`,
        rule.id,
        due,
        c.id,
        c.contact_id,
        JSON.stringify({ since: 0 }),
        Date.now(),
      );
    });
  })();
  raw.close();
  const ctx2 = await createContext({ ...seeded.config }, { log: createLogger("silent") });
  startAutomation(ctx2);
  const end = t0 + (N * 1000) / RATE;
  // read through DigyBot's own connection (a second SQLite library on the same file once died of SIGBUS when a
  // checkpoint truncated the WAL under it)
  const check = {
    query: (q: string) => ({
      get: () => ctx2.database.readPrepared(q).get([]),
      all: () => ctx2.database.readPrepared(q).all([]),
    }),
  };
  while (Number((check.query("SELECT count(*) n FROM automation_runs").get() as { n: number }).n) < N) {
    if (Date.now() > end + 120_000) break;
    await Bun.sleep(200);
  }
  await automationIdle(ctx2);
  stopAutomation(ctx2);
  const rows = check
    .query(
      "SELECT r.started_at s, t.due_at d FROM automation_runs r JOIN automation_timers t ON t.conversation_id = r.conversation_id AND t.kind = 'silent'",
    )
    .all() as { s: number; d: number }[];
  const late = rows.map((r) => r.s - r.d).sort((a, b) => a - b);
  const firstDue = t0;
  const lastRun = Math.max(...rows.map((r) => r.s));
  const fired = rows.length;
  const perSec = fired / ((lastRun - firstDue) / 1000);
  const high = Number(
    (check.query("SELECT count(*) n FROM conversations WHERE priority = 'high'").get() as { n: number }).n,
  );
  console.log(
    `timers: ${fired} of ${N} fired (${high} conversations changed), due at ${RATE}/s → fired at ${fmt(perSec, 0)}/s; lateness p50 ${fmt(pct(late, 50), 0)} ms, p99 ${fmt(pct(late, 99), 0)} ms, max ${fmt(late.at(-1) ?? Number.NaN, 0)} ms`,
  );
  await ctx2.database.close();
}

if (values.messages === "0") process.exit(0);

// ---- 2. ingest with 20 rules against none
async function ingestRun(rules: number) {
  const seeded = await seedInbox(10, 1);
  const ctx = await createContext({ ...seeded.config }, { log: createLogger("silent") });
  const tag = await createTag(ctx, system, { name: "devolucion" });
  for (let r = 0; r < rules; r++)
    await createRule(
      ctx,
      system,
      r % 5 === 0
        ? {
            name: `Etiquetar ${r}`,
            trigger: { type: "message_received", keywords: [`devolucion${r}`] },
            actions: [{ type: "add_tag", tagId: tag.id }],
          }
        : r % 5 === 1
          ? {
              name: `Primer mensaje ${r}`,
              trigger: { type: "message_received", first: true },
              conditions: { match: "all", items: [{ field: "business.open", op: "eq", value: false }] },
              actions: [{ type: "send_message", body: "Cerrado" }],
            }
          : {
              name: `Regla ${r}`,
              trigger: { type: "message_received", keywords: [`palabra${r}`, `otra${r}`] },
              actions: [{ type: "set_priority", priority: "high" }],
            },
    );
  startAutomation(ctx, { tick: false });
  const channelId = seeded.setup.channel.id;
  const t = performance.now();
  for (let i = 0; i < M; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, M - i) }, (_, j) =>
        ingestInbound(ctx, {
          channelId,
          from: { externalId: `bench-${i + j}`, name: `Cliente ${i + j}` },
          body: (i + j) % 10 === 0 ? "quiero hacer una devolucion0 por favor" : "hola, ¿tienen envío a domicilio?",
        }),
      ),
    );
  const ingestSecs = (performance.now() - t) / 1000;
  await automationIdle(ctx);
  const totalSecs = (performance.now() - t) / 1000;
  stopAutomation(ctx);
  const runs = (await ctx.db.select().from(automationRuns)).length;
  await ctx.database.close();
  return { perSec: M / ingestSecs, totalSecs, runs };
}
const none = await ingestRun(0);
const twenty = await ingestRun(20);
console.log(
  `ingest: ${fmt(none.perSec, 0)} msgs/s with no rules, ${fmt(twenty.perSec, 0)} msgs/s with 20 rules (${fmt((twenty.perSec / none.perSec) * 100, 0)}%; target ≥ 85%); the engine finished ${twenty.runs} runs ${fmt(twenty.totalSecs, 1)} s after the first message`,
);
process.exit(0);
