// The team's pages: people, API keys, sign-in history, and one's own profile.
import { html, Csrf, fmtTime, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";
import { DeleteButton, Copyable, type Opt } from "../../components/settings.ts";

const ROLE_OPTIONS = ["agent", "supervisor", "admin"] as const;

/** A department's assignment rules, edited in place on the departments list. */
export function AssignmentRules({
  t,
  csrf,
  d,
  departments,
  agents,
}: {
  t: T;
  csrf: string;
  d: {
    id: string;
    assignment: string;
    stickyHours: number | null;
    reassignAfterMinutes: number | null;
    reassignOnOffline: boolean;
    overflowAfterMinutes: number | null;
    overflowAction: string | null;
    overflowTargetId: string | null;
  };
  departments: Opt[];
  agents: Opt[];
}): VNode {
  return html`<details class="rules assignment-rules"><summary>${t(`assignment.${d.assignment}`)}</summary>
    <form method="post" action=${`/settings/departments/${d.id}/assignment`}><${Csrf} csrf=${csrf} />
      <label>${t("departments.assignment")}<select name="assignment">${["manual", "round_robin", "least_busy"].map((a) => html`<option value=${a} selected=${d.assignment === a}>${t(`assignment.${a}`)}</option>`)}</select></label>
      <label>${t("departments.stickyHours")}<input name="stickyHours" type="number" min="1" max="720" value=${d.stickyHours ?? ""} placeholder=${t("departments.optional")} /></label>
      <label>${t("departments.reassignAfter")}<input name="reassignAfterMinutes" type="number" min="1" max="1440" value=${d.reassignAfterMinutes ?? ""} placeholder=${t("departments.optional")} /></label>
      <label class="inline"><input type="checkbox" name="reassignOnOffline" value="1" checked=${d.reassignOnOffline} /> ${t("departments.reassignOnOffline")}</label>
      <label>${t("departments.overflow")}<input name="overflowAfterMinutes" type="number" min="1" max="1440" value=${d.overflowAfterMinutes ?? ""} placeholder=${t("departments.optional")} /></label>
      <label>${t("departments.overflowAction")}<select name="overflowAction"><option value="">${t("departments.overflowNone")}</option>${(
        [
          ["department", "departments.overflowDepartment"],
          ["agent", "departments.overflowAgent"],
          ["ticket", "departments.overflowTicket"],
        ] as const
      ).map(([v, k]) => html`<option value=${v} selected=${d.overflowAction === v}>${t(k)}</option>`)}</select></label>
      <label>${t("departments.overflowTarget")}<select name="overflowTargetId"><option value="">—</option>
        <optgroup label=${t("settings.departments")}>${departments
          .filter((o) => o.id !== d.id)
          .map(
            (o) => html`<option value=${o.id} selected=${d.overflowTargetId === o.id}>${o.name}</option>`,
          )}</optgroup>
        <optgroup label=${t("settings.agents")}>${agents.map((o) => html`<option value=${o.id} selected=${d.overflowTargetId === o.id}>${o.name}</option>`)}</optgroup></select></label>
      <p><button class="primary" type="submit">${t("common.save")}</button></p></form></details>`;
}

export function UsersSettings({
  t,
  csrf,
  users,
  departments,
  locale,
}: {
  t: T;
  csrf: string;
  locale: string;
  users: {
    id: string;
    name: string;
    email: string;
    role: string;
    active: boolean;
    lastLoginAt: number | null;
    departmentIds: string[];
    capacity?: number | null;
  }[];
  departments: Opt[];
}): VNode {
  const dname = (id: string) => departments.find((d) => d.id === id)?.name ?? id;
  return html`<div class="card"><h1>${t("settings.users")}</h1><div class="scroll-x"><table><tr><th>${t("common.name")}</th><th>${t("users.email")}</th><th>${t("users.role")}</th><th>${t("users.departments")}</th><th>${t("users.lastLogin")}</th><th>${t("common.actions")}</th></tr>
    ${users.map(
      (
        u,
      ) => html`<tr><td>${u.name}${u.active ? "" : ` (${t("users.deactivate")})`}</td><td>${u.email}</td><td>${t(`users.role.${u.role}`)}</td><td>${u.departmentIds.map(dname).join(", ")}</td>
      <td>${u.lastLoginAt ? fmtTime(u.lastLoginAt, locale) : t("common.never")}</td>
      <td><form method="post" action=${`/settings/users/${u.id}`} style="display:flex;gap:4px;flex-wrap:wrap" data-confirm-deactivate=${u.active ? t("users.deactivateConfirm", { name: u.name }) : undefined}><${Csrf} csrf=${csrf} />
        <select name="role" aria-label=${t("users.role")}>${ROLE_OPTIONS.map((r) => html`<option value=${r} selected=${u.role === r}>${t(`users.role.${r}`)}</option>`)}</select>
        <input name="capacity" type="number" min="1" max="1000" value=${u.capacity ?? ""} placeholder=${t("users.capacityHint")} aria-label=${t("users.capacity")} title=${t("users.capacity")} style="width:8em" />
        <select name="departmentIds" multiple size="2">${departments.map((d) => html`<option value=${d.id} selected=${u.departmentIds.includes(d.id)}>${d.name}</option>`)}</select>
        <select name="active"><option value="1" selected=${u.active}>${t("users.active")}</option><option value="0" selected=${!u.active}>${t("users.deactivate")}</option></select>
        <button type="submit">${t("common.save")}</button></form>
        <form method="post" action=${`/settings/users/${u.id}/unlock`}><${Csrf} csrf=${csrf} /><button type="submit" class="secondary" data-unlock=${u.email}>${t("users.unlock")}</button></form>
        <details class="edit"><summary>${t("users.edit")}</summary><form method="post" action=${`/settings/users/${u.id}/profile`} data-user=${u.email}><${Csrf} csrf=${csrf} />
          <label>${t("common.name")}<input name="name" value=${u.name} required maxlength="120" /></label>
          <label>${t("users.newPassword")}<input name="password" type="password" minlength="8" autocomplete="new-password" /></label>
          <button class="primary" type="submit">${t("common.save")}</button></form></details></td></tr>`,
    )}</table></div></div>
  <form class="card" method="post" action="/settings/users"><${Csrf} csrf=${csrf} /><h3>${t("users.new")}</h3>
    <label>${t("common.name")}<input name="name" required /></label><label>${t("users.email")}<input name="email" type="email" required /></label>
    <label>${t("users.password")}<input name="password" type="password" minlength="8" required /></label>
    <label>${t("users.role")}<select name="role">${ROLE_OPTIONS.map((r) => html`<option value=${r}>${t(`users.role.${r}`)}</option>`)}</select></label>
    <label>${t("users.capacity")}<input name="capacity" type="number" min="1" max="1000" placeholder=${t("users.capacityHint")} /></label>
    <label>${t("users.departments")}<select name="departmentIds" multiple>${departments.map((d) => html`<option value=${d.id}>${d.name}</option>`)}</select></label>
    <p><button class="primary" type="submit">${t("common.create")}</button></p></form>`;
}

export function ApiKeysSettings({
  t,
  csrf,
  keys,
  created,
  locale,
}: {
  t: T;
  csrf: string;
  locale: string;
  keys: {
    id: string;
    name: string;
    prefix: string;
    scope: string;
    createdAt: number;
    lastUsedAt: number | null;
    revokedAt: number | null;
  }[];
  created?: { key: string; scope: string };
}): VNode {
  return html`<div class="card"><h1>${t("settings.apiKeys")}</h1><p><a href="/api/v1/openapi.json">${t("apikeys.docs")}</a></p>
    ${created ? html`<div class="flash"><p>${t("apikeys.created")}</p><${Copyable} t=${t} id="new-api-key" text=${created.key} /><p>${t(`apikeys.scope.${created.scope}.help`)}</p></div>` : null}
    <div class="scroll-x"><table id="api-keys"><tr><th>${t("common.name")}</th><th>${t("apikeys.scope")}</th><th>${t("apikeys.prefix")}</th><th>${t("apikeys.lastUsed")}</th><th>${t("common.actions")}</th></tr>
    ${keys.map(
      (
        k,
      ) => html`<tr data-id=${k.id}><td>${k.name}</td><td class="scope">${t(`apikeys.scope.${k.scope}`)}</td><td><code>dgb_${k.prefix}_…</code></td><td>${k.lastUsedAt ? fmtTime(k.lastUsedAt, locale) : t("common.never")}</td>
      <td>${k.revokedAt ? t("apikeys.revoked") : html`<${DeleteButton} action=${`/settings/api-keys/${k.id}/delete`} csrf=${csrf} t=${t} label=${t("apikeys.revoke")} confirm=${t("apikeys.revokeConfirm", { name: k.name })} />`}</td></tr>`,
    )}</table></div>${keys.length ? null : html`<p class="empty">${t("apikeys.empty")}</p>`}</div>
  <form class="card" id="new-key" method="post" action="/settings/api-keys"><${Csrf} csrf=${csrf} /><label>${t("common.name")}<input name="name" required maxlength="80" /></label>
    <fieldset><legend>${t("apikeys.scope")}</legend>${(["read", "inbox", "admin"] as const).map((sc) => html`<label class="choice"><input type="radio" name="scope" value=${sc} checked=${sc === "read"} /> <strong>${t(`apikeys.scope.${sc}`)}</strong> — ${t(`apikeys.scope.${sc}.help`)}</label>`)}</fieldset>
    <p><button class="primary" type="submit">${t("apikeys.new")}</button></p></form>`;
}

export function LoginHistory({
  t,
  rows,
  locale,
}: {
  t: T;
  locale: string;
  rows: { at: number; email: string; ip: string | null; success: boolean; userAgent: string | null }[];
}): VNode {
  return html`<div class="card"><h1>${t("settings.loginHistory")}</h1><table><tr><th>${t("history.when")}</th><th>${t("users.email")}</th><th>${t("history.ip")}</th><th>${t("history.result")}</th></tr>
    ${rows.map((r) => html`<tr><td>${fmtTime(r.at, locale)}</td><td>${r.email}</td><td>${r.ip ?? ""}</td><td>${r.success ? t("history.ok") : t("history.fail")}</td></tr>`)}</table></div>`;
}

export function ProfilePage({
  t,
  csrf,
  user,
  flash,
  error,
}: {
  t: T;
  csrf: string;
  user: { name: string; locale: string };
  flash?: string;
  error?: string;
}): VNode {
  return html`<div class="page"><form class="card" method="post" action="/profile"><${Csrf} csrf=${csrf} /><h1>${t("nav.profile")}</h1>
    <p><a href="/profile/notifications" id="notifications-link">${t("notify.link")}</a></p>
    ${flash ? html`<div class="flash">${flash}</div>` : null}${error ? html`<div class="flash err" role="alert" id="profile-error">${error}</div>` : null}
    <label>${t("common.name")}<input name="name" value=${user.name} required /></label>
    <label>${t("profile.language")}<select name="locale"><option value="es" selected=${user.locale === "es"}>Español</option><option value="en" selected=${user.locale === "en"}>English</option></select></label>
    <fieldset><legend>${t("profile.changePassword")}</legend>
      <label>${t("profile.currentPassword")}<input name="currentPassword" type="password" autocomplete="current-password" /></label>
      <label>${t("profile.newPassword")}<input name="password" type="password" minlength="8" autocomplete="new-password" /></label></fieldset>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form></div>`;
}
