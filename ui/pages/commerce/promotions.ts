// Settings → Promociones: what runs now and what is coming, each turned on or off; a new promotion or coupon.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export type PromotionRow = {
  id: string;
  name: string;
  summary: string;
  code: string | null;
  uses: number;
  maxUses: number | null;
  active: boolean;
};

export function PromotionSettings({
  t,
  csrf,
  rows,
  products,
  categories,
}: {
  t: T;
  csrf: string;
  rows: PromotionRow[];
  products: { sku: string; name: string }[];
  categories: { id: string; path: string }[];
}): VNode {
  return html`<div class="card"><h1>${t("settings.promotions")}</h1><p class="meta">${t("promos.help")}</p>
    ${
      rows.length
        ? html`<ul class="promo-list" id="promo-list">${rows.map(
            (
              r,
            ) => html`<li data-promo=${r.name} class=${r.active ? "" : "off"}><strong>${r.name}</strong> <span class="meta">${r.summary}${r.code ? html` · ${t("promos.code")} <code>${r.code}</code>` : null} · ${t("promos.uses", { n: String(r.uses) })}${r.maxUses ? ` / ${r.maxUses}` : ""}</span>
            <form method="post" action=${`/settings/promotions/${r.id}/active`} class="inline"><${Csrf} csrf=${csrf} /><input type="hidden" name="active" value=${r.active ? "0" : "1"} /><button type="submit" class="secondary">${r.active ? t("promos.pause") : t("promos.resume")}</button></form>
            <form method="post" action=${`/settings/promotions/${r.id}/delete`} class="inline" data-confirm=${t("promos.confirmDelete", { name: r.name })}><${Csrf} csrf=${csrf} /><button type="submit" class="danger">${t("common.delete")}</button></form></li>`,
          )}</ul>`
        : html`<p class="meta">${t("promos.empty")}</p>`
    }</div>
  <form class="card" method="post" action="/settings/promotions" id="new-promo"><${Csrf} csrf=${csrf} /><h2>${t("promos.new")}</h2>
    <label>${t("common.name")}<input name="name" required maxlength="100" placeholder=${t("promos.namePlaceholder")} /></label>
    <label>${t("promos.kind")}<select name="kind"><option value="percent">${t("promos.kind.percent")}</option><option value="amount">${t("promos.kind.amount")}</option><option value="buy_x_get_y">${t("promos.kind.buy_x_get_y")}</option></select></label>
    <label>${t("promos.value")}<input name="value" inputmode="decimal" placeholder="10" /></label>
    <label>${t("promos.scope")}<select name="scope"><option value="cart">${t("promos.scope.cart")}</option><option value="product">${t("promos.scope.product")}</option><option value="category">${t("promos.scope.category")}</option></select></label>
    <label>${t("promos.product")}<select name="sku"><option value="">—</option>${products.map((p) => html`<option value=${p.sku}>${p.name}</option>`)}</select></label>
    <label>${t("promos.category")}<select name="categoryId"><option value="">—</option>${categories.map((c) => html`<option value=${c.id}>${c.path}</option>`)}</select></label>
    <div class="row2"><label>${t("promos.buy")}<input name="buyQuantity" type="number" min="1" max="100" /></label><label>${t("promos.get")}<input name="getQuantity" type="number" min="1" max="100" /></label></div>
    <label>${t("promos.code")}<input name="code" maxlength="32" placeholder=${t("promos.codePlaceholder")} autocomplete="off" /></label>
    <label>${t("promos.minSubtotal")}<input name="minSubtotal" inputmode="decimal" placeholder="0" /></label>
    <div class="row2"><label>${t("promos.starts")}<input name="startsOn" type="date" /></label><label>${t("promos.ends")}<input name="endsOn" type="date" /></label></div>
    <div class="row2"><label>${t("promos.from")}<input name="from" type="time" /></label><label>${t("promos.to")}<input name="to" type="time" /></label></div>
    <label>${t("promos.maxUses")}<input name="maxUses" type="number" min="1" /></label>
    <p><button class="primary" type="submit">${t("common.create")}</button></p></form>`;
}
