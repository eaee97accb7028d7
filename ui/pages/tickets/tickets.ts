// The tickets' pages (manual 2.7): the list with filters and saved views, a new ticket, and a ticket with its
// whole history, its conversations, its fields and what can be done with it (comment, note, change, close, merge).
import { html, Csrf, fmtTime, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

type Opt = { id: string; name: string };
const STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"] as const;
const PRIORITIES = ["low", "medium", "high", "urgent"] as const;

export type TicketRow = {
  id: string;
  number: number;
  subject: string;
  status: string;
  priority: string;
  contactName: string | null;
  assigneeName: string | null;
  categoryName: string | null;
  slaDueAt: number | null;
  slaBreached: string[];
  slaPausedAt: number | null;
  updatedAt: number;
};

/** A ticket's SLA clock in words: paused, late since, or due at. */
export function SlaClock({
  t,
  row,
  locale,
  now,
}: {
  t: T;
  row: Pick<TicketRow, "slaDueAt" | "slaBreached" | "slaPausedAt">;
  locale: string;
  now: number;
}) {
  if (row.slaPausedAt) return html`<span class="sla paused">${t("tickets.sla.paused")}</span>`;
  if (row.slaDueAt == null)
    return row.slaBreached.length
      ? html`<span class="sla late">${t("tickets.sla.breached")}</span>`
      : html`<span class="muted">—</span>`;
  const late = row.slaDueAt <= now;
  return html`<span class=${`sla ${late ? "late" : row.slaDueAt - now < 3_600_000 ? "soon" : ""}`}>${late ? t("tickets.sla.late", { time: "" }) : t("tickets.sla.due", { time: "" })}${fmtTime(row.slaDueAt, locale)}</span>`;
}

export function TicketsPage({
  t,
  csrf,
  locale,
  now,
  items,
  next,
  filters,
  views,
  viewId,
  me,
  categories,
  departments,
  people,
  isAdmin,
  flash,
  error,
}: {
  t: T;
  csrf: string;
  locale: string;
  now: number;
  items: TicketRow[];
  next: number | null;
  filters: Record<string, string>;
  views: { id: string; name: string; userId: string | null }[];
  viewId?: string;
  me: string;
  categories: Opt[];
  departments: Opt[];
  people: Opt[];
  isAdmin: boolean;
  flash?: string;
  error?: string;
}): VNode {
  const sel = (name: string, options: [string, string][], value: string | undefined) =>
    html`<label>${t(`tickets.${name === "assignee" ? "assignee" : name === "departmentId" ? "department" : name === "categoryId" ? "category" : name}`)}<select name=${name}>${options.map(([v, l]) => html`<option value=${v} selected=${(value ?? "") === v}>${l}</option>`)}</select></label>`;
  const qs = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
  return html`<div class="page tickets"><div class="card"><div class="side-head"><h1>${t("tickets.title")}</h1><a class="btn primary" href="/tickets/new">${t("tickets.new")}</a></div>
    ${flash ? html`<div class="flash" role="status">${flash}</div>` : null}${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    ${
      views.length
        ? html`<nav class="views" aria-label=${t("tickets.views")}>${views.map(
            (v) =>
              html`<span class="view-chip"><a href=${`/tickets?view=${v.id}`} class=${viewId === v.id ? "on" : ""}>${v.name}</a>${
                v.userId === me || (v.userId === null && isAdmin)
                  ? html`<form method="post" action=${`/tickets/views/${v.id}/delete`}><${Csrf} csrf=${csrf} /><button type="submit" class="secondary" aria-label=${`${t("tickets.deleteView")}: ${v.name}`}>×</button></form>`
                  : null
              }</span>`,
          )}</nav>`
        : null
    }
    <form method="get" action="/tickets" class="filters" id="ticket-filters">
      <label>${t("common.search")}<input type="search" name="q" value=${filters.q ?? ""} placeholder=${t("tickets.search")} /></label>
      ${sel("status", [["active", t("tickets.status.active")], ["any", t("tickets.status.any")], ...STATUSES.map((s) => [s, t(`tickets.status.${s}`)] as [string, string])], filters.status)}
      ${sel("priority", [["", t("tickets.any")], ...PRIORITIES.map((p) => [p, t(`priority.${p}`)] as [string, string])], filters.priority)}
      ${sel("assignee", [["", t("tickets.any")], ["me", t("tickets.me")], ["none", t("tickets.nobody")], ...people.map((p) => [p.id, p.name] as [string, string])], filters.assignee)}
      ${sel("categoryId", [["", t("tickets.any")], ...categories.map((c) => [c.id, c.name] as [string, string])], filters.categoryId)}
      ${sel("departmentId", [["", t("tickets.any")], ...departments.map((d) => [d.id, d.name] as [string, string])], filters.departmentId)}
      ${sel(
        "sla",
        [
          ["", t("tickets.any")],
          ["at_risk", t("tickets.sla.at_risk")],
          ["breached", t("tickets.sla.breached")],
        ],
        filters.sla,
      )}
      <p><button type="submit">${t("tickets.filter")}</button></p></form>
    <details class="save-view"><summary>${t("tickets.saveView")}</summary><form method="post" action=${`/tickets/views?${qs}`}><${Csrf} csrf=${csrf} />
      <label>${t("tickets.viewName")}<input name="name" required maxlength="60" /></label>
      ${isAdmin ? html`<label class="inline"><input type="checkbox" name="shared" value="1" /> ${t("tickets.sharedView")}</label>` : null}
      <button type="submit" class="primary">${t("common.save")}</button></form></details>
    ${
      items.length
        ? html`<div class="scroll-x"><table class="ticket-list"><tr><th>#</th><th>${t("tickets.subject")}</th><th>${t("tickets.contact")}</th><th>${t("tickets.status")}</th><th>${t("tickets.priority")}</th><th>${t("tickets.assignee")}</th><th>${t("tickets.sla")}</th></tr>
      ${items.map(
        (
          r,
        ) => html`<tr data-ticket=${r.id}><td>${r.number}</td><td><a href=${`/tickets/${r.id}`}>${r.subject}</a>${r.categoryName ? html` <span class="muted">· ${r.categoryName}</span>` : null}</td><td>${r.contactName || "—"}</td>
        <td><span class=${`badge st-${r.status}`}>${t(`tickets.status.${r.status}`)}</span></td><td>${t(`priority.${r.priority}`)}</td><td>${r.assigneeName ?? t("tickets.nobody")}</td><td><${SlaClock} t=${t} row=${r} locale=${locale} now=${now} /></td></tr>`,
      )}</table></div>`
        : html`<p class="empty">${t("tickets.empty")}</p>`
    }
    ${next ? html`<p><a href=${`/tickets?${qs}${qs ? "&" : ""}before=${next}`}>${t("inbox.more")}</a></p>` : null}</div></div>`;
}

export function NewTicketPage({
  t,
  csrf,
  categories,
  values,
  conversationId,
  error,
}: {
  t: T;
  csrf: string;
  categories: Opt[];
  values: { subject?: string; description?: string; priority?: string; categoryId?: string };
  conversationId?: string;
  error?: string;
}): VNode {
  return html`<div class="page"><form class="card" method="post" action="/tickets/new" id="new-ticket"><${Csrf} csrf=${csrf} /><h1>${t("tickets.new")}</h1>
    ${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    ${conversationId ? html`<input type="hidden" name="conversationId" value=${conversationId} />` : null}
    <label>${t("tickets.subject")}<input name="subject" required minlength="3" maxlength="200" value=${values.subject ?? ""} /></label>
    <label>${t("tickets.description")}<textarea name="description" rows="6" style="width:100%">${values.description ?? ""}</textarea></label>
    <label>${t("tickets.priority")}<select name="priority"><option value="">${t("tickets.byCategory")}</option>${PRIORITIES.map((p) => html`<option value=${p} selected=${values.priority === p}>${t(`priority.${p}`)}</option>`)}</select></label>
    <label>${t("tickets.category")}<select name="categoryId"><option value="">${t("tickets.noCategory")}</option>${categories.map((c) => html`<option value=${c.id} selected=${values.categoryId === c.id}>${c.name}</option>`)}</select></label>
    <p><button class="primary" type="submit">${t("common.create")}</button></p></form></div>`;
}

export type TicketView = TicketRow & {
  description: string;
  departmentId: string | null;
  categoryId: string | null;
  assigneeId: string | null;
  conversationId: string | null;
  customFields: Record<string, unknown>;
  createdAt: number;
  mergedInto: { id: string; number: number } | null;
  contact: { id: string; name: string; phone: string | null; email: string | null } | null;
  conversations: { id: string; preview: string; status: string; lastMessageAt: number }[];
  history: {
    id: string;
    kind: string;
    actorType: string;
    actorName: string;
    body: string;
    attachments: { fileId: string; name: string }[];
    changes: Record<string, unknown> | null;
    at: number;
  }[];
};

/** One line of a ticket's history in words. */
function historyLine(t: T, h: TicketView["history"][number]) {
  const by = h.actorName || "DigyBot";
  const c = h.changes ?? {};
  if (h.kind === "created") return t("tickets.ev.created", { by });
  if (h.kind === "comment") return t(h.actorType === "contact" ? "tickets.ev.contact" : "tickets.ev.comment", { by });
  if (h.kind === "note") return t("tickets.ev.note", { by });
  if (h.kind === "merged")
    return c.into != null
      ? t("tickets.ev.merged_into", { by, number: String(c.into) })
      : t("tickets.ev.merged_from", { by, number: String(c.from) });
  if (h.kind === "sla")
    return c.breached
      ? t("tickets.ev.sla_breached", { kind: t(`tickets.sla.kind.${c.breached}`) })
      : t("tickets.ev.sla_warning", { kind: t(`tickets.sla.kind.${c.warning}`) });
  if (c.linked) return t("tickets.ev.linked", { by });
  const what = Object.keys(c)
    .filter((k) => k !== "auto")
    .map((k) => t(`tickets.field.${k}`))
    .join(", ");
  return t("tickets.ev.change", { by, what });
}

/** A change's "before → after" in words (statuses and priorities translated, people and categories named). */
function changeDetail(t: T, h: TicketView["history"][number], names: Map<string, string>) {
  if (h.kind !== "change" || !h.changes) return null;
  const word = (k: string, v: unknown) =>
    v == null || v === ""
      ? "—"
      : k === "status"
        ? t(`tickets.status.${v}`)
        : k === "priority"
          ? t(`priority.${v}`)
          : (names.get(String(v)) ?? (typeof v === "object" ? JSON.stringify(v) : String(v)));
  return Object.entries(h.changes)
    .filter(([k, v]) => Array.isArray(v) && k !== "description" && k !== "linked")
    .map(([k, v]) => `${t(`tickets.field.${k}`)}: ${word(k, (v as unknown[])[0])} → ${word(k, (v as unknown[])[1])}`)
    .join(" · ");
}

export function TicketPage({
  t,
  csrf,
  locale,
  now,
  ticket: x,
  categories,
  departments,
  people,
  fields,
  flash,
  error,
}: {
  t: T;
  csrf: string;
  locale: string;
  now: number;
  ticket: TicketView;
  categories: Opt[];
  departments: Opt[];
  people: Opt[];
  fields: { key: string; label: string; type: string; options: string[] }[];
  flash?: string;
  error?: string;
}): VNode {
  const names = new Map<string, string>([...categories, ...departments, ...people].map((o) => [o.id, o.name]));
  const done = x.status === "solved" || x.status === "closed";
  return html`<div class="page ticket"><div class="ticket-grid">
    <section class="card"><p><a href="/tickets">← ${t("tickets.title")}</a></p>
      <h1>#${x.number} · ${x.subject}</h1>
      ${flash ? html`<div class="flash" role="status">${flash}</div>` : null}${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
      ${x.mergedInto ? html`<p class="flash"><a href=${`/tickets/${x.mergedInto.id}`}>${t("tickets.mergedInto", { number: String(x.mergedInto.number) })}</a></p>` : null}
      <p><span class=${`badge st-${x.status}`} id="ticket-status">${t(`tickets.status.${x.status}`)}</span> · ${t(`priority.${x.priority}`)} · <${SlaClock} t=${t} row=${x} locale=${locale} now=${now} /></p>
      ${x.description ? html`<p class="ticket-description">${x.description}</p>` : null}
      <h2>${t("tickets.history")}</h2>
      <ol class="ticket-history">${x.history.map(
        (
          h,
        ) => html`<li class=${`ev ev-${h.kind}${h.actorType === "contact" ? " from-contact" : ""}`} data-kind=${h.kind}><div class="ev-head"><strong>${historyLine(t, h)}</strong> <span class="muted">${fmtTime(h.at, locale)}</span></div>
        ${changeDetail(t, h, names) ? html`<div class="muted">${changeDetail(t, h, names)}</div>` : null}
        ${h.body && h.kind !== "created" ? html`<div class="ev-body">${h.body}</div>` : null}
        ${h.attachments?.length ? html`<ul class="ev-files">${h.attachments.map((a) => html`<li><a href=${`/api/v1/files/${a.fileId}`} target="_blank">${a.name}</a></li>`)}</ul>` : null}</li>`,
      )}</ol>
      ${
        x.mergedInto
          ? null
          : html`<form method="post" action=${`/tickets/${x.id}/comments`} enctype="multipart/form-data" id="ticket-comment"><${Csrf} csrf=${csrf} />
        <fieldset class="comment-kind"><label class="inline"><input type="radio" name="public" value="1" checked=${!!x.conversationId} disabled=${!x.conversationId} /> ${t("tickets.comment")}</label><label class="inline"><input type="radio" name="public" value="0" checked=${!x.conversationId} /> ${t("tickets.note")}</label></fieldset>
        <label class="sr-only" for="comment-body">${t("tickets.commentPlaceholder")}</label>
        <textarea id="comment-body" name="body" rows="4" style="width:100%" placeholder=${t("tickets.commentPlaceholder")}></textarea>
        <label>${t("tickets.attach")}<input type="file" name="file" /></label>
        <p><button class="primary" type="submit">${t("tickets.send")}</button></p></form>`
      }
    </section>
    <aside class="card ticket-side">
      <form method="post" action=${`/tickets/${x.id}`} id="ticket-fields"><${Csrf} csrf=${csrf} />
        <label>${t("tickets.status")}<select name="status">${STATUSES.map((s) => html`<option value=${s} selected=${x.status === s}>${t(`tickets.status.${s}`)}</option>`)}</select></label>
        <label>${t("tickets.priority")}<select name="priority">${PRIORITIES.map((p) => html`<option value=${p} selected=${x.priority === p}>${t(`priority.${p}`)}</option>`)}</select></label>
        <label>${t("tickets.category")}<select name="categoryId"><option value="">${t("tickets.noCategory")}</option>${categories.map((c) => html`<option value=${c.id} selected=${x.categoryId === c.id}>${c.name}</option>`)}</select></label>
        <label>${t("tickets.department")}<select name="departmentId"><option value="">—</option>${departments.map((d) => html`<option value=${d.id} selected=${x.departmentId === d.id}>${d.name}</option>`)}</select></label>
        <label>${t("tickets.assignee")}<select name="assigneeId"><option value="">${t("tickets.nobody")}</option>${people.map((p) => html`<option value=${p.id} selected=${x.assigneeId === p.id}>${p.name}</option>`)}</select></label>
        ${fields.map((f) =>
          f.type === "list"
            ? html`<label>${f.label}<select name=${`cf_${f.key}`}><option value="">—</option>${f.options.map((o) => html`<option selected=${x.customFields[f.key] === o}>${o}</option>`)}</select></label>`
            : html`<label>${f.label}<input name=${`cf_${f.key}`} type=${f.type === "number" ? "number" : f.type === "date" ? "date" : "text"} value=${x.customFields[f.key] == null ? "" : String(x.customFields[f.key])} /></label>`,
        )}
        <p><button class="primary" type="submit">${t("tickets.save")}</button></p></form>
      ${
        x.mergedInto
          ? null
          : html`<form method="post" action=${`/tickets/${x.id}/${done ? "reopen" : "close"}`}><${Csrf} csrf=${csrf} /><button type="submit" class="secondary" id="ticket-close">${t(done ? "tickets.reopen" : "tickets.close")}</button></form>
      <details class="merge"><summary>${t("tickets.merge")}</summary><form method="post" action=${`/tickets/${x.id}/merge`}><${Csrf} csrf=${csrf} />
        <label>${t("tickets.mergeNumber")}<input name="number" type="number" min="1" required /></label><button type="submit" class="danger">${t("tickets.merge")}</button></form></details>`
      }
      ${x.contact ? html`<h3>${t("tickets.contact")}</h3><p>${x.contact.name || "—"}${x.contact.phone ? html`<br />${x.contact.phone}` : null}${x.contact.email ? html`<br />${x.contact.email}` : null}</p>` : null}
      <h3>${t("tickets.conversations")}</h3>
      ${x.conversations.length ? html`<ul class="ticket-convs">${x.conversations.map((c) => html`<li><a href=${`/inbox?c=${c.id}&view=all&status=any`}>${c.preview || t("tickets.openConversation")}</a> <span class="muted">${fmtTime(c.lastMessageAt, locale)}</span></li>`)}</ul>` : html`<p class="muted">—</p>`}
    </aside></div></div>`;
}
