// Payment links and the providers' notifications (issue #13 item 4) against the Stripe and Mercado Pago doubles:
// the link made for the order's total and sent in the conversation; a verified notice marks the order paid once
// (it moves on to confirmed and the customer is told) however often the provider repeats it; a forged, stale or
// short-paid notice changes nothing; Mercado Pago's notice is only a pointer, and an outage of its API is answered
// as a failure so it is sent again; the secrets are sealed at rest and never shown back.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { startPaymentsDouble, type PaymentsDouble } from "../support/payments-double.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { messages } from "../../src/inbox/schema.ts";
import { settings } from "../../src/platform/schema.ts";
import { orders, paymentLinks } from "../../src/commerce/schema.ts";
import { addToCart, checkout, createProduct } from "../../src/commerce/service.ts";
import { verifyMercadoPago, verifyStripe } from "../../src/commerce/payments.ts";

const SYS = { kind: "system" } as const;
const STRIPE_KEY = "sk_test_51Hxyz0000000000000001234";
const WHSEC = "whsec_test_0000000000000000000000005678";
const MP_TOKEN = "APP_USR-1234567890-000000-abcdef-999";
const MP_SECRET = "mp-secret-signature-key-0042";
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, pay: PaymentsDouble;
const key = () => ({ authorization: `Bearer ${s.apiKey}` });
const api = async (method: string, path: string, json?: unknown) => {
  const r = await t.req(method, `/api/v1${path}`, { headers: key(), json });
  return { status: r.status, body: await r.json() };
};
const configure = () =>
  api("PUT", "/payment-settings", {
    stripe: { secretKey: STRIPE_KEY, webhookSecret: WHSEC, apiUrl: pay.url },
    mercadopago: { accessToken: MP_TOKEN, webhookSecret: MP_SECRET, apiUrl: pay.url },
  });

beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  pay = startPaymentsDouble({ stripeKey: STRIPE_KEY, mpToken: MP_TOKEN });
  await createProduct(t.ctx, SYS, { sku: "TACO-P", name: "Taco al pastor", price: 2500 });
});
afterEach(async () => {
  pay.stop();
  await t.close();
});

async function order(quantity = 4) {
  const c = (
    await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `p${quantity}`, name: "Cliente" },
      body: "hola",
    })
  ).conversationId;
  await addToCart(t.ctx, SYS, c, { sku: "TACO-P", quantity });
  return checkout(t.ctx, SYS, c, { paymentMethod: "link" });
}
const row = async (id: string) => (await t.ctx.db.select().from(orders).where(eq(orders.id, id)).get())!;
const told = async (c: string) =>
  (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, c))).map((m) => m.body);
const stripeHook = (body: string, header: string) =>
  t.req("POST", "/webhooks/payments/stripe", {
    body,
    headers: { "stripe-signature": header, "content-type": "application/json" },
  });
const mpHook = (n: { body: string; query: string; headers: Record<string, string> }) =>
  t.req("POST", `/webhooks/payments/mercadopago${n.query}`, { body: n.body, headers: n.headers });

test("the settings: secrets sealed at rest, shown as their last 4, a masked one sent back stays", async () => {
  expect((await api("POST", `/orders/${(await order()).id}/payment-link`, {})).body.error.code).toBe(
    "payments_not_configured",
  );
  const r = await configure();
  expect(r.status).toBe(200);
  expect(r.body.data.stripe).toMatchObject({ secretKey: "••••1234", webhookSecret: "••••5678", configured: true });
  const raw = JSON.stringify((await t.ctx.db.select().from(settings).where(eq(settings.key, "payments")).get())!.value);
  for (const secret of [STRIPE_KEY, WHSEC, MP_TOKEN, MP_SECRET]) expect(raw).not.toContain(secret);
  expect(raw).toContain("enc:v1:");
  // the page sends back what it showed: the secret stays
  await api("PUT", "/payment-settings", { stripe: { secretKey: "••••1234", webhookSecret: "" } });
  expect((await api("GET", "/payment-settings")).body.data.stripe.secretKey).toBe("••••1234");
  const bad = await api("PUT", "/payment-settings", { stripe: { apiUrl: "ftp://x" } });
  expect([bad.status, bad.body.error.code]).toEqual([400, "validation_failed"]);
  // agents cannot read or change them
  expect((await t.req("GET", "/api/v1/payment-settings", { headers: {} })).status).toBe(401);
});

