// Automatic assignment per department: round robin and least busy within capacity, only to people online, sticky
// to the contact's last person, reassigned when someone goes offline or leaves a customer unanswered, and the
// rules a person's own assignment follows (an agent hands over only within them; a supervisor overrides).
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { addWhatsAppCloud, makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { ingestInbound, updateConversation, sendMessage, forgetChannels } from "../../src/inbox/service.ts";
import {
  assignmentSettled,
  connectConsole,
  presenceOf,
  setAvailability,
  sweepAssignments,
  teamOverview,
} from "../../src/inbox/assignment.ts";
import { createUser, updateDepartment, updateUser } from "../../src/auth/service.ts";
import { assigneeLoads, channels, contacts as contactsTable, conversations, messages } from "../../src/inbox/schema.ts";
import { users } from "../../src/auth/schema.ts";
import type { Actor } from "../../src/platform/context.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
let now = Date.UTC(2026, 11, 4, 15, 0, 0);
const clock = { now: () => now };

beforeEach(async () => {
  now = Date.UTC(2026, 11, 4, 15, 0, 0);
  t = await makeTestApp({}, { clock });
  s = await seedBusiness(t.ctx);
  // the web chat's conversations belong to Ventas
  await t.ctx.database.write((tx) =>
    tx.update(channels).set({ departmentId: s.ventas.id }).where(eq(channels.id, s.webchat.id)),
  );
  forgetChannels(t.ctx);
});
afterEach(() => t.close());

const system: Actor = { kind: "system" };
const userActor = (u: { id: string; name: string }, role: "admin" | "supervisor" | "agent", departmentIds: string[]) =>
  ({ kind: "user", id: u.id, name: u.name, role, locale: "es", departmentIds }) as const;

/** n agents of Ventas with this capacity, each with an open console */
async function team(n: number, capacity: number | null) {
  const people = [];
  for (let i = 0; i < n; i++) {
    const u = await createUser(t.ctx, {
      name: `Agente ${i + 1}`,
      email: `a${i + 1}@test.mx`,
      password: "agent-pass-123",
      departmentIds: [s.ventas.id],
      capacity,
    });
    connectConsole(t.ctx, u.id);
    people.push(u);
  }
  return people;
}

const customer = (i: number, body = "hola") =>
  ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: `v-${i}`, name: `Cliente ${i}` }, body });

async function openLoads() {
  const rows = await t.ctx.db.select().from(conversations).where(eq(conversations.status, "open"));
  const loads = new Map<string, number>();
  for (const r of rows) if (r.assigneeId) loads.set(r.assigneeId, (loads.get(r.assigneeId) ?? 0) + 1);
  return { rows, loads };
}

test("200 conversations at once onto 5 agents: round robin within capacity, counts within one, none given twice", async () => {
  const people = await team(5, 30);
  await updateDepartment(t.ctx, system, s.ventas.id, { assignment: "round_robin" });
  await Promise.all(Array.from({ length: 200 }, (_, i) => customer(i)));
  await assignmentSettled(t.ctx);
  const { rows, loads } = await openLoads();
  expect(rows.length).toBe(200);
  // 5 × 30 seats: 150 given, 50 waiting in the queue
  expect(rows.filter((r) => r.assigneeId).length).toBe(150);
  expect(rows.filter((r) => r.ownerType === "queue" && !r.assigneeId).length).toBe(50);
  for (const p of people) expect(loads.get(p.id)).toBe(30);
  // each conversation was given once: one automatic activity line each
  const lines = (await t.ctx.db.select().from(messages).where(eq(messages.direction, "activity"))).filter((m) =>
    m.body.includes('"auto_assigned"'),
  );
  expect(lines.length).toBe(150);
  expect(new Set(lines.map((l) => l.conversationId)).size).toBe(150);
});

test("round robin without a capacity: 203 conversations over 5 agents differ by at most one", async () => {
  const people = await team(5, null);
  await updateDepartment(t.ctx, system, s.ventas.id, { assignment: "round_robin" });
  await Promise.all(Array.from({ length: 203 }, (_, i) => customer(i)));
  await assignmentSettled(t.ctx);
  const { loads } = await openLoads();
  const counts = people.map((p) => loads.get(p.id) ?? 0);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(203);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
});

