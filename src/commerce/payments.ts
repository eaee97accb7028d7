// Payment links (manual 2.5, "paga en línea"): a Stripe Checkout session or a Mercado Pago preference made for an
// order and sent to the customer in their conversation; the providers' notifications verified (Stripe's
// `Stripe-Signature` t/v1 over "t.body"; Mercado Pago's `x-signature` over its "id;request-id;ts" manifest, then the
// payment read from its API, since the notice is only a pointer), handled once however often they retry, and the
// order marked paid (it moves on to confirmed and the customer is told). Cash and transfer are confirmed by a person.
import { z } from "zod";
import { createHmac, timingSafeEqual } from "node:crypto";
import { and, desc, eq } from "drizzle-orm";
import { orders, paymentLinks, paymentNotices } from "./schema.ts";
import type { Order } from "./service.ts";
import { visibleOrder } from "./orders.ts";
import { newId } from "../platform/ids.ts";
import { AppError, badRequest, conflict } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { businessLocale, getSetting, putSetting } from "../setup/service.ts";
import { maskFields, mergeSecrets, openFields, sealFields } from "../platform/secrets.ts";
import { FetchRefused, guardedFetch } from "../platform/net-guard.ts";
import { translator } from "../../ui/i18n/index.ts";

const SECRET_KEYS = new Set(["secretKey", "webhookSecret", "accessToken"]);

export const paymentSettings = z.strictObject({
  stripe: z
    .strictObject({
      /** sk_live_… or sk_test_… */
      secretKey: z.string().trim().max(300).default(""),
      /** whsec_…, the endpoint's signing secret */
      webhookSecret: z.string().trim().max(300).default(""),
      apiUrl: z.url({ protocol: /^https?$/ }).default("https://api.stripe.com"),
    })
    .default({ secretKey: "", webhookSecret: "", apiUrl: "https://api.stripe.com" }),
  mercadopago: z
    .strictObject({
      accessToken: z.string().trim().max(300).default(""),
      /** the application's "clave secreta" for notifications */
      webhookSecret: z.string().trim().max(300).default(""),
      apiUrl: z.url({ protocol: /^https?$/ }).default("https://api.mercadopago.com"),
    })
    .default({ accessToken: "", webhookSecret: "", apiUrl: "https://api.mercadopago.com" }),
  /** what the customer is told for a bank transfer (CLABE, bank, name) */
  transferInstructions: z.string().max(1000).default(""),
});
export type PaymentSettings = z.output<typeof paymentSettings>;
export type Provider = "stripe" | "mercadopago";

type Stored = { stripe: Record<string, unknown>; mercadopago: Record<string, unknown>; transferInstructions?: string };

/** The settings with their secrets open (for the server's own use only). */
export async function getPaymentSettings(ctx: Ctx): Promise<PaymentSettings> {
  const raw = ((await getSetting<Stored>(ctx, "payments")) ?? {}) as Partial<Stored>;
  return paymentSettings.parse({
    ...raw,
    stripe: openFields(raw.stripe ?? {}, SECRET_KEYS),
    mercadopago: openFields(raw.mercadopago ?? {}, SECRET_KEYS),
  });
}

/** The settings as a person sees them: a secret only as its last four characters. */
export async function paymentSettingsView(ctx: Ctx) {
  const s = await getPaymentSettings(ctx);
  return {
    stripe: {
      ...maskFields(s.stripe, SECRET_KEYS),
      configured: !!(s.stripe.secretKey && s.stripe.webhookSecret),
    },
    mercadopago: {
      ...maskFields(s.mercadopago, SECRET_KEYS),
      configured: !!(s.mercadopago.accessToken && s.mercadopago.webhookSecret),
    },
    transferInstructions: s.transferInstructions,
  };
}

