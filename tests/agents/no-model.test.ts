// Without any language model the agent still serves: built-in intents (Spanish and English), curated FAQ answers
// and knowledge passages by retrieval, and a polite hand-off. Measured on customer phrasings written here, with
// the accuracy asserted above a floor and the confusion printed.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { createAgent, type Agent } from "../../src/agents/service.ts";
import { addSource } from "../../src/agents/knowledge.ts";
import { runTurn } from "../../src/agents/runner.ts";
import { classifyIntent } from "../../src/agents/intents.ts";
import { createOrder, createProduct, setOrderStatus } from "../../src/commerce/service.ts";

let t: TestApp, agent: Agent;
const FAQ = [
  { id: "envios", question: "¿Hacen envíos a domicilio?", answer: "Sí, enviamos a toda la ciudad por $50." },
  { id: "pagos", question: "¿Qué formas de pago aceptan?", answer: "Efectivo, tarjeta y transferencia." },
  {
    id: "factura",
    question: "¿Pueden darme factura?",
    answer: "Sí, pide tu factura con tu RFC en caja o por este chat.",
  },
  {
    id: "reservas",
    question: "¿Aceptan reservaciones para grupos?",
    answer: "Sí, para grupos de 8 o más con un día de anticipación.",
  },
  {
    id: "vegano",
    question: "¿Tienen opciones veganas?",
    answer: "Sí: pizza vegana con queso de almendra y ensaladas.",
  },
  { id: "estacionamiento", question: "¿Tienen estacionamiento?", answer: "Sí, gratuito para clientes." },
  {
    id: "mascotas",
    question: "¿Puedo llevar a mi mascota?",
    answer: "Sí, en la terraza las mascotas son bienvenidas.",
  },
  { id: "wifi", question: "¿Tienen wifi para clientes?", answer: "Sí, pide la clave a tu mesero." },
];
beforeAll(async () => {
  t = await makeTestApp();
  const s = await seedBusiness(t.ctx);
  // no model server at all: nothing listens there
  const { saveAiSettings } = await import("../../src/agents/settings.ts");
  await saveAiSettings(t.ctx, { kind: "system" }, { ollamaUrl: "http://127.0.0.1:9", timeoutMs: 1000 });
  await addSource(
    t.ctx,
    { kind: "system" },
    { title: "FAQ", faq: FAQ.map(({ question, answer }) => ({ question, answer })) },
  );
  await addSource(
    t.ctx,
    { kind: "system" },
    {
      title: "Políticas",
      text: "# Cancelaciones\nLos pedidos se pueden cancelar sin costo antes de que salgan de cocina.\n\n# Alergias\nNuestra cocina maneja nueces, gluten y lácteos; avísanos de cualquier alergia.",
    },
  );
  await createProduct(t.ctx, { kind: "system" }, { sku: "PZ-1", name: "Pizza margarita", price: 15900, stock: 4 });
  const o = await createOrder(
    t.ctx,
    { kind: "system" },
    { number: "1042", items: [{ sku: "PZ-1", quantity: 2 }], status: "confirmed", fulfilment: "delivery" },
  );
  await setOrderStatus(t.ctx, { kind: "system" }, o.id, { status: "on_the_way" });
  agent = await createAgent(
    t.ctx,
    { kind: "system" },
    { name: "Sofía", useModel: false, channelIds: [s.webchat.id], tools: ["order_status", "handoff"] },
  );
});
afterAll(() => t.close());

// [what the customer writes, what should happen: an intent, "faq:<id>", "kb:<heading>" or "handoff"]
const CASES: [string, string][] = [
  ["hola", "greeting"],
  ["Buenas tardes", "greeting"],
  ["buenos dias!", "greeting"],
  ["Hi there", "greeting"],
  ["hello", "greeting"],
  ["a que hora abren?", "hours"],
  ["¿Cuál es su horario?", "hours"],
  ["están abiertos hoy?", "hours"],
  ["what are your opening hours?", "hours"],
  ["are you open on sunday?", "hours"],
  ["horarios de atencion", "hours"],
  ["a qué hora cierran", "hours"],
  ["donde estan ubicados?", "location"],
  ["¿Cuál es la dirección?", "location"],
  ["como llego a su local", "location"],
  ["where are you located?", "location"],
  ["what is your address", "location"],
  ["quiero hablar con un asesor", "handoff"],
  ["me pasas con una persona real?", "handoff"],
  ["necesito un humano", "handoff"],
  ["can I talk to a human", "handoff"],
  ["I want to speak with a real person", "handoff"],
  ["no quiero hablar con un bot", "handoff"],
  ["cual es el estado de mi pedido 1042", "order_status"],
  ["dónde está mi pedido?", "order_status"],
  ["quiero rastrear mi orden #1042", "order_status"],
  ["where is my order 1042", "order_status"],
  ["track my package please", "order_status"],
  ["gracias!", "thanks"],
  ["muchas gracias", "thanks"],
  ["thanks a lot", "thanks"],
  ["hacen envios?", "faq:envios"],
  ["¿envían a domicilio?", "faq:envios"],
  ["que formas de pago aceptan", "faq:pagos"],
  ["aceptan pago con tarjeta?", "faq:pagos"],
  ["me pueden dar factura?", "faq:factura"],
  ["aceptan reservaciones para un grupo?", "faq:reservas"],
  ["tienen opciones veganas?", "faq:vegano"],
  ["hay comida vegana", "faq:vegano"],
  ["tienen estacionamiento", "faq:estacionamiento"],
  ["puedo llevar a mi perro? es mi mascota", "faq:mascotas"],
  ["tienen wifi?", "faq:wifi"],
  ["puedo cancelar mi pedido?", "kb:Cancelaciones"],
  ["soy alérgico a las nueces, ¿es seguro?", "kb:Alergias"],
  ["venden bicicletas de montaña?", "handoff"],
  ["necesito ayuda con un trámite del SAT", "handoff"],
];

