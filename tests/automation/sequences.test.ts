// Follow-up sequences (issue #11 item 3) on a real SQLite file with a test clock: steps go out in order after
// their delays, inside the send window (in the contact's time zone when known); the customer replying, a person
// taking over, a tag or "BAJA" take the contact out; outside WhatsApp's 24 h window a step goes as its template or
// is skipped and shown skipped; enrolment by rule, API, conversation and CSV; a timeline per contact and figures
// per step; bad input refused with the field named.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { and, eq } from "drizzle-orm";
import { apiPost, makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { ingestInbound, sendMessage } from "../../src/inbox/service.ts";
import { createChannel } from "../../src/channels/service.ts";
import { channelTemplates, contacts, messages, sequenceEnrolments } from "../../src/schema.ts";
import { startAutomation, automationIdle, kickAutomation } from "../../src/automation/index.ts";
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

const api = (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) =>
  t.req(method, `/api/v1${path}`, { headers: { authorization: `Bearer ${s.apiKey}`, ...headers }, json });
async function settle() {
  for (let i = 0; i < 3; i++) {
    await Bun.sleep(1);
    await kickAutomation(t.ctx);
    await automationIdle(t.ctx);
  }
}
const later = async (ms: number) => {
  now += ms;
  await settle();
};
const say = (body: string, who = "v1", name = "María López") =>
  ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: who, name }, body });
const outBodies = async (conversationId: string) =>
  (
    await t.ctx.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "out")))
      .orderBy(messages.id)
  ).map((m) => m.body);
async function sequence(body: Record<string, unknown>) {
  const r = await api("POST", "/sequences", body);
  const j = await r.json();
  if (r.status !== 201) throw new Error(JSON.stringify(j));
  return j.data as { id: string };
}
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
