// BotBuilder flows (issue #11 item 4), on a real SQLite file: a graph is checked when published (never at run
// time); a keyword starts the published version; a menu is numbered where the channel has no buttons and "2" picks
// the second option; questions check their answers and ask again; variables and contact fields are saved; a
// conversation stays on the version it started with; a person answering ends the flow and an AI agent keeps quiet
// while one talks; an HTTP node maps its answer or takes its error branch; a wait survives as a timer; events read
// again send nothing twice; the emulator walks the draft with nothing stored.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { and, eq } from "drizzle-orm";
import { apiPost, makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { automationKit } from "../support/automation.ts";
import { ingestInbound, sendMessage, updateConversation } from "../../src/inbox/service.ts";
import { contacts, conversationTags, conversations, eventCursors, flowSessions, messages } from "../../src/schema.ts";
import { startAutomation, flowActive } from "../../src/automation/index.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
let now = Date.UTC(2026, 11, 2, 15, 0);
const clock = { now: () => now };

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
const { api, settle } = kit;
const say = async (body: string, who = "v1", name = "María López") => {
  now += 1000;
  const r = await kit.ingest(body, who, name);
  await settle();
  return r;
};
/** What the customer was sent (notes left out). */
const out = (conversationId: string) => kit.outBodies(conversationId, true);
async function flow(body: Record<string, unknown>, publish = true) {
  const f = await kit.create("/flows", body);
  if (publish) await kit.create(`/flows/${f.id}/publish`, undefined, 200);
  return f;
}

const restaurant = (tagId: string) => ({
  name: "Bienvenida restaurante",
  keywords: ["hola", "menú"],
  graph: {
    start: "menu",
    nodes: [
      {
        id: "menu",
        type: "message",
        text: "¡Hola {{contact.first_name|}}! Bienvenido a La Casa Bonita. ¿Qué te gustaría hacer?",
        options: [
          { title: "Ver el menú", next: "carta" },
          { title: "Hacer un pedido", next: "nombre" },
          { title: "Hablar con alguien", next: "persona" },
        ],
      },
      { id: "carta", type: "message", text: "Hoy: tacos al pastor $25, pozole $90.", next: "fin" },
      { id: "nombre", type: "ask", text: "¿A nombre de quién?", kind: "text", save: "var:nombre", next: "tel" },
      {
        id: "tel",
        type: "ask",
        text: "¿A qué teléfono te llamamos, {{nombre}}?",
        kind: "phone",
        save: "contact:phone",
        retries: 1,
        invalid: "Ese número no parece correcto.",
        next: "gracias",
        fail: "persona",
      },
      { id: "gracias", type: "message", text: "Gracias {{nombre}}, ya tomamos tu pedido.", next: "marca" },
      { id: "marca", type: "set", tagId, next: "fin" },
      { id: "persona", type: "handoff", text: "Te paso con una persona del equipo." },
      { id: "fin", type: "end" },
    ],
  },
});

test("publishing checks the whole graph and names each problem; nothing is published", async () => {
  const r = await api("POST", "/flows", {
    name: "Roto",
    graph: {
      start: "a",
      nodes: [
        { id: "a", type: "message", text: "Hola {{nombre}}", next: "b" },
        { id: "b", type: "ask", text: "¿Cuánto?", kind: "number", save: "var:cantidad", next: "nadie" },
        { id: "suelto", type: "end" },
        { id: "c", type: "condition", branches: [{ var: "cantidad", op: "gt", value: "3", next: "a" }], else: "a" },
      ],
    },
  });
  expect(r.status).toBe(201);
  const id = (await r.json()).data.id;
  const p = await api("POST", `/flows/${id}/publish`);
  expect(p.status).toBe(400);
  const e = (await p.json()).error;
  expect(e.code).toBe("flow_invalid");
  const codes = e.details.problems.map((x: { code: string; node?: string }) => `${x.code}:${x.node ?? ""}`).sort();
  expect(codes).toEqual(["dangling_edge:b", "unknown_variable:a", "unreachable_node:c", "unreachable_node:suelto"]);
  // the draft's problems are shown before publishing too, and nothing was published
  const g = (await (await api("GET", `/flows/${id}`)).json()).data;
  expect(g.problems).toHaveLength(4);
  expect(g.publishedVersion).toBeNull();
  // bad input: an unknown node type, an unknown tag
  const bad = await api("POST", "/flows", { name: "x", graph: { start: "a", nodes: [{ id: "a", type: "dance" }] } });
  expect(bad.status).toBe(400);
  const tagless = await api("POST", "/flows", {
    name: "x",
    graph: { start: "a", nodes: [{ id: "a", type: "set", tagId: "nope" }] },
  });
  expect(tagless.status).toBe(400);
  expect((await tagless.json()).error).toMatchObject({
    code: "unknown_tag",
    details: { field: "graph.nodes.0.tagId" },
  });
});

test("a keyword starts the welcome menu; '2' picks an option; a wrong phone is asked again; the answers are kept", async () => {
  const tag = await apiPost(t, s.apiKey, "/tags", { name: "pedido" });
  await flow(restaurant(tag.id));
  const a = await say("Hola, buenas tardes");
  expect(await out(a.conversationId)).toEqual([
    "¡Hola María! Bienvenido a La Casa Bonita. ¿Qué te gustaría hacer?\n\n1. Ver el menú\n2. Hacer un pedido\n3. Hablar con alguien",
  ]);
  await say("2");
  await say("María López");
  await say("no sé");
  await say("55 1234 5678");
  const bodies = await out(a.conversationId);
  expect(bodies.slice(1)).toEqual([
    "¿A nombre de quién?",
    "¿A qué teléfono te llamamos, María López?",
    "Ese número no parece correcto.",
    "¿A qué teléfono te llamamos, María López?",
    "Gracias María López, ya tomamos tu pedido.",
  ]);
  const conv = await t.ctx.db.select().from(conversations).where(eq(conversations.id, a.conversationId)).get();
  const contact = await t.ctx.db.select().from(contacts).where(eq(contacts.id, conv!.contactId)).get();
  expect(contact!.phone).toBe("+525512345678");
  const tagged = await t.ctx.db
    .select()
    .from(conversationTags)
    .where(eq(conversationTags.conversationId, a.conversationId));
  expect(tagged.map((x) => x.tagId)).toEqual([tag.id]);
  const session = await t.ctx.db
    .select()
    .from(flowSessions)
    .where(eq(flowSessions.conversationId, a.conversationId))
    .get();
  expect(session).toMatchObject({
    status: "done",
    reason: "done",
    vars: { nombre: "María López", menu: "Hacer un pedido" },
  });
  expect(session!.path).toEqual(["menu", "nombre", "tel", "gracias", "marca", "fin"]);
  // the flow's messages are sent by the flow
  const senders = await t.ctx.db.select().from(messages).where(eq(messages.conversationId, a.conversationId));
  expect(new Set(senders.filter((m) => m.direction === "out").map((m) => m.senderId))).toEqual(
    new Set([`flow:${session!.flowId}`]),
  );
  // the events read again (a crash before the cursor was saved): nothing is sent twice
  await t.ctx.database.write((tx) =>
    tx.update(eventCursors).set({ seq: 0 }).where(eq(eventCursors.name, "automation")),
  );
  await settle();
  expect(await out(a.conversationId)).toEqual(bodies);

  // two wrong phones: asked again once, then the fail branch hands the customer to people
  const b = await say("hola", "v2", "Beto");
  await say("hacer un pedido", "v2");
  await say("Beto", "v2");
  await say("x", "v2");
  await say("y", "v2");
  expect((await out(b.conversationId)).at(-1)).toBe("Te paso con una persona del equipo.");
  const bs = await t.ctx.db.select().from(flowSessions).where(eq(flowSessions.conversationId, b.conversationId)).get();
  expect(bs).toMatchObject({ status: "done", reason: "handoff" });
  expect(
    (await t.ctx.db.select().from(conversations).where(eq(conversations.id, b.conversationId)).get())!.ownerType,
  ).toBe("queue");
});

test("a keyword flow that only sends messages replies in the customer's own commit; one that needs more is the engine's; each exactly once", async () => {
  const menu = await flow({
    name: "Menú",
    keywords: ["menú"],
    graph: {
      start: "m",
      nodes: [
        {
          id: "m",
          type: "message",
          text: "¿Qué buscas?",
          options: [
            { title: "Horarios", next: "h" },
            { title: "Ubicación", next: "u" },
          ],
        },
        { id: "h", type: "message", text: "Abrimos de 9 a 18.", next: "fin" },
        { id: "u", type: "message", text: "Estamos en el centro.", next: "fin" },
        { id: "fin", type: "end" },
      ],
    },
  });
  await flow({
    name: "Saludo",
    keywords: ["buenas"],
    graph: { start: "s", nodes: [{ id: "s", type: "message", text: "Buenas, {{contact.first_name|amigo}}." }] },
  });
  // no settle: the engine has not read the message, and the menu is already there, committed with it
  now += 1000;
  const a = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: "v1", name: "Ana" },
    body: "menú",
  });
  expect(await out(a.conversationId)).toEqual(["¿Qué buscas?\n\n1. Horarios\n2. Ubicación"]);
  const sessionId = (
    await t.ctx.db.select().from(flowSessions).where(eq(flowSessions.conversationId, a.conversationId)).get()
  )?.id;
  // its id is made from the event, as the engine's would be
  expect(sessionId).toMatch(new RegExp(`^e\\d+-${a.conversationId}$`));
  expect(flowActive(t.ctx, a.conversationId)).toBe(true);
  await settle();
  expect(await out(a.conversationId)).toHaveLength(1);
  // the answer to the menu is the engine's (the conversation is in a flow)
  await say("2");
  expect(await out(a.conversationId)).toEqual(["¿Qué buscas?\n\n1. Horarios\n2. Ubicación", "Estamos en el centro."]);
  // a contact's detail in the text: the engine renders it, after the commit
  now += 1000;
  const b = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: "v2", name: "Beto Ruiz" },
    body: "buenas",
  });
  expect(await out(b.conversationId)).toEqual([]);
  await settle();
  expect(await out(b.conversationId)).toEqual(["Buenas, Beto."]);
  // every event read again (a crash before the cursor was saved): nothing is sent twice, inline or not
  await t.ctx.database.write((tx) =>
    tx.update(eventCursors).set({ seq: 0 }).where(eq(eventCursors.name, "automation")),
  );
  await settle();
  expect(await out(a.conversationId)).toHaveLength(2);
  expect(await out(b.conversationId)).toHaveLength(1);
  const sessions = await t.ctx.db.select().from(flowSessions).where(eq(flowSessions.flowId, menu.id));
  expect(sessions.map((x) => [x.status, x.reason])).toEqual([["done", "done"]]);
});

