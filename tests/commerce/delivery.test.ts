// Delivery zones (issue #13 item 3): a radius from the store, a polygon, postal codes and colonias; an address placed
// from a location pin (WhatsApp's location message) or its text; the zone's fee in the total and its minimum
// enforced; an address outside every zone refused with the alternatives, never served; one that cannot be placed
// asked for again.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { carts } from "../../src/commerce/schema.ts";
import { addToCart, checkout, createProduct, getCart, setCartDetails } from "../../src/commerce/service.ts";
import { inPolygon, placeAddress, saveDeliverySettings, getDeliverySettings } from "../../src/commerce/delivery.ts";
import { STORE, east } from "../support/geo.ts";

const SYS = { kind: "system" } as const;
let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
let n = 0;
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  await createProduct(t.ctx, SYS, { sku: "PIZZA", name: "Pizza", price: 15000 });
  await saveDeliverySettings(t.ctx, SYS, {
    store: STORE,
    zones: [
      { name: "Centro", kind: "radius", radiusKm: 3, fee: 3000, minOrder: 10000, minutes: 30 },
      {
        name: "Roma",
        kind: "polygon",
        // a square from 4 to 6 km east, 1 km either side
        polygon: [
          { lat: STORE.lat - 0.009, lng: east(4).lng },
          { lat: STORE.lat - 0.009, lng: east(6).lng },
          { lat: STORE.lat + 0.009, lng: east(6).lng },
          { lat: STORE.lat + 0.009, lng: east(4).lng },
        ],
        fee: 5000,
        minOrder: 20000,
        minutes: 50,
      },
      {
        name: "Coyoacán",
        kind: "areas",
        postalCodes: ["04000", "04100"],
        colonias: ["Del Carmen"],
        fee: 6000,
        minutes: 60,
      },
    ],
  });
});
afterEach(() => t.close());

const conv = async () =>
  (await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: `d${++n}`, name: "C" }, body: "hola" }))
    .conversationId;

test("an address is placed by its pin, its postal code or its colonia; the first zone that takes it serves it", async () => {
  const d = await getDeliverySettings(t.ctx);
  const zone = (w: Parameters<typeof placeAddress>[1]) => {
    const p = placeAddress(d, w);
    return p.served ? [p.zone.name, p.how] : [null, p.reason];
  };
  expect(zone({ location: east(2.5) })).toEqual(["Centro", "location"]);
  expect(zone({ location: east(5) })).toEqual(["Roma", "location"]);
  expect(zone({ location: east(3.5) })).toEqual([null, "outside"]); // between the two
  expect(zone({ address: "Av. Universidad 20, CP 04100, CDMX" })).toEqual(["Coyoacán", "postal_code"]);
  expect(zone({ address: "Calle Centenario 5, del carmen, coyoacan" })).toEqual(["Coyoacán", "colonia"]);
  expect(zone({ address: "Insurgentes Sur 300, 06700" })).toEqual([null, "outside"]);
  // no pin, no postal code, no colonia: it cannot be placed, so it is asked for again, never refused or accepted
  expect(zone({ address: "a la vuelta de la tienda" })).toEqual([null, "unknown_place"]);
  expect(
    inPolygon({ lat: 0.5, lng: 0.5 }, [
      { lat: 0, lng: 0 },
      { lat: 0, lng: 1 },
      { lat: 1, lng: 1 },
      { lat: 1, lng: 0 },
    ]),
  ).toBe(true);
});

test("the zone's fee is in the total and its minimum enforced; outside every zone the order is refused with the alternatives", async () => {
  const c = await conv();
  await addToCart(t.ctx, SYS, c, { sku: "PIZZA" });
  let cart = await setCartDetails(t.ctx, SYS, c, { fulfilment: "delivery", location: east(5), address: "Orizaba 10" });
  expect(cart.delivery).toEqual({ served: true, zone: "Roma", fee: 5000, minOrder: 20000, minutes: 50 });
  expect(cart.total).toBe(20000);
  // Roma's minimum is $200 of food: one pizza is not enough
  await expect(checkout(t.ctx, SYS, c, {})).rejects.toMatchObject({
    code: "below_delivery_minimum",
    details: { minOrder: 20000, zone: "Roma" },
  });
  await addToCart(t.ctx, SYS, c, { sku: "PIZZA" });
  const o = await checkout(t.ctx, SYS, c, {});
  expect([o.subtotal, o.deliveryFee, o.total, o.location]).toEqual([30000, 5000, 35000, east(5)]);

  // outside: refused, and what to offer instead
  const c2 = await conv();
  await addToCart(t.ctx, SYS, c2, { sku: "PIZZA", quantity: 2 });
  cart = await setCartDetails(t.ctx, SYS, c2, { fulfilment: "delivery", location: east(9), address: "lejos" });
  expect(cart.delivery).toEqual({
    served: false,
    reason: "outside",
    pickup: true,
    zones: ["Centro", "Roma", "Coyoacán"],
  });
  expect(cart.total).toBe(30000);
  await expect(checkout(t.ctx, SYS, c2, {})).rejects.toMatchObject({
    code: "outside_delivery_area",
    details: { pickup: true, zones: ["Centro", "Roma", "Coyoacán"] },
  });
  // pickup instead
  await setCartDetails(t.ctx, SYS, c2, { fulfilment: "pickup" });
  expect((await checkout(t.ctx, SYS, c2, {})).deliveryFee).toBe(0);
});

test("a WhatsApp location pin sent while a cart is open becomes its delivery address", async () => {
  const c = await conv();
  await addToCart(t.ctx, SYS, c, { sku: "PIZZA" });
  await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: `d${n}`, name: "C" },
    body: "",
    content: {
      type: "location",
      location: { ...{ latitude: east(1).lat, longitude: east(1).lng }, name: "Casa", address: "Madero 1" },
    },
  } as never);
  for (
    let i = 0;
    i < 50 && !(await t.ctx.db.select().from(carts).where(eq(carts.conversationId, c)).get())?.location;
    i++
  )
    await Bun.sleep(20);
  const cart = await getCart(t.ctx, SYS, c);
  expect([cart.fulfilment, cart.address, cart.delivery]).toEqual([
    "delivery",
    "Casa, Madero 1",
    { served: true, zone: "Centro", fee: 3000, minOrder: 10000, minutes: 30 },
  ]);
});

test("the settings are checked: a radius needs the store, a polygon three corners, postal codes are codes", async () => {
  const bad = [
    { zones: [{ name: "A", kind: "radius", radiusKm: 2 }] },
    { store: STORE, zones: [{ name: "A", kind: "polygon", polygon: [STORE, east(1)] }] },
    { store: STORE, zones: [{ name: "A", kind: "areas", postalCodes: ["centro"] }] },
  ];
  for (const b of bad) {
    const r = await t.req("PUT", "/api/v1/delivery-settings", {
      headers: { authorization: `Bearer ${s.apiKey}` },
      json: b,
    });
    expect([r.status, (await r.json()).error.code]).toEqual([400, "validation_failed"]);
  }
  expect((await getDeliverySettings(t.ctx)).zones.map((z) => z.name)).toEqual(["Centro", "Roma", "Coyoacán"]);
});