test("least busy gives to whoever holds fewest; only people online; the queue drains first come first served", async () => {
  const [a1, a2] = await team(2, 3);
  await updateDepartment(t.ctx, system, s.ventas.id, { assignment: "least_busy" });
  // a1 already holds two
  for (const i of [0, 1]) {
    const r = await customer(i);
    await assignmentSettled(t.ctx);
    await updateConversation(t.ctx, system, r.conversationId, { assigneeId: a1!.id });
  }
  await assignmentSettled(t.ctx);
  const { loads: before } = await openLoads();
  expect(before.get(a1!.id)).toBe(2);
  expect(before.get(a2!.id) ?? 0).toBe(0);
  const r = await customer(2);
  await assignmentSettled(t.ctx);
  expect((await openLoads()).rows.find((x) => x.id === r.conversationId)?.assigneeId).toBe(a2!.id);

  // a2 steps away: nothing more is given to her; a1 has one seat left, then the rest wait in order
  await setAvailability(t.ctx, userActor(a2!, "agent", [s.ventas.id]), a2!.id, { availability: "away" });
  const later: string[] = [];
  for (const i of [3, 4, 5]) {
    now += 1000;
    later.push((await customer(i)).conversationId);
  }
  await assignmentSettled(t.ctx);
  let rows = (await openLoads()).rows;
  expect(rows.find((x) => x.id === later[0])?.assigneeId).toBe(a1!.id);
  expect(rows.filter((x) => later.slice(1).includes(x.id)).every((x) => !x.assigneeId)).toBe(true);
  const overview = await teamOverview(t.ctx, system);
  const ventas = overview.departments.find((d) => d.id === s.ventas.id)!;
  expect(ventas.queue.map((q) => [q.conversationId, q.position])).toEqual([
    [later[1], 1],
    [later[2], 2],
  ]);
  expect(ventas.people.find((p) => p.id === a2!.id)?.presence).toBe("away");

  // back: the oldest waiting goes to her first
  await setAvailability(t.ctx, userActor(a2!, "agent", [s.ventas.id]), a2!.id, { availability: "online" });
  await assignmentSettled(t.ctx);
  rows = (await openLoads()).rows;
  expect(rows.find((x) => x.id === later[1])?.assigneeId).toBe(a2!.id);
  expect(rows.find((x) => x.id === later[2])?.assigneeId).toBe(a2!.id);
});

test("presence: offline with no console (after the grace), away when idle, offline by choice", async () => {
  const [a] = await team(1, null);
  expect(presenceOf(t.ctx, a!.id, "online")).toBe("online");
  expect(presenceOf(t.ctx, a!.id, "offline")).toBe("offline");
  now += t.ctx.config.presence_away_minutes * 60_000;
  expect(presenceOf(t.ctx, a!.id, "online")).toBe("away");
  const b = await createUser(t.ctx, { name: "B", email: "b@test.mx", password: "agent-pass-123" });
  expect(presenceOf(t.ctx, b.id, "online")).toBe("offline");
  const leave = connectConsole(t.ctx, b.id);
  leave();
  // a reload: the console is back within the grace
  now += 1000;
  expect(presenceOf(t.ctx, b.id, "online")).toBe("online");
  now += t.ctx.config.presence_offline_seconds * 1000;
  expect(presenceOf(t.ctx, b.id, "online")).toBe("offline");
});

test("sticky: a contact who writes again within the hours goes back to the person who served them", async () => {
  const [a1, a2] = await team(2, null);
  await updateDepartment(t.ctx, system, s.ventas.id, { assignment: "round_robin", stickyHours: 24 });
  const first = await customer(1);
  await assignmentSettled(t.ctx);
  const servedBy = (await openLoads()).rows.find((x) => x.id === first.conversationId)!.assigneeId!;
  await updateConversation(t.ctx, system, first.conversationId, { status: "resolved" });
  // someone else in between would make it the other's turn
  now += 60_000;
  await customer(2);
  await assignmentSettled(t.ctx);
  now += 5 * 60_000;
  const again = await customer(1, "hola otra vez");
  await assignmentSettled(t.ctx);
  expect(again.conversationId).not.toBe(first.conversationId);
  const row = (await openLoads()).rows.find((x) => x.id === again.conversationId)!;
  expect(row.assigneeId).toBe(servedBy);
  expect([a1!.id, a2!.id]).toContain(servedBy);
  const line = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, again.conversationId))).find(
    (m) => m.direction === "activity",
  );
  expect(JSON.parse(line!.body).key).toBe("auto_assigned_sticky");
});

