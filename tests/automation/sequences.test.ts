// Follow-up sequences (issue #11 item 3) on a real SQLite file with a test clock: steps go out in order after
// their delays, inside the send window (in the contact's time zone when known); the customer replying, a person
// taking over, a tag or "BAJA" take the contact out; outside WhatsApp's 24 h window a step goes as its template or
// is skipped and shown skipped; enrolment by rule, API, conversation and CSV; a timeline per contact and figures
// per step; bad input refused with the field named.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { and, eq } from "drizzle-orm";
import { addWhatsAppCloud, apiPost, makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { automationKit } from "../support/automation.ts";
import { ingestInbound, sendMessage } from "../../src/inbox/service.ts";
import { channelTemplates, contacts, messages, sequenceEnrolments } from "../../src/schema.ts";
import { startAutomation } from "../../src/automation/index.ts";
import { nextInWindow } from "../../src/automation/sequences.ts";
import { defaultHours } from "../../src/setup/service.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
const START = Date.UTC(2026, 11, 2, 15, 0); // Wednesday 2 December 2026, 9:00 in Mexico City (UTC-6)
let now = START;
const clock = { now: () => now };
const MIN = 60_000,
  HOUR = 60 * MIN;

beforeEach(async () => {
  now = START;
  t = await makeTestApp({}, { clock });
  s = await seedBusiness(t.ctx);
  startAutomation(t.ctx, { tick: false });
  await settle();
});
afterEach(async () => {
  await t.close();
});

const kit = automationKit(() => ({ t, s }));
const { api, settle, outBodies } = kit;
const later = async (ms: number) => {
  now += ms;
  await settle();
};
const say = (body: string, who = "v1", name = "María López") => kit.ingest(body, who, name);
const sequence = (body: Record<string, unknown>) => kit.create("/sequences", body);
const enrolConv = async (seqId: string, conversationId: string) => {
  const r = await api("POST", `/sequences/${seqId}/enrolments`, { conversationId });
  expect([200, 201]).toContain(r.status);
  return (await r.json()).data as { id: string; status: string; nextAt: number | null; already: boolean };
};
const enrolment = (id: string) => t.ctx.db.select().from(sequenceEnrolments).where(eq(sequenceEnrolments.id, id)).get();
const local = (at: number) =>
  new Date(at).toLocaleString("es-MX", {
    timeZone: "America/Mexico_City",
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });

test("steps go out in order after their delays, only inside the window, and the last one completes the enrolment", async () => {
  const seq = await sequence({
    name: "Seguimiento de cotización",
    steps: [
      { delayMinutes: 0, variations: ["Hola {{contact.first_name|cliente}}, te dejo la cotización."] },
      { delayMinutes: 10 * 60 + 30, variations: ["¿Pudiste revisarla?"] },
      { delayMinutes: 2 * 24 * 60, after: "enrolment", variations: ["Última llamada: la oferta vence hoy."] },
    ],
    window: { days: [1, 2, 3, 4, 5], from: "09:00", to: "19:00", contactTimeZone: false },
    exits: { replied: false },
  });
  const a = await say("quiero una cotización");
  const e = await enrolConv(seq.id, a.conversationId);
  expect(e.status).toBe("active");
  await settle();
  expect(await outBodies(a.conversationId)).toEqual(["Hola María, te dejo la cotización."]);
  // step 2 comes due at 9:00 + 10.5 h = 19:30, after the window closed: it waits for Thursday 9:00
  const after1 = await enrolment(e.id);
  expect(after1!.step).toBe(1);
  expect(local(after1!.nextAt!)).toBe(local(Date.UTC(2026, 11, 3, 15, 0)));
  await later(10 * HOUR + 30 * MIN);
  expect((await outBodies(a.conversationId)).length).toBe(1);
  await later(13 * HOUR); // Thursday 8:30: still closed
  expect((await outBodies(a.conversationId)).length).toBe(1);
  await later(30 * MIN); // 9:00
  expect(await outBodies(a.conversationId)).toEqual(["Hola María, te dejo la cotización.", "¿Pudiste revisarla?"]);
  // step 3: two days after the enrolment (Friday 9:00), not after step 2
  await later(24 * HOUR - MIN);
  expect((await outBodies(a.conversationId)).length).toBe(2);
  await later(MIN);
  expect((await outBodies(a.conversationId)).at(-1)).toBe("Última llamada: la oferta vence hoy.");
  const done = await enrolment(e.id);
  expect(done!.status).toBe("completed");
  // each message once, sent by the sequence
  const sent = await t.ctx.db.select().from(messages).where(eq(messages.conversationId, a.conversationId));
  expect(sent.filter((m) => m.direction === "out").map((m) => m.senderId)).toEqual([
    `sequence:${seq.id}`,
    `sequence:${seq.id}`,
    `sequence:${seq.id}`,
  ]);
  const stats = (await (await api("GET", `/sequences/${seq.id}`)).json()).data.stats;
  expect(stats.steps.map((x: { sent: number }) => x.sent)).toEqual([1, 1, 1]);
  expect(stats.completed).toBe(1);
});

test("the window follows the contact's time zone when known; a window past midnight holds", () => {
  const w = { days: [1, 2, 3, 4, 5], from: "09:00", to: "18:00", businessHours: false, contactTimeZone: true };
  // Wednesday 15:00 UTC: 9:00 in Mexico City (open), 10:00 in Bogotá… and 00:00 Thursday in Tokyo
  expect(nextInWindow(w, null, "America/Mexico_City", START)).toBe(START);
  expect(nextInWindow(w, null, "Asia/Tokyo", START)).toBe(Date.UTC(2026, 11, 3, 0, 0)); // Thursday 9:00 in Tokyo
  // Friday 20:00 in Mexico City → Monday 9:00
  expect(nextInWindow(w, null, "America/Mexico_City", Date.UTC(2026, 11, 5, 2, 0))).toBe(Date.UTC(2026, 11, 7, 15, 0));
  const night = { ...w, days: [0, 1, 2, 3, 4, 5, 6], from: "22:00", to: "02:00" };
  // 01:00 local belongs to the window opened at 22:00 the day before
  expect(nextInWindow(night, null, "UTC", Date.UTC(2026, 11, 3, 1, 0))).toBe(Date.UTC(2026, 11, 3, 1, 0));
  expect(nextInWindow(night, null, "UTC", Date.UTC(2026, 11, 3, 3, 0))).toBe(Date.UTC(2026, 11, 3, 22, 0));
  // the business's hours: closed Sunday, Saturday until 14:00
  const hours = defaultHours();
  const biz = { ...w, businessHours: true };
  expect(nextInWindow(biz, { hours }, "UTC", Date.UTC(2026, 11, 5, 15, 0))).toBe(Date.UTC(2026, 11, 7, 9, 0));
});

test("a reply, a person's answer, a tag or 'BAJA' take the contact out; the figures say after which step", async () => {
  const tag = await apiPost(t, s.apiKey, "/tags", { name: "cliente-ganado" });
  const steps = [
    { delayMinutes: 0, variations: ["Paso 1"] },
    { delayMinutes: 60, variations: ["Paso 2"] },
    { delayMinutes: 60, variations: ["Paso 3"] },
  ];
  const seq = await sequence({
    name: "Reactivación",
    steps,
    window: { days: [0, 1, 2, 3, 4, 5, 6], from: "00:00", to: "23:59" },
    exits: { tagIds: [tag.id] },
  });
  const a = await say("hola", "a", "Ana");
  const b = await say("hola", "b", "Beto");
  const c = await say("hola", "c", "Caro");
  const d = await say("hola", "d", "Dani");
  const ea = await enrolConv(seq.id, a.conversationId);
  const eb = await enrolConv(seq.id, b.conversationId);
  const ec = await enrolConv(seq.id, c.conversationId);
  const ed = await enrolConv(seq.id, d.conversationId);
  await settle();
  for (const x of [a, b, c, d]) expect(await outBodies(x.conversationId)).toEqual(["Paso 1"]);
  await later(MIN);
  await say("gracias, lo veo", "a", "Ana"); // replied
  // the administrator answers Beto herself
  await sendMessage(
    t.ctx,
    { kind: "user", id: s.admin.id, name: "Admin", role: "admin", locale: "es", departmentIds: [] },
    b.conversationId,
    { body: "Te atiendo yo" },
  );
  await api("PUT", `/conversations/${c.conversationId}/tags/${tag.id}`);
  await say("BAJA", "d", "Dani");
  await settle();
  expect((await enrolment(ea.id))!.reason).toBe("replied");
  expect((await enrolment(eb.id))!.reason).toBe("human");
  expect((await enrolment(ec.id))!.reason).toBe("tag");
  expect((await enrolment(ed.id))!.reason).toBe("opted_out");
  const dani = await t.ctx.db
    .select()
    .from(contacts)
    .where(eq(contacts.id, (await enrolment(ed.id))!.contactId))
    .get();
  expect(dani!.attributes.opt_out).toBe(true);
  await later(2 * HOUR);
  for (const x of [a, b, c, d])
    expect((await outBodies(x.conversationId)).filter((m) => m.startsWith("Paso"))).toEqual(["Paso 1"]);
  // enrolled again after "BAJA": not enrolled, said so
  const again = await enrolConv(seq.id, d.conversationId);
  expect(again.status).toBe("exited");
  const stats = (await (await api("GET", `/sequences/${seq.id}`)).json()).data.stats;
  expect(stats.steps[0].replied).toBe(1);
  expect(stats.exited).toMatchObject({ replied: 1, human: 1, tag: 1, opted_out: 2 });
});

test("outside WhatsApp's 24 h window a step goes as its template, or is skipped and shown skipped in the contact's timeline", async () => {
  // nothing listens at its Graph URL: deliveries fail, which this test does not look at
  const wa = await addWhatsAppCloud(t.ctx);
  await t.ctx.database.write((tx) =>
    tx.insert(channelTemplates).values({
      id: "tpl1",
      channelId: wa.id,
      name: "seguimiento",
      language: "es_MX",
      category: "UTILITY",
      status: "APPROVED",
      body: "Hola {{1}}, ¿seguimos con tu pedido?",
      params: 1,
      updatedAt: now,
    }),
  );
  const seq = await sequence({
    name: "Carrito",
    steps: [
      { delayMinutes: 0, variations: ["¿Te ayudo a terminar tu compra?"] },
      {
        delayMinutes: 2 * 24 * 60,
        variations: ["¿Seguimos?"],
        template: { name: "seguimiento", language: "es_MX", params: ["{{contact.first_name|cliente}}"] },
      },
      { delayMinutes: 24 * 60, variations: ["Sin plantilla no puedo ir"] },
    ],
    window: { days: [0, 1, 2, 3, 4, 5, 6], from: "08:00", to: "21:00" },
    exits: { replied: true },
  });
  const r = await ingestInbound(t.ctx, {
    channelId: wa.id,
    from: { externalId: "5215512345678", name: "Lucía Pérez" },
    body: "hola",
  });
  const e = await enrolConv(seq.id, r.conversationId);
  await settle();
  await later(2 * 24 * HOUR);
  await later(24 * HOUR);
  const out = await t.ctx.db
    .select()
    .from(messages)
    .where(and(eq(messages.conversationId, r.conversationId), eq(messages.direction, "out")))
    .orderBy(messages.id);
  expect(out.map((m) => m.body)).toEqual(["¿Te ayudo a terminar tu compra?", "Hola Lucía, ¿seguimos con tu pedido?"]);
  expect(out[1].content).toMatchObject({ kind: "template", template: { name: "seguimiento", params: ["Lucía"] } });
  expect((await enrolment(e.id))!.status).toBe("completed");
  const contactId = (await enrolment(e.id))!.contactId;
  const timeline = (await (await api("GET", `/contacts/${contactId}/sequences`)).json()).data;
  expect(timeline).toHaveLength(1);
  expect(timeline[0]).toMatchObject({ sequenceName: "Carrito", status: "completed", stepCount: 3 });
  expect(timeline[0].sends.map((x: { outcome: string; detail: string | null }) => [x.outcome, x.detail])).toEqual([
    ["sent", null],
    ["sent", "template seguimiento"],
    ["skipped", "window_closed"],
  ]);
  const stats = (await (await api("GET", `/sequences/${seq.id}`)).json()).data.stats;
  expect(stats.steps.map((x: { skipped: number }) => x.skipped)).toEqual([0, 0, 1]);
});

test("a rule enrols on a keyword; a CSV enrols by phone or email and names the lines it could not match", async () => {
  const seq = await sequence({
    name: "Precios",
    steps: [
      { delayMinutes: 0, variations: ["Aquí va la lista de precios, {{contact.first_name|cliente}}."] },
      { delayMinutes: 24 * 60, variations: ["¿Alguna duda con los precios?"] },
    ],
    window: { days: [0, 1, 2, 3, 4, 5, 6], from: "00:00", to: "23:59" },
    exits: { replied: false },
  });
  const rule = await api("POST", "/automations", {
    name: "Precio → secuencia",
    trigger: { type: "message_received", keywords: ["precio"] },
    actions: [{ type: "enrol_sequence", sequenceId: seq.id }],
  });
  expect(rule.status).toBe(201);
  const a = await say("¿qué precio tiene?", "r1", "Rosa Díaz");
  await settle();
  await say("y otro precio", "r1", "Rosa Díaz"); // already in it: stays where she is
  await settle();
  expect(await outBodies(a.conversationId)).toEqual(["Aquí va la lista de precios, Rosa."]);
  const list = (await (await api("GET", `/sequences/${seq.id}/enrolments`)).json()).data;
  expect(list).toHaveLength(1);
  expect(list[0]).toMatchObject({ source: "rule", status: "active", step: 1, contact: { name: "Rosa Díaz" } });

  const c1 = await apiPost(t, s.apiKey, "/contacts", { name: "Pedro", phone: "+52 55 1111 2222" });
  const c2 = await apiPost(t, s.apiKey, "/contacts", { name: "Paula", email: "paula@ejemplo.mx" });
  const csv = "nombre;teléfono;correo\nPedro;55 1111 2222;\nPaula;;PAULA@ejemplo.mx\nNadie;55 9999 0000;\nVacío;;\n";
  const r = await t.req("POST", `/api/v1/sequences/${seq.id}/enrolments/import`, {
    headers: { authorization: `Bearer ${s.apiKey}`, "content-type": "text/csv" },
    body: csv,
  });
  expect(r.status).toBe(200);
  const j = (await r.json()).data;
  expect(j).toEqual({
    enrolled: 2,
    already: 0,
    errors: [
      { line: 4, message: "no_such_contact" },
      { line: 5, message: "no_contact_key" },
    ],
  });
  const enrolled = await t.ctx.db.select().from(sequenceEnrolments).where(eq(sequenceEnrolments.source, "csv"));
  expect(enrolled.map((x) => x.contactId).sort()).toEqual([c1.id, c2.id].sort());
  // neither has a conversation yet: their step is skipped and shown so, not lost
  await settle();
  const tl = (await (await api("GET", `/contacts/${c1.id}/sequences`)).json()).data;
  expect(tl[0].sends[0]).toMatchObject({ outcome: "skipped", detail: "no_conversation" });
});

test("switched off, a sequence's contacts wait where they are; switched on, the next step goes; a step's message is never sent twice", async () => {
  const seq = await sequence({
    name: "Pausa",
    steps: [
      { delayMinutes: 0, variations: ["Uno"] },
      { delayMinutes: 60, variations: ["Dos"] },
      { delayMinutes: 60, variations: ["Tres"] },
    ],
    window: { days: [0, 1, 2, 3, 4, 5, 6], from: "00:00", to: "23:59" },
    exits: { replied: false },
  });
  const a = await say("hola", "p1");
  const e = await enrolConv(seq.id, a.conversationId);
  await settle();
  expect((await api("PATCH", `/sequences/${seq.id}`, { enabled: false })).status).toBe(200);
  await later(3 * HOUR);
  expect(await outBodies(a.conversationId)).toEqual(["Uno"]);
  // a crash once sent step 2's message and died before recording it: the step, run again, does not send it twice
  await sendMessage(t.ctx, { kind: "system", id: `sequence:${seq.id}`, name: "Secuencia «Pausa»" }, a.conversationId, {
    idempotencyKey: `seq:${e.id}:1`,
    takeOver: false,
    body: "Dos",
  });
  expect((await api("PATCH", `/sequences/${seq.id}`, { enabled: true })).status).toBe(200);
  await settle();
  expect(await outBodies(a.conversationId)).toEqual(["Uno", "Dos"]);
  await later(HOUR);
  expect(await outBodies(a.conversationId)).toEqual(["Uno", "Dos", "Tres"]);
  // enrolled again once done: a new enrolment, from the first step
  const again = await enrolConv(seq.id, a.conversationId);
  expect(again.already).toBe(false);
  // taken out by the API: nothing more
  expect((await api("DELETE", `/sequences/${seq.id}/enrolments/${again.id}`)).status).toBe(404);
  const contactId = (await enrolment(again.id))!.contactId;
  expect((await api("DELETE", `/sequences/${seq.id}/enrolments/${contactId}`)).status).toBe(204);
  expect((await enrolment(again.id))!).toMatchObject({ status: "removed", reason: "removed" });
});

test("bad input is refused with the field named and changes nothing; people see only what is theirs", async () => {
  const bad = async (body: unknown) => {
    const r = await api("POST", "/sequences", body);
    return { status: r.status, error: (await r.json()).error };
  };
  const step = { delayMinutes: 0, variations: ["Hola"] };
  let r = await bad({ name: "x", steps: [{ delayMinutes: 0, variations: [] }] });
  expect(r.status).toBe(400);
  expect(JSON.stringify(r.error.details)).toContain("variations");
  r = await bad({ name: "x", steps: [step], window: { from: "18:00", to: "09:00" } });
  expect(r.status).toBe(400);
  expect(JSON.stringify(r.error.details)).toContain("to");
  r = await bad({ name: "x", steps: [step], exits: { tagIds: ["nope"] } });
  expect(r).toMatchObject({ status: 400, error: { code: "unknown_tag", details: { field: "exits.tagIds" } } });
  r = await bad({ name: "x", steps: [{ delayMinutes: -5, variations: ["a"] }] });
  expect(r.status).toBe(400);
  const rule = await api("POST", "/automations", {
    name: "x",
    trigger: { type: "message_received" },
    actions: [{ type: "enrol_sequence", sequenceId: "no-such" }],
  });
  expect(rule.status).toBe(400);
  expect((await rule.json()).error).toMatchObject({
    code: "unknown_sequence",
    details: { field: "actions.0.sequenceId" },
  });
  expect((await (await api("GET", "/sequences")).json()).data).toEqual([]);

  const seq = await sequence({ name: "Ventas", steps: [step] });
  expect((await api("POST", `/sequences/${seq.id}/enrolments`, { conversationId: "nope" })).status).toBe(404);
  expect((await api("POST", `/sequences/${seq.id}/enrolments`, {})).status).toBe(400);
  const csv = await t.req("POST", `/api/v1/sequences/${seq.id}/enrolments/import`, {
    headers: { authorization: `Bearer ${s.apiKey}`, "content-type": "text/csv" },
    body: "nombre,ciudad\nPedro,CDMX\n",
  });
  expect(csv.status).toBe(400);
  expect((await csv.json()).error.code).toBe("csv_columns");

  // Beto (Soporte) cannot enrol from a Ventas conversation, nor read the sequences
  const { sessionHeaders } = await import("../support/app.ts");
  const { updateChannel } = await import("../../src/channels/service.ts");
  await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, { departmentId: s.ventas.id });
  const a = await say("hola", "vis1");
  const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const asUser = (h: Record<string, string>, method: string, path: string, json?: unknown) =>
    t.req(method, `/api/v1${path}`, { headers: { ...h, "content-type": "application/json" }, json });
  expect(
    (await asUser(beto, "POST", `/sequences/${seq.id}/enrolments`, { conversationId: a.conversationId })).status,
  ).toBe(404);
  expect((await asUser(beto, "GET", "/sequences")).status).toBe(403);
  const ok = await asUser(ana, "POST", `/sequences/${seq.id}/enrolments`, { conversationId: a.conversationId });
  expect(ok.status).toBe(201);
  const contactId = (await ok.json()).data.contactId;
  expect((await asUser(beto, "GET", `/contacts/${contactId}/sequences`)).status).toBe(404);
  expect((await asUser(ana, "GET", `/contacts/${contactId}/sequences`)).status).toBe(200);
  // an agent enrols from a conversation, never a bare contact
  expect((await asUser(ana, "POST", `/sequences/${seq.id}/enrolments`, { contactId })).status).toBe(403);
});
