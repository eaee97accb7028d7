// Copilot for the people answering: suggested replies (with the model, and from the knowledge base without it),
// summaries, rewrite and translate, and the customer's mood raising the conversation's priority.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { conversations } from "../../src/schema.ts";
import { addSource } from "../../src/agents/knowledge.ts";
import { saveAiSettings } from "../../src/agents/settings.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, o: ReturnType<typeof startOllamaDouble>;
const api = () => ({ authorization: `Bearer ${s.apiKey}` });
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  o = startOllamaDouble();
  await saveAiSettings(t.ctx, { kind: "system" }, { ollamaUrl: o.url, timeoutMs: 3000 });
  await addSource(
    t.ctx,
    { kind: "system" },
    { faq: [{ question: "¿Hacen envíos a domicilio?", answer: "Sí, enviamos a toda la ciudad." }] },
  );
});
afterEach(async () => {
  o.stop();
  await t.close();
});
const say = (text: string) =>
  ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: "v1", name: "Lucía" }, body: text });
const post = async (path: string, json?: unknown, headers: Record<string, string> = api()) =>
  t.req("POST", `/api/v1${path}`, { headers, ...(json ? { json } : {}) });

test("suggested replies: the model's, grounded in the passages it was given; without a model, the knowledge base's", async () => {
  const m = await say("hacen envios a domicilio?");
  o.script.push({
    content: JSON.stringify({ suggestions: ["¡Sí! Enviamos a toda la ciudad.", "Claro, ¿a qué colonia sería?"] }),
  });
  const r = (await (await post(`/conversations/${m.conversationId}/copilot/suggestions`)).json()).data;
  expect(r).toEqual({
    usedModel: true,
    suggestions: [
      { text: "¡Sí! Enviamos a toda la ciudad.", source: null },
      { text: "Claro, ¿a qué colonia sería?", source: null },
    ],
  });
  const req = o.requests.filter((x) => x.path === "/api/chat").at(-1)!;
  expect(req.format).toBe("json");
  expect(req.messages[1].content).toContain("[1] (Preguntas frecuentes) Sí, enviamos a toda la ciudad.");
  await saveAiSettings(t.ctx, { kind: "system" }, { ollamaUrl: "http://127.0.0.1:9", timeoutMs: 1000 });
  const r2 = (await (await post(`/conversations/${m.conversationId}/copilot/suggestions`)).json()).data;
  expect(r2).toMatchObject({
    usedModel: false,
    suggestions: [{ text: "Sí, enviamos a toda la ciudad.", source: "Preguntas frecuentes" }],
  });
  // an agent of another department cannot read this conversation's suggestions
  await t.req("PATCH", `/api/v1/conversations/${m.conversationId}`, {
    headers: api(),
    json: { departmentId: s.ventas.id },
  });
  const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
  expect((await post(`/conversations/${m.conversationId}/copilot/suggestions`, undefined, beto)).status).toBe(404);
});

test("a summary note when the conversation is resolved; the model's, or an extract without it", async () => {
  await saveAiSettings(t.ctx, { kind: "system" }, { ollamaUrl: "http://127.0.0.1:9", timeoutMs: 1000 });
  const m = await say("Hola, mi pedido 1042 no ha llegado y ya pasaron tres días");
  await say("necesito una respuesta urgente");
  const sum = (await (await post(`/conversations/${m.conversationId}/copilot/summary`)).json()).data;
  expect(sum.usedModel).toBe(false);
  expect(sum.summary).toContain("El cliente escribió: «Hola, mi pedido 1042 no ha llegado y ya pasaron tres días».");
  expect(sum.summary).toContain("Temas: estado de pedido.");
  expect(sum.summary).toContain("El cliente parece molesto.");
  // counts in words, singular and plural (it said "1 respuestas enviadas")
  expect(sum.summary).toContain("0 respuestas enviadas, 2 mensajes del cliente.");
  await t.req("POST", `/api/v1/conversations/${m.conversationId}/messages`, {
    headers: api(),
    json: { body: "Lo reviso." },
  });
  const one = (await (await post(`/conversations/${m.conversationId}/copilot/summary`)).json()).data.summary;
  expect(one).toContain("1 respuesta enviada, 2 mensajes del cliente.");
  // an agent whose console is in English reads it in English
  const { updateUser } = await import("../../src/auth/service.ts");
  await updateUser(t.ctx, { kind: "system" }, s.admin.id, { locale: "en" });
  const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  const en = (await (await post(`/conversations/${m.conversationId}/copilot/summary`, undefined, admin)).json()).data
    .summary;
  expect(en).toContain("The customer wrote: “Hola, mi pedido 1042 no ha llegado y ya pasaron tres días”.");
  expect(en).toContain("Topics: order status.");
  expect(en).toContain("1 reply sent, 2 customer messages.");
  await saveAiSettings(t.ctx, { kind: "system" }, { ollamaUrl: o.url, timeoutMs: 3000 });
  o.script.push({
    content: JSON.stringify({
      summary: "El pedido 1042 lleva tres días de retraso; el cliente pide respuesta urgente.",
    }),
  });
  await t.req("POST", `/api/v1/conversations/${m.conversationId}/messages`, {
    headers: api(),
    json: { body: "Lo reviso ahora mismo." },
  });
  await t.req("PATCH", `/api/v1/conversations/${m.conversationId}`, { headers: api(), json: { status: "resolved" } });
  let notes: string[] = [];
  for (let i = 0; i < 50 && !notes.length; i++) {
    await Bun.sleep(20);
    notes = (
      await (await t.req("GET", `/api/v1/conversations/${m.conversationId}/messages`, { headers: api() })).json()
    ).data
      .filter((x: { private: boolean; body: string }) => x.private && /^(Resumen|Summary): /.test(x.body))
      .map((x: { body: string }) => x.body);
  }
  expect(notes).toEqual(["Resumen: El pedido 1042 lleva tres días de retraso; el cliente pide respuesta urgente."]);
});