test("a reply made with the customer's message that fails leaves the message stored, and the engine answers it once", async () => {
  await flow({
    name: "Menú",
    keywords: ["menú"],
    graph: { start: "m", nodes: [{ id: "m", type: "message", text: "Este es el menú." }] },
  });
  const real = t.ctx.replyInline;
  t.ctx.replyInline = async (tx, after, m) => {
    const r = await real(tx, after, m);
    // the reply and its session were written, then something breaks: all of it is undone, the message is not
    if (m.text === "menú roto") throw new Error("disk on fire");
    return r;
  };
  now += 1000;
  // side by side, so both share one commit (the failure undoes the batch; each is then written alone)
  const [a, b] = await Promise.all([
    ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: "v1", name: "Ana" }, body: "menú roto" }),
    ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: "v2", name: "Beto" }, body: "menú" }),
  ]);
  t.ctx.replyInline = real;
  const inbound = async (id: string) =>
    (
      await t.ctx.db
        .select()
        .from(messages)
        .where(and(eq(messages.conversationId, id), eq(messages.direction, "in")))
    ).map((m) => m.body);
  expect(await inbound(a.conversationId)).toEqual(["menú roto"]);
  expect(await inbound(b.conversationId)).toEqual(["menú"]);
  expect(await out(b.conversationId)).toEqual(["Este es el menú."]);
  expect(await out(a.conversationId)).toEqual([]);
  await settle();
  expect(await out(a.conversationId)).toEqual(["Este es el menú."]);
  expect(await out(b.conversationId)).toEqual(["Este es el menú."]);
});

