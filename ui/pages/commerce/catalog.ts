// The catalog settings page: products, prices and stock (what the AI agents' tools quote, and only from here).
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export type ProductView = {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price: number;
  currency: string;
  stock: number | null;
  active: boolean;
};

/** Minor units as the owner types them back ("189.00"). */
const amount = (minor: number) => (minor / 100).toFixed(2);

export function CatalogSettings({
  t,
  csrf,
  products,
  money,
}: {
  t: T;
  csrf: string;
  products: ProductView[];
  money: (p: ProductView) => string;
}): VNode {
  const currency = products[0]?.currency ?? "MXN";
  return html`<div class="card"><h1>${t("settings.catalog")}</h1><p class="meta">${t("catalog.help")}</p>
    <table class="list catalog"><thead><tr><th>SKU</th><th>${t("common.name")}</th><th>${t("catalog.category")}</th><th>${t("catalog.price")}</th><th>${t("catalog.stock")}</th><th>${t("catalog.active")}</th><th></th></tr></thead><tbody>
    ${products.map(
      (
        p,
      ) => html`<tr data-sku=${p.sku}><td><code>${p.sku}</code></td><td>${p.name}${p.description ? html`<br /><small class="meta">${p.description.slice(0, 120)}</small>` : null}</td><td>${p.category}</td>
      <td><input form=${`p-${p.id}`} name="price" inputmode="decimal" size="8" value=${amount(p.price)} aria-label=${t("catalog.price")} /> <small class="meta" title=${money(p)}>${p.currency}</small></td>
      <td><input form=${`p-${p.id}`} name="stock" inputmode="numeric" size="5" value=${p.stock ?? ""} placeholder="—" title=${t("catalog.untracked")} aria-label=${t("catalog.stock")} /></td>
      <td><input form=${`p-${p.id}`} type="checkbox" name="active" value="1" checked=${p.active} aria-label=${t("catalog.active")} /></td>
      <td><form id=${`p-${p.id}`} method="post" action=${`/settings/catalog/${p.id}`} style="display:inline"><${Csrf} csrf=${csrf} /><button type="submit">${t("common.save")}</button></form>
        <form method="post" action=${`/settings/catalog/${p.id}/delete`} style="display:inline" data-confirm=${t("catalog.confirmDelete", { name: p.name, sku: p.sku })}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("common.delete")}</button></form></td></tr>`,
    )}
    </tbody></table>${products.length ? null : html`<p class="meta">${t("catalog.empty")}</p>`}</div>
  <form class="card" method="post" action="/settings/catalog"><${Csrf} csrf=${csrf} /><h3>${t("catalog.new")}</h3>
    <label>SKU<input name="sku" required maxlength="64" placeholder="PZ-HAW" /></label>
    <label>${t("common.name")}<input name="name" required maxlength="200" placeholder=${t("catalog.namePlaceholder")} /></label>
    <label>${t("catalog.category")}<input name="category" maxlength="100" /></label>
    <label>${t("common.description")}<textarea name="description" rows="2" maxlength="4000"></textarea></label>
    <label>${t("catalog.price")}<input name="price" required inputmode="decimal" placeholder="189.00" /></label>
    <label>${t("catalog.currency")}<input name="currency" maxlength="3" value=${currency} /></label>
    <label>${t("catalog.stock")}<input name="stock" inputmode="numeric" placeholder=${t("catalog.untracked")} /></label>
    <p><button class="primary" type="submit">${t("common.create")}</button></p></form>
  <form class="card" method="post" action="/settings/catalog/import" enctype="multipart/form-data"><${Csrf} csrf=${csrf} /><h3>${t("catalog.import")}</h3>
    <p class="meta">${t("catalog.importHelp")}</p>
    <label>${t("kb.file")}<input type="file" name="file" accept=".csv,text/csv" required /></label>
    <p><button class="primary" type="submit">${t("catalog.importButton")}</button></p></form>`;
}