test("rewrite and translate need the model; without it the answer says so", async () => {
  o.script.push({
    content: JSON.stringify({ text: "Estimado cliente, con gusto le informamos que su pedido está en camino." }),
  });
  const r = await post("/copilot/rewrite", { text: "oye tu pedido ya va", style: "formal" });
  expect((await r.json()).data.text).toBe("Estimado cliente, con gusto le informamos que su pedido está en camino.");
  expect(o.requests.at(-1)!.messages[0].content).toContain("más formal");
  o.script.push({ content: JSON.stringify({ text: "Your order is on its way." }) });
  expect(
    (
      await (
        await post("/copilot/rewrite", { text: "Tu pedido va en camino.", style: "translate", language: "en" })
      ).json()
    ).data.text,
  ).toBe("Your order is on its way.");
  await saveAiSettings(t.ctx, { kind: "system" }, { ollamaUrl: "http://127.0.0.1:9", timeoutMs: 1000 });
  const down = await post("/copilot/rewrite", { text: "hola", style: "shorter" });
  expect(down.status).toBe(503);
  expect((await down.json()).error.code).toBe("ai_unavailable");
  expect((await post("/copilot/rewrite", { text: "hola", style: "poetic" })).status).toBe(400);
});

test("the customer's mood and urgency are read from each message and raise the priority, never lower it", async () => {
  const m = await say("hola, buenas tardes");
  const conv = () => t.ctx.db.select().from(conversations).where(eq(conversations.id, m.conversationId)).get();
  await Bun.sleep(30);
  expect(await conv()).toMatchObject({ sentiment: null, priority: "none" });
  await say("ES UNA ESTAFA, NUNCA LLEGÓ MI PEDIDO!!!");
  await Bun.sleep(50);
  expect(await conv()).toMatchObject({ sentiment: "negative", urgency: "high", priority: "urgent" });
  // the console shows it in the conversation's header
  const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  const header = await (
    await t.req("GET", `/partials/conversation-header/${m.conversationId}`, { headers: admin })
  ).text();
  // drawn with icons (an emoji is an empty box without an emoji font)
  expect(header).toMatch(/<span class="mood neg"[^>]*><svg class="icon icon-frown"[^>]*>.*?<\/svg> Molesto<\/span>/);
  expect(header).toMatch(/<span class="mood urgent"[^>]*><svg class="icon icon-zap"[^>]*>.*?<\/svg> Urgente<\/span>/);
  await say("gracias, excelente servicio");
  await Bun.sleep(50);
  expect(await conv()).toMatchObject({ sentiment: "positive", urgency: "normal", priority: "urgent" });
});

test("the summary note is written in the business's language", async () => {
  await saveAiSettings(t.ctx, { kind: "system" }, { ollamaUrl: "http://127.0.0.1:9", timeoutMs: 1000 });
  const { getBusiness, putSetting } = await import("../../src/setup/service.ts");
  const b = (await getBusiness(t.ctx))!;
  await t.ctx.database.write((tx) => putSetting(tx, "business", { ...b, locale: "en" }, Date.now()));
  const m = await say("Hola, mi pedido 1042 no ha llegado y ya pasaron tres días");
  await say("sigo esperando");
  await t.req("POST", `/api/v1/conversations/${m.conversationId}/messages`, {
    headers: api(),
    json: { body: "Lo reviso ahora mismo." },
  });
  await t.req("PATCH", `/api/v1/conversations/${m.conversationId}`, { headers: api(), json: { status: "resolved" } });
  let notes: string[] = [];
  for (let i = 0; i < 100 && !notes.length; i++) {
    await Bun.sleep(20);
    notes = (
      await (await t.req("GET", `/api/v1/conversations/${m.conversationId}/messages`, { headers: api() })).json()
    ).data
      .filter((x: { private: boolean; body: string }) => x.private && /^(Resumen|Summary): /.test(x.body))
      .map((x: { body: string }) => x.body);
  }
  expect(notes).toHaveLength(1);
  expect(notes[0]).toStartWith("Summary: The customer wrote: “Hola, mi pedido 1042");
  expect(notes[0]).toContain("1 reply sent, 2 customer messages.");
});
