// The waiting queue (issue #12): a waiting customer is told their place and an estimated wait in their channel
// (a live banner on the web chat, a message elsewhere only when it changes meaningfully), the estimate comes from
// the last hour's handling times, and a department's overflow rule moves a conversation that waited too long to
// another department, to an AI agent, or opens a call-back ticket — once.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { and, eq } from "drizzle-orm";
import { addWhatsAppCloud, makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { ingestInbound, updateConversation, forgetChannels } from "../../src/inbox/service.ts";
import { assignmentSettled, connectConsole, sweepAssignments, visitorQueuePlace } from "../../src/inbox/assignment.ts";
import { createUser, updateDepartment } from "../../src/auth/service.ts";
import { createAgent } from "../../src/agents/service.ts";
import { channels, conversations, messages } from "../../src/inbox/schema.ts";
import { tickets } from "../../src/tickets/schema.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
let now = Date.UTC(2026, 11, 4, 15, 0, 0);
const clock = { now: () => now };
let wa: { id: string };
const system = { kind: "system" } as const;

beforeEach(async () => {
  now = Date.UTC(2026, 11, 4, 15, 0, 0);
  t = await makeTestApp({}, { clock });
  s = await seedBusiness(t.ctx);
  wa = await addWhatsAppCloud(t.ctx);
  await t.ctx.database.write((tx) => tx.update(channels).set({ departmentId: s.ventas.id }));
  forgetChannels(t.ctx);
  await updateDepartment(t.ctx, system, s.ventas.id, { assignment: "round_robin" });
});
afterEach(() => t.close());

const web = (i: number) =>
  ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: `v-${i}`, name: `Visitante ${i}` },
    body: "hola",
  });
const whatsapp = (i: number, body = "hola") =>
  ingestInbound(t.ctx, { channelId: wa.id, from: { externalId: `52155${String(i).padStart(8, "0")}` }, body });
const notices = async (conversationId: string) =>
  (
    await t.ctx.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.senderType, "system")))
  )
    .filter((m) => m.direction === "out")
    .map((m) => m.body);

/** What a web-chat visitor's live stream receives, as the hub hands it over. */
function visitorStream(contactId: string) {
  const got: unknown[] = [];
  t.ctx.hub.add({
    id: `test-${contactId}`,
    kind: "visitor",
    principal: `${s.webchat.id}:${contactId}`,
    send: (event, data) => event === "queue" && got.push(data),
    close: () => {},
  });
  return got;
}

test("the web chat shows the place live: it moves up as others are served, and goes when someone takes it", async () => {
  const r1 = await web(1);
  const r2 = await web(2);
  await assignmentSettled(t.ctx);
  const c2 = (await t.ctx.db.select().from(conversations).where(eq(conversations.id, r2.conversationId)).get())!;
  const seen = visitorStream(c2.contactId);
  // what the widget shows when its stream opens: second in line, no estimate yet (nobody online, no history)
  expect(await visitorQueuePlace(t.ctx, s.webchat.id, c2.contactId)).toEqual({ position: 2, minutes: null });
  const ana = await createUser(t.ctx, {
    name: "Carla",
    email: "carla@test.mx",
    password: "agent-pass-123",
    departmentIds: [s.ventas.id],
    capacity: 1,
  });
  connectConsole(t.ctx, ana.id);
  await assignmentSettled(t.ctx);
  // the first went to Carla; the second is now first in line
  expect(seen).toEqual([{ position: 1, minutes: null }]);
  await updateConversation(t.ctx, system, r1.conversationId, { status: "resolved" });
  await assignmentSettled(t.ctx);
  // Carla's seat freed: the second is hers, and the banner goes
  expect(seen).toEqual([{ position: 1, minutes: null }, { position: null }]);
  expect(await visitorQueuePlace(t.ctx, s.webchat.id, c2.contactId)).toBeNull();
  // no WhatsApp-style messages on the web chat
  expect(await notices(r2.conversationId)).toEqual([]);
});