/** Runs each phrasing through a no-model turn; prints the accuracy, the confusion and the misses. */
async function measure(label: string, cases: [string, string][]) {
  const confusion = new Map<string, Map<string, number>>();
  let right = 0,
    wrongAnswers = 0;
  const wrong: string[] = [];
  for (const [text, expected] of cases) {
    const r = await runTurn(t.ctx, {
      agent,
      conversationId: null,
      contactId: null,
      history: [],
      customerText: text,
      botReplies: 0,
      dryRun: true,
    });
    const got = r.handoff
      ? "handoff"
      : r.mode === "faq"
        ? `faq:${FAQ.find((f) => f.answer === r.reply)?.id}`
        : r.mode === "knowledge"
          ? `kb:${r.retrieved[0]?.heading}`
          : r.mode === "intent"
            ? r.intent
            : r.mode;
    expect(r.reply).toBeTruthy(); // every message gets an answer or a polite hand-off
    const row = confusion.get(expected) ?? new Map<string, number>();
    row.set(got, (row.get(got) ?? 0) + 1);
    confusion.set(expected, row);
    if (got === expected) right++;
    else wrong.push(`${JSON.stringify(text)}: expected ${expected}, got ${got}`);
    if (got !== expected && got !== "handoff") wrongAnswers++;
  }
  const accuracy = right / cases.length;
  console.log(
    `${label}: ${right}/${cases.length} = ${(accuracy * 100).toFixed(1)}%; answered wrongly: ${wrongAnswers} (every other miss is a polite hand-off)`,
  );
  for (const [exp, row] of confusion)
    console.log(`  ${exp.padEnd(22)} → ${[...row].map(([g, n]) => `${g}×${n}`).join(", ")}`);
  if (wrong.length) console.log(`  misses:\n    ${wrong.join("\n    ")}`);
  return { accuracy, confusion, wrongAnswers };
}

test("the no-model path on Spanish and English phrasings: accuracy above the floor, confusion printed", async () => {
  const { accuracy } = await measure("no-model accuracy (phrasings the patterns were tuned on)", CASES);
  expect(accuracy).toBeGreaterThanOrEqual(0.9);
});

