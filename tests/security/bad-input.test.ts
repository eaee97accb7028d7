// Bad input found by the outside test: each is a 4xx with the error model and changes nothing.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { createHmac } from "node:crypto";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { count } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { files } from "../../src/platform/schema.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
const auth = () => ({ authorization: `Bearer ${s.apiKey}` });
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
});
afterEach(() => t.close());

test("a PATCH of a user's departments only, a taken department name, an unknown department", async () => {
  const only = await t.req("PATCH", `/api/v1/users/${s.ana.id}`, {
    headers: auth(),
    json: { departmentIds: [s.ventas.id, s.soporte.id] },
  });
  expect(only.status).toBe(200);
  const users = (await (await t.req("GET", "/api/v1/users", { headers: auth() })).json()).data;
  expect(users.find((u: { id: string }) => u.id === s.ana.id).departmentIds.sort()).toEqual(
    [s.ventas.id, s.soporte.id].sort(),
  );
  const taken = await t.req("PATCH", `/api/v1/departments/${s.ventas.id}`, {
    headers: auth(),
    json: { name: "Soporte" },
  });
  expect(taken.status).toBe(409);
  expect((await taken.json()).error.code).toBe("department_exists");
  const unknown = await t.req("PATCH", `/api/v1/users/${s.ana.id}`, {
    headers: auth(),
    json: { departmentIds: ["no-such-department"] },
  });
  expect(unknown.status).toBe(400);
  const ch = await t.req("POST", "/api/v1/channels", {
    headers: auth(),
    json: { type: "api", name: "X", departmentId: "no-such-department", config: {} },
  });
  expect(ch.status).toBe(400);
});

test("a signed but malformed Cloud API webhook is a 400 and stores nothing", async () => {
  await t.req("POST", "/api/v1/channels", {
    headers: auth(),
    json: {
      type: "whatsapp_cloud",
      name: "WA",
      config: { phoneNumberId: "555", accessToken: "tok", appSecret: "sekret", verifyToken: "verify-token-1" },
    },
  });
  const send = (body: string) =>
    t.app.request("/webhooks/whatsapp-cloud", {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-hub-signature-256": `sha256=${createHmac("sha256", "sekret").update(body).digest("hex")}`,
      },
    });
  for (const body of [
    JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          changes: [
            {
              field: "messages",
              value: {
                metadata: { phone_number_id: "555" },
                contacts: "nope",
                messages: [{ from: "5215512345678", id: "wamid.1", type: "text", text: { body: "hola" } }],
              },
            },
          ],
        },
      ],
    }),
    JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          changes: [
            { field: "messages", value: { metadata: { phone_number_id: "555" }, messages: { not: "an array" } } },
          ],
        },
      ],
    }),
    JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          changes: [
            {
              field: "messages",
              value: {
                metadata: { phone_number_id: "555" },
                messages: [{ from: "", id: "", type: "text", text: { body: 5 } }],
              },
            },
          ],
        },
      ],
    }),
  ]) {
    const r = await send(body);
    expect(r.status).toBe(400);
    expect((await r.json()).error.code).toBe("invalid_payload");
  }
});

test("a knowledge document that cannot be read leaves no file behind", async () => {
  const fd = new FormData();
  fd.append("file", new File(["esto no es un pdf"], "roto.pdf", { type: "application/pdf" }));
  const r = await t.req("POST", "/api/v1/knowledge/files", { headers: auth(), body: fd });
  expect(r.status).toBe(422);
  expect((await t.ctx.db.select({ n: count() }).from(files).get())!.n).toBe(0);
  const dir = join(t.dir, "files");
  const left = existsSync(dir)
    ? (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[]).filter((d) =>
        d.isFile(),
      )
    : [];
  expect(left).toEqual([]);
});

test("tickets, orders and appointments: references are checked to exist and ids and fields are capped", async () => {
  const long = "x".repeat(5000);
  await t.req("POST", "/api/v1/products", { headers: auth(), json: { sku: "P1", name: "Pizza", price: 15000 } });
  const cases: [string, unknown, number, string][] = [
    ["/api/v1/tickets", { subject: "No llega mi pedido", contactId: long }, 400, "contactId"],
    ["/api/v1/tickets", { subject: "No llega mi pedido", conversationId: long }, 400, "conversationId"],
    ["/api/v1/tickets", { subject: "No llega mi pedido", departmentId: long }, 400, "departmentId"],
    ["/api/v1/tickets", { subject: "No llega mi pedido", departmentId: "no-such-dept" }, 400, "departmentId"],
    ["/api/v1/tickets", { subject: "No llega mi pedido", conversationId: "no-such-conv" }, 400, "conversationId"],
    ["/api/v1/tickets", { subject: long }, 400, "subject"],
    ["/api/v1/orders", { contactId: long, items: [{ sku: "P1", quantity: 1 }] }, 400, "contactId"],
    ["/api/v1/orders", { contactId: "no-such-contact", items: [{ sku: "P1", quantity: 1 }] }, 400, "contactId"],
    ["/api/v1/orders", { items: [{ sku: long, quantity: 1 }] }, 400, "items"],
    ["/api/v1/orders", { number: long, items: [{ sku: "P1", quantity: 1 }] }, 400, "number"],
    ["/api/v1/orders", { notes: long, items: [{ sku: "P1", quantity: 1 }] }, 400, "notes"],
    [
      "/api/v1/calendar/appointments",
      { date: "2030-01-07", time: "10:00", conversationId: long },
      400,
      "conversationId",
    ],
  ];
  for (const [path, json, status, field] of cases) {
    const r = await t.req("POST", path, { headers: auth(), json });
    const text = await r.text();
    expect(`${path} ${field} ${r.status}`).toBe(`${path} ${field} ${status}`);
    expect(text).toContain(field);
  }
  expect((await (await t.req("GET", "/api/v1/tickets", { headers: auth() })).json()).data).toEqual([]);
  expect((await (await t.req("GET", "/api/v1/orders", { headers: auth() })).json()).data).toEqual([]);
  // list filters and cursors are capped the same way
  expect((await t.req("GET", `/api/v1/conversations?departmentId=${long}`, { headers: auth() })).status).toBe(400);
});
