// The conversation's cart in the contact panel: what the customer is choosing, live, priced from the catalog; the
// agent adds an item (a variant, extras), changes a quantity, picks pickup or delivery and creates the order.
import { html, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

export type CartPanelView = {
  conversationId: string;
  lines: {
    id: string;
    name: string;
    variantName: string | null;
    modifierNames: string[];
    quantity: number;
    total: string;
    problem: string | null;
  }[];
  subtotal: string;
  discounts: { name: string; amount: string }[];
  total: string;
  couponCode: string | null;
  /** the delivery quote in words, and whether the address is served */
  delivery: string | null;
  deliveryServed: boolean | null;
  fulfilment: "pickup" | "delivery" | null;
  address: string;
};
export type CartProduct = {
  sku: string;
  name: string;
  price: string;
  variants: { key: string; name: string; price: string }[];
  modifiers: { key: string; name: string; price: string }[];
  available: boolean;
};

export function CartPanel({
  t,
  cart,
  products,
  lastOrder,
}: {
  t: T;
  cart: CartPanelView;
  products: CartProduct[];
  lastOrder?: { id: string; number: string } | null;
}): VNode {
  const options = products.flatMap((p) =>
    p.variants.length
      ? p.variants.map((v) => ({ value: `${p.sku}::${v.key}`, label: `${p.name} — ${v.name} (${v.price})`, p }))
      : [{ value: `${p.sku}::`, label: `${p.name} (${p.price})`, p }],
  );
  return html`<section class="cart-panel" id="cart-panel" data-conversation=${cart.conversationId}>
    <h3>${t("cart.title")}</h3>
    <div class="flash err" role="alert" id="cart-error" hidden></div>
    ${lastOrder ? html`<div class="flash" role="status" id="cart-ordered">${t("cart.ordered", { number: lastOrder.number })} <a href=${`/orders/${lastOrder.id}`}>${t("cart.seeOrder")}</a></div>` : null}
    ${
      cart.lines.length
        ? html`<ul class="cart-lines" id="cart-lines">${cart.lines.map(
            (l) => html`<li class="cart-line" data-line=${l.id}>
              <span class="cl-name">${l.name}${l.variantName ? ` (${l.variantName})` : ""}${l.modifierNames.length ? html`<small class="meta"> + ${l.modifierNames.join(", ")}</small>` : null}${l.problem ? html`<small class="warn-text"> · ${t(`errors.${l.problem}`)}</small>` : null}</span>
              <span class="cl-qty"><button type="button" class="secondary" data-cart-qty=${l.quantity - 1} aria-label=${t("cart.less", { name: l.name })}>−</button><output>${l.quantity}</output><button type="button" class="secondary" data-cart-qty=${l.quantity + 1} aria-label=${t("cart.more", { name: l.name })}>+</button></span>
              <span class="cl-total">${l.total}</span></li>`,
          )}</ul>
        <p class="cart-subtotal">${t("orders.subtotal")}: <strong id="cart-subtotal">${cart.subtotal}</strong></p>
        ${cart.discounts.length ? html`<ul class="cart-discounts" id="cart-discounts">${cart.discounts.map((d) => html`<li>${d.name} <strong>−${d.amount}</strong></li>`)}</ul><p class="cart-subtotal">${t("orders.total")}: <strong id="cart-total">${cart.total}</strong></p>` : null}
        <form class="cart-coupon inline" id="cart-coupon"><label class="sr-only" for="coupon-code">${t("cart.coupon")}</label><input id="coupon-code" name="code" maxlength="32" value=${cart.couponCode ?? ""} placeholder=${t("cart.coupon")} autocomplete="off" /><button type="submit" class="secondary">${cart.couponCode ? t("cart.couponChange") : t("cart.couponApply")}</button></form>`
        : html`<p class="meta" id="cart-empty">${t("cart.empty")}</p>`
    }
    <form class="cart-add" id="cart-add">
      <label>${t("cart.product")}<select name="item" data-picker data-search=${t("cart.search")} data-empty=${t("picker.none")} aria-label=${t("cart.product")}><option value="">${t("cart.choose")}</option>${options.map((o) => html`<option value=${o.value} disabled=${!o.p.available}>${o.label}${o.p.available ? "" : ` · ${t("errors.out_of_stock")}`}</option>`)}</select></label>
      <label>${t("orders.qty")}<input name="quantity" type="number" min="1" max="999" value="1" inputmode="numeric" /></label>
      ${products.some((p) => p.modifiers.length) ? html`<fieldset class="cart-mods"><legend>${t("cart.extras")}</legend>${products.map((p) => p.modifiers.map((m) => html`<label class="check" data-for-sku=${p.sku} hidden><input type="checkbox" name="mod" value=${m.key} /> ${m.name} (+${m.price})</label>`))}</fieldset>` : null}
      <p><button type="submit">${t("cart.add")}</button></p></form>
    ${
      cart.lines.length
        ? html`<form class="cart-details" id="cart-details">
        <label>${t("orders.delivery")}<select name="fulfilment"><option value="pickup" selected=${cart.fulfilment !== "delivery"}>${t("orders.fulfilment.pickup")}</option><option value="delivery" selected=${cart.fulfilment === "delivery"}>${t("orders.fulfilment.delivery")}</option></select></label>
        <label>${t("orders.address")}<input name="address" maxlength="500" value=${cart.address} /></label>
        ${cart.delivery ? html`<p class=${cart.deliveryServed ? "meta" : "warn-text"} id="cart-delivery">${cart.delivery}</p>` : null}
        <label>${t("orders.payment")}<select name="paymentMethod">${["cash", "transfer", "card", "link"].map((m) => html`<option value=${m}>${t(`orders.method.${m}`)}</option>`)}</select></label>
        <p><button type="submit" class="primary" id="cart-checkout">${t("cart.checkout")}</button></p></form>`
        : null
    }</section>`;
}
