// Importing contacts in the console (issue #12 item 6) at 375 and 1280 px: a CSV uploaded, its columns guessed and
// one changed, the import run with its progress, the result said; a file with a bad line refused naming it, and
// nothing imported. Checked in the database.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { contacts } from "../../src/inbox/schema.ts";

let bed: Testbed;
beforeAll(async () => {
  bed = await consoleTestbed();
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

test("a CSV imported through its columns, and a bad line refused (375 and 1280 px)", async () => {
  const { t, running, browser } = bed;
  for (const [i, viewport] of VIEWPORTS.entries()) {
    const rows = Array.from(
      { length: 120 },
      (_, k) => `Cliente ${i}-${k},55 ${4000 + i}${String(1000 + k)},Puebla,ignorar`,
    );
    const csv = ["Nombre,Celular,Ciudad,Notas internas", ...rows].join("\n");
    const c = await openConsole(browser, running.url, "admin", viewport);
    await c.go("/contacts");
    await c.tap("#contacts-import");
    await c.page.waitForURL(/\/contacts\/import$/);
    await c.page.setInputFiles('#import-upload input[type="file"]', {
      name: "clientes.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(csv),
    });
    await c.tap("#import-upload button.primary");
    await c.page.waitForURL(/\/contacts\/import\/[^/]+$/);
    // guessed: name, phone, an attribute for each other column; the last one is not to import
    const selects = c.page.locator('#import-mapping select[name="map"]');
    await expect(selects.evaluateAll((els) => els.map((e) => (e as HTMLSelectElement).value))).resolves.toEqual([
      "name",
      "phone",
      "attr:ciudad",
      "attr:notas_internas",
    ]);
    await selects.nth(3).selectOption("ignore");
    await c.fits();
    await c.tap("#import-mapping button.primary");
    await c.page.locator("#import-result").waitFor({ timeout: 30_000 });
    await expect(c.page.locator("#import-result").textContent()).resolves.toBe(
      "Listo: 120 contactos nuevos, 0 actualizados, 0 filas repetidas juntadas.",
    );
    const one = await t.ctx.db
      .select()
      .from(contacts)
      .where(eq(contacts.name, `Cliente ${i}-7`))
      .get();
    expect(one).toMatchObject({ attributes: { ciudad: "Puebla" } });
    expect(one?.phone).toMatch(/^\+5255\d{8}$/);
    await c.fits();

    // a bad phone on line 4: named, and nothing of the file imported
    const before = (await t.ctx.db.select().from(contacts)).length;
    await c.go("/contacts/import");
    await c.page.setInputFiles('#import-upload input[type="file"]', {
      name: "malos.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(`Nombre,Teléfono\nUno ${i},55 7000 000${i}\nDos ${i},55 7000 001${i}\nTres ${i},12\n`),
    });
    await c.tap("#import-upload button.primary");
    await c.page.waitForURL(/\/contacts\/import\/[^/]+$/);
    await c.tap("#import-mapping button.primary");
    await c.page.locator("#import-error").waitFor({ timeout: 30_000 });
    await expect(c.page.locator("#import-error").textContent()).resolves.toBe(
      "Línea 4, columna «Teléfono»: «12» no es válido. No se importó nada.",
    );
    expect((await t.ctx.db.select().from(contacts)).length).toBe(before);
    await c.fits();
    await c.close();
  }
});
