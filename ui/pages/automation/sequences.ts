// Secuencias: the list (on/off, contacts in each), the editor (steps a person adds and removes, the send window,
// the exits), each sequence's figures per step, its contacts and a CSV to enrol many at once; and, in the
// conversation's contact panel, the contact's sequences with each step as it went.
import { html, Csrf, type VNode } from "../../components/html.ts";
import { Icon } from "../../components/icons.ts";
import type { T } from "../../i18n/index.ts";
import type { Opt } from "../../components/settings.ts";

export type StepDraft = {
  delayMinutes: number | string;
  after: "enrolment" | "previous";
  variations: string[];
  template?: { name: string; language: string; params: string[]; header?: string };
  buttons?: { id: string; title: string }[];
  media?: string[];
};
export type SequenceDraft = {
  id?: string;
  name: string;
  enabled: boolean;
  steps: StepDraft[];
  window: { days: number[]; from: string; to: string; businessHours: boolean; contactTimeZone: boolean };
  exits: { replied: boolean; humanTook: boolean; orderPlaced: boolean; tagIds: string[] };
};
export type SequenceRow = {
  id: string;
  name: string;
  enabled: boolean;
  steps: unknown[];
  active: number;
  completed: number;
  exited: number;
};
export type Stats = {
  steps: { step: number; sent: number; skipped: number; replied: number; waiting: number }[];
  active: number;
  completed: number;
  exited: Record<string, number>;
};
export type EnrolmentRow = {
  id: string;
  contactId: string;
  status: string;
  reason: string | null;
  step: number;
  nextAt: number | null;
  source: string;
  enrolledAt: number;
  contact: { name: string | null; phone: string | null; email: string | null };
};
export type TemplateOpt = { name: string; language: string; params: number };
export type Timeline = {
  id: string;
  sequenceId: string;
  sequenceName: string | null;
  status: string;
  reason: string | null;
  step: number;
  stepCount: number;
  nextAt: number | null;
  sends: { step: number; outcome: string; detail: string | null; at: number }[];
}[];

const when = (ms: number | null, locale: string) =>
  ms
    ? new Date(ms).toLocaleString(locale === "en" ? "en-US" : "es-MX", { dateStyle: "short", timeStyle: "short" })
    : "—";
/** Why an enrolment ended or a step was skipped, in words (a channel's refusal by its error text). */
function reasonText(t: T, r: string) {
  for (const k of [`seq.reason.${r}`, `errors.${r}`]) if (t(k) !== k) return t(k);
  return r;
}
// Monday first, as the business reads its week; values are JavaScript's (0 = Sunday)
const WEEK = [1, 2, 3, 4, 5, 6, 0];

/** A delay in the largest whole unit: 2880 min → 2 días. */
export function delayParts(min: number): { n: number; unit: "min" | "h" | "d" } {
  if (min && min % 1440 === 0) return { n: min / 1440, unit: "d" };
  if (min && min % 60 === 0) return { n: min / 60, unit: "h" };
  return { n: min, unit: "min" };
}

export function SequenceList({ t, csrf, rows }: { t: T; csrf: string; rows: SequenceRow[] }): VNode {
  return html`<div class="card"><h1>${t("seq.title")}</h1><p class="meta">${t("seq.help")}</p>
    <p><a class="btn primary" href="/settings/sequences/new" id="new-sequence"><${Icon} name="plus" /> ${t("seq.new")}</a></p>
    ${
      rows.length
        ? html`<div class="table-wrap"><table class="list" id="sequences"><thead><tr><th>${t("common.name")}</th><th>${t("seq.steps")}</th><th>${t("seq.active")}</th><th>${t("seq.completed")}</th><th>${t("seq.exited")}</th><th>${t("auto.state")}</th></tr></thead><tbody>
      ${rows.map(
        (
          r,
        ) => html`<tr data-sequence=${r.name} data-id=${r.id}><td><a href=${`/settings/sequences/${r.id}`}>${r.name}</a></td><td>${r.steps.length}</td><td>${r.active}</td><td>${r.completed}</td><td>${r.exited}</td>
        <td><form method="post" action=${`/settings/sequences/${r.id}/toggle`}><${Csrf} csrf=${csrf} /><button type="submit" class=${r.enabled ? "secondary on" : "secondary"} aria-pressed=${String(r.enabled)}>${r.enabled ? t("auto.on") : t("auto.off")}</button></form></td></tr>`,
      )}</tbody></table></div>`
        : html`<p class="empty">${t("seq.empty")}</p>`
    }</div>`;
}

