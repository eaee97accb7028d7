#!/usr/bin/env bun
// bench/sequences: a 5-step follow-up sequence over N contacts (10k by default) on a real SQLite file, advanced by
// a test clock in 15-minute steps over two weeks (not real days). Checks that every contact got exactly its five
// steps, in order, each inside the send window (Monday–Friday 9:00–18:00 in the contact's time zone, a fifth of
// them in Bogotá or Madrid rather than the business's Mexico City), and prints how fast the steps went out.
// Run: bun bench/sequences.ts [--contacts 10000]
import { parseArgs } from "node:util";
import { Database as Raw } from "bun:sqlite";
import { join } from "node:path";
import { seedInbox } from "./seed.ts";
import { fmt, machine } from "./lib.ts";
import { createContext } from "../src/app/app.ts";
import { createLogger } from "../src/platform/logger.ts";
import { startAutomation, stopAutomation, automationIdle, kickAutomation } from "../src/automation/index.ts";
import { createSequence, enrolContacts } from "../src/automation/sequences.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { contacts: { type: "string", default: "10000" } },
});
const N = Number(values.contacts);
const system = { kind: "system" as const };
console.log(`bench/sequences on ${machine()}`);

const seeded = await seedInbox(N, 1);
// a fifth of the contacts live elsewhere: their window is 9–18 where they are
{
  const raw = new Raw(join(seeded.dir, "digybot.db"));
  raw.exec(`UPDATE contacts SET attributes = '{"timezone":"America/Bogota"}' WHERE rowid % 10 = 1`);
  raw.exec(`UPDATE contacts SET attributes = '{"timezone":"Europe/Madrid"}' WHERE rowid % 10 = 2`);
  raw.close();
}
let now = Date.UTC(2026, 11, 4, 20, 0); // Friday 4 December 2026, 14:00 in Mexico City
const clock = { now: () => now };
const ctx = await createContext({ ...seeded.config }, { log: createLogger("silent"), clock });
const seq = await createSequence(ctx, system, {
  name: "Bench",
  steps: [
    { delayMinutes: 0, variations: ["Paso 1"] },
    { delayMinutes: 60 * 24, variations: ["Paso 2"] },
    { delayMinutes: 60 * 5, variations: ["Paso 3"] },
    { delayMinutes: 60 * 24 * 2, variations: ["Paso 4"] },
    { delayMinutes: 60 * 24 * 3, after: "previous", variations: ["Paso 5"] },
  ],
  window: { days: [1, 2, 3, 4, 5], from: "09:00", to: "18:00", contactTimeZone: true },
  exits: { replied: true },
});
const convs = (await ctx.db.query.conversations.findMany({ columns: { id: true, contactId: true } })).map((c) => ({
  contactId: c.contactId,
  conversationId: c.id,
}));
startAutomation(ctx, { tick: false });
const t0 = performance.now();
await enrolContacts(ctx, seq, convs, "api");
const enrolSecs = (performance.now() - t0) / 1000;
let busy = 0;
const end = now + 14 * 24 * 3_600_000;
for (; now <= end; now += 15 * 60_000) {
  const t = performance.now();
  await kickAutomation(ctx);
  await automationIdle(ctx);
  busy += performance.now() - t;
}
stopAutomation(ctx);
await ctx.database.close();

// every contact: five steps, in order, each inside the window where the contact is
const raw = new Raw(join(seeded.dir, "digybot.db"), { readonly: true });
const rows = raw
  .query(
    `SELECT c.contact_id contact, ct.attributes attrs, m.body body, m.created_at at FROM messages m
     JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id
     WHERE m.direction = 'out' AND m.sender_id = ? ORDER BY c.contact_id, m.id`,
  )
  .all(`sequence:${seq.id}`) as { contact: string; attrs: string; body: string; at: number }[];
const byContact = new Map<string, typeof rows>();
for (const r of rows) byContact.set(r.contact, [...(byContact.get(r.contact) ?? []), r]);
const fmts = new Map<string, Intl.DateTimeFormat>();
const local = (tz: string, at: number) => {
  let f = fmts.get(tz);
  if (!f)
    fmts.set(
      tz,
      (f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        weekday: "short",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      })),
    );
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, x.value]));
  return { wd: p.weekday, hm: `${p.hour}:${p.minute}` };
};
let wrongCount = 0,
  wrongOrder = 0,
  outside = 0;
const want = ["Paso 1", "Paso 2", "Paso 3", "Paso 4", "Paso 5"];
for (const [, list] of byContact) {
  if (list.length !== 5) wrongCount++;
  if (list.map((r) => r.body).join("|") !== want.slice(0, list.length).join("|")) wrongOrder++;
  for (const r of list) {
    const tz = (JSON.parse(r.attrs).timezone as string | undefined) ?? "America/Mexico_City";
    const l = local(tz, r.at);
    if (["Sat", "Sun"].includes(l.wd) || l.hm < "09:00" || l.hm >= "18:00") outside++;
  }
}
wrongCount += N - byContact.size;
const active = Number(
  (raw.query("SELECT count(*) n FROM sequence_enrolments WHERE status = 'completed'").get() as { n: number }).n,
);
raw.close();
console.log(
  `sequences: ${N} contacts × 5 steps over 14 simulated days: ${rows.length} messages sent (want ${N * 5}); ${active} enrolments completed; contacts with the wrong number of steps ${wrongCount}, out of order ${wrongOrder}, steps outside the window ${outside}`,
);
console.log(
  `  enrolled ${N} in ${fmt(enrolSecs, 1)} s; the engine worked ${fmt(busy / 1000, 1)} s in all: ${fmt(rows.length / (busy / 1000), 0)} steps/s`,
);
process.exit(wrongCount || wrongOrder || outside || rows.length !== N * 5 ? 1 : 0);
