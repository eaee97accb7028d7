#!/usr/bin/env bun
// bench/contacts: contacts at scale on a real SQLite file, in process (issue #12 item 6).
//  1. search at N contacts (500k by default): a name word, a name prefix, a full phone as people type it, the
//     last digits of a phone, an e-mail — p50/p95 of each through listContacts (what the page and the API call);
//  2. a CSV import of R rows (100k by default) into that database, one in ten already a contact by phone (updated),
//     through readImportFile + importContacts: the seconds it takes, and the rows per second.
// Run: bun bench/contacts.ts [--contacts 500000] [--rows 100000] [--queries 100]
import { parseArgs } from "node:util";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { fmt, machine, pct } from "./lib.ts";
import { loadConfig } from "../src/platform/config.ts";
import { createContext } from "../src/app/app.ts";
import { createLogger } from "../src/platform/logger.ts";
import { completeSetup } from "../src/setup/complete.ts";
import { newId } from "../src/platform/ids.ts";
import { listContacts } from "../src/inbox/contacts.ts";
import { importContacts, readImportFile } from "../src/inbox/contact-import.ts";
import { surnames, words } from "./seed.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    contacts: { type: "string", default: "500000" },
    rows: { type: "string", default: "100000" },
    queries: { type: "string", default: "100" },
  },
});
const N = Number(values.contacts),
  R = Number(values.rows),
  Q = Number(values.queries);
const names = ["María", "José", "Lucía", "Pedro", "Ana", "Luis", "Carmen", "Jorge", "Rosa", "Miguel", "Sofía", "Diego"];
const rnd = (n: number) => Math.floor(Math.random() * n);
const phoneOf = (i: number) => `+5255${String(10_000_000 + i).slice(-8)}`;
const allDay = { open: true, from: "00:00", to: "23:59" };

console.log(`bench/contacts on ${machine()}`);
const dir = mkdtempSync(join(tmpdir(), "digybot-bench-contacts-"));
const config = { ...loadConfig({ file: null, env: {} }), data_dir: dir, log_level: "silent" as const };
{
  const ctx = await createContext(config, { log: createLogger("silent") });
  await completeSetup(ctx, {
    business: {
      name: "Bench",
      description: "",
      location: "",
      country: "MX",
      timezone: "America/Mexico_City",
      hours: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay },
      locale: "es",
    },
    departments: ["Ventas"],
    admin: { name: "Admin", email: "admin@bench.mx", password: "bench-password" },
  });
  await ctx.database.close();
}
{
  const t0 = performance.now();
  const raw = new Database(join(dir, "digybot.db"));
  raw.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF");
  const ins = raw.prepare(
    "insert into contacts (id,name,phone,email,attributes,created_at,updated_at) values (?,?,?,?,?,?,?)",
  );
  const now = Date.now();
  const batch = raw.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++)
      ins.run(
        newId(now - i),
        `${names[rnd(names.length)]} ${surnames[rnd(surnames.length)]} ${words[rnd(words.length)]}`,
        phoneOf(i),
        `cliente${i}@correo.mx`,
        JSON.stringify({ ciudad: ["Puebla", "CDMX", "Toluca"][i % 3] }),
        now - i * 1000,
        now - i * 1000,
      );
  });
  for (let i = 0; i < N; i += 10_000) batch(i, Math.min(N, i + 10_000));
  raw.exec("ANALYZE; PRAGMA optimize");
  raw.close();
  console.log(`seeded ${N} contacts in ${fmt((performance.now() - t0) / 1000)} s`);
}

const ctx = await createContext(config, { log: createLogger("silent") });
const admin = { kind: "system" as const };
const cases: [string, () => string][] = [
  ["a name word", () => names[rnd(names.length)]!],
  ["a name prefix (3 letters)", () => surnames[rnd(surnames.length)]!.slice(0, 3)],
  [
    "a full phone as typed (55 1234 5678)",
    () => {
      const p = phoneOf(rnd(N)).slice(3);
      return `${p.slice(0, 2)} ${p.slice(2, 6)} ${p.slice(6)}`;
    },
  ],
  ["the last 6 digits of a phone", () => phoneOf(rnd(N)).slice(-6)],
  ["an e-mail", () => `cliente${rnd(N)}@correo.mx`],
];
console.log(`\n1. search at ${N} contacts, ${Q} queries each (first page of 50)`);
let worst = 0;
for (const [label, q] of cases) {
  const ts: number[] = [];
  let found = 0;
  for (let i = 0; i < Q; i++) {
    const t0 = performance.now();
    const r = await listContacts(ctx, admin, { q: q() });
    ts.push(performance.now() - t0);
    found += r.items.length ? 1 : 0;
  }
  ts.sort((a, b) => a - b);
  worst = Math.max(worst, pct(ts, 95));
  console.log(
    `  ${label.padEnd(40)} p50 ${fmt(pct(ts, 50), 1)} ms  p95 ${fmt(pct(ts, 95), 1)} ms  (found in ${found}/${Q})`,
  );
}
console.log(`  target p95 < 50 ms: ${worst < 50 ? "met" : "NOT met"} (worst p95 ${fmt(worst, 1)} ms)`);

{
  const lines = ["Nombre,Teléfono,Correo,Ciudad,Etiquetas"];
  for (let i = 0; i < R; i++) {
    // one in ten is someone already there (by phone); the others are new
    const phone = i % 10 === 0 ? phoneOf(rnd(N)).slice(3) : `56${String(10_000_000 + i).slice(-8)}`;
    lines.push(
      `${names[i % names.length]} Nuevo ${i},${phone},nuevo${i}@correo.mx,Monterrey,${i % 2 ? "importado" : "importado|vip"}`,
    );
  }
  const csv = lines.join("\n");
  const t0 = performance.now();
  const file = readImportFile(csv);
  const r = await importContacts(ctx, admin, file, ["name", "phone", "email", "attr:ciudad", "tags"]);
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `\n2. a CSV of ${R} rows (${(csv.length / 1e6).toFixed(1)} MB) imported into ${N} contacts: ${fmt(secs, 1)} s (${fmt(R / secs, 0)} rows/s); ${r.created} created, ${r.updated} updated, ${r.mergedInFile} joined; target < 60 s: ${secs < 60 ? "met" : "NOT met"}`,
  );
}
await ctx.database.close();