function StepRow({ t, s, templates, media }: { t: T; s: StepDraft; templates: TemplateOpt[]; media: Opt[] }) {
  const d = typeof s.delayMinutes === "number" ? delayParts(s.delayMinutes) : { n: s.delayMinutes, unit: "min" };
  const tpl = s.template ? `${s.template.name}|${s.template.language}` : "";
  return html`<li class="step-row"><fieldset><legend>${t("seq.step")}</legend>
    <div class="step-delay"><label>${t("seq.wait")}<input name="s_delay" type="number" min="0" value=${String(d.n)} required /></label>
      <label>${t("seq.unit")}<select name="s_unit">${(["min", "h", "d"] as const).map((u) => html`<option value=${u} selected=${u === d.unit}>${t(`seq.unit.${u}`)}</option>`)}</select></label>
      <label>${t("seq.after")}<select name="s_after">${(["previous", "enrolment"] as const).map((a) => html`<option value=${a} selected=${a === s.after}>${t(`seq.after.${a}`)}</option>`)}</select></label></div>
    <label>${t("seq.message")}<textarea name="s_text" rows="3" maxlength="4000">${s.variations[0] ?? ""}</textarea></label>
    <label>${t("seq.variation")}<textarea name="s_alt" rows="2" maxlength="4000">${s.variations[1] ?? ""}</textarea></label>
    <label>${t("lib.pick")}<select name="s_media"><option value="">${t("lib.none")}</option>${media.map((m) => html`<option value=${m.id} selected=${s.media?.[0] === m.id}>${m.name}</option>`)}</select></label>
    <label>${t("seq.buttons")}<textarea name="s_buttons" rows="2" placeholder=${t("seq.buttonsHint")}>${(s.buttons ?? []).map((b) => b.title).join("\n")}</textarea></label>
    <label>${t("seq.template")}<select name="s_tpl"><option value="">${t("seq.noTemplate")}</option>${templates.map((x) => html`<option value=${`${x.name}|${x.language}`} selected=${`${x.name}|${x.language}` === tpl}>${x.name} (${x.language})</option>`)}</select></label>
    <label>${t("seq.templateParams")}<input name="s_tplp" value=${s.template?.params.join(", ") ?? ""} placeholder="{{contact.first_name}}" /></label>
    <label>${t("seq.templateHeader")}<select name="s_tplh"><option value="">${t("lib.none")}</option>${media.map((m) => html`<option value=${m.id} selected=${s.template?.header === m.id}>${m.name}</option>`)}</select></label>
    <button type="button" class="secondary" data-remove-row><${Icon} name="trash" /> ${t("seq.removeStep")}</button></fieldset></li>`;
}

