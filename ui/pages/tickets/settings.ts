// Settings → Tickets: whether customers hear of status changes, the categories (each may route to a department
// and set a priority), the custom fields, and the SLA policy of each priority.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

type Opt = { id: string; name: string };
type Policy = {
  id: string;
  name: string;
  priority: string;
  firstResponseMinutes: number | null;
  nextResponseMinutes: number | null;
  resolutionMinutes: number | null;
  businessHours: boolean;
  warnMinutes: number;
  raisePriority: boolean;
  reassign: boolean;
};

export function TicketSettings({
  t,
  csrf,
  notifyCustomer,
  categories,
  fields,
  policies,
  departments,
}: {
  t: T;
  csrf: string;
  notifyCustomer: boolean;
  categories: { id: string; name: string; departmentId: string | null; priority: string | null }[];
  fields: { id: string; key: string; label: string; type: string; options: string[] }[];
  policies: Policy[];
  departments: Opt[];
}): VNode {
  const dname = (id: string | null) => departments.find((d) => d.id === id)?.name ?? "—";
  const num = (name: string, label: string, v: number | null | undefined) =>
    html`<label>${label}<input name=${name} type="number" min="1" max="86400" value=${v ?? ""} placeholder=${t("departments.optional")} /></label>`;
  return html`<form class="card" method="post" action="/settings/tickets/notify" id="ticket-notify"><${Csrf} csrf=${csrf} /><h1>${t("settings.tickets")}</h1>
    <label class="inline"><input type="checkbox" name="notifyCustomer" value="1" checked=${notifyCustomer} /> ${t("ticketSettings.notify")}</label>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>

  <div class="card"><h2>${t("ticketSettings.policies")}</h2><p class="muted">${t("ticketSettings.policiesHint")}</p>
    ${["low", "medium", "high", "urgent"].map((pr) => {
      const p = policies.find((x) => x.priority === pr);
      return html`<details class="policy" data-priority=${pr}><summary>${t(`priority.${pr}`)}: ${p ? t("ticketSettings.policySummary", { first: p.firstResponseMinutes ? String(p.firstResponseMinutes) : "—", resolution: p.resolutionMinutes ? String(p.resolutionMinutes) : "—" }) : t("ticketSettings.noPolicy")}</summary>
        <form method="post" action="/settings/tickets/policies"><${Csrf} csrf=${csrf} /><input type="hidden" name="priority" value=${pr} />
          <label>${t("common.name")}<input name="name" required maxlength="80" value=${p?.name ?? t(`priority.${pr}`)} /></label>
          ${num("firstResponseMinutes", t("ticketSettings.first"), p?.firstResponseMinutes)}
          ${num("nextResponseMinutes", t("ticketSettings.next"), p?.nextResponseMinutes)}
          ${num("resolutionMinutes", t("ticketSettings.resolution"), p?.resolutionMinutes)}
          <label>${t("ticketSettings.warn")}<input name="warnMinutes" type="number" min="1" max="1440" value=${p?.warnMinutes ?? 15} required /></label>
          <label class="inline"><input type="checkbox" name="businessHours" value="1" checked=${p ? p.businessHours : true} /> ${t("ticketSettings.businessHours")}</label>
          <label class="inline"><input type="checkbox" name="raisePriority" value="1" checked=${p?.raisePriority ?? false} /> ${t("ticketSettings.raise")}</label>
          <label class="inline"><input type="checkbox" name="reassign" value="1" checked=${p?.reassign ?? false} /> ${t("ticketSettings.reassign")}</label>
          <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
        ${p ? html`<form method="post" action=${`/settings/tickets/policies/${p.id}/delete`}><${Csrf} csrf=${csrf} /><button type="submit" class="danger">${t("ticketSettings.removePolicy")}</button></form>` : null}</details>`;
    })}</div>

  <div class="card"><h2>${t("ticketSettings.categories")}</h2>
    ${
      categories.length
        ? html`<table><tr><th>${t("common.name")}</th><th>${t("tickets.department")}</th><th>${t("tickets.priority")}</th><th>${t("common.actions")}</th></tr>
      ${categories.map((c) => html`<tr data-id=${c.id}><td>${c.name}</td><td>${dname(c.departmentId)}</td><td>${c.priority ? t(`priority.${c.priority}`) : "—"}</td><td><form method="post" action=${`/settings/tickets/categories/${c.id}/delete`}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("common.delete")}</button></form></td></tr>`)}</table>`
        : html`<p class="empty">${t("ticketSettings.noCategories")}</p>`
    }
    <form method="post" action="/settings/tickets/categories" id="new-category"><${Csrf} csrf=${csrf} /><h3>${t("ticketSettings.newCategory")}</h3>
      <label>${t("common.name")}<input name="name" required maxlength="80" /></label>
      <label>${t("tickets.department")}<select name="departmentId"><option value="">—</option>${departments.map((d) => html`<option value=${d.id}>${d.name}</option>`)}</select></label>
      <label>${t("tickets.priority")}<select name="priority"><option value="">—</option>${["low", "medium", "high", "urgent"].map((p) => html`<option value=${p}>${t(`priority.${p}`)}</option>`)}</select></label>
      <p><button class="primary" type="submit">${t("common.create")}</button></p></form></div>

  <div class="card"><h2>${t("ticketSettings.fields")}</h2>
    ${
      fields.length
        ? html`<table><tr><th>${t("contactFields.label")}</th><th>${t("contactFields.key")}</th><th>${t("contactFields.type")}</th><th>${t("common.actions")}</th></tr>
      ${fields.map((f) => html`<tr data-id=${f.id}><td>${f.label}</td><td>${f.key}</td><td>${t(`contactFields.type.${f.type}`)}${f.options.length ? `: ${f.options.join(", ")}` : ""}</td><td><form method="post" action=${`/settings/tickets/fields/${f.id}/delete`}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("common.delete")}</button></form></td></tr>`)}</table>`
        : html`<p class="empty">${t("ticketSettings.noFields")}</p>`
    }
    <form method="post" action="/settings/tickets/fields" id="new-ticket-field"><${Csrf} csrf=${csrf} /><h3>${t("contactFields.new")}</h3>
      <label>${t("contactFields.label")}<input name="label" required maxlength="80" /></label>
      <label>${t("contactFields.key")}<input name="key" required maxlength="40" pattern="[a-z][a-z0-9_]*" placeholder="numero_serie" /></label>
      <label>${t("contactFields.type")}<select name="type">${["text", "number", "date", "list"].map((x) => html`<option value=${x}>${t(`contactFields.type.${x}`)}</option>`)}</select></label>
      <label>${t("contactFields.options")}<input name="options" maxlength="2000" /></label>
      <p><button class="primary" type="submit">${t("common.create")}</button></p></form></div>`;
}
