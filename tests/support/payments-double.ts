// Protocol doubles of Stripe and Mercado Pago on 127.0.0.1, from tests/fixtures/payments/NOTES.md (copied from ../shared/fixtures) and their
// fixtures: Stripe's POST /v1/checkout/sessions (form-encoded, bearer secret key, Idempotency-Key) and its signed
// checkout.session.completed event (Stripe-Signature t/v1 over "t.body"); Mercado Pago's POST /checkout/preferences,
// GET /v1/payments/:id and its notification (x-signature ts/v1 over the "id;request-id;ts" manifest, data.id in the
// query string). Each notice is delivered as the provider does: again after a failure, and sometimes twice anyway.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createHmac, randomUUID } from "node:crypto";

const FIX = join(import.meta.dir, "../fixtures/payments");
const hex = (key: string, msg: string) => createHmac("sha256", key).update(msg).digest("hex");

export type PaymentsDouble = ReturnType<typeof startPaymentsDouble>;

export function startPaymentsDouble(opts: { stripeKey: string; mpToken: string }) {
  const sessions = new Map<string, { form: URLSearchParams; idempotencyKey: string | null }>();
  const preferences = new Map<string, Record<string, any>>();
  const payments = new Map<string, Record<string, any>>();
  const requests: { method: string; path: string; auth: string | null }[] = [];
  let seq = 0;
  /** the next GET /v1/payments answers with this status once (an outage of Mercado Pago's API) */
  let paymentsDown = 0;

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req): Promise<Response> {
      const url = new URL(req.url);
      const auth = req.headers.get("authorization");
      requests.push({ method: req.method, path: url.pathname, auth });
      if (req.method === "POST" && url.pathname === "/v1/checkout/sessions") {
        if (auth !== `Bearer ${opts.stripeKey}`)
          return Response.json(
            { error: { type: "invalid_request_error", message: "Invalid API Key provided" } },
            { status: 401 },
          );
        const form = new URLSearchParams(await req.text());
        const key = req.headers.get("idempotency-key");
        // the same Idempotency-Key returns the same session
        for (const [id, s] of sessions)
          if (key && s.idempotencyKey === key)
            return Response.json({ id, object: "checkout.session", url: `${base()}/c/pay/${id}` });
        if (!form.get("line_items[0][price_data][unit_amount]"))
          return Response.json(
            { error: { type: "invalid_request_error", message: "Missing required param: line_items[0][price_data]." } },
            { status: 400 },
          );
        const id = `cs_test_${String(++seq).padStart(10, "0")}`;
        sessions.set(id, { form, idempotencyKey: key });
        return Response.json({
          id,
          object: "checkout.session",
          url: `${base()}/c/pay/${id}`,
          payment_status: "unpaid",
        });
      }
      if (req.method === "POST" && url.pathname === "/checkout/preferences") {
        if (auth !== `Bearer ${opts.mpToken}`)
          return Response.json({ message: "invalid_token", error: "unauthorized", status: 401 }, { status: 401 });
        const body = (await req.json()) as Record<string, any>;
        const id = `1234567-${randomUUID()}`;
        preferences.set(id, body);
        return Response.json(
          {
            id,
            init_point: `${base()}/checkout/v1/redirect?pref_id=${id}`,
            external_reference: body.external_reference,
          },
          { status: 201 },
        );
      }
      const m = /^\/v1\/payments\/(\w+)$/.exec(url.pathname);
      if (req.method === "GET" && m) {
        if (auth !== `Bearer ${opts.mpToken}`) return Response.json({ message: "invalid_token" }, { status: 401 });
        if (paymentsDown > 0) {
          paymentsDown--;
          return Response.json({ message: "internal_error" }, { status: 500 });
        }
        const p = payments.get(m[1]);
        return p ? Response.json(p) : Response.json({ message: "Payment not found", status: 404 }, { status: 404 });
      }
      return new Response("not found", { status: 404 });
    },
  });
  const base = (): string => `http://127.0.0.1:${server.port}`;

  return {
    url: base(),
    sessions,
    preferences,
    payments,
    requests,
    failPaymentsOnce(n = 1) {
      paymentsDown = n;
    },
    /** Stripe's checkout.session.completed for a session, from the fixture, with its signature header. */
    stripeEvent(
      sessionId: string,
      secret: string,
      over: { amount?: number; currency?: string; paid?: boolean; at?: number; eventId?: string } = {},
    ) {
      const s = sessions.get(sessionId)!;
      const ev = JSON.parse(readFileSync(join(FIX, "stripe-checkout.session.completed.json"), "utf8"));
      ev.id = over.eventId ?? `evt_test_${sessionId.slice(-10)}`;
      const o = ev.data.object;
      o.id = sessionId;
      o.client_reference_id = s.form.get("client_reference_id");
      o.metadata = { order_id: s.form.get("metadata[order_id]") };
      o.amount_total = over.amount ?? Number(s.form.get("line_items[0][price_data][unit_amount]"));
      o.amount_subtotal = o.amount_total;
      o.currency = over.currency ?? s.form.get("line_items[0][price_data][currency]");
      o.payment_status = over.paid === false ? "unpaid" : "paid";
      const body = JSON.stringify(ev);
      const t = Math.floor((over.at ?? Date.now()) / 1000);
      return { body, header: `t=${t},v1=${hex(secret, `${t}.${body}`)}` };
    },
    /** A customer pays a preference: the payment Mercado Pago will answer for, and its notification. */
    mpPay(
      preferenceId: string,
      secret: string,
      over: { status?: string; amount?: number; tsMillis?: boolean; at?: number } = {},
    ) {
      const pref = preferences.get(preferenceId)!;
      const id = String(100000000 + ++seq);
      payments.set(id, {
        id: Number(id),
        status: over.status ?? "approved",
        status_detail: over.status === "pending" ? "pending_waiting_payment" : "accredited",
        external_reference: pref.external_reference,
        transaction_amount: over.amount ?? pref.items[0].unit_price,
        currency_id: pref.items[0].currency_id,
      });
      return this.mpNotice(id, secret, over);
    },
    /** The notification for a payment (the fixture's body with its data.id), signed as Mercado Pago signs it. */
    mpNotice(paymentId: string, secret: string, over: { tsMillis?: boolean; at?: number } = {}) {
      const ev = JSON.parse(readFileSync(join(FIX, "mercadopago-payment-notification.json"), "utf8"));
      ev.data.id = paymentId;
      const body = JSON.stringify(ev);
      const now = over.at ?? Date.now();
      const ts = over.tsMillis ? String(now) : String(Math.floor(now / 1000));
      const requestId = randomUUID();
      const v1 = hex(secret, `id:${paymentId.toLowerCase()};request-id:${requestId};ts:${ts};`);
      return {
        body,
        query: `?data.id=${paymentId}&type=payment`,
        headers: { "x-signature": `ts=${ts},v1=${v1}`, "x-request-id": requestId, "content-type": "application/json" },
      };
    },
    stop: () => server.stop(true),
  };
}
