// A WhatsApp Cloud catalog order (issue #13 item 2): the real webhook body of an `order` message (the fixture)
// becomes the conversation's cart priced from our catalog, not from the prices Meta's catalog carried; the customer
// gets the summary at our prices, an item we do not sell is named, the team sees what Meta's total said.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { addWhatsAppCloud, makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { startGraphDouble, sign, type GraphDouble } from "../support/graph-double.ts";
import { messages } from "../../src/inbox/schema.ts";
import { carts } from "../../src/commerce/schema.ts";
import { createProduct, getCart } from "../../src/commerce/service.ts";

const SYS = { kind: "system" } as const;
const SECRET = "test-app-secret";
const TOKEN = "EAAG-test-token";
const order = JSON.parse(readFileSync(join(import.meta.dir, "../fixtures/whatsapp-cloud/message.json"), "utf8")).order;
let t: TestApp, graph: GraphDouble;
beforeEach(async () => {
  t = await makeTestApp();
  await seedBusiness(t.ctx);
  graph = startGraphDouble({ token: TOKEN, appSecret: SECRET });
  await addWhatsAppCloud(
    t.ctx,
    { phoneNumberId: "1122334455667", accessToken: TOKEN, appSecret: SECRET, graphUrl: graph.url },
    "WhatsApp",
  );
  // our prices, not Meta's (30, 35 and 10 ILS in the body); no soda on our menu
  await createProduct(t.ctx, SYS, { sku: "HAMBURGER", name: "Hamburguesa", price: 9500 });
  await createProduct(t.ctx, SYS, { sku: "FRENCH_FRIES", name: "Papas a la francesa", price: 4000 });
});
afterEach(async () => {
  graph.stop();
  await t.close();
});

test("the catalog order becomes the cart at our prices, and the customer hears our total", async () => {
  // sent just now (the fixture's own time is 2023: its 24-hour window would be long closed)
  order.entry[0].changes[0].value.messages[0].timestamp = String(Math.floor(Date.now() / 1000));
  const raw = JSON.stringify(order);
  const r = await t.req("POST", "/webhooks/whatsapp-cloud", {
    body: raw,
    headers: { "content-type": "application/json", "x-hub-signature-256": sign(raw, SECRET) },
  });
  expect(r.status).toBe(200);
  let cart = null as Awaited<ReturnType<typeof getCart>> | null;
  for (let i = 0; i < 100; i++) {
    const row = await t.ctx.db.select().from(carts).get();
    if (row?.lines.length) {
      cart = await getCart(t.ctx, SYS, row.conversationId);
      const sent = await t.ctx.db.select().from(messages).where(eq(messages.conversationId, row.conversationId));
      if (sent.some((m) => m.direction === "activity")) break;
    }
    await Bun.sleep(20);
  }
  expect(cart!.lines.map((l) => [l.sku, l.quantity, l.unitPrice])).toEqual([
    ["HAMBURGER", 3, 9500],
    ["FRENCH_FRIES", 2, 4000],
  ]);
  expect(cart!.total).toBe(36500);
  const all = await t.ctx.db.select().from(messages).where(eq(messages.conversationId, cart!.conversationId));
  expect(all.find((m) => m.direction === "out")?.body).toBe(
    [
      "Recibimos tu selección del catálogo. Con los precios de nuestro menú queda así:",
      "3 × Hamburguesa — $285.00 MXN",
      "2 × Papas a la francesa — $80.00 MXN",
      "Esto no lo tenemos disponible ahora: SODA.",
      "Total: $365.00 MXN. ¿Lo confirmamos? Responde «sí» o dinos qué cambiar.",
    ].join("\n"),
  );
  expect(JSON.parse(all.find((m) => m.direction === "activity")!.body)).toEqual({
    key: "catalog_order",
    params: { ours: "$365.00 MXN", theirs: "180 ILS" },
  });
});
