// Tickets (issue #12 item 4) through the API and the service: open, change, comment, close, reopen, merge, with
// every change in the history; categories route them; the SLA clocks in business hours (hand-computed), paused
// while waiting on the customer, warned and breached once with escalation; the customer told in their channel.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { and, eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { ingestInbound, forgetChannels } from "../../src/inbox/service.ts";
import { connectConsole } from "../../src/inbox/assignment.ts";
import { createUser, updateDepartment } from "../../src/auth/service.ts";
import { putSetting, defaultHours, getBusiness } from "../../src/setup/service.ts";
import { sweepTicketSla, getTicket, saveTicketSettings } from "../../src/tickets/service.ts";
import { tickets } from "../../src/tickets/schema.ts";
import { channels, conversations, messages } from "../../src/inbox/schema.ts";
import { events } from "../../src/platform/schema.ts";
import { automationKit } from "../support/automation.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
// Friday 2026-12-04 17:00 in Mexico City (UTC−6)
let now = Date.UTC(2026, 11, 4, 23, 0);
const clock = { now: () => now };
const min = 60_000;
const key = () => ({ authorization: `Bearer ${s.apiKey}` });
const api = async (method: string, path: string, json?: unknown, headers: Record<string, string> = key()) => {
  const r = await t.req(method, `/api/v1${path}`, { headers, json });
  return { status: r.status, body: await r.json() };
};

beforeEach(async () => {
  now = Date.UTC(2026, 11, 4, 23, 0);
  t = await makeTestApp({}, { clock });
  s = await seedBusiness(t.ctx);
  // weekly hours Mon–Fri 9–18, Sat 9–14, Sunday closed
  const b = (await getBusiness(t.ctx))!;
  await t.ctx.database.write((tx) => putSetting(tx, "business", { ...b, hours: defaultHours() }, now));
  await t.ctx.database.write((tx) => tx.update(channels).set({ departmentId: s.ventas.id }));
  forgetChannels(t.ctx);
});
afterEach(() => t.close());

/** Lucía writes on the web chat; her conversation and contact */
async function customer(body = "mi licuadora no enciende") {
  const r = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: "cliente-1", name: "Lucía" },
    body,
  });
  const c = (await t.ctx.db.select().from(conversations).where(eq(conversations.id, r.conversationId)).get())!;
  return { conversationId: r.conversationId, contactId: c.contactId };
}
const customerSaid = async (conversationId: string) =>
  (
    await t.ctx.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, "out")))
  ).map((m) => m.body);

test("open from a conversation: numbered, new, linked, in the history; a category routes and prices it", async () => {
  const cat = await api("POST", "/ticket-categories", {
    name: "Garantía",
    departmentId: s.soporte.id,
    priority: "high",
  });
  expect(cat.status).toBe(201);
  const m = await customer();
  const r = await api("POST", "/tickets", {
    subject: "Licuadora no enciende",
    conversationId: m.conversationId,
    categoryId: cat.body.data.id,
  });
  expect(r.status).toBe(201);
  expect(r.body.data).toMatchObject({
    number: 1,
    status: "new",
    priority: "high",
    departmentId: s.soporte.id,
    contactId: m.contactId,
    conversationId: m.conversationId,
  });
  const full = (await api("GET", `/tickets/${r.body.data.id}`)).body.data;
  expect(full.history.map((h: { kind: string }) => h.kind)).toEqual(["created"]);
  expect(full.conversations.map((c: { id: string }) => c.id)).toEqual([m.conversationId]);
  // the event automations start on
  const ev = await t.ctx.db.select().from(events).where(eq(events.type, "tickets.ticket_created")).get();
  expect(ev?.data).toMatchObject({ ticketId: r.body.data.id, number: 1, priority: "high" });
  // bad input: a category that does not exist, a custom field that does not
  expect((await api("POST", "/tickets", { subject: "Otro", categoryId: "nope" })).body.error.code).toBe(
    "unknown_category",
  );
  expect((await api("POST", "/tickets", { subject: "Otro", customFields: { color: "rojo" } })).body.error.code).toBe(
    "bad_custom_field",
  );
  expect((await api("GET", "/tickets")).body.data.length).toBe(1);
});