test("Stripe: a link for the total sent in chat; a signed notice marks it paid once, however often it comes", async () => {
  await configure();
  const o = await order();
  const r = await api("POST", `/orders/${o.id}/payment-link`, { provider: "stripe" });
  expect(r.status).toBe(201);
  const link = r.body.data;
  const sent = pay.sessions.get(link.externalId)!.form;
  expect([
    sent.get("line_items[0][price_data][unit_amount]"),
    sent.get("line_items[0][price_data][currency]"),
    sent.get("client_reference_id"),
  ]).toEqual(["10000", "mxn", o.id]);
  expect(await told(o.conversationId!)).toContain(`Puedes pagar tu pedido ${o.number} ($100.00 MXN) aquí: ${link.url}`);
  expect((await row(o.id)).paymentStatus).toBe("pending");
  // asked again: the same link
  expect((await api("POST", `/orders/${o.id}/payment-link`, { provider: "stripe" })).body.data.id).toBe(link.id);

  // forged (another secret), stale (an hour old), or short-paid: nothing changes
  const forged = pay.stripeEvent(link.externalId, "whsec_someone_else");
  expect((await stripeHook(forged.body, forged.header)).status).toBe(401);
  const stale = pay.stripeEvent(link.externalId, WHSEC, { at: Date.now() - 3_600_000 });
  expect((await stripeHook(stale.body, stale.header)).status).toBe(401);
  const tampered = pay.stripeEvent(link.externalId, WHSEC);
  expect(
    (await stripeHook(tampered.body.replace('"amount_total":10000', '"amount_total":100'), tampered.header)).status,
  ).toBe(401);
  const short = pay.stripeEvent(link.externalId, WHSEC, { amount: 100, eventId: "evt_short" });
  expect(await (await stripeHook(short.body, short.header)).json()).toEqual({
    received: true,
    outcome: "amount_mismatch",
  });
  expect((await row(o.id)).paymentStatus).toBe("pending");

  // the real one, delivered three times (Stripe retries): paid once, confirmed, the customer told once
  const ev = pay.stripeEvent(link.externalId, WHSEC);
  const outcomes = [];
  for (let i = 0; i < 3; i++) outcomes.push((await (await stripeHook(ev.body, ev.header)).json()).outcome);
  expect(outcomes).toEqual(["paid", "duplicate", "duplicate"]);
  const paid = await row(o.id);
  expect([paid.paymentStatus, paid.status]).toEqual(["paid", "confirmed"]);
  const lines = await told(o.conversationId!);
  expect(lines.filter((b) => b.startsWith(`Tu pedido ${o.number} está confirmado`))).toHaveLength(1);
  expect((await t.ctx.db.select().from(paymentLinks).where(eq(paymentLinks.orderId, o.id)))[0].status).toBe("paid");
  // a paid order gets no new link
  expect((await api("POST", `/orders/${o.id}/payment-link`, {})).body.error.code).toBe("order_paid");
});

test("Mercado Pago: the notice is a pointer (the payment is read), verified with ts in seconds or milliseconds", async () => {
  await configure();
  const o = await order(2);
  const link = (await api("POST", `/orders/${o.id}/payment-link`, { provider: "mercadopago" })).body.data;
  const pref = pay.preferences.get(link.externalId)!;
  expect([pref.items[0].unit_price, pref.items[0].currency_id, pref.external_reference]).toEqual([50, "MXN", o.id]);
  expect(pref.notification_url).toEndWith("/webhooks/payments/mercadopago?source_news=webhooks");

  // a pending payment (OXXO, a transfer not yet in): the order waits
  const pending = pay.mpPay(link.externalId, MP_SECRET, { status: "pending" });
  expect(await (await mpHook(pending)).json()).toEqual({ received: true, outcome: "pending" });
  expect((await row(o.id)).paymentStatus).toBe("pending");

  // forged: 401 and nothing is read from Mercado Pago
  const approved = pay.mpPay(link.externalId, MP_SECRET, { tsMillis: true });
  const before = pay.requests.length;
  const forged = {
    ...approved,
    headers: { ...approved.headers, "x-signature": approved.headers["x-signature"].replace(/v1=\w{4}/, "v1=0000") },
  };
  expect((await mpHook(forged)).status).toBe(401);
  expect(pay.requests.length).toBe(before);

  // Mercado Pago's API is down: the notice is answered as a failure, so it comes again; then it is paid, once
  pay.failPaymentsOnce();
  expect((await mpHook(approved)).status).toBe(502);
  expect((await row(o.id)).paymentStatus).toBe("pending");
  expect(await (await mpHook(approved)).json()).toEqual({ received: true, outcome: "paid" });
  expect(await (await mpHook(approved)).json()).toEqual({ received: true, outcome: "duplicate" });
  const paid = await row(o.id);
  expect([paid.paymentStatus, paid.status]).toEqual(["paid", "confirmed"]);
  const d = (await api("GET", `/orders/${o.id}`)).body.data;
  expect(d.history.find((h: { kind: string }) => h.kind === "paid").data.reference).toMatch(/^mercadopago \d+$/);
});

test("the signature rules, by hand: Stripe's t/v1 and Mercado Pago's manifest", () => {
  const now = 1_704_908_010_000;
  const t0 = String(now / 1000);
  const body = '{"id":"evt_1"}';
  const v1 = new Bun.CryptoHasher("sha256", "whsec_x").update(`${t0}.${body}`).digest("hex");
  expect(verifyStripe(`t=${t0},v1=${v1}`, body, "whsec_x", now)).toBe(true);
  expect(verifyStripe(`t=${t0},v1=deadbeef,v1=${v1}`, body, "whsec_x", now)).toBe(true); // a rolled secret: either
  expect(verifyStripe(`t=${t0},v1=${v1}`, `${body} `, "whsec_x", now)).toBe(false);
  expect(verifyStripe(`t=${t0},v1=${v1}`, body, "whsec_x", now + 301_000)).toBe(false);
  expect(verifyStripe(undefined, body, "whsec_x", now)).toBe(false);
  // Mercado Pago: an alphanumeric id is lower-cased in the manifest; an absent request id is left out
  const m = "id:ord01abc;ts:1704908010;";
  const sig = new Bun.CryptoHasher("sha256", "k").update(m).digest("hex");
  expect(verifyMercadoPago(`ts=1704908010,v1=${sig}`, undefined, "ORD01ABC", "k", now)).toBe(true);
  expect(verifyMercadoPago(`ts=1704908010,v1=${sig}`, "req-1", "ORD01ABC", "k", now)).toBe(false);
  // the docs' own example header is not valid for a secret we know
  expect(
    verifyMercadoPago(
      "ts=1704908010,v1=618c85345248dd820d5fd456117c2ab2ef8eda45a0282ff693eac24131a5e839",
      "2066ca4f-8b38-4a4d-9e3b-3f1a0a7f2b3c",
      "123456",
      "k",
      now,
    ),
  ).toBe(false);
});