/** The editor: the same form for a new sequence and a saved one; a refused save comes back with what was typed. */
export function SequenceEditor({
  t,
  csrf,
  draft,
  tags,
  templates,
  media,
  stats,
  enrolments,
  locale,
  imported,
}: {
  t: T;
  csrf: string;
  draft: SequenceDraft;
  tags: Opt[];
  templates: TemplateOpt[];
  media: Opt[];
  stats?: Stats;
  enrolments?: EnrolmentRow[];
  locale: string;
  imported?: { enrolled: number; already: number; errors: { line: number; message: string }[] };
}): VNode {
  const w = draft.window;
  return html`${
    imported
      ? html`<div class="flash" role="status" id="import-result">${t("seq.imported", { enrolled: String(imported.enrolled), already: String(imported.already) })}${imported.errors.length ? html`<br />${t("seq.importErrors", { lines: imported.errors.map((e) => e.line).join(", ") })}` : null}</div>`
      : null
  }<form class="card rule-form" id="sequence-form" data-step-label=${t("seq.step")} method="post" action=${draft.id ? `/settings/sequences/${draft.id}` : "/settings/sequences"}><${Csrf} csrf=${csrf} />
    <h1>${draft.id ? draft.name : t("seq.new")}</h1>
    <label>${t("common.name")}<input name="name" value=${draft.name} required maxlength="120" /></label>
    <fieldset><legend>${t("seq.steps")}</legend>
      <ol class="rule-rows" id="steps">${draft.steps.map((s) => html`<${StepRow} t=${t} s=${s} templates=${templates} media=${media} />`)}</ol>
      <template id="step-template"><${StepRow} t=${t} s=${{ delayMinutes: 1440, after: "previous", variations: [] }} templates=${templates} media=${media} /></template>
      <button type="button" class="secondary" data-add-row="step" id="add-step"><${Icon} name="plus" /> ${t("seq.addStep")}</button>
      <p class="meta">${t("auto.variables")}</p>
    </fieldset>
    <fieldset id="window"><legend>${t("seq.window")}</legend>
      <div class="days">${WEEK.map((d) => html`<label class="inline"><input type="checkbox" name="w_days" value=${String(d)} checked=${w.days.includes(d)} /> ${t(`seq.day.${d}`)}</label>`)}</div>
      <div class="step-delay"><label>${t("seq.from")}<input name="w_from" type="time" value=${w.from} /></label><label>${t("seq.to")}<input name="w_to" type="time" value=${w.to} /></label></div>
      <label class="inline"><input type="checkbox" name="w_business" value="1" checked=${w.businessHours} /> ${t("seq.businessHours")}</label>
      <label class="inline"><input type="checkbox" name="w_contact_tz" value="1" checked=${w.contactTimeZone} /> ${t("seq.contactTimeZone")}</label>
    </fieldset>
    <fieldset id="exits"><legend>${t("seq.exits")}</legend>
      <label class="inline"><input type="checkbox" name="x_replied" value="1" checked=${draft.exits.replied} /> ${t("seq.exit.replied")}</label>
      <label class="inline"><input type="checkbox" name="x_human" value="1" checked=${draft.exits.humanTook} /> ${t("seq.exit.human")}</label>
      <label class="inline"><input type="checkbox" name="x_order" value="1" checked=${draft.exits.orderPlaced} /> ${t("seq.exit.order")}</label>
      ${tags.length ? html`<p class="meta">${t("seq.exit.tags")}</p><div class="days">${tags.map((g) => html`<label class="inline"><input type="checkbox" name="x_tags" value=${g.id} checked=${draft.exits.tagIds.includes(g.id)} /> ${g.name}</label>`)}</div>` : null}
      <p class="meta">${t("seq.exit.optOut")}</p>
    </fieldset>
    <label class="inline"><input type="checkbox" name="enabled" value="1" checked=${draft.enabled} /> ${t("auto.enabled")}</label>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
  ${
    draft.id && stats
      ? html`<div class="card" id="figures"><h2>${t("seq.figures")}</h2>
      <p class="meta">${t("seq.totals", { active: String(stats.active), completed: String(stats.completed), exited: String(Object.values(stats.exited).reduce((a, b) => a + b, 0)) })}</p>
      <div class="table-wrap"><table class="list" id="step-figures"><thead><tr><th>${t("seq.step")}</th><th>${t("seq.sent")}</th><th>${t("seq.skipped")}</th><th>${t("seq.replied")}</th><th>${t("seq.waiting")}</th></tr></thead><tbody>
      ${stats.steps.map((s) => html`<tr data-step=${String(s.step + 1)}><td>${s.step + 1}</td><td>${s.sent}</td><td>${s.skipped}</td><td>${s.replied}</td><td>${s.waiting}</td></tr>`)}</tbody></table></div>
      ${Object.keys(stats.exited).length ? html`<ul class="meta" id="exit-reasons">${Object.entries(stats.exited).map(([r, n]) => html`<li>${reasonText(t, r)}: ${n}</li>`)}</ul>` : null}</div>
    <div class="card" id="enrolments"><h2>${t("seq.contacts")}</h2>
      <form method="post" action=${`/settings/sequences/${draft.id}/import`} enctype="multipart/form-data" id="csv-import"><${Csrf} csrf=${csrf} />
        <label>${t("seq.csv")}<input type="file" name="file" accept=".csv,text/csv" required /></label><p class="meta">${t("seq.csvHelp")}</p>
        <button type="submit" class="secondary">${t("seq.import")}</button></form>
      ${
        enrolments?.length
          ? html`<ul class="runs" id="enrolment-list">${enrolments.map(
              (
                e,
              ) => html`<li data-status=${e.status} data-contact=${e.contactId}><b>${e.contact.name || e.contact.phone || e.contact.email || "—"}</b> · ${t(`seq.status.${e.status}`)}${e.reason && e.status !== "completed" ? html` (${reasonText(t, e.reason)})` : null} · ${t("seq.stepOf", { n: String(Math.min(e.step + 1, draft.steps.length)), of: String(draft.steps.length) })}${e.nextAt ? html` · ${t("seq.next")} ${when(e.nextAt, locale)}` : null}
            ${e.status === "active" ? html`<form method="post" action=${`/settings/sequences/${draft.id}/remove/${e.contactId}`} class="inline-form"><${Csrf} csrf=${csrf} /><button type="submit" class="secondary">${t("seq.remove")}</button></form>` : null}</li>`,
            )}</ul>`
          : html`<p class="empty">${t("seq.noContacts")}</p>`
      }</div>
    <div class="card"><form method="post" action=${`/settings/sequences/${draft.id}/delete`} data-confirm=${t("seq.deleteConfirm", { name: draft.name })}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("common.delete")}</button></form></div>`
      : null
  }`;
}

