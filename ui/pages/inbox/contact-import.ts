// Importing contacts from a spreadsheet: the file, then what each column is (guessed from its header, with the
// first rows to see), then the progress and the result — or the bad line, named, and nothing imported.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export function ImportUploadPage({ t, csrf, error }: { t: T; csrf: string; error?: string }): VNode {
  return html`<div class="page"><form class="card" method="post" action="/contacts/import" enctype="multipart/form-data" id="import-upload"><${Csrf} csrf=${csrf} />
    <p><a href="/contacts">← ${t("contacts.title")}</a></p><h1>${t("import.title")}</h1>
    ${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    <p class="muted">${t("import.hint")}</p>
    <label>${t("import.file")}<input type="file" name="file" accept=".csv,text/csv" required /></label>
    <p><button class="primary" type="submit">${t("import.next")}</button></p></form></div>`;
}

export function ImportMappingPage({
  t,
  csrf,
  id,
  header,
  sample,
  total,
  mapping,
  progress,
  result,
  error,
}: {
  t: T;
  csrf: string;
  id: string;
  header: string[];
  sample: string[][];
  total: number;
  mapping: string[];
  progress: { phase: string; done: number; total: number } | null;
  result: { created: number; updated: number; mergedInFile: number; tagged: number } | null;
  error?: string;
}): VNode {
  const running = progress && (progress.phase === "checking" || progress.phase === "writing");
  const targets = (current: string) => {
    const attr = current.startsWith("attr:") ? current : null;
    return html`${["ignore", "name", "phone", "email", "tags"].map((v) => html`<option value=${v} selected=${current === v}>${t(`import.target.${v}`)}</option>`)}${attr ? html`<option value=${attr} selected>${t("import.target.attr", { key: attr.slice(5) })}</option>` : null}`;
  };
  return html`<div class="page"><div class="card" id="import-job" data-import=${id} data-running=${running ? "1" : "0"}>
    <p><a href="/contacts">← ${t("contacts.title")}</a></p><h1>${t("import.title")}</h1>
    ${error ? html`<div class="flash err" role="alert" id="import-error">${error}</div>` : null}
    ${
      result
        ? html`<div class="flash" role="status" id="import-result">${t("import.done", { created: String(result.created), updated: String(result.updated), merged: String(result.mergedInFile) })}</div><p><a class="btn primary" href="/contacts">${t("contacts.title")}</a></p>`
        : running
          ? html`<p id="import-phase">${t(`import.phase.${progress!.phase}`)}</p><progress id="import-progress" max=${progress!.total || 1} value=${progress!.done}></progress>`
          : html`<p>${t("import.rows", { n: String(total) })}</p>
      <form method="post" action=${`/contacts/import/${id}`} id="import-mapping"><${Csrf} csrf=${csrf} />
        <ol class="import-columns">${header.map(
          (
            h,
            i,
          ) => html`<li><label>${t("import.column", { name: h || `#${i + 1}` })}<select name="map">${targets(mapping[i] ?? "ignore")}</select></label>
          <span class="muted">${sample
            .map((r) => r[i] ?? "")
            .filter(Boolean)
            .slice(0, 3)
            .join(" · ")}</span></li>`,
        )}</ol>
        <p class="muted">${t("import.mappingHint")}</p>
        <p><button class="primary" type="submit">${t("import.go", { n: String(total) })}</button></p></form>`
    }</div></div>`;
}