test("changes: each one a line in the history; close and reopen; an agent gives it to someone else only as supervisor", async () => {
  const r = await api("POST", "/tickets", { subject: "Factura duplicada", departmentId: s.ventas.id });
  const id = r.body.data.id;
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  // Ana takes it: touched by a person, it is open
  const took = await api("PATCH", `/tickets/${id}`, { assigneeId: s.ana.id }, ana);
  expect(took.status).toBe(200);
  expect(took.body.data).toMatchObject({ assigneeId: s.ana.id, status: "open" });
  // she cannot give it to the admin (not her team to run)
  const no = await api("PATCH", `/tickets/${id}`, { assigneeId: s.admin.id }, ana);
  expect([no.status, no.body.error.code]).toEqual([403, "not_your_team"]);
  expect((await api("PATCH", `/tickets/${id}`, { priority: "highest" })).status).toBe(400);
  now += 10 * min;
  expect((await api("POST", `/tickets/${id}/close`)).body.data).toMatchObject({ status: "closed", closedAt: now });
  now += min;
  expect((await api("POST", `/tickets/${id}/reopen`)).body.data).toMatchObject({ status: "open", closedAt: null });
  const h = (await api("GET", `/tickets/${id}`)).body.data.history;
  expect(
    h.map((x: { kind: string; changes: Record<string, unknown> | null }) => [x.kind, Object.keys(x.changes ?? {})]),
  ).toEqual([
    ["created", []],
    ["change", ["assigneeId", "status"]],
    ["change", ["status"]],
    ["change", ["status"]],
  ]);
  expect(h[2].changes.status).toEqual(["open", "closed"]);
  // Beto (Soporte) does not see a Ventas ticket
  const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
  expect((await api("GET", `/tickets/${id}`, undefined, beto)).status).toBe(404);
  expect((await api("PATCH", `/tickets/${id}`, { status: "solved" }, beto)).status).toBe(404);
  expect((await api("GET", "/tickets", undefined, beto)).body.data).toEqual([]);
});

test("SLA in business hours: due times hand-computed, paused while waiting on the customer, warned and breached once", async () => {
  await api("PUT", "/sla-policies", {
    name: "Alta",
    priority: "high",
    firstResponseMinutes: 120,
    resolutionMinutes: 480,
    warnMinutes: 30,
    raisePriority: true,
  });
  const m = await customer();
  const r = await api("POST", "/tickets", {
    subject: "No enciende",
    priority: "high",
    conversationId: m.conversationId,
  });
  const id = r.body.data.id;
  // Friday 17:00 + 2 business hours: 1 h Friday, 1 h Saturday from 9:00 → Saturday 10:00 (16:00Z)
  expect(r.body.data.firstResponseDueAt).toBe(Date.UTC(2026, 11, 5, 16, 0));
  // 8 business hours: 1 h Friday + 5 h Saturday + 2 h Monday → Monday 11:00 (17:00Z)
  expect(r.body.data.resolutionDueAt).toBe(Date.UTC(2026, 11, 7, 17, 0));
  // Friday 17:30: waiting on the customer; the clock keeps 7.5 business hours
  now = Date.UTC(2026, 11, 4, 23, 30);
  const p = (await api("PATCH", `/tickets/${id}`, { status: "pending" })).body.data;
  expect(p).toMatchObject({ resolutionDueAt: null, slaLeftMs: 450 * min });
  // the customer answers on Monday 9:00: the ticket is open again, due 7.5 business hours later → Monday 16:30
  now = Date.UTC(2026, 11, 7, 15, 0);
  await customer("ya la probé en otro enchufe y nada");
  let back = await t.ctx.db.select().from(tickets).where(eq(tickets.id, id)).get();
  for (let i = 0; i < 50 && back?.status !== "open"; i++) {
    await Bun.sleep(20);
    back = await t.ctx.db.select().from(tickets).where(eq(tickets.id, id)).get();
  }
  expect(back).toMatchObject({ status: "open", resolutionDueAt: Date.UTC(2026, 11, 7, 22, 30), slaLeftMs: null });
  // nobody answered: the first response (Saturday 10:00) is late, and the resolution is 30 min away at 16:00
  now = Date.UTC(2026, 11, 7, 22, 0);
  expect(await sweepTicketSla(t.ctx)).toEqual({ warned: 1, breached: 1 });
  expect(await sweepTicketSla(t.ctx)).toEqual({ warned: 0, breached: 0 });
  const after = (await getTicket(t.ctx, { kind: "system" }, id))!;
  expect(after.slaBreached).toEqual(["first_response"]);
  expect([...after.slaWarned].sort()).toEqual(["first_response", "resolution"]);
  // the breach raised the priority one step (high → urgent)
  expect(after.priority).toBe("urgent");
  const kinds = (await t.ctx.db.select().from(events)).map((e) => e.type);
  expect(kinds.filter((k) => k === "tickets.sla_breached").length).toBe(1);
  expect(kinds.filter((k) => k === "tickets.sla_warning").length).toBe(1);
});

