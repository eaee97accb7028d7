// Settings → Promociones (issue #13 item 1), at 375 and 1280 px, each change checked in the database: a buy-X-get-Y
// for a category made from the form, a refused one (a percent over 100) shown in Spanish, a coupon with dates and
// uses, paused and resumed, deleted after asking.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { promotions } from "../../src/commerce/schema.ts";
import { createCategory, createProduct } from "../../src/commerce/service.ts";

const SYS = { kind: "system" } as const;
let bed: Testbed, tacos: string;
beforeAll(async () => {
  bed = await consoleTestbed();
  tacos = (await createCategory(bed.t.ctx, SYS, { name: "Tacos" })).id;
  await createProduct(bed.t.ctx, SYS, { sku: "TACO", name: "Taco al pastor", price: 2500, categoryId: tacos });
}, 60_000);
afterAll(async () => {
  await bed?.close();
});
const byName = async (name: string) => bed.t.ctx.db.select().from(promotions).where(eq(promotions.name, name)).get();

for (const viewport of VIEWPORTS)
  test(`promotions made, refused in Spanish, paused, deleted (${viewport.width} px)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go("/settings/promotions");
    await c.fits();
    const form = page.locator("#new-promo");
    // a percent over 100: refused, nothing saved
    await form.locator('input[name="name"]').fill(`Mitad y más ${viewport.width}`);
    await form.locator('input[name="value"]').fill("150");
    await Promise.all([page.waitForEvent("load"), c.tap(form.locator("button.primary"))]);
    expect(await page.locator(".flash.err").textContent()).toContain("Revisa los datos");
    expect(await byName(`Mitad y más ${viewport.width}`)).toBeUndefined();

    // 3x2 in the Tacos category
    const f2 = page.locator("#new-promo");
    const name = `3x2 tacos ${viewport.width}`;
    await f2.locator('input[name="name"]').fill(name);
    await f2.locator('select[name="kind"]').selectOption("buy_x_get_y");
    await f2.locator('select[name="scope"]').selectOption("category");
    await f2.locator('select[name="categoryId"]').selectOption(tacos);
    await f2.locator('input[name="buyQuantity"]').fill("2");
    await f2.locator('input[name="getQuantity"]').fill("1");
    await f2.locator('input[name="from"]').fill("17:00");
    await f2.locator('input[name="to"]').fill("19:00");
    await Promise.all([page.waitForEvent("load"), c.tap(f2.locator("button.primary"))]);
    expect(await byName(name)).toMatchObject({
      kind: "buy_x_get_y",
      scope: "category",
      categoryId: tacos,
      buyQuantity: 2,
      getQuantity: 1,
      hours: { days: [], from: "17:00", to: "19:00" },
      code: null,
    });
    expect(await page.locator(`li[data-promo="${name}"] .meta`).textContent()).toContain(
      "compra 2, lleva 1 gratis · Tacos · 17:00–19:00",
    );

    // a coupon: $30 off a $200 purchase, December, 50 uses
    const f3 = page.locator("#new-promo");
    const coupon = `Navidad ${viewport.width}`;
    await f3.locator('input[name="name"]').fill(coupon);
    await f3.locator('select[name="kind"]').selectOption("amount");
    await f3.locator('input[name="value"]').fill("30");
    await f3.locator('input[name="code"]').fill(`navidad${viewport.width}`);
    await f3.locator('input[name="minSubtotal"]').fill("200");
    await f3.locator('input[name="startsOn"]').fill("2026-12-01");
    await f3.locator('input[name="endsOn"]').fill("2026-12-31");
    await f3.locator('input[name="maxUses"]').fill("50");
    await Promise.all([page.waitForEvent("load"), c.tap(f3.locator("button.primary"))]);
    const p = (await byName(coupon))!;
    expect([p.value, p.code, p.minSubtotal, p.maxUses, p.startsAt, p.endsAt]).toEqual([
      3000,
      `NAVIDAD${viewport.width}`,
      20000,
      50,
      Date.UTC(2026, 11, 1, 6, 0), // midnight in Mexico City
      Date.UTC(2027, 0, 1, 6, 0),
    ]);

    // pause, resume, delete (asked first)
    const row = page.locator(`li[data-promo="${coupon}"]`);
    await Promise.all([page.waitForEvent("load"), c.tap(row.locator("form.inline").first().locator("button"))]);
    expect((await byName(coupon))!.active).toBe(false);
    await Promise.all([
      page.waitForEvent("load"),
      c.tap(page.locator(`li[data-promo="${coupon}"] form.inline`).first().locator("button")),
    ]);
    expect((await byName(coupon))!.active).toBe(true);
    page.once("dialog", (d) => void d.accept());
    await Promise.all([page.waitForEvent("load"), c.tap(page.locator(`li[data-promo="${coupon}"] button.danger`))]);
    expect(await byName(coupon)).toBeUndefined();
    await c.fits();
    await c.close();
  }, 90_000);
