// Contact attribute definitions and saved segments (issue #12 item 6): a defined attribute is checked by its type
// (a number stored as one, a date, one of a list) and an undefined one passes as text; a segment keeps a search
// and filters by name, counts what it holds now, and the list reads it.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
const key = () => ({ authorization: `Bearer ${s.apiKey}` });
const api = async (method: string, path: string, json?: unknown, headers: Record<string, string> = key()) => {
  const r = await t.req(method, `/api/v1${path}`, { headers, json });
  return { status: r.status, body: await r.json() };
};
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
});
afterEach(() => t.close());

test("attributes follow their definitions; undefined ones pass as text; bad values are refused and change nothing", async () => {
  expect(
    (await api("POST", "/contact-fields", { key: "nivel", label: "Nivel", type: "list", options: ["Oro", "Plata"] }))
      .status,
  ).toBe(201);
  expect((await api("POST", "/contact-fields", { key: "compras", label: "Compras", type: "number" })).status).toBe(201);
  expect((await api("POST", "/contact-fields", { key: "cumple", label: "Cumpleaños", type: "date" })).status).toBe(201);
  expect((await api("POST", "/contact-fields", { key: "vacia", label: "Vacía", type: "list" })).body.error.code).toBe(
    "list_needs_options",
  );
  expect((await api("POST", "/contact-fields", { key: "Nivel X", label: "X", type: "text" })).status).toBe(400);
  const c = (
    await api("POST", "/contacts", {
      name: "Rosa",
      attributes: { nivel: "Oro", compras: "12", cumple: "1990-05-01", color: "azul" },
    })
  ).body.data;
  expect(c.attributes).toEqual({ nivel: "Oro", compras: 12, cumple: "1990-05-01", color: "azul" });
  for (const [attributes, field] of [
    [{ nivel: "Bronce" }, "Nivel"],
    [{ compras: "muchas" }, "Compras"],
    [{ cumple: "primero de mayo" }, "Cumpleaños"],
  ] as const) {
    const r = await api("PATCH", `/contacts/${c.id}`, { attributes });
    expect([r.status, r.body.error.code, r.body.error.details.field]).toEqual([400, "bad_attribute", field]);
  }
  expect((await api("GET", `/contacts/${c.id}`)).body.data.attributes).toEqual(c.attributes);
  // an agent defines nothing
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  expect((await api("POST", "/contact-fields", { key: "x", label: "X", type: "text" }, ana)).status).toBe(403);
});

test("a segment keeps a search and filters, counts them now, and the list reads it", async () => {
  for (const [name, ciudad] of [
    ["Rosa Puebla", "Puebla"],
    ["Luis Puebla", "Puebla"],
    ["Ana CDMX", "CDMX"],
  ])
    await api("POST", "/contacts", { name, attributes: { ciudad } });
  const g = await api("POST", "/contact-segments", { name: "Puebla", filters: { attribute: "ciudad=Puebla" } });
  expect(g.status).toBe(201);
  expect((await api("GET", `/contact-segments/${g.body.data.id}/count`)).body.data).toEqual({ count: 2 });
  const listed = (await api("GET", `/contacts?segment=${g.body.data.id}`)).body.data.map(
    (x: { name: string }) => x.name,
  );
  expect(listed.sort()).toEqual(["Luis Puebla", "Rosa Puebla"]);
  // a search within the segment, and the count follows new contacts
  expect(
    (await api("GET", `/contacts?segment=${g.body.data.id}&q=rosa`)).body.data.map((x: { name: string }) => x.name),
  ).toEqual(["Rosa Puebla"]);
  await api("POST", "/contacts", { name: "Eva Puebla", attributes: { ciudad: "Puebla" } });
  expect((await api("GET", `/contact-segments/${g.body.data.id}/count`)).body.data).toEqual({ count: 3 });
  // bad input: a filter the list does not have, a taken name
  expect((await api("POST", "/contact-segments", { name: "Mal", filters: { color: "azul" } })).status).toBe(400);
  expect((await api("POST", "/contact-segments", { name: "Puebla", filters: {} })).body.error.code).toBe(
    "segment_exists",
  );
  // an agent saves none
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  expect((await api("POST", "/contact-segments", { name: "Mío", filters: {} }, ana)).status).toBe(403);
  expect((await api("DELETE", `/contact-segments/${g.body.data.id}`)).status).toBe(200);
  expect((await api("GET", "/contact-segments")).body.data).toEqual([]);
});
