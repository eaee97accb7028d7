// The catalog the agents quote from, filled by the owner: prices as people write them, a spreadsheet's CSV imported
// all or nothing (the bad line named), and the calendar's settings and cancellations through the API.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { parsePrice, listProducts, searchProducts } from "../../src/commerce/service.ts";
import { availableSlots } from "../../src/calendar/service.ts";
import { defaultHours } from "../../src/setup/service.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
const now = Date.UTC(2026, 10, 30, 16, 10); // Monday 10:10 in Mexico City
const api = () => ({ authorization: `Bearer ${s.apiKey}` });
beforeEach(async () => {
  t = await makeTestApp({}, { clock: { now: () => now } });
  s = await seedBusiness(t.ctx, { hours: defaultHours() });
});
afterEach(() => t.close());

const importCsv = (csv: string) =>
  t.req("POST", "/api/v1/products/import", { headers: { ...api(), "content-type": "text/csv" }, body: csv });

test("prices as people write them become minor units; what is not a price is refused", () => {
  const cases: [string, number | null][] = [
    ["189", 18900],
    ["189.50", 18950],
    ["$1,250.00", 125000],
    ["1.250,50", 125050],
    ["12,5", 1250],
    ["1.250", 125000],
    ["$ 45 MXN", 4500],
    ["0.99", 99],
    ["1,234,567.89", 123456789],
    ["abc", null],
    ["", null],
    ["-5", null],
    ["1.2.3", null],
    ["12.345", 1234500],
    ["3.999,9", 399990],
    ["10.123,456", null],
  ];
  for (const [raw, want] of cases) expect([raw, parsePrice(raw)]).toEqual([raw, want]);
});

test("a spreadsheet's CSV (Spanish headers, ';' and quotes, a BOM) adds new SKUs and updates known ones", async () => {
  await t.req("POST", "/api/v1/products", {
    headers: api(),
    json: { sku: "TAC-PAS", name: "Taco al pastor", price: 2000, stock: 10 },
  });
  const csv =
    '\uFEFFSKU;Nombre;Precio;Existencias;Categoría;Descripción\r\nTAC-PAS;Taco al pastor;$25.00;40;Tacos;"Con piña; cebolla y cilantro"\r\nGRI;Gringa;65;;Especialidades;\r\nHOR;Agua de horchata;"30,00";12;Bebidas;Vaso de 1 litro\r\n';
  const r = await importCsv(csv);
  expect(r.status).toBe(200);
  expect((await r.json()).data).toEqual({ created: 2, updated: 1 });
  const all = await listProducts(t.ctx);
  expect(all.map((p) => [p.sku, p.name, p.price, p.stock, p.category])).toEqual([
    ["HOR", "Agua de horchata", 3000, 12, "Bebidas"],
    ["GRI", "Gringa", 6500, null, "Especialidades"],
    ["TAC-PAS", "Taco al pastor", 2500, 40, "Tacos"],
  ]);
  expect(all.find((p) => p.sku === "TAC-PAS")!.description).toBe("Con piña; cebolla y cilantro");
  // the agent's search finds what was imported, with the new price
  expect((await searchProducts(t.ctx, "horchata"))[0]).toMatchObject({ sku: "HOR", price: 3000 });
  // accents and case as a customer types them, either way round; the name outranks the description
  expect((await searchProducts(t.ctx, "PIÑA")).map((p) => p.sku)).toEqual(["TAC-PAS"]);
  expect((await searchProducts(t.ctx, "pina")).map((p) => p.sku)).toEqual(["TAC-PAS"]);
  expect((await searchProducts(t.ctx, "categoria especialidades")).map((p) => p.sku)).toEqual(["GRI"]);
  expect((await searchProducts(t.ctx, "un vaso de horchata")).map((p) => p.sku)).toEqual(["HOR"]);
  expect(await searchProducts(t.ctx, "sushi")).toEqual([]);
});

