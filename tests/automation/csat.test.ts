// The satisfaction survey (issue #11 item 6, §6.12): installed in one click, sent when a conversation is resolved,
// answered 1–5 (a list row on WhatsApp, a digit or a word on the web chat) and with an optional comment, kept in
// the resolved conversation without reopening it or calling anyone; once per conversation; not sent when the
// reply window has closed; results per person and department, seen as conversations are.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { addWhatsAppCloud, makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { automationKit } from "../support/automation.ts";
import { ingestInbound, updateConversation } from "../../src/inbox/service.ts";
import { parseScore } from "../../src/automation/index.ts";
import { automationRuns, conversations, csatSurveys, messages, outbox } from "../../src/schema.ts";
import { createContext } from "../../src/app/app.ts";
import { stopAgents } from "../../src/agents/index.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
let now = Date.UTC(2026, 2, 10, 15, 0);
const { api, settle, ingest, outBodies } = automationKit(() => ({ t, s }));
beforeEach(async () => {
  now = Date.UTC(2026, 2, 10, 15, 0);
  t = await makeTestApp({}, { clock: { now: () => now } });
  s = await seedBusiness(t.ctx);
});
afterEach(async () => {
  await t.close();
});

const install = async () => {
  const r = await api("POST", "/automations/recipes/csat");
  if (r.status !== 201) throw new Error(`recipe: ${r.status} ${await r.text()}`);
};
/** ana answers the customer and resolves the conversation, as she does in the console */
async function served(conversationId: string, by = s.ana) {
  const ana = {
    kind: "user" as const,
    id: by.id,
    name: by.name,
    role: "agent" as const,
    locale: "es" as const,
    departmentIds: [s.ventas.id],
  };
  await updateConversation(t.ctx, { kind: "system" }, conversationId, { assigneeId: by.id, departmentId: s.ventas.id });
  await updateConversation(t.ctx, ana, conversationId, { status: "resolved" });
}
const conv = (id: string) => t.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get();
const survey = (conversationId: string) =>
  t.ctx.db.select().from(csatSurveys).where(eq(csatSurveys.conversationId, conversationId)).get();
const activity = async (conversationId: string) =>
  (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, conversationId)))
    .filter((m) => m.senderType === "system" && m.private && m.body.startsWith("{"))
    .map((m) => (JSON.parse(m.body) as { key: string }).key);

test("answers are read as scores: list rows, digits, stars, words; anything else is not one", () => {
  expect(parseScore("", "csat:4")).toBe(4);
  expect(parseScore("5")).toBe(5);
  expect(parseScore(" 3. ")).toBe(3);
  expect(parseScore("4/5")).toBe(4);
  expect(parseScore("5 estrellas")).toBe(5);
  expect(parseScore("2 · Mala")).toBe(2);
  expect(parseScore("⭐⭐⭐⭐")).toBe(4);
  expect(parseScore("Excelente!")).toBe(5);
  expect(parseScore("muy mala")).toBe(1);
  expect(parseScore("regular")).toBe(3);
  for (const no of ["6", "0", "hola", "quiero otro pedido", "12", "5 tacos al pastor por favor", ""])
    expect([no, parseScore(no)]).toEqual([no, null]);
  expect(parseScore("hola", "csat:9")).toBeNull();
});

