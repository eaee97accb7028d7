// What every settings page shares: the frame with its menu, a simple list with add/edit/delete, a copy box.
import { html, Csrf, type VNode } from "./html.ts";
import type { T } from "../i18n/index.ts";

export type Opt = { id: string; name: string };

export const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

export function SettingsFrame({
  t,
  active,
  flash,
  error,
  children,
}: {
  t: T;
  active: string;
  flash?: string;
  error?: string;
  children: unknown;
}): VNode {
  const link = (id: string, key: string) =>
    html`<a href=${`/settings/${id}`} class=${active === id ? "on" : ""}>${t(key)}</a>`;
  return html`<div class="page settings"><nav>${link("business", "settings.business")}${link("users", "settings.users")}${link("departments", "settings.departments")}${link("tags", "settings.tags")}${link("contact-fields", "settings.contactFields")}${link("tickets", "settings.tickets")}
      ${link("quick-replies", "settings.quickReplies")}${link("channels", "settings.channels")}${link("ai", "settings.ai")}${link("agents", "settings.agents")}${link("knowledge", "settings.knowledge")}${link("catalog", "settings.catalog")}${link("orders", "settings.orders")}${link("promotions", "settings.promotions")}${link("delivery", "settings.delivery")}${link("payments", "settings.payments")}${link("stores", "settings.stores")}${link("calendar", "settings.calendar")}${link("automations", "settings.automations")}${link("surveys", "settings.surveys")}${link("sequences", "settings.sequences")}${link("flows", "settings.flows")}${link("library", "settings.library")}${link("api-keys", "settings.apiKeys")}${link("login-history", "settings.loginHistory")}</nav>
    <div>${flash ? html`<div class="flash" role="status">${flash}</div>` : null}${error ? html`<div class="flash err" role="alert">${error}</div>` : null}${children}</div></div>`;
}

export const DeleteButton = ({
  action,
  csrf,
  t,
  label,
  confirm,
}: {
  action: string;
  csrf: string;
  t: T;
  label?: string;
  confirm?: string;
}) =>
  html`<form method="post" action=${action} style="display:inline" data-confirm=${confirm}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${label ?? t("common.delete")}</button></form>`;

/**
 * A settings list with a form to add one. Deleting asks first and says what it affects (`confirmOf`); an empty
 * list says what to do next (`empty`).
 */
export type FieldSpec = {
  name: string;
  label: string;
  type?: string;
  textarea?: boolean;
  value?: string;
  /** a choice (not required): the first option is "none" with this label */
  options?: { none: string; list: Opt[] };
};

export const Field = ({ f }: { f: FieldSpec }) =>
  f.options
    ? html`<label>${f.label}<select name=${f.name}><option value="">${f.options.none}</option>${f.options.list.map((o) => html`<option value=${o.id} selected=${o.id === f.value}>${o.name}</option>`)}</select></label>`
    : html`<label>${f.label}${f.textarea ? html`<textarea name=${f.name} rows="3" style="width:100%" required>${f.value ?? ""}</textarea>` : html`<input name=${f.name} type=${f.type ?? "text"} value=${f.value ?? ""} required />`}</label>`;

export function SimpleListSettings({
  t,
  csrf,
  title,
  rows,
  cols,
  createAction,
  fields,
  deleteBase,
  confirmOf,
  empty,
  editFields,
}: {
  t: T;
  csrf: string;
  title: string;
  rows: Record<string, unknown>[];
  cols: { key: string; label: string; render?: (r: Record<string, unknown>) => unknown }[];
  createAction: string;
  fields: FieldSpec[];
  deleteBase: string;
  confirmOf?: (r: Record<string, unknown>) => string;
  empty?: string;
  editFields?: (r: Record<string, unknown>) => FieldSpec[];
}): VNode {
  return html`<div class="card"><h1>${title}</h1>${
    rows.length
      ? html`<div class="scroll-x"><table><tr>${cols.map((c) => html`<th>${c.label}</th>`)}<th>${t("common.actions")}</th></tr>
    ${rows.map((r) => html`<tr data-id=${String(r.id)}>${cols.map((c) => html`<td>${c.render ? c.render(r) : String(r[c.key] ?? "")}</td>`)}<td>${editFields ? html`<details class="edit"><summary>${t("common.edit")}</summary><form method="post" action=${`${deleteBase}/${r.id}`}><${Csrf} csrf=${csrf} />${editFields(r).map((f) => html`<${Field} f=${f} />`)}<button class="primary" type="submit">${t("common.save")}</button></form></details>` : null}<${DeleteButton} action=${`${deleteBase}/${r.id}/delete`} csrf=${csrf} t=${t} confirm=${confirmOf?.(r)} /></td></tr>`)}</table></div>`
      : html`<p class="empty">${empty}</p>`
  }</div>
  <form class="card" method="post" action=${createAction}><${Csrf} csrf=${csrf} />
    ${fields.map((f) => html`<${Field} f=${f} />`)}
    <p><button class="primary" type="submit">${t("common.create")}</button></p></form>`;
}

/** A text to paste elsewhere (the widget snippet, a webhook URL, a new key), with a button that copies it. */
export const Copyable = ({ t, id, text }: { t: T; id: string; text: string }) =>
  html`<div class="copyable"><pre id=${id}>${text}</pre><button type="button" class="copy" data-copy=${id} data-done=${t("common.copied")}>${t("common.copy")}</button></div>`;
