// Settings → Tiendas: connect Shopify or WooCommerce (what to create where, what to paste, the webhook address to
// give the store), import every product, and the state of each.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export function StoreSettings({
  t,
  csrf,
  v,
  base,
  imported,
}: {
  t: T;
  csrf: string;
  v: {
    shopify: { shop: string; accessToken: string; webhookSecret: string; apiUrl: string; configured: boolean };
    woocommerce: {
      url: string;
      consumerKey: string;
      consumerSecret: string;
      webhookSecret: string;
      configured: boolean;
    };
  };
  base: string;
  imported?: string;
}): VNode {
  const state = (on: boolean) =>
    html`<span class=${`pill ${on ? "ok" : ""}`}>${on ? t("payments.ready") : t("payments.notSet")}</span>`;
  return html`<div class="card"><h1>${t("settings.stores")}</h1><p class="meta">${t("stores.help")}</p>${imported ? html`<div class="flash" role="status" id="store-imported">${imported}</div>` : null}</div>
    <form class="card" method="post" action="/settings/stores" id="store-shopify"><${Csrf} csrf=${csrf} /><input type="hidden" name="kind" value="shopify" />
      <h2>Shopify ${state(v.shopify.configured)}</h2>
      <ol class="meta steps"><li>${t("stores.shopify.step1")}</li><li>${t("stores.shopify.step2")} <code class="wrap">${base}/webhooks/shopify</code></li></ol>
      <label>${t("stores.shopify.shop")}<input name="shop" value=${v.shopify.shop} placeholder="mitienda.myshopify.com" /></label>
      <label>${t("stores.shopify.token")}<input name="accessToken" autocomplete="off" value=${v.shopify.accessToken} placeholder="shpat_…" /></label>
      <label>${t("stores.shopify.secret")}<input name="webhookSecret" autocomplete="off" value=${v.shopify.webhookSecret} /></label>
      <details><summary>${t("payments.advanced")}</summary><label>${t("payments.apiUrl")}<input name="apiUrl" value=${v.shopify.apiUrl} /></label></details>
      <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
    ${v.shopify.configured ? html`<form class="card" method="post" action="/settings/stores/shopify/import" id="import-shopify"><${Csrf} csrf=${csrf} /><button type="submit">${t("stores.import", { store: "Shopify" })}</button></form>` : null}
    <form class="card" method="post" action="/settings/stores" id="store-woo"><${Csrf} csrf=${csrf} /><input type="hidden" name="kind" value="woocommerce" />
      <h2>WooCommerce ${state(v.woocommerce.configured)}</h2>
      <ol class="meta steps"><li>${t("stores.woo.step1")}</li><li>${t("stores.woo.step2")} <code class="wrap">${base}/webhooks/woocommerce</code></li></ol>
      <label>${t("stores.woo.url")}<input name="url" value=${v.woocommerce.url} placeholder="https://mitienda.com" /></label>
      <label>${t("stores.woo.key")}<input name="consumerKey" autocomplete="off" value=${v.woocommerce.consumerKey} placeholder="ck_…" /></label>
      <label>${t("stores.woo.secret")}<input name="consumerSecret" autocomplete="off" value=${v.woocommerce.consumerSecret} placeholder="cs_…" /></label>
      <label>${t("stores.woo.webhookSecret")}<input name="webhookSecret" autocomplete="off" value=${v.woocommerce.webhookSecret} /></label>
      <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
    ${v.woocommerce.configured ? html`<form class="card" method="post" action="/settings/stores/woocommerce/import" id="import-woo"><${Csrf} csrf=${csrf} /><button type="submit">${t("stores.import", { store: "WooCommerce" })}</button></form>` : null}`;
}