test("a bad line is named (line, column, value) and nothing is imported; missing columns and repeated SKUs too", async () => {
  const bad = async (csv: string, code: string, details: Record<string, unknown>) => {
    const r = await importCsv(csv);
    expect(r.status).toBe(400);
    const e = (await r.json()).error;
    expect(e.code).toBe(code);
    expect(e.details ?? {}).toMatchObject(details);
    return e.message as string;
  };
  expect(
    await bad("sku,name,price,stock\nA,Uno,10,1\nB,Dos,diez,2\n", "invalid_csv", {
      line: 3,
      column: "price",
      value: "diez",
    }),
  ).toBe('Line 3, price: "diez" is not a price');
  await bad("sku,name,price,stock\nA,Uno,10,1\nB,Dos,20,muchos\n", "invalid_csv", {
    line: 3,
    column: "stock",
    value: "muchos",
  });
  await bad("sku,name,price\nA,,10\n", "invalid_csv", { line: 2, column: "name" });
  await bad("sku,nombre\nA,Uno\n", "csv_missing_columns", { missing: ["price"] });
  await bad("sku,name,price\nA,Uno,10\nA,Otra vez,20\n", "csv_duplicate_sku", { line: 3, sku: "A" });
  await bad("", "csv_empty", {});
  expect(await listProducts(t.ctx)).toHaveLength(0);
  // an agent (person) may not change the catalog
  const { sessionHeaders } = await import("../support/app.ts");
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const r = await t.req("POST", "/api/v1/products/import", {
    headers: { ...ana, "content-type": "text/csv" },
    body: "sku,name,price\nA,Uno,10\n",
  });
  expect(r.status).toBe(403);
});

test("calendar settings: the appointment length shapes the free times, services are checked; a cancelled time is free again", async () => {
  const put = await t.req("PUT", "/api/v1/calendar/settings", {
    headers: api(),
    json: { slotMinutes: 60, services: ["Limpieza dental", "Consulta general"] },
  });
  expect(put.status).toBe(200);
  expect((await (await t.req("GET", "/api/v1/calendar/settings", { headers: api() })).json()).data).toEqual({
    slotMinutes: 60,
    services: ["Limpieza dental", "Consulta general"],
  });
  expect((await availableSlots(t.ctx, "2026-12-01")).slots).toEqual([
    "09:00",
    "10:00",
    "11:00",
    "12:00",
    "13:00",
    "14:00",
    "15:00",
    "16:00",
    "17:00",
  ]);
  const wrong = await t.req("POST", "/api/v1/calendar/appointments", {
    headers: api(),
    json: { date: "2026-12-01", time: "10:00", service: "Blanqueamiento" },
  });
  expect(wrong.status).toBe(400);
  expect((await wrong.json()).error).toMatchObject({
    code: "unknown_service",
    details: { services: ["Limpieza dental", "Consulta general"] },
  });
  const ok = await t.req("POST", "/api/v1/calendar/appointments", {
    headers: api(),
    json: { date: "2026-12-01", time: "10:00", service: "limpieza DENTAL" },
  });
  expect(ok.status).toBe(201);
  const appt = (await ok.json()).data;
  expect(appt).toMatchObject({ service: "Limpieza dental", endsAt: appt.startsAt + 3_600_000 });
  expect((await availableSlots(t.ctx, "2026-12-01")).slots).not.toContain("10:00");
  const bad = await t.req("PUT", "/api/v1/calendar/settings", {
    headers: api(),
    json: { slotMinutes: 2, extra: true },
  });
  expect(bad.status).toBe(400);
  const c = await t.req("POST", `/api/v1/calendar/appointments/${appt.id}/cancel`, { headers: api() });
  expect((await c.json()).data.status).toBe("cancelled");
  expect((await availableSlots(t.ctx, "2026-12-01")).slots).toContain("10:00");
  expect((await t.req("POST", "/api/v1/calendar/appointments/nope/cancel", { headers: api() })).status).toBe(404);
});

test("a large catalog (3,000 products, ~0.4 MB) imports from the console's upload form", async () => {
  const { sessionHeaders } = await import("../support/app.ts");
  const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  const lines = ["sku,nombre,precio,existencias,descripción"];
  for (let i = 0; i < 3000; i++)
    lines.push(
      `SKU-${i},Producto número ${i} de la tienda,${(i % 500) + 10}.50,${i % 40},"Descripción larga del producto ${i}: material, tamaño, color y cuidados para que dure muchos años en casa"`,
    );
  const csv = lines.join("\n");
  expect(csv.length).toBeGreaterThan(300 * 1024);
  const form = new FormData();
  form.set("_csrf", admin["x-csrf-token"]);
  form.set("file", new File([csv], "catalogo.csv", { type: "text/csv" }));
  const r = await t.app.request("/settings/catalog/import", {
    method: "POST",
    headers: { cookie: admin.cookie, "x-csrf-token": admin["x-csrf-token"] },
    body: form,
  });
  expect([r.status, r.headers.get("location")]).toEqual([302, "/settings/catalog?imported=3000-0"]);
  expect(await listProducts(t.ctx)).toHaveLength(3000);
});
