// The payment providers' webhooks (signed by the provider: no session, no key) and the customer's page after paying.
import { Hono } from "hono";
import type { Env } from "../app/http.ts";
import { mercadoPagoNotice, stripeNotice } from "./payments.ts";
import { getBusiness } from "../setup/service.ts";
import { translator } from "../../ui/i18n/index.ts";
import { Bare } from "../../ui/components/layout.ts";
import { html, renderPage } from "../../ui/components/html.ts";

export function paymentWebhooks() {
  const app = new Hono<Env>();
  // answered only once the notice is committed (a failure is answered as one: the provider sends it again)
  app.post("/stripe", async (c) => {
    const outcome = await stripeNotice(c.get("ctx"), await c.req.text(), c.req.header("stripe-signature"));
    return c.json({ received: true, outcome });
  });
  app.post("/mercadopago", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { type?: string; data?: { id?: string | number } };
    const outcome = await mercadoPagoNotice(
      c.get("ctx"),
      {
        dataId: c.req.query("data.id") ?? (body.data?.id === undefined ? undefined : String(body.data.id)),
        type: c.req.query("type") ?? body.type,
      },
      { signature: c.req.header("x-signature"), requestId: c.req.header("x-request-id") },
    );
    return c.json({ received: true, outcome });
  });
  return app;
}

/** Where the provider sends the customer back: a thank-you in the business's language. */
export function paymentDonePage() {
  const app = new Hono<Env>();
  app.get("/done", async (c) => {
    const b = await getBusiness(c.get("ctx"));
    const locale = (b?.locale as "es" | "en" | undefined) ?? c.get("ctx").config.default_locale;
    const t = translator(locale);
    const number = (c.req.query("order") ?? "").replace(/[^\w-]/g, "").slice(0, 40);
    return c.html(
      renderPage(
        Bare({
          locale,
          title: t("pay.doneTitle"),
          children: html`<div class="card"><h1>${t("pay.doneTitle")}</h1><p>${t("pay.done", { number, business: b?.name ?? "" })}</p></div>`,
        }),
      ),
    );
  });
  return app;
}