test("web chat: resolved → survey as numbered lines; '4' and a comment stay in the resolved conversation, counted for ana and Ventas", async () => {
  await install();
  const m = await ingest("Hola, ¿tienen tacos de canasta?");
  await settle();
  await served(m.conversationId);
  await settle();
  const asked = (await outBodies(m.conversationId, true)).at(-1)!;
  expect(asked).toContain("¿Cómo calificarías la atención que recibiste?");
  expect(asked).toContain("1. Muy mala");
  expect(asked).toContain("5. Excelente");
  // the survey did not reopen the conversation
  expect((await conv(m.conversationId))!.status).toBe("resolved");
  expect(await survey(m.conversationId)).toMatchObject({ status: "sent", userId: s.ana.id, departmentId: s.ventas.id });

  now += 60_000;
  const a = await ingest("4");
  expect(a.conversationId).toBe(m.conversationId);
  await settle();
  let c = (await conv(m.conversationId))!;
  expect([c.status, c.unreadCount]).toEqual(["resolved", 0]);
  expect(await survey(m.conversationId)).toMatchObject({ status: "rated", score: 4 });
  expect((await outBodies(m.conversationId, true)).at(-1)).toBe(
    "¡Gracias por tu calificación! Si quieres, cuéntanos en un mensaje qué podemos mejorar.",
  );
  now += 60_000;
  const b = await ingest("Muy rápidos, pero faltó salsa verde");
  expect(b.conversationId).toBe(m.conversationId);
  await settle();
  c = (await conv(m.conversationId))!;
  expect(c.status).toBe("resolved");
  expect(await survey(m.conversationId)).toMatchObject({
    status: "done",
    comment: "Muy rápidos, pero faltó salsa verde",
  });
  expect((await outBodies(m.conversationId, true)).at(-1)).toBe("¡Gracias por tu comentario! Nos ayuda a mejorar.");
  // the conversation says what happened, in its activity lines
  expect(await activity(m.conversationId)).toEqual(
    expect.arrayContaining(["automation", "csat_rated", "csat_comment"]),
  );

  // the next message is a new conversation, in the queue, as usual
  now += 60_000;
  const next = await ingest("Otra cosa: ¿abren el domingo?");
  expect(next.conversationId).not.toBe(m.conversationId);

  const r = (await (await api("GET", "/surveys?days=30")).json()).data;
  expect(r).toMatchObject({ sent: 1, rated: 1, responseRate: 100, average: 4, csat: 100 });
  expect(r.byUser).toEqual([expect.objectContaining({ userId: s.ana.id, name: s.ana.name, rated: 1, average: 4 })]);
  expect(r.byDepartment).toEqual([expect.objectContaining({ departmentId: s.ventas.id, name: "Ventas", rated: 1 })]);
  expect(r.answers[0]).toMatchObject({
    score: 4,
    comment: "Muy rápidos, pero faltó salsa verde",
    userName: s.ana.name,
  });
  expect((await (await api("GET", `/conversations/${m.conversationId}/survey`)).json()).data).toMatchObject({
    score: 4,
    status: "done",
  });
});

test("once per conversation; a reply that is not a score opens a new conversation; 'no' is no comment; the comment window closes", async () => {
  await install();
  const m = await ingest("Hola");
  await settle();
  await served(m.conversationId);
  await settle();
  // reopened and resolved again: no second survey, and the run says it was skipped, not failed
  await updateConversation(t.ctx, { kind: "system" }, m.conversationId, { status: "open" });
  await served(m.conversationId);
  await settle();
  const asks = (await outBodies(m.conversationId, true)).filter((b) => b.startsWith("¿Cómo calificarías"));
  expect(asks).toHaveLength(1);
  const runs = await t.ctx.db.select().from(automationRuns);
  const skipped = runs.flatMap((r) => r.trace.actions).filter((a) => a.skipped);
  expect(skipped).toHaveLength(1);
  expect(skipped[0].error).toStartWith("survey_already_sent");
  expect(runs.every((r) => r.status === "done")).toBe(true);

  // not a score: a new conversation opens, and the survey still waits
  const other = await ingest("necesito hablar con alguien");
  expect(other.conversationId).not.toBe(m.conversationId);
  await updateConversation(t.ctx, { kind: "system" }, other.conversationId, { status: "resolved" });
  await settle();
  // that one gets its own survey; answering it rates it, not the first
  const x = await ingest("excelente");
  expect(x.conversationId).toBe(other.conversationId);
  await settle();
  expect((await survey(other.conversationId))!.score).toBe(5);
  expect((await survey(m.conversationId))!.status).toBe("sent");
  const no = await ingest("No, gracias");
  expect(no.conversationId).toBe(other.conversationId);
  await settle();
  expect(await survey(other.conversationId)).toMatchObject({ status: "done", comment: null });
  expect(await activity(other.conversationId)).toContain("csat_no_comment");

  // a score, then silence past the comment window: a later message is a new conversation
  const third = await ingest("¿Y hoy abren?");
  await served(third.conversationId);
  await settle();
  await ingest("3");
  await settle();
  // within the window a new request is not a comment: a question, or asking for a person, opens a conversation
  for (const ask of ["oye y mañana a qué hora abren", "¿me pasas el menú?", "quiero hablar con una persona"]) {
    const q = await ingest(ask);
    expect([ask, q.conversationId === third.conversationId]).toEqual([ask, false]);
    await updateConversation(t.ctx, { kind: "system" }, q.conversationId, { status: "resolved" });
  }
  expect(await survey(third.conversationId)).toMatchObject({ status: "rated", score: 3, comment: null });
  now += 61 * 60_000;
  const late = await ingest("Por cierto, la comida llegó fría");
  expect(late.conversationId).not.toBe(third.conversationId);
  expect(await survey(third.conversationId)).toMatchObject({ status: "rated", score: 3, comment: null });
});

