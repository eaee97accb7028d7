// Console pages of the AI agents: the list, one agent's settings with its playground, the knowledge base.
import { html, Csrf, type VNode } from "../../components/html.ts";
import { modelProblem, reasonText, type T } from "../../i18n/index.ts";

type Opt = { id: string; name: string };

export type AgentView = {
  id: string;
  name: string;
  persona: string;
  tone: string;
  instructions: string;
  language: string;
  channelIds: string[];
  departmentIds: string[];
  tools: string[];
  handoff: {
    keywords: string[];
    maxBotReplies: number;
    onNegativeSentiment: boolean;
    departmentId: string | null;
    message: string;
    idleResolveHours?: number;
  };
  burstMs: number;
  useModel: boolean;
  active: boolean;
};

export function AgentsList({
  t,
  csrf,
  agents,
  channels,
}: {
  t: T;
  csrf: string;
  agents: AgentView[];
  channels: Opt[];
}): VNode {
  const chName = (id: string) => channels.find((c) => c.id === id)?.name ?? "?";
  return html`<div class="card"><h1>${t("settings.agents")}</h1><p class="meta">${t("agents.help")}</p>
    <table class="list"><thead><tr><th>${t("common.name")}</th><th>${t("agents.channels")}</th><th>${t("agents.mode")}</th><th>${t("agents.state")}</th><th></th></tr></thead><tbody>
    ${agents.map(
      (
        a,
      ) => html`<tr data-agent=${a.name}><td><a href=${`/settings/agents/${a.id}`}>${a.name}</a></td><td>${a.channelIds.map(chName).join(", ") || "—"}</td>
      <td>${a.useModel ? t("agents.withModel") : t("agents.noModel")}</td><td>${a.active ? t("agents.active") : t("agents.paused")}</td>
      <td><a href=${`/settings/agents/${a.id}#playground`}>${t("agents.playground")}</a></td></tr>`,
    )}
    </tbody></table>${agents.length ? null : html`<p class="meta">${t("agents.empty")}</p>`}</div>
  <form class="card" method="post" action="/settings/agents"><${Csrf} csrf=${csrf} /><h3>${t("agents.new")}</h3>
    <label>${t("common.name")}<input name="name" required maxlength="80" placeholder="Sofía" /></label>
    <fieldset><legend>${t("agents.channels")}</legend>${channels.map((c) => html`<label class="inline"><input type="checkbox" name="channelIds" value=${c.id} /> ${c.name}</label>`)}</fieldset>
    <p><button class="primary" type="submit">${t("common.create")}</button></p></form>`;
}

export function AgentForm({
  t,
  csrf,
  a,
  channels,
  departments,
  tools,
}: {
  t: T;
  csrf: string;
  a: AgentView;
  channels: Opt[];
  departments: Opt[];
  tools: string[];
}): VNode {
  const check = (name: string, value: string, on: boolean, label: string) =>
    html`<label class="inline"><input type="checkbox" name=${name} value=${value} checked=${on} /> ${label}</label>`;
  return html`<form class="card" method="post" action=${`/settings/agents/${a.id}`}><${Csrf} csrf=${csrf} /><h1>${a.name}</h1>
    <label>${t("common.name")}<input name="name" value=${a.name} required maxlength="80" /></label>
    <label>${t("agents.persona")}<textarea name="persona" rows="2" maxlength="2000" placeholder=${t("agents.personaHint")}>${a.persona}</textarea></label>
    <label>${t("agents.tone")}<select name="tone">${["friendly", "formal", "concise"].map((x) => html`<option value=${x} selected=${a.tone === x}>${t(`agents.tone.${x}`)}</option>`)}</select></label>
    <label>${t("agents.language")}<select name="language">${["auto", "es", "en"].map((x) => html`<option value=${x} selected=${a.language === x}>${t(`agents.language.${x}`)}</option>`)}</select></label>
    <label>${t("agents.instructions")}<textarea name="instructions" rows="6" maxlength="8000" placeholder=${t("agents.instructionsHint")}>${a.instructions}</textarea></label>
    <fieldset><legend>${t("agents.channels")}</legend>${channels.map((c) => check("channelIds", c.id, a.channelIds.includes(c.id), c.name))}</fieldset>
    <fieldset><legend>${t("agents.departments")}</legend>${departments.map((d) => check("departmentIds", d.id, a.departmentIds.includes(d.id), d.name))}</fieldset>
    <fieldset><legend>${t("agents.tools")}</legend>${tools.map((x) => check("tools", x, a.tools.includes(x), t(`agents.tool.${x}`)))}</fieldset>
    <fieldset><legend>${t("agents.handoff")}</legend>
      <label>${t("agents.handoffKeywords")}<input name="keywords" value=${a.handoff.keywords.join(", ")} placeholder="gerente, queja formal" /></label>
      <label>${t("agents.handoffMax")}<input name="maxBotReplies" type="number" min="0" max="100" value=${a.handoff.maxBotReplies} /></label>
      ${check("onNegativeSentiment", "1", a.handoff.onNegativeSentiment, t("agents.handoffNegative"))}
      <label>${t("agents.handoffDepartment")}<select name="handoffDepartmentId"><option value="">${t("agents.sameDepartment")}</option>${departments.map((d) => html`<option value=${d.id} selected=${a.handoff.departmentId === d.id}>${d.name}</option>`)}</select></label>
      <label>${t("agents.idleResolve")}<input name="idleResolveHours" type="number" min="0" max="720" value=${a.handoff.idleResolveHours ?? 12} /></label>
      <label>${t("agents.handoffMessage")}<input name="handoffMessage" value=${a.handoff.message} maxlength="500" placeholder=${t("agents.handoffMessageHint")} /></label>
    </fieldset>
    <label>${t("agents.burst")}<input name="burstS" type="number" min="0" max="30" step="0.1" value=${a.burstMs / 1000} /></label>
    ${check("useModel", "1", a.useModel, t("agents.useModel"))}
    ${check("active", "1", a.active, t("agents.active"))}
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
  <form class="card" method="post" action=${`/settings/agents/${a.id}/delete`} data-confirm=${t("agents.deleteConfirm", { name: a.name })}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("common.delete")}</button></form>`;
}