// Written after the patterns were tuned on CASES and never used to tune them: what a new customer's wording gets.
// A missed intent falls through to the knowledge base and then to a person, so a miss should cost a hand-off, not
// a wrong answer. HELD_OUT_1 was measured before two general changes it prompted (a passage is sent without a model
// only when it shares two of the question's words or its heading holds them all; Snowball's Spanish stemmer):
// 75.0% then, and the figure printed now. HELD_OUT_2 was written after the last pattern change and used only to
// compare the two stemmers (78.1% with the old one).
const HELD_OUT_1: [string, string][] = [
  ["buenas noches, una pregunta", "greeting"],
  ["Holi", "greeting"],
  ["hello hello", "greeting"],
  ["qué onda", "greeting"],
  ["Buenos días 😊", "greeting"],
  ["todavía están abiertos?", "hours"],
  ["a que horas abren mañana", "hours"],
  ["hoy abren?", "hours"],
  ["until what time are you open?", "hours"],
  ["hours on saturday?", "hours"],
  ["trabajan el 25 de diciembre?", "hours"],
  ["por dónde quedan?", "location"],
  ["cual es su domicilio", "location"],
  ["estan cerca del metro insurgentes?", "location"],
  ["send me your location", "location"],
  ["where exactly is the store", "location"],
  ["tienen local o solo envíos?", "location"],
  ["puedo hablar con el dueño?", "handoff"],
  ["necesito que me llame alguien", "handoff"],
  ["quiero atención personalizada de un asesor", "handoff"],
  ["agente por favor", "handoff"],
  ["is there a human I can chat with", "handoff"],
  ["let me speak to your manager", "handoff"],
  ["esto es un robot? quiero una persona", "handoff"],
  ["mi pedido no llega", "order_status"],
  ["ya enviaron mi compra?", "order_status"],
  ["cuándo me entregan la orden 3310", "order_status"],
  ["where's my stuff? order 7781", "order_status"],
  ["tracking number for my order", "order_status"],
  ["como va mi pedido", "order_status"],
  ["gracias por la info", "thanks"],
  ["muchísimas gracias", "thanks"],
  ["thanks!", "thanks"],
  ["perfecto, gracias", "thanks"],
  ["precio del combo familiar", "handoff"],
  ["tienen tacos de birria?", "handoff"],
  ["quiero pedir dos pizzas", "handoff"],
  ["can I pay with paypal", "handoff"],
  ["el producto llegó roto", "handoff"],
  ["hacen pasteles personalizados?", "handoff"],
];
const HELD_OUT_2: [string, string][] = [
  ["Hola buen día", "greeting"],
  ["hi!!", "greeting"],
  ["Buenas", "greeting"],
  ["a qué hora cierran los viernes?", "hours"],
  ["abren temprano?", "hours"],
  ["what are your hours", "hours"],
  ["están abiertos ahorita?", "hours"],
  ["dónde se ubican?", "location"],
  ["dirección por favor", "location"],
  ["where is your restaurant?", "location"],
  ["me puede atender una persona?", "handoff"],
  ["pásame con un humano", "handoff"],
  ["I'd like to talk to a person", "handoff"],
  ["quiero levantar una queja con el encargado", "handoff"],
  ["estado de mi orden 1042", "order_status"],
  ["ya viene mi pedido?", "order_status"],
  ["where is my order?", "order_status"],
  ["ok muchas gracias!", "thanks"],
  ["thank you!", "thanks"],
  ["llevan a domicilio?", "faq:envios"],
  ["puedo pagar con transferencia?", "faq:pagos"],
  ["necesito factura de mi consumo", "faq:factura"],
  ["se puede reservar mesa para 10 personas?", "faq:reservas"],
  ["tienen algo vegano?", "faq:vegano"],
  ["hay donde estacionarse?", "faq:estacionamiento"],
  ["aceptan perros?", "faq:mascotas"],
  ["cual es la clave del wifi", "faq:wifi"],
  ["quiero cancelar el pedido que hice", "kb:Cancelaciones"],
  ["mi hijo es alérgico al gluten", "kb:Alergias"],
  ["venden gasolina?", "handoff"],
  ["cuanto cuesta una pizza grande", "handoff"],
  ["me llegó frío el pedido", "handoff"],
];

test("held-out phrasings (never used to tune the patterns): accuracy printed and above its floor, almost no wrong answer", async () => {
  const one = await measure("no-model accuracy (held-out 1)", HELD_OUT_1);
  const two = await measure("no-model accuracy (held-out 2)", HELD_OUT_2);
  expect(one.accuracy).toBeGreaterThanOrEqual(0.75);
  expect(two.accuracy).toBeGreaterThanOrEqual(0.8);
  // a wrong answer is worse than a hand-off: one of 72 today ("cuál es su domicilio" gets the delivery FAQ)
  expect(one.wrongAnswers + two.wrongAnswers).toBeLessThanOrEqual(1);
  // questions no intent or FAQ covers all go to a person
  for (const [text] of [...HELD_OUT_1.slice(-6), ...HELD_OUT_2.slice(-3)]) {
    const r = await runTurn(t.ctx, {
      agent,
      conversationId: null,
      contactId: null,
      history: [],
      customerText: text,
      botReplies: 0,
      dryRun: true,
    });
    expect([text, r.mode]).toEqual([text, "handoff"]);
  }
});

test("intents: an order number is found, a long message that starts with hello is about its question", () => {
  expect(classifyIntent("hola, quisiera saber si tienen pizza sin gluten para mi hijo").intent).toBe("none");
  expect(classifyIntent("Hola").intent).toBe("greeting");
});

