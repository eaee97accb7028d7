// HTTP API of the catalog and orders and the calendar (what the AI agents' tools read and write).
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { Env } from "../app/http.ts";
import { readJson, query, formBody, formFiles } from "../app/http.ts";
import * as images from "./images.ts";
import type { Actor } from "../platform/context.ts";
import type { OpenApiRegistry } from "../integrations/openapi.ts";
import * as commerce from "./service.ts";
import * as orders from "./orders.ts";
import * as payments from "./payments.ts";
import * as promos from "./promotions.ts";
import * as delivery from "./delivery.ts";
import * as stores from "./stores.ts";
import * as priceListsSvc from "./price-lists.ts";
import { badRequest } from "../platform/errors.ts";
import { assertAdmin } from "../platform/context.ts";
import * as calendar from "../calendar/service.ts";

const actorOf = (c: Context<Env>) => c.get("actor") as Actor;

export function commerceRoutes(registry: OpenApiRegistry) {
  const app = new Hono<Env>();
  const doc = (
    method: string,
    path: string,
    tag: string,
    summary: string,
    extra: { body?: z.ZodType; query?: z.ZodType; multipart?: boolean } = {},
  ) => registry.add({ method, path: `/api/v1${path}`, tag, summary, ...extra });

  doc("GET", "/products", "Catalog", "The catalog (prices in minor units)");
  app.get("/products", async (c) => c.json({ data: await commerce.listProducts(c.get("ctx")) }));
  doc("POST", "/products", "Catalog", "Add a product", { body: commerce.productInput });
  app.post("/products", async (c) =>
    c.json(
      { data: await commerce.createProduct(c.get("ctx"), actorOf(c), await readJson(c, commerce.productInput)) },
      201,
    ),
  );
  doc("PATCH", "/products/:id", "Catalog", "Change a product (price, stock…)", { body: commerce.productPatch });
  app.patch("/products/:id", async (c) =>
    c.json({
      data: await commerce.updateProduct(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        await readJson(c, commerce.productPatch),
      ),
    }),
  );
  doc(
    "POST",
    "/products/:id/images",
    "Catalog",
    "Add pictures to a product (multipart: image, repeated; thumb, the same count, optional); at most 8",
    { multipart: true },
  );
  app.post("/products/:id/images", async (c) => {
    const form = await formBody(c, { all: true });
    const imgs = formFiles(form.image);
    const thumbs = formFiles(form.thumb);
    if (thumbs.length && thumbs.length !== imgs.length)
      throw badRequest("invalid_thumbnail", "Send one thumbnail per picture, or none", { field: "thumb" });
    const list = imgs.map((image, i) => ({ image, thumb: thumbs[i] ?? null }));
    return c.json({ data: await images.addProductImages(c.get("ctx"), actorOf(c), c.req.param("id"), list) }, 201);
  });
  doc("POST", "/products/:id/images/:fileId/main", "Catalog", "Make a picture the product's main one");
  app.post("/products/:id/images/:fileId/main", async (c) => {
    await images.changeProductImage(c.get("ctx"), actorOf(c), c.req.param("id"), c.req.param("fileId"), "main");
    return c.json({ data: { ok: true } });
  });
  doc("DELETE", "/products/:id/images/:fileId", "Catalog", "Take a picture off a product");
  app.delete("/products/:id/images/:fileId", async (c) => {
    await images.changeProductImage(c.get("ctx"), actorOf(c), c.req.param("id"), c.req.param("fileId"), "remove");
    return c.json({ data: { ok: true } });
  });
  doc("DELETE", "/products/:id", "Catalog", "Remove a product");
  app.delete("/products/:id", async (c) => {
    await commerce.deleteProduct(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });

  doc(
    "POST",
    "/products/import",
    "Catalog",
    "Import products from CSV (body text/csv: sku, name, price; optional stock, category, description, currency, active); a known SKU is updated; all or nothing",
  );
  app.post("/products/import", async (c) =>
    c.json({ data: await commerce.importProducts(c.get("ctx"), actorOf(c), await c.req.text()) }),
  );

  doc("GET", "/orders", "Orders", "Recent orders (filters: status, contactId)", { query: orders.orderFilters });
  app.get("/orders", async (c) =>
    c.json({ data: await commerce.listOrders(c.get("ctx"), actorOf(c), query(c, orders.orderFilters)) }),
  );
  doc("GET", "/orders/:id", "Orders", "An order with its history and the statuses it may move to");
  app.get("/orders/:id", async (c) =>
    c.json({ data: await commerce.getOrder(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc("POST", "/orders", "Orders", "Create an order priced from the catalog", { body: commerce.orderInput });
  app.post("/orders", async (c) =>
    c.json({ data: await commerce.createOrder(c.get("ctx"), actorOf(c), await readJson(c, commerce.orderInput)) }, 201),
  );
  doc("POST", "/orders/:id/status", "Orders", "Move an order to its next status (409 for a move it may not make)", {
    body: orders.statusInput,
  });
  app.post("/orders/:id/status", async (c) =>
    c.json({
      data: await commerce.setOrderStatus(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        await readJson(c, orders.statusInput),
      ),
    }),
  );
  doc("PATCH", "/orders/:id", "Orders", "Change an order's status (the same as POST /orders/:id/status)", {
    body: orders.statusInput,
  });
  app.patch("/orders/:id", async (c) =>
    c.json({
      data: await commerce.setOrderStatus(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        await readJson(c, orders.statusInput),
      ),
    }),
  );
  doc("POST", "/orders/:id/paid", "Orders", "Record an order as paid (cash or transfer confirmed by a person)", {
    body: orders.paymentInput,
  });
  app.post("/orders/:id/paid", async (c) =>
    c.json({
      data: await commerce.markPaid(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        await readJson(c, orders.paymentInput),
      ),
    }),
  );

  const linkBody = z.strictObject({
    provider: z.enum(["stripe", "mercadopago"]).optional(),
    send: z.boolean().default(true),
  });
  doc(
    "POST",
    "/orders/:id/payment-link",
    "Orders",
    "A payment link (Stripe or Mercado Pago) for the order, sent to the customer",
    {
      body: linkBody,
    },
  );
  app.post("/orders/:id/payment-link", async (c) =>
    c.json(
      {
        data: await payments.createPaymentLink(
          c.get("ctx"),
          actorOf(c),
          c.req.param("id"),
          await readJson(c, linkBody),
        ),
      },
      201,
    ),
  );
  doc("POST", "/orders/:id/shopify-checkout", "Orders", "Send the Shopify store's checkout link for the order");
  app.post("/orders/:id/shopify-checkout", async (c) =>
    c.json({ data: await stores.sendShopifyCheckout(c.get("ctx"), actorOf(c), c.req.param("id")) }, 201),
  );
  doc("GET", "/payment-settings", "Orders", "Payment providers (secrets shown as their last 4 characters)");
  app.get("/payment-settings", async (c) => {
    assertAdmin(actorOf(c));
    return c.json({ data: await payments.paymentSettingsView(c.get("ctx")) });
  });
  doc("PUT", "/payment-settings", "Orders", "Set the payment providers (an empty or masked secret stays as it was)", {
    body: payments.paymentSettings,
  });
  app.put("/payment-settings", async (c) =>
    c.json({
      data: await payments.savePaymentSettings(c.get("ctx"), actorOf(c), await c.req.json().catch(() => null)),
    }),
  );

  const conv = (c: Context<Env>) => c.req.param("conversationId") ?? "";
  doc("GET", "/conversations/:conversationId/cart", "Orders", "The conversation's cart, priced now");
  app.get("/conversations/:conversationId/cart", async (c) =>
    c.json({ data: await commerce.getCart(c.get("ctx"), actorOf(c), conv(c)) }),
  );
  doc("POST", "/conversations/:conversationId/cart/items", "Orders", "Add an item (variant, extras) to the cart", {
    body: orders.cartItemInput,
  });
  app.post("/conversations/:conversationId/cart/items", async (c) =>
    c.json({
      data: await commerce.addToCart(c.get("ctx"), actorOf(c), conv(c), await readJson(c, orders.cartItemInput)),
    }),
  );
  doc("PATCH", "/conversations/:conversationId/cart/items/:lineId", "Orders", "A cart line's quantity (0 removes it)", {
    body: orders.cartLinePatch,
  });
  app.patch("/conversations/:conversationId/cart/items/:lineId", async (c) =>
    c.json({
      data: await commerce.updateCartLine(
        c.get("ctx"),
        actorOf(c),
        conv(c),
        c.req.param("lineId"),
        await readJson(c, orders.cartLinePatch),
      ),
    }),
  );
  doc("PATCH", "/conversations/:conversationId/cart", "Orders", "Pickup or delivery, address, notes", {
    body: orders.cartDetailsInput,
  });
  app.patch("/conversations/:conversationId/cart", async (c) =>
    c.json({
      data: await commerce.setCartDetails(
        c.get("ctx"),
        actorOf(c),
        conv(c),
        await readJson(c, orders.cartDetailsInput),
      ),
    }),
  );
  const couponBody = z.strictObject({ code: z.string().max(40).nullable() });
  doc("POST", "/conversations/:conversationId/cart/coupon", "Orders", "Put a coupon on the cart (null takes it off)", {
    body: couponBody,
  });
  app.post("/conversations/:conversationId/cart/coupon", async (c) =>
    c.json({
      data: await orders.applyCoupon(c.get("ctx"), actorOf(c), conv(c), (await readJson(c, couponBody)).code),
    }),
  );
  doc("POST", "/conversations/:conversationId/checkout", "Orders", "The cart becomes an order (stock held)", {
    body: orders.checkoutInput,
  });
  app.post("/conversations/:conversationId/checkout", async (c) =>
    c.json(
      { data: await commerce.checkout(c.get("ctx"), actorOf(c), conv(c), await readJson(c, orders.checkoutInput)) },
      201,
    ),
  );

  doc("GET", "/store-settings", "Catalog", "Shopify and WooCommerce connections (secrets shown as their last 4)");
  app.get("/store-settings", async (c) => {
    assertAdmin(actorOf(c));
    return c.json({ data: await stores.storeSettingsView(c.get("ctx")) });
  });
  doc("PUT", "/store-settings", "Catalog", "Connect Shopify or WooCommerce (an empty or masked secret stays)", {
    body: stores.storeSettings,
  });
  app.put("/store-settings", async (c) =>
    c.json({
      data: await stores.saveStoreSettings(c.get("ctx"), actorOf(c), (await c.req.json().catch(() => ({}))) ?? {}),
    }),
  );
  doc("POST", "/stores/:kind/import", "Catalog", "Import every product of the connected store (shopify, woocommerce)");
  app.post("/stores/:kind/import", async (c) => {
    const kind = c.req.param("kind");
    if (kind !== "shopify" && kind !== "woocommerce")
      throw badRequest("unknown_store", "The store is shopify or woocommerce", { field: "kind" });
    return c.json({ data: await stores.importStore(c.get("ctx"), actorOf(c), kind) });
  });

  doc("GET", "/delivery-settings", "Orders", "The store's location, pickup and the delivery zones");
  app.get("/delivery-settings", async (c) => c.json({ data: await delivery.getDeliverySettings(c.get("ctx")) }));
  doc(
    "PUT",
    "/delivery-settings",
    "Orders",
    "Set the store, pickup and the delivery zones (radius, polygon, postal codes)",
    {
      body: delivery.deliverySettings,
    },
  );
  app.put("/delivery-settings", async (c) =>
    c.json({
      data: await delivery.saveDeliverySettings(c.get("ctx"), actorOf(c), await readJson(c, delivery.deliverySettings)),
    }),
  );

  doc(
    "GET",
    "/price-lists",
    "Catalog",
    "Price lists (other prices on some channels, for contacts with some tags or in saved segments)",
  );
  app.get("/price-lists", async (c) => c.json({ data: await priceListsSvc.listPriceLists(c.get("ctx")) }));
  doc("POST", "/price-lists", "Catalog", "Add a price list", { body: priceListsSvc.priceListInput });
  app.post("/price-lists", async (c) =>
    c.json(
      {
        data: await priceListsSvc.createPriceList(
          c.get("ctx"),
          actorOf(c),
          await readJson(c, priceListsSvc.priceListInput),
        ),
      },
      201,
    ),
  );
  doc("DELETE", "/price-lists/:id", "Catalog", "Remove a price list");
  app.delete("/price-lists/:id", async (c) => {
    await priceListsSvc.deletePriceList(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });

  doc("GET", "/promotions", "Catalog", "Promotions and coupons");
  app.get("/promotions", async (c) => c.json({ data: await promos.listPromotions(c.get("ctx")) }));
  doc("POST", "/promotions", "Catalog", "Add a promotion or a coupon", { body: promos.promotionInput });
  app.post("/promotions", async (c) =>
    c.json(
      { data: await promos.createPromotion(c.get("ctx"), actorOf(c), await readJson(c, promos.promotionInput)) },
      201,
    ),
  );
  const activeBody = z.strictObject({ active: z.boolean() });
  doc("PATCH", "/promotions/:id", "Catalog", "Turn a promotion on or off", { body: activeBody });
  app.patch("/promotions/:id", async (c) =>
    c.json({
      data: await promos.setPromotionActive(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        (await readJson(c, activeBody)).active,
      ),
    }),
  );
  doc("DELETE", "/promotions/:id", "Catalog", "Remove a promotion");
  app.delete("/promotions/:id", async (c) => {
    await promos.deletePromotion(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });

  doc("GET", "/product-categories", "Catalog", "The catalog's categories (a tree: parentId)");
  app.get("/product-categories", async (c) => c.json({ data: await commerce.listCategories(c.get("ctx")) }));
  doc("POST", "/product-categories", "Catalog", "Add a category", { body: commerce.categoryInput });
  app.post("/product-categories", async (c) =>
    c.json(
      { data: await commerce.createCategory(c.get("ctx"), actorOf(c), await readJson(c, commerce.categoryInput)) },
      201,
    ),
  );
  doc("PATCH", "/product-categories/:id", "Catalog", "Rename or move a category", { body: commerce.categoryPatch });
  app.patch("/product-categories/:id", async (c) =>
    c.json({
      data: await commerce.updateCategory(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        await readJson(c, commerce.categoryPatch),
      ),
    }),
  );
  doc("DELETE", "/product-categories/:id", "Catalog", "Remove a category (its products stay, uncategorised)");
  app.delete("/product-categories/:id", async (c) => {
    await commerce.deleteCategory(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });

  const dayQuery = z.object({ date: z.string() });
  doc("GET", "/calendar/slots", "Calendar", "Free appointment times of a day", { query: dayQuery });
  app.get("/calendar/slots", async (c) =>
    c.json({ data: await calendar.availableSlots(c.get("ctx"), query(c, dayQuery).date) }),
  );
  doc("GET", "/calendar/appointments", "Calendar", "Booked appointments");
  app.get("/calendar/appointments", async (c) =>
    c.json({ data: await calendar.listAppointments(c.get("ctx"), actorOf(c)) }),
  );
  doc("POST", "/calendar/appointments", "Calendar", "Book an appointment", { body: calendar.bookingInput });
  app.post("/calendar/appointments", async (c) =>
    c.json({ data: await calendar.book(c.get("ctx"), actorOf(c), await readJson(c, calendar.bookingInput)) }, 201),
  );
  doc("POST", "/calendar/appointments/:id/cancel", "Calendar", "Cancel an appointment (its time is free again)");
  app.post("/calendar/appointments/:id/cancel", async (c) =>
    c.json({ data: await calendar.cancelAppointment(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc("GET", "/calendar/settings", "Calendar", "Appointment length and services");
  app.get("/calendar/settings", async (c) => c.json({ data: await calendar.getCalendarSettings(c.get("ctx")) }));
  doc("PUT", "/calendar/settings", "Calendar", "Set the appointment length and services", {
    body: calendar.calendarSettings,
  });
  app.put("/calendar/settings", async (c) =>
    c.json({
      data: await calendar.saveCalendarSettings(c.get("ctx"), actorOf(c), await readJson(c, calendar.calendarSettings)),
    }),
  );
  return app;
}
