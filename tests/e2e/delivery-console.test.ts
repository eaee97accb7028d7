// Settings → Entregas and the delivery quote in the cart (issue #13 item 3), at 375 and 1280 px, each change checked
// in the database: the store's location saved, a radius zone refused without it (in Spanish), a radius zone and a
// postal-code zone made, one deleted after asking; in a conversation's cart an address in a served postal code shows
// its zone and fee, one outside every zone says so, and the order is refused until pickup is chosen.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { addToCart, createProduct } from "../../src/commerce/service.ts";
import { getDeliverySettings, saveDeliverySettings } from "../../src/commerce/delivery.ts";

const SYS = { kind: "system" } as const;
let bed: Testbed;
beforeAll(async () => {
  bed = await consoleTestbed();
  await createProduct(bed.t.ctx, SYS, { sku: "PIZZA", name: "Pizza", price: 15000 });
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

for (const viewport of VIEWPORTS)
  test(`delivery zones in the console, and the cart's quote (${viewport.width} px)`, async () => {
    await saveDeliverySettings(bed.t.ctx, SYS, { store: null, zones: [] });
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go("/settings/delivery");
    await c.fits();
    // a radius zone with no store location: refused in Spanish, nothing saved
    let f = page.locator("#new-zone");
    await f.locator('input[name="name"]').fill("Centro");
    await f.locator('input[name="radiusKm"]').fill("3");
    await Promise.all([page.waitForEvent("load"), c.tap(f.locator("button.primary"))]);
    expect(await page.locator(".flash.err").textContent()).toContain("Revisa los datos");
    expect((await getDeliverySettings(bed.t.ctx)).zones).toEqual([]);
    // the store, then the zones
    const store = page.locator("#delivery-store");
    await store.locator('input[name="lat"]').fill("19.4326");
    await store.locator('input[name="lng"]').fill("-99.1332");
    await Promise.all([page.waitForEvent("load"), c.tap(store.locator("button.primary"))]);
    expect((await getDeliverySettings(bed.t.ctx)).store).toEqual({ lat: 19.4326, lng: -99.1332 });
    f = page.locator("#new-zone");
    await f.locator('input[name="name"]').fill("Centro");
    await f.locator('input[name="radiusKm"]').fill("3");
    await f.locator('input[name="fee"]').fill("30");
    await Promise.all([page.waitForEvent("load"), c.tap(f.locator("button.primary"))]);
    f = page.locator("#new-zone");
    await f.locator('input[name="name"]').fill("Coyoacán");
    await f.locator('select[name="kind"]').selectOption("areas");
    await f.locator('input[name="postalCodes"]').fill("04000, 04100");
    await f.locator('input[name="fee"]').fill("60");
    await f.locator('input[name="minOrder"]').fill("100");
    await Promise.all([page.waitForEvent("load"), c.tap(f.locator("button.primary"))]);
    const zones = (await getDeliverySettings(bed.t.ctx)).zones;
    expect(zones.map((z) => [z.name, z.kind, z.radiusKm, z.postalCodes, z.fee, z.minOrder])).toEqual([
      ["Centro", "radius", 3, [], 3000, 0],
      ["Coyoacán", "areas", null, ["04000", "04100"], 6000, 10000],
    ]);
    expect(await page.locator('li[data-zone="Coyoacán"] .meta').textContent()).toContain("04000, 04100");

    // in a conversation: an address in 04100 is Coyoacán's; one in 06700 is outside
    const conv = (
      await ingestInbound(bed.t.ctx, {
        channelId: bed.s.webchat.id,
        from: { externalId: `dz-${viewport.width}`, name: "Cliente" },
        body: "hola",
      })
    ).conversationId;
    await addToCart(bed.t.ctx, SYS, conv, { sku: "PIZZA" });
    await c.go(`/inbox?c=${conv}`);
    if (c.phone) await c.tap("#conv-header [data-sheet-open]");
    await page.locator("#cart-details").waitFor();
    await page.locator('#cart-details select[name="fulfilment"]').selectOption("delivery");
    const address = page.locator('#cart-details input[name="address"]');
    await address.fill("Av. Universidad 20, CP 04100");
    await address.press("Tab");
    await page.locator("#cart-delivery", { hasText: "Coyoacán" }).waitFor();
    expect(await page.locator("#cart-delivery").textContent()).toBe("Zona Coyoacán: envío $60.00 MXN, unos 45 min.");
    await address.fill("Insurgentes Sur 300, 06700");
    await address.press("Tab");
    await page.locator("#cart-delivery", { hasText: "No llegamos" }).waitFor();
    await c.tap("#cart-checkout");
    await page.locator("#cart-error:not([hidden])").waitFor();
    expect(await page.locator("#cart-error").textContent()).toContain("No llegamos a esa dirección.");
    // pickup instead: ordered
    await page.locator('#cart-details select[name="fulfilment"]').selectOption("pickup");
    await c.tap("#cart-checkout");
    await page.locator("#cart-ordered").waitFor();

    // a zone deleted, after asking
    await c.go("/settings/delivery");
    page.once("dialog", (d) => void d.accept());
    await Promise.all([page.waitForEvent("load"), c.tap('li[data-zone="Centro"] button.danger')]);
    expect((await getDeliverySettings(bed.t.ctx)).zones.map((z) => z.name)).toEqual(["Coyoacán"]);
    await c.fits();
    await c.close();
  }, 90_000);