/** Saves the settings; a secret left empty or sent back as shown (••••1234) stays as it was. */
export async function savePaymentSettings(ctx: Ctx, actor: Actor, input: unknown) {
  assertAdmin(actor);
  const cur = await getPaymentSettings(ctx);
  const given = (input ?? {}) as {
    stripe?: Record<string, unknown>;
    mercadopago?: Record<string, unknown>;
    transferInstructions?: string;
  };
  const v = paymentSettings.parse({
    stripe: mergeSecrets(cur.stripe, given.stripe, SECRET_KEYS),
    mercadopago: mergeSecrets(cur.mercadopago, given.mercadopago, SECRET_KEYS),
    transferInstructions: given.transferInstructions ?? cur.transferInstructions,
  });
  const stored = {
    stripe: sealFields(v.stripe, SECRET_KEYS),
    mercadopago: sealFields(v.mercadopago, SECRET_KEYS),
    transferInstructions: v.transferInstructions,
  };
  await ctx.database.write((tx) => putSetting(tx, "payments", stored, ctx.clock.now()));
  return paymentSettingsView(ctx);
}

// ---------------------------------------------------------------- links

/** The provider's API, through the guard (its configured host may be on a private address: the owner set it). */
async function providerFetch(
  apiUrl: string,
  path: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) {
  const url = `${apiUrl.replace(/\/$/, "")}${path}`;
  try {
    const r = await guardedFetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      allowHosts: [new URL(apiUrl).hostname.toLowerCase()],
      maxBytes: 1024 * 1024,
      timeoutMs: 15_000,
      maxRedirects: 0,
    });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(r.text());
    } catch {
      /* not JSON: the status says what happened */
    }
    return { status: r.status, ok: r.ok, json };
  } catch (e) {
    if (e instanceof FetchRefused)
      throw new AppError(
        502,
        "payment_provider_unreachable",
        `The payment provider could not be reached: ${e.message}`,
      );
    throw e;
  }
}

const providerError = (provider: Provider, status: number, json: Record<string, unknown>) => {
  const err = json.error as { message?: string } | undefined;
  const message = err?.message ?? (json.message as string | undefined) ?? `HTTP ${status}`;
  return new AppError(502, "payment_provider_error", `${provider}: ${message}`, { provider, status });
};

/** The address customers and providers reach DigyBot at (the configured public URL, else where it listens). */
export const baseUrl = (ctx: Ctx) =>
  (ctx.config.public_url ?? `http://${ctx.config.host}:${ctx.config.port}`).replace(/\/$/, "");

/**
 * A payment link for the order's total at a provider, made once per order and provider (asking again returns the
 * open one); sent to the customer in the conversation when `send` is set. Refused while the order is paid, closed,
 * or the provider is not set up.
 */
export async function createPaymentLink(
  ctx: Ctx,
  actor: Actor,
  orderId: string,
  input: { provider?: Provider; send?: boolean } = {},
) {
  const o = await visibleOrder(ctx.db, actor, orderId);
  if (o.paymentStatus === "paid" || o.paymentStatus === "refunded")
    throw conflict("order_paid", "The order is already paid", { orderId });
  if (o.status === "cancelled" || o.status === "refunded")
    throw conflict("order_closed", "A cancelled order cannot be paid", { status: o.status });
  const s = await getPaymentSettings(ctx);
  const provider: Provider | undefined =
    input.provider ?? (s.mercadopago.accessToken ? "mercadopago" : s.stripe.secretKey ? "stripe" : undefined);
  if (!provider || (provider === "stripe" ? !s.stripe.secretKey : !s.mercadopago.accessToken))
    throw badRequest("payments_not_configured", "Set up Stripe or Mercado Pago in Settings → Payments first", {
      field: "provider",
    });
  const open = await ctx.db
    .select()
    .from(paymentLinks)
    .where(and(eq(paymentLinks.orderId, o.id), eq(paymentLinks.provider, provider), eq(paymentLinks.status, "open")))
    .orderBy(desc(paymentLinks.createdAt))
    .get();
  let link = open && open.amount === o.total && open.currency === o.currency ? open : null;
  if (!link) {
    const title = translator(await businessLocale(ctx))("orders.number", { number: o.number });
    const made = provider === "stripe" ? await stripeSession(ctx, s, o, title) : await mpPreference(ctx, s, o, title);
    const now = ctx.clock.now();
    link = {
      id: newId(now),
      orderId: o.id,
      provider,
      externalId: made.id,
      url: made.url,
      amount: o.total,
      currency: o.currency,
      status: "open" as const,
      createdAt: now,
    };
    const row = link;
    await ctx.database.write(async (tx) => {
      await tx.insert(paymentLinks).values(row);
      await tx
        .update(orders)
        .set({ paymentMethod: "link", paymentStatus: "pending", updatedAt: now })
        .where(eq(orders.id, o.id));
    });
  }
  if (input.send) await sendPayLink(ctx, o, link.url, `paylink:${o.id}:${link.url}`);
  return link;
}