export type PlayTurn = { role: "customer" | "bot" | "agent"; text: string };
export type PlayDetail = {
  mode: string;
  intent: string;
  language: string;
  handoff: { reason: string } | null;
  sources: { title: string }[];
  retrieved: { sourceTitle: string; heading: string; text: string; score: number; similarity: number | null }[];
  toolCalls: { name: string; arguments: unknown; ok: boolean; result?: unknown; error?: string }[];
  groundingIssues: string[];
  leakBlocked: boolean;
  modelError: string | null;
  timings: { totalMs: number; modelMs: number; retrievalMs: number; toolMs: number };
};

/** A test chat with the agent: no channel, nothing written; each reply shows how it was made. */
export function Playground({
  t,
  csrf,
  agentId,
  history,
  detail,
}: {
  t: T;
  csrf: string;
  agentId: string;
  history: PlayTurn[];
  detail?: PlayDetail;
}): VNode {
  return html`<div class="card playground" id="playground"><h3>${t("agents.playground")}</h3><p class="meta">${t("agents.playgroundHelp")}</p>
    <ul class="thread">${history.map((m) => html`<li class=${`msg ${m.role === "customer" ? "in" : "out"}`}><div class="bubble">${m.text}</div></li>`)}</ul>
    ${
      detail
        ? html`<div class="play-detail">
      <p><b>${t("agents.mode")}:</b> <span data-mode=${detail.mode}>${t(`agents.mode.${detail.mode}`)}</span> · <b>${t("agents.intent")}:</b> <span data-intent=${detail.intent}>${t(`intent.${detail.intent}`)}</span> · ${detail.language}
        · ${Math.round(detail.timings.totalMs)} ms (${t("agents.modelTime")} ${Math.round(detail.timings.modelMs)} ms)</p>
      ${detail.handoff ? html`<p class="flash">${t("agents.handedOff", { reason: reasonText(detail.handoff.reason, t) })}</p>` : null}
      ${detail.modelError ? html`<div class="error" data-problem=${modelProblem({ error: detail.modelError })}><p>${t("agents.modelDown", { problem: t(`modelProblem.${modelProblem({ error: detail.modelError })}`) })}</p><details class="details"><summary>${t("common.details")}</summary><code>${detail.modelError}</code></details></div>` : null}
      ${detail.groundingIssues.length ? html`<p class="error">${t("agents.ungrounded", { figures: detail.groundingIssues.join(", ") })}</p>` : null}
      ${detail.leakBlocked ? html`<p class="error">${t("agents.leakBlocked")}</p>` : null}
      <h4>${t("agents.sources")}</h4>${detail.retrieved.length ? html`<ol class="sources">${detail.retrieved.map((r) => html`<li><b>${r.sourceTitle}</b>${r.heading && r.heading !== r.sourceTitle ? ` — ${r.heading}` : ""} <small class="meta">${r.similarity !== null ? `sim ${r.similarity.toFixed(2)} · ` : ""}${r.score.toFixed(3)}</small><br /><small>${r.text}</small></li>`)}</ol>` : html`<p class="meta">${t("agents.noSources")}</p>`}
      <h4>${t("agents.toolCalls")}</h4>${detail.toolCalls.length ? html`<ul class="tool-calls">${detail.toolCalls.map((c) => html`<li data-tool=${c.name}><code>${c.name}(${JSON.stringify(c.arguments)})</code> → ${c.ok ? html`<code>${JSON.stringify(c.result).slice(0, 400)}</code>` : html`<span class="error">${c.error}</span>`}</li>`)}</ul>` : html`<p class="meta">${t("agents.noTools")}</p>`}
    </div>`
        : null
    }
    <form method="post" action=${`/settings/agents/${agentId}/playground#playground`}><${Csrf} csrf=${csrf} />
      <input type="hidden" name="history" value=${JSON.stringify(history)} />
      <label>${t("agents.playgroundMessage")}<input name="message" required maxlength="4000" autocomplete="off" autofocus /></label>
      <button class="primary" type="submit">${t("conv.send")}</button> <a href=${`/settings/agents/${agentId}#playground`}>${t("agents.playgroundReset")}</a></form></div>`;
}

export type SourceView = {
  id: string;
  title: string;
  kind: string;
  status: string;
  chunkCount: number;
  embeddedCount: number;
  error: string | null;
  url: string | null;
};
export type IndexView = { model: string; passages: number; embedded: number; running: boolean; error: string | null };

/** The vector progress (refreshed every 2 s while the indexer works). */
export function IndexProgress({ t, index }: { t: T; index: IndexView }): VNode {
  const pct = index.passages ? Math.floor((index.embedded / index.passages) * 100) : 100;
  return html`<div id="kb-index" data-poll=${index.embedded < index.passages ? "/partials/kb-index" : null}>
    <p>${t("kb.index", { embedded: String(index.embedded), passages: String(index.passages), model: index.model })} <progress max="100" value=${pct}></progress> ${pct}%</p>
    ${index.error ? html`<div class="error" data-problem=${modelProblem({ error: index.error })}><p>${t("kb.indexError")} ${t(`modelProblem.${modelProblem({ error: index.error })}`)}.</p><details class="details"><summary>${t("common.details")}</summary><code>${index.error}</code></details></div>` : null}</div>`;
}

export function KnowledgeSettings({
  t,
  csrf,
  sources,
  index,
}: {
  t: T;
  csrf: string;
  sources: SourceView[];
  index: IndexView;
}): VNode {
  return html`<div class="card"><h1>${t("settings.knowledge")}</h1><p class="meta">${t("kb.help")}</p>
    ${IndexProgress({ t, index })}
    <table class="list"><thead><tr><th>${t("kb.title")}</th><th>${t("kb.kind")}</th><th>${t("kb.passages")}</th><th></th></tr></thead><tbody>
    ${sources.map(
      (
        s,
      ) => html`<tr data-source=${s.title}><td>${s.url ? html`<a href=${s.url} rel="noreferrer noopener" target="_blank">${s.title}</a>` : s.title}${s.error ? html`<br /><small class="error">${s.error}</small>` : null}</td>
      <td>${t(`kb.kind.${s.kind}`)}</td><td>${s.chunkCount}${s.embeddedCount < s.chunkCount ? html` <small class="meta">(${t("kb.embedded", { n: String(s.embeddedCount) })})</small>` : null}</td>
      <td><form method="post" action=${`/settings/knowledge/${s.id}/delete`} data-confirm=${t("kb.deleteConfirm", { title: s.title, n: s.chunkCount })}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("common.delete")}</button></form></td></tr>`,
    )}
    </tbody></table>${sources.length ? null : html`<p class="meta">${t("kb.empty")}</p>`}
    <form method="post" action="/settings/knowledge/reindex"><${Csrf} csrf=${csrf} /><button type="submit">${t("kb.reindex")}</button></form></div>
  <form class="card" method="post" action="/settings/knowledge/file" enctype="multipart/form-data"><${Csrf} csrf=${csrf} /><h3>${t("kb.addFile")}</h3>
    <label>${t("kb.file")}<input type="file" name="file" accept=".pdf,.docx,.txt,.md,.csv" required /></label>
    <label>${t("kb.title")}<input name="title" maxlength="200" /></label><button class="primary" type="submit">${t("kb.add")}</button></form>
  <form class="card" method="post" action="/settings/knowledge/faq"><${Csrf} csrf=${csrf} /><h3>${t("kb.addFaq")}</h3><p class="meta">${t("kb.faqHelp")}</p>
    <label>${t("kb.title")}<input name="title" maxlength="200" value=${t("kb.faqTitle")} /></label>
    <textarea name="faq" rows="6" required placeholder=${"¿Hacen envíos?\nSí, a toda la ciudad.\n\n¿Aceptan tarjeta?\nSí, todas."}></textarea>
    <button class="primary" type="submit">${t("kb.add")}</button></form>
  <form class="card" method="post" action="/settings/knowledge/text"><${Csrf} csrf=${csrf} /><h3>${t("kb.addText")}</h3>
    <label>${t("kb.title")}<input name="title" maxlength="200" /></label>
    <label>${t("kb.url")}<input name="url" type="url" placeholder="https://…" /></label>
    <label>${t("kb.text")}<textarea name="text" rows="6"></textarea></label>
    <button class="primary" type="submit">${t("kb.add")}</button></form>`;
}
