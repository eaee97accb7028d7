// The catalog's categories and a product's own page (issue #13 item 1), at 375 and 1280 px, each change checked in
// the database: a category and one inside it made, a product given a category, variants with their own price and
// stock, extras and breakfast hours; a list written wrong refused in Spanish; a category deleted after asking.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { productCategories, products } from "../../src/commerce/schema.ts";
import { createProduct } from "../../src/commerce/service.ts";

const SYS = { kind: "system" } as const;
let bed: Testbed;
beforeAll(async () => {
  bed = await consoleTestbed();
}, 60_000);
afterAll(async () => {
  await bed?.close();
});
const product = async (sku: string) => (await bed.t.ctx.db.select().from(products).where(eq(products.sku, sku)).get())!;

for (const viewport of VIEWPORTS)
  test(`categories and a product's variants, extras and hours (${viewport.width} px)`, async () => {
    const sku = `MOLLE-${viewport.width}`;
    await createProduct(bed.t.ctx, SYS, { sku, name: `Molletes ${viewport.width}`, price: 6500 });
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go("/settings/catalog");
    await c.fits();
    const top = `Desayunos ${viewport.width}`;
    await page.locator('#new-category input[name="name"]').fill(top);
    await Promise.all([page.waitForEvent("load"), c.tap("#new-category button.primary")]);
    const parent = (await bed.t.ctx.db.select().from(productCategories).where(eq(productCategories.name, top)).get())!;
    await page.locator('#new-category input[name="name"]').fill("Salados");
    await page.locator('#new-category select[name="parentId"]').selectOption(parent.id);
    await Promise.all([page.waitForEvent("load"), c.tap("#new-category button.primary")]);
    const child = (await bed.t.ctx.db
      .select()
      .from(productCategories)
      .where(eq(productCategories.parentId, parent.id))
      .get())!;
    expect(child.name).toBe("Salados");
    expect(await page.locator(`li[data-category="${top} › Salados"]`).count()).toBe(1);

    // the product's page
    await c.tap(page.locator(`tr[data-sku="${sku}"] a`));
    await page.waitForURL(/\/settings\/catalog\/[^/?]+$/);
    await c.fits();
    const form = page.locator("#product-form");
    await form.locator('select[name="categoryId"]').selectOption(child.id);
    // written wrong first: refused in Spanish, nothing saved
    await form.locator('input[name="variants"]').fill("Sencillos | Con chorizo=80");
    await Promise.all([page.waitForEvent("load"), c.tap(form.locator("button.primary"))]);
    expect(await page.locator(".flash.err").textContent()).toBe("Escríbelas como «Nombre=precio | Nombre=precio».");
    expect((await product(sku)).variants).toEqual([]);
    const again = page.locator("#product-form");
    await again.locator('select[name="categoryId"]').selectOption(child.id);
    await again.locator('input[name="variants"]').fill("Sencillos=65 | Con chorizo=80:10");
    await again.locator('input[name="modifiers"]').fill("Queso extra=10 | Pico de gallo=8");
    await again.locator('input[name="from"]').fill("08:00");
    await again.locator('input[name="to"]').fill("12:00");
    await Promise.all([page.waitForEvent("load"), c.tap(again.locator("button.primary"))]);
    const p = await product(sku);
    expect([p.categoryId, p.variants, p.modifiers, p.availability] as unknown[]).toEqual([
      child.id,
      [
        { key: "sencillos", name: "Sencillos", price: 6500, stock: null },
        { key: "con-chorizo", name: "Con chorizo", price: 8000, stock: 10 },
      ],
      [
        { key: "queso-extra", name: "Queso extra", price: 1000 },
        { key: "pico-de-gallo", name: "Pico de gallo", price: 800 },
      ],
      { days: [], from: "08:00", to: "12:00" },
    ]);
    // the form shows what was saved, as it was written
    expect(await page.locator('#product-form input[name="variants"]').inputValue()).toBe(
      "Sencillos=65.00 | Con chorizo=80.00:10",
    );

    // delete the top category (asked first): its child moves up, the product keeps it
    await c.go("/settings/catalog");
    page.once("dialog", (d) => void d.accept());
    await Promise.all([page.waitForEvent("load"), c.tap(page.locator(`li[data-category="${top}"] button.danger`))]);
    expect(
      await bed.t.ctx.db.select().from(productCategories).where(eq(productCategories.id, parent.id)).get(),
    ).toBeUndefined();
    expect(
      (await bed.t.ctx.db.select().from(productCategories).where(eq(productCategories.id, child.id)).get())!.parentId,
    ).toBeNull();
    expect((await product(sku)).categoryId).toBe(child.id);
    await c.close();
  }, 90_000);

