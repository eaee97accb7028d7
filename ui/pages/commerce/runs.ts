// The courier's phone page (their runs, each stop with its navigation link and "Entregado"), the customer's tracking
// page, and the console's runs page (plan a run: ready delivery orders, a courier; the planned order of stops).
import { html, Csrf, fmtTime, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

/** A time of day as words for a sentence (the tracking page's zone is the business's). */
const clock = (at: number, locale: string, timeZone?: string) =>
  new Intl.DateTimeFormat(locale === "es" ? "es-MX" : "en-US", { hour: "2-digit", minute: "2-digit", timeZone }).format(
    new Date(at),
  );
const head = (title: string, extra: unknown = null) =>
  html`<head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" /><title>${title}</title><link rel="stylesheet" href="/assets/console.css" />${extra}</head>`;

export type CourierStop = {
  orderId: string;
  number: string;
  address: string;
  etaMinutes: number;
  deliveredAt: number | null;
  navigate: string;
  amountDue: string | null;
};
export function CourierPage({
  t,
  locale,
  token,
  name,
  runs,
}: {
  t: T;
  locale: string;
  token: string;
  name: string;
  runs: { id: string; status: string; totalMinutes: number; stops: CourierStop[] }[];
}): VNode {
  return html`<html lang=${locale}>${head(t("runs.courierTitle"))}<body class="bare courier" data-token=${token}>
    <main class="page"><div class="card"><h1>${t("runs.hello", { name })}</h1>
      <p class="meta" id="share-state" data-on=${t("runs.sharing")} data-off=${t("runs.notSharing")}>${t("runs.notSharing")}</p></div>
    ${
      runs.length
        ? runs.map(
            (
              r,
            ) => html`<section class="card run" data-run=${r.id}><h2>${t("runs.run", { n: String(r.stops.length), minutes: String(r.totalMinutes) })}</h2>
      ${r.status === "planned" ? html`<form method="post" action=${`/courier/${token}/runs/${r.id}/start`}><button class="primary" type="submit" id="start-run">${t("runs.start")}</button></form>` : null}
      <ol class="stops">${r.stops.map(
        (
          s,
        ) => html`<li class=${`stop${s.deliveredAt ? " done" : ""}`} data-order=${s.number}><strong>#${s.number}</strong> · ${s.address || "—"}<br /><span class="meta">${t("runs.eta", { minutes: String(s.etaMinutes) })}${s.amountDue ? html` · <strong>${t("runs.collect", { amount: s.amountDue })}</strong>` : null}</span>
        <div class="stop-actions"><a class="btn secondary" href=${s.navigate} target="_blank" rel="noopener noreferrer">${t("runs.navigate")}</a>${
          s.deliveredAt
            ? html`<span class="pill ok">${t("runs.delivered")}</span>`
            : r.status === "on_the_way"
              ? html`<form method="post" action=${`/courier/${token}/runs/${r.id}/stops/${s.orderId}/delivered`}><button type="submit" class="primary">${t("runs.markDelivered")}</button></form>`
              : null
        }</div></li>`,
      )}</ol></section>`,
          )
        : html`<div class="card"><p class="meta">${t("runs.none")}</p></div>`
    }</main><script src="/assets/courier.js" defer></script></body></html>`;
}

export function TrackingPage({
  t,
  locale,
  number,
  status,
  courierName,
  position,
  etaAt,
  tz,
}: {
  t: T;
  locale: string;
  tz?: string;
  number: string;
  status: string;
  courierName: string | null;
  position: { lat: number; lng: number; at: number } | null;
  etaAt: number | null;
}): VNode {
  const word = t(`orders.status.${status}`);
  return html`<html lang=${locale}>${head(t("orders.number", { number }), html`<meta http-equiv="refresh" content="30" />`)}<body class="bare">
    <main class="page"><div class="card" id="tracking"><h1>${t("orders.number", { number })}</h1>
      <p class="big" id="track-status">${word.charAt(0).toUpperCase() + word.slice(1)}</p>
      ${etaAt ? html`<p id="track-eta">${t("runs.arrives", { time: clock(etaAt, locale, tz) })}</p>` : null}
      ${courierName && status === "on_the_way" ? html`<p>${t("runs.bringing", { name: courierName })}</p>` : null}
      ${position ? html`<p><a id="track-map" href=${`https://www.openstreetmap.org/?mlat=${position.lat}&mlon=${position.lng}#map=16/${position.lat}/${position.lng}`} target="_blank" rel="noopener noreferrer">${t("runs.seeOnMap")}</a> <span class="meta">${t("runs.positionAt", { time: clock(position.at, locale, tz) })}</span></p>` : null}
    </div></main></body></html>`;
}

export function RunsPage({
  t,
  csrf,
  locale,
  ready,
  couriers,
  runs,
  hasStore,
  error,
  flash,
}: {
  t: T;
  csrf: string;
  locale: string;
  ready: { id: string; number: string; address: string; hasPin: boolean }[];
  couriers: { id: string; name: string }[];
  runs: {
    id: string;
    courier: string;
    status: string;
    totalMinutes: number;
    stops: { number: string; etaMinutes: number; delivered: boolean }[];
    createdAt: number;
  }[];
  hasStore: boolean;
  error?: string;
  flash?: string;
}): VNode {
  return html`<div class="page runs"><div class="card"><p><a href="/orders">← ${t("orders.title")}</a></p><h1>${t("runs.title")}</h1>
    ${flash ? html`<div class="flash" role="status">${flash}</div>` : null}${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    ${hasStore ? null : html`<p class="warn-text">${t("runs.needStore")}</p>`}
    ${
      ready.length && couriers.length
        ? html`<form method="post" action="/deliveries" id="plan-run"><${Csrf} csrf=${csrf} />
      <fieldset><legend>${t("runs.ready")}</legend>${ready.map((o) => html`<label class="check"><input type="checkbox" name="orderId" value=${o.id} disabled=${!o.hasPin} /> #${o.number} · ${o.address || "—"}${o.hasPin ? "" : html` <span class="warn-text">${t("runs.noPin")}</span>`}</label>`)}</fieldset>
      <label>${t("runs.courier")}<select name="courierId">${couriers.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></label>
      <p><button class="primary" type="submit">${t("runs.plan")}</button></p></form>`
        : html`<p class="meta">${couriers.length ? t("runs.nothingReady") : t("runs.noCouriers")}</p>`
    }</div>
    ${runs.map(
      (
        r,
      ) => html`<section class="card" data-run=${r.id}><h2>${r.courier} · ${t(`runs.status.${r.status}`)}</h2><p class="meta">${fmtTime(r.createdAt, locale)} · ${t("runs.total", { minutes: String(r.totalMinutes) })}</p>
      <ol class="stops">${r.stops.map((s) => html`<li data-order=${s.number}>#${s.number} · ${t("runs.eta", { minutes: String(s.etaMinutes) })}${s.delivered ? html` · <span class="pill ok">${t("runs.delivered")}</span>` : null}</li>`)}</ol></section>`,
    )}</div>`;
}

export function CouriersCard({
  t,
  csrf,
  couriers,
  newLink,
}: {
  t: T;
  csrf: string;
  couriers: { id: string; name: string; phone: string }[];
  newLink?: { name: string; url: string } | null;
}): VNode {
  return html`<div class="card" id="couriers"><h2>${t("runs.couriers")}</h2><p class="meta">${t("runs.couriersHelp")}</p>
    ${newLink ? html`<div class="flash" role="status" id="courier-link">${t("runs.linkFor", { name: newLink.name })} <code class="wrap">${newLink.url}</code></div>` : null}
    <ul class="promo-list">${couriers.map(
      (c) => html`<li data-courier=${c.name}><strong>${c.name}</strong> <span class="meta">${c.phone}</span>
      <form method="post" action=${`/settings/delivery/couriers/${c.id}/link`} class="inline"><${Csrf} csrf=${csrf} /><button type="submit" class="secondary">${t("runs.newLink")}</button></form></li>`,
    )}</ul>
    <form method="post" action="/settings/delivery/couriers" id="new-courier"><${Csrf} csrf=${csrf} />
      <div class="row2"><label>${t("common.name")}<input name="name" required maxlength="80" /></label><label>${t("contact.phone")}<input name="phone" type="tel" maxlength="30" /></label></div>
      <p><button class="primary" type="submit">${t("runs.addCourier")}</button></p></form></div>`;
}
