// The agent's tools that write the business's records, through the live loop against the Ollama double: a ticket,
// free times and a booking in the business calendar (its hours and time zone, no double booking), lead data on the
// contact, a tag, a hand-off to a department. Each leaves an activity line for the people who take over, and what
// a tool refused reaches the model as something to act on.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { apiPost, makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { appointments, contacts, conversations, conversationTags, messages, tags, tickets } from "../../src/schema.ts";
import { agentRunner } from "../../src/agents/runner.ts";
import { availableSlots, book } from "../../src/calendar/service.ts";
import { defaultHours } from "../../src/setup/service.ts";

// Monday 30 November 2026, 10:10 in Mexico City (UTC−6 all year): open Mon–Fri 09:00–18:00, Sat 09:00–14:00
/** the calendar booked by the system (the API and the tools pass who books) */
const SYS = { kind: "system" } as const;
const MONDAY_10_10 = Date.UTC(2026, 10, 30, 16, 10);
let now = MONDAY_10_10;
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, o: ReturnType<typeof startOllamaDouble>;
const api = () => ({ authorization: `Bearer ${s.apiKey}` });
const post = (path: string, json: unknown) => apiPost(t, s.apiKey, path, json);

beforeEach(async () => {
  now = MONDAY_10_10;
  t = await makeTestApp({}, { clock: { now: () => now } });
  s = await seedBusiness(t.ctx, { hours: defaultHours() });
  o = startOllamaDouble();
  await t.req("PUT", "/api/v1/ai/settings", { headers: api(), json: { ollamaUrl: o.url, timeoutMs: 5000 } });
});
afterEach(async () => {
  o.stop();
  await t.close();
});

const makeAgent = (tools: string[]) =>
  post("/agents", { name: "Sofía", channelIds: [s.webchat.id], tools, burstMs: 20 });
const say = async (text: string, who = "v1") => {
  const r = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: who, name: "Cliente" },
    body: text,
  });
  return { conversationId: r.conversationId, contactId: r.message.senderId! };
};
async function settle() {
  await Bun.sleep(5);
  await agentRunner(t.ctx)!.idle();
}
const thread = (conversationId: string) =>
  t.ctx.db.select().from(messages).where(eq(messages.conversationId, conversationId)).orderBy(messages.id);
const replies = async (conversationId: string) =>
  (await thread(conversationId)).filter((x) => x.direction === "out" && !x.private);
const activities = async (conversationId: string) =>
  (await thread(conversationId))
    .filter((x) => x.direction === "activity")
    .map((x) => JSON.parse(x.body) as { key: string; params: Record<string, string> });
/** What the tools answered, in order (each request to the model repeats the turn's earlier tool messages: once each). */
const toolMessages = () => [
  ...new Set(
    o.requests
      .filter((r) => r.path === "/api/chat")
      .flatMap((r) => r.messages.filter((m: any) => m.role === "tool").map((m: any) => m.content as string)),
  ),
];

test("a ticket: opened for the customer's conversation, its number given back, an activity line for people", async () => {
  await makeAgent(["create_ticket", "handoff"]);
  o.script.push({
    toolCalls: [
      {
        name: "create_ticket",
        arguments: {
          subject: "Licuadora hace un ruido raro",
          description: "Modelo L-200, comprada hace una semana",
          priority: "high",
        },
      },
    ],
  });
  o.script.push({ content: "Listo, abrí el ticket #1 con tu caso; el equipo de soporte te contactará pronto." });
  const m = await say("mi licuadora nueva hace un ruido raro, quiero que la revisen");
  await settle();
  const [ticket] = await t.ctx.db.select().from(tickets);
  expect(ticket).toMatchObject({
    number: 1,
    subject: "Licuadora hace un ruido raro",
    priority: "high",
    status: "new",
    contactId: m.contactId,
    conversationId: m.conversationId,
    createdByType: "bot",
  });
  expect(JSON.parse(toolMessages()[0])).toEqual({ ticketNumber: 1, subject: "Licuadora hace un ruido raro" });
  expect((await replies(m.conversationId)).map((x) => x.body)).toEqual([
    "Listo, abrí el ticket #1 con tu caso; el equipo de soporte te contactará pronto.",
  ]);
  expect(await activities(m.conversationId)).toContainEqual({
    key: "ticket_created",
    params: { by: "Sofía", number: "1", subject: "Licuadora hace un ruido raro" },
  });
  // the next one gets the next number
  o.script.push({ toolCalls: [{ name: "create_ticket", arguments: { subject: "Factura con RFC equivocado" } }] });
  o.script.push({ content: "Abrí el ticket #2 para corregir tu factura." });
  await say("mi factura salió con otro RFC", "v2");
  await settle();
  expect((await t.ctx.db.select().from(tickets)).map((x) => x.number).sort()).toEqual([1, 2]);
});

