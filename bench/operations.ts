#!/usr/bin/env bun
// bench/operations: team operations on a real SQLite file, in process (issue #12).
//  1. assignment decision: 100 agents online in one department holding 10k open conversations; a customer's new
//     conversation arrives and is given to someone (members, their loads, the queue, the write): the time from its
//     request to its commit, p50/p95/p99, for round robin, least busy, and least busy with a per-channel capacity;
//  2. a burst: B conversations arrive at once onto the same team; how long until every one is given, and how even.
// Run: bun bench/operations.ts [--agents 100] [--open 10000] [--decisions 1000] [--burst 2000]
import { parseArgs } from "node:util";
import Database from "libsql";
import { join } from "node:path";
import { seedInbox } from "./seed.ts";
import { fmt, machine, pct } from "./lib.ts";
import { createContext } from "../src/app/app.ts";
import { createLogger } from "../src/platform/logger.ts";
import { newId } from "../src/platform/ids.ts";
import { ingestInbound, forgetChannels } from "../src/inbox/service.ts";
import { assignmentSettled, connectConsole, requestAssignment } from "../src/inbox/assignment.ts";
import { updateDepartment } from "../src/auth/service.ts";
import { users } from "../src/auth/schema.ts";
import { contacts, conversations } from "../src/inbox/schema.ts";
import { and, count, eq, isNull, like } from "drizzle-orm";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    agents: { type: "string", default: "100" },
    open: { type: "string", default: "10000" },
    decisions: { type: "string", default: "1000" },
    burst: { type: "string", default: "2000" },
  },
});
const AGENTS = Number(values.agents),
  OPEN = Number(values.open),
  DECISIONS = Number(values.decisions),
  BURST = Number(values.burst);
const system = { kind: "system" as const };

console.log(`bench/operations on ${machine()}`);

// seedInbox leaves one conversation in five open: 5 × OPEN in all, the open ones given out to the agents
const seeded = await seedInbox(OPEN * 5, 1);
const ventas = seeded.depts[0]!;
{
  const raw = new Database(join(seeded.dir, "digybot.db"));
  raw.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF");
  const insUser = raw.prepare(
    "insert into users (id,email,name,password_hash,role,locale,active,created_at) values (?,?,?,'x','agent','es',1,?)",
  );
  const insLink = raw.prepare("insert into user_departments (user_id,department_id) values (?,?)");
  const ids: string[] = [];
  raw.transaction(() => {
    for (let i = 0; i < AGENTS; i++) {
      const id = newId();
      ids.push(id);
      insUser.run(id, `agente${i}@bench.mx`, `Agente ${i}`, Date.now());
      insLink.run(id, ventas);
    }
  })();
  const open = raw.prepare("select id from conversations where status = 'open'").all() as { id: string }[];
  const give = raw.prepare(
    "update conversations set owner_type='agent', assignee_id=?, department_id=?, queued_at=null where id=?",
  );
  raw.transaction(() => open.forEach((c, i) => give.run(ids[i % AGENTS], ventas, c.id)))();
  raw.prepare("update channels set department_id = ?").run(ventas);
  raw.exec("ANALYZE; PRAGMA optimize");
  raw.close();
  console.log(
    `seeded ${OPEN * 5} conversations (${open.length} open, given to ${AGENTS} agents) in ${fmt(seeded.seedSecs)} s`,
  );
}

const ctx = await createContext({ ...seeded.config }, { log: createLogger("silent") });
forgetChannels(ctx);
const agents = await ctx.db.select({ id: users.id }).from(users).where(like(users.email, "agente%"));
for (const a of agents) connectConsole(ctx, a.id);
const channelId = seeded.setup.channel.id;
let visitor = 0;
const arrive = () =>
  ingestInbound(ctx, {
    channelId,
    from: { externalId: `bench-${++visitor}`, name: `Cliente ${visitor}` },
    body: "hola",
  });

/** A customer's conversation waiting in Ventas's queue, written without an event (so nothing assigns it yet). */
async function waiting() {
  const now = Date.now();
  const contactId = newId(now);
  await ctx.database.write(async (tx) => {
    await tx.insert(contacts).values({ id: contactId, name: `Cliente ${++visitor}`, createdAt: now, updatedAt: now });
    await tx.insert(conversations).values({
      id: newId(now),
      channelId,
      contactId,
      status: "open",
      ownerType: "queue",
      departmentId: ventas,
      lastMessageAt: now,
      createdAt: now,
      updatedAt: now,
      queuedAt: now,
      lastInboundAt: now,
    });
  });
}

/** Times assignment decisions: a conversation waits; the department's turn runs, from request to commit. */
async function decisions(label: string, mode: "round_robin" | "least_busy") {
  await updateDepartment(ctx, system, ventas, { assignment: mode });
  await assignmentSettled(ctx);
  const times: number[] = [];
  for (let i = 0; i < DECISIONS; i++) {
    await waiting();
    const t0 = performance.now();
    requestAssignment(ctx, ventas);
    await assignmentSettled(ctx);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const left = await ctx.db.select({ n: count() }).from(conversations).where(queued).get();
  console.log(
    `  ${label.padEnd(40)} p50 ${fmt(pct(times, 50), 2)} ms  p95 ${fmt(pct(times, 95), 2)} ms  p99 ${fmt(pct(times, 99), 2)} ms  (left waiting: ${left?.n})`,
  );
  return pct(times, 95);
}
const queued = and(
  eq(conversations.ownerType, "queue"),
  isNull(conversations.assigneeId),
  eq(conversations.status, "open"),
);
const loads = async () =>
  new Map(
    (
      await ctx.db
        .select({ a: conversations.assigneeId, n: count() })
        .from(conversations)
        .where(and(eq(conversations.status, "open"), eq(conversations.ownerType, "agent")))
        .groupBy(conversations.assigneeId)
    ).map((r) => [r.a!, r.n]),
  );

console.log(`\n1. assignment decision, ${AGENTS} agents online, ${OPEN} open conversations, ${DECISIONS} decisions`);
const p95s = [await decisions("round robin", "round_robin"), await decisions("least busy", "least_busy")];
await ctx.database.write((tx) =>
  tx
    .update(users)
    .set({ channelCapacity: { webchat: 500 } })
    .where(like(users.email, "agente%")),
);
p95s.push(await decisions("least busy, with a per-channel capacity", "least_busy"));
console.log(
  `  target p95 < 5 ms: ${p95s.every((p) => p < 5) ? "met" : "NOT met"} (worst p95 ${fmt(Math.max(...p95s), 2)} ms)`,
);

// ---- 2. a burst arriving at once
{
  await updateDepartment(ctx, system, ventas, { assignment: "round_robin" });
  await ctx.database.write((tx) => tx.update(users).set({ channelCapacity: {} }).where(like(users.email, "agente%")));
  const before = await loads();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: BURST }, arrive));
  await assignmentSettled(ctx);
  const secs = (performance.now() - t0) / 1000;
  const after = await loads();
  const gained = agents.map((a) => (after.get(a.id) ?? 0) - (before.get(a.id) ?? 0));
  const left = await ctx.db.select({ n: count() }).from(conversations).where(queued).get();
  console.log(
    `\n2. a burst of ${BURST} conversations at once, stored and given: ${fmt(secs, 2)} s (${fmt(BURST / secs, 0)}/s); new per agent ${Math.min(...gained)}–${Math.max(...gained)}; left waiting ${left?.n}`,
  );
}
await ctx.database.close();