for (const viewport of VIEWPORTS)
  test(`a price list for a channel, a bad line refused in Spanish, deleted (${viewport.width} px)`, async () => {
    const { priceLists } = await import("../../src/commerce/schema.ts");
    const sku = `PL-${viewport.width}`;
    await createProduct(bed.t.ctx, SYS, { sku, name: `Pozole ${viewport.width}`, price: 9000 });
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go("/settings/catalog");
    const name = `Apps de reparto ${viewport.width}`;
    const f = page.locator("#new-price-list");
    await f.locator('input[name="name"]').fill(name);
    await f.locator('select[name="channelId"]').selectOption(bed.s.webchat.id);
    await f.locator('textarea[name="prices"]').fill(`${sku}=noventa`);
    await Promise.all([page.waitForEvent("load"), c.tap(f.locator("button.primary"))]);
    expect(await page.locator(".flash.err").textContent()).toContain("Cada línea es SKU=precio");
    const g = page.locator("#new-price-list");
    await g.locator('input[name="name"]').fill(name);
    await g.locator('select[name="channelId"]').selectOption(bed.s.webchat.id);
    await g.locator('textarea[name="prices"]').fill(`${sku}=105.50`);
    await Promise.all([page.waitForEvent("load"), c.tap(g.locator("button.primary"))]);
    const list = (await bed.t.ctx.db.select().from(priceLists).where(eq(priceLists.name, name)).get())!;
    expect([list.channelIds, list.prices]).toEqual([[bed.s.webchat.id], { [sku]: 10550 }]);
    await c.fits();
    page.once("dialog", (d) => void d.accept());
    await Promise.all([page.waitForEvent("load"), c.tap(page.locator(`li[data-list="${name}"] button.danger`))]);
    expect(await bed.t.ctx.db.select().from(priceLists).where(eq(priceLists.name, name)).get()).toBeUndefined();
    await c.close();
  }, 60_000);

for (const viewport of VIEWPORTS)
  test(`a price list for a saved segment of contacts (${viewport.width} px)`, async () => {
    const { priceLists } = await import("../../src/commerce/schema.ts");
    const { createSegment } = await import("../../src/inbox/contact-fields.ts");
    const seg = await createSegment(bed.t.ctx, SYS, {
      name: `Mayoristas ${viewport.width}`,
      filters: { attribute: "tipo=mayoreo" },
    });
    const sku = `SEG-${viewport.width}`;
    await createProduct(bed.t.ctx, SYS, { sku, name: `Tamales ${viewport.width}`, price: 2500 });
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go("/settings/catalog");
    const name = `Precio de mayoreo ${viewport.width}`;
    const f = page.locator("#new-price-list");
    await f.locator('input[name="name"]').fill(name);
    await f.locator('select[name="segmentId"]').selectOption(seg.id);
    await f.locator('textarea[name="prices"]').fill(`${sku}=20`);
    await c.fits();
    await Promise.all([page.waitForEvent("load"), c.tap(f.locator("button.primary"))]);
    const list = (await bed.t.ctx.db.select().from(priceLists).where(eq(priceLists.name, name)).get())!;
    expect([list.segmentIds, list.channelIds, list.tagIds, list.prices]).toEqual([[seg.id], [], [], { [sku]: 2000 }]);
    // the list says whom it prices: the segment by its name
    expect(await page.locator(`li[data-list="${name}"]`).textContent()).toContain(`Mayoristas ${viewport.width}`);
    await c.close();
  }, 60_000);

for (const viewport of VIEWPORTS)
  test(`a product's pictures: uploaded with a thumbnail made in the page, made main, taken off (${viewport.width} px)`, async () => {
    const sku = `IMG-${viewport.width}`;
    const p = await createProduct(bed.t.ctx, SYS, { sku, name: `Pastel ${viewport.width}`, price: 45000 });
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go(`/settings/catalog/${p.id}`);
    await page.locator("#product-images .empty").waitFor();
    // two pictures of 800×600 and 600×900, drawn in the page as a camera would give them
    const png = async (w: number, h: number, color: string) =>
      Buffer.from(
        await page.evaluate(
          ([w, h, color]) => {
            const cv = document.createElement("canvas");
            cv.width = Number(w);
            cv.height = Number(h);
            const x = cv.getContext("2d")!;
            x.fillStyle = String(color);
            x.fillRect(0, 0, cv.width, cv.height);
            return cv.toDataURL("image/png").split(",")[1]!;
          },
          [w, h, color] as const,
        ),
        "base64",
      );
    await page.locator('#product-image-form input[name="image"]').setInputFiles([
      { name: "pastel.png", mimeType: "image/png", buffer: await png(800, 600, "#c0392b") },
      { name: "rebanada.png", mimeType: "image/png", buffer: await png(600, 900, "#2980b9") },
    ]);
    await c.fits();
    await Promise.all([page.waitForEvent("load"), c.tap("#product-image-form button.primary")]);
    const images = async () => (await bed.t.ctx.db.select().from(products).where(eq(products.id, p.id)).get())!.images;
    const list = await images();
    expect(list.map((x) => x.name)).toEqual(["pastel.png", "rebanada.png"]);
    // each thumbnail was made in the page: a JPEG whose longer side is 320 px
    const sizes = await page.locator("#product-images img").evaluateAll((els) =>
      Promise.all(
        (els as HTMLImageElement[]).map(async (im) => {
          await im.decode();
          return [im.naturalWidth, im.naturalHeight];
        }),
      ),
    );
    expect(sizes).toEqual([
      [320, 240],
      [213, 320],
    ]);
    const thumb = (await bed.t.ctx.files.get(list[0]!.thumbId))!;
    expect(thumb.row.mime).toBe("image/jpeg");
    // the second becomes the main one, then the first is taken off after the confirmation
    await Promise.all([
      page.waitForEvent("load"),
      c.tap(page.locator(`#product-images li[data-image="${list[1]!.fileId}"] button.secondary`)),
    ]);
    expect((await images()).map((x) => x.name)).toEqual(["rebanada.png", "pastel.png"]);
    page.once("dialog", (d) => void d.accept());
    await Promise.all([
      page.waitForEvent("load"),
      c.tap(page.locator(`#product-images li[data-image="${list[0]!.fileId}"] button.danger`)),
    ]);
    expect((await images()).map((x) => x.name)).toEqual(["rebanada.png"]);
    await c.fits();
    await c.close();
  }, 60_000);