test("a conversation stays on the version it started with; a person answering ends the flow", async () => {
  const f = await flow({
    name: "Citas",
    keywords: ["cita"],
    graph: {
      start: "q",
      nodes: [
        { id: "q", type: "ask", text: "¿Qué día te queda?", kind: "date", save: "var:dia", next: "ok" },
        { id: "ok", type: "message", text: "Anotado para el {{dia}}.", next: "fin" },
        { id: "fin", type: "end" },
      ],
    },
  });
  const a = await say("quiero una cita");
  expect(flowActive(t.ctx, a.conversationId)).toBe(true);
  // the owner changes the text and publishes version 2
  const g = (await (await api("GET", `/flows/${f.id}`)).json()).data.draft;
  g.nodes[0].text = "¿Qué día prefieres?";
  g.nodes[1].text = "Listo: {{dia}}.";
  expect((await api("PATCH", `/flows/${f.id}`, { graph: g })).status).toBe(200);
  expect((await (await api("POST", `/flows/${f.id}/publish`)).json()).data.version).toBe(2);
  await say("mañana");
  expect(await out(a.conversationId)).toEqual(["¿Qué día te queda?", "Anotado para el 2026-12-03."]);
  const b = await say("una cita por favor", "v2", "Beto");
  expect(await out(b.conversationId)).toEqual(["¿Qué día prefieres?"]);
  await say("31/02", "v2"); // not a date: asked again
  expect(await out(b.conversationId)).toEqual(["¿Qué día prefieres?", "¿Qué día prefieres?"]);
  // a person answers: the flow ends, and the customer's next words are the person's to answer
  await sendMessage(
    t.ctx,
    { kind: "user", id: s.admin.id, name: "Admin", role: "admin", locale: "es", departmentIds: [] },
    b.conversationId,
    { body: "Hola Beto, te ayudo yo" },
  );
  await settle();
  expect(flowActive(t.ctx, b.conversationId)).toBe(false);
  await say("el viernes", "v2");
  expect((await out(b.conversationId)).at(-1)).toBe("Hola Beto, te ayudo yo");
  const bs = await t.ctx.db.select().from(flowSessions).where(eq(flowSessions.conversationId, b.conversationId)).get();
  expect(bs).toMatchObject({ status: "ended", reason: "human" });
  const versions = (await (await api("GET", `/flows/${f.id}/versions`)).json()).data;
  expect(versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
});

test("an HTTP node maps its JSON answer into variables, or takes its error branch; a wait resumes on its timer", async () => {
  t.ctx.config.fetch_allow_hosts = ["127.0.0.1"];
  let calls = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      calls++;
      const u = new URL(req.url);
      if (u.pathname === "/roto") return new Response("no", { status: 500 });
      return Response.json({ pedido: { estado: "en camino", minutos: 12 }, pregunta: u.searchParams.get("n") });
    },
  });
  try {
    await flow({
      name: "Estado del pedido",
      keywords: ["estado"],
      graph: {
        start: "num",
        nodes: [
          { id: "num", type: "ask", text: "¿Número de pedido?", kind: "number", save: "var:n", next: "consulta" },
          {
            id: "consulta",
            type: "http",
            url: `http://127.0.0.1:${server.port}/pedidos?n={{n}}`,
            map: [
              { var: "estado", path: "pedido.estado" },
              { var: "minutos", path: "pedido.minutos" },
            ],
            next: "dice",
            error: "falla",
          },
          {
            id: "dice",
            type: "message",
            text: "Tu pedido {{n}} va {{estado}}: llega en {{minutos}} min.",
            next: "espera",
          },
          { id: "espera", type: "wait", minutes: 30, next: "seguimiento" },
          { id: "seguimiento", type: "message", text: "¿Ya llegó tu pedido?", next: "fin" },
          { id: "falla", type: "message", text: "No pude consultar el pedido ({{http_error}}).", next: "fin" },
          { id: "fin", type: "end" },
        ],
      },
    });
    const a = await say("estado de mi pedido");
    await say("1042");
    expect(await out(a.conversationId)).toEqual([
      "¿Número de pedido?",
      "Tu pedido 1042 va en camino: llega en 12 min.",
    ]);
    expect(calls).toBe(1);
    now += 29 * 60_000;
    await settle();
    expect((await out(a.conversationId)).length).toBe(2);
    now += 2 * 60_000;
    await settle();
    expect((await out(a.conversationId)).at(-1)).toBe("¿Ya llegó tu pedido?");

    // the same flow against a failing service takes the error branch
    const g = (await (await api("GET", "/flows")).json()).data[0];
    const draft = (await (await api("GET", `/flows/${g.id}`)).json()).data.draft;
    draft.nodes[1].url = `http://127.0.0.1:${server.port}/roto`;
    await api("PATCH", `/flows/${g.id}`, { graph: draft });
    await api("POST", `/flows/${g.id}/publish`);
    const b = await say("estado", "v2", "Beto");
    await say("7", "v2");
    expect((await out(b.conversationId)).at(-1)).toBe("No pude consultar el pedido (http_status).");
  } finally {
    server.stop(true);
  }
});

