#!/usr/bin/env bun
// bench/inbox: with 100k conversations and 1M messages, time the inbox list, opening a conversation and
// full-text search through the app (routing, auth, validation, queries, JSON), and the console's inbox page.
// Run: bun bench/inbox.ts [--conversations N] [--per 10] [--samples 300]
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { loadConfig } from "../src/platform/config.ts";
import { createContext, createApp } from "../src/app/app.ts";
import { createLogger } from "../src/platform/logger.ts";
import { completeSetup } from "../src/setup/complete.ts";
import { createApiKey, login } from "../src/auth/service.ts";
import { newId } from "../src/platform/ids.ts";
import { pct, fmt, machine } from "./lib.ts";

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
const words =
  "hola pedido envío factura tacos pastor horario precio descuento tarjeta efectivo domicilio reservación mesa sábado mañana gracias problema frío tarde cambio talla color disponible oferta garantía devolución pago transferencia cita doctor consulta".split(
    " ",
  );
const rnd = (n: number) => Math.floor(Math.random() * n);
const sentence = () => Array.from({ length: 6 + rnd(10) }, () => words[rnd(words.length)]).join(" ");

const dir = mkdtempSync(join(tmpdir(), "digybot-bench-inbox-"));
const config = { ...loadConfig({ file: null, env: {} }), data_dir: dir, log_level: "silent" as const };
let ctx = await createContext(config, { log: createLogger("silent") });
const setup = await completeSetup(ctx, {
  business: {
    name: "Bench",
    description: "",
    location: "",
    country: "MX",
    timezone: "America/Mexico_City",
    hours: {
      mon: { open: true, from: "00:00", to: "23:59" },
      tue: { open: true, from: "00:00", to: "23:59" },
      wed: { open: true, from: "00:00", to: "23:59" },
      thu: { open: true, from: "00:00", to: "23:59" },
      fri: { open: true, from: "00:00", to: "23:59" },
      sat: { open: true, from: "00:00", to: "23:59" },
      sun: { open: true, from: "00:00", to: "23:59" },
    },
    locale: "es",
  },
  departments: ["Ventas", "Soporte", "Facturación"],
  admin: { name: "Admin", email: "admin@bench.mx", password: "bench-password" },
});
const key = (await createApiKey(ctx, { kind: "system" }, { name: "bench", scope: "admin" })).key;
await ctx.database.close();

// Seed with prepared statements in large transactions (the FTS triggers index every message as it goes in).
const t0 = performance.now();
const raw = new Database(join(dir, "digybot.db"));
raw.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF");
const insContact = raw.prepare(
  "insert into contacts (id,name,phone,email,attributes,created_at,updated_at) values (?,?,?,?,'{}',?,?)",
);
const insConv = raw.prepare(
  "insert into conversations (id,channel_id,contact_id,status,owner_type,department_id,priority,unread_count,last_message_at,last_message_preview,created_at,updated_at) values (?,?,?,?,'queue',?,'none',?,?,?,?,?)",
);
const insMsg = raw.prepare(
  "insert into messages (id,conversation_id,channel_id,direction,sender_type,body,attachments,private,status,created_at) values (?,?,?,?,?,?,'[]',0,?,?)",
);
const depts = setup.departments.map((d) => d.id);
const names = ["María", "José", "Lucía", "Pedro", "Ana", "Luis", "Carmen", "Jorge", "Rosa", "Miguel"];
const surnames = [
  "López",
  "García",
  "Hernández",
  "Martínez",
  "Pérez",
  "Sánchez",
  "Ramírez",
  "Torres",
  "Flores",
  "Rivera",
];
const start = Date.now() - CONV * 60_000;
const batch = raw.transaction((from: number, to: number) => {
  for (let i = from; i < to; i++) {
    const at = start + i * 60_000;
    const contactId = newId(at),
      convId = newId(at);
    insContact.run(
      contactId,
      `${names[rnd(10)]} ${surnames[rnd(10)]} ${i}`,
      `+5255${String(10_000_000 + i).slice(-8)}`,
      `cliente${i}@correo.mx`,
      at,
      at,
    );
    const bodies = Array.from({ length: PER }, sentence);
    insConv.run(
      convId,
      setup.channel.id,
      contactId,
      i % 5 === 0 ? "open" : "resolved",
      depts[i % 3],
      i % 5 === 0 ? 1 : 0,
      at + PER,
      bodies[PER - 1].slice(0, 140),
      at,
      at + PER,
    );
    bodies.forEach((body, k) =>
      insMsg.run(
        newId(at + k),
        convId,
        setup.channel.id,
        k % 2 ? "out" : "in",
        k % 2 ? "agent" : "contact",
        body,
        k % 2 ? "sent" : "received",
        at + k,
      ),
    );
  }
});
for (let i = 0; i < CONV; i += 2000) batch(i, Math.min(CONV, i + 2000));
raw.exec("ANALYZE; PRAGMA optimize");
raw.close();
const seedSecs = (performance.now() - t0) / 1000;

ctx = await createContext(config, { log: createLogger("silent") });
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
