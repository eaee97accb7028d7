// Encuestas (Settings): the satisfaction survey's results (§6.12): CSAT, average and answers over a period, the
// 1–5 distribution, per person and per department, and the latest answers with their comments, each opening its
// conversation. Without the survey installed, one button installs it.
import { html, Csrf, fmtTime, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

type Figures = {
  sent: number;
  rated: number;
  responseRate: number | null;
  average: number | null;
  csat: number | null;
};
export type SurveyResultsView = Figures & {
  days: number;
  distribution: { score: number; count: number }[];
  byUser: (Figures & { userId: string | null; name: string | null })[];
  byDepartment: (Figures & { departmentId: string | null; name: string | null })[];
  answers: {
    conversationId: string;
    contactName: string;
    score: number;
    comment: string | null;
    userName: string | null;
    departmentName: string | null;
    ratedAt: number;
  }[];
};

export const SURVEY_PERIODS = [7, 30, 90] as const;

const stars = (n: number) => "★".repeat(n) + "☆".repeat(5 - n);
const pct = (n: number | null) => (n === null ? "—" : `${n} %`);
const avg = (n: number | null, locale: string) =>
  n === null ? "—" : n.toLocaleString(locale === "en" ? "en-US" : "es-MX", { minimumFractionDigits: 1 });

function Table({
  t,
  locale,
  head,
  rows,
  id,
}: {
  t: T;
  locale: string;
  head: string;
  rows: (Figures & { name: string | null })[];
  id: string;
}) {
  return html`<div class="scroll-x"><table id=${id}><tr><th>${head}</th><th>${t("csat.answers")}</th><th>${t("csat.average")}</th><th>${t("csat.score")}</th></tr>
    ${rows.map(
      (r) =>
        html`<tr data-row=${r.name ?? ""}><td>${r.name ?? t("csat.nobody")}</td><td>${t("csat.ofSent", { rated: String(r.rated), sent: String(r.sent) })}</td><td>${avg(r.average, locale)}</td><td>${pct(r.csat)}</td></tr>`,
    )}</table></div>`;
}

export function SurveysPage({
  t,
  csrf,
  locale,
  r,
  installed,
}: {
  t: T;
  csrf: string;
  locale: string;
  r: SurveyResultsView;
  installed: boolean;
}): VNode {
  const most = Math.max(1, ...r.distribution.map((d) => d.count));
  return html`<div class="card"><h1>${t("settings.surveys")}</h1><p class="meta">${t("csat.help")}</p>
    ${
      installed
        ? null
        : html`<form method="post" action="/settings/automations/recipes/csat" id="csat-install"><${Csrf} csrf=${csrf} /><input type="hidden" name="back" value="/settings/surveys" /><p>${t("csat.notInstalled")}</p><button class="primary" type="submit">${t("csat.install")}</button></form>`
    }
    <nav class="lib-tabs" id="csat-period" aria-label=${t("csat.period")}>${SURVEY_PERIODS.map((d) => html`<a href=${`/settings/surveys?days=${d}`} class=${r.days === d ? "on" : ""} aria-current=${r.days === d ? "page" : undefined}>${t("csat.days", { n: String(d) })}</a>`)}</nav>
    <dl class="csat-kpis" id="csat-totals">
      <div><dt>${t("csat.score")}</dt><dd data-kpi="csat">${pct(r.csat)}</dd></div>
      <div><dt>${t("csat.average")}</dt><dd data-kpi="average">${avg(r.average, locale)}</dd></div>
      <div><dt>${t("csat.answers")}</dt><dd data-kpi="answers">${t("csat.ofSent", { rated: String(r.rated), sent: String(r.sent) })}</dd></div>
      <div><dt>${t("csat.responseRate")}</dt><dd data-kpi="rate">${pct(r.responseRate)}</dd></div>
    </dl>
    <p class="meta">${t("csat.scoreHelp")}</p></div>
  <div class="card"><h2>${t("csat.distribution")}</h2><ul class="csat-bars" id="csat-bars">${[...r.distribution].reverse().map((d) => html`<li data-score=${d.score}><span class="stars" aria-label=${t("csat.outOf", { n: String(d.score) })}>${stars(d.score)}</span><span class="bar"><span style=${`width:${Math.round((d.count / most) * 100)}%`}></span></span><b>${d.count}</b></li>`)}</ul></div>
  <div class="card"><h2>${t("csat.byUser")}</h2>${r.byUser.length ? html`<${Table} t=${t} locale=${locale} head=${t("csat.person")} rows=${r.byUser} id="csat-users" />` : html`<p class="meta">${t("csat.none")}</p>`}</div>
  <div class="card"><h2>${t("csat.byDepartment")}</h2>${r.byDepartment.length ? html`<${Table} t=${t} locale=${locale} head=${t("conv.department")} rows=${r.byDepartment} id="csat-departments" />` : html`<p class="meta">${t("csat.none")}</p>`}</div>
  <div class="card"><h2>${t("csat.latest")}</h2>${
    r.answers.length
      ? html`<ul class="csat-answers" id="csat-answers">${r.answers.map(
          (a) =>
            html`<li data-conversation=${a.conversationId}><div class="row"><span class="stars" aria-label=${t("csat.outOf", { n: String(a.score) })}>${stars(a.score)}</span><a href=${`/inbox?c=${a.conversationId}`}>${a.contactName || t("contact.visitor")}</a>${fmtTime(a.ratedAt, locale)}</div>
            ${a.comment ? html`<p class="comment">«${a.comment}»</p>` : null}
            <p class="meta">${[a.userName ?? t("csat.nobody"), a.departmentName].filter(Boolean).join(" · ")}</p></li>`,
        )}</ul>`
      : html`<p class="meta" id="csat-empty">${t("csat.none")}</p>`
  }</div>`;
}
