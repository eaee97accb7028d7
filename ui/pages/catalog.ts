// Console pages of what the AI agents' tools read and write: the catalog (prices and stock quoted only from here)
// and the calendar (appointment length, services, upcoming bookings).
import { html, Csrf, type VNode } from "../components/html.ts";
import type { T } from "../i18n/index.ts";

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

export type AppointmentView = {
  id: string;
  date: string;
  time: string;
  service: string;
  notes: string;
  contactName: string | null;
  conversationId: string | null;
};

export function CalendarSettings({
  t,
  csrf,
  slotMinutes,
  services,
  appointments,
}: {
  t: T;
  csrf: string;
  slotMinutes: number;
  services: string[];
  appointments: AppointmentView[];
}): VNode {
  return html`<form class="card" method="post" action="/settings/calendar"><${Csrf} csrf=${csrf} /><h1>${t("settings.calendar")}</h1><p class="meta">${t("calendar.help")}</p>
    <label>${t("calendar.slotMinutes")}<input name="slotMinutes" type="number" min="5" max="480" value=${slotMinutes} required /></label>
    <label>${t("calendar.services")}<textarea name="services" rows="4" placeholder=${t("calendar.servicesHint")}>${services.join("\n")}</textarea></label>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
  <div class="card"><h3>${t("calendar.upcoming")}</h3>
    <table class="list appointments"><thead><tr><th>${t("calendar.date")}</th><th>${t("calendar.time")}</th><th>${t("calendar.service")}</th><th>${t("contact.title")}</th><th></th></tr></thead><tbody>
    ${appointments.map(
      (
        a,
      ) => html`<tr data-appointment=${a.id}><td>${a.date}</td><td>${a.time}</td><td>${a.service || "—"}${a.notes ? html`<br /><small class="meta">${a.notes}</small>` : null}</td>
      <td>${a.conversationId ? html`<a href=${`/inbox?c=${a.conversationId}`}>${a.contactName || t("contact.visitor")}</a>` : (a.contactName ?? "—")}</td>
      <td><form method="post" action=${`/settings/calendar/${a.id}/cancel`} style="display:inline" data-confirm=${t("calendar.confirmCancel", { date: a.date, time: a.time, who: a.contactName || t("contact.visitor") })}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("calendar.cancel")}</button></form></td></tr>`,
    )}
    </tbody></table>${appointments.length ? null : html`<p class="meta">${t("calendar.empty")}</p>`}</div>`;
}