test("the emulator walks the draft turn by turn with the path and variables, storing nothing", async () => {
  const tag = await apiPost(t, s.apiKey, "/tags", { name: "pedido" });
  const f = await flow(restaurant(tag.id), false);
  const turn = async (body: Record<string, unknown>) => {
    const r = await api("POST", `/flows/${f.id}/emulator`, body);
    expect(r.status).toBe(200);
    return (await r.json()).data;
  };
  let r = await turn({});
  expect(r.messages).toEqual([
    {
      from: "bot",
      text: "¡Hola Cliente de prueba! Bienvenido a La Casa Bonita. ¿Qué te gustaría hacer?",
      options: [
        { id: "menu:0", title: "Ver el menú" },
        { id: "menu:1", title: "Hacer un pedido" },
        { id: "menu:2", title: "Hablar con alguien" },
      ],
    },
  ]);
  r = await turn({ state: r.state, choiceId: "menu:1" });
  expect(r.messages.map((m: { text: string }) => m.text)).toEqual(["¿A nombre de quién?"]);
  r = await turn({ state: r.state, text: "Ana" });
  r = await turn({ state: r.state, text: "5512345678" });
  expect(r.messages).toEqual([
    { from: "note", text: "Campo del contacto phone = +525512345678" },
    { from: "bot", text: "Gracias Ana, ya tomamos tu pedido." },
    { from: "note", text: "Etiqueta: pedido" },
  ]);
  expect(r.done).toBe(true);
  expect(r.state.path).toEqual(["menu", "nombre", "tel", "gracias", "marca", "fin"]);
  expect(r.state.vars).toMatchObject({ nombre: "Ana", menu: "Hacer un pedido" });
  expect(await t.ctx.db.select().from(messages)).toEqual([]);
  expect(await t.ctx.db.select().from(flowSessions)).toEqual([]);
  // a flow not yet published cannot be started on a conversation
  const a = await say("hola");
  const start = await api("POST", `/conversations/${a.conversationId}/flow`, { flowId: f.id });
  expect(start.status).toBe(400);
  expect((await start.json()).error.code).toBe("flow_unpublished");
  // export, then import as a new flow
  const exported = (await (await api("GET", `/flows/${f.id}/export`)).json()).data;
  const imported = await api("POST", "/flows", { ...exported, name: "Copia" });
  expect(imported.status).toBe(201);
  expect((await imported.json()).data.draft).toEqual(exported.graph);
});

