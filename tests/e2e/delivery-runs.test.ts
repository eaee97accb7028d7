// Delivery runs in the console and on the courier's phone (issue #13 item 7), each change checked in the database: a
// courier added in Settings → Entregas (the private link shown once), a run planned from the ready delivery orders
// (375 and 1280 px); the courier's page at 375 px starting the run, sharing the phone's position (the browser's
// geolocation), opening directions and marking each stop delivered; the customer's tracking page.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { consoleTestbed, openConsole, PHONE, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { misnested, overflowing } from "../support/browser.ts";
import { couriers, deliveryRuns, orders } from "../../src/commerce/schema.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { addToCart, checkout, createProduct, setCartDetails, setOrderStatus } from "../../src/commerce/service.ts";
import { saveDeliverySettings } from "../../src/commerce/delivery.ts";
import { STORE, east } from "../support/geo.ts";

const SYS = { kind: "system" } as const;
let bed: Testbed;
let n = 0;
beforeAll(async () => {
  bed = await consoleTestbed();
  await createProduct(bed.t.ctx, SYS, { sku: "PIZZA", name: "Pizza", price: 15000 });
  await saveDeliverySettings(bed.t.ctx, SYS, { store: STORE, zones: [] });
}, 60_000);
afterAll(async () => {
  await bed?.close();
});
async function ready(km: number) {
  const { t, s } = bed;
  const c = (
    await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `dr${++n}`, name: `C${n}` },
      body: "hola",
    })
  ).conversationId;
  await addToCart(t.ctx, SYS, c, { sku: "PIZZA" });
  await setCartDetails(t.ctx, SYS, c, { fulfilment: "delivery", address: `Calle ${n}`, location: east(km) });
  const o = await checkout(t.ctx, SYS, c, {});
  await setOrderStatus(t.ctx, SYS, o.id, { status: "ready" });
  return o;
}

for (const viewport of VIEWPORTS)
  test(`a courier added, a run planned, the courier's phone delivers it (${viewport.width} px console)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const page = c.page;
    // the courier, and the link shown once
    await c.go("/settings/delivery");
    const name = `Luis ${viewport.width}`;
    await page.locator('#new-courier input[name="name"]').fill(name);
    await Promise.all([page.waitForEvent("load"), c.tap("#new-courier button.primary")]);
    const link = (await page.locator("#courier-link code").textContent())!;
    expect(link).toMatch(new RegExp(`^${bed.running.url}/courier/[\\w-]{30,}$`));
    await c.fits();
    await c.go("/settings/delivery");
    expect(await page.locator("#courier-link").count()).toBe(0);
    const courier = (await bed.t.ctx.db.select().from(couriers).where(eq(couriers.name, name)).get())!;

    // two ready delivery orders, far one first; the run puts the near one first
    const far = await ready(4);
    const near = await ready(1);
    await c.go("/orders");
    await Promise.all([page.waitForURL(/\/deliveries$/), c.tap("#orders-runs")]);
    await c.fits();
    for (const o of [far, near]) await page.locator(`#plan-run input[value="${o.id}"]`).check();
    await page.locator('#plan-run select[name="courierId"]').selectOption(courier.id);
    await Promise.all([page.waitForEvent("load"), c.tap("#plan-run button.primary")]);
    const run = (await bed.t.ctx.db.select().from(deliveryRuns).where(eq(deliveryRuns.courierId, courier.id)).get())!;
    expect(run.stops.map((x) => x.orderId)).toEqual([near.id, far.id]);
    expect(
      await page
        .locator(`section[data-run="${run.id}"] li`)
        .evaluateAll((l) => l.map((x) => (x as HTMLElement).dataset.order)),
    ).toEqual([near.number, far.number]);
    await c.close();

    // the courier's phone: geolocation allowed, at 2 km out
    const ctxPhone = await bed.browser.newContext({
      viewport: PHONE,
      geolocation: { latitude: east(2).lat, longitude: east(2).lng },
      permissions: ["geolocation"],
      serviceWorkers: "block",
    });
    const phone = await ctxPhone.newPage();
    expect(await misnested(phone, await (await phone.goto(link))!.text())).toEqual([]);
    expect(await overflowing(phone)).toEqual([]);
    await Promise.all([phone.waitForURL(link), phone.click("#start-run")]);
    for (const o of [near, far])
      expect((await bed.t.ctx.db.select().from(orders).where(eq(orders.id, o.id)).get())!.status).toBe("on_the_way");
    // the position reaches the server
    for (
      let i = 0;
      i < 50 && !(await bed.t.ctx.db.select().from(couriers).where(eq(couriers.id, courier.id)).get())!.position;
      i++
    )
      await phone.waitForTimeout(100);
    expect(
      (await bed.t.ctx.db.select().from(couriers).where(eq(couriers.id, courier.id)).get())!.position,
    ).toMatchObject({
      lat: east(2).lat,
      lng: east(2).lng,
    });
    expect(await phone.locator(`li[data-order="${near.number}"] a.btn`).getAttribute("href")).toBe(
      `https://www.google.com/maps/dir/?api=1&destination=${east(1).lat},${east(1).lng}`,
    );
    // the customer's tracking page: on the way, with the courier and a map link
    const track = await ctxPhone.newPage();
    const tracked = await track.goto(`${bed.running.url}/track/${far.trackingToken}`);
    expect(await misnested(track, await tracked!.text())).toEqual([]);
    expect(await track.locator("#track-status").textContent()).toBe("En camino");
    expect(await track.locator("#track-eta").textContent()).toMatch(/^Llega aproximadamente a las /);
    expect(await track.locator("#track-map").getAttribute("href")).toContain(`mlat=${east(2).lat}`);
    expect(await overflowing(track)).toEqual([]);
    // delivered, stop by stop
    for (const o of [near, far])
      await Promise.all([phone.waitForURL(link), phone.locator(`li[data-order="${o.number}"] button.primary`).click()]);
    expect((await bed.t.ctx.db.select().from(deliveryRuns).where(eq(deliveryRuns.id, run.id)).get())!.status).toBe(
      "done",
    );
    await track.reload();
    expect(await track.locator("#track-status").textContent()).toBe("Entregado");
    await ctxPhone.close();
  }, 90_000);
