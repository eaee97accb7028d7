// HTTP API of the catalog and orders and the calendar (what the AI agents' tools read and write).
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { Env } from "../app/http.ts";
import { readJson, query } from "../app/http.ts";
import type { Actor } from "../platform/context.ts";
import type { OpenApiRegistry } from "../integrations/openapi.ts";
import * as commerce from "./service.ts";
import * as calendar from "../calendar/service.ts";

const actorOf = (c: Context<Env>) => c.get("actor") as Actor;

export function commerceRoutes(registry: OpenApiRegistry) {
  const app = new Hono<Env>();
  const doc = (
    method: string,
    path: string,
    tag: string,
    summary: string,
    extra: { body?: z.ZodType; query?: z.ZodType } = {},
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

  doc("GET", "/orders", "Orders", "Recent orders");
  app.get("/orders", async (c) => c.json({ data: await commerce.listOrders(c.get("ctx"), actorOf(c)) }));
  doc("POST", "/orders", "Orders", "Create an order priced from the catalog", { body: commerce.orderInput });
  app.post("/orders", async (c) =>
    c.json({ data: await commerce.createOrder(c.get("ctx"), actorOf(c), await readJson(c, commerce.orderInput)) }, 201),
  );
  const statusBody = z.strictObject({
    status: z.enum(["pending", "confirmed", "preparing", "shipped", "delivered", "cancelled"]),
  });
  doc("PATCH", "/orders/:id", "Orders", "Change an order's status", { body: statusBody });
  app.patch("/orders/:id", async (c) =>
    c.json({
      data: await commerce.setOrderStatus(
        c.get("ctx"),
        actorOf(c),
        c.req.param("id"),
        (await readJson(c, statusBody)).status,
      ),
    }),
  );

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