test("reassigned when the person goes offline, with an activity line naming both", async () => {
  await updateDepartment(t.ctx, system, s.ventas.id, { assignment: "round_robin" });
  const u1 = await createUser(t.ctx, {
    name: "Uno",
    email: "uno@test.mx",
    password: "agent-pass-123",
    departmentIds: [s.ventas.id],
  });
  const leave = connectConsole(t.ctx, u1.id);
  const r = await customer(1);
  await assignmentSettled(t.ctx);
  expect((await openLoads()).rows[0]!.assigneeId).toBe(u1.id);
  const u2 = await createUser(t.ctx, {
    name: "Dos",
    email: "dos@test.mx",
    password: "agent-pass-123",
    departmentIds: [s.ventas.id],
  });
  connectConsole(t.ctx, u2.id);
  leave();
  // within the grace nothing moves (a reload)
  await sweepAssignments(t.ctx);
  expect((await openLoads()).rows[0]!.assigneeId).toBe(u1.id);
  now += t.ctx.config.presence_offline_seconds * 1000;
  await sweepAssignments(t.ctx);
  expect((await openLoads()).rows[0]!.assigneeId).toBe(u2.id);
  const lines = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, r.conversationId)))
    .filter((m) => m.direction === "activity")
    .map((m) => JSON.parse(m.body));
  expect(lines.at(-1)).toEqual({ key: "reassigned_offline", params: { from: "Uno", name: "Dos", minutes: "" } });
  // with reassignment off, an offline person keeps theirs
  await updateDepartment(t.ctx, system, s.ventas.id, { reassignOnOffline: false });
  await setAvailability(t.ctx, system, u2.id, { availability: "offline" });
  await sweepAssignments(t.ctx);
  expect((await openLoads()).rows[0]!.assigneeId).toBe(u2.id);
});

test("reassigned when the person has not answered within the minutes; an answer keeps it", async () => {
  const [a1, a2] = await team(2, null);
  await updateDepartment(t.ctx, system, s.ventas.id, { assignment: "round_robin", reassignAfterMinutes: 5 });
  const r1 = await customer(1);
  const r2 = await customer(2);
  await assignmentSettled(t.ctx);
  const rows = (await openLoads()).rows;
  const first = rows.find((x) => x.id === r1.conversationId)!;
  const second = rows.find((x) => x.id === r2.conversationId)!;
  expect(new Set([first.assigneeId, second.assigneeId])).toEqual(new Set([a1!.id, a2!.id]));
  // the second one's person answers; the first one's does not
  now += 60_000;
  const who = second.assigneeId === a1!.id ? a1! : a2!;
  await sendMessage(t.ctx, userActor(who, "agent", [s.ventas.id]), second.id, { body: "¡Hola! ¿En qué te ayudo?" });
  now += 3 * 60_000;
  await sweepAssignments(t.ctx);
  expect((await openLoads()).rows.find((x) => x.id === first.id)!.assigneeId).toBe(first.assigneeId);
  now += 2 * 60_000;
  await sweepAssignments(t.ctx);
  const after = (await openLoads()).rows;
  expect(after.find((x) => x.id === first.id)!.assigneeId).toBe(second.assigneeId);
  expect(after.find((x) => x.id === second.id)!.assigneeId).toBe(second.assigneeId);
  const last = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, first.id)))
    .filter((m) => m.direction === "activity")
    .map((m) => JSON.parse(m.body).key)
    .at(-1);
  expect(last).toBe("reassigned_unanswered");
});