/** "Puedes pagar tu pedido … aquí: <url>" in the order's conversation, once per key (a provider's or a store's link). */
export async function sendPayLink(ctx: Ctx, o: Order, url: string, idempotencyKey: string) {
  if (!o.conversationId) return;
  const locale = await businessLocale(ctx);
  const { formatMoney } = await import("./service.ts");
  const body = translator(locale)("orders.payLink", {
    number: o.number,
    total: formatMoney(o.total, o.currency, locale),
    url,
  });
  const { sendNoticeTx } = await import("../inbox/service.ts");
  await ctx.database.write((tx, after) => sendNoticeTx(ctx, tx, after, o.conversationId!, { body, idempotencyKey }));
}

/** Stripe Checkout: one line for the order's total, the order in client_reference_id and metadata. */
async function stripeSession(ctx: Ctx, s: PaymentSettings, o: Order, title: string) {
  const back = `${baseUrl(ctx)}/pay/done?order=${encodeURIComponent(o.number)}`;
  const form = new URLSearchParams({
    mode: "payment",
    client_reference_id: o.id,
    "metadata[order_id]": o.id,
    "metadata[order_number]": o.number,
    "line_items[0][quantity]": "1",
    "line_items[0][price_data][currency]": o.currency.toLowerCase(),
    "line_items[0][price_data][unit_amount]": String(o.total),
    "line_items[0][price_data][product_data][name]": title,
    success_url: back,
    cancel_url: back,
  });
  const r = await providerFetch(s.stripe.apiUrl, "/v1/checkout/sessions", {
    method: "POST",
    headers: {
      authorization: `Bearer ${s.stripe.secretKey}`,
      "content-type": "application/x-www-form-urlencoded",
      // the same order's link asked twice makes one session
      "idempotency-key": `digybot-${o.id}-${o.total}`,
    },
    body: form.toString(),
  });
  if (!r.ok || typeof r.json.id !== "string" || typeof r.json.url !== "string")
    throw providerError("stripe", r.status, r.json);
  return { id: r.json.id, url: r.json.url };
}

/** Mercado Pago Checkout Pro: a preference for the total, the order as external_reference, our notification URL. */
async function mpPreference(ctx: Ctx, s: PaymentSettings, o: Order, title: string) {
  const r = await providerFetch(s.mercadopago.apiUrl, "/checkout/preferences", {
    method: "POST",
    headers: {
      authorization: `Bearer ${s.mercadopago.accessToken}`,
      "content-type": "application/json",
      "x-idempotency-key": `digybot-${o.id}-${o.total}`,
    },
    body: JSON.stringify({
      items: [{ id: o.number, title, quantity: 1, unit_price: o.total / 100, currency_id: o.currency }],
      external_reference: o.id,
      // source_news=webhooks: the new notifications only, not the legacy IPN as well
      notification_url: `${baseUrl(ctx)}/webhooks/payments/mercadopago?source_news=webhooks`,
      back_urls: { success: `${baseUrl(ctx)}/pay/done?order=${encodeURIComponent(o.number)}` },
    }),
  });
  const url = (r.json.init_point ?? r.json.sandbox_init_point) as string | undefined;
  if (!r.ok || typeof r.json.id !== "string" || !url) throw providerError("mercadopago", r.status, r.json);
  return { id: r.json.id, url };
}

// ---------------------------------------------------------------- notifications

