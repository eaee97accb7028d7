// Seeds a business with N conversations of PER messages each, straight into SQLite in large transactions (the
// FTS triggers index every message as it goes in): what bench/inbox and bench/console measure against.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { loadConfig } from "../src/platform/config.ts";
import { createContext } from "../src/app/app.ts";
import { createLogger } from "../src/platform/logger.ts";
import { completeSetup } from "../src/setup/complete.ts";
import { createApiKey } from "../src/auth/service.ts";
import { newId } from "../src/platform/ids.ts";

export const words =
  "hola pedido envío factura tacos pastor horario precio descuento tarjeta efectivo domicilio reservación mesa sábado mañana gracias problema frío tarde cambio talla color disponible oferta garantía devolución pago transferencia cita doctor consulta".split(
    " ",
  );
export const surnames = [
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
const names = ["María", "José", "Lucía", "Pedro", "Ana", "Luis", "Carmen", "Jorge", "Rosa", "Miguel"];
const rnd = (n: number) => Math.floor(Math.random() * n);
const sentence = () => Array.from({ length: 6 + rnd(10) }, () => words[rnd(words.length)]).join(" ");
const allDay = { open: true, from: "00:00", to: "23:59" };

/** A fresh data dir with the business set up (admin@bench.mx / bench-password), an admin API key and the data. */
export async function seedInbox(CONV: number, PER: number) {
  const dir = mkdtempSync(join(tmpdir(), "digybot-bench-inbox-"));
  const config = { ...loadConfig({ file: null, env: {} }), data_dir: dir, log_level: "silent" as const };
  const ctx = await createContext(config, { log: createLogger("silent") });
  const setup = await completeSetup(ctx, {
    business: {
      name: "Bench",
      description: "",
      location: "",
      country: "MX",
      timezone: "America/Mexico_City",
      hours: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay },
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

  return { dir, config, key, setup, depts, seedSecs };
}