test("an agent step with a next: published as reachable, and the emulator says the agent gives the conversation back", async () => {
  const a = await apiPost(t, s.apiKey, "/agents", { name: "Sofía", channelIds: [], tools: ["handoff"] });
  const f = await flow({
    name: "Con agente",
    keywords: ["agente"],
    graph: {
      start: "ia",
      nodes: [
        { id: "ia", type: "agent", agentId: a.id, goal: "Saber la talla", next: "fin" },
        { id: "fin", type: "message", text: "Listo, ya tengo tu talla." },
      ],
    },
  });
  const r = await api("POST", `/flows/${f.id}/emulator`, {});
  expect(r.status).toBe(200);
  const d = (await r.json()).data;
  expect(d.messages.map((m: { from: string; text: string }) => `${m.from}: ${m.text}`)).toEqual([
    "note: Pasa al agente IA Sofía",
    "note: El agente atiende al cliente hasta cumplir su objetivo y luego devuelve la conversación aquí.",
    "bot: Listo, ya tengo tu talla.",
  ]);
  expect(d.done).toBe(true);
  // live: the session waits with the agent (status "agent"), so the flow is not talking and the agent may
  const m = await say("hola agente");
  const session = await t.ctx.db
    .select()
    .from(flowSessions)
    .where(eq(flowSessions.conversationId, m.conversationId))
    .get();
  expect(session).toMatchObject({ status: "agent", nodeId: "ia" });
  expect(flowActive(t.ctx, m.conversationId)).toBe(false);
  // the agent handing the conversation to people ends it
  const other = await say("agente otra vez", "v9", "Beto");
  await updateConversation(t.ctx, { kind: "system", name: "Sofía" }, other.conversationId, { ownerType: "queue" });
  await settle();
  expect(
    await t.ctx.db.select().from(flowSessions).where(eq(flowSessions.conversationId, other.conversationId)).get(),
  ).toMatchObject({ status: "ended", reason: "handoff" });
  // a person answering ends it too
  await sendMessage(
    t.ctx,
    { kind: "user", id: s.admin.id, name: "Admin", role: "admin", locale: "es", departmentIds: [] },
    m.conversationId,
    { body: "Hola, te atiendo yo" },
  );
  await settle();
  expect(
    (await t.ctx.db.select().from(flowSessions).where(eq(flowSessions.conversationId, m.conversationId)).get())?.status,
  ).toBe("ended");
});