test("WhatsApp is told by message once, and again only when the place halves after ten minutes", async () => {
  const first = await whatsapp(1);
  await assignmentSettled(t.ctx);
  expect(await notices(first.conversationId)).toEqual([
    "Gracias por escribir. Todo el equipo está ocupado: estás en la posición 1 de la fila y te atenderemos en cuanto alguien se libere.",
  ]);
  // others arrive and write again: no flood for the first
  for (let i = 2; i <= 6; i++) await whatsapp(i);
  await whatsapp(1, "¿hola?");
  await assignmentSettled(t.ctx);
  await sweepAssignments(t.ctx);
  expect((await notices(first.conversationId)).length).toBe(1);
  const firstRow = await t.ctx.db.select().from(conversations).where(eq(conversations.id, first.conversationId)).get();
  expect(firstRow?.queueNotice).toMatchObject({ position: 1, count: 1 });
  // ten minutes on, four are served one after another: the sixth is told once, when its place has halved (6 → 3),
  // and not again at 2 (less than ten minutes since); the fifth when it reached 2
  now += 10 * 60_000;
  const rows = await t.ctx.db
    .select()
    .from(conversations)
    .where(and(eq(conversations.channelId, wa.id), eq(conversations.status, "open")));
  const byPos = rows.sort((a, b) => (a.queuedAt ?? 0) - (b.queuedAt ?? 0) || (a.id < b.id ? -1 : 1));
  for (const c of byPos.slice(0, 4)) {
    await updateConversation(t.ctx, system, c.id, { status: "resolved" });
    await assignmentSettled(t.ctx);
  }
  await sweepAssignments(t.ctx);
  const sixth = await notices(byPos[5]!.id);
  expect(sixth.length).toBe(2);
  expect(sixth[0]).toContain("posición 6 de la fila");
  expect(sixth[1]).toContain("posición 3 de la fila");
  const fifth = await notices(byPos[4]!.id);
  expect(fifth.map((b) => b.match(/posición (\d)/)?.[1])).toEqual(["5", "2"]);
});

test("the estimate: the last hour's median handling time, per person online, for the place", async () => {
  // three conversations handled in the last hour: 4, 6 and 9 minutes from assignment to resolution (median 6)
  const people = [];
  for (const n of ["Uno", "Dos"]) {
    const u = await createUser(t.ctx, {
      name: n,
      email: `${n.toLowerCase()}@test.mx`,
      password: "agent-pass-123",
      departmentIds: [s.ventas.id],
      capacity: 2,
    });
    connectConsole(t.ctx, u.id);
    people.push(u);
  }
  const done = [];
  for (let i = 0; i < 3; i++) done.push((await web(100 + i)).conversationId);
  await assignmentSettled(t.ctx);
  const took = [4, 6, 9];
  for (const [i, id] of done.entries()) {
    const at = now;
    now = at + took[i]! * 60_000;
    await updateConversation(t.ctx, system, id, { status: "resolved" });
    now = at;
  }
  now += 5 * 60_000;
  // both people are full (two each), and three customers wait
  for (let i = 0; i < 7; i++) await web(i);
  await assignmentSettled(t.ctx);
  const waiting = await t.ctx.db
    .select()
    .from(conversations)
    .where(and(eq(conversations.ownerType, "queue"), eq(conversations.status, "open")));
  expect(waiting.length).toBe(3);
  const third = waiting.sort((a, b) => (a.queuedAt ?? 0) - (b.queuedAt ?? 0) || (a.id < b.id ? -1 : 1))[2]!;
  // third in line, two people: ceil(3 / 2) = 2 handling times of 6 min = 12 min
  expect(await visitorQueuePlace(t.ctx, s.webchat.id, third.contactId)).toEqual({ position: 3, minutes: 12 });
});

