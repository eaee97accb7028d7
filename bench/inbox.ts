#!/usr/bin/env bun
// bench/inbox: with 100k conversations and 1M messages, time the inbox list, opening a conversation and
// full-text search through the app (routing, auth, validation, queries, JSON), and the console's inbox page.
// Run: bun bench/inbox.ts [--conversations N] [--per 10] [--samples 300]
import { parseArgs } from "node:util";
import { rmSync } from "node:fs";
import { createContext, createApp } from "../src/app/app.ts";
import { createLogger } from "../src/platform/logger.ts";
import { login } from "../src/auth/service.ts";
import { pct, fmt, machine } from "./lib.ts";
import { seedInbox, words, surnames } from "./seed.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    conversations: { type: "string", default: "100000" },
    per: { type: "string", default: "10" },
    samples: { type: "string", default: "300" },
  },
});
const CONV = Number(values.conversations),
  PER = Number(values.per),
  SAMPLES = Number(values.samples);
const { dir, config, key, depts, seedSecs } = await seedInbox(CONV, PER);

const ctx = await createContext(config, { log: createLogger("silent") });
const app = createApp(ctx);
const auth = { authorization: `Bearer ${key}` };
const s = await login(ctx, { email: "admin@bench.mx", password: "bench-password" });
const cookie = { cookie: `digybot_session=${s.token}` };
const convIds = (
  await ctx.database.client.execute(`select id from conversations order by random() limit ${SAMPLES}`)
).rows.map((r) => String(r.id));

async function measure(name: string, fn: (i: number) => Response | Promise<Response>) {
  for (let i = 0; i < 20; i++) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    const r = await fn(i);
    if (r.status !== 200) throw new Error(`${name}: HTTP ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { name, p50: pct(times, 50), p95: pct(times, 95), p99: pct(times, 99) };
}

const results = [
  await measure("inbox list (open, 30)", () =>
    app.request("/api/v1/conversations?status=open&limit=30", { headers: auth }),
  ),
  await measure("inbox list (department filter)", (i) =>
    app.request(`/api/v1/conversations?status=any&departmentId=${depts[i % 3]}`, { headers: auth }),
  ),
  await measure("inbox list, first + next page (cursor)", async () => {
    const j = await (await app.request("/api/v1/conversations?status=any&limit=30", { headers: auth })).json();
    return app.request(`/api/v1/conversations?status=any&limit=30&before=${j.next}`, { headers: auth });
  }),
  await measure("conversation open (get + 100 messages)", async (i) => {
    const a = await app.request(`/api/v1/conversations/${convIds[i]}`, { headers: auth });
    await a.arrayBuffer();
    return app.request(`/api/v1/conversations/${convIds[i]}/messages`, { headers: auth });
  }),
  await measure("full-text search (1 word)", (i) =>
    app.request(`/api/v1/conversations?status=any&q=${encodeURIComponent(words[i % words.length])}`, { headers: auth }),
  ),
  await measure("full-text search (2 words)", (i) =>
    app.request(
      `/api/v1/conversations?status=any&q=${encodeURIComponent(`${words[i % words.length]} ${words[(i * 7) % words.length]}`)}`,
      { headers: auth },
    ),
  ),
  await measure("contact search (name)", (i) =>
    app.request(`/api/v1/contacts?q=${encodeURIComponent(surnames[i % 10])}`, { headers: auth }),
  ),
  await measure("console inbox page with a conversation open", (i) =>
    app.request(`/inbox?status=any&c=${convIds[i]}`, { headers: cookie }),
  ),
];
const size = (
  await ctx.database.client.execute("select page_count * page_size as b from pragma_page_count(), pragma_page_size()")
).rows[0].b as number;
await ctx.database.close();
if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });

console.log(
  `bench/inbox — ${CONV} conversations, ${CONV * PER} messages (seeded in ${fmt(seedSecs)} s, database ${fmt(size / 2 ** 20, 0)} MiB), ${SAMPLES} samples each, ${machine()}`,
);
for (const r of results)
  console.log(
    `${r.name.padEnd(44)} p50 ${fmt(r.p50, 2).padStart(7)} ms  p95 ${fmt(r.p95, 2).padStart(7)} ms  p99 ${fmt(r.p99, 2).padStart(7)} ms`,
  );
const by = (n: string) => results.find((r) => r.name.startsWith(n))!.p95;
console.log(
  `targets: list p95 < 30 ms (${fmt(by("inbox list (open"), 2)}), open p95 < 30 ms (${fmt(by("conversation open"), 2)}), search p95 < 50 ms (${fmt(Math.max(by("full-text search (1"), by("full-text search (2")), 2)})`,
);