test("booking: free times come from the business hours in its time zone; the booked time is the tool's, and shown to people", async () => {
  await makeAgent(["check_availability", "book_appointment"]);
  o.script.push({ toolCalls: [{ name: "check_availability", arguments: { date: "2026-12-01" } }] });
  o.script.push({
    toolCalls: [
      { name: "book_appointment", arguments: { date: "2026-12-01", time: "10:00", service: "Limpieza dental" } },
    ],
  });
  o.script.push({ content: "Listo, tu limpieza dental quedó el 2026-12-01 a las 10:00. ¡Te esperamos!" });
  const m = await say("quiero una cita para limpieza dental mañana a las 10");
  await settle();
  // the model was told today's date as the tools write it
  expect(o.requests.find((r) => r.path === "/api/chat")!.messages[0].content).toContain("2026-11-30");
  const free = JSON.parse(toolMessages()[0]);
  expect(free).toMatchObject({ date: "2026-12-01", open: true });
  expect(free.slots[0]).toBe("09:00");
  expect(free.slots.at(-1)).toBe("17:30");
  expect(free.slots).toHaveLength(18);
  const [appt] = await t.ctx.db.select().from(appointments);
  // 10:00 in Mexico City is 16:00 UTC; 30-minute slots by default
  expect(appt).toMatchObject({
    startsAt: Date.UTC(2026, 11, 1, 16, 0),
    endsAt: Date.UTC(2026, 11, 1, 16, 30),
    service: "Limpieza dental",
    contactId: m.contactId,
    conversationId: m.conversationId,
    status: "booked",
  });
  expect((await replies(m.conversationId))[0].body).toBe(
    "Listo, tu limpieza dental quedó el 2026-12-01 a las 10:00. ¡Te esperamos!",
  );
  expect(await activities(m.conversationId)).toContainEqual({
    key: "appointment_booked",
    params: { by: "Sofía", date: "2026-12-01", time: "10:00", service: " (Limpieza dental)" },
  });
  // the console shows that line in words
  const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  const page = await (await t.req("GET", `/inbox?c=${m.conversationId}`, { headers: admin })).text();
  expect(page).toContain("Sofía agendó una cita el 2026-12-01 a las 10:00 (Limpieza dental)");
});

test("a taken time is refused with the day's free times, which the model may then offer; the slot is booked once", async () => {
  await makeAgent(["check_availability", "book_appointment"]);
  await book(t.ctx, SYS, { date: "2026-12-01", time: "10:00", service: "Consulta" });
  o.script.push({ toolCalls: [{ name: "book_appointment", arguments: { date: "2026-12-01", time: "10:00" } }] });
  o.script.push({ content: "Las 10:00 ya están ocupadas; ¿te sirve a las 10:30 o a las 11:00?" });
  const m = await say("cita mañana a las 10 por favor");
  await settle();
  const refusal = toolMessages()[0];
  expect(refusal).toContain("already booked");
  expect(refusal).toContain("09:00, 09:30, 10:30, 11:00");
  // 10:30 and 11:00 are grounded in the refusal: the reply goes out as written, with no correction round
  expect(o.requests.filter((r) => r.path === "/api/chat")).toHaveLength(2);
  expect((await replies(m.conversationId))[0].body).toBe(
    "Las 10:00 ya están ocupadas; ¿te sirve a las 10:30 o a las 11:00?",
  );
  expect(await t.ctx.db.select().from(appointments)).toHaveLength(1);
  expect((await activities(m.conversationId)).some((a) => a.key === "appointment_booked")).toBe(false);
});

