// The conversation's cart in the contact panel (issue #13 item 2, "the agent sees the cart live, can edit it, and can
// create an order for the customer"), at 375 and 1280 px, each change checked in the database: an item with its
// variant and extras added, its quantity changed with + and −, a change made elsewhere (the AI agent's tool) showing
// live, a refusal in Spanish, delivery with an address, and the order created from the panel.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { carts, orders } from "../../src/commerce/schema.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { addToCart, createProduct } from "../../src/commerce/service.ts";
import { createPromotion } from "../../src/commerce/promotions.ts";

let bed: Testbed;
const SYS = { kind: "system" } as const;
beforeAll(async () => {
  bed = await consoleTestbed();
  await createProduct(bed.t.ctx, SYS, {
    sku: "TACO-P",
    name: "Taco al pastor",
    price: 2500,
    modifiers: [
      { key: "queso", name: "Con queso", price: 1000 },
      { key: "pina", name: "Extra piña", price: 500 },
    ],
  });
  await createProduct(bed.t.ctx, SYS, {
    sku: "HOR",
    name: "Horchata",
    price: 0,
    variants: [
      { key: "chica", name: "Chica", price: 3000, stock: null },
      { key: "grande", name: "Grande", price: 4500, stock: 1 },
    ],
  });
  for (const w of [375, 1280])
    await createPromotion(bed.t.ctx, SYS, { name: "$20 menos", kind: "amount", value: 2000, code: `HOLA${w}` });
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const cartOf = async (c: string) =>
  (await bed.t.ctx.db.select().from(carts).where(eq(carts.conversationId, c)).get())?.lines ?? [];

for (const viewport of VIEWPORTS)
  test(`the cart in the conversation: add, + and −, live, a refusal, delivery, the order (${viewport.width} px)`, async () => {
    const conv = (
      await ingestInbound(bed.t.ctx, {
        channelId: bed.s.webchat.id,
        from: { externalId: `cart-${viewport.width}`, name: `Cliente ${viewport.width}` },
        body: "quiero pedir",
      })
    ).conversationId;
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go(`/inbox?c=${conv}`);
    await page.waitForFunction(() => document.body.dataset.live === "1");
    await c.fits();
    // on a phone the contact panel is a sheet over the conversation
    if (c.phone) await c.tap("#conv-header [data-sheet-open]");
    const panel = page.locator("#cart-panel");
    await panel.locator("#cart-empty").waitFor();

    // the product is found by typing in the picker (accents and case aside); tacos with cheese: the extras shown
    // are that product's. An empty choice is said in Spanish first.
    await c.tap(panel.locator('#cart-add button[type="submit"]'));
    await page.locator("#cart-error:not([hidden])", { hasText: "Elige un producto" }).waitFor();
    const pickProduct = async (typed: string, label: string) => {
      await c.tap(page.locator("#cart-add .picker-button"));
      await page.locator("#cart-add .picker-pop input[type=search]").fill(typed);
      const shown = page.locator("#cart-add .picker-pop li[role=option]:visible");
      expect(await shown.allTextContents()).toEqual([label]);
      await c.tap(shown.first());
      expect(await page.locator("#cart-add .picker-button").textContent()).toBe(label);
    };
    await pickProduct("PASTOR", "Taco al pastor ($25.00 MXN)");
    expect(await panel.locator(".cart-mods label:visible").allTextContents()).toEqual([
      " Con queso (+$10.00 MXN)",
      " Extra piña (+$5.00 MXN)",
    ]);
    await panel.locator('input[name="quantity"]').fill("3");
    await panel.locator('.cart-mods input[value="queso"]').check();
    await c.tap(panel.locator('#cart-add button[type="submit"]'));
    await panel.locator("li.cart-line").waitFor();
    expect(await cartOf(conv)).toMatchObject([{ sku: "TACO-P", quantity: 3, modifiers: ["queso"], variant: null }]);
    expect(await panel.locator("#cart-subtotal").textContent()).toBe("$105.00 MXN");

    // + and −
    const line = panel.locator("li.cart-line").first();
    await c.tap(line.locator("button[data-cart-qty]").last());
    await page.waitForFunction(() => document.querySelector("#cart-subtotal")?.textContent === "$140.00 MXN");
    await c.tap(page.locator("#cart-panel li.cart-line").first().locator("button[data-cart-qty]").first());
    await page.waitForFunction(() => document.querySelector("#cart-subtotal")?.textContent === "$105.00 MXN");
    expect((await cartOf(conv))[0].quantity).toBe(3);

    // the AI agent (or another console) adds to it: the panel shows it without a reload
    await addToCart(bed.t.ctx, SYS, conv, { sku: "HOR", variant: "chica", quantity: 2 });
    await page.waitForFunction(() => document.querySelector("#cart-subtotal")?.textContent === "$165.00 MXN");
    expect(await page.locator("#cart-panel li.cart-line").count()).toBe(2);

    // a refusal in Spanish: two large horchatas, one left; nothing changes
    await pickProduct("horchata gra", "Horchata — Grande ($45.00 MXN)");
    await panel.locator('input[name="quantity"]').fill("2");
    await c.tap(panel.locator('#cart-add button[type="submit"]'));
    await page.locator("#cart-error:not([hidden])").waitFor();
    expect(await page.locator("#cart-error").textContent()).toBe("No quedan tantas unidades de ese producto.");
    expect((await cartOf(conv)).length).toBe(2);

    // a coupon: an unknown one refused in Spanish, then the real one, its discount a line of the cart
    await page.locator("#coupon-code").fill("NOEXISTE");
    await c.tap('#cart-coupon button[type="submit"]');
    await page.locator("#cart-error:not([hidden])", { hasText: "cupón" }).waitFor();
    expect(await page.locator("#cart-error").textContent()).toBe("No hay ningún cupón con ese código.");
    await page.locator("#coupon-code").fill(`hola${viewport.width}`);
    await c.tap('#cart-coupon button[type="submit"]');
    await page.locator("#cart-discounts").waitFor();
    expect(await page.locator("#cart-discounts li").textContent()).toBe("$20 menos −$20.00 MXN");
    expect(await page.locator("#cart-total").textContent()).toBe("$145.00 MXN");

    // delivery to an address, then the order; a change made elsewhere while the address is being typed does not
    // wipe it: the panel is read again once the agent leaves it
    await page.locator('#cart-details select[name="fulfilment"]').selectOption("delivery");
    const address = page.locator('#cart-details input[name="address"]');
    await address.click();
    await address.pressSequentially("Calle Roble 12");
    const deferred = await page.evaluate(() => document.body.dataset.cartDeferred ?? "");
    await addToCart(bed.t.ctx, SYS, conv, { sku: "TACO-P", quantity: 1 });
    await page.waitForFunction((d) => (document.body.dataset.cartDeferred ?? "") !== d, deferred);
    await address.pressSequentially(", Col. Centro");
    expect(await address.inputValue()).toBe("Calle Roble 12, Col. Centro");
    expect(await page.locator("#cart-panel li.cart-line").count()).toBe(2); // not read again yet
    await page.locator('#cart-details select[name="paymentMethod"]').selectOption("transfer");
    await c.tap("#cart-checkout");
    await page.locator("#cart-ordered").waitFor();
    const [o] = await bed.t.ctx.db.select().from(orders).where(eq(orders.conversationId, conv));
    expect([o.total, o.fulfilment, o.address, o.paymentMethod, o.source]).toEqual([
      17000,
      "delivery",
      "Calle Roble 12, Col. Centro",
      "transfer",
      "console",
    ]);
    expect(await page.locator("#cart-ordered").textContent()).toBe(`Pedido ${o.number} creado. Ver pedido`);
    expect(await page.locator("#cart-ordered a").getAttribute("href")).toBe(`/orders/${o.id}`);
    expect(await cartOf(conv)).toEqual([]);
    await page.locator("#cart-empty").waitFor();
    if (c.phone) {
      await c.tap("#contact-panel [data-sheet-close]");
      await page.waitForFunction(() => !document.body.classList.contains("sheet-open"));
      await page.locator("#contact-panel").waitFor({ state: "hidden" });
    }
    await c.fits();
    await c.close();
  }, 90_000);
