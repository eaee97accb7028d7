// The automation engine on a real SQLite file with a test clock: rules fire from the events table, once per cause
// even when the events are read again; conditions in AND/OR groups; timed triggers (customer silent, no agent
// reply, before an appointment) that a message cancels; waits that survive and a "too late" limit; loops cut;
// an hourly cap on automated messages; every run in the log with its conditions and actions.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { and, eq } from "drizzle-orm";
import { apiPost, makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { automationKit } from "../support/automation.ts";
import { sendMessage } from "../../src/inbox/service.ts";
import {
  automationRuns,
  automationTimers,
  conversationTags,
  conversations,
  eventCursors,
  messages,
} from "../../src/schema.ts";
import { startAutomation } from "../../src/automation/index.ts";
import { defaultHours, getBusiness, putSetting } from "../../src/setup/service.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
let now = Date.UTC(2026, 11, 2, 15, 0); // a Wednesday, 9:00 in Mexico City
const clock = { now: () => now };
const MIN = 60_000;

beforeEach(async () => {
  now = Date.UTC(2026, 11, 2, 15, 0);
  t = await makeTestApp({}, { clock });
  s = await seedBusiness(t.ctx);
  startAutomation(t.ctx, { tick: false });
  await settle();
});
afterEach(async () => {
  await t.close();
});

const kit = automationKit(() => ({ t, s }));
const { api } = kit;
const rule = (body: Record<string, unknown>) =>
  kit.create<{ id: string; webhookSecret?: string }>("/automations", body);
/** One round of the engine (a test here looks between rounds). */
const settle = () => kit.settle(1);
const say = (body: string, who = "v1") => kit.ingest(body, who);
const out = (conversationId: string) => kit.outBodies(conversationId);
const runsOf = (ruleId: string) =>
  t.ctx.db.select().from(automationRuns).where(eq(automationRuns.ruleId, ruleId)).orderBy(automationRuns.id);
const later = async (minutes: number) => {
  now += minutes * MIN;
  await settle();
};

test("a keyword rule tags and answers once per message, logs why, and reading the events again does nothing twice", async () => {
  const tag = await apiPost(t, s.apiKey, "/tags", { name: "devolucion" });
  const r = await rule({
    name: "Devoluciones",
    trigger: { type: "message_received", keywords: ["devolución", "reembolso"] },
    actions: [
      { type: "add_tag", tagId: tag.id },
      { type: "send_message", body: "Hola {{contact.first_name|cliente}}, con gusto vemos tu devolución." },
    ],
  });
  const a = await say("quiero hacer una devolucion porfa");
  await say("hola, ¿a qué hora abren?", "v2");
  await settle();
  expect(await out(a.conversationId)).toEqual(["Hola María, con gusto vemos tu devolución."]);
  const tagged = await t.ctx.db.select().from(conversationTags).where(eq(conversationTags.tagId, tag.id));
  expect(tagged.map((x) => x.conversationId)).toEqual([a.conversationId]);
  const runs = await runsOf(r.id);
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatchObject({ status: "done", conversationId: a.conversationId });
  expect(runs[0].trace.trigger).toMatchObject({ type: "message_received", detail: "devolución" });
  expect(runs[0].trace.actions.map((x) => [x.type, x.ok])).toEqual([
    ["add_tag", true],
    ["send_message", true],
  ]);

  const lines = (
    await t.ctx.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, a.conversationId), eq(messages.direction, "activity")))
  ).map((x) => JSON.parse(x.body));
  expect(lines.filter((l) => l.key === "automation")).toEqual([
    { key: "automation", params: { name: "Devoluciones", actions: "add_tag,send_message" } },
  ]);

  // as after a crash before the cursor was written: every event is read again
  await t.ctx.database.write((tx) => tx.update(eventCursors).set({ seq: 0 }));
  await settle();
  expect(await out(a.conversationId)).toHaveLength(1);
  expect(await runsOf(r.id)).toHaveLength(1);
});

