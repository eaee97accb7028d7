// The orders' console: the list (status filter, search by number, the way to the orders board), an order's page
// (its next step in one tap, paid, cancel or refund, its history) and the kitchen ticket to print.
import { and, eq, inArray } from "drizzle-orm";
import { formBody } from "../app/http.ts";
import { renderFragment, renderPage } from "../../ui/components/html.ts";
import { CartPanel } from "../../ui/pages/commerce/cart.ts";
import {
  type ConsoleModule,
  type C,
  user,
  T,
  csrf,
  str,
  page,
  errText,
  statusOf,
  settingsPage,
  act as settingsAct,
  refused,
  arr,
  publicUrl,
} from "../app/console.ts";
import { PaymentSettings } from "../../ui/pages/commerce/payments.ts";
import * as payments from "./payments.ts";
import { AppError } from "../platform/errors.ts";
import { assertAdmin, isAdmin } from "../platform/context.ts";
import { KitchenTicket, OrderPage, OrdersPage, type OrderView } from "../../ui/pages/commerce/orders.ts";
import { contacts } from "../inbox/schema.ts";
import { boards } from "../tickets/schema.ts";
import { createBoard, listBoards } from "../tickets/boards.ts";
import * as auth from "../auth/service.ts";
import * as orders from "./orders.ts";
import { categoryTree, formatMoney, listCategories, listProducts, priceField } from "./service.ts";
import * as promos from "./promotions.ts";
import * as delivery from "./delivery.ts";
import * as runs from "./runs.ts";
import * as stores from "./stores.ts";
import { StoreSettings } from "../../ui/pages/commerce/stores.ts";
import { CouriersCard, RunsPage } from "../../ui/pages/commerce/runs.ts";
import { html } from "../../ui/components/html.ts";
import { DeliverySettingsPage } from "../../ui/pages/commerce/delivery.ts";
import { PromotionSettings } from "../../ui/pages/commerce/promotions.ts";
import { OrderSettings } from "../../ui/pages/commerce/order-settings.ts";
import { approvedTemplates } from "../channels/whatsapp-cloud/service.ts";
import { getBusiness } from "../setup/service.ts";
import { zonedToUtc } from "../setup/business-time.ts";
import { ORDER_STATUSES, products, type OrderStatus } from "./schema.ts";

const OPEN: OrderStatus[] = ["new", "confirmed", "preparing", "ready", "on_the_way"];

