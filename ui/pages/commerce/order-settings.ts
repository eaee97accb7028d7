// Settings → Pedidos: how long checkout holds stock, when a cart counts as abandoned, whether customers are told of
// each step, and the WhatsApp template that tells them once the 24-hour window has closed.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export function OrderSettings({
  t,
  csrf,
  v,
  templates,
}: {
  t: T;
  csrf: string;
  v: {
    holdMinutes: number;
    abandonedMinutes: number;
    notifyCustomer: boolean;
    statusTemplate: { name: string; language: string } | null;
  };
  templates: { name: string; language: string }[];
}): VNode {
  const cur = v.statusTemplate ? `${v.statusTemplate.name}|${v.statusTemplate.language}` : "";
  return html`<form class="card" method="post" action="/settings/orders" id="order-settings"><${Csrf} csrf=${csrf} /><h1>${t("settings.orders")}</h1>
    <p class="meta">${t("orderSettings.help")}</p>
    <label>${t("orderSettings.hold")}<input name="holdMinutes" type="number" min="1" max="10080" value=${v.holdMinutes} /></label>
    <label>${t("orderSettings.abandoned")}<input name="abandonedMinutes" type="number" min="5" max="10080" value=${v.abandonedMinutes} /></label>
    <label class="check"><input type="checkbox" name="notifyCustomer" value="1" checked=${v.notifyCustomer} /> ${t("orderSettings.notify")}</label>
    <label>${t("orderSettings.template")}<select name="statusTemplate"><option value="">${t("orderSettings.noTemplate")}</option>${templates.map((x) => html`<option value=${`${x.name}|${x.language}`} selected=${cur === `${x.name}|${x.language}`}>${x.name} (${x.language})</option>`)}</select></label>
    <p class="meta">${t("orderSettings.templateHelp")}</p>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>`;
}