test("overflow to another department after the minutes, once", async () => {
  await updateDepartment(t.ctx, system, s.ventas.id, {
    overflowAfterMinutes: 5,
    overflowAction: "department",
    overflowTargetId: s.soporte.id,
  });
  await updateDepartment(t.ctx, system, s.soporte.id, {
    assignment: "round_robin",
    overflowAfterMinutes: 5,
    overflowAction: "department",
    overflowTargetId: s.ventas.id,
  });
  const r = await whatsapp(1);
  await assignmentSettled(t.ctx);
  now += 4 * 60_000;
  await sweepAssignments(t.ctx);
  const get = () => t.ctx.db.select().from(conversations).where(eq(conversations.id, r.conversationId)).get();
  expect((await get())?.departmentId).toBe(s.ventas.id);
  now += 60_000;
  await sweepAssignments(t.ctx);
  expect((await get())?.departmentId).toBe(s.soporte.id);
  // Soporte overflows back to Ventas after five minutes, but a conversation overflows once: no ping-pong
  now += 10 * 60_000;
  await sweepAssignments(t.ctx);
  expect((await get())?.departmentId).toBe(s.soporte.id);
  const lines = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, r.conversationId)))
    .filter((m) => m.direction === "activity")
    .map((m) => JSON.parse(m.body));
  expect(lines).toEqual([{ key: "overflow_department", params: { name: "Soporte", minutes: "5" } }]);
});

test("overflow to an AI agent, and to a call-back ticket with a message to the customer", async () => {
  const agent = await createAgent(t.ctx, system, { name: "Asistente", departmentIds: [s.soporte.id] });
  await updateDepartment(t.ctx, system, s.ventas.id, {
    overflowAfterMinutes: 3,
    overflowAction: "agent",
    overflowTargetId: agent.id,
  });
  const a = await whatsapp(1);
  await assignmentSettled(t.ctx);
  now += 3 * 60_000;
  await sweepAssignments(t.ctx);
  const conv = await t.ctx.db.select().from(conversations).where(eq(conversations.id, a.conversationId)).get();
  expect(conv).toMatchObject({ ownerType: "bot", agentId: agent.id, assigneeId: null });

  await updateDepartment(t.ctx, system, s.ventas.id, { overflowAction: "ticket", overflowTargetId: null });
  const b = await whatsapp(2);
  await assignmentSettled(t.ctx);
  now += 3 * 60_000;
  await sweepAssignments(t.ctx);
  await sweepAssignments(t.ctx);
  const made = await t.ctx.db.select().from(tickets).where(eq(tickets.conversationId, b.conversationId));
  expect(made.length).toBe(1);
  expect(made[0]!.subject).toBe("Devolver el contacto: esperó más de 3 min en la fila");
  const told = await notices(b.conversationId);
  expect(told.at(-1)).toBe(
    `Todo el equipo sigue ocupado. Registramos tu solicitud con el ticket #${made[0]!.number} y te contactaremos en cuanto podamos.`,
  );
  expect(told.filter((x) => x.includes("ticket")).length).toBe(1);
});

test("an overflow rule is whole: refused with the field named, and nothing changes", async () => {
  const bad = [
    [{ overflowAfterMinutes: 5 }, "overflow_incomplete"],
    [{ overflowAfterMinutes: 5, overflowAction: "department" }, "overflow_incomplete"],
    [{ overflowAfterMinutes: 5, overflowAction: "department", overflowTargetId: s.ventas.id }, "overflow_to_itself"],
    [{ overflowAfterMinutes: 5, overflowAction: "agent", overflowTargetId: s.soporte.id }, "unknown_agent"],
  ] as const;
  for (const [patch, code] of bad) {
    const r = await t.req("PATCH", `/api/v1/departments/${s.ventas.id}`, {
      headers: { authorization: `Bearer ${s.apiKey}` },
      json: patch,
    });
    expect([code, r.status]).toEqual([code, 400]);
    expect((await r.json()).error.code).toBe(code);
  }
  const d = (
    await (await t.req("GET", "/api/v1/departments", { headers: { authorization: `Bearer ${s.apiKey}` } })).json()
  ).data.find((x: { id: string }) => x.id === s.ventas.id);
  expect(d).toMatchObject({ overflowAfterMinutes: null, overflowAction: null });
});
