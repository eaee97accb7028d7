// The owner, in a real browser, fills what the AI agents quote and book: imports the catalog from a spreadsheet (a bad
// line is named and nothing is imported), changes a price, adds a product; sets the calendar's appointment length
// and services, sees an appointment the agent booked (with its customer's conversation) and cancels it.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin } from "../support/browser.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { appointments, products } from "../../src/schema.ts";
import { book, getCalendarSettings } from "../../src/calendar/service.ts";
import { defaultHours } from "../../src/setup/service.ts";

let t: TestApp,
  running: Awaited<ReturnType<typeof startServer>>,
  browser: Browser,
  s: Awaited<ReturnType<typeof seedBusiness>>;
beforeAll(async () => {
  t = await makeTestApp({}, { clock: { now: () => Date.UTC(2026, 10, 30, 16, 10) } }); // Monday 10:10 in Mexico City
  s = await seedBusiness(t.ctx, { hours: defaultHours() });
  running = await startServer(t.ctx);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await running?.stop();
  await t?.close();
});

const csvFile = (text: string) => ({ name: "catalogo.csv", mimeType: "text/csv", buffer: Buffer.from(text) });

test("catalog: import with a bad line, then a good one; change a price; add a product", async () => {
  const page = await browser.newPage();
  await loginAsAdmin(page, running.url);
  await page.goto(`${running.url}/settings/catalog`);
  await page.setInputFiles(
    'form[action="/settings/catalog/import"] input[type=file]',
    csvFile("sku,nombre,precio,existencias\nTAC-PAS,Taco al pastor,25,40\nGRI,Gringa,sesenta,5\n"),
  );
  await page.click('form[action="/settings/catalog/import"] button[type=submit]');
  expect(await page.locator(".flash.err").textContent()).toBe(
    "Línea 3 del CSV, columna «precio»: «sesenta» no es válido. No se importó nada.",
  );
  expect(await page.locator("tr[data-sku]").count()).toBe(0);

  await page.setInputFiles(
    'form[action="/settings/catalog/import"] input[type=file]',
    csvFile(
      'sku,nombre,precio,existencias,categoría\nTAC-PAS,Taco al pastor,25,40,Tacos\nGRI,Gringa,"65,00",,Especialidades\n',
    ),
  );
  await page.click('form[action="/settings/catalog/import"] button[type=submit]');
  await page.waitForURL(/imported=2-0/);
  expect(await page.locator(".flash").first().textContent()).toBe("Importados: 2 nuevos, 0 actualizados.");
  expect(await page.locator("tr[data-sku]").count()).toBe(2);

  // stock must be a whole number: said plainly, nothing changed
  await page.locator('tr[data-sku="GRI"] input[name=stock]').fill("muchas");
  await page.locator('tr[data-sku="GRI"] button', { hasText: "Guardar" }).click();
  expect(await page.locator(".flash.err").textContent()).toBe(
    "Las existencias son un número entero (o vacío si no llevas control).",
  );
  expect(
    (await t.ctx.db.select({ stock: products.stock }).from(products).where(eq(products.sku, "GRI")).get())!.stock,
  ).toBeNull();

  // a new price and stock on one row
  const row = page.locator('tr[data-sku="TAC-PAS"]');
  await row.locator("input[name=price]").fill("27.50");
  await row.locator("input[name=stock]").fill("35");
  await row.locator("button", { hasText: "Guardar" }).click();
  await page.waitForURL(/saved=1/);
  expect(
    await t.ctx.db
      .select({ price: products.price, stock: products.stock })
      .from(products)
      .where(eq(products.sku, "TAC-PAS"))
      .get(),
  ).toEqual({ price: 2750, stock: 35 });
  expect(await page.inputValue('tr[data-sku="TAC-PAS"] input[name=price]')).toBe("27.50");

  // a product typed in, its price as people write it; a bad price is said plainly and nothing is added
  const form = page.locator('form[action="/settings/catalog"]');
  await form.locator("input[name=sku]").fill("HOR");
  await form.locator("input[name=name]").fill("Agua de horchata");
  await form.locator("input[name=price]").fill("treinta");
  await form.locator("button[type=submit]").click();
  expect(await page.locator(".flash.err").textContent()).toBe("El precio no es válido: escríbelo como 189.50");
  await page.locator('form[action="/settings/catalog"] input[name=sku]').fill("HOR");
  await page.locator('form[action="/settings/catalog"] input[name=name]').fill("Agua de horchata");
  await page.locator('form[action="/settings/catalog"] input[name=price]').fill("1,250.00");
  await page.locator('form[action="/settings/catalog"] button[type=submit]').click();
  await page.waitForURL(/saved=1/);
  expect(
    await t.ctx.db
      .select({ price: products.price, stock: products.stock })
      .from(products)
      .where(eq(products.sku, "HOR"))
      .get(),
  ).toEqual({ price: 125000, stock: null });
  await page.close();
});

test("calendar: length and services saved; an appointment the agent booked is listed with its conversation, and cancelled", async () => {
  const page = await browser.newPage();
  await loginAsAdmin(page, running.url);
  await page.goto(`${running.url}/settings/calendar`);
  await page.fill("input[name=slotMinutes]", "45");
  await page.fill("textarea[name=services]", "Limpieza dental\nConsulta general\n");
  await page.click('form[action="/settings/calendar"] button[type=submit]');
  await page.waitForURL(/saved=1/);
  expect(await getCalendarSettings(t.ctx)).toEqual({
    slotMinutes: 45,
    services: ["Limpieza dental", "Consulta general"],
  });

  const m = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: "paciente-1", name: "Marta Ruiz" },
    body: "quiero una cita",
  });
  const appt = await book(
    t.ctx,
    { kind: "system" },
    {
      date: "2026-12-02",
      time: "11:15",
      service: "consulta general",
      contactId: m.message.senderId,
      conversationId: m.conversationId,
    },
  );
  await page.goto(`${running.url}/settings/calendar`);
  const row = page.locator(`tr[data-appointment="${appt.id}"]`);
  expect((await row.locator("td").allTextContents()).slice(0, 4)).toEqual([
    "2026-12-02",
    "11:15",
    "Consulta general",
    "Marta Ruiz",
  ]);
  expect(await row.locator("a").getAttribute("href")).toBe(`/inbox?c=${m.conversationId}`);
  page.once("dialog", (d) => void d.accept());
  await row.locator("button", { hasText: "Cancelar cita" }).click();
  await page.waitForURL(/saved=1/);
  expect(await page.locator("tr[data-appointment]").count()).toBe(0);
  expect((await t.ctx.db.select().from(appointments).where(eq(appointments.id, appt.id)).get())!.status).toBe(
    "cancelled",
  );
  await page.close();
});
