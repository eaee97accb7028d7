import { html, Csrf, fmtTime, type VNode } from "../components/html.ts";
import { Icon } from "../components/icons.ts";
import type { T } from "../i18n/index.ts";

type Opt = { id: string; name: string };
const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

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
  return html`<div class="page settings"><nav>${link("business", "settings.business")}${link("users", "settings.users")}${link("departments", "settings.departments")}${link("tags", "settings.tags")}
      ${link("quick-replies", "settings.quickReplies")}${link("channels", "settings.channels")}${link("ai", "settings.ai")}${link("agents", "settings.agents")}${link("knowledge", "settings.knowledge")}${link("catalog", "settings.catalog")}${link("calendar", "settings.calendar")}${link("api-keys", "settings.apiKeys")}${link("login-history", "settings.loginHistory")}</nav>
    <div>${flash ? html`<div class="flash" role="status">${flash}</div>` : null}${error ? html`<div class="flash err" role="alert">${error}</div>` : null}${children}</div></div>`;
}

const DeleteButton = ({
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

export function BusinessSettings({
  t,
  csrf,
  b,
  timezones,
}: {
  t: T;
  csrf: string;
  b: {
    name: string;
    description: string;
    location: string;
    country: string;
    timezone: string;
    locale: string;
    hours: Record<string, { open: boolean; from: string; to: string }>;
  };
  timezones: string[];
}): VNode {
  return html`<form class="card" method="post" action="/settings/business"><${Csrf} csrf=${csrf} /><h1>${t("settings.business")}</h1>
    <label>${t("setup.name")}<input name="name" required value=${b.name} /></label>
    <label>${t("setup.description")}<textarea name="description" rows="3" style="width:100%">${b.description}</textarea></label>
    <label>${t("setup.location")}<input name="location" value=${b.location} /></label>
    <label>${t("setup.country")}<input name="country" maxlength="2" value=${b.country} /></label>
    <label>${t("setup.timezone")}<select name="timezone">${timezones.map((z) => html`<option selected=${z === b.timezone}>${z}</option>`)}</select></label>
    <label>${t("setup.language")}<select name="locale"><option value="es" selected=${b.locale !== "en"}>Español</option><option value="en" selected=${b.locale === "en"}>English</option></select></label>
    <h3>${t("setup.step.hours")}</h3><table class="hours">${weekdays.map(
      (
        d,
      ) => html`<tr><td>${t(`day.${d}`)}</td><td><label style="margin:0"><input type="checkbox" name=${`open_${d}`} checked=${b.hours[d]?.open} /> ${t("hours.open")}</label></td>
      <td><input type="time" name=${`from_${d}`} value=${b.hours[d]?.from} /> – <input type="time" name=${`to_${d}`} value=${b.hours[d]?.to} /></td></tr>`,
    )}</table>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>`;
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
      <td><form method="post" action=${`/settings/users/${u.id}`} style="display:flex;gap:4px;flex-wrap:wrap"><${Csrf} csrf=${csrf} />
        <select name="role"><option value="agent" selected=${u.role === "agent"}>${t("users.role.agent")}</option><option value="admin" selected=${u.role === "admin"}>${t("users.role.admin")}</option></select>
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
    <label>${t("users.role")}<select name="role"><option value="agent">${t("users.role.agent")}</option><option value="admin">${t("users.role.admin")}</option></select></label>
    <label>${t("users.departments")}<select name="departmentIds" multiple>${departments.map((d) => html`<option value=${d.id}>${d.name}</option>`)}</select></label>
    <p><button class="primary" type="submit">${t("common.create")}</button></p></form>`;
}

/**
 * A settings list with a form to add one. Deleting asks first and says what it affects (`confirmOf`); an empty
 * list says what to do next (`empty`).
 */
type FieldSpec = { name: string; label: string; type?: string; textarea?: boolean; value?: string };
const Field = ({ f }: { f: FieldSpec }) =>
  html`<label>${f.label}${f.textarea ? html`<textarea name=${f.name} rows="3" style="width:100%" required>${f.value ?? ""}</textarea>` : html`<input name=${f.name} type=${f.type ?? "text"} value=${f.value ?? ""} required />`}</label>`;

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

type ChannelView = {
  id: string;
  type: string;
  name: string;
  active: boolean;
  departmentId: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: a channel's config differs by kind; each form reads its own fields
  config: Record<string, any>;
  stats?: { queued: number; sent: number; failed: number; lastError: string | null; lastErrorAt: number | null };
  templates?: { name: string; language: string; status: string; params: number; body: string }[];
};

/** The Cloud API connection's fields; a secret shows only its last characters and, left empty, keeps its value. */
// biome-ignore lint/suspicious/noExplicitAny: the Cloud API config as stored, secrets masked
function CloudFields({ t, config }: { t: T; config: Record<string, any> }): VNode {
  return html`<label>${t("wa.phoneNumberId")}<input name="phoneNumberId" value=${config.phoneNumberId ?? ""} required /></label>
    <label>${t("wa.wabaId")}<input name="wabaId" value=${config.wabaId ?? ""} /></label>
    <label>${t("wa.accessToken")}<input name="accessToken" type="password" autocomplete="off" placeholder=${config.accessToken ?? ""} required=${!config.accessToken} /></label>
    <label>${t("wa.appSecret")}<input name="appSecret" type="password" autocomplete="off" placeholder=${config.appSecret ?? ""} required=${!config.appSecret} /></label>
    <label>${t("wa.verifyToken")}<input name="verifyToken" value=${config.verifyToken ?? ""} minlength="8" required /></label>
    <label>${t("wa.rate")}<input name="ratePerSecond" type="number" min="1" max="1000" value=${config.ratePerSecond ?? 80} /></label>`;
}

/** A text to paste elsewhere (the widget snippet, a webhook URL, a new key), with a button that copies it. */
const Copyable = ({ t, id, text }: { t: T; id: string; text: string }) =>
  html`<div class="copyable"><pre id=${id}>${text}</pre><button type="button" class="copy" data-copy=${id} data-done=${t("common.copied")}>${t("common.copy")}</button></div>`;

/** What went wrong with a QR-paired number, as something the owner can act on (the raw text stays in Detalles). */
export function qrProblem(error: string) {
  if (/logged ?out|\b401\b|unlinked/i.test(error)) return "loggedOut";
  if (/ban|\b403\b/i.test(error)) return "banned";
  if (/timed? ?out|ENOTFOUND|ECONN|EAI_AGAIN|unreachable|Connection (Failure|Closed|Lost)|\b408\b|\b503\b/i.test(error))
    return "network";
  return "other";
}

export type QrView = {
  state: string;
  qrSvg: string | null;
  pairingCode: string | null;
  lastError: string | null;
  me: string | null;
  since: number;
};

/** A QR-paired number's live state and what the owner can do next; the page refreshes it every 2 s. */
export function QrStatusView({
  t,
  csrf,
  channelId,
  s,
  locale,
}: {
  t: T;
  csrf: string;
  channelId: string;
  s: QrView;
  locale: string;
}): VNode {
  const act = (path: string, label: string, cls = "", confirm?: string) =>
    html`<form method="post" action=${`/settings/channels/${channelId}/${path}`} style="display:inline" data-confirm=${confirm}><${Csrf} csrf=${csrf} /><button type="submit" class=${cls}>${label}</button></form>`;
  return html`<div class="qr-status" id=${`qr-${channelId}`} data-poll=${`/partials/channel-qr/${channelId}`} data-state=${s.state}>
    <p>${t("channels.state")}: <b class="qr-state">${t(`waqr.state.${s.state}`)}</b>${s.me ? html` · ${t("waqr.number")}: +${s.me.split(":")[0].split("@")[0]}` : null} <small class="meta">(${fmtTime(s.since, locale)})</small></p>
    ${s.lastError ? html`<p class="error">${t(`waqr.problem.${qrProblem(s.lastError)}`)}</p><details class="details"><summary>${t("common.details")}</summary><code>${s.lastError}</code></details>` : null}
    ${s.qrSvg ? html`<div class="qr"><p>${t("waqr.scan")}</p><div class="qr-img" dangerouslySetInnerHTML=${{ __html: s.qrSvg }}></div></div>` : null}
    ${s.pairingCode ? html`<p>${t("waqr.codeIs")} <code class="pairing-code">${s.pairingCode}</code></p>` : null}
    <p>${
      s.state === "open"
        ? act("logout", t("waqr.logout"), "danger", t("waqr.logoutConfirm"))
        : html`${act("pair", t("waqr.pair"), "primary")}
      <form method="post" action=${`/settings/channels/${channelId}/pair-code`} style="display:inline"><${Csrf} csrf=${csrf} /><input name="phone" placeholder="+52 55 1234 5678" required /> <button type="submit">${t("waqr.pairByPhone")}</button></form>`
    }</p>
  </div>`;
}

export function ChannelsSettings({
  t,
  csrf,
  channels,
  departments,
  baseUrl,
  locale,
}: {
  t: T;
  csrf: string;
  baseUrl: string;
  locale: string;
  channels: (ChannelView & { qr?: QrView })[];
  departments: Opt[];
}): VNode {
  // Each connection is a card holding its own forms side by side (the QR pairing actions, the settings, delete),
  // never one form inside another: a nested form's buttons would post the outer one.
  return html`${channels.map(
    (ch) => html`<section class="card channel" data-channel-type=${ch.type} data-channel=${ch.id}>
    <h1>${ch.name} <small class="meta">(${t(`channelType.${ch.type}`)})</small></h1>
    ${ch.type === "webchat" ? html`<p>${t("channels.snippet")}</p><${Copyable} t=${t} id=${`snippet-${ch.id}`} text=${`<script src="${baseUrl}/widget.js" data-channel="${ch.id}" async></script>`} />` : null}
    ${ch.type === "whatsapp_cloud" ? html`<p>${t("wa.webhookHelp")}</p><${Copyable} t=${t} id=${`webhook-${ch.id}`} text=${`${baseUrl}/webhooks/whatsapp-cloud`} />` : null}
    ${ch.qr ? QrStatusView({ t, csrf, channelId: ch.id, s: ch.qr, locale }) : null}
    ${
      ch.stats
        ? html`<p class="meta stats">${t("channels.state")}: <b>${ch.active ? t("channels.stateActive") : t("channels.statePaused")}</b> · ${t("channels.queued")}: ${ch.stats.queued} · ${t("channels.sent")}: ${ch.stats.sent} · ${t("channels.failed")}: ${ch.stats.failed}${ch.config.ratePerSecond ? html` · ${t("channels.pace", { n: String(ch.config.ratePerSecond) })}` : null}</p>
      ${ch.stats.lastError ? html`<p class="error">${t("channels.lastError")}: ${ch.stats.lastError} (${fmtTime(ch.stats.lastErrorAt!, locale)})</p>` : null}`
        : null
    }
    <form method="post" action=${`/settings/channels/${ch.id}`} class="channel-settings"><${Csrf} csrf=${csrf} />
    <label>${t("common.name")}<input name="name" value=${ch.name} /></label>
    <label>${t("conv.department")}<select name="departmentId"><option value="">${t("common.none")}</option>${departments.map((d) => html`<option value=${d.id} selected=${d.id === ch.departmentId}>${d.name}</option>`)}</select></label>
    <label><input type="checkbox" name="active" checked=${ch.active} /> ${t("channels.active")}</label>
    ${
      ch.type === "webchat"
        ? html`
      <label>${t("channels.title")}<input name="title" value=${ch.config.title ?? ""} /></label>
      <label>${t("channels.greeting")}<input name="greeting" value=${ch.config.greeting ?? ""} style="width:100%" /></label>
      <label>${t("channels.offlineMessage")}<input name="offlineMessage" value=${ch.config.offlineMessage ?? ""} style="width:100%" /></label>
      <label>${t("channels.color")}<input name="color" type="color" value=${ch.config.color ?? "#0f766e"} /></label>
      <label>${t("channels.widgetLanguage")}<select name="widgetLocale">${(["business", "es", "en", "auto"] as const).map((l) => html`<option value=${l} selected=${(ch.config.locale ?? "business") === l}>${t(`channels.widgetLanguage.${l}`)}</option>`)}</select></label>
      <fieldset class="prechat"><legend><label><input type="checkbox" name="preChat" checked=${ch.config.preChat?.enabled} /> ${t("channels.preChat")}</label></legend>
        ${(["name", "email", "phone"] as const).map((f) => html`<label class="choice"><input type="checkbox" name="preChatFields" value=${f} checked=${(ch.config.preChat?.fields ?? ["name", "email"]).includes(f)} /> ${t(`widget.${f}`)}</label>`)}
        <label class="choice"><input type="checkbox" name="preChatRequired" checked=${ch.config.preChat?.required ?? true} /> ${t("channels.preChatRequired")}</label></fieldset>
      <label>${t("channels.allowedOrigins")}<textarea name="allowedOrigins" rows="3" style="width:100%">${(ch.config.allowedOrigins ?? []).join("\n")}</textarea></label>`
        : null
    }
    ${ch.type === "whatsapp_cloud" ? html`<${CloudFields} t=${t} config=${ch.config} />` : null}
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
    <form method="post" action=${`/settings/channels/${ch.id}/delete`} class="danger" data-confirm=${t("channels.deleteConfirm")}><${Csrf} csrf=${csrf} /><button type="submit">${t("channels.delete")}</button></form></section>
    ${
      ch.templates
        ? html`<div class="card templates"><h3>${t("wa.templates")}</h3>
      <form method="post" action=${`/settings/channels/${ch.id}/templates/sync`}><${Csrf} csrf=${csrf} /><button type="submit">${t("wa.syncTemplates")}</button></form>
      ${
        ch.templates.length
          ? html`<table><tr><th>${t("common.name")}</th><th>${t("wa.language")}</th><th>${t("wa.status")}</th><th>${t("wa.body")}</th></tr>
        ${ch.templates.map((x) => html`<tr><td><code>${x.name}</code></td><td>${x.language}</td><td>${x.status}</td><td>${x.body}</td></tr>`)}</table>`
          : html`<p class="meta">${t("wa.noTemplates")}</p>`
      }</div>`
        : null
    }`,
  )}
  <form class="card" method="post" action="/settings/channels"><${Csrf} csrf=${csrf} /><h3>${t("channels.new")}</h3>
    <input type="hidden" name="type" value="webchat" />
    <label>${t("common.name")}<input name="name" required value="Web" /></label><p><button class="primary" type="submit">${t("common.create")}</button></p></form>
  <form class="card" method="post" action="/settings/channels" id="new-whatsapp-qr"><${Csrf} csrf=${csrf} /><h3>${t("waqr.new")}</h3>
    <p class="meta">${t("waqr.newHelp")}</p>
    <input type="hidden" name="type" value="whatsapp_qr" />
    <label>${t("common.name")}<input name="name" required value="WhatsApp" /></label>
    <p><button class="primary" type="submit">${t("common.create")}</button></p></form>
  <form class="card" method="post" action="/settings/channels" id="new-whatsapp-cloud"><${Csrf} csrf=${csrf} /><h3>${t("wa.new")}</h3>
    <p class="meta">${t("wa.newHelp")}</p>
    <input type="hidden" name="type" value="whatsapp_cloud" />
    <label>${t("common.name")}<input name="name" required value="WhatsApp" /></label>
    <${CloudFields} t=${t} config=${{}} />
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

export function ContactsPage({
  t,
  q,
  items,
  next,
  locale,
}: {
  t: T;
  q: string;
  locale: string;
  items: { id: string; name: string; phone: string | null; email: string | null; updatedAt: number }[];
  next: string | null;
}): VNode {
  return html`<div class="page"><div class="card"><h1>${t("contacts.title")}</h1><form method="get"><input type="search" name="q" value=${q} placeholder=${t("contacts.search")} style="width:100%" /></form>
    ${
      items.length
        ? html`<table><tr><th>${t("contact.name")}</th><th>${t("contact.phone")}</th><th>${t("contact.email")}</th><th></th></tr>
      ${items.map((c) => html`<tr><td>${c.name || t("common.none")}</td><td>${c.phone ?? ""}</td><td>${c.email ?? ""}</td><td>${fmtTime(c.updatedAt, locale)}</td></tr>`)}</table>`
        : html`<p class="empty">${t("contacts.empty")}</p>`
    }
    ${next ? html`<p><a href=${`/contacts?q=${encodeURIComponent(q)}&before=${next}`}>${t("inbox.more")}</a></p>` : null}</div></div>`;
}

export type AiView = {
  provider: string;
  ollamaUrl: string;
  openaiUrl: string;
  openaiKey: string;
  chatModel: string;
  embedModel: string;
  concurrency: number;
  timeoutMs: number;
  shareContactData: boolean;
};
export type PullView = {
  model: string;
  status: string;
  completed: number | null;
  total: number | null;
  done: boolean;
  error: string | null;
  errorCode: string | null;
};

/** A failed download in the owner's words, with the provider's own message behind "Detalles". */
export const pullFailure = (t: T, p: { model: string; errorCode: string | null }) =>
  t(`ai.pullFailed.${p.errorCode === "model_not_found" || p.errorCode === "timeout" ? p.errorCode : "other"}`, {
    model: p.model,
  });
export type AiTestView =
  | {
      ok: true;
      models: { name: string; parameterSize: string | null }[];
      chatModelFound: boolean;
      embedModelFound: boolean;
    }
  | { ok: false; code: string; error: string };

/** Downloads of models in progress, refreshed every 2 s. */
export function PullProgressView({ t, pulls }: { t: T; pulls: PullView[] }): VNode {
  return html`<div id="ai-pulls" data-poll="/partials/ai-pulls">${pulls.map((p) => {
    const pct = p.total ? Math.floor(((p.completed ?? 0) / p.total) * 100) : null;
    return html`<div class="pull" data-model=${p.model} data-done=${String(p.done)}><b>${p.model}</b>: ${p.error ? html`<span class="error">${pullFailure(t, p)}</span> <details class="details"><summary>${t("common.details")}</summary><code>${p.error}</code></details>` : p.done ? t("ai.pullDone") : p.status}
      ${!p.done && pct !== null ? html` <progress max="100" value=${pct}></progress> ${pct}%` : null}</div>`;
  })}</div>`;
}

export function AiSettings({
  t,
  csrf,
  s,
  defaultOllama,
  test,
  pulls,
}: {
  t: T;
  csrf: string;
  s: AiView;
  defaultOllama: string;
  test?: AiTestView;
  pulls: PullView[];
}): VNode {
  return html`<form class="card" method="post" action="/settings/ai"><${Csrf} csrf=${csrf} /><h1>${t("settings.ai")}</h1>
    <p class="meta">${t("ai.help")}</p>
    <label><input type="radio" name="provider" value="ollama" checked=${s.provider === "ollama"} /> ${t("ai.ollama")}</label>
    <label><input type="radio" name="provider" value="openai" checked=${s.provider === "openai"} /> ${t("ai.openai")}</label>
    <label>${t("ai.ollamaUrl")}<input name="ollamaUrl" value=${s.ollamaUrl} placeholder=${defaultOllama} /></label>
    <label>${t("ai.openaiUrl")}<input name="openaiUrl" value=${s.openaiUrl} /></label>
    <label>${t("ai.openaiKey")}<input name="openaiKey" type="password" autocomplete="off" placeholder=${s.openaiKey} /></label>
    <label>${t("ai.chatModel")}<input name="chatModel" value=${s.chatModel} required /></label>
    <label>${t("ai.embedModel")}<input name="embedModel" value=${s.embedModel} required /></label>
    <label>${t("ai.concurrency")}<input name="concurrency" type="number" min="1" max="16" value=${s.concurrency} /></label>
    <label>${t("ai.timeout")}<input name="timeoutS" type="number" min="1" max="600" value=${Math.round(s.timeoutMs / 1000)} /></label>
    <label class="inline"><input type="checkbox" name="shareContactData" value="1" checked=${s.shareContactData} /> ${t("ai.shareContactData")}</label>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
  <div class="card"><form method="post" action="/settings/ai/test"><${Csrf} csrf=${csrf} /><button type="submit">${t("ai.test")}</button></form>
    ${
      test
        ? test.ok
          ? html`<div class="ai-test ok"><p><${Icon} name="check" /> ${t("ai.testOk", { n: String(test.models.length) })}</p>
        ${!test.chatModelFound ? html`<p class="error">${t("ai.missingModel", { model: s.chatModel })}</p>` : null}
        ${!test.embedModelFound ? html`<p class="error">${t("ai.missingModel", { model: s.embedModel })}</p>` : null}
        <ul>${test.models.map((m) => html`<li><code>${m.name}</code>${m.parameterSize ? ` · ${m.parameterSize}` : ""}</li>`)}</ul></div>`
          : html`<p class="ai-test error">${t(`ai.error.${test.code}`)} <small class="meta">${test.error}</small></p>`
        : null
    }</div>
  ${
    s.provider === "ollama"
      ? html`<form class="card" method="post" action="/settings/ai/pull"><${Csrf} csrf=${csrf} /><h3>${t("ai.pull")}</h3>
    <label>${t("ai.model")}<input name="model" placeholder="llama3.2" required /></label> <button type="submit">${t("ai.pullStart")}</button>
    ${PullProgressView({ t, pulls })}</form>`
      : null
  }`;
}
