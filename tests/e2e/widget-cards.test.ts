// Product cards on the web chat (issue #13 item 2), at 375 and 1280 px: the ready-made ordering flow's catalog step
// shows what it found as cards — the product's picture (its thumbnail, served to the visitor's site), its name and
// price, + and − for how many, "Agregar" — instead of chips; a card's quantity goes in the cart without the flow
// asking how many again. The row of cards scrolls inside the chat, never the page.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { eq } from "drizzle-orm";
import { apiPost, type seedBusiness, type TestApp } from "../support/app.ts";
import { overflowing, reachable } from "../support/browser.ts";
import { widgetTestbed } from "../support/pages.ts";
import { carts } from "../../src/commerce/schema.ts";
import { messages } from "../../src/inbox/schema.ts";
import { createProduct } from "../../src/commerce/service.ts";
import { addProductImages } from "../../src/commerce/images.ts";
import { FLOW_RECIPES } from "../../src/automation/flow-recipes.ts";
import { PNG } from "../support/media.ts";

const SYS = { kind: "system" } as const;
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
let bed: Awaited<ReturnType<typeof widgetTestbed>>, browser: Browser, site: typeof bed.site;
beforeAll(async () => {
  bed = await widgetTestbed();
  ({ t, s, browser, site } = bed);
  const tacos = await createProduct(t.ctx, SYS, { sku: "T-PAS", name: "Taco al pastor", price: 2500 });
  await createProduct(t.ctx, SYS, { sku: "T-SUA", name: "Taco de suadero", price: 2800 });
  await addProductImages(t.ctx, SYS, tacos.id, [
    {
      image: new File([PNG], "pastor.png", { type: "image/png" }),
      thumb: new File([PNG], "mini.png", { type: "image/png" }),
    },
  ]);
  const f = await apiPost(t, s.apiKey, "/flows", FLOW_RECIPES.restaurant_order);
  await apiPost(t, s.apiKey, `/flows/${f.id}/publish`, {});
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

for (const viewport of [
  { width: 375, height: 740 },
  { width: 1280, height: 800 },
])
  test(`the catalog as cards with a picture, price, + and −; the quantity goes in the cart (${viewport.width} px)`, async () => {
    const page = await browser.newPage({ viewport, locale: "es-MX" });
    await page.goto(site.url);
    const w = page.locator("#digybot-webchat");
    await w.locator("button.launch").click();
    const say = async (text: string) => {
      await w.locator("textarea").fill(text);
      await w.locator("button.go").click();
    };
    await say("quiero pedir");
    await w.locator(".m.out").filter({ hasText: "¿Qué se te antoja?" }).waitFor();
    await say("tacos");
    const cards = w.locator(".cards .card");
    await cards.first().waitFor();
    expect(await cards.locator(".card-name").allInnerTexts()).toEqual(["Taco al pastor", "Taco de suadero"]);
    expect(await cards.locator(".card-price").allInnerTexts()).toEqual(["$25.00 MXN", "$28.00 MXN"]);
    // the picture comes from DigyBot to the visitor's site: a product without one has none
    const img = cards.first().locator("img");
    await expect(img.evaluate((i: HTMLImageElement) => i.decode().then(() => i.naturalWidth))).resolves.toBe(1);
    expect(await cards.nth(1).locator("img").count()).toBe(0);
    expect(await w.locator(".chips").count()).toBe(0);
    // three of the first: + twice (− stops at one)
    const first = cards.first();
    expect(await first.locator(".card-qty button").first().isDisabled()).toBe(true);
    await first.locator(".card-qty button").last().click();
    await first.locator(".card-qty button").last().click();
    expect(await first.locator(".card-qty output").innerText()).toBe("3");
    for (const b of await first.locator("button").all()) expect(await reachable(b)).toBe(true);
    expect(await overflowing(page)).toEqual([]);
    await first.locator(".card-add").click();
    // straight to "more?": the card said how many
    await w.locator(".m.out").filter({ hasText: "Listo, agregué 3 × Taco al pastor. ¿Algo más?" }).waitFor();
    expect(await w.locator(".cards").count()).toBe(0);
    const tapped = await w.locator(".m.in").last().innerText();
    expect(tapped).toContain("3 × Taco al pastor");
    const conv = (
      await t.ctx.db
        .select()
        .from(messages)
        .where(eq(messages.body, tapped.split("\n")[0]!))
        .all()
    ).at(-1)!.conversationId;
    const cart = (await t.ctx.db.select().from(carts).where(eq(carts.conversationId, conv)).get())!;
    expect(cart.lines.map((l) => [l.sku, l.quantity])).toEqual([["T-PAS", 3]]);
    await page.close();
  }, 60_000);