test("conditions in groups: the out-of-hours reply goes only when the business is closed, on that channel", async () => {
  // open 9:00-18:00 on weekdays, Mexico City
  const b = (await getBusiness(t.ctx))!;
  await t.ctx.database.write((tx) => putSetting(tx, "business", { ...b, hours: defaultHours() }, now));
  const r = await rule({
    name: "Fuera de horario",
    trigger: { type: "message_received", first: true },
    conditions: {
      match: "all",
      items: [
        { field: "business.open", op: "eq", value: false },
        {
          match: "any",
          items: [
            { field: "conversation.channelType", op: "eq", value: "webchat" },
            { field: "conversation.channelType", op: "eq", value: "whatsapp_cloud" },
          ],
        },
      ],
    },
    actions: [{ type: "send_message", body: "Estamos cerrados; te respondemos mañana a primera hora." }],
  });
  now = Date.UTC(2026, 11, 2, 16, 0); // 10:00 in Mexico City: open
  const open = await say("hola", "day");
  await settle();
  now = Date.UTC(2026, 11, 3, 4, 0); // 22:00: closed
  const closed = await say("hola", "night");
  await say("sigo aquí", "night"); // not the first message: no second reply
  await settle();
  expect(await out(open.conversationId)).toEqual([]);
  expect(await out(closed.conversationId)).toEqual(["Estamos cerrados; te respondemos mañana a primera hora."]);
  const [run] = await runsOf(r.id);
  expect(run.trace.conditions).toEqual([
    { label: "business.open eq false", ok: true },
    { label: 'conversation.channelType eq "webchat"', ok: true },
    { label: 'conversation.channelType eq "whatsapp_cloud"', ok: false },
  ]);
});

test("customer silent for X after our message: one follow-up; a reply from the customer cancels it", async () => {
  const r = await rule({
    name: "Seguimiento",
    trigger: { type: "customer_silent", minutes: 60 },
    actions: [{ type: "send_message", body: "¿Pudiste ver nuestra propuesta, {{contact.first_name}}?" }],
  });
  const quiet = await say("cuánto cuesta el plan anual", "quiet");
  const talks = await say("y el plan mensual", "talks");
  for (const c of [quiet, talks])
    await sendMessage(t.ctx, { kind: "system" }, c.conversationId, { body: "El plan cuesta $990.", takeOver: false });
  await settle();
  await later(30);
  await say("lo pienso y te aviso", "talks");
  await later(31);
  expect(await out(quiet.conversationId)).toEqual(["El plan cuesta $990.", "¿Pudiste ver nuestra propuesta, María?"]);
  expect(await out(talks.conversationId)).toEqual(["El plan cuesta $990."]);
  // its own follow-up does not start the timer again: no message every hour
  await later(61);
  expect(await out(quiet.conversationId)).toHaveLength(2);
  expect(await runsOf(r.id)).toHaveLength(1);
});

test("no agent reply for X escalates once; a person's answer in time cancels it", async () => {
  const r = await rule({
    name: "Escalar",
    trigger: { type: "no_agent_reply", minutes: 15 },
    actions: [
      { type: "set_priority", priority: "urgent" },
      { type: "add_note", body: "Nadie respondió en 15 minutos." },
    ],
  });
  const waiting = await say("necesito ayuda con mi pedido", "w");
  const answered = await say("necesito ayuda", "a");
  await settle();
  await later(5);
  await say("¿hola?", "w"); // a second unanswered message does not push the deadline back
  await sendMessage(
    t.ctx,
    { kind: "user", id: s.admin.id, name: "Admin", role: "admin", locale: "es", departmentIds: [] },
    answered.conversationId,
    { body: "Hola, te ayudo." },
  );
  await later(11);
  const conv = (id: string) => t.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get();
  expect((await conv(waiting.conversationId))?.priority).toBe("urgent");
  expect((await conv(answered.conversationId))?.priority).toBe("none");
  expect((await runsOf(r.id)).map((x) => x.conversationId)).toEqual([waiting.conversationId]);
  const notes = await t.ctx.db
    .select()
    .from(messages)
    .where(and(eq(messages.conversationId, waiting.conversationId), eq(messages.private, true)));
  expect(notes.filter((n) => n.direction === "out").map((n) => n.body)).toEqual(["Nadie respondió en 15 minutos."]);
});

