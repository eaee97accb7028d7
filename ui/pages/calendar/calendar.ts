// The calendar settings page: slot length, services, the appointments ahead.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export type AppointmentView = {
  id: string;
  date: string;
  time: string;
  service: string;
  notes: string;
  contactName: string | null;
  conversationId: string | null;
};

export function CalendarSettings({
  t,
  csrf,
  slotMinutes,
  services,
  appointments,
}: {
  t: T;
  csrf: string;
  slotMinutes: number;
  services: string[];
  appointments: AppointmentView[];
}): VNode {
  return html`<form class="card" method="post" action="/settings/calendar"><${Csrf} csrf=${csrf} /><h1>${t("settings.calendar")}</h1><p class="meta">${t("calendar.help")}</p>
    <label>${t("calendar.slotMinutes")}<input name="slotMinutes" type="number" min="5" max="480" value=${slotMinutes} required /></label>
    <label>${t("calendar.services")}<textarea name="services" rows="4" placeholder=${t("calendar.servicesHint")}>${services.join("\n")}</textarea></label>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
  <div class="card"><h3>${t("calendar.upcoming")}</h3>
    <table class="list appointments"><thead><tr><th>${t("calendar.date")}</th><th>${t("calendar.time")}</th><th>${t("calendar.service")}</th><th>${t("contact.title")}</th><th></th></tr></thead><tbody>
    ${appointments.map(
      (
        a,
      ) => html`<tr data-appointment=${a.id}><td>${a.date}</td><td>${a.time}</td><td>${a.service || "—"}${a.notes ? html`<br /><small class="meta">${a.notes}</small>` : null}</td>
      <td>${a.conversationId ? html`<a href=${`/inbox?c=${a.conversationId}`}>${a.contactName || t("contact.visitor")}</a>` : (a.contactName ?? "—")}</td>
      <td><form method="post" action=${`/settings/calendar/${a.id}/cancel`} style="display:inline" data-confirm=${t("calendar.confirmCancel", { date: a.date, time: a.time, who: a.contactName || t("contact.visitor") })}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("calendar.cancel")}</button></form></td></tr>`,
    )}
    </tbody></table>${appointments.length ? null : html`<p class="meta">${t("calendar.empty")}</p>`}</div>`;
}