test("order status without a model: the number is looked up with the order tool; without a number it is asked for", async () => {
  const ask = await runTurn(t.ctx, {
    agent,
    conversationId: null,
    contactId: null,
    history: [],
    customerText: "quiero saber el estado de mi pedido",
    botReplies: 0,
    dryRun: true,
  });
  expect(ask.reply).toBe("Con gusto reviso tu pedido. ¿Me compartes el número de pedido?");
  const r = await runTurn(t.ctx, {
    agent,
    conversationId: null,
    contactId: null,
    history: [
      { role: "customer", text: "estado de mi pedido" },
      { role: "bot", text: ask.reply! },
    ],
    customerText: "1042",
    botReplies: 1,
    dryRun: true,
  });
  expect(r.reply).toMatch(/^Tu pedido 1042 está en camino\. Total: \$318\.00 MXN\.$/);
  expect(r.toolCalls).toMatchObject([{ name: "order_status", ok: true }]);
});

test("a product's price without a model: from the catalog, only when every word the customer named is in it", async () => {
  for (const p of [
    { sku: "TAC-PAS", name: "Taco al pastor", price: 2500 },
    { sku: "TAC-SUA", name: "Taco de suadero", price: 2500 },
    { sku: "TAC-CAM", name: "Taco campechano", price: 2800 },
    { sku: "GRI", name: "Gringa", price: 6500, stock: 0 },
    { sku: "QUE", name: "Quesadilla", price: 4000, description: "de queso Oaxaca" },
  ])
    await createProduct(t.ctx, { kind: "system" }, p);
  const seller = await createAgent(
    t.ctx,
    { kind: "system" },
    { name: "Tere", useModel: false, tools: ["search_products", "handoff"] },
  );
  const ask = (text: string) =>
    runTurn(t.ctx, {
      agent: seller,
      conversationId: null,
      contactId: null,
      history: [],
      customerText: text,
      botReplies: 0,
      dryRun: true,
    });
  const one = await ask("¿cuánto cuesta el taco al pastor?");
  expect([one.mode, one.intent, one.reply]).toEqual(["intent", "product", "Taco al pastor: $25.00 MXN."]);
  expect(one.toolCalls.map((c) => c.name)).toEqual(["search_products"]);
  expect((await ask("precio de los tacos")).reply).toBe(
    "Esto encontré: Taco al pastor: $25.00 MXN; Taco campechano: $28.00 MXN; Taco de suadero: $25.00 MXN.",
  );
  expect((await ask("tienen gringas?")).reply).toBe("Gringa: $65.00 MXN (agotado por ahora).");
  expect((await ask("how much is the quesadilla?")).reply).toBe("Quesadilla: $40.00 MXN.");
  expect((await ask("quesadilla de queso oaxaca precio")).reply).toBe("Quesadilla: $40.00 MXN.");
  // a word no product has: not a guess at the nearest one, a person
  expect((await ask("cuánto cuesta el taco de birria?")).mode).toBe("handoff");
  expect((await ask("cuanto cuesta la pizza grande")).mode).toBe("handoff");
  // a price question about something that is not a product goes on to the knowledge base
  const ship = await ask("¿cuánto cuesta el envío a domicilio?");
  expect([ship.mode, ship.reply]).toEqual(["faq", "Sí, enviamos a toda la ciudad por $50."]);
});

test("the demo install answers a new web-chat visitor from the first minute, with no model server at all", async () => {
  const { seedDemo } = await import("../../src/setup/demo.ts");
  const { ingestInbound } = await import("../../src/inbox/service.ts");
  const { agentRunner } = await import("../../src/agents/runner.ts");
  const { listChannels } = await import("../../src/channels/service.ts");
  const { saveAiSettings } = await import("../../src/agents/settings.ts");
  const d = await makeTestApp();
  try {
    await seedDemo(d.ctx);
    await saveAiSettings(d.ctx, { kind: "system" }, { ollamaUrl: "http://127.0.0.1:9", timeoutMs: 1000 });
    const web = (await listChannels(d.ctx)).find((c) => c.type === "webchat")!;
    const m = await ingestInbound(d.ctx, {
      channelId: web.id,
      from: { externalId: "nuevo", name: "Visitante" },
      body: "tienen servicio a domicilio?",
    });
    await Bun.sleep(2600); // the agent's burst time
    await agentRunner(d.ctx)!.idle();
    const r = await d.req("GET", `/api/v1/conversations/${m.conversationId}/messages`, {
      headers: {
        authorization: `Bearer ${(await (await import("../../src/auth/service.ts")).createApiKey(d.ctx, { kind: "system" }, { name: "t", scope: "admin" })).key}`,
      },
    });
    const bodies = (await r.json()).data
      .filter((x: { senderType: string; private: boolean }) => x.senderType === "bot" && !x.private)
      .map((x: { body: string }) => x.body);
    expect(bodies).toEqual(["Sí: el envío a domicilio cuesta $35 en Roma y Condesa y tarda de 30 a 45 minutos."]);
  } finally {
    await d.close();
  }
});