test("a wait survives in the database; a step due long ago is skipped, not sent late", async () => {
  const r = await rule({
    name: "Bienvenida en dos partes",
    trigger: { type: "conversation_created" },
    tooLateMinutes: 5,
    actions: [
      { type: "send_message", body: "¡Hola! Gracias por escribir." },
      { type: "wait", minutes: 10 },
      { type: "send_message", body: "¿Te ayudo con algo más?" },
    ],
  });
  const a = await say("hola", "a");
  await settle();
  expect(await out(a.conversationId)).toEqual(["¡Hola! Gracias por escribir."]);
  expect((await runsOf(r.id))[0].status).toBe("waiting");
  const timers = await t.ctx.db.select().from(automationTimers).where(eq(automationTimers.kind, "resume"));
  expect(timers.map((x) => [x.status, x.dueAt - now])).toEqual([["pending", 10 * MIN]]);
  await later(10);
  expect(await out(a.conversationId)).toEqual(["¡Hola! Gracias por escribir.", "¿Te ayudo con algo más?"]);
  expect((await runsOf(r.id))[0].status).toBe("done");

  // the server was down when the next one came due: an hour later it is too late, and the log says so
  const b = await say("hola", "b");
  await settle();
  now += 70 * MIN;
  await settle();
  expect(await out(b.conversationId)).toEqual(["¡Hola! Gracias por escribir."]);
  const skipped = (await runsOf(r.id)).find((x) => x.conversationId === b.conversationId)!;
  expect(skipped.status).toBe("skipped");
  expect(skipped.error).toMatch(/^too late/);
});

test("loops are cut: a rule does not fire on its own change, and a chain of rules stops", async () => {
  const x = await apiPost(t, s.apiKey, "/tags", { name: "x" });
  const y = await apiPost(t, s.apiKey, "/tags", { name: "y" });
  // A: tagged x → remove x, add y; B: tagged y → remove y, add x; each wakes the other
  const a = await rule({
    name: "A",
    trigger: { type: "tag_added", tagIds: [x.id] },
    actions: [
      { type: "remove_tag", tagId: x.id },
      { type: "add_tag", tagId: y.id },
    ],
  });
  const b = await rule({
    name: "B",
    trigger: { type: "tag_added", tagIds: [y.id] },
    actions: [
      { type: "remove_tag", tagId: y.id },
      { type: "add_tag", tagId: x.id },
    ],
  });
  const c = await say("hola");
  await settle();
  await api("PUT", `/conversations/${c.conversationId}/tags/${x.id}`);
  for (let i = 0; i < 10; i++) await settle();
  const fired = (await runsOf(a.id)).length + (await runsOf(b.id)).length;
  expect(fired).toBeGreaterThan(1);
  expect(fired).toBeLessThanOrEqual(4); // the person's tag, then at most MAX_DEPTH automated links
  expect((await t.ctx.db.select().from(automationRuns)).map((r) => r.depth).sort()).toEqual([...Array(fired).keys()]);
});

test("at most N automated messages per contact per hour (a setting)", async () => {
  expect((await api("PUT", "/automations/settings", { maxMessagesPerContactHour: 2 })).status).toBe(200);
  const r = await rule({
    name: "Eco",
    trigger: { type: "message_received" },
    actions: [{ type: "send_message", body: "Recibido." }],
  });
  const c = await say("uno");
  await say("dos");
  await say("tres");
  await settle();
  expect(await out(c.conversationId)).toEqual(["Recibido.", "Recibido."]);
  const runs = await runsOf(r.id);
  expect(runs.map((x) => x.status)).toEqual(["done", "done", "failed"]);
  expect(runs[2].trace.actions[0].error).toMatch(/^automation_cap/);
  await later(61);
  await say("cuatro");
  await settle();
  expect(await out(c.conversationId)).toHaveLength(3);
});

