// Settings → Entregas: the store's location, pickup and delivery on or off, and the zones (a radius from the store,
// a polygon's corners, or postal codes and colonias), each with its fee, minimum order and time.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export type ZoneRow = {
  id: string;
  name: string;
  kind: string;
  summary: string;
  fee: string;
  minOrder: string;
  minutes: number;
};

export function DeliverySettingsPage({
  t,
  csrf,
  store,
  pickup,
  delivery,
  zones,
}: {
  t: T;
  csrf: string;
  store: { lat: number; lng: number } | null;
  pickup: boolean;
  delivery: boolean;
  zones: ZoneRow[];
}): VNode {
  return html`<form class="card" method="post" action="/settings/delivery" id="delivery-store"><${Csrf} csrf=${csrf} /><h1>${t("settings.delivery")}</h1><p class="meta">${t("delivery.help")}</p>
      <div class="row2"><label>${t("delivery.lat")}<input name="lat" inputmode="decimal" value=${store?.lat ?? ""} placeholder="19.4326" /></label><label>${t("delivery.lng")}<input name="lng" inputmode="decimal" value=${store?.lng ?? ""} placeholder="-99.1332" /></label></div>
      <label class="check"><input type="checkbox" name="pickup" value="1" checked=${pickup} /> ${t("delivery.pickup")}</label>
      <label class="check"><input type="checkbox" name="delivery" value="1" checked=${delivery} /> ${t("delivery.delivery")}</label>
      <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
    <div class="card"><h2>${t("delivery.zones")}</h2>${
      zones.length
        ? html`<ul class="promo-list" id="zone-list">${zones.map(
            (
              z,
            ) => html`<li data-zone=${z.name}><strong>${z.name}</strong> <span class="meta">${z.summary} · ${t("delivery.feeIs", { fee: z.fee })} · ${t("delivery.minIs", { min: z.minOrder })} · ${t("delivery.minutesIs", { n: String(z.minutes) })}</span>
            <form method="post" action=${`/settings/delivery/zones/${z.id}/delete`} class="inline" data-confirm=${t("delivery.confirmDelete", { name: z.name })}><${Csrf} csrf=${csrf} /><button type="submit" class="danger">${t("common.delete")}</button></form></li>`,
          )}</ul>`
        : html`<p class="meta">${t("delivery.noZones")}</p>`
    }</div>
    <form class="card" method="post" action="/settings/delivery/zones" id="new-zone"><${Csrf} csrf=${csrf} /><h2>${t("delivery.newZone")}</h2>
      <label>${t("common.name")}<input name="name" required maxlength="80" placeholder="Centro" /></label>
      <label>${t("delivery.kind")}<select name="kind"><option value="radius">${t("delivery.kind.radius")}</option><option value="polygon">${t("delivery.kind.polygon")}</option><option value="areas">${t("delivery.kind.areas")}</option></select></label>
      <label>${t("delivery.radiusKm")}<input name="radiusKm" inputmode="decimal" placeholder="3" /></label>
      <label>${t("delivery.polygon")}<textarea name="polygon" rows="3" placeholder="19.43,-99.14&#10;19.43,-99.12&#10;19.42,-99.13"></textarea></label>
      <label>${t("delivery.postalCodes")}<input name="postalCodes" placeholder="04000, 04100" /></label>
      <label>${t("delivery.colonias")}<input name="colonias" placeholder="Del Carmen, Santa Catarina" /></label>
      <div class="row2"><label>${t("delivery.fee")}<input name="fee" inputmode="decimal" placeholder="30" /></label><label>${t("delivery.minOrder")}<input name="minOrder" inputmode="decimal" placeholder="150" /></label></div>
      <label>${t("delivery.minutes")}<input name="minutes" type="number" min="1" max="1440" value="45" /></label>
      <p><button class="primary" type="submit">${t("common.create")}</button></p></form>`;
}
