// The pages no other browser test clicks (issue #10), at 375×740 and 1280×800: the business's settings save and a
// bad value is refused in Spanish, the contacts page searches, and the sign-in history lists who signed in.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { type seedBusiness, type startServer, apiPost, type TestApp } from "../support/app.ts";
import { openConsole, VIEWPORTS, consoleTestbed, type Testbed } from "../support/pages.ts";
import { getBusiness } from "../../src/setup/service.ts";

let bed: Testbed,
  t: TestApp,
  s: Awaited<ReturnType<typeof seedBusiness>>,
  running: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
beforeAll(async () => {
  bed = await consoleTestbed();
  ({ t, s, running, browser } = bed);
  const ch = await apiPost(t, s.apiKey, "/channels", { type: "api", name: "Tienda", config: {} });
  for (const name of ["Rosa Jiménez", "Jorge Álvarez", "Rocío Méndez"])
    await apiPost(t, s.apiKey, "/inbound", { channelId: ch.id, from: { externalId: name, name }, body: "hola" });
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

test("business settings save; an empty name is refused in Spanish and changes nothing (375 and 1280 px)", async () => {
  for (const viewport of VIEWPORTS) {
    const c = await openConsole(browser, running.url, "admin", viewport);
    await c.go("/settings/business");
    await c.page.fill('input[name="name"]', `Taquería El Güero ${viewport.width}`);
    await c.page.setChecked('input[name="open_sun"]', false);
    await c.page.fill('textarea[name="holidays"]', "2026-12-25 Navidad\n2027-01-01 Año Nuevo");
    await Promise.all([c.page.waitForURL(/saved=1/), c.tap('form[action="/settings/business"] button.primary')]);
    await expect(c.page.locator(".flash").first().textContent()).resolves.toBe("Guardado.");
    const b = await getBusiness(t.ctx);
    expect(b?.name).toBe(`Taquería El Güero ${viewport.width}`);
    expect(b?.hours.sun.open).toBe(false);
    expect(b?.holidays).toEqual([
      { date: "2026-12-25", name: "Navidad" },
      { date: "2027-01-01", name: "Año Nuevo" },
    ]);
    // a holiday line without its date is refused, naming the line, and nothing changes
    await c.page.fill('textarea[name="holidays"]', "2026-12-25 Navidad\nel día del maestro");
    await Promise.all([c.page.waitForEvent("load"), c.tap('form[action="/settings/business"] button.primary')]);
    await expect(c.page.locator('[role="alert"], .flash.err').first().textContent()).resolves.toContain(
      "La línea 2 de los días festivos («el día del maestro»)",
    );
    expect((await getBusiness(t.ctx))?.holidays.length).toBe(2);
    // a name of only spaces passes the browser's "required" and is refused by the server, in Spanish
    await c.page.fill('input[name="name"]', "   ");
    await Promise.all([c.page.waitForEvent("load"), c.tap('form[action="/settings/business"] button.primary')]);
    await expect(c.page.locator('[role="alert"], .flash.err').first().textContent()).resolves.toMatch(
      /^Revisa los datos marcados\./,
    );
    expect((await getBusiness(t.ctx))?.name).toBe(`Taquería El Güero ${viewport.width}`);
    await c.fits();
    await c.close();
  }
});

test("contacts search (accents aside) and the sign-in history (375 and 1280 px)", async () => {
  for (const viewport of VIEWPORTS) {
    const c = await openConsole(browser, running.url, "admin", viewport);
    await c.go("/contacts");
    const search = c.page.locator('input[type="search"][name="q"]');
    await search.fill("rocio");
    await Promise.all([c.page.waitForURL(/q=rocio/), search.press("Enter")]);
    await expect(c.page.locator("table tr td:first-child").allTextContents()).resolves.toEqual(["Rocío Méndez"]);
    await c.fits();
    await c.go("/settings/login-history");
    await expect(c.page.locator("table tr", { hasText: "admin@test.mx" }).count()).resolves.toBeGreaterThanOrEqual(1);
    await c.fits();
    await c.close();
  }
});