test("an invalid rule is refused with the field named, and changes nothing", async () => {
  const bad = [
    [{ trigger: { type: "message_received", pattern: "([" } }, "trigger.pattern"],
    [{ trigger: { type: "schedule", cron: "99 * * * *" } }, "trigger.cron"],
    [{ actions: [{ type: "add_tag", tagId: "no-such-tag" }] }, "actions.0.tagId"],
    [{ actions: [{ type: "notify", message: "mira" }] }, "actions.0.userIds"],
    [{ conditions: { match: "all", items: [{ field: "conversation.status", op: "eq" }] } }, "conditions.items.0.value"],
  ] as const;
  for (const [patch, field] of bad) {
    const r = await api("POST", "/automations", {
      name: "Mala",
      trigger: { type: "conversation_created" },
      actions: [{ type: "set_priority", priority: "high" }],
      ...patch,
    });
    expect([r.status, (await r.json()).error?.details?.field]).toEqual([400, field]);
  }
  const unknownField = await api("POST", "/automations", {
    name: "Mala",
    trigger: { type: "conversation_created" },
    conditions: { match: "all", items: [{ field: "contact.password", op: "exists" }] },
    actions: [{ type: "set_priority", priority: "high" }],
  });
  expect(unknownField.status).toBe(400);
  expect(JSON.stringify((await unknownField.json()).error.details)).toContain("conditions");
  expect((await (await api("GET", "/automations")).json()).data).toEqual([]);
});

test("an inbound webhook starts its rule only when signed with the rule's secret", async () => {
  const r = await rule({
    name: "Pago recibido",
    trigger: { type: "webhook" },
    actions: [{ type: "send_message", body: "¡Gracias {{contact.first_name}}! Recibimos tu pago." }],
  });
  expect(r.webhookSecret).toBeString();
  const c = await say("ya pagué");
  const contact = (await t.ctx.db.select().from(conversations).where(eq(conversations.id, c.conversationId)).get())!;
  const body = JSON.stringify({ contact: { id: contact.contactId }, data: { amount: 990 } });
  const sig = (secret: string) => `sha256=${new Bun.CryptoHasher("sha256", secret).update(body).digest("hex")}`;
  const post = (signature: string) =>
    t.app.request(`/hooks/automations/${r.id}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-digybot-signature": signature },
      body,
    });
  const forged = await post(sig("not-the-secret"));
  expect([forged.status, (await forged.json()).error.code]).toEqual([401, "bad_signature"]);
  await settle();
  expect(await out(c.conversationId)).toEqual([]);
  expect((await post(sig(r.webhookSecret!))).status).toBe(202);
  await settle();
  expect(await out(c.conversationId)).toEqual(["¡Gracias María! Recibimos tu pago."]);
  // the secret is never shown again
  const got = await (await api("GET", `/automations/${r.id}`)).json();
  expect(JSON.stringify(got)).not.toContain(r.webhookSecret!);
  expect(got.data.hasWebhook).toBe(true);
});

test("a webhook action posts a signed body, is retried after a failure, and its outcome is in the log", async () => {
  t.ctx.config.fetch_allow_hosts = ["127.0.0.1"];
  const got: { sig: string | null; body: string }[] = [];
  let fail = 1;
  const hook = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      got.push({ sig: req.headers.get("x-digybot-signature"), body: await req.text() });
      return fail-- > 0 ? new Response("down", { status: 503 }) : new Response("ok");
    },
  });
  try {
    const r = await rule({
      name: "Avisar al CRM",
      trigger: { type: "conversation_created" },
      actions: [{ type: "webhook", url: `http://127.0.0.1:${hook.port}/crm` }],
    });
    expect(r.webhookSecret).toBeString();
    const c = await say("hola");
    await settle();
    expect(got).toHaveLength(1); // refused with 503: tried again later
    await later(1);
    expect(got).toHaveLength(2);
    const body = JSON.parse(got[1].body);
    expect(body).toMatchObject({ rule: { name: "Avisar al CRM" }, conversation: { id: c.conversationId } });
    const want = `sha256=${new Bun.CryptoHasher("sha256", r.webhookSecret!).update(got[1].body).digest("hex")}`;
    // the retry is the same delivery: the same body, the same signature
    expect(got[0].body).toBe(got[1].body);
    expect(got.map((g) => g.sig)).toEqual([want, want]);
    const [run] = await runsOf(r.id);
    expect(run.trace.actions).toMatchObject([{ type: "webhook", ok: true, result: "delivered" }]);
    await later(60);
    expect(got).toHaveLength(2); // delivered once
  } finally {
    hook.stop(true);
  }
});

