// An order taken without a model (issue #13 item 2): the ready-made ordering flow, published as it comes, on the web
// chat (numbered options here): what the customer looks for (a category's name finds its products), the product
// picked from the catalog, how many, more, the cart with its total, confirm, and the order with its number; a
// product that cannot be added says why; a product with sizes and extras asks for them (one extra at a time); the
// flow's cart steps are checked when published.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { automationKit } from "../support/automation.ts";
import { startAutomation } from "../../src/automation/index.ts";
import { FLOW_RECIPES } from "../../src/automation/flow-recipes.ts";
import { orders, products } from "../../src/commerce/schema.ts";
import { createCategory, createProduct } from "../../src/commerce/service.ts";

const SYS = { kind: "system" } as const;
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
let now = Date.UTC(2026, 11, 2, 19, 0);
beforeEach(async () => {
  now = Date.UTC(2026, 11, 2, 19, 0);
  t = await makeTestApp({}, { clock: { now: () => now } });
  s = await seedBusiness(t.ctx);
  startAutomation(t.ctx, { tick: false });
  const tacos = await createCategory(t.ctx, SYS, { name: "Tacos" });
  await createProduct(t.ctx, SYS, {
    sku: "T-PAS",
    name: "Taco al pastor",
    price: 2500,
    categoryId: tacos.id,
    stock: 50,
  });
  await createProduct(t.ctx, SYS, {
    sku: "T-SUA",
    name: "Taco de suadero",
    price: 2800,
    categoryId: tacos.id,
    stock: 2,
  });
  await createProduct(t.ctx, SYS, { sku: "HOR", name: "Horchata", price: 3000 });
});
afterEach(() => t.close());

const kit = automationKit(() => ({ t, s }));
const say = async (body: string) => {
  now += 1000;
  const r = await kit.ingest(body, "of1", "Ana Ruiz");
  await kit.settle();
  return r;
};

test("the ready-made ordering flow takes an order from menu to confirmation, without a model", async () => {
  const f = await kit.create("/flows", FLOW_RECIPES.restaurant_order);
  await kit.create(`/flows/${f.id}/publish`, undefined, 200);
  const { conversationId: c } = await say("quiero pedir");
  await say("tacos");
  let sent = await kit.outBodies(c, true);
  expect(sent.at(-1)).toBe("Esto tenemos. Elige uno:\n\n1. Taco al pastor\n2. Taco de suadero");
  await say("1");
  expect((await kit.outBodies(c, true)).at(-1)).toBe("¿Cuántos Taco al pastor quieres?");
  await say("tres");
  expect((await kit.outBodies(c, true)).at(-1)).toBe(
    "Escribe solo el número, por ejemplo 2.\n¿Cuántos Taco al pastor quieres?".split("\n").at(-1),
  );
  await say("3");
  expect((await kit.outBodies(c, true)).at(-1)).toBe(
    "Listo, agregué 3 × Taco al pastor. ¿Algo más?\n\n1. Agregar otra cosa\n2. Ver mi pedido",
  );
  // more: the suadero has 2 left, 5 are refused with the reason, and the cart stays
  await say("1");
  await say("suadero");
  await say("1");
  await say("5");
  expect((await kit.outBodies(c, true)).at(-1)).toBe(
    "No lo pude agregar: No quedan tantas unidades de ese producto.\n\n1. Elegir otra cosa\n2. Ver mi pedido\n3. Hablar con alguien",
  );
  await say("2");
  sent = await kit.outBodies(c, true);
  expect(sent.slice(-2)).toEqual([
    "Tu pedido:\n3 × Taco al pastor — $75.00 MXN\nTotal: $75.00 MXN",
    "¿Confirmamos tu pedido por $75.00 MXN? Lo recoges en la tienda y pagas al recoger.\n\n1. Confirmar\n2. Agregar más\n3. Hablar con alguien",
  ]);
  await say("1");
  const [o] = await t.ctx.db.select().from(orders);
  expect([o.total, o.conversationId, o.paymentMethod, o.source, o.items.map((i) => [i.sku, i.quantity])]).toEqual([
    7500,
    c,
    "cash",
    "chat",
    [["T-PAS", 3]],
  ]);
  sent = await kit.outBodies(c, true);
  expect(sent).toContain(
    `¡Gracias! Tu pedido ${o.number} por $75.00 MXN quedó registrado. Te avisamos por aquí cuando esté listo.`,
  );
  expect((await t.ctx.db.select().from(products).where(eq(products.sku, "T-PAS")).get())!.stock).toBe(47);
});

