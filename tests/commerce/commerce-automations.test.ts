// Commerce events in the automation engine (issue #13 item 9): the ready-made abandoned-cart reminder (a coupon made
// with it, the message sent once, the coupon then taking its 10% off), the ready-made payment reminder (an order by
// link or transfer still unpaid two hours on; not for one paid or cancelled meanwhile, nor for cash), and a rule on
// an order's status.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { automationKit } from "../support/automation.ts";
import { addToCart, applyCoupon, checkout, createProduct, setOrderStatus } from "../../src/commerce/service.ts";
import { markPaid, sweepCommerce, saveCommerceSettings } from "../../src/commerce/orders.ts";
import { createPaymentLink, savePaymentSettings } from "../../src/commerce/payments.ts";
import { startPaymentsDouble } from "../support/payments-double.ts";
import { startAutomation, stopAutomation } from "../../src/automation/index.ts";

const SYS = { kind: "system" } as const;
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
let now = Date.UTC(2026, 11, 2, 19, 0);
const kit = automationKit(() => ({ t, s }));
beforeEach(async () => {
  now = Date.UTC(2026, 11, 2, 19, 0);
  t = await makeTestApp({}, { clock: { now: () => now } });
  s = await seedBusiness(t.ctx);
  startAutomation(t.ctx, { tick: false });
  await createProduct(t.ctx, SYS, { sku: "PIZZA", name: "Pizza", price: 15000 });
});
afterEach(async () => {
  stopAutomation(t.ctx);
  await t.close();
});

test("the abandoned-cart reminder: installed with its coupon, sent once, and the coupon works", async () => {
  expect((await kit.api("POST", "/automations/recipes/abandoned_cart")).status).toBe(201);
  await saveCommerceSettings(t.ctx, SYS, { abandonedMinutes: 60 });
  const m = await kit.ingest("quiero una pizza", "ac1", "Ana Ruiz");
  await addToCart(t.ctx, SYS, m.conversationId, { sku: "PIZZA" });
  now += 61 * 60_000;
  expect((await sweepCommerce(t.ctx)).abandoned).toBe(1);
  await kit.settle();
  const sent = await kit.outBodies(m.conversationId, true);
  expect(sent).toEqual([
    "¡Hola Ana! Dejaste productos en tu carrito. Si lo terminas hoy, el cupón VUELVE10 te da 10% de descuento. Escríbenos «confirmo» y lo preparamos.",
  ]);
  // not again for the same cart
  now += 120 * 60_000;
  await sweepCommerce(t.ctx);
  await kit.settle();
  expect((await kit.outBodies(m.conversationId, true)).length).toBe(1);
  const cart = await applyCoupon(t.ctx, SYS, m.conversationId, "vuelve10");
  expect([cart.discount, cart.total]).toEqual([1500, 13500]);
  // installed twice: refused
  expect((await kit.api("POST", "/automations/recipes/abandoned_cart")).status).toBe(400);
});

test("a rule on an order's status: a note when an order is cancelled", async () => {
  await kit.create("/automations", {
    name: "Aviso de cancelación",
    trigger: { type: "order_status_changed", statuses: ["cancelled"] },
    actions: [{ type: "add_note", body: "Pedido cancelado: llamar al cliente" }],
  });
  const m = await kit.ingest("hola", "ac2");
  await addToCart(t.ctx, SYS, m.conversationId, { sku: "PIZZA" });
  const o = await checkout(t.ctx, SYS, m.conversationId, {});
  await setOrderStatus(t.ctx, SYS, o.id, { status: "confirmed" });
  await kit.settle();
  expect(await kit.outBodies(m.conversationId)).not.toContain("Pedido cancelado: llamar al cliente");
  await setOrderStatus(t.ctx, SYS, o.id, { status: "cancelled" });
  await kit.settle();
  expect(await kit.outBodies(m.conversationId)).toContain("Pedido cancelado: llamar al cliente");
});

test("the payment reminder: an order by link or transfer still unpaid after 2 hours, once; not when paid, cancelled or cash", async () => {
  const pay = startPaymentsDouble({ stripeKey: "sk_test_reminder_00000000000001", mpToken: "unused" });
  try {
    await savePaymentSettings(t.ctx, SYS, {
      stripe: { secretKey: "sk_test_reminder_00000000000001", webhookSecret: "whsec_reminder_000001", apiUrl: pay.url },
      transferInstructions: "BBVA, CLABE 0121 8000 1234 5678 90, a nombre de Pizzería Don Tito",
    });
    expect((await kit.api("POST", "/automations/recipes/payment_reminder")).status).toBe(201);
    const placed = async (who: string, name: string, paymentMethod: "link" | "transfer" | "cash") => {
      const m = await kit.ingest("quiero una pizza", who, name);
      await addToCart(t.ctx, SYS, m.conversationId, { sku: "PIZZA" });
      const o = await checkout(t.ctx, SYS, m.conversationId, { paymentMethod });
      return { conv: m.conversationId, o };
    };
    const link = await placed("pr1", "Ana Ruiz", "link");
    const url = (await createPaymentLink(t.ctx, SYS, link.o.id, { send: true })).url;
    const transfer = await placed("pr2", "Beto Paz", "transfer");
    const paid = await placed("pr3", "Carla Gil", "transfer");
    const cancelled = await placed("pr4", "Diego Luna", "link");
    const cash = await placed("pr5", "Elena Sol", "cash");
    await kit.settle();
    await markPaid(t.ctx, SYS, paid.o.id, {});
    await setOrderStatus(t.ctx, SYS, cancelled.o.id, { status: "cancelled" });
    await kit.settle();
    const before = {
      link: (await kit.outBodies(link.conv, true)).length,
      transfer: (await kit.outBodies(transfer.conv, true)).length,
    };
    // not before the two hours
    now += 119 * 60_000;
    await kit.settle();
    expect((await kit.outBodies(link.conv, true)).length).toBe(before.link);
    now += 2 * 60_000;
    await kit.settle();
    const lastOf = async (c: string) => (await kit.outBodies(c, true)).slice(before.link);
    expect(await lastOf(link.conv)).toEqual([
      `Hola Ana, tu pedido ${link.o.number} por $150.00 MXN sigue pendiente de pago. Puedes pagarlo aquí: ${url} Si ya pagaste, envíanos tu comprobante por aquí.`,
    ]);
    expect((await kit.outBodies(transfer.conv, true)).slice(before.transfer)).toEqual([
      `Hola Beto, tu pedido ${transfer.o.number} por $150.00 MXN sigue pendiente de pago. Datos para la transferencia: BBVA, CLABE 0121 8000 1234 5678 90, a nombre de Pizzería Don Tito. Si ya pagaste, envíanos tu comprobante por aquí.`,
    ]);
    for (const other of [paid, cancelled, cash])
      expect((await kit.outBodies(other.conv, true)).join("\n")).not.toContain("pendiente de pago");
    // once: a day later nothing more
    now += 24 * 60 * 60_000;
    await kit.settle();
    expect((await lastOf(link.conv)).length).toBe(1);
  } finally {
    pay.stop();
  }
});