test("a webhook to this machine is refused by the fetch guard unless allowed, and the log says so", async () => {
  const r = await rule({
    name: "Interno",
    trigger: { type: "conversation_created" },
    actions: [{ type: "webhook", url: "http://127.0.0.1:9/nada" }],
  });
  await say("hola");
  await settle();
  for (let i = 0; i < 6; i++) await later(11); // every retry, with backoff
  const [run] = await runsOf(r.id);
  expect(run.status).toBe("failed");
  expect(run.trace.actions[0].ok).toBe(false);
  expect(run.trace.actions[0].error).toMatch(/forbidden|local|private/);
});

test("an appointment reminder X before it starts; a cancelled appointment gets none", async () => {
  const r = await rule({
    name: "Recordatorio",
    trigger: { type: "appointment_upcoming", minutes: 120 },
    actions: [{ type: "send_message", body: "Te esperamos a las {{appointment.time}}, {{appointment.date}}" }],
  });
  const keep = await say("quiero una cita", "keep");
  const drop = await say("quiero una cita", "drop");
  const book = async (conversationId: string, time: string) =>
    (
      await api("POST", "/calendar/appointments", {
        date: "2026-12-03",
        time,
        conversationId,
        service: "Limpieza",
      })
    ).json();
  const a = await book(keep.conversationId, "10:00");
  const b = await book(drop.conversationId, "11:00");
  expect(a.data?.id ?? a).toBeString();
  await api("POST", `/calendar/appointments/${b.data.id}/cancel`);
  await settle();
  // 10:00 on Dec 3 in Mexico City is 16:00 UTC; two hours before is 14:00 UTC, 23 hours from "now"
  await later(22 * 60 + 59);
  expect(await out(keep.conversationId)).toEqual([]);
  await later(2);
  // in the business's time zone, not the server's
  expect(await out(keep.conversationId)).toEqual(["Te esperamos a las 10:00 a.m., jueves, 3 de diciembre"]);
  await later(120);
  expect(await out(drop.conversationId)).toEqual([]);
  expect(await runsOf(r.id)).toHaveLength(1);
});

test("events are kept for the retention period, never one the engine has not read", async () => {
  const { pruneEvents } = await import("../../src/automation/index.ts");
  const { events } = await import("../../src/schema.ts");
  await say("hola");
  await settle();
  const all = await t.ctx.db.select().from(events);
  expect(all.length).toBeGreaterThan(0);
  now += 31 * 86_400_000;
  // events the engine has not read yet (its cursor held back) stay, however old
  const cursor = (await t.ctx.db.select().from(eventCursors).get())!.seq;
  await t.ctx.database.write((tx) => tx.update(eventCursors).set({ seq: all[0].seq }));
  expect(await pruneEvents(t.ctx, 30)).toBe(1);
  await t.ctx.database.write((tx) => tx.update(eventCursors).set({ seq: cursor }));
  expect(await pruneEvents(t.ctx, 30)).toBe(all.length - 1);
  expect(await t.ctx.db.select().from(events)).toEqual([]);
});