test("comments: a public one reaches the customer and answers the first response; a note stays inside", async () => {
  await api("PUT", "/sla-policies", {
    name: "Media",
    priority: "medium",
    firstResponseMinutes: 60,
    businessHours: false,
  });
  const m = await customer();
  const id = (await api("POST", "/tickets", { subject: "No enciende", conversationId: m.conversationId })).body.data.id;
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const note = await api("POST", `/tickets/${id}/comments`, { body: "Revisar garantía con el proveedor" }, ana);
  expect(note.status).toBe(201);
  expect(await customerSaid(m.conversationId)).toEqual([]);
  now += 5 * min;
  const c = await api(
    "POST",
    `/tickets/${id}/comments`,
    { body: "Ya revisamos: te mandamos una nueva.", public: true },
    ana,
  );
  expect(c.body.data).toMatchObject({ firstResponseAt: now, firstResponseDueAt: null, status: "open" });
  expect(await customerSaid(m.conversationId)).toContain("Ya revisamos: te mandamos una nueva.");
  expect((await api("POST", `/tickets/${id}/comments`, { body: "  " }, ana)).body.error.code).toBe("empty_comment");
  const h = (await api("GET", `/tickets/${id}`)).body.data.history;
  expect(h.map((x: { kind: string }) => x.kind)).toEqual(["created", "note", "comment"]);
});

test("the customer is told of status changes in their channel, when the business wants it", async () => {
  const m = await customer();
  const id = (await api("POST", "/tickets", { subject: "Cambio de talla", conversationId: m.conversationId })).body.data
    .id;
  await api("PATCH", `/tickets/${id}`, { status: "solved" });
  expect((await customerSaid(m.conversationId)).at(-1)).toBe(
    "Tu ticket #1 «Cambio de talla» quedó resuelto. Si algo sigue mal, respóndenos aquí.",
  );
  await saveTicketSettings(t.ctx, { kind: "system" }, { notifyCustomer: false });
  const before = (await customerSaid(m.conversationId)).length;
  await api("POST", `/tickets/${id}/close`);
  expect((await customerSaid(m.conversationId)).length).toBe(before);
});

test("merge a duplicate: closed, pointing at the one that stays, its conversations linked there, both histories say so", async () => {
  const m = await customer();
  const a = (await api("POST", "/tickets", { subject: "No enciende", conversationId: m.conversationId })).body.data;
  const b = (await api("POST", "/tickets", { subject: "Licuadora rota", contactId: m.contactId })).body.data;
  expect((await api("POST", `/tickets/${a.id}/merge`, { intoId: a.id })).body.error.code).toBe("merge_into_itself");
  const r = await api("POST", `/tickets/${a.id}/merge`, { intoId: b.id });
  expect(r.status).toBe(200);
  const dup = (await api("GET", `/tickets/${a.id}`)).body.data;
  expect(dup).toMatchObject({ status: "closed", mergedIntoId: b.id, mergedInto: { number: b.number } });
  const kept = (await api("GET", `/tickets/${b.id}`)).body.data;
  expect(kept.conversations.map((c: { id: string }) => c.id)).toEqual([m.conversationId]);
  expect(kept.history.at(-1)).toMatchObject({ kind: "merged", changes: { from: a.number } });
  expect((await api("POST", `/tickets/${a.id}/reopen`)).body.error.code).toBe("ticket_merged");
  expect((await api("POST", `/tickets/${a.id}/merge`, { intoId: b.id })).body.error.code).toBe("ticket_merged");
});

