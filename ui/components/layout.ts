import { html, type VNode } from "./html.ts";
import { dictionaries, type T } from "../i18n/index.ts";
import { Icon, Avatar, type IconName } from "./icons.ts";

/** The error texts of a locale, for the client island to translate `error.code` from API answers. */
function errorTexts(locale: "es" | "en") {
  const d = dictionaries[locale] as Record<string, string>;
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(d)
        .filter((k) => k.startsWith("errors."))
        .map((k) => [k.slice(7), d[k]]),
    ),
  ).replace(/</g, "\\u003c");
}

export type PageUser = {
  id: string;
  name: string;
  role: "admin" | "supervisor" | "agent";
  locale: "es" | "en";
  availability?: "online" | "away" | "offline";
};

/** The person's presence in the top bar, and the three they may choose (a form each: it works before scripts load). */
const PresenceControl = ({ t, csrf, availability }: { t: T; csrf: string; availability: string }) =>
  html`<details class="presence" id="presence"><summary aria-label=${t("presence.label", { state: t(`presence.${availability}`) })}><span class=${`dot ${availability}`}></span><span class="presence-name">${t(`presence.${availability}`)}</span></summary>
    <div class="presence-menu">${(["online", "away", "offline"] as const).map(
      (a) =>
        html`<form method="post" action="/console/presence"><input type="hidden" name="_csrf" value=${csrf} /><input type="hidden" name="availability" value=${a} /><button type="submit" class=${a === availability ? "on" : ""} aria-pressed=${String(a === availability)}><span class=${`dot ${a}`}></span> ${t(`presence.${a}`)}</button></form>`,
    )}<p class="muted">${t("presence.hint")}</p></div></details>`;

/** The console's frame: top navigation, the live-connection banner and the client island script. */
export function Layout({
  t,
  user,
  csrf,
  title,
  active,
  children,
}: {
  t: T;
  user: PageUser;
  csrf: string;
  title: string;
  active: string;
  children: unknown;
}): VNode {
  const nav = (href: string, key: string, id: string, icon: IconName) =>
    html`<a href=${href} class=${active === id ? "on" : ""}><${Icon} name=${icon} /> ${t(key)}</a>`;
  return html`<html lang=${user.locale}>
    <head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" /><meta name="csrf-token" content=${csrf} />
      <title>${title} · DigyBot</title><link rel="stylesheet" href="/assets/console.css" />
      <link rel="manifest" href="/manifest.webmanifest" /><meta name="theme-color" content="#0f766e" /><link rel="icon" href="/assets/icon.svg" type="image/svg+xml" /><link rel="apple-touch-icon" href="/assets/icon.svg" /></head>
    <body data-locale=${user.locale} data-t-alert=${t("push.alert")} data-user=${user.id} data-role=${user.role}>
      <div class="top"><strong>DigyBot</strong>
        <${PresenceControl} t=${t} csrf=${csrf} availability=${user.availability ?? "online"} />
        <button type="button" class="menu-toggle" id="menu-toggle" aria-controls="top-links" aria-expanded="false" aria-label=${t("nav.menu")}><${Icon} name="menu" size=${22} /></button>
        <nav class="links" id="top-links">${nav("/inbox", "nav.inbox", "inbox", "inbox")}${nav("/contacts", "nav.contacts", "contacts", "users")}${nav("/tickets", "nav.tickets", "tickets", "check")}${nav("/orders", "nav.orders", "orders", "cart")}${nav("/boards", "nav.boards", "boards", "workflow")}${nav("/team", "nav.team", "team", "list")}${user.role === "admin" ? nav("/settings", "nav.settings", "settings", "settings") : null}${nav("/profile/notifications", "notify.title", "notifications", "bell")}
          <span class="sp"></span><a class=${`me${active === "profile" ? " on" : ""}`} href="/profile"><${Avatar} name=${user.name} id=${user.id} size=${24} /> <span>${user.name}</span></a>
          <form method="post" action="/logout"><input type="hidden" name="_csrf" value=${csrf} /><button type="submit"><${Icon} name="logout" /> ${t("nav.logout")}</button></form></nav></div>
      <div class="live-off" id="live-off">${t("live.disconnected")}</div>
      <script type="application/json" id="error-texts" dangerouslySetInnerHTML=${{ __html: errorTexts(user.locale) }}></script>
      <main id="main">${children}</main>
      <script src="/assets/console.js" defer></script>
    </body></html>`;
}

/** A bare page (login, setup) without navigation. */
export function Bare({
  locale,
  title,
  children,
  csrf,
}: {
  locale: string;
  title: string;
  children: unknown;
  csrf?: string;
}): VNode {
  return html`<html lang=${locale}><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />${csrf ? html`<meta name="csrf-token" content=${csrf} />` : null}
    <title>${title} · DigyBot</title><link rel="stylesheet" href="/assets/console.css" /></head>
    <body><script dangerouslySetInnerHTML=${{ __html: 'document.documentElement.classList.add("js")' }}></script>${children}<script src="/assets/console.js" defer></script></body></html>`;
}