test("the calendar: today's past times, a closed Sunday, out of hours, in the past, a bad date; two customers racing for one slot", async () => {
  const today = await availableSlots(t.ctx, "2026-11-30");
  expect(today.slots[0]).toBe("10:30"); // 10:10 now: 09:00–10:00 are gone
  expect((await availableSlots(t.ctx, "2026-12-05")).slots.at(-1)).toBe("13:30"); // Saturday until 14:00
  expect(await availableSlots(t.ctx, "2026-12-06")).toEqual({ date: "2026-12-06", open: false, slots: [] });
  const refused = async (input: Parameters<typeof book>[2], code: string) => {
    await expect(book(t.ctx, SYS, input)).rejects.toMatchObject({ code });
  };
  await refused({ date: "2026-12-06", time: "11:00" }, "outside_hours");
  await refused({ date: "2026-12-01", time: "17:45" }, "outside_hours"); // would end after 18:00
  await refused({ date: "2026-12-01", time: "07:30" }, "outside_hours");
  await refused({ date: "2026-11-30", time: "09:30" }, "slot_in_past");
  await refused({ date: "2026-12-01", time: "10:10" }, "not_a_slot"); // slots start every 30 minutes from 09:00
  await expect(book(t.ctx, SYS, { date: "1 de diciembre", time: "10:00" })).rejects.toThrow(/YYYY-MM-DD/);
  await expect(book(t.ctx, SYS, { date: "2026-12-01", time: "25:00" })).rejects.toThrow(/HH:MM/);
  const race = await Promise.allSettled([
    book(t.ctx, SYS, { date: "2026-12-02", time: "12:00" }),
    book(t.ctx, SYS, { date: "2026-12-02", time: "12:00" }),
    book(t.ctx, SYS, { date: "2026-12-02", time: "12:00" }),
  ]);
  expect(race.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  expect(race.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code)).toEqual([
    "slot_taken",
    "slot_taken",
  ]);
  expect((await availableSlots(t.ctx, "2026-12-02")).slots).not.toContain("12:00");
  // the same through the REST API: a clear 4xx with the code
  const r = await t.req("POST", "/api/v1/calendar/appointments", {
    headers: api(),
    json: { date: "2026-12-02", time: "12:00" },
  });
  expect(r.status).toBe(409);
  expect((await r.json()).error.code).toBe("slot_taken");
  // a clock moving on: later the same day, fewer free times
  now = Date.UTC(2026, 11, 2, 22, 0); // 16:00 in Mexico City
  expect((await availableSlots(t.ctx, "2026-12-02")).slots).toEqual(["16:30", "17:00", "17:30"]);
});

test("lead data lands on the contact (phone in E.164, email lowercased); a bad email comes back to the model, nothing saved", async () => {
  await makeAgent(["save_lead"]);
  o.script.push({ toolCalls: [{ name: "save_lead", arguments: { name: "Lucía Pérez", email: "no-es-correo" } }] });
  o.script.push({
    toolCalls: [
      {
        name: "save_lead",
        arguments: {
          name: "Lucía Pérez",
          email: "Lucia.Perez@Example.com",
          phone: "55 1234 5678",
          company: "Dulces Lu",
          interest: "pedidos al mayoreo",
        },
      },
    ],
  });
  o.script.push({ content: "¡Gracias, Lucía! Ya guardé tus datos; un asesor te escribirá sobre el mayoreo." });
  const m = await say(
    "soy Lucía Pérez de Dulces Lu, mi correo es Lucia.Perez@Example.com y mi cel 55 1234 5678, me interesa comprar al mayoreo",
  );
  await settle();
  const [bad] = toolMessages();
  expect(bad).toContain("Invalid arguments for save_lead: email");
  const c = (await t.ctx.db.select().from(contacts).where(eq(contacts.id, m.contactId)).get())!;
  expect(c).toMatchObject({
    name: "Lucía Pérez",
    email: "lucia.perez@example.com",
    phone: "+525512345678",
    attributes: { company: "Dulces Lu", interest: "pedidos al mayoreo", lead: true },
  });
  const saved = (await activities(m.conversationId)).filter((a) => a.key === "lead_saved");
  expect(saved).toEqual([
    {
      key: "lead_saved",
      params: {
        by: "Sofía",
        data: "Lucía Pérez · lucia.perez@example.com · +525512345678 · Dulces Lu · pedidos al mayoreo",
      },
    },
  ]);
  // an impossible phone is an error the model can ask about, and the contact keeps what it had
  o.script.push({ toolCalls: [{ name: "save_lead", arguments: { phone: "12" } }] });
  o.script.push({ content: "¿Me confirmas tu número completo?" });
  await say("mi otro número es 12");
  await settle();
  expect(toolMessages().at(-1)).toContain("The phone number is not valid");
  expect((await t.ctx.db.select().from(contacts).where(eq(contacts.id, m.contactId)).get())!.phone).toBe(
    "+525512345678",
  );
});

