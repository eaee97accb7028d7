// Delivery zones (manual 2.5): where the business delivers, each zone with its fee, minimum order and time — a radius
// from the store, a polygon, or (without a map) a list of postal codes and colonias. An address is placed from a
// location pin (WhatsApp sends one) or from its text; a place outside every zone is told so, with the
// alternatives, and never accepted as served.
import { z } from "zod";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { getSetting, putSetting } from "../setup/service.ts";
import { normalize } from "../agents/text.ts";
import { haversineM } from "./route-plan.ts";
import { newId } from "../platform/ids.ts";

const point = z.strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) });
export const zoneInput = z
  .strictObject({
    id: z.string().max(40).optional(),
    name: z.string().trim().min(1).max(80),
    kind: z.enum(["radius", "polygon", "areas"]),
    /** radius: kilometres from the store */
    radiusKm: z.number().positive().max(200).nullable().default(null),
    /** polygon: its corners in order */
    polygon: z.array(point).max(200).default([]),
    /** areas: postal codes and colonias (neighbourhoods) served, as people write them */
    postalCodes: z
      .array(
        z
          .string()
          .trim()
          .regex(/^\d{4,6}$/, "a postal code"),
      )
      .max(2000)
      .default([]),
    colonias: z.array(z.string().trim().min(2).max(80)).max(2000).default([]),
    /** minor units */
    fee: z.number().int().min(0).default(0),
    minOrder: z.number().int().min(0).default(0),
    minutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(45),
  })
  .superRefine((zn, c) => {
    if (zn.kind === "radius" && !zn.radiusKm) c.addIssue({ code: "custom", path: ["radiusKm"], message: "how far" });
    if (zn.kind === "polygon" && zn.polygon.length < 3)
      c.addIssue({ code: "custom", path: ["polygon"], message: "a polygon needs three corners or more" });
    if (zn.kind === "areas" && !zn.postalCodes.length && !zn.colonias.length)
      c.addIssue({ code: "custom", path: ["postalCodes"], message: "which postal codes or colonias" });
  });
export const deliverySettings = z
  .strictObject({
    /** the store, where radius zones and routes start */
    store: point.nullable().default(null),
    pickup: z.boolean().default(true),
    delivery: z.boolean().default(true),
    zones: z.array(zoneInput).max(50).default([]),
  })
  .superRefine((d, c) => {
    if (d.zones.some((zn) => zn.kind === "radius") && !d.store)
      c.addIssue({ code: "custom", path: ["store"], message: "a radius zone needs the store's location" });
  });
export type DeliverySettings = z.output<typeof deliverySettings>;
export type Zone = DeliverySettings["zones"][number] & { id: string };

export async function getDeliverySettings(ctx: Ctx) {
  const d = deliverySettings.parse((await getSetting<unknown>(ctx, "delivery")) ?? {});
  return { ...d, zones: d.zones.map((zn, i) => ({ ...zn, id: zn.id ?? `z${i + 1}` })) as Zone[] };
}
export async function saveDeliverySettings(ctx: Ctx, actor: Actor, input: z.input<typeof deliverySettings>) {
  assertAdmin(actor);
  const v = deliverySettings.parse(input);
  const now = ctx.clock.now();
  const stored = { ...v, zones: v.zones.map((zn) => ({ ...zn, id: zn.id ?? newId(now).slice(-12) })) };
  await ctx.database.write((tx) => putSetting(tx, "delivery", stored, now));
  return getDeliverySettings(ctx);
}

/** Ray casting on the plane of latitude and longitude (zones are a few kilometres across). */
export function inPolygon(p: { lat: number; lng: number }, poly: { lat: number; lng: number }[]) {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i],
      b = poly[j];
    if (a.lat > p.lat !== b.lat > p.lat && p.lng < ((b.lng - a.lng) * (p.lat - a.lat)) / (b.lat - a.lat) + a.lng)
      inside = !inside;
  }
  return inside;
}

export type Placement =
  | { served: true; zone: Zone; how: "location" | "postal_code" | "colonia" }
  /** outside every zone, or not placeable: the alternatives to offer */
  | { served: false; reason: "outside" | "unknown_place" | "no_delivery"; pickup: boolean; zones: string[] };

/**
 * Where an address falls: a location pin inside a polygon or radius, or (text) a postal code or colonia of an
 * areas zone. The first zone that takes it serves it, in the order the owner listed them.
 */
export function placeAddress(
  d: Awaited<ReturnType<typeof getDeliverySettings>>,
  where: { location?: { lat: number; lng: number } | null; address?: string },
): Placement {
  const no = (reason: "outside" | "unknown_place" | "no_delivery"): Placement => ({
    served: false,
    reason,
    pickup: d.pickup,
    zones: d.zones.map((zn) => zn.name),
  });
  if (!d.delivery || !d.zones.length) return no("no_delivery");
  const loc = where.location ?? null;
  const text = ` ${normalize(where.address ?? "")} `;
  const codes = [...(where.address ?? "").matchAll(/\b\d{5}\b/g)].map((m) => m[0]);
  // a pin or a postal code places an address; a text without either (and no colonia found) cannot be placed
  const placeable = !!loc || codes.length > 0;
  for (const zn of d.zones) {
    if (loc && zn.kind === "radius" && d.store && haversineM(d.store, loc) <= zn.radiusKm! * 1000)
      return { served: true, zone: zn, how: "location" };
    if (loc && zn.kind === "polygon" && inPolygon(loc, zn.polygon)) return { served: true, zone: zn, how: "location" };
    if (zn.kind === "areas") {
      if (codes.some((c) => zn.postalCodes.includes(c))) return { served: true, zone: zn, how: "postal_code" };
      const col = zn.colonias.find((c) => text.includes(` ${normalize(c)} `));
      if (col) return { served: true, zone: zn, how: "colonia" };
    }
  }
  // never a guess: a place we could not put on the map is asked for again (a pin, a postal code), not refused
  return no(placeable ? "outside" : "unknown_place");
}
