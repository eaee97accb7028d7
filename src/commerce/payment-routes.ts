// Commerce's public routes: the payment providers' webhooks (signed by the provider: no session, no key), the
// customer's page after paying, the courier's and tracking links, the stores' webhooks and the catalog's pictures.
import { Hono } from "hono";
import type { Env } from "../app/http.ts";
import { mercadoPagoNotice, stripeNotice } from "./payments.ts";
import { getBusiness } from "../setup/service.ts";
import { translator } from "../../ui/i18n/index.ts";
import { Bare } from "../../ui/components/layout.ts";
import { html, renderPage } from "../../ui/components/html.ts";
import { CourierPage, TrackingPage } from "../../ui/pages/commerce/runs.ts";
import * as runs from "./runs.ts";
import * as stores from "./stores.ts";
import { badRequest, notFound } from "../platform/errors.ts";
import { fileResponse } from "../app/http.ts";
import { productImageFile } from "./images.ts";
import type { Ctx } from "../platform/context.ts";

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

/**
 * The courier's page and its actions (the private link is the credential: no session), and the customer's
 * tracking page. Both in the business's language.
 */
export function courierRoutes() {
  const app = new Hono<Env>();
  const lang = async (c: { get(k: "ctx"): Ctx }) => {
    const b = await getBusiness(c.get("ctx"));
    const locale = (b?.locale as "es" | "en" | undefined) ?? c.get("ctx").config.default_locale;
    return { locale, t: translator(locale), tz: b?.timezone };
  };
  app.get("/courier/:token", async (c) => {
    const ctx = c.get("ctx");
    const { locale, t } = await lang(c);
    const v = await runs.courierView(ctx, c.req.param("token"));
    const { formatMoney } = await import("./service.ts");
    return c.html(
      renderPage(
        CourierPage({
          t,
          locale,
          token: c.req.param("token"),
          name: v.courier.name,
          runs: v.runs.map((r) => ({
            id: r.id,
            status: r.status,
            totalMinutes: r.totalMinutes,
            stops: r.stops.map((s) => ({
              orderId: s.orderId,
              number: s.number,
              address: s.address,
              etaMinutes: s.etaMinutes,
              deliveredAt: s.deliveredAt,
              navigate: s.navigate,
              amountDue: s.paid ? null : formatMoney(s.total, s.currency, locale),
            })),
          })),
        }),
      ),
    );
  });
  app.post("/courier/:token/runs/:runId/start", async (c) => {
    await runs.startRun(c.get("ctx"), c.req.param("token"), c.req.param("runId"));
    return c.redirect(`/courier/${c.req.param("token")}`);
  });
  app.post("/courier/:token/runs/:runId/stops/:orderId/delivered", async (c) => {
    await runs.deliverStop(c.get("ctx"), c.req.param("token"), c.req.param("runId"), c.req.param("orderId"));
    return c.redirect(`/courier/${c.req.param("token")}`);
  });
  app.post("/courier/:token/position", async (c) => {
    const body = runs.positionInput.safeParse(await c.req.json().catch(() => null));
    if (!body.success) throw badRequest("invalid_position", "lat and lng, in degrees");
    return c.json({ data: await runs.sharePosition(c.get("ctx"), c.req.param("token"), body.data) });
  });
  app.get("/track/:token", async (c) => {
    const { locale, t, tz } = await lang(c);
    const v = await runs.trackingView(c.get("ctx"), c.req.param("token"));
    return c.html(renderPage(TrackingPage({ t, locale, tz, ...v })));
  });
  return app;
}

/** The catalog's pictures, for anyone (the web chat shows them): only files that are some product's picture. */
export function productPictures() {
  const app = new Hono<Env>();
  app.get("/:fileId", async (c) => {
    const f = await productImageFile(c.get("ctx"), c.req.param("fileId"));
    if (!f) throw notFound("Picture");
    const r = fileResponse(f.file, f.row.mime, f.row.name);
    r.headers.set("cache-control", "public, max-age=86400, immutable");
    return r;
  });
  return app;
}

/** The stores' webhooks (Shopify, WooCommerce): signed by the store over the raw body. */
export function storeWebhooks() {
  const app = new Hono<Env>();
  app.post("/shopify", async (c) => {
    const outcome = await stores.shopifyWebhook(c.get("ctx"), await c.req.text(), {
      hmac: c.req.header("x-shopify-hmac-sha256"),
      topic: c.req.header("x-shopify-topic"),
      webhookId: c.req.header("x-shopify-webhook-id"),
      shop: c.req.header("x-shopify-shop-domain"),
    });
    return c.json({ received: true, outcome });
  });
  app.post("/woocommerce", async (c) => {
    const outcome = await stores.wooWebhook(c.get("ctx"), await c.req.text(), {
      signature: c.req.header("x-wc-webhook-signature"),
      topic: c.req.header("x-wc-webhook-topic"),
      deliveryId: c.req.header("x-wc-webhook-delivery-id"),
    });
    return c.json({ received: true, outcome });
  });
  return app;
}