/** In the conversation's contact panel: the contact's sequences as they went, and a sequence to put them in. */
export function ContactSequences({
  t,
  csrf,
  conversationId,
  options,
  timeline,
  locale,
}: {
  t: T;
  csrf: string;
  conversationId: string;
  options: Opt[];
  timeline: Timeline;
  locale: string;
}): VNode {
  const activeIds = new Set(timeline.filter((e) => e.status === "active").map((e) => e.sequenceId));
  const open = options.filter((o) => !activeIds.has(o.id));
  return html`<div id="contact-sequences"><h3>${t("seq.title")}</h3>
    ${
      timeline.length
        ? html`<ul class="timeline">${timeline.map(
            (
              e,
            ) => html`<li data-status=${e.status} data-sequence=${e.sequenceName ?? ""}><b>${e.sequenceName ?? "—"}</b> · ${t(`seq.status.${e.status}`)}${e.reason && e.status !== "completed" ? html` (${reasonText(t, e.reason)})` : null}
          <ol class="sends">${e.sends.map((s) => html`<li class=${s.outcome}>${t("seq.stepN", { n: String(s.step + 1) })}: ${t(`seq.outcome.${s.outcome}`)}${s.outcome === "skipped" && s.detail ? html` (${reasonText(t, s.detail)})` : null} · ${when(s.at, locale)}</li>`)}
          ${e.status === "active" && e.nextAt ? html`<li class="next">${t("seq.stepN", { n: String(e.step + 1) })}: ${t("seq.next")} ${when(e.nextAt, locale)}</li>` : null}</ol>
          ${e.status === "active" ? html`<form method="post" action=${`/inbox/${conversationId}/sequences/${e.sequenceId}/remove`}><${Csrf} csrf=${csrf} /><button type="submit" class="secondary">${t("seq.remove")}</button></form>` : null}</li>`,
          )}</ul>`
        : html`<p class="meta">${t("seq.none")}</p>`
    }
    ${open.length ? html`<form method="post" action=${`/inbox/${conversationId}/sequences`} id="enrol-form"><${Csrf} csrf=${csrf} /><label>${t("seq.enrolIn")}<select name="sequenceId">${open.map((o) => html`<option value=${o.id}>${o.name}</option>`)}</select></label><button type="submit">${t("seq.enrol")}</button></form>` : null}</div>`;
}