const hmacHex = (key: string, msg: string) => createHmac("sha256", key).update(msg).digest("hex");
function sameHex(a: string, b: string) {
  const x = Buffer.from(a, "hex"),
    y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** Stripe's header "t=…,v1=…[,v1=…]": one v1 must be the HMAC of "t.body", and t within the tolerance. */
export function verifyStripe(header: string | undefined, body: string, secret: string, now: number, toleranceS = 300) {
  if (!header || !secret) return false;
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = parts.find(([k]) => k === "t")?.[1];
  const sigs = parts.filter(([k]) => k === "v1").map(([, v]) => v ?? "");
  if (!t || !/^\d+$/.test(t) || !sigs.length) return false;
  if (Math.abs(now / 1000 - Number(t)) > toleranceS) return false;
  const want = hmacHex(secret, `${t}.${body}`);
  return sigs.some((s) => sameHex(s, want));
}

/**
 * Mercado Pago's "ts=…,v1=…" over the manifest "id:<data.id>;request-id:<x-request-id>;ts:<ts>;" (parts absent
 * from the request are left out; an alphanumeric id is lower-cased); ts may be seconds or milliseconds.
 */
export function verifyMercadoPago(
  header: string | undefined,
  requestId: string | undefined,
  dataId: string | undefined,
  secret: string,
  now: number,
  toleranceS = 600,
) {
  if (!header || !secret) return false;
  const parts = Object.fromEntries(header.split(",").map((p) => p.trim().split("=") as [string, string]));
  const ts = parts.ts,
    v1 = parts.v1;
  if (!ts || !/^\d+$/.test(ts) || !v1) return false;
  const seconds = ts.length >= 13 ? Number(ts) / 1000 : Number(ts);
  if (Math.abs(now / 1000 - seconds) > toleranceS) return false;
  const id = dataId && /^[a-z0-9]+$/i.test(dataId) ? dataId.toLowerCase() : dataId;
  const manifest = `${id ? `id:${id};` : ""}${requestId ? `request-id:${requestId};` : ""}ts:${ts};`;
  return sameHex(v1, hmacHex(secret, manifest));
}

/**
 * A paid notice for an order, once: the first one for a provider's id marks it paid (if the amount and currency are
 * the order's), any repeat is acknowledged and changes nothing. Committed before the provider is answered.
 */
async function settle(
  ctx: Ctx,
  noticeId: string,
  orderId: string | null,
  paid: { amount: number; currency: string; provider: Provider; reference: string } | null,
) {
  return ctx.database.write(async (tx, after) => {
    if (await tx.select({ id: paymentNotices.id }).from(paymentNotices).where(eq(paymentNotices.id, noticeId)).get())
      return "duplicate";
    const now = ctx.clock.now();
    const o = orderId ? await tx.select().from(orders).where(eq(orders.id, orderId)).get() : undefined;
    let outcome = "ignored";
    if (o && paid) {
      if (paid.amount !== o.total || paid.currency.toUpperCase() !== o.currency) outcome = "amount_mismatch";
      else if (o.paymentStatus === "paid") outcome = "already_paid";
      else if (o.status === "cancelled" || o.status === "refunded") outcome = "order_closed";
      else {
        const { markPaidTx } = await import("./orders.ts");
        await markPaidTx(ctx, tx, after, { kind: "system", name: paid.provider }, o, {
          method: "link",
          reference: `${paid.provider} ${paid.reference}`,
        });
        await tx
          .update(paymentLinks)
          .set({ status: "paid" })
          .where(and(eq(paymentLinks.orderId, o.id), eq(paymentLinks.provider, paid.provider)));
        outcome = "paid";
      }
      if (outcome !== "paid")
        ctx.log.warn("payment notice not applied", { orderId: o.id, outcome, provider: paid.provider });
    }
    await tx.insert(paymentNotices).values({ id: noticeId, orderId: o?.id ?? null, outcome, receivedAt: now });
    return outcome;
  });
}

/** POST /webhooks/payments/stripe: the raw body and its signature header. */
export async function stripeNotice(ctx: Ctx, body: string, signature: string | undefined) {
  const s = await getPaymentSettings(ctx);
  if (!verifyStripe(signature, body, s.stripe.webhookSecret, ctx.clock.now()))
    throw new AppError(401, "bad_signature", "The Stripe-Signature header does not match this endpoint's secret");
  let ev: { id?: string; type?: string; data?: { object?: Record<string, unknown> } };
  try {
    ev = JSON.parse(body);
  } catch {
    throw badRequest("invalid_json", "The body is not JSON");
  }
  if (typeof ev.id !== "string") throw badRequest("invalid_event", "The event has no id");
  const obj = ev.data?.object ?? {};
  const paid =
    (ev.type === "checkout.session.completed" || ev.type === "checkout.session.async_payment_succeeded") &&
    obj.payment_status === "paid";
  const orderId =
    (typeof obj.client_reference_id === "string" && obj.client_reference_id) ||
    ((obj.metadata as Record<string, unknown> | undefined)?.order_id as string | undefined) ||
    null;
  return settle(
    ctx,
    `stripe:${ev.id}`,
    orderId,
    paid
      ? {
          amount: Number(obj.amount_total),
          currency: String(obj.currency ?? ""),
          provider: "stripe",
          reference: String(obj.id ?? ev.id),
        }
      : null,
  );
}

/**
 * POST /webhooks/payments/mercadopago?data.id=…&type=payment: verified, then the payment read from Mercado Pago
 * (the notice is only a pointer); an approved payment of the order's total marks it paid.
 */
export async function mercadoPagoNotice(
  ctx: Ctx,
  q: { dataId?: string; type?: string },
  headers: { signature?: string; requestId?: string },
) {
  const s = await getPaymentSettings(ctx);
  if (!verifyMercadoPago(headers.signature, headers.requestId, q.dataId, s.mercadopago.webhookSecret, ctx.clock.now()))
    throw new AppError(401, "bad_signature", "The x-signature header does not match this application's secret");
  if (q.type !== "payment" || !q.dataId) return "ignored";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(q.dataId)) throw badRequest("invalid_event", "data.id is not a payment id");
  const r = await providerFetch(s.mercadopago.apiUrl, `/v1/payments/${q.dataId}`, {
    method: "GET",
    headers: { authorization: `Bearer ${s.mercadopago.accessToken}` },
  });
  // an error here is answered as one, so Mercado Pago sends the notice again later
  if (!r.ok) throw providerError("mercadopago", r.status, r.json);
  const p = r.json as {
    id?: number | string;
    status?: string;
    external_reference?: string;
    transaction_amount?: number;
    currency_id?: string;
  };
  if (p.status !== "approved") return "pending";
  return settle(ctx, `mercadopago:${p.id ?? q.dataId}`, p.external_reference ?? null, {
    amount: Math.round(Number(p.transaction_amount) * 100),
    currency: String(p.currency_id ?? ""),
    provider: "mercadopago",
    reference: String(p.id ?? q.dataId),
  });
}