export const ordersConsole: ConsoleModule = (app) => {
  const listPage = async (c: C, error?: string, status = 200) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const st = c.req.query("status") ?? "";
    const q = (c.req.query("q") ?? "").replace(/^#/, "").trim();
    let rows = q
      ? await orders.listOrders(ctx, u, { limit: 200 }).then((r) => r.filter((o) => o.number.includes(q)))
      : await orders.listOrders(ctx, u, {
          limit: 200,
          ...((ORDER_STATUSES as readonly string[]).includes(st) ? { status: st as OrderStatus } : {}),
        });
    if (!st && !q) rows = rows.filter((o) => OPEN.includes(o.status));
    // the customers' names, in one read
    const ids = [...new Set(rows.flatMap((o) => (o.contactId ? [o.contactId] : [])))];
    const names = new Map(
      ids.length
        ? (
            await ctx.db
              .select({ id: contacts.id, name: contacts.name })
              .from(contacts)
              .where(inArray(contacts.id, ids))
          ).map((x) => [x.id, x.name])
        : [],
    );
    const board = (await listBoards(ctx, u)).find((b) => b.kind === "orders");
    return page(
      c,
      T(c)("orders.title"),
      "orders",
      OrdersPage({
        t: T(c),
        csrf: csrf(c),
        locale: u.locale,
        status: st,
        q,
        boardHref: board ? `/boards/${board.id}` : null,
        canMakeBoard: isAdmin(u),
        error,
        rows: rows.map((o) => ({
          id: o.id,
          number: o.number,
          status: o.status,
          total: formatMoney(o.total, o.currency, u.locale),
          fulfilment: o.fulfilment,
          paymentStatus: o.paymentStatus,
          contactName: (o.contactId && names.get(o.contactId)) || null,
          items: o.items.reduce((n, i) => n + i.quantity, 0),
          createdAt: o.createdAt,
        })),
      }),
      status,
    );
  };
  app.get("/orders", (c) => listPage(c));

  // the conversation's cart in the contact panel (fetched when the conversation opens, and again on each change)
  app.get("/partials/cart/:id", async (c) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const cart = await orders.getCart(ctx, u, c.req.param("id"));
    const money = (m: number, cur = cart.currency) => formatMoney(m, cur, u.locale);
    const catalog = await listProducts(ctx);
    const orderedId = c.req.query("ordered");
    const last = orderedId
      ? await orders
          .getOrder(ctx, u, orderedId)
          .then((o) => (o.conversationId === cart.conversationId ? { id: o.id, number: o.number } : null))
          .catch(() => null)
      : null;
    return c.html(
      renderFragment(
        CartPanel({
          t: T(c),
          lastOrder: last,
          cart: {
            conversationId: cart.conversationId,
            subtotal: money(cart.subtotal),
            discounts: cart.discounts.map((d) => ({ name: d.name, amount: money(d.amount) })),
            total: money(cart.total),
            couponCode: cart.couponCode,
            delivery: cart.delivery
              ? cart.delivery.served
                ? T(c)("cart.deliveryServed", {
                    zone: cart.delivery.zone ?? "—",
                    fee: money(cart.delivery.fee),
                    minutes: String(cart.delivery.minutes ?? "—"),
                  })
                : T(c)(`cart.delivery.${cart.delivery.reason}`)
              : null,
            deliveryServed: cart.delivery?.served ?? null,
            fulfilment: cart.fulfilment,
            address: cart.address,
            lines: cart.lines.map((l) => ({
              id: l.id,
              name: l.name,
              variantName: l.variantName,
              modifierNames: l.modifierNames,
              quantity: l.quantity,
              total: money(l.total),
              problem: l.problem,
            })),
          },
          products: catalog
            .filter((p) => p.active)
            .map((p) => ({
              sku: p.sku,
              name: p.name,
              price: money(p.price, p.currency),
              variants: p.variants.map((v) => ({ key: v.key, name: v.name, price: money(v.price, p.currency) })),
              modifiers: p.modifiers.map((m) => ({ key: m.key, name: m.name, price: money(m.price, p.currency) })),
              available: p.variants.length
                ? p.variants.some((v) => v.stock === null || v.stock > 0)
                : p.stock === null || p.stock > 0,
            })),
        }),
      ),
    );
  });
  // the orders board: made once by an administrator (its columns are the order's statuses)
  app.post("/orders/board", async (c) => {
    const ctx = c.get("ctx");
    try {
      const have = await ctx.db
        .select({ id: boards.id })
        .from(boards)
        .where(and(eq(boards.kind, "orders")))
        .get();
      const b = have ?? (await createBoard(ctx, user(c), { name: T(c)("orders.title"), kind: "orders" }));
      return c.redirect(`/boards/${b.id}`);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      return listPage(c, errText(e, T(c)), statusOf(e, 400));
    }
  });

  const view = async (c: C, id: string): Promise<OrderView> => {
    const ctx = c.get("ctx");
    const u = user(c);
    const o = await orders.getOrder(ctx, u, id);
    const people = new Map((await auth.listUsers(ctx)).map((x) => [x.id, x.name]));
    const contact = o.contactId
      ? await ctx.db.select({ name: contacts.name }).from(contacts).where(eq(contacts.id, o.contactId)).get()
      : null;
    const pv = await payments.paymentSettingsView(ctx);
    const shop = (await stores.getStoreSettings(ctx)).shopify.shop;
    const fromShopify = new Set(
      (await ctx.db.select({ sku: products.sku, src: products.externalSource }).from(products))
        .filter((p) => p.src === "shopify")
        .map((p) => p.sku),
    );
    const links = await payments.linksOf(ctx, o.id);
    return {
      ...o,
      providers: [...(pv.stripe.configured ? ["stripe"] : []), ...(pv.mercadopago.configured ? ["mercadopago"] : [])],
      links: links.map((l) => ({ provider: l.provider, url: l.url, status: l.status })),
      shopifyCheckout: !!shop && o.items.length > 0 && o.items.every((i) => fromShopify.has(i.sku)),
      contactName: contact?.name ?? null,
      history: o.history.map((h) => ({
        at: h.at,
        kind: h.kind,
        data: h.data,
        by: h.actor?.type === "user" && h.actor.id ? (people.get(h.actor.id) ?? "—") : "DigyBot",
      })),
    };
  };
  const orderPage = async (c: C, id: string, msg: { flash?: string; error?: string } = {}, status = 200) => {
    const o = await view(c, id);
    const u = user(c);
    return page(
      c,
      T(c)("orders.number", { number: o.number }),
      "orders",
      OrderPage({
        t: T(c),
        csrf: csrf(c),
        locale: u.locale,
        o,
        money: (m) => formatMoney(m, o.currency, u.locale),
        ...msg,
      }),
      status,
    );
  };
  app.get("/orders/:id", (c) =>
    orderPage(c, c.req.param("id"), c.req.query("saved") ? { flash: T(c)("settings.saved") } : {}),
  );
  app.get("/orders/:id/ticket", async (c) => {
    const o = await view(c, c.req.param("id"));
    return c.html(renderPage(KitchenTicket({ t: T(c), o, locale: user(c).locale })));
  });
  /** A form on an order's page: done, back to the page saying so; refused, the page with the reason. */
  const act = (fn: (c: C, f: Record<string, unknown>, id: string) => Promise<unknown>) => async (c: C) => {
    const id = c.req.param("id")!;
    const f = await formBody(c);
    try {
      await fn(c, f, id);
      return c.redirect(`/orders/${id}?saved=1`);
    } catch (e) {
      if (!(e instanceof AppError) && !(e instanceof Error && e.name === "ZodError")) throw e;
      return orderPage(c, id, { error: errText(e, T(c)) }, statusOf(e, 400));
    }
  };
  app.post(
    "/orders/:id/status",
    act((c, f, id) => orders.setOrderStatus(c.get("ctx"), user(c), id, { status: str(f.status) as never })),
  );
  app.post(
    "/orders/:id/shopify-checkout",
    act((c, _f, id) => stores.sendShopifyCheckout(c.get("ctx"), user(c), id)),
  );
  app.post(
    "/orders/:id/payment-link",
    act((c, f, id) =>
      payments.createPaymentLink(c.get("ctx"), user(c), id, {
        provider: (str(f.provider) || undefined) as never,
        send: true,
      }),
    ),
  );

  // Settings → Pedidos
  const orderSettingsView = async (c: C) => {
    const ctx = c.get("ctx");
    return OrderSettings({
      t: T(c),
      csrf: csrf(c),
      v: await orders.getCommerceSettings(ctx),
      // {{1}} the number, {{2}} the status, and no image or document header (a notice carries no file)
      templates: (await approvedTemplates(ctx))
        .filter((x) => x.params === 2 && !x.header)
        .map((x) => ({ name: x.name, language: x.language })),
    });
  };
  app.get("/settings/orders", async (c) => settingsPage(c, "orders", await orderSettingsView(c)));
  app.post(
    "/settings/orders",
    settingsAct("orders", orderSettingsView, (c, f) => {
      const [name, language] = str(f.statusTemplate).split("|");
      return orders.saveCommerceSettings(c.get("ctx"), user(c), {
        holdMinutes: Number(str(f.holdMinutes)),
        abandonedMinutes: Number(str(f.abandonedMinutes)),
        notifyCustomer: str(f.notifyCustomer) === "1",
        statusTemplate: name && language ? { name, language } : null,
      });
    }),
  );

  // Settings → Promociones
  const promoView = async (c: C) => {
    const ctx = c.get("ctx");
    const t = T(c);
    const u = user(c);
    const all = await promos.listPromotions(ctx);
    const catalog = await listProducts(ctx);
    const tree = categoryTree(await listCategories(ctx));
    const money = (m: number) => formatMoney(m, catalog[0]?.currency ?? "MXN", u.locale);
    const summary = (p: (typeof all)[number]) => {
      const what =
        p.scope === "cart"
          ? t("promos.scope.cart")
          : p.scope === "product"
            ? (catalog.find((x) => x.sku === p.sku)?.name ?? p.sku ?? "")
            : (tree.find((x) => x.id === p.categoryId)?.path ?? "");
      const how =
        p.kind === "percent"
          ? t("promos.sum.percent", { n: String(p.value) })
          : p.kind === "amount"
            ? t("promos.sum.amount", { amount: money(p.value) })
            : t("promos.sum.bxgy", { buy: String(p.buyQuantity), get: String(p.getQuantity) });
      const hours = p.hours ? ` · ${p.hours.from}–${p.hours.to}` : "";
      return `${how} · ${what}${hours}`;
    };
    return PromotionSettings({
      t,
      csrf: csrf(c),
      rows: all.map((p) => ({ ...p, summary: summary(p) })),
      products: catalog.map((p) => ({ sku: p.sku, name: p.name })),
      categories: tree.map((x) => ({ id: x.id, path: x.path })),
    });
  };
  app.get("/settings/promotions", async (c) => settingsPage(c, "promotions", await promoView(c)));
  app.post(
    "/settings/promotions",
    settingsAct("promotions", promoView, async (c, f) => {
      const ctx = c.get("ctx");
      const tz = (await getBusiness(ctx))?.timezone ?? "America/Mexico_City";
      const kind = str(f.kind);
      const money = (v: unknown, field: string) => priceField(str(v), field, 0);
      const day = (v: unknown, end: boolean) => {
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(str(v));
        return m ? zonedToUtc(tz, Number(m[1]), Number(m[2]), Number(m[3]) + (end ? 1 : 0), 0, 0) : null;
      };
      const int = (v: unknown) => (str(v).trim() ? Number(str(v)) : null);
      return promos.createPromotion(ctx, user(c), {
        name: str(f.name),
        kind: kind as never,
        value: kind === "amount" ? money(f.value, "value") : kind === "percent" ? Number(str(f.value) || 0) : 0,
        scope: str(f.scope) as never,
        sku: str(f.sku) || null,
        categoryId: str(f.categoryId) || null,
        buyQuantity: int(f.buyQuantity),
        getQuantity: int(f.getQuantity),
        code: str(f.code).trim() || null,
        minSubtotal: money(f.minSubtotal, "minSubtotal"),
        startsAt: day(f.startsOn, false),
        endsAt: day(f.endsOn, true),
        hours: str(f.from) && str(f.to) ? { days: [], from: str(f.from), to: str(f.to) } : null,
        maxUses: int(f.maxUses),
      });
    }),
  );
  app.post(
    "/settings/promotions/:id/active",
    settingsAct("promotions", promoView, (c, f) =>
      promos.setPromotionActive(c.get("ctx"), user(c), c.req.param("id")!, str(f.active) === "1"),
    ),
  );
  app.post(
    "/settings/promotions/:id/delete",
    settingsAct("promotions", promoView, (c) => promos.deletePromotion(c.get("ctx"), user(c), c.req.param("id")!)),
  );

  // Settings → Entregas
  const deliveryView = async (c: C) => {
    const ctx = c.get("ctx");
    const t = T(c);
    const d = await delivery.getDeliverySettings(ctx);
    const cur = (await listProducts(ctx))[0]?.currency ?? "MXN";
    const money = (m: number) => formatMoney(m, cur, user(c).locale);
    const cs = await runs.listCouriers(ctx);
    const linkToken = c.req.query("link");
    const linkFor = c.req.query("for");
    const base = publicUrl(c);
    const page2 = DeliverySettingsPage({
      t,
      csrf: csrf(c),
      store: d.store,
      pickup: d.pickup,
      delivery: d.delivery,
      zones: d.zones.map((z) => ({
        id: z.id,
        name: z.name,
        kind: z.kind,
        fee: money(z.fee),
        minOrder: money(z.minOrder),
        minutes: z.minutes,
        summary:
          z.kind === "radius"
            ? t("delivery.sum.radius", { km: String(z.radiusKm) })
            : z.kind === "polygon"
              ? t("delivery.sum.polygon", { n: String(z.polygon.length) })
              : [...z.postalCodes, ...z.colonias].join(", "),
      })),
    });
    return html`${page2}${CouriersCard({
      t,
      csrf: csrf(c),
      couriers: cs.filter((x) => x.active).map((x) => ({ id: x.id, name: x.name, phone: x.phone })),
      newLink:
        linkToken && /^[\w-]{20,64}$/.test(linkToken)
          ? { name: cs.find((x) => x.id === linkFor)?.name ?? "", url: `${base}/courier/${linkToken}` }
          : null,
    })}`;
  };
  const numberOf = (v: unknown, field: string) => {
    const x = str(v).trim().replace(",", ".");
    if (!/^-?\d+(\.\d+)?$/.test(x)) throw new AppError(400, "invalid_number", "Not a number", { field, value: str(v) });
    return Number(x);
  };
  const moneyOf = (v: unknown, field: string) => priceField(str(v), field, 0);
  const list = (v: unknown) =>
    str(v)
      .split(/[,;\n]/)
      .map((x) => x.trim())
      .filter(Boolean);
  app.get("/settings/delivery", async (c) => settingsPage(c, "delivery", await deliveryView(c)));
  app.post(
    "/settings/delivery",
    settingsAct("delivery", deliveryView, async (c, f) => {
      const ctx = c.get("ctx");
      const d = await delivery.getDeliverySettings(ctx);
      const store =
        str(f.lat).trim() || str(f.lng).trim() ? { lat: numberOf(f.lat, "lat"), lng: numberOf(f.lng, "lng") } : null;
      return delivery.saveDeliverySettings(ctx, user(c), {
        ...d,
        store,
        pickup: str(f.pickup) === "1",
        delivery: str(f.delivery) === "1",
      });
    }),
  );
  app.post(
    "/settings/delivery/zones",
    settingsAct("delivery", deliveryView, async (c, f) => {
      const ctx = c.get("ctx");
      const d = await delivery.getDeliverySettings(ctx);
      const kind = str(f.kind) as "radius" | "polygon" | "areas";
      const polygon =
        kind === "polygon"
          ? str(f.polygon)
              .split("\n")
              .map((l) => l.trim())
              .filter(Boolean)
              .map((l, i) => {
                const [lat, lng] = l.split(/[,\s]+/).filter(Boolean);
                return { lat: numberOf(lat, `polygon ${i + 1}`), lng: numberOf(lng, `polygon ${i + 1}`) };
              })
          : [];
      return delivery.saveDeliverySettings(ctx, user(c), {
        ...d,
        zones: [
          ...d.zones,
          {
            name: str(f.name),
            kind,
            radiusKm: kind === "radius" ? numberOf(f.radiusKm, "radiusKm") : null,
            polygon,
            postalCodes: kind === "areas" ? list(f.postalCodes) : [],
            colonias: kind === "areas" ? list(f.colonias) : [],
            fee: moneyOf(f.fee, "fee"),
            minOrder: moneyOf(f.minOrder, "minOrder"),
            minutes: Number(str(f.minutes) || 45),
          },
        ],
      });
    }),
  );
  app.post(
    "/settings/delivery/zones/:id/delete",
    settingsAct("delivery", deliveryView, async (c) => {
      const ctx = c.get("ctx");
      const d = await delivery.getDeliverySettings(ctx);
      const id = c.req.param("id");
      if (!d.zones.some((z) => z.id === id)) throw new AppError(404, "not_found", "Zone not found");
      return delivery.saveDeliverySettings(ctx, user(c), { ...d, zones: d.zones.filter((z) => z.id !== id) });
    }),
  );

  // couriers: the private link is shown once, right after it is made
  app.post("/settings/delivery/couriers", async (c) => {
    const f = await formBody(c);
    try {
      const r = await runs.createCourier(c.get("ctx"), user(c), { name: str(f.name), phone: str(f.phone) });
      return c.redirect(`/settings/delivery?saved=1&for=${r.courier.id}&link=${r.token}`);
    } catch (e) {
      return refused(c, "delivery", deliveryView, e);
    }
  });
  app.post("/settings/delivery/couriers/:id/link", async (c) => {
    try {
      const r = await runs.rotateCourierLink(c.get("ctx"), user(c), c.req.param("id"));
      return c.redirect(`/settings/delivery?saved=1&for=${c.req.param("id")}&link=${r.token}`);
    } catch (e) {
      return refused(c, "delivery", deliveryView, e);
    }
  });

  // delivery runs: ready delivery orders given to a courier, in the order the route plan gives
  const runsPage = async (c: C, msg: { error?: string; flash?: string } = {}, status = 200) => {
    const ctx = c.get("ctx");
    const u = user(c);
    // runs name every courier and stop: the people who plan them (administrators) see them
    assertAdmin(u);
    const all = await orders.listOrders(ctx, u, { limit: 500 });
    const ready = all.filter(
      (o) => o.fulfilment === "delivery" && !o.runId && ["confirmed", "preparing", "ready"].includes(o.status),
    );
    const cs = await runs.listCouriers(ctx);
    const byOrder = new Map(all.map((o) => [o.id, o.number]));
    const rs = (await runs.listRuns(ctx)).filter(
      (r) => r.status !== "done" || ctx.clock.now() - r.createdAt < 86_400_000,
    );
    return page(
      c,
      T(c)("runs.title"),
      "orders",
      RunsPage({
        t: T(c),
        csrf: csrf(c),
        locale: u.locale,
        hasStore: !!(await delivery.getDeliverySettings(ctx)).store,
        ready: ready.map((o) => ({ id: o.id, number: o.number, address: o.address, hasPin: !!o.location })),
        couriers: cs.filter((x) => x.active).map((x) => ({ id: x.id, name: x.name })),
        runs: rs.reverse().map((r) => ({
          id: r.id,
          courier: cs.find((x) => x.id === r.courierId)?.name ?? "—",
          status: r.status,
          totalMinutes: r.totalMinutes,
          createdAt: r.createdAt,
          stops: r.stops.map((s) => ({
            number: byOrder.get(s.orderId) ?? "?",
            etaMinutes: s.etaMinutes,
            delivered: !!s.deliveredAt,
          })),
        })),
        ...msg,
      }),
      status,
    );
  };
  app.get("/deliveries", (c) => runsPage(c, c.req.query("saved") ? { flash: T(c)("settings.saved") } : {}));
  app.post("/deliveries", async (c) => {
    const f = await formBody(c, { all: true });
    try {
      await runs.planRun(c.get("ctx"), user(c), { courierId: str(f.courierId), orderIds: arr(f.orderId) });
      return c.redirect("/deliveries?saved=1");
    } catch (e) {
      if (!(e instanceof AppError) && !(e instanceof Error && e.name === "ZodError")) throw e;
      return runsPage(c, { error: errText(e, T(c)) }, statusOf(e, 400));
    }
  });

  // Settings → Tiendas
  const storesView = async (c: C) => {
    const q = /^(\d+)-(\d+)$/.exec(c.req.query("imported") ?? "");
    return StoreSettings({
      t: T(c),
      csrf: csrf(c),
      v: await stores.storeSettingsView(c.get("ctx")),
      base: publicUrl(c),
      imported: q ? T(c)("catalog.imported", { created: q[1], updated: q[2] }) : undefined,
    });
  };
  app.get("/settings/stores", async (c) => settingsPage(c, "stores", await storesView(c)));
  app.post(
    "/settings/stores",
    settingsAct("stores", storesView, (c, f) => {
      const kind = str(f.kind);
      const fields =
        kind === "shopify"
          ? {
              shop: str(f.shop).trim().toLowerCase(),
              accessToken: str(f.accessToken),
              webhookSecret: str(f.webhookSecret),
              apiUrl: str(f.apiUrl).trim(),
            }
          : {
              url: str(f.url).trim(),
              consumerKey: str(f.consumerKey),
              consumerSecret: str(f.consumerSecret),
              webhookSecret: str(f.webhookSecret),
            };
      return stores.saveStoreSettings(c.get("ctx"), user(c), {
        [kind === "shopify" ? "shopify" : "woocommerce"]: fields,
      });
    }),
  );
  app.post("/settings/stores/:kind/import", async (c) => {
    const kind = c.req.param("kind") === "shopify" ? "shopify" : "woocommerce";
    try {
      const r = await stores.importStore(c.get("ctx"), user(c), kind);
      return c.redirect(`/settings/stores?imported=${r.created}-${r.updated}`);
    } catch (e) {
      return refused(c, "stores", storesView, e);
    }
  });

  // Settings → Pagos
  const paymentsView = async (c: C) =>
    PaymentSettings({
      t: T(c),
      csrf: csrf(c),
      v: await payments.paymentSettingsView(c.get("ctx")),
      base: publicUrl(c),
    });
  app.get("/settings/payments", async (c) => settingsPage(c, "payments", await paymentsView(c)));
  app.post(
    "/settings/payments",
    settingsAct("payments", paymentsView, (c, f) => {
      const p = str(f.provider);
      const ctx = c.get("ctx");
      if (p === "transfer")
        return payments.savePaymentSettings(ctx, user(c), { transferInstructions: str(f.transferInstructions) });
      const fields =
        p === "stripe"
          ? { secretKey: str(f.secretKey), webhookSecret: str(f.webhookSecret), apiUrl: str(f.apiUrl) || undefined }
          : {
              accessToken: str(f.accessToken),
              webhookSecret: str(f.webhookSecret),
              apiUrl: str(f.apiUrl) || undefined,
            };
      return payments.savePaymentSettings(ctx, user(c), { [p === "stripe" ? "stripe" : "mercadopago"]: fields });
    }),
  );
  app.post(
    "/orders/:id/paid",
    act((c, _f, id) => orders.markPaid(c.get("ctx"), user(c), id, {})),
  );
};
