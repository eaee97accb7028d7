// An order's step told after WhatsApp's 24-hour window has closed (issue #13 item 5): with a status template set, the
// customer gets the approved template (the order's number and its status in words); without one, the step stands
// and its history says the customer could not be told.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { addWhatsAppCloud, makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { startGraphDouble, type GraphDouble } from "../support/graph-double.ts";
import { ingestInbound, forgetChannels } from "../../src/inbox/service.ts";
import { conversations, messages } from "../../src/inbox/schema.ts";
import { channelTemplates } from "../../src/channels/schema.ts";
import { addToCart, checkout, createProduct, getOrder, setOrderStatus } from "../../src/commerce/service.ts";
import { saveCommerceSettings } from "../../src/commerce/orders.ts";

const SYS = { kind: "system" } as const;
let t: TestApp, graph: GraphDouble;
let now = Date.UTC(2026, 11, 2, 19, 0);
beforeEach(async () => {
  now = Date.UTC(2026, 11, 2, 19, 0);
  t = await makeTestApp({}, { clock: { now: () => now } });
  await seedBusiness(t.ctx);
  graph = startGraphDouble({ token: "tok", appSecret: "sec" });
  await createProduct(t.ctx, SYS, { sku: "PIZZA", name: "Pizza", price: 15000 });
});
afterEach(async () => {
  graph.stop();
  await t.close();
});

test("after 24 hours the step goes as the approved template; without one the history says it was not told", async () => {
  const ch = await addWhatsAppCloud(t.ctx, {
    phoneNumberId: "1122334455667",
    accessToken: "tok",
    appSecret: "sec",
    graphUrl: graph.url,
  });
  forgetChannels(t.ctx);
  await t.ctx.database.write((tx) =>
    tx.insert(channelTemplates).values({
      id: "tpl1",
      channelId: ch.id,
      name: "estado_pedido",
      language: "es_MX",
      status: "APPROVED",
      body: "Tu pedido {{1}} está {{2}}.",
      params: 2,
      updatedAt: now,
    }),
  );
  const c = (
    await ingestInbound(t.ctx, { channelId: ch.id, from: { externalId: "5215512345678", name: "Ana" }, body: "hola" })
  ).conversationId;
  await addToCart(t.ctx, SYS, c, { sku: "PIZZA" });
  const o = await checkout(t.ctx, SYS, c, {});
  // a day and a half later, the window is closed
  now += 36 * 3_600_000;
  await setOrderStatus(t.ctx, SYS, o.id, { status: "confirmed" });
  expect((await getOrder(t.ctx, SYS, o.id)).history.at(-1)).toMatchObject({
    kind: "not_told",
    data: { status: "confirmed", code: "outside_reply_window" },
  });
  await saveCommerceSettings(t.ctx, SYS, { statusTemplate: { name: "estado_pedido", language: "es_MX" } });
  await setOrderStatus(t.ctx, SYS, o.id, { status: "preparing" });
  const last = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, c))).at(-1)!;
  expect([last.body, last.content?.kind, last.content?.template]).toEqual([
    `Tu pedido ${o.number} está en preparación.`,
    "template",
    { name: "estado_pedido", language: "es_MX", params: [o.number, "en preparación"] },
  ]);
  expect((await t.ctx.db.select().from(conversations).where(eq(conversations.id, c)).get())!.ownerType).not.toBe(
    "agent",
  );
});
