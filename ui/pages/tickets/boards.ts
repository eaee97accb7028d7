// Tracking boards' pages (manual 2.11, 6.19): the list of boards, and a board with its filters, figures and
// columns of cards. A card moves by dragging it (a finger too: a short press first, so the page still scrolls) or
// with its own "Mover a" control, which works without scripts and with a keyboard.
import { html, Csrf, fmtTime, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";
import { statusLabel } from "../../../src/tickets/boards.ts";

type Opt = { id: string; name: string };
type Column = {
  id: string;
  name: string;
  status?: string | null;
  wip?: number | null;
  count: number;
  avgAgeMs: number | null;
  cards: {
    id: string;
    kind: string;
    title: string;
    contactName: string | null;
    channelName: string | null;
    assigneeName: string | null;
    priority: string;
    status: string;
    tags: { name: string; color: string }[];
    createdAt: number;
    slaDueAt: number | null;
    slaBreached: boolean;
    conversationId: string | null;
    order?: { fulfilment: string; paymentStatus: string; items: number };
  }[];
};
export type BoardData = {
  board: {
    id: string;
    name: string;
    kind: string;
    departmentId: string | null;
    columns: { id: string; name: string; status?: string | null; wip?: number | null }[];
  };
  filters: Record<string, string | undefined>;
  columns: Column[];
  kpis: {
    load: { id: string; name: string; open: number }[];
    avgResolutionMs: number | null;
    csat: { average: number; answers: number } | null;
  };
};

/** "3 h", "2 d": how old something is. */
export function ageText(t: T, ms: number) {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return t("boards.age.minutes", { n: String(m) });
  if (m < 48 * 60) return t("boards.age.hours", { n: String(Math.round(m / 60)) });
  return t("boards.age.days", { n: String(Math.round(m / 1440)) });
}

export function BoardsPage({
  t,
  csrf,
  boards,
  departments,
  canCreate,
  error,
}: {
  t: T;
  csrf: string;
  boards: { id: string; name: string; kind: string; departmentId: string | null }[];
  departments: Opt[];
  canCreate: boolean;
  error?: string;
}): VNode {
  const dname = (id: string | null) => (id ? (departments.find((d) => d.id === id)?.name ?? "") : t("boards.everyone"));
  return html`<div class="page boards"><div class="card"><h1>${t("boards.title")}</h1>
    ${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    ${
      boards.length
        ? html`<ul class="board-list">${boards.map((b) => html`<li><a href=${`/boards/${b.id}`}>${b.name}</a> <span class="muted">· ${t(`boards.kind.${b.kind}`)} · ${dname(b.departmentId)}</span></li>`)}</ul>`
        : html`<p class="empty">${t("boards.empty")}</p>`
    }</div>
    ${
      canCreate
        ? html`<form class="card" method="post" action="/boards" id="new-board"><${Csrf} csrf=${csrf} /><h2>${t("boards.new")}</h2>
      <label>${t("common.name")}<input name="name" required maxlength="80" /></label>
      <label>${t("boards.kind")}<select name="kind"><option value="conversations">${t("boards.kind.conversations")}</option><option value="tickets">${t("boards.kind.tickets")}</option><option value="orders">${t("boards.kind.orders")}</option></select></label>
      <label>${t("tickets.department")}<select name="departmentId"><option value="">${t("boards.everyone")}</option>${departments.map((d) => html`<option value=${d.id}>${d.name}</option>`)}</select></label>
      <p><button class="primary" type="submit">${t("common.create")}</button></p></form>`
        : null
    }</div>`;
}

/** One card: what it is, whose, how urgent and old, its SLA clock, and its own "move to" control. */
export function BoardCard({
  t,
  csrf,
  c,
  board: b,
  column,
  locale,
  now,
}: {
  t: T;
  csrf: string;
  c: Column["cards"][number];
  board: BoardData["board"];
  column: string;
  locale: string;
  now: number;
}): VNode {
  const col = { id: column };
  return html`<li class=${`board-card pr-${c.priority}`} data-item=${c.id} tabindex="0">
          <a class="card-title" href=${c.kind === "tickets" ? `/tickets/${c.id}` : c.kind === "orders" ? `/orders/${c.id}` : `/inbox?c=${c.id}&view=all&status=any`}>${c.title || t("tickets.openConversation")}</a>
          <div class="card-meta">${c.contactName ? html`<span>${c.contactName}</span>` : null}${c.channelName ? html`<span class="muted">${c.channelName}</span>` : null}</div>
          ${c.order ? html`<div class="card-meta"><span>${t(`orders.fulfilment.${c.order.fulfilment}`)}</span><span class=${`pay pay-${c.order.paymentStatus}`}>${t(`orders.payment.${c.order.paymentStatus}`)}</span><span class="muted">${t("orders.itemsCount", { n: String(c.order.items) })}</span></div>` : null}
          <div class="card-meta">${c.kind === "orders" ? null : html`<span>${c.assigneeName ?? t("tickets.nobody")}</span>`}${c.priority !== "none" ? html`<span class=${`prio pr-${c.priority}`}>${t(`priority.${c.priority}`)}</span>` : null}<span class="muted">${ageText(t, now - c.createdAt)}</span></div>
          ${c.tags.length ? html`<div class="card-tags">${c.tags.map((g) => html`<span class="tag" style=${`background:${g.color}`}>${g.name}</span>`)}</div>` : null}
          ${c.slaDueAt != null || c.slaBreached ? html`<div class=${`sla ${c.slaBreached || (c.slaDueAt ?? Infinity) <= now ? "late" : ""}`}>${c.slaDueAt != null ? html`${t("tickets.sla")} ${fmtTime(c.slaDueAt, locale)}` : t("tickets.sla.breached")}</div>` : null}
          <form method="post" action=${`/boards/${b.id}/move`} class="move-form"><${Csrf} csrf=${csrf} /><input type="hidden" name="itemId" value=${c.id} />
            <label class="sr-only" for=${`mv-${c.id}`}>${t("boards.moveTo")}</label>
            <select id=${`mv-${c.id}`} name="columnId">${b.columns.map((o) => html`<option value=${o.id} selected=${o.id === col.id}>${o.name}</option>`)}</select>
            <button type="submit" class="secondary">${t("boards.move")}</button></form></li>`;
}

/** The columns and their cards (also the fragment a live refresh swaps in). */
export function BoardColumns({
  t,
  csrf,
  data,
  locale,
  now,
}: {
  t: T;
  csrf: string;
  data: BoardData;
  locale: string;
  now: number;
}): VNode {
  const b = data.board;
  return html`<div class="board-columns" id="board-columns" data-board=${b.id}>${data.columns.map(
    (
      col,
    ) => html`<section class=${`board-column${col.wip && col.count >= col.wip ? " full" : ""}`} data-column=${col.id} aria-label=${col.name}>
      <header><h2>${col.name}</h2><span class="col-count" data-count=${col.count}>${col.wip ? t("boards.countWip", { n: String(col.count), wip: String(col.wip) }) : String(col.count)}</span>
        ${col.avgAgeMs != null && col.count ? html`<span class="muted">${t("boards.avgAge", { age: ageText(t, col.avgAgeMs) })}</span>` : null}</header>
      <ul class="board-cards" data-column=${col.id}>${col.cards.map((c) => html`<${BoardCard} t=${t} csrf=${csrf} c=${c} board=${b} column=${col.id} locale=${locale} now=${now} />`)}</ul>
      ${col.count > col.cards.length ? html`<button type="button" class="secondary more-cards" data-column=${col.id} data-offset=${col.cards.length} data-count=${col.count} data-label=${t("boards.more", { n: "{n}" })}>${t("boards.more", { n: String(col.count - col.cards.length) })}</button>` : null}
    </section>`,
  )}</div>`;
}

export function BoardPage({
  t,
  csrf,
  locale,
  now,
  data,
  leads,
  people,
  tags,
  channels,
  departments,
  flash,
  error,
}: {
  t: T;
  csrf: string;
  locale: string;
  now: number;
  data: BoardData;
  leads: boolean;
  people: Opt[];
  tags: Opt[];
  channels: Opt[];
  departments: Opt[];
  flash?: string;
  error?: string;
}): VNode {
  const b = data.board;
  const f = data.filters;
  const statuses =
    b.kind === "tickets"
      ? ["new", "open", "pending", "on_hold", "solved", "closed"]
      : b.kind === "orders"
        ? ["new", "confirmed", "preparing", "ready", "on_the_way", "delivered", "picked_up", "cancelled"]
        : ["open", "pending", "snoozed", "resolved"];
  const statusName = (s: string) => statusLabel(t as never, b.kind as never, s);
  const sel = (name: string, label: string, opts: [string, string][]) =>
    html`<label>${label}<select name=${name}><option value="">${t("tickets.any")}</option>${opts.map(([v, l]) => html`<option value=${v} selected=${f[name] === v}>${l}</option>`)}</select></label>`;
  // orders have no priority or assignee of their own
  const filterFields = html`${
    b.kind === "orders"
      ? null
      : html`${sel(
          "priority",
          t("tickets.priority"),
          ["low", "medium", "high", "urgent"].map((p) => [p, t(`priority.${p}`)]),
        )}
    ${sel("assignee", t("tickets.assignee"), [["me", t("tickets.me")], ["none", t("tickets.nobody")], ...people.map((p) => [p.id, p.name] as [string, string])])}`
  }
    ${sel(
      "tagId",
      t("boards.tag"),
      tags.map((x) => [x.id, x.name]),
    )}
    ${sel(
      "channelId",
      t("boards.channel"),
      channels.map((x) => [x.id, x.name]),
    )}
    ${
      b.departmentId
        ? null
        : sel(
            "departmentId",
            t("tickets.department"),
            departments.map((x) => [x.id, x.name]),
          )
    }`;
  return html`<div class="page board" data-board=${b.id}>
    <div class="card board-head"><p><a href="/boards">← ${t("boards.title")}</a></p><h1>${b.name}</h1>
      ${flash ? html`<div class="flash" role="status">${flash}</div>` : null}<div class="flash err" role="alert" id="board-error" hidden=${!error}>${error ?? ""}</div>
      <div class="board-kpis" id="board-kpis">
        <span>${t("boards.kpi.resolution")}: <strong>${data.kpis.avgResolutionMs == null ? "—" : ageText(t, data.kpis.avgResolutionMs)}</strong></span>
        <span>${t("boards.kpi.csat")}: <strong>${data.kpis.csat ? `${data.kpis.csat.average} / 5 (${data.kpis.csat.answers})` : "—"}</strong></span>
        <span>${t("boards.kpi.load")}: ${data.kpis.load.length ? data.kpis.load.map((l) => html`<span class="load">${l.name} <strong>${l.open}</strong></span>`) : "—"}</span></div>
      <details class="board-filters"><summary>${t("tickets.filter")}</summary>
        <form method="get" action=${`/boards/${b.id}`} id="board-filter-form">${filterFields}<p><button type="submit">${t("tickets.filter")}</button></p></form>
        ${
          leads
            ? html`<form method="post" action=${`/boards/${b.id}/filters`} id="board-save-filters"><${Csrf} csrf=${csrf} />${Object.entries(
                f,
              )
                .filter(([, v]) => v)
                .map(
                  ([k, v]) => html`<input type="hidden" name=${k} value=${v} />`,
                )}<button type="submit" class="secondary">${t("boards.saveFilters")}</button></form>`
            : null
        }</details>
      ${
        leads
          ? html`<details class="board-edit"><summary>${t("boards.editColumns")}</summary><form method="post" action=${`/boards/${b.id}/columns`} id="board-columns-form"><${Csrf} csrf=${csrf} />
        <p class="muted">${t("boards.columnsHint")}</p>
        ${[
          ...b.columns,
          { id: "", name: "", status: null, wip: null },
          { id: "", name: "", status: null, wip: null },
        ].map(
          (
            c,
            i,
          ) => html`<fieldset class="col-row"><legend>${t("boards.column", { n: String(i + 1) })}</legend><input type="hidden" name="col_id" value=${c.id} />
          <label>${t("common.name")}<input name="col_name" value=${c.name} maxlength="40" /></label>
          <label>${t("boards.columnStatus")}<select name="col_status"><option value="">${t("boards.stage")}</option>${statuses.map((s) => html`<option value=${s} selected=${c.status === s}>${statusName(s)}</option>`)}</select></label>
          <label>${t("boards.wip")}<input name="col_wip" type="number" min="1" max="10000" value=${c.wip ?? ""} placeholder=${t("departments.optional")} /></label></fieldset>`,
        )}
        <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
        <form method="post" action=${`/boards/${b.id}/delete`} data-confirm=${t("boards.deleteConfirm", { name: b.name })}><${Csrf} csrf=${csrf} /><button type="submit" class="danger">${t("common.delete")}</button></form></details>`
          : null
      }
    </div>
    <${BoardColumns} t=${t} csrf=${csrf} data=${data} locale=${locale} now=${now} />
    <script src="/assets/board.js" defer></script></div>`;
}
