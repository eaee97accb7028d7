// The business's own settings: name, place, time zone, language, opening hours.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";
import { weekdays } from "../../components/settings.ts";

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
    holidays?: { date: string; name: string }[];
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
    <label>${t("business.holidays")}<textarea name="holidays" rows="4" style="width:100%" placeholder="2026-12-25 Navidad">${(b.holidays ?? []).map((h) => `${h.date} ${h.name}`.trim()).join("\n")}</textarea></label>
    <p class="muted">${t("business.holidaysHint")}</p>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>`;
}
