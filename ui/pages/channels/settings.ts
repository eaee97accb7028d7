// The channels settings page: each connection's card (web chat options, WhatsApp by QR, Cloud API, templates).
import { html, Csrf, fmtTime, type VNode } from "../../components/html.ts";
import { plural, type T } from "../../i18n/index.ts";
import { Copyable, type Opt } from "../../components/settings.ts";

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
    <div class="qr-actions">${
      s.state === "open"
        ? act("logout", t("waqr.logout"), "danger", t("waqr.logoutConfirm"))
        : html`${act("pair", t("waqr.pair"), "primary")}
      <form method="post" action=${`/settings/channels/${channelId}/pair-code`} style="display:inline"><${Csrf} csrf=${csrf} /><input name="phone" placeholder="+52 55 1234 5678" required /> <button type="submit">${t("waqr.pairByPhone")}</button></form>`
    }</div>
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
    <form method="post" action=${`/settings/channels/${ch.id}/delete`} class="danger" data-confirm=${t("channels.deleteConfirm", { name: ch.name, queued: plural(locale === "en" ? "en" : "es", "count.replies", ch.stats?.queued ?? 0) })}><${Csrf} csrf=${csrf} /><button type="submit">${t("channels.delete")}</button></form></section>
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
