// Delivery runs (issue #13 item 7): couriers with a private link; ready delivery orders put in the route plan's
// order from the store, with arrival times; the run started from the courier's link (orders on the way, each
// customer given a tracking link); the phone's position shared; stops delivered; the tracking page's ETA.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { messages } from "../../src/inbox/schema.ts";
import { deliveryRuns, orders } from "../../src/commerce/schema.ts";
import { addToCart, checkout, createProduct, setCartDetails, setOrderStatus } from "../../src/commerce/service.ts";
import { saveDeliverySettings } from "../../src/commerce/delivery.ts";
import {
  courierView,
  createCourier,
  deliverStop,
  planRun,
  rotateCourierLink,
  sharePosition,
  startRun,
  trackingView,
} from "../../src/commerce/runs.ts";
import { STORE, east } from "../support/geo.ts";

const SYS = { kind: "system" } as const;
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
let now = Date.UTC(2026, 11, 2, 19, 0);
let n = 0;
beforeEach(async () => {
  now = Date.UTC(2026, 11, 2, 19, 0);
  t = await makeTestApp({ public_url: "https://pedidos.taqueria.mx" }, { clock: { now: () => now } });
  s = await seedBusiness(t.ctx);
  await createProduct(t.ctx, SYS, { sku: "PIZZA", name: "Pizza", price: 15000 });
  await saveDeliverySettings(t.ctx, SYS, { store: STORE, zones: [] });
});
afterEach(() => t.close());

async function deliveryOrder(km: number, confirmed = true) {
  const c = (
    await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `r${++n}`, name: `C${n}` },
      body: "hola",
    })
  ).conversationId;
  await addToCart(t.ctx, SYS, c, { sku: "PIZZA" });
  await setCartDetails(t.ctx, SYS, c, { fulfilment: "delivery", address: `Calle ${km} km`, location: east(km) });
  const o = await checkout(t.ctx, SYS, c, {});
  if (confirmed) await setOrderStatus(t.ctx, SYS, o.id, { status: "ready" });
  return o;
}

test("a run: the stops in the route plan's order from the store, each with its arrival time", async () => {
  const { courier } = await createCourier(t.ctx, SYS, { name: "Luis", phone: "5512345678" });
  const far = await deliveryOrder(4);
  const near = await deliveryOrder(1);
  const mid = await deliveryOrder(2.5);
  const run = await planRun(t.ctx, SYS, { courierId: courier.id, orderIds: [far.id, near.id, mid.id] });
  expect(run.stops.map((x) => x.orderId)).toEqual([near.id, mid.id, far.id]);
  // 1.3 road factor at 25 km/h, 3 minutes a stop: 1 km → 3 min; 1.5 km more → 5 + 3; 1.5 km more → 5 + 3
  expect(run.stops.map((x) => x.etaMinutes)).toEqual([3, 11, 18]);
  expect((await t.ctx.db.select().from(orders).where(eq(orders.id, far.id)).get())!.runId).toBe(run.id);
  // an order in a run, not ready, or for pickup cannot go into another
  await expect(planRun(t.ctx, SYS, { courierId: courier.id, orderIds: [near.id] })).rejects.toMatchObject({
    code: "order_in_run",
  });
  const fresh = await deliveryOrder(2, false);
  await expect(planRun(t.ctx, SYS, { courierId: courier.id, orderIds: [fresh.id] })).rejects.toMatchObject({
    code: "not_ready_for_route",
  });
});

test("the courier's link: start, position, delivered; the customer's tracking link and ETA", async () => {
  const { courier, token } = await createCourier(t.ctx, SYS, { name: "Luis" });
  const a = await deliveryOrder(1);
  const b = await deliveryOrder(3);
  const run = await planRun(t.ctx, SYS, { courierId: courier.id, orderIds: [a.id, b.id] });
  const v = await courierView(t.ctx, token);
  expect(v.runs[0].stops.map((x) => [x.number, x.navigate])).toEqual([
    [a.number, `https://www.google.com/maps/dir/?api=1&destination=${east(1).lat},${east(1).lng}`],
    [b.number, `https://www.google.com/maps/dir/?api=1&destination=${east(3).lat},${east(3).lng}`],
  ]);
  await expect(deliverStop(t.ctx, token, run.id, a.id)).rejects.toMatchObject({ code: "run_not_started" });
  await startRun(t.ctx, token, run.id);
  for (const o of [a, b])
    expect((await t.ctx.db.select().from(orders).where(eq(orders.id, o.id)).get())!.status).toBe("on_the_way");
  const told = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, b.conversationId!))).map(
    (m) => m.body,
  );
  expect(told.filter((x) => x.includes("va en camino"))).toHaveLength(1);
  expect(told).toContain(
    `Tu pedido ${b.number} va en camino; llega en unos 12 min. Síguelo aquí: https://pedidos.taqueria.mx/track/${b.trackingToken}`,
  );
  // no position yet: the plan's own time
  let tr = await trackingView(t.ctx, b.trackingToken!);
  expect([tr.status, tr.courierName, tr.position, tr.etaAt]).toEqual(["on_the_way", "Luis", null, now + 12 * 60_000]);
  // ten minutes later the courier is 2 km out: 1 km left → 3 min from now
  now += 10 * 60_000;
  await sharePosition(t.ctx, token, east(2));
  tr = await trackingView(t.ctx, b.trackingToken!);
  expect([tr.position, tr.etaAt]).toEqual([{ ...east(2), at: now }, now + 3 * 60_000]);
  await deliverStop(t.ctx, token, run.id, a.id);
  await deliverStop(t.ctx, token, run.id, b.id);
  expect((await t.ctx.db.select().from(deliveryRuns).get())!.status).toBe("done");
  expect((await trackingView(t.ctx, b.trackingToken!)).status).toBe("delivered");
  // a new link: the old one stops working
  await rotateCourierLink(t.ctx, SYS, courier.id);
  await expect(courierView(t.ctx, token)).rejects.toMatchObject({ status: 404 });
});

test("the courier's and customer's links over HTTP: unknown ones are 404, a bad position 400", async () => {
  const { token } = await createCourier(t.ctx, SYS, { name: "Luis" });
  expect((await t.req("GET", `/courier/${token}`)).status).toBe(200);
  expect((await t.req("GET", "/courier/not-a-real-link-token-000000")).status).toBe(404);
  expect((await t.req("GET", "/track/not-a-real-link-token-000000")).status).toBe(404);
  const bad = await t.req("POST", `/courier/${token}/position`, { json: { lat: 200, lng: 0 } });
  expect([bad.status, (await bad.json()).error.code]).toEqual([400, "invalid_position"]);
  const ok = await t.req("POST", `/courier/${token}/position`, { json: { lat: 19.4, lng: -99.1 } });
  expect(ok.status).toBe(200);
});

test("an agent cannot open the runs page nor plan a run", async () => {
  const { sessionHeaders } = await import("../support/app.ts");
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  expect((await t.req("GET", "/deliveries", { headers: ana })).status).toBe(403);
  expect(
    (
      await t.req("POST", "/deliveries", {
        headers: { ...ana, "content-type": "application/x-www-form-urlencoded" },
        body: "courierId=x",
      })
    ).status,
  ).toBe(403);
  const { courier } = await createCourier(t.ctx, SYS, { name: "Luis" });
  const o = await deliveryOrder(1);
  await expect(
    planRun(t.ctx, { kind: "user", id: s.ana.id, role: "agent", departmentIds: [], locale: "es" } as never, {
      courierId: courier.id,
      orderIds: [o.id],
    }),
  ).rejects.toMatchObject({ status: 403 });
});
