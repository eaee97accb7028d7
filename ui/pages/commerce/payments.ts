// Settings → Pagos: Stripe and Mercado Pago (what to paste from where, the webhook address to give them), and what
// a customer paying by transfer is told. Secrets are shown only as their last four characters.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export type PaymentsView = {
  stripe: { secretKey: string; webhookSecret: string; apiUrl: string; configured: boolean };
  mercadopago: { accessToken: string; webhookSecret: string; apiUrl: string; configured: boolean };
  transferInstructions: string;
};

export function PaymentSettings({ t, csrf, v, base }: { t: T; csrf: string; v: PaymentsView; base: string }): VNode {
  const state = (on: boolean) =>
    html`<span class=${`pill ${on ? "ok" : ""}`}>${on ? t("payments.ready") : t("payments.notSet")}</span>`;
  return html`<div class="card"><h1>${t("settings.payments")}</h1><p class="meta">${t("payments.help")}</p></div>
    <form class="card" method="post" action="/settings/payments" id="pay-stripe"><${Csrf} csrf=${csrf} /><input type="hidden" name="provider" value="stripe" />
      <h2>Stripe ${state(v.stripe.configured)}</h2>
      <ol class="meta steps"><li>${t("payments.stripe.step1")}</li><li>${t("payments.stripe.step2")} <code class="wrap">${base}/webhooks/payments/stripe</code></li><li>${t("payments.stripe.step3")}</li></ol>
      <label>${t("payments.stripe.secretKey")}<input name="secretKey" autocomplete="off" value=${v.stripe.secretKey} placeholder="sk_live_…" /></label>
      <label>${t("payments.stripe.webhookSecret")}<input name="webhookSecret" autocomplete="off" value=${v.stripe.webhookSecret} placeholder="whsec_…" /></label>
      <details><summary>${t("payments.advanced")}</summary><label>${t("payments.apiUrl")}<input name="apiUrl" value=${v.stripe.apiUrl} /></label></details>
      <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
    <form class="card" method="post" action="/settings/payments" id="pay-mp"><${Csrf} csrf=${csrf} /><input type="hidden" name="provider" value="mercadopago" />
      <h2>Mercado Pago ${state(v.mercadopago.configured)}</h2>
      <ol class="meta steps"><li>${t("payments.mp.step1")}</li><li>${t("payments.mp.step2")} <code class="wrap">${base}/webhooks/payments/mercadopago</code></li></ol>
      <label>${t("payments.mp.accessToken")}<input name="accessToken" autocomplete="off" value=${v.mercadopago.accessToken} placeholder="APP_USR-…" /></label>
      <label>${t("payments.mp.webhookSecret")}<input name="webhookSecret" autocomplete="off" value=${v.mercadopago.webhookSecret} /></label>
      <details><summary>${t("payments.advanced")}</summary><label>${t("payments.apiUrl")}<input name="apiUrl" value=${v.mercadopago.apiUrl} /></label></details>
      <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
    <form class="card" method="post" action="/settings/payments" id="pay-transfer"><${Csrf} csrf=${csrf} /><input type="hidden" name="provider" value="transfer" />
      <h2>${t("payments.transfer")}</h2>
      <label>${t("payments.transferInstructions")}<textarea name="transferInstructions" rows="3" maxlength="1000">${v.transferInstructions}</textarea></label>
      <p><button class="primary" type="submit">${t("common.save")}</button></p></form>`;
}