test("lists filter by status, priority, person and number; views are saved per person or shared", async () => {
  await api("POST", "/tickets", { subject: "Uno urgente", priority: "urgent", departmentId: s.ventas.id });
  await api("POST", "/tickets", { subject: "Dos bajo", priority: "low", departmentId: s.ventas.id });
  const three = (await api("POST", "/tickets", { subject: "Tres de soporte", departmentId: s.soporte.id })).body.data;
  await api("POST", `/tickets/${three.id}/close`);
  const subjects = async (q: string, h = key()) =>
    (await api("GET", `/tickets?${q}`, undefined, h)).body.data.map((x: { subject: string }) => x.subject);
  expect(await subjects("")).toEqual(["Dos bajo", "Uno urgente"]);
  expect(await subjects("status=any")).toEqual(["Tres de soporte", "Dos bajo", "Uno urgente"]);
  expect(await subjects("priority=urgent")).toEqual(["Uno urgente"]);
  expect(await subjects("q=%232")).toEqual(["Dos bajo"]);
  expect(await subjects("assignee=none")).toEqual(["Dos bajo", "Uno urgente"]);
  expect((await api("GET", "/tickets?status=bogus")).status).toBe(400);
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const v = await api("POST", "/ticket-views", { name: "Urgentes", filters: { priority: "urgent" } }, ana);
  expect(v.status).toBe(201);
  expect((await api("POST", "/ticket-views", { name: "Mal", filters: { priority: "x" } }, ana)).status).toBe(400);
  expect((await api("POST", "/ticket-views", { name: "De todos", filters: {}, shared: true }, ana)).status).toBe(403);
  await api("POST", "/ticket-views", { name: "De todos", filters: { status: "any" }, shared: true });
  expect((await api("GET", "/ticket-views", undefined, ana)).body.data.map((x: { name: string }) => x.name)).toEqual([
    "De todos",
    "Urgentes",
  ]);
  const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
  expect((await api("GET", "/ticket-views", undefined, beto)).body.data.map((x: { name: string }) => x.name)).toEqual([
    "De todos",
  ]);
  expect((await api("DELETE", `/ticket-views/${v.body.data.id}`, undefined, beto)).status).toBe(404);
});

test("auto-assignment: a department that assigns by itself gives a new ticket to its online person with fewest", async () => {
  await updateDepartment(t.ctx, { kind: "system" }, s.ventas.id, { assignment: "least_busy" });
  const carla = await createUser(t.ctx, {
    name: "Carla",
    email: "carla@test.mx",
    password: "agent-pass-123",
    departmentIds: [s.ventas.id],
  });
  connectConsole(t.ctx, carla.id);
  connectConsole(t.ctx, s.ana.id);
  const one = (await api("POST", "/tickets", { subject: "Uno", departmentId: s.ventas.id })).body.data;
  const two = (await api("POST", "/tickets", { subject: "Dos", departmentId: s.ventas.id })).body.data;
  expect(new Set([one.assigneeId, two.assigneeId])).toEqual(new Set([carla.id, s.ana.id]));
  // Soporte assigns by hand: nobody
  expect(
    (await api("POST", "/tickets", { subject: "Tres", departmentId: s.soporte.id })).body.data.assigneeId,
  ).toBeNull();
});

test("an SLA breach is an automation trigger: a rule adds a note to the ticket's conversation", async () => {
  const { startAutomation } = await import("../../src/automation/index.ts");
  const kit = automationKit(() => ({ t, s }));
  startAutomation(t.ctx);
  await kit.create("/automations", {
    name: "Aviso de SLA",
    trigger: { type: "ticket_sla_breached", kinds: ["first_response"] },
    actions: [{ type: "add_note", body: "SLA de primera respuesta incumplido: atender ya" }],
  });
  await api("PUT", "/sla-policies", {
    name: "Media",
    priority: "medium",
    firstResponseMinutes: 30,
    businessHours: false,
  });
  const m = await customer();
  await api("POST", "/tickets", { subject: "No enciende", conversationId: m.conversationId });
  now += 31 * min;
  await sweepTicketSla(t.ctx);
  await kit.settle();
  const notes = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, m.conversationId))).filter(
    (x) => x.private && x.direction === "out",
  );
  expect(notes.map((n) => n.body)).toEqual(["SLA de primera respuesta incumplido: atender ya"]);
});
