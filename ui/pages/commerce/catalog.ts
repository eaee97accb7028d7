// The catalog settings page: products, prices and stock (what the AI agents' tools quote, and only from here).
import { imageUrl, MAX_IMAGES, THUMB_EDGE } from "../../../src/commerce/images.ts";
import type { ProductImage } from "../../../src/commerce/schema.ts";
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
  lowStock?: number | null;
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
      ) => html`<tr data-sku=${p.sku}><td><code>${p.sku}</code></td><td><a href=${`/settings/catalog/${p.id}`}>${p.name}</a>${p.description ? html`<br /><small class="meta">${p.description.slice(0, 120)}</small>` : null}</td><td>${p.category}</td>
      <td><input form=${`p-${p.id}`} name="price" inputmode="decimal" size="8" value=${amount(p.price)} aria-label=${t("catalog.price")} /> <small class="meta" title=${money(p)}>${p.currency}</small></td>
      <td><input form=${`p-${p.id}`} name="stock" inputmode="numeric" size="5" value=${p.stock ?? ""} placeholder="—" title=${t("catalog.untracked")} aria-label=${t("catalog.stock")} />${p.stock !== null && (p.stock <= 0 || (p.lowStock != null && p.stock <= p.lowStock)) ? html`<br /><small class="warn-text low-stock">${p.stock <= 0 ? t("catalog.soldOut") : t("catalog.fewLeft", { n: String(p.stock) })}</small>` : null}</td>
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

/** The catalog's categories as a tree: a new one (inside another or at the top) and deleting one. */
export function CategoriesCard({
  t,
  csrf,
  tree,
}: {
  t: T;
  csrf: string;
  tree: { id: string; name: string; depth: number; path: string }[];
}): VNode {
  return html`<div class="card" id="categories"><h2>${t("catalog.categories")}</h2>
    ${
      tree.length
        ? html`<ul class="cat-tree">${tree.map(
            (c) => html`<li data-category=${c.path} style=${`padding-left:${c.depth * 18}px`}>${c.name}
            <form method="post" action=${`/settings/catalog/categories/${c.id}/delete`} class="inline" data-confirm=${t("catalog.confirmDeleteCategory", { name: c.path })}><${Csrf} csrf=${csrf} /><button type="submit" class="danger" aria-label=${`${t("common.delete")}: ${c.path}`}>${t("common.delete")}</button></form></li>`,
          )}</ul>`
        : html`<p class="meta">${t("catalog.noCategories")}</p>`
    }
    <form method="post" action="/settings/catalog/categories" id="new-category"><${Csrf} csrf=${csrf} />
      <div class="row2"><label>${t("common.name")}<input name="name" required maxlength="100" /></label>
      <label>${t("catalog.inside")}<select name="parentId"><option value="">${t("catalog.top")}</option>${tree.map((c) => html`<option value=${c.id}>${c.path}</option>`)}</select></label></div>
      <p><button class="primary" type="submit">${t("catalog.addCategory")}</button></p></form></div>`;
}

export type ProductFull = ProductView & {
  categoryId: string | null;
  variants: { key: string; name: string; price: number; stock: number | null }[];
  modifiers: { key: string; name: string; price: number }[];
  availability: { days: number[]; from: string; to: string } | null;
  lowStock: number | null;
  images: ProductImage[];
};

/** A product's own page: everything about it, variants and extras written as a spreadsheet holds them. */
export function ProductPage({
  t,
  csrf,
  p,
  tree,
  error,
}: {
  t: T;
  csrf: string;
  p: ProductFull;
  tree: { id: string; path: string }[];
  error?: string;
}): VNode {
  const list = (xs: { name: string; price: number; stock?: number | null }[]) =>
    xs.map((x) => `${x.name}=${amount(x.price)}${x.stock != null ? `:${x.stock}` : ""}`).join(" | ");
  return html`<form class="card" method="post" action=${`/settings/catalog/${p.id}/edit`} id="product-form"><${Csrf} csrf=${csrf} />
    <p><a href="/settings/catalog">← ${t("settings.catalog")}</a></p><h1>${p.name} <small class="meta"><code>${p.sku}</code></small></h1>
    ${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    <label>${t("common.name")}<input name="name" required maxlength="200" value=${p.name} /></label>
    <label>${t("common.description")}<textarea name="description" rows="2" maxlength="4000">${p.description}</textarea></label>
    <label>${t("catalog.category")}<select name="categoryId"><option value="">—</option>${tree.map((c) => html`<option value=${c.id} selected=${c.id === p.categoryId}>${c.path}</option>`)}</select></label>
    <div class="row2"><label>${t("catalog.price")}<input name="price" inputmode="decimal" value=${amount(p.price)} /></label>
    <label>${t("catalog.stock")}<input name="stock" inputmode="numeric" value=${p.stock ?? ""} placeholder=${t("catalog.untracked")} /></label></div>
    <label>${t("catalog.variants")}<input name="variants" value=${list(p.variants)} placeholder="Chica=30 | Grande=45:12" /></label>
    <p class="meta">${t("catalog.variantsHelp")}</p>
    <label>${t("catalog.extras")}<input name="modifiers" value=${list(p.modifiers)} placeholder="Con queso=10 | Aguacate=15" /></label>
    <div class="row2"><label>${t("catalog.availableFrom")}<input name="from" type="time" value=${p.availability?.from ?? ""} /></label>
    <label>${t("catalog.availableTo")}<input name="to" type="time" value=${p.availability?.to ?? ""} /></label></div>
    <label>${t("catalog.lowStock")}<input name="lowStock" inputmode="numeric" value=${p.lowStock ?? ""} /></label>
    <label class="check"><input type="checkbox" name="active" value="1" checked=${p.active} /> ${t("catalog.active")}</label>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
    ${ProductImages({ t, csrf, p })}`;
}

/**
 * A product's pictures: each thumbnail with "Principal" and "Quitar", and the form that adds more (the page makes
 * each picture's thumbnail in the browser before it is sent: data-thumb-edge).
 */
function ProductImages({
  t,
  csrf,
  p,
}: {
  t: T;
  csrf: string;
  p: { id: string; name: string; images: ProductImage[] };
}) {
  const base = `/settings/catalog/${p.id}/images`;
  return html`<div class="card" id="product-images"><h2>${t("catalog.images")}</h2><p class="meta">${t("catalog.imagesHelp", { max: String(MAX_IMAGES) })}</p>
    ${
      p.images.length
        ? html`<ul class="product-images">${p.images.map(
            (
              im,
              i,
            ) => html`<li data-image=${im.fileId}><a href=${imageUrl(im.fileId)} target="_blank" rel="noopener"><img src=${imageUrl(im.thumbId)} alt=${`${p.name} ${i + 1}`} loading="lazy" /></a>
              ${i === 0 ? html`<span class="meta">${t("catalog.mainImage")}</span>` : html`<form method="post" action=${`${base}/${im.fileId}/main`}><${Csrf} csrf=${csrf} /><button type="submit" class="secondary">${t("catalog.makeMain")}</button></form>`}
              <form method="post" action=${`${base}/${im.fileId}/delete`} data-confirm=${t("catalog.imageDeleteConfirm", { name: p.name })}><${Csrf} csrf=${csrf} /><button type="submit" class="danger">${t("common.delete")}</button></form></li>`,
          )}</ul>`
        : html`<p class="empty">${t("catalog.noImages")}</p>`
    }
    ${
      p.images.length < MAX_IMAGES
        ? html`<form method="post" action=${base} enctype="multipart/form-data" id="product-image-form" data-thumb-edge=${THUMB_EDGE}><${Csrf} csrf=${csrf} />
      <label>${t("catalog.addImages")}<input type="file" name="image" accept="image/png,image/jpeg,image/webp,image/gif" multiple required /></label>
      <input type="file" name="thumb" multiple hidden />
      <p><button class="primary" type="submit">${t("catalog.upload")}</button></p></form>`
        : null
    }</div>`;
}

/** Price lists: other prices on some channels or for contacts with some tags; the first that matches applies. */
export function PriceListsCard({
  t,
  csrf,
  lists,
  channels,
  tags,
  segments = [],
}: {
  t: T;
  csrf: string;
  lists: { id: string; name: string; summary: string }[];
  channels: { id: string; name: string }[];
  tags: { id: string; name: string }[];
  /** the contacts' saved segments (Contactos → Guardar segmento) */
  segments?: { id: string; name: string }[];
}): VNode {
  return html`<div class="card" id="price-lists"><h2>${t("catalog.priceLists")}</h2><p class="meta">${t("catalog.priceListsHelp")}</p>
    ${
      lists.length
        ? html`<ul class="promo-list">${lists.map(
            (l) => html`<li data-list=${l.name}><strong>${l.name}</strong> <span class="meta">${l.summary}</span>
            <form method="post" action=${`/settings/catalog/price-lists/${l.id}/delete`} class="inline" data-confirm=${t("catalog.confirmDeleteList", { name: l.name })}><${Csrf} csrf=${csrf} /><button type="submit" class="danger">${t("common.delete")}</button></form></li>`,
          )}</ul>`
        : null
    }
    <form method="post" action="/settings/catalog/price-lists" id="new-price-list"><${Csrf} csrf=${csrf} />
      <label>${t("common.name")}<input name="name" required maxlength="100" placeholder=${t("catalog.priceListPlaceholder")} /></label>
      <div class="row2"><label>${t("catalog.onChannel")}<select name="channelId"><option value="">—</option>${channels.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></label>
      <label>${t("catalog.forTag")}<select name="tagId"><option value="">—</option>${tags.map((x) => html`<option value=${x.id}>${x.name}</option>`)}</select></label></div>
      ${segments.length ? html`<label>${t("catalog.forSegment")}<select name="segmentId"><option value="">—</option>${segments.map((x) => html`<option value=${x.id}>${x.name}</option>`)}</select></label>` : null}
      <label>${t("catalog.listPrices")}<textarea name="prices" rows="3" placeholder="TACO-P=22.50&#10;HOR:grande=40"></textarea></label>
      <p><button class="primary" type="submit">${t("catalog.addPriceList")}</button></p></form></div>`;
}