test("WhatsApp: the 1–5 options go as a list; a tapped row rates; past the 24 h window no survey goes, shown skipped", async () => {
  await install();
  const wa = await addWhatsAppCloud(t.ctx);
  const say = (body: string, content?: Record<string, unknown>) =>
    ingestInbound(t.ctx, { channelId: wa.id, from: { externalId: "5215512345678", name: "Luis" }, body, content });
  const m = await say("Hola, quiero reservar");
  await settle();
  await served(m.conversationId);
  await settle();
  const sent = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, m.conversationId)))
    .filter((x) => x.direction === "out" && !x.private)
    .at(-1)!;
  expect(sent.body).toBe("¿Cómo calificarías la atención que recibiste? Elige de 1 (muy mala) a 5 (excelente).");
  expect(sent.content?.list?.sections[0].rows.map((r) => r.id)).toEqual([
    "csat:1",
    "csat:2",
    "csat:3",
    "csat:4",
    "csat:5",
  ]);
  // the survey is delivered by the outbox, once
  expect((await t.ctx.db.select().from(outbox)).filter((o) => o.messageId === sent.id)).toHaveLength(1);
  const a = await say("5 · Excelente", { choice: { id: "csat:5", title: "5 · Excelente" } });
  expect(a.conversationId).toBe(m.conversationId);
  await settle();
  expect((await survey(m.conversationId))!.score).toBe(5);

  // another conversation (past the comment window), resolved a day and more after the customer last wrote: the
  // reply window is closed
  now += 61 * 60_000;
  const n = await say("Otra pregunta");
  expect(n.conversationId).not.toBe(m.conversationId);
  await settle();
  now += 25 * 3_600_000;
  await served(n.conversationId);
  await settle();
  expect(await survey(n.conversationId)).toBeUndefined();
  const runs = (await t.ctx.db.select().from(automationRuns)).filter((r) => r.conversationId === n.conversationId);
  const act = runs.flatMap((r) => r.trace.actions).find((x) => x.type === "send_survey")!;
  expect(act).toMatchObject({ ok: false, skipped: true });
  expect(act.error).toStartWith("outside_reply_window");
});

test("an agent sees the results of the conversations she can see; a bad period is a 400; a restart keeps waiting surveys", async () => {
  await install();
  const m = await ingest("Hola");
  await settle();
  await served(m.conversationId);
  await settle();
  // beto is in Soporte only: Ventas' survey is not his to see
  const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const seen = async (h: Record<string, string>) =>
    (await (await t.req("GET", "/api/v1/surveys", { headers: h })).json()).data.sent;
  expect(await seen(ana)).toBe(1);
  expect(await seen(beto)).toBe(0);
  expect((await t.req("GET", `/api/v1/conversations/${m.conversationId}/survey`, { headers: beto })).status).toBe(404);
  const bad = await api("GET", "/surveys?days=0");
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.code).toBeString();

  // a context built again over the same database (a restart) still takes the answer
  const again = await createContext(t.ctx.config, { clock: { now: () => now } });
  try {
    const a = await ingestInbound(again, {
      channelId: s.webchat.id,
      from: { externalId: "v1", name: "María López" },
      body: "5",
    });
    expect(a.conversationId).toBe(m.conversationId);
  } finally {
    stopAgents(again);
    again.outbox.stop();
    await again.database.close();
  }
});