test("a catalog step offers what it finds; the product chosen is kept with its SKU and price; nothing found has its own way", async () => {
  for (const p of [
    { sku: "PIZ-HAW-G", name: "Pizza hawaiana grande", price: 18900, category: "Pizzas" },
    { sku: "PIZ-PEP-G", name: "Pizza de pepperoni grande con orilla rellena", price: 21000, category: "Pizzas" },
    { sku: "AGU-HOR", name: "Agua de horchata", price: 3000, category: "Bebidas" },
  ])
    expect((await api("POST", "/products", p)).status).toBe(201);
  await flow({
    name: "Pedido",
    keywords: ["pedir"],
    graph: {
      start: "q",
      nodes: [
        { id: "q", type: "ask", text: "¿Qué se te antoja?", kind: "text", save: "var:busca", next: "cat" },
        {
          id: "cat",
          type: "catalog",
          query: "{{busca}}",
          text: "Esto encontré:",
          save: "producto",
          max: 3,
          next: "ok",
          empty: "nada",
        },
        { id: "ok", type: "message", text: "Anotado: {{producto}} ({{producto_sku}}, {{producto_price}})." },
        { id: "nada", type: "message", text: "No encontré «{{busca}}» en el menú." },
      ],
    },
  });
  const a = await say("quiero pedir");
  await say("pizza");
  expect((await out(a.conversationId)).at(-1)).toBe(
    "Esto encontré:\n\n1. Pizza de pepperoni gran…\n2. Pizza hawaiana grande",
  );
  // the web chat shows them as chips too; a wrong answer is asked again
  const offered = (
    await t.ctx.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, a.conversationId), eq(messages.direction, "out")))
      .orderBy(messages.id)
  ).at(-1)!;
  // on the web chat they are product cards: the price, and + and − for how many
  expect(offered.content?.quickReplies).toEqual([
    { id: "cat:0", title: "Pizza de pepperoni gran…", detail: "$210.00 MXN", quantity: true },
    { id: "cat:1", title: "Pizza hawaiana grande", detail: "$189.00 MXN", quantity: true },
  ]);
  await say("la de piña");
  expect((await out(a.conversationId)).at(-1)).toBe(
    "Esto encontré:\n\n1. Pizza de pepperoni gran…\n2. Pizza hawaiana grande",
  );
  await say("2");
  expect((await out(a.conversationId)).at(-1)).toBe("Anotado: Pizza hawaiana grande (PIZ-HAW-G, $189.00 MXN).");
  const session = await t.ctx.db
    .select()
    .from(flowSessions)
    .where(eq(flowSessions.conversationId, a.conversationId))
    .get();
  expect(session).toMatchObject({ status: "done", reason: "done" });
  // (producto_qty: empty, the customer typed the choice: the flow asks how many)
  expect(Object.keys(session!.vars).sort()).toEqual([
    "busca",
    "producto",
    "producto_price",
    "producto_qty",
    "producto_sku",
  ]);
  // nothing found
  const b = await say("pedir algo", "v2", "Beto");
  await say("sushi", "v2");
  expect((await out(b.conversationId)).at(-1)).toBe("No encontré «sushi» en el menú.");
  // a text after "nothing found" cannot use the product: said when published
  const bad = await api("POST", "/flows", {
    name: "Malo",
    graph: {
      start: "cat",
      nodes: [
        { id: "cat", type: "catalog", query: "pizza", text: "Mira:", save: "producto", next: "ok", empty: "ok" },
        { id: "ok", type: "message", text: "Elegiste {{producto}}." },
      ],
    },
  });
  const id = (await bad.json()).data.id;
  const p = await api("POST", `/flows/${id}/publish`);
  expect(p.status).toBe(400);
  expect(JSON.stringify(await p.json())).toContain("unknown_variable");
});

