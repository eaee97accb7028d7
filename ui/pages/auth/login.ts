// The pages before a session: signing in, and the first-run wizard that sets up the business.
import { html, type VNode } from "../../components/html.ts";
import { Bare } from "../../components/layout.ts";
import type { T } from "../../i18n/index.ts";

const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

export function LoginPage({
  t,
  locale,
  error,
  email,
  csrf,
}: {
  t: T;
  locale: string;
  error?: string;
  email?: string;
  csrf: string;
}): VNode {
  return Bare({
    locale,
    title: t("login.title"),
    children: html`<form class="auth" method="post" action="/login"><input type="hidden" name="_csrf" value=${csrf} />
    <h1>DigyBot</h1><h2>${t("login.title")}</h2>
    ${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    <label>${t("login.email")}<input name="email" type="email" required autofocus value=${email ?? ""} /></label>
    <label>${t("login.password")}<input name="password" type="password" required /></label>
    <p><button class="primary" type="submit">${t("login.submit")}</button></p></form>`,
  });
}

export type SetupValues = {
  name?: string;
  description?: string;
  location?: string;
  country?: string;
  timezone?: string;
  locale?: string;
  departments?: string;
  adminName?: string;
  email?: string;
  hours?: Record<string, { open: boolean; from: string; to: string }>;
};

/** The first-run wizard: four steps in one form (one step at a time with JavaScript, all at once without). */
export function SetupPage({
  t,
  locale,
  values,
  error,
  timezones,
  csrf,
}: {
  t: T;
  locale: string;
  values: SetupValues;
  error?: string;
  timezones: string[];
  csrf: string;
}): VNode {
  const h = values.hours ?? {};
  const step = (
    n: number,
    key: string,
    body: unknown,
  ) => html`<fieldset class=${`step${n === 1 ? " cur" : ""}`} data-step=${n}><legend>${n}. ${t(key)}</legend>${body}
      <p>${n > 1 ? html`<button type="button" data-step-go=${n - 1}>${t("setup.back")}</button> ` : null}${n < 4 ? html`<button type="button" class="primary" data-step-go=${n + 1}>${t("setup.next")}</button>` : html`<button type="submit" class="primary">${t("setup.submit")}</button>`}</p></fieldset>`;
  return Bare({
    locale,
    title: t("setup.title"),
    children: html`<form class="auth wizard" method="post" action="/setup" style="max-width:640px"><input type="hidden" name="_csrf" value=${csrf} />
    <h1>${t("setup.title")}</h1><p>${t("setup.intro")}</p>
    ${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    ${step(
      1,
      "setup.step.business",
      html`
      <label>${t("setup.name")}<input name="name" required value=${values.name ?? ""} /></label>
      <label>${t("setup.description")}<textarea name="description" rows="3" style="width:100%">${values.description ?? ""}</textarea></label>
      <label>${t("setup.location")}<input name="location" value=${values.location ?? ""} /></label>
      <label>${t("setup.country")}<input name="country" maxlength="2" value=${values.country ?? "MX"} /></label>
      <label>${t("setup.timezone")}<select name="timezone">${timezones.map((z) => html`<option selected=${z === (values.timezone ?? "America/Mexico_City")}>${z}</option>`)}</select></label>
      <label>${t("setup.language")}<select name="locale"><option value="es" selected=${values.locale !== "en"}>Español</option><option value="en" selected=${values.locale === "en"}>English</option></select></label>`,
    )}
    ${step(
      2,
      "setup.step.hours",
      html`<table class="hours">${weekdays.map((d) => {
        const v = h[d] ?? { open: d !== "sun", from: "09:00", to: d === "sat" ? "14:00" : "18:00" };
        return html`<tr><td>${t(`day.${d}`)}</td><td><label style="margin:0"><input type="checkbox" name=${`open_${d}`} checked=${v.open} /> ${t("hours.open")}</label></td>
        <td>${t("hours.from")} <input type="time" name=${`from_${d}`} value=${v.from} /></td><td>${t("hours.to")} <input type="time" name=${`to_${d}`} value=${v.to} /></td></tr>`;
      })}</table>`,
    )}
    ${step(3, "setup.step.departments", html`<label>${t("setup.departments.help")}<textarea name="departments" rows="4" style="width:100%">${values.departments ?? "Ventas\nSoporte"}</textarea></label>`)}
    ${step(
      4,
      "setup.step.admin",
      html`
      <label>${t("setup.admin.name")}<input name="adminName" required value=${values.adminName ?? ""} /></label>
      <label>${t("login.email")}<input name="email" type="email" required value=${values.email ?? ""} /></label>
      <label>${t("login.password")}<input name="password" type="password" required minlength="8" /></label>`,
    )}
  </form>`,
  });
}
