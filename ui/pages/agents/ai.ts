// The AI model server settings: provider, models, a connection test and model downloads with progress.
import { html, Csrf, type VNode } from "../../components/html.ts";
import { Icon } from "../../components/icons.ts";
import type { T } from "../../i18n/index.ts";

export type AiView = {
  provider: string;
  ollamaUrl: string;
  openaiUrl: string;
  openaiKey: string;
  chatModel: string;
  embedModel: string;
  concurrency: number;
  timeoutMs: number;
  shareContactData: boolean;
};

export type PullView = {
  model: string;
  status: string;
  completed: number | null;
  total: number | null;
  done: boolean;
  error: string | null;
  errorCode: string | null;
};

/** A failed download in the owner's words, with the provider's own message behind "Detalles". */
export const pullFailure = (t: T, p: { model: string; errorCode: string | null }) =>
  t(`ai.pullFailed.${p.errorCode === "model_not_found" || p.errorCode === "timeout" ? p.errorCode : "other"}`, {
    model: p.model,
  });

export type AiTestView =
  | {
      ok: true;
      models: { name: string; parameterSize: string | null }[];
      chatModelFound: boolean;
      embedModelFound: boolean;
    }
  | { ok: false; code: string; error: string };

/** Downloads of models in progress, refreshed every 2 s. */
export function PullProgressView({ t, pulls }: { t: T; pulls: PullView[] }): VNode {
  return html`<div id="ai-pulls" data-poll="/partials/ai-pulls">${pulls.map((p) => {
    const pct = p.total ? Math.floor(((p.completed ?? 0) / p.total) * 100) : null;
    return html`<div class="pull" data-model=${p.model} data-done=${String(p.done)}><b>${p.model}</b>: ${p.error ? html`<span class="error">${pullFailure(t, p)}</span> <details class="details"><summary>${t("common.details")}</summary><code>${p.error}</code></details>` : p.done ? t("ai.pullDone") : p.status}
      ${!p.done && pct !== null ? html` <progress max="100" value=${pct}></progress> ${pct}%` : null}</div>`;
  })}</div>`;
}

export function AiSettings({
  t,
  csrf,
  s,
  defaultOllama,
  test,
  pulls,
}: {
  t: T;
  csrf: string;
  s: AiView;
  defaultOllama: string;
  test?: AiTestView;
  pulls: PullView[];
}): VNode {
  return html`<form class="card" method="post" action="/settings/ai"><${Csrf} csrf=${csrf} /><h1>${t("settings.ai")}</h1>
    <p class="meta">${t("ai.help")}</p>
    <label><input type="radio" name="provider" value="ollama" checked=${s.provider === "ollama"} /> ${t("ai.ollama")}</label>
    <label><input type="radio" name="provider" value="openai" checked=${s.provider === "openai"} /> ${t("ai.openai")}</label>
    <label>${t("ai.ollamaUrl")}<input name="ollamaUrl" value=${s.ollamaUrl} placeholder=${defaultOllama} /></label>
    <label>${t("ai.openaiUrl")}<input name="openaiUrl" value=${s.openaiUrl} /></label>
    <label>${t("ai.openaiKey")}<input name="openaiKey" type="password" autocomplete="off" placeholder=${s.openaiKey} /></label>
    <label>${t("ai.chatModel")}<input name="chatModel" value=${s.chatModel} required /></label>
    <label>${t("ai.embedModel")}<input name="embedModel" value=${s.embedModel} required /></label>
    <label>${t("ai.concurrency")}<input name="concurrency" type="number" min="1" max="16" value=${s.concurrency} /></label>
    <label>${t("ai.timeout")}<input name="timeoutS" type="number" min="1" max="600" value=${Math.round(s.timeoutMs / 1000)} /></label>
    <label class="inline"><input type="checkbox" name="shareContactData" value="1" checked=${s.shareContactData} /> ${t("ai.shareContactData")}</label>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
  <div class="card"><form method="post" action="/settings/ai/test"><${Csrf} csrf=${csrf} /><button type="submit">${t("ai.test")}</button></form>
    ${
      test
        ? test.ok
          ? html`<div class="ai-test ok"><p><${Icon} name="check" /> ${t("ai.testOk", { n: String(test.models.length) })}</p>
        ${!test.chatModelFound ? html`<p class="error">${t("ai.missingModel", { model: s.chatModel })}</p>` : null}
        ${!test.embedModelFound ? html`<p class="error">${t("ai.missingModel", { model: s.embedModel })}</p>` : null}
        <ul>${test.models.map((m) => html`<li><code>${m.name}</code>${m.parameterSize ? ` · ${m.parameterSize}` : ""}</li>`)}</ul></div>`
          : html`<div class="ai-test error" data-problem=${test.code}><p>${t(`ai.error.${test.code}`)}</p><details class="details"><summary>${t("common.details")}</summary><code>${test.error}</code></details></div>`
        : null
    }</div>
  ${
    s.provider === "ollama"
      ? html`<form class="card" method="post" action="/settings/ai/pull"><${Csrf} csrf=${csrf} /><h3>${t("ai.pull")}</h3>
    <label>${t("ai.model")}<input name="model" placeholder="llama3.2" required /></label> <button type="submit">${t("ai.pullStart")}</button>
    ${PullProgressView({ t, pulls })}</form>`
      : null
  }`;
}
