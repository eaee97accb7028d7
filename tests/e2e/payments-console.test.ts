// Payments in the console (issue #13 item 4), at 375 and 1280 px, against the Stripe and Mercado Pago doubles:
// Settings → Pagos saved (a secret shown only as its last four, a refused address in Spanish), a payment link sent
// from an order's page (the customer gets it in the conversation), the provider's notice marking it paid.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { startPaymentsDouble, type PaymentsDouble } from "../support/payments-double.ts";
import { messages } from "../../src/inbox/schema.ts";
import { orders, paymentLinks } from "../../src/commerce/schema.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { addToCart, checkout, createProduct } from "../../src/commerce/service.ts";
import { getPaymentSettings } from "../../src/commerce/payments.ts";

const SYS = { kind: "system" } as const;
const STRIPE_KEY = "sk_test_console_0000000000009876";
const WHSEC = "whsec_console_000000000000004321";
let bed: Testbed, pay: PaymentsDouble;
beforeAll(async () => {
  bed = await consoleTestbed();
  pay = startPaymentsDouble({ stripeKey: STRIPE_KEY, mpToken: "unused" });
  await createProduct(bed.t.ctx, SYS, { sku: "TACO-P", name: "Taco al pastor", price: 2500 });
}, 60_000);
afterAll(async () => {
  pay?.stop();
  await bed?.close();
});

for (const viewport of VIEWPORTS)
  test(`Settings → Pagos, then a payment link from the order's page, paid by the provider (${viewport.width} px)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go("/settings/payments");
    await c.fits();
    const form = page.locator("#pay-stripe");
    await form.locator('input[name="secretKey"]').fill(STRIPE_KEY);
    await form.locator('input[name="webhookSecret"]').fill(WHSEC);
    // a bad address first: refused in Spanish, nothing saved
    await c.tap(form.locator("summary"));
    await form.locator('input[name="apiUrl"]').fill("ftp://pagos");
    await Promise.all([page.waitForEvent("load"), c.tap(form.locator("button.primary"))]);
    expect(await page.locator(".flash.err").textContent()).toContain("Revisa los datos");
    expect((await getPaymentSettings(bed.t.ctx)).stripe.secretKey).toBe(viewport.width === 375 ? "" : STRIPE_KEY);
    const again = page.locator("#pay-stripe");
    await again.locator('input[name="secretKey"]').fill(STRIPE_KEY);
    await again.locator('input[name="webhookSecret"]').fill(WHSEC);
    if (!(await again.locator('input[name="apiUrl"]').isVisible())) await c.tap(again.locator("summary"));
    await again.locator('input[name="apiUrl"]').fill(pay.url);
    await Promise.all([page.waitForEvent("load"), c.tap(again.locator("button.primary"))]);
    expect(await page.locator('#pay-stripe input[name="secretKey"]').inputValue()).toBe("••••9876");
    expect((await getPaymentSettings(bed.t.ctx)).stripe).toMatchObject({ secretKey: STRIPE_KEY, webhookSecret: WHSEC });

    // an order taken in chat, its link sent from its page
    const conv = (
      await ingestInbound(bed.t.ctx, {
        channelId: bed.s.webchat.id,
        from: { externalId: `pay-${viewport.width}`, name: "Cliente" },
        body: "hola",
      })
    ).conversationId;
    await addToCart(bed.t.ctx, SYS, conv, { sku: "TACO-P", quantity: 2 });
    const o = await checkout(bed.t.ctx, SYS, conv, { paymentMethod: "link" });
    await c.go(`/orders/${o.id}`);
    await c.fits();
    await Promise.all([page.waitForEvent("load"), c.tap('#pay-link button[type="submit"]')]);
    const link = (await bed.t.ctx.db.select().from(paymentLinks).where(eq(paymentLinks.orderId, o.id)).get())!;
    expect(await page.locator("#pay-links a").textContent()).toBe(link.url);
    const bodies = (await bed.t.ctx.db.select().from(messages).where(eq(messages.conversationId, conv))).map(
      (m) => m.body,
    );
    expect(bodies).toContain(`Puedes pagar tu pedido ${o.number} ($50.00 MXN) aquí: ${link.url}`);

    // the customer pays: Stripe's notice reaches the webhook, the page shows it paid
    const ev = pay.stripeEvent(link.externalId, WHSEC);
    const r = await fetch(`${bed.running.url}/webhooks/payments/stripe`, {
      method: "POST",
      body: ev.body,
      headers: { "stripe-signature": ev.header, "content-type": "application/json" },
    });
    expect(r.status).toBe(200);
    await c.go(`/orders/${o.id}`);
    expect(await page.locator("#order-payment").textContent()).toBe("Pagado");
    expect(await page.locator("#order-status").textContent()).toBe("Confirmado");
    expect(await page.locator("#pay-link").count()).toBe(0);
    expect((await bed.t.ctx.db.select().from(orders).where(eq(orders.id, o.id)).get())!.paymentStatus).toBe("paid");
    await c.close();
  }, 90_000);

// (after the Stripe tests: a saved Mercado Pago token makes it the default provider for new links)
for (const viewport of VIEWPORTS)
  test(`Settings → Pagos: Mercado Pago and bank transfer saved, the token shown only as its last four (${viewport.width} px)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    const token = `APP_USR-console-${viewport.width}-00005555`;
    await c.go("/settings/payments");
    const mp = page.locator("#pay-mp");
    await mp.locator('input[name="accessToken"]').fill(token);
    await mp.locator('input[name="webhookSecret"]').fill(`mp-secret-${viewport.width}`);
    await Promise.all([page.waitForEvent("load"), c.tap(mp.locator("button.primary"))]);
    expect(await page.locator('#pay-mp input[name="accessToken"]').inputValue()).toBe("••••5555");
    expect((await getPaymentSettings(bed.t.ctx)).mercadopago).toMatchObject({
      accessToken: token,
      webhookSecret: `mp-secret-${viewport.width}`,
    });
    // saving the transfer card keeps the sealed token (the masked value is not written back)
    const words = `CLABE 0121 8000 1234 5678 9${viewport.width}`;
    await page.locator('#pay-transfer textarea[name="transferInstructions"]').fill(words);
    await Promise.all([page.waitForEvent("load"), c.tap("#pay-transfer button.primary")]);
    expect(await page.locator('#pay-transfer textarea[name="transferInstructions"]').inputValue()).toBe(words);
    const saved = await getPaymentSettings(bed.t.ctx);
    expect(saved.transferInstructions).toBe(words);
    expect(saved.mercadopago.accessToken).toBe(token);
    await c.fits();
    await c.close();
  }, 60_000);
