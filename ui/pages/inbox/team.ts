// The team page (manual 2.13 filas de atención): each department's people with their presence and load, and its
// queue with every waiting customer's place and wait. Whoever leads the department (a supervisor, an administrator)
// also sets people's presence and gives a waiting conversation to someone over the rules.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export type TeamDept = {
  id: string;
  name: string;
  assignment: string;
  leads: boolean;
  people: {
    id: string;
    name: string;
    role: string;
    availability: string;
    presence: string;
    capacity: number | null;
    open: number;
  }[];
  queue: { conversationId: string; position: number; contactName: string; preview: string; waitingMs: number }[];
};

/** "3 min", "1 h 5 min": how long a customer has waited. */
export function waitText(t: T, ms: number) {
  const m = Math.floor(ms / 60_000);
  if (m < 1) return t("team.lessThanMinute");
  if (m < 60) return t("team.minutes", { n: String(m) });
  return t("team.hours", { h: String(Math.floor(m / 60)), m: String(m % 60) });
}

export function TeamPage({
  t,
  csrf,
  me,
  departments,
  flash,
  error,
}: {
  t: T;
  csrf: string;
  me: string;
  departments: TeamDept[];
  flash?: string;
  error?: string;
}): VNode {
  return html`<div class="page team"><h1>${t("team.title")}</h1>
    ${flash ? html`<div class="flash" role="status">${flash}</div>` : null}${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    ${departments.length ? null : html`<p class="empty">${t("team.noDepartments")}</p>`}
    <${TeamGrid} t=${t} csrf=${csrf} me=${me} departments=${departments} /></div>`;
}

/** Each department's people and queue (also the fragment a live refresh swaps in). */
export function TeamGrid({
  t,
  csrf,
  me,
  departments,
}: {
  t: T;
  csrf: string;
  me: string;
  departments: TeamDept[];
}): VNode {
  return html`<div class="team-grid" id="team-grid">${departments.map(
    (d) => html`<section class="card" data-department=${d.id}><h2>${d.name}</h2>
      <p class="muted">${t(`assignment.${d.assignment}`)}</p>
      <h3>${t("team.people")}</h3>
      ${d.people.length ? null : html`<p class="empty">${t("team.noPeople")}</p>`}
      <ul class="team-people">${d.people.map(
        (p) => html`<li data-person=${p.id}><span class=${`dot ${p.presence}`}></span>
        <span class="who"><strong>${p.name}</strong> · <span class="presence-state">${t(`presence.${p.presence}`)}</span><br /><span class="muted">${t("team.load", { open: String(p.open), capacity: p.capacity == null ? "∞" : String(p.capacity) })}</span></span>
        ${
          d.leads && p.id !== me
            ? html`<form method="post" action=${`/team/people/${p.id}/presence`}><${Csrf} csrf=${csrf} />${(
                ["online", "away", "offline"] as const
              )
                .filter((a) => a !== p.availability)
                .map(
                  (a) =>
                    html`<button type="submit" name="availability" value=${a} class="secondary">${t(`team.set.${a}`)}</button>`,
                )}</form>`
            : null
        }</li>`,
      )}</ul>
      <h3>${t("team.queue")} (${d.queue.length})</h3>
      ${d.queue.length ? null : html`<p class="empty">${t("team.queueEmpty")}</p>`}
      <ol class="team-queue">${d.queue.map(
        (
          q,
        ) => html`<li data-queued=${q.conversationId}><span class="who"><strong>${q.position}. <a href=${`/inbox?c=${q.conversationId}&view=queue`}>${q.contactName || t("team.customer")}</a></strong> · ${t("team.waiting", { wait: waitText(t, q.waitingMs) })}<br /><span class="muted">${q.preview}</span></span>
        ${
          d.leads
            ? html`<form method="post" action=${`/team/conversations/${q.conversationId}/assign`}><${Csrf} csrf=${csrf} />
            <label class="sr-only" for=${`assign-${q.conversationId}`}>${t("team.assignTo")}</label>
            <select id=${`assign-${q.conversationId}`} name="assigneeId" required><option value="">${t("team.assignTo")}</option>${d.people.map((p) => html`<option value=${p.id}>${p.name} (${t(`presence.${p.presence}`)}, ${p.open})</option>`)}</select>
            <button type="submit">${t("team.assign")}</button></form>`
            : null
        }</li>`,
      )}</ol></section>`,
  )}</div>`;
}