test("capacity per channel type: a full web-chat seat does not stop a WhatsApp conversation", async () => {
  const [a] = await team(1, 5);
  const wa = await addWhatsAppCloud(t.ctx);
  await t.ctx.database.write((tx) =>
    tx.update(channels).set({ departmentId: s.ventas.id }).where(eq(channels.id, wa.id)),
  );
  forgetChannels(t.ctx);
  await updateUser(t.ctx, system, a!.id, { channelCapacity: { webchat: 1 } });
  await updateDepartment(t.ctx, system, s.ventas.id, { assignment: "least_busy" });
  await customer(1);
  await customer(2);
  const w = await ingestInbound(t.ctx, { channelId: wa.id, from: { externalId: "5215511112222" }, body: "hola" });
  await assignmentSettled(t.ctx);
  const { rows } = await openLoads();
  expect(rows.filter((r) => r.assigneeId === a!.id).length).toBe(2);
  expect(rows.find((r) => r.id === w.conversationId)?.assigneeId).toBe(a!.id);
  expect(rows.filter((r) => !r.assigneeId && r.channelId === s.webchat.id).length).toBe(1);
});

test("an agent hands over only to someone online with room; a supervisor of the department overrides", async () => {
  const r = await customer(1);
  const ana = userActor(s.ana, "agent", [s.ventas.id]);
  const helper = await createUser(t.ctx, {
    name: "Carla",
    email: "carla@test.mx",
    password: "agent-pass-123",
    departmentIds: [s.ventas.id],
  });
  // Carla has no console open: offline
  await expect(updateConversation(t.ctx, ana, r.conversationId, { assigneeId: helper.id })).rejects.toMatchObject({
    status: 409,
    code: "assignee_unavailable",
  });
  expect((await openLoads()).rows[0]!.assigneeId).toBeNull();
  // taking it herself is always possible
  await updateConversation(t.ctx, ana, r.conversationId, { assigneeId: s.ana.id });
  const sup = await createUser(t.ctx, {
    name: "Sofía",
    email: "sofia@test.mx",
    password: "agent-pass-123",
    role: "supervisor",
    departmentIds: [s.ventas.id],
  });
  await updateConversation(t.ctx, userActor(sup, "supervisor", [s.ventas.id]), r.conversationId, {
    assigneeId: helper.id,
  });
  expect((await openLoads()).rows[0]!.assigneeId).toBe(helper.id);
  // a supervisor of another department does not even see it
  await expect(
    updateConversation(t.ctx, userActor(sup, "supervisor", [s.soporte.id]), r.conversationId, {
      assigneeId: s.ana.id,
    }),
  ).rejects.toMatchObject({ status: 404 });
});

test("availability: one's own; a supervisor sets their department's people; nobody else's", async () => {
  const ana = userActor(s.ana, "agent", [s.ventas.id]);
  await setAvailability(t.ctx, ana, s.ana.id, { availability: "away" });
  await expect(setAvailability(t.ctx, ana, s.beto.id, { availability: "offline" })).rejects.toMatchObject({
    status: 403,
    code: "not_your_team",
  });
  const sup = await createUser(t.ctx, {
    name: "Sofía",
    email: "sofia@test.mx",
    password: "agent-pass-123",
    role: "supervisor",
    departmentIds: [s.soporte.id],
  });
  const sofia = userActor(sup, "supervisor", [s.soporte.id]);
  await setAvailability(t.ctx, sofia, s.beto.id, { availability: "offline" });
  await expect(setAvailability(t.ctx, sofia, s.ana.id, { availability: "online" })).rejects.toMatchObject({
    status: 403,
  });
  await expect(setAvailability(t.ctx, sofia, s.beto.id, { availability: "busy" as never })).rejects.toMatchObject({
    name: "ZodError",
  });
  // the overview: an agent sees her department's people and does not lead it; the supervisor leads hers
  const mine = await teamOverview(t.ctx, ana);
  expect(mine.departments.map((d) => [d.name, d.leads])).toEqual([["Ventas", false]]);
  expect((await teamOverview(t.ctx, sofia)).departments.map((d) => [d.name, d.leads])).toEqual([["Soporte", true]]);
});

