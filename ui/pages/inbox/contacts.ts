// The contacts page: search and list the people who wrote.
import { html, fmtTime, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export function ContactsPage({
  t,
  q,
  items,
  next,
  locale,
}: {
  t: T;
  q: string;
  locale: string;
  items: { id: string; name: string; phone: string | null; email: string | null; updatedAt: number }[];
  next: string | null;
}): VNode {
  return html`<div class="page"><div class="card"><h1>${t("contacts.title")}</h1><form method="get"><input type="search" name="q" value=${q} placeholder=${t("contacts.search")} style="width:100%" /></form>
    ${
      items.length
        ? html`<table><tr><th>${t("contact.name")}</th><th>${t("contact.phone")}</th><th>${t("contact.email")}</th><th></th></tr>
      ${items.map((c) => html`<tr><td>${c.name || t("common.none")}</td><td>${c.phone ?? ""}</td><td>${c.email ?? ""}</td><td>${fmtTime(c.updatedAt, locale)}</td></tr>`)}</table>`
        : html`<p class="empty">${t("contacts.empty")}</p>`
    }
    ${next ? html`<p><a href=${`/contacts?q=${encodeURIComponent(q)}&before=${next}`}>${t("inbox.more")}</a></p>` : null}</div></div>`;
}
