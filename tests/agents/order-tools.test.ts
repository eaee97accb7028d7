// An AI agent takes an order (issue #13 item 2): the menu by category, the cart with variants and extras, pickup or
// delivery, the order placed from the cart, all through its tools against the Ollama double; prices and totals in
// its reply come from those tools (a total it made up is caught by the grounding check and never sent).
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { apiPost, makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { messages } from "../../src/schema.ts";
import { orders, products } from "../../src/commerce/schema.ts";
import { agentRunner } from "../../src/agents/runner.ts";
import { createCategory, createProduct } from "../../src/commerce/service.ts";

const SYS = { kind: "system" } as const;
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, o: ReturnType<typeof startOllamaDouble>;
const api = () => ({ authorization: `Bearer ${s.apiKey}` });

beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  o = startOllamaDouble();
  await t.req("PUT", "/api/v1/ai/settings", { headers: api(), json: { ollamaUrl: o.url, timeoutMs: 5000 } });
  const tacos = await createCategory(t.ctx, SYS, { name: "Tacos" });
  const bebidas = await createCategory(t.ctx, SYS, { name: "Bebidas" });
  await createProduct(t.ctx, SYS, {
    sku: "TACO-P",
    name: "Taco al pastor",
    price: 2500,
    stock: 40,
    categoryId: tacos.id,
    modifiers: [{ key: "queso", name: "Con queso", price: 1000 }],
  });
  await createProduct(t.ctx, SYS, {
    sku: "HOR",
    name: "Horchata",
    price: 0,
    categoryId: bebidas.id,
    variants: [
      { key: "chica", name: "Chica", price: 3000, stock: null },
      { key: "grande", name: "Grande", price: 4500, stock: null },
    ],
  });
  await apiPost(t, s.apiKey, "/agents", {
    name: "Sofía",
    channelIds: [s.webchat.id],
    tools: ["browse_menu", "cart_add", "cart_remove", "cart_show", "cart_delivery", "place_order", "handoff"],
    burstMs: 20,
  });
});
afterEach(async () => {
  o.stop();
  await t.close();
});

const say = async (text: string) =>
  (await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: "v1", name: "Cliente" }, body: text }))
    .conversationId;
async function settle() {
  await Bun.sleep(5);
  await agentRunner(t.ctx)!.idle();
}
const replies = async (c: string) =>
  (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, c)).orderBy(messages.id))
    .filter((x) => x.direction === "out" && !x.private && !x.body.startsWith("Recibimos"))
    .map((x) => x.body);
/** What the tools answered, in order (each request repeats the turn's earlier tool messages: once each). */
const toolResults = () =>
  [
    ...new Set(
      o.requests
        .filter((r) => r.path === "/api/chat")
        .flatMap((r) => r.messages.filter((m: any) => m.role === "tool").map((m: any) => m.content as string)),
    ),
  ].map((x) => JSON.parse(x));

test("«quiero 3 tacos al pastor con queso y una horchata grande»: the menu, the cart, the order, with the tools' prices", async () => {
  o.script.push({ toolCalls: [{ name: "browse_menu", arguments: {} }] });
  o.script.push({ toolCalls: [{ name: "browse_menu", arguments: { category: "tacos" } }] });
  o.script.push({
    toolCalls: [
      { name: "cart_add", arguments: { sku: "TACO-P", quantity: 3, extras: ["queso"] } },
      { name: "cart_add", arguments: { sku: "HOR", variant: "grande" } },
    ],
  });
  o.script.push({ toolCalls: [{ name: "cart_delivery", arguments: { fulfilment: "pickup" } }] });
  o.script.push({
    content: "Tu carrito: 3 tacos al pastor con queso ($35.00 c/u) y una horchata grande. Total $150.00. ¿Lo confirmo?",
  });
  const c = await say("quiero 3 tacos al pastor con queso y una horchata grande para recoger");
  await settle();
  const seen = toolResults();
  expect(seen[0]).toEqual({ categories: ["Bebidas", "Tacos"] });
  expect(seen[1].products.map((p: { sku: string; price: string }) => [p.sku, p.price])).toEqual([
    ["TACO-P", "$25.00 MXN"],
  ]);
  const cart = seen.at(-1);
  expect(cart.lines.map((l: { item: string; total: string }) => [l.item, l.total])).toEqual([
    ["3 × Taco al pastor + Con queso", "$105.00 MXN"],
    ["1 × Horchata (Grande)", "$45.00 MXN"],
  ]);
  expect([cart.total, cart.fulfilment]).toEqual(["$150.00 MXN", "pickup"]);
  expect(await replies(c)).toEqual([
    "Tu carrito: 3 tacos al pastor con queso ($35.00 c/u) y una horchata grande. Total $150.00. ¿Lo confirmo?",
  ]);
  expect(await t.ctx.db.select().from(orders)).toEqual([]);

  // the customer confirms: the order is placed from the cart, its number and total from the tool
  o.script.push({ toolCalls: [{ name: "place_order", arguments: { payment: "cash" } }] });
  o.script.push({ content: "¡Listo! Tu pedido 1001 por $150.00 queda para recoger; pagas al llegar." });
  await say("si confirmo");
  await settle();
  const [order] = await t.ctx.db.select().from(orders);
  expect([order.number, order.total, order.conversationId, order.source, order.paymentMethod]).toEqual([
    "1001",
    15000,
    c,
    "chat",
    "cash",
  ]);
  expect(toolResults().at(-1)).toMatchObject({ orderNumber: "1001", total: "$150.00 MXN" });
  expect((await replies(c)).at(-1)).toBe("¡Listo! Tu pedido 1001 por $150.00 queda para recoger; pagas al llegar.");
  expect((await t.ctx.db.select().from(products).where(eq(products.sku, "TACO-P")))[0].stock).toBe(37);
});

test("a refusal reaches the model as something to act on, and a total it invents is never sent", async () => {
  o.script.push({ toolCalls: [{ name: "cart_add", arguments: { sku: "HOR" } }] });
  o.script.push({ toolCalls: [{ name: "cart_add", arguments: { sku: "HOR", variant: "chica", quantity: 2 } }] });
  o.script.push({ content: "Son dos horchatas chicas, total $50.00." });
  o.script.push({ content: "Son dos horchatas chicas, total $50.00." }); // the correction repeats the made-up total
  const c = await say("dos horchatas");
  await settle();
  const errors = o.requests
    .filter((r) => r.path === "/api/chat")
    .flatMap((r) => r.messages.filter((m: any) => m.role === "tool").map((m: any) => m.content as string));
  expect(errors.some((e) => e.includes("variant_required"))).toBe(true);
  // the cart holds what the tool put there: $60.00, not the $50.00 the model wrote
  const cart = (await t.req("GET", `/api/v1/conversations/${c}/cart`, { headers: api() }).then((r) => r.json())).data;
  expect(cart.total).toBe(6000);
  // the made-up total is not sent: the customer is handed to a person instead
  const sent = await replies(c);
  expect(sent.some((b) => b.includes("$50"))).toBe(false);
  expect(sent).toEqual(["Te comunico con una persona de nuestro equipo; en un momento te atienden. 🙌"]);
});