test("the load counts the triggers keep match a recount after every kind of change", async () => {
  const [a1, a2] = await team(2, null);
  const ids = [];
  for (let i = 0; i < 6; i++) ids.push((await customer(i)).conversationId);
  const recount = async () => {
    const rows = await t.ctx.db.select().from(conversations);
    const want = new Map<string, number>();
    for (const r of rows)
      if (r.status === "open" && r.ownerType === "agent" && r.assigneeId)
        want.set(`${r.assigneeId}|${r.channelId}`, (want.get(`${r.assigneeId}|${r.channelId}`) ?? 0) + 1);
    const kept = new Map(
      (await t.ctx.db.select().from(assigneeLoads)).filter((l) => l.n).map((l) => [`${l.userId}|${l.channelId}`, l.n]),
    );
    expect(kept).toEqual(want);
  };
  await updateConversation(t.ctx, system, ids[0]!, { assigneeId: a1!.id });
  await updateConversation(t.ctx, system, ids[1]!, { assigneeId: a1!.id });
  await updateConversation(t.ctx, system, ids[2]!, { assigneeId: a2!.id });
  await recount();
  await updateConversation(t.ctx, system, ids[1]!, { assigneeId: a2!.id }); // handed over
  await updateConversation(t.ctx, system, ids[0]!, { status: "resolved" });
  await updateConversation(t.ctx, system, ids[0]!, { status: "open" }); // reopened, still hers
  await updateConversation(t.ctx, system, ids[2]!, { assigneeId: null }); // back to the queue
  await updateConversation(t.ctx, system, ids[3]!, { assigneeId: a1!.id });
  await updateConversation(t.ctx, system, ids[3]!, { status: "snoozed", snoozedUntil: now + 60_000 });
  await sendMessage(t.ctx, userActor(a2!, "agent", [s.ventas.id]), ids[4]!, { body: "hola" }); // a reply takes it
  await recount();
  // a contact deleted with its conversations, a person removed
  const row = (await t.ctx.db.select().from(conversations).where(eq(conversations.id, ids[1]!)).get())!;
  await t.ctx.database.write((tx) => tx.delete(contactsTable).where(eq(contactsTable.id, row.contactId)));
  await recount();
  await t.ctx.database.write((tx) => tx.delete(users).where(eq(users.id, a1!.id)));
  await recount();
});

test("an AI agent paused hands its conversations to the queue, and they are assigned at once", async () => {
  const { createAgent, updateAgent } = await import("../../src/agents/service.ts");
  const [a] = await team(1, null);
  await updateDepartment(t.ctx, system, s.ventas.id, { assignment: "round_robin" });
  const agent = await createAgent(t.ctx, system, { name: "Asistente", departmentIds: [s.ventas.id] });
  const r = await customer(1);
  expect((await openLoads()).rows[0]).toMatchObject({ ownerType: "bot", agentId: agent.id });
  await updateAgent(t.ctx, system, agent.id, { active: false });
  await assignmentSettled(t.ctx);
  const row = (await openLoads()).rows.find((x) => x.id === r.conversationId)!;
  expect(row).toMatchObject({ ownerType: "agent", assigneeId: a!.id });
});

test("a conversation a flow is talking in is the bot's: nobody is given it until the flow hands it to people", async () => {
  const { startAutomation } = await import("../../src/automation/index.ts");
  const { automationKit } = await import("../support/automation.ts");
  const kit = automationKit(() => ({ t, s }));
  startAutomation(t.ctx);
  const [a] = await team(1, null);
  await updateDepartment(t.ctx, system, s.ventas.id, { assignment: "round_robin" });
  const f = await kit.create<{ id: string }>("/flows", {
    name: "Pedido",
    keywords: ["pedido"],
    graph: {
      start: "q",
      nodes: [
        { id: "q", type: "ask", text: "¿Cuál es tu número de pedido?", kind: "number", next: "h" },
        { id: "h", type: "handoff", text: "Te paso con una persona." },
      ],
    },
  });
  await kit.create(`/flows/${f.id}/publish`, {}, 200);
  const r = await customer(1, "pedido");
  await kit.settle();
  await assignmentSettled(t.ctx);
  await sweepAssignments(t.ctx);
  const during = (await openLoads()).rows.find((x) => x.id === r.conversationId)!;
  expect(during.assigneeId).toBeNull();
  // the customer answers; the flow hands the conversation to people: now it is given
  await customer(1, "1042");
  await kit.settle();
  await assignmentSettled(t.ctx);
  const after = (await openLoads()).rows.find((x) => x.id === r.conversationId)!;
  expect(after.assigneeId).toBe(a!.id);
});
