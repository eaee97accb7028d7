// The orders' pages (manual 2.5): the list with its status filter and a way to the board, an order with its items,
// totals, delivery, payment and history and the steps it may take next, and the kitchen ticket to print.
import { html, Csrf, fmtTime, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";
import { ORDER_STATUSES as STATUSES, type OrderItem } from "../../../src/commerce/schema.ts";

export type OrderRow = {
  id: string;
  number: string;
  status: string;
  total: string;
  fulfilment: string;
  paymentStatus: string;
  contactName: string | null;
  items: number;
  createdAt: number;
};

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function OrdersPage({
  t,
  locale,
  rows,
  status,
  q,
  boardHref,
  canMakeBoard,
  csrf,
  error,
}: {
  t: T;
  locale: string;
  rows: OrderRow[];
  status: string;
  q: string;
  boardHref: string | null;
  canMakeBoard: boolean;
  csrf: string;
  error?: string;
}): VNode {
  return html`<div class="page orders"><div class="card"><div class="side-head"><h1>${t("orders.title")}</h1>${
    boardHref
      ? html`<a class="btn" href=${boardHref} id="orders-board">${t("orders.board")}</a>`
      : canMakeBoard
        ? html`<form method="post" action="/orders/board"><${Csrf} csrf=${csrf} /><button type="submit" id="orders-board">${t("orders.board")}</button></form>`
        : null
  }${canMakeBoard ? html`<a class="btn secondary" href="/deliveries" id="orders-runs">${t("runs.title")}</a>` : null}</div>
    ${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    <form method="get" action="/orders" class="filters" id="order-filters">
      <label>${t("common.search")}<input type="search" name="q" value=${q} placeholder=${t("orders.searchNumber")} /></label>
      <label>${t("orders.status")}<select name="status"><option value="">${t("orders.status.open")}</option><option value="any" selected=${status === "any"}>${t("tickets.status.any")}</option>${STATUSES.map((s) => html`<option value=${s} selected=${status === s}>${cap(t(`orders.status.${s}`))}</option>`)}</select></label>
      <p><button type="submit">${t("tickets.filter")}</button></p></form>
    ${
      rows.length
        ? html`<ul class="order-list" id="order-list">${rows.map(
            (
              r,
            ) => html`<li class="order-row" data-order=${r.number}><a href=${`/orders/${r.id}`}><strong>#${r.number}</strong> <span class=${`ostatus os-${r.status}`}>${cap(t(`orders.status.${r.status}`))}</span></a>
            <span>${r.contactName ?? t("team.customer")}</span><span class="money">${r.total}</span>
            <span class="muted">${t(`orders.fulfilment.${r.fulfilment}`)} · ${t(`orders.payment.${r.paymentStatus}`)} · ${t("orders.itemsCount", { n: String(r.items) })} · ${fmtTime(r.createdAt, locale)}</span></li>`,
          )}</ul>`
        : html`<p class="empty">${t("orders.empty")}</p>`
    }</div></div>`;
}

export type OrderView = {
  id: string;
  number: string;
  status: string;
  items: OrderItem[];
  subtotal: number;
  discount: number;
  promotions: { id: string; name: string; amount: number }[];
  deliveryFee: number;
  total: number;
  currency: string;
  fulfilment: string;
  address: string;
  paymentMethod: string | null;
  paymentStatus: string;
  notes: string;
  conversationId: string | null;
  contactName: string | null;
  contactId: string | null;
  createdAt: number;
  next: string[];
  /** the payment providers set up, and the links sent */
  providers: string[];
  links: { provider: string; url: string; status: string }[];
  /** every item is the Shopify store's: its checkout can be sent */
  shopifyCheckout: boolean;
  history: { at: number; kind: string; by: string; data: Record<string, unknown> }[];
};

function historyLine(t: T, h: OrderView["history"][number]) {
  const d = h.data as {
    from?: string;
    to?: string;
    reason?: string;
    method?: string;
    reference?: string;
    status?: string;
  };
  switch (h.kind) {
    case "created":
      return t("orders.h.created", { status: cap(t(`orders.status.${d.status ?? "new"}`)) });
    case "status":
      return `${t("orders.h.status", { from: t(`orders.status.${d.from}`), to: t(`orders.status.${d.to}`) })}${d.reason ? ` · ${d.reason === "hold_expired" ? t("orders.h.holdExpired") : d.reason}` : ""}`;
    case "paid":
      return `${t("orders.h.paid")}${d.method ? ` · ${t(`orders.method.${d.method}`)}` : ""}${d.reference ? ` · ${d.reference}` : ""}`;
    case "not_told":
      return t("orders.h.notTold", { status: t(`orders.status.${d.status}`) });
    default:
      return h.kind;
  }
}

export function OrderPage({
  t,
  csrf,
  locale,
  o,
  money,
  flash,
  error,
}: {
  t: T;
  csrf: string;
  locale: string;
  o: OrderView;
  money: (minor: number) => string;
  flash?: string;
  error?: string;
}): VNode {
  const forward = o.next.filter((s) => s !== "cancelled" && s !== "refunded");
  const nextStep = forward[0];
  return html`<div class="page order" data-order=${o.number}>
    <div class="card"><p><a href="/orders">← ${t("orders.title")}</a></p>
      <div class="side-head"><h1>${t("orders.number", { number: o.number })}</h1><span class=${`ostatus os-${o.status}`} id="order-status">${cap(t(`orders.status.${o.status}`))}</span></div>
      ${flash ? html`<div class="flash" role="status">${flash}</div>` : null}${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
      <p class="meta">${o.contactName ?? t("team.customer")} · ${fmtTime(o.createdAt, locale)}${o.conversationId ? html` · <a href=${`/inbox?c=${o.conversationId}&view=all&status=any`}>${t("orders.openConversation")}</a>` : null}</p>
      <div class="order-actions" id="order-actions">
        ${nextStep ? html`<form method="post" action=${`/orders/${o.id}/status`}><${Csrf} csrf=${csrf} /><input type="hidden" name="status" value=${nextStep} /><button class="primary" type="submit">${t("orders.moveTo", { status: t(`orders.status.${nextStep}`) })}</button></form>` : null}
        ${
          forward.length > 1
            ? html`<form method="post" action=${`/orders/${o.id}/status`} class="inline"><${Csrf} csrf=${csrf} /><label class="sr-only" for="order-jump">${t("orders.jump")}</label><select id="order-jump" name="status">${forward.slice(1).map((s) => html`<option value=${s}>${cap(t(`orders.status.${s}`))}</option>`)}</select><button type="submit" class="secondary">${t("orders.jump")}</button></form>`
            : null
        }
        ${
          o.paymentStatus !== "paid" && o.paymentStatus !== "refunded" && !["cancelled", "refunded"].includes(o.status)
            ? html`<form method="post" action=${`/orders/${o.id}/paid`}><${Csrf} csrf=${csrf} /><button type="submit" class="secondary" id="mark-paid">${t("orders.markPaid")}</button></form>`
            : null
        }
        ${
          o.providers.length &&
          o.paymentStatus !== "paid" &&
          o.paymentStatus !== "refunded" &&
          o.conversationId &&
          !["cancelled", "refunded"].includes(o.status)
            ? html`<form method="post" action=${`/orders/${o.id}/payment-link`} class="inline" id="pay-link"><${Csrf} csrf=${csrf} />${
                o.providers.length > 1
                  ? html`<label class="sr-only" for="pay-provider">${t("orders.provider")}</label><select id="pay-provider" name="provider">${o.providers.map((p) => html`<option value=${p}>${p === "stripe" ? "Stripe" : "Mercado Pago"}</option>`)}</select>`
                  : html`<input type="hidden" name="provider" value=${o.providers[0]} />`
              }<button type="submit" class="secondary">${t("orders.sendPayLink")}</button></form>`
            : null
        }
        ${
          o.shopifyCheckout &&
          o.paymentStatus !== "paid" &&
          o.conversationId &&
          !["cancelled", "refunded"].includes(o.status)
            ? html`<form method="post" action=${`/orders/${o.id}/shopify-checkout`} id="shopify-checkout"><${Csrf} csrf=${csrf} /><button type="submit" class="secondary">${t("orders.sendShopify")}</button></form>`
            : null
        }
        <a class="btn secondary" href=${`/orders/${o.id}/ticket`} target="_blank" rel="noopener" id="kitchen-ticket">${t("orders.kitchenTicket")}</a>
        ${
          o.next.includes("cancelled")
            ? html`<form method="post" action=${`/orders/${o.id}/status`} data-confirm=${t("orders.cancelConfirm", { number: o.number })}><${Csrf} csrf=${csrf} /><input type="hidden" name="status" value="cancelled" /><button type="submit" class="danger">${t("orders.cancel")}</button></form>`
            : null
        }
        ${
          o.next.includes("refunded")
            ? html`<form method="post" action=${`/orders/${o.id}/status`} data-confirm=${t("orders.refundConfirm", { number: o.number })}><${Csrf} csrf=${csrf} /><input type="hidden" name="status" value="refunded" /><button type="submit" class="danger">${t("orders.refund")}</button></form>`
            : null
        }
      </div></div>
    <div class="card"><h2>${t("orders.items")}</h2>
      <table class="list order-items"><thead><tr><th>${t("orders.qty")}</th><th>${t("common.name")}</th><th>${t("catalog.price")}</th><th>${t("orders.lineTotal")}</th></tr></thead><tbody>
      ${o.items.map(
        (
          i,
        ) => html`<tr><td data-label=${t("orders.qty")}>${i.quantity}</td><td data-label=${t("common.name")}>${i.name}${i.variantName ? ` (${i.variantName})` : ""}${i.modifiers?.length ? html`<br /><small class="meta">+ ${i.modifiers.map((m) => m.name).join(", ")}</small>` : null}${i.note ? html`<br /><small class="meta">${i.note}</small>` : null}</td>
        <td data-label=${t("catalog.price")}>${money(i.price)}</td><td data-label=${t("orders.lineTotal")}>${money(i.price * i.quantity)}</td></tr>`,
      )}</tbody></table>
      <dl class="totals"><dt>${t("orders.subtotal")}</dt><dd>${money(o.subtotal)}</dd>
        ${o.promotions.length ? o.promotions.map((p) => html`<dt>${p.name}</dt><dd>−${money(p.amount)}</dd>`) : o.discount ? html`<dt>${t("orders.discount")}</dt><dd>−${money(o.discount)}</dd>` : null}
        ${o.deliveryFee ? html`<dt>${t("orders.deliveryFee")}</dt><dd>${money(o.deliveryFee)}</dd>` : null}
        <dt><strong>${t("orders.total")}</strong></dt><dd><strong id="order-total">${money(o.total)}</strong></dd></dl></div>
    <div class="card"><h2>${t("orders.delivery")}</h2>
      <p>${t(`orders.fulfilment.${o.fulfilment}`)}${o.address ? html` · ${o.address}` : null}</p>
      <p>${t("orders.payment")}: <span id="order-payment">${t(`orders.payment.${o.paymentStatus}`)}</span>${o.paymentMethod ? ` · ${t(`orders.method.${o.paymentMethod}`)}` : ""}</p>
      ${o.links.length ? html`<ul class="pay-links" id="pay-links">${o.links.map((l) => html`<li>${l.provider === "stripe" ? "Stripe" : "Mercado Pago"} · ${t(`orders.linkStatus.${l.status}`)} · <a href=${l.url} rel="noopener noreferrer" target="_blank" class="wrap">${l.url}</a></li>`)}</ul>` : null}
      ${o.notes ? html`<p class="meta">${o.notes}</p>` : null}</div>
    <div class="card"><h2>${t("orders.history")}</h2><ol class="history" id="order-history">${o.history.map(
      (h) => html`<li><span class="muted">${fmtTime(h.at, locale)} · ${h.by}</span> ${historyLine(t, h)}</li>`,
    )}</ol></div></div>`;
}

/** The kitchen's ticket: big quantities, names, extras and notes, nothing else (printed from its own page). */
export function KitchenTicket({ t, o, locale }: { t: T; o: OrderView; locale: string }): VNode {
  return html`<html lang=${locale}><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" /><title>${t("orders.number", { number: o.number })}</title>
    <style>body{font:16px/1.35 system-ui,sans-serif;margin:0;padding:12px;max-width:80mm}h1{font-size:22px;margin:0 0 4px}ul{list-style:none;padding:0;margin:8px 0}li{border-bottom:1px dashed #999;padding:6px 0}.q{font-size:20px;font-weight:700;margin-right:6px}.x{display:block;padding-left:28px}.meta{color:#333}button{font-size:16px;min-height:44px;padding:0 16px;margin-top:12px}@media print{button{display:none}body{padding:0}}</style></head>
    <body><h1>${t("orders.number", { number: o.number })}</h1><div class="meta">${fmtTime(o.createdAt, locale)} · ${t(`orders.fulfilment.${o.fulfilment}`)}${o.contactName ? ` · ${o.contactName}` : ""}</div>
      <ul id="ticket-items">${o.items.map((i) => html`<li><span class="q">${i.quantity}×</span>${i.name}${i.variantName ? ` (${i.variantName})` : ""}${i.modifiers?.length ? html`<span class="x">+ ${i.modifiers.map((m) => m.name).join(", ")}</span>` : null}${i.note ? html`<span class="x">${i.note}</span>` : null}</li>`)}</ul>
      ${o.notes ? html`<p><strong>${t("orders.notes")}:</strong> ${o.notes}</p>` : null}
      ${o.fulfilment === "delivery" && o.address ? html`<p><strong>${t("orders.address")}:</strong> ${o.address}</p>` : null}
      <button type="button" id="print-ticket">${t("orders.print")}</button><script src="/assets/print.js" defer></script></body></html>`;
}