test("publishing checks the cart steps: an unknown next step, and a variable read before it is set", async () => {
  const r = await kit.api("POST", "/flows", {
    name: "Mal",
    keywords: ["mal"],
    graph: {
      start: "a",
      nodes: [
        { id: "a", type: "cart_add", sku: "{{producto_sku}}", next: "b", error: "nada" },
        { id: "b", type: "checkout", next: "c" },
        { id: "c", type: "message", text: "Pedido {{order_number}}" },
      ],
    },
  });
  const f = (await r.json()).data;
  const p = await kit.api("POST", `/flows/${f.id}/publish`);
  const problems = (await p.json()).error.details.problems.map((x: { code: string; node?: string }) => [
    x.code,
    x.node,
  ]);
  expect(problems).toContainEqual(["dangling_edge", "a"]);
  expect(problems).toContainEqual(["unknown_variable", "a"]);
  expect(problems).not.toContainEqual(["unknown_variable", "c"]); // checkout sets order_number on its way to next
});

test("a product with sizes and extras: the flow asks which one, then extras one at a time, and the cart has them", async () => {
  await createProduct(t.ctx, SYS, {
    sku: "AGUA",
    name: "Agua fresca",
    price: 3000,
    variants: [
      { key: "chica", name: "Chica", price: 3000, stock: null },
      { key: "grande", name: "Grande", price: 4500, stock: null },
      { key: "jumbo", name: "Jumbo", price: 6000, stock: 0 },
    ],
    modifiers: [
      { key: "chia", name: "Con chía", price: 500 },
      { key: "hielo", name: "Sin hielo", price: 0 },
    ],
  });
  const f = await kit.create("/flows", FLOW_RECIPES.restaurant_order);
  await kit.create(`/flows/${f.id}/publish`, undefined, 200);
  const { conversationId: c } = await say("quiero pedir");
  await say("agua");
  await say("1");
  // the sizes there are (the jumbo is sold out), then the extras
  expect((await kit.outBodies(c, true)).at(-1)).toBe("¿Cuál de Agua fresca quieres?\n\n1. Chica\n2. Grande");
  await say("mediana");
  expect((await kit.outBodies(c, true)).at(-1)).toBe("¿Cuál de Agua fresca quieres?\n\n1. Chica\n2. Grande");
  await say("grande");
  expect((await kit.outBodies(c, true)).at(-1)).toBe(
    "¿Le agregamos algo? Elige uno a la vez.\n\n1. Con chía\n2. Sin hielo\n3. Sin extras",
  );
  await say("1");
  expect((await kit.outBodies(c, true)).at(-1)).toBe(
    "¿Le agregamos algo? Elige uno a la vez.\n\n1. Sin hielo\n2. Listo",
  );
  await say("listo");
  expect((await kit.outBodies(c, true)).at(-1)).toBe("¿Cuántos Agua fresca quieres?");
  await say("2");
  await say("2");
  expect((await kit.outBodies(c, true)).slice(-2)[0]).toBe(
    "Tu pedido:\n2 × Agua fresca (Grande) + Con chía — $100.00 MXN\nTotal: $100.00 MXN",
  );
  // a product with nothing to choose goes straight to how many
  await say("2");
  await say("horchata");
  await say("1");
  expect((await kit.outBodies(c, true)).at(-1)).toBe("¿Cuántos Horchata quieres?");
});