test("tagging with an existing tag (any case); an unknown tag is refused with the list; a hand-off to the department the model names", async () => {
  await post("/tags", { name: "Mayoreo", color: "#2563eb" });
  await makeAgent(["tag_conversation", "handoff"]);
  o.script.push({ toolCalls: [{ name: "tag_conversation", arguments: { tag: "vip" } }] });
  o.script.push({ toolCalls: [{ name: "tag_conversation", arguments: { tag: "mayoreo" } }] });
  o.script.push({
    toolCalls: [{ name: "handoff", arguments: { reason: "cotización de mayoreo", department: "ventas" } }],
  });
  const m = await say("necesito cotizar 500 cajas de chocolates");
  await settle();
  const [unknown, tagged] = toolMessages();
  expect(unknown).toContain('No tag named \\"vip\\". Existing tags: Mayoreo');
  expect(JSON.parse(tagged)).toEqual({ tagged: "Mayoreo" });
  const [tg] = await t.ctx.db.select().from(tags);
  expect(
    await t.ctx.db.select().from(conversationTags).where(eq(conversationTags.conversationId, m.conversationId)),
  ).toEqual([{ conversationId: m.conversationId, tagId: tg.id }]);
  const c = (await t.ctx.db.select().from(conversations).where(eq(conversations.id, m.conversationId)).get())!;
  expect(c).toMatchObject({ ownerType: "queue", departmentId: s.ventas.id });
  const acts = await activities(m.conversationId);
  expect(acts).toContainEqual({ key: "bot_tagged", params: { by: "Sofía", tag: "Mayoreo" } });
  expect(acts).toContainEqual({ key: "handoff", params: { by: "Sofía", reason: "cotización de mayoreo" } });
  // the customer got the polite hand-off message, and Ana (Ventas) now sees the conversation
  expect((await replies(m.conversationId))[0].body).toContain("Te comunico con una persona");
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  expect((await t.req("GET", `/api/v1/conversations/${m.conversationId}`, { headers: ana })).status).toBe(200);
});

test("in the playground nothing is written: no ticket, no appointment, no contact change", async () => {
  const agent = await makeAgent(["create_ticket", "book_appointment", "save_lead"]);
  o.script.push({
    toolCalls: [
      { name: "create_ticket", arguments: { subject: "Prueba de ticket" } },
      { name: "book_appointment", arguments: { date: "2026-12-01", time: "11:00" } },
      { name: "save_lead", arguments: { name: "Prueba" } },
    ],
  });
  o.script.push({ content: "Hecho (prueba)." });
  const r = await post(`/agents/${agent.id}/playground`, {
    message: "abre un ticket y agenda una cita mañana a las 11",
  });
  expect(r.toolCalls.map((c: any) => [c.name, c.ok])).toEqual([
    ["create_ticket", true],
    ["book_appointment", true],
    ["save_lead", true],
  ]);
  expect(await t.ctx.db.select().from(tickets)).toHaveLength(0);
  expect(await t.ctx.db.select().from(appointments)).toHaveLength(0);
});