test("a calendar step offers a day's free times and books the one chosen; taken meanwhile, it offers them again", async () => {
  const { availableSlots, book } = await import("../../src/calendar/service.ts");
  const { appointments } = await import("../../src/schema.ts");
  const free = (await availableSlots(t.ctx, "2026-12-03")).slots;
  expect(free.length).toBeGreaterThan(4);
  await flow({
    name: "Citas",
    keywords: ["cita"],
    graph: {
      start: "dia",
      nodes: [
        { id: "dia", type: "ask", text: "¿Qué día?", kind: "date", save: "var:dia", next: "horas" },
        {
          id: "horas",
          type: "slots",
          date: "{{dia}}",
          text: "Horarios libres:",
          max: 3,
          save: "cita",
          next: "ok",
          empty: "nada",
        },
        { id: "ok", type: "message", text: "Listo: te esperamos el {{cita_date}} a las {{cita_time}}." },
        { id: "nada", type: "message", text: "Ese día no quedan horarios." },
      ],
    },
  });
  const menu = (times: string[]) => `Horarios libres:\n\n${times.map((x, i) => `${i + 1}. ${x}`).join("\n")}`;
  const a = await say("quiero una cita");
  await say("mañana");
  expect((await out(a.conversationId)).at(-1)).toBe(menu(free.slice(0, 3)));
  await say("2");
  expect((await out(a.conversationId)).at(-1)).toBe(`Listo: te esperamos el 2026-12-03 a las ${free[1]}.`);
  const conv = await t.ctx.db.select().from(conversations).where(eq(conversations.id, a.conversationId)).get();
  const booked = await t.ctx.db.select().from(appointments).all();
  expect(booked.map((x) => [x.contactId, x.conversationId])).toEqual([[conv!.contactId, a.conversationId]]);
  // the next customer is offered what is left; someone else takes their time before they answer: offered again
  const b = await say("una cita", "v2", "Beto");
  await say("2026-12-03", "v2");
  const left = free.filter((x) => x !== free[1]);
  expect((await out(b.conversationId)).at(-1)).toBe(menu(left.slice(0, 3)));
  await book(t.ctx, { kind: "system" }, { date: "2026-12-03", time: left[0] });
  await say("1", "v2");
  expect((await out(b.conversationId)).at(-1)).toBe(menu(left.slice(1, 4)));
  await say("1", "v2");
  expect((await out(b.conversationId)).at(-1)).toBe(`Listo: te esperamos el 2026-12-03 a las ${left[1]}.`);
  // a day already gone has no free time
  const c = await say("cita", "v3", "Caro");
  await say("2026-12-01", "v3");
  expect((await out(c.conversationId)).at(-1)).toBe("Ese día no quedan horarios.");
});