export async function linksOf(ctx: Ctx, orderId: string) {
  return ctx.db
    .select()
    .from(paymentLinks)
    .where(eq(paymentLinks.orderId, orderId))
    .orderBy(desc(paymentLinks.createdAt));
}

/**
 * An order as an automation's message names it (the payment reminder): its number, total and status in words, and
 * how to pay it — the open payment link, or the business's transfer details. Undefined for an unknown order.
 */
export async function orderWords(ctx: Ctx, orderId: string, locale: "es" | "en") {
  const o = await ctx.db.select().from(orders).where(eq(orders.id, orderId)).get();
  if (!o) return undefined;
  const { formatMoney } = await import("./service.ts");
  const t = translator(locale);
  const link =
    o.paymentMethod === "link"
      ? await ctx.db
          .select({ url: paymentLinks.url })
          .from(paymentLinks)
          .where(and(eq(paymentLinks.orderId, o.id), eq(paymentLinks.status, "open")))
          .orderBy(desc(paymentLinks.createdAt))
          .get()
      : undefined;
  let transfer = o.paymentMethod === "transfer" ? (await getPaymentSettings(ctx)).transferInstructions.trim() : "";
  // a sentence of its own, as the message goes on after it (a link is left bare: a dot would join its address)
  if (transfer && !/[.!?]$/.test(transfer)) transfer += ".";
  return {
    number: o.number,
    total: formatMoney(o.total, o.currency, locale),
    status: t(`orders.status.${o.status}`),
    paymentStatus: o.paymentStatus,
    paymentUrl: link?.url ?? "",
    howToPay: link
      ? t("orders.howToPay.link", { url: link.url })
      : transfer
        ? t("orders.howToPay.transfer", { details: transfer })
        : "",
  };
}
