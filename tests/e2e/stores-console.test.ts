// Settings → Tiendas (issue #13 item 8), at 375 and 1280 px, against the stores' doubles: a shop address written
// wrong refused in Spanish, Shopify connected (a secret shown as its last 4), its products imported with a click
// and in the catalog; WooCommerce likewise.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { startStoresDouble } from "../support/stores-double.ts";
import { products } from "../../src/commerce/schema.ts";
import { getStoreSettings } from "../../src/commerce/stores.ts";
import { messages } from "../../src/inbox/schema.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { addToCart, checkout } from "../../src/commerce/service.ts";

const SYS = { kind: "system" } as const;

let bed: Testbed, store: ReturnType<typeof startStoresDouble>;
beforeAll(async () => {
  bed = await consoleTestbed();
  store = startStoresDouble({ shopifyToken: "shpat_console_9876", wooKey: "ck_console", wooSecret: "cs_console" });
  store.shopify.push({
    id: "gid://shopify/Product/9007199254741001",
    title: "Tote bag",
    descriptionHtml: "",
    productType: "Bolsas",
    status: "ACTIVE",
    updatedAt: "2026-11-01T10:00:00Z",
    variants: {
      nodes: [
        {
          id: "gid://shopify/ProductVariant/77",
          title: "Default Title",
          sku: "TOTE",
          price: "350.00",
          inventoryQuantity: 8,
        },
      ],
    },
  });
  store.woo.push({
    id: 501,
    name: "Taza",
    sku: "TAZA",
    price: "120.00",
    status: "publish",
    manage_stock: true,
    stock_quantity: 4,
    categories: [],
  });
}, 60_000);
afterAll(async () => {
  store?.stop();
  await bed?.close();
});

for (const viewport of VIEWPORTS)
  test(`stores connected and imported from the console (${viewport.width} px)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    await c.go("/settings/stores");
    await c.fits();
    const f = page.locator("#store-shopify");
    await f.locator('input[name="shop"]').fill("https://mitienda.com");
    await Promise.all([page.waitForEvent("load"), c.tap(f.locator("button.primary"))]);
    expect(await page.locator(".flash.err").textContent()).toContain("Revisa los datos");
    const g = page.locator("#store-shopify");
    await g.locator('input[name="shop"]').fill("mitienda.myshopify.com");
    await g.locator('input[name="accessToken"]').fill("shpat_console_9876");
    await g.locator('input[name="webhookSecret"]').fill("shpss_console_secret");
    if (!(await g.locator('input[name="apiUrl"]').isVisible())) await c.tap(g.locator("summary"));
    await g.locator('input[name="apiUrl"]').fill(store.url);
    await Promise.all([page.waitForEvent("load"), c.tap(g.locator("button.primary"))]);
    expect(await page.locator('#store-shopify input[name="accessToken"]').inputValue()).toBe("••••9876");
    expect((await getStoreSettings(bed.t.ctx)).shopify.accessToken).toBe("shpat_console_9876");
    await Promise.all([page.waitForURL(/imported=/), c.tap("#import-shopify button")]);
    expect(await page.locator("#store-imported").textContent()).toMatch(/^Importados: \d+ nuevos, \d+ actualizados\.$/);
    expect((await bed.t.ctx.db.select().from(products).where(eq(products.sku, "TOTE")).get())!.price).toBe(35000);

    const w = page.locator("#store-woo");
    await w.locator('input[name="url"]').fill(store.url);
    await w.locator('input[name="consumerKey"]').fill("ck_console");
    await w.locator('input[name="consumerSecret"]').fill("cs_console");
    await w.locator('input[name="webhookSecret"]').fill("woo-secret");
    await Promise.all([page.waitForEvent("load"), c.tap(w.locator("button.primary"))]);
    await Promise.all([page.waitForURL(/imported=/), c.tap("#import-woo button")]);
    expect((await bed.t.ctx.db.select().from(products).where(eq(products.sku, "TAZA")).get())!.stock).toBe(4);
    // an order of the Shopify product: its store checkout sent from the order's page
    const conv = (
      await ingestInbound(bed.t.ctx, {
        channelId: bed.s.webchat.id,
        from: { externalId: `sc-${viewport.width}`, name: "Cliente" },
        body: "hola",
      })
    ).conversationId;
    await addToCart(bed.t.ctx, SYS, conv, { sku: "TOTE", quantity: 1 });
    const o = await checkout(bed.t.ctx, SYS, conv, {});
    await c.go(`/orders/${o.id}`);
    await Promise.all([page.waitForEvent("load"), c.tap("#shopify-checkout button")]);
    const sent = (await bed.t.ctx.db.select().from(messages).where(eq(messages.conversationId, conv))).map(
      (m) => m.body,
    );
    expect(sent).toContain(
      `Puedes pagar tu pedido ${o.number} ($350.00 MXN) aquí: https://mitienda.myshopify.com/cart/77:1?attributes[digybot_order]=${o.number}`,
    );
    await c.fits();
    await c.close();
  }, 60_000);
