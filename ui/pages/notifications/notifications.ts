import { html, fmtTime, Csrf, type VNode } from "../../components/html.ts";
import { Icon } from "../../components/icons.ts";
import type { T } from "../../i18n/index.ts";

export type DeviceView = {
  id: string;
  device: string;
  createdAt: number;
  lastSentAt: number | null;
  lastError: string | null;
};

/**
 * A person's notifications: push on this device (the client island fills in the state: it alone knows whether the
 * browser can, and whether this device is subscribed), what to be told about, and the devices that get pushes.
 */
export function NotificationsPage({
  t,
  csrf,
  locale,
  vapidKey,
  prefs,
  devices,
  flash,
}: {
  t: T;
  csrf: string;
  locale: string;
  vapidKey: string;
  prefs: Record<string, boolean>;
  devices: DeviceView[];
  flash?: string;
}): VNode {
  const pref = (k: string) =>
    html`<label class="check"><input type="checkbox" name=${k} value="1" checked=${prefs[k]} /> ${t(`notify.pref.${k}`)}</label>`;
  return html`<div class="page"><section class="card" id="push-card" data-vapid=${vapidKey}
      data-t-on=${t("notify.on")} data-t-off=${t("notify.off")} data-t-denied=${t("notify.denied")} data-t-insecure=${t("notify.insecure")}
      data-t-unsupported=${t("notify.unsupported")} data-t-failed=${t("notify.failed")}>
    <p><a href="/profile"><${Icon} name="back" /> ${t("nav.profile")}</a></p>
    <h1>${t("notify.title")}</h1>
    ${flash ? html`<div class="flash" role="status">${flash}</div>` : null}
    <p class="muted">${t("notify.intro")}</p>
    <p id="push-state" role="status" aria-live="polite">${t("notify.off")}</p>
    <p class="actions"><button type="button" class="primary" id="push-enable" hidden>${t("notify.enable")}</button>
      <button type="button" id="push-disable" hidden>${t("notify.disable")}</button></p>
  </section>
  <form class="card" method="post" action="/profile/notifications"><${Csrf} csrf=${csrf} />
    <h2>${t("notify.prefs")}</h2>
    ${["newConversation", "newMessage", "assigned", "mention", "sound"].map(pref)}
    <p><button class="primary" type="submit">${t("common.save")}</button></p>
  </form>
  <section class="card" id="devices"><h2>${t("notify.devices")}</h2>
    ${
      devices.length
        ? html`<ul class="devices">${devices.map(
            (d) => html`<li data-device=${d.id}><span><b>${d.device || t("notify.unknownDevice")}</b>
              <small class="muted"> · ${d.lastSentAt ? html`${t("notify.lastSent", { when: "" })}${fmtTime(d.lastSentAt, locale)}` : t("notify.never")}</small></span>
              <form method="post" action=${`/profile/devices/${d.id}/delete`} data-confirm=${t("notify.removeConfirm", { device: d.device || t("notify.unknownDevice") })}>
              <${Csrf} csrf=${csrf} /><button type="submit" class="danger">${t("notify.remove")}</button></form></li>`,
          )}</ul>
          <form method="post" action="/profile/notifications/test"><${Csrf} csrf=${csrf} /><button type="submit">${t("notify.test")}</button></form>`
        : html`<p class="empty">${t("notify.noDevices")}</p>`
    }
  </section></div>`;
}

/** The page a phone shows without a connection (cached by the service worker). */
export function OfflinePage({ t, locale }: { t: T; locale: string }): VNode {
  return html`<html lang=${locale}><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${t("offline.title")} · DigyBot</title><link rel="stylesheet" href="/assets/console.css" /></head>
    <body data-offline="1"><div class="auth" role="alert"><h1>${t("offline.title")}</h1><p>${t("offline.body")}</p>
    <p><a class="button primary" href="/inbox">${t("offline.retry")}</a></p></div>
    <script src="/assets/console.js" defer></script></body></html>`;
}
