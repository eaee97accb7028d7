// Biblioteca (Settings): the files uploaded once for quick replies, rules, sequences and flows. Each card shows the
// file, where it can be sent (WhatsApp's limits), how often it was sent, and lets the owner rename or remove it.
import { html, Csrf, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export type LibraryCard = {
  id: string;
  title: string;
  kind: "image" | "video" | "audio" | "document";
  name: string;
  mime: string;
  size: number;
  uses: number;
  fits: { channel: string; problem: null | { code: string; details: Record<string, unknown> } }[];
};

export const sizeText = (n: number) =>
  n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`;

const KINDS = ["image", "video", "audio", "document"] as const;
/** What the file inputs offer: the types DigyBot stores. */
export const LIBRARY_ACCEPT =
  "image/png,image/jpeg,image/gif,image/webp,video/mp4,video/webm,video/3gpp,audio/mpeg,audio/ogg,audio/mp4,audio/aac,audio/amr,audio/webm,application/pdf,text/plain,.doc,.docx,.xls,.xlsx";

const src = (id: string) => `/api/v1/library/${id}/file`;

function Preview({ f, t }: { f: LibraryCard; t: T }) {
  if (f.kind === "image") return html`<img src=${src(f.id)} alt=${f.title} loading="lazy" />`;
  if (f.kind === "video") return html`<video src=${src(f.id)} controls preload="metadata"></video>`;
  if (f.kind === "audio") return html`<audio src=${src(f.id)} controls preload="none"></audio>`;
  return html`<a class="lib-doc" href=${src(f.id)} target="_blank" rel="noopener">${t("lib.kind.document")} · ${f.name}</a>`;
}

/** "WhatsApp ✓" or the reason it cannot go there. */
export function FitBadges({ f, t }: { f: LibraryCard; t: T }) {
  return html`${f.fits.map((x) =>
    x.problem
      ? html`<span class="pill warn" data-fit=${x.channel} title=${t(`errors.${x.problem.code}`, x.problem.details as never)}>${t("lib.notFor", { channel: x.channel })}</span>`
      : html`<span class="pill ok" data-fit=${x.channel}>${t("lib.okFor", { channel: x.channel })}</span>`,
  )}`;
}

export function LibraryPage({
  t,
  csrf,
  items,
  kind,
  q,
  maxMb,
}: {
  t: T;
  csrf: string;
  items: LibraryCard[];
  kind?: string;
  q?: string;
  maxMb: number;
}): VNode {
  const tab = (k: string | undefined, label: string) =>
    html`<a href=${`/settings/library${k ? `?kind=${k}` : ""}`} class=${(kind || undefined) === k ? "on" : ""} aria-current=${(kind || undefined) === k ? "page" : undefined}>${label}</a>`;
  return html`<div class="card"><h1>${t("settings.library")}</h1><p class="meta">${t("lib.help")}</p>
    <form class="card lib-upload" id="lib-upload" method="post" action="/settings/library" enctype="multipart/form-data"><${Csrf} csrf=${csrf} />
      <label>${t("lib.file")}<input type="file" name="file" required accept=${LIBRARY_ACCEPT} /></label>
      <label>${t("lib.titleLabel")}<input name="title" maxlength="120" placeholder=${t("lib.titlePlaceholder")} /></label>
      <p class="meta">${t("lib.limits", { mb: maxMb })}</p>
      <p><button class="primary" type="submit">${t("lib.upload")}</button></p></form>
    <nav class="tabs lib-tabs">${tab(undefined, t("lib.all"))}${KINDS.map((k) => tab(k, t(`lib.kinds.${k}`)))}</nav>
    <form method="get" action="/settings/library" class="lib-search" role="search">${kind ? html`<input type="hidden" name="kind" value=${kind} />` : null}
      <input type="search" name="q" value=${q ?? ""} placeholder=${t("lib.search")} aria-label=${t("lib.search")} /><button type="submit">${t("common.search")}</button></form>
    ${
      items.length
        ? html`<ul class="lib-grid">${items.map(
            (f) => html`<li class="lib-card" data-item=${f.title} data-id=${f.id}>
          <div class="lib-preview"><${Preview} f=${f} t=${t} /></div>
          <form method="post" action=${`/settings/library/${f.id}`} class="lib-rename"><${Csrf} csrf=${csrf} />
            <input name="title" value=${f.title} maxlength="120" required aria-label=${t("lib.titleLabel")} /><button type="submit">${t("common.save")}</button></form>
          <p class="meta">${t(`lib.kind.${f.kind}`)} · ${sizeText(f.size)} · ${t("lib.uses", { n: f.uses })}</p>
          <p class="lib-fits"><${FitBadges} f=${f} t=${t} /></p>
          <form method="post" action=${`/settings/library/${f.id}/delete`} data-confirm=${t("lib.confirmDelete", { title: f.title, n: f.uses })}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("common.delete")}</button></form>
        </li>`,
          )}</ul>`
        : html`<p class="meta" id="lib-empty">${q || kind ? t("lib.noneFound") : t("lib.empty")}</p>`
    }</div>`;
}
