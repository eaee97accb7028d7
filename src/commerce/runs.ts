// Delivery routes (manual 2.5): couriers, each with a private link to a phone-sized page (no console account);
// orders ready for delivery grouped into a run whose stops are put in order by the route optimiser (nearest
// neighbour, 2-opt, Or-opt) from the store, with an arrival time for each; the courier starts the run (each customer
// gets a tracking link), shares the phone's position, opens navigation to each stop and marks it delivered. The
// customer's tracking page shows the order's step, the courier's last position and the ETA.
import { z } from "zod";
import { createHash, randomBytes } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { couriers, deliveryRuns, orders, type RunStop } from "./schema.ts";
import { newId } from "../platform/ids.ts";
import { AppError, badRequest, conflict, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { businessLocale } from "../setup/service.ts";
import { baseUrl } from "./payments.ts";
import { translator } from "../../ui/i18n/index.ts";
import { getDeliverySettings } from "./delivery.ts";
import { haversineM, planRoute } from "./route-plan.ts";
import type { Order } from "./service.ts";

export type Courier = typeof couriers.$inferSelect;
export type Run = typeof deliveryRuns.$inferSelect;
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

export const courierInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  phone: z.string().trim().max(30).default(""),
});

/** A courier and their private link's token (shown once: only its hash is kept). */
export async function createCourier(ctx: Ctx, actor: Actor, input: z.input<typeof courierInput>) {
  assertAdmin(actor);
  const c = courierInput.parse(input);
  const token = randomBytes(24).toString("base64url");
  const now = ctx.clock.now();
  const row: Courier = { id: newId(now), ...c, tokenHash: hash(token), active: true, position: null, createdAt: now };
  await ctx.database.write((tx) => tx.insert(couriers).values(row));
  return { courier: row, token };
}

/** A new link for a courier (the old one stops working at once). */
export async function rotateCourierLink(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  const token = randomBytes(24).toString("base64url");
  const r = await ctx.database.write((tx) =>
    tx
      .update(couriers)
      .set({ tokenHash: hash(token) })
      .where(eq(couriers.id, id))
      .returning({ id: couriers.id }),
  );
  if (!r.length) throw notFound("Courier");
  return { token };
}

export async function listCouriers(ctx: Ctx) {
  return ctx.db.select().from(couriers).orderBy(couriers.name);
}

/** The courier a link belongs to (unknown and deactivated read the same). */
export async function courierByToken(ctx: Ctx, token: string) {
  if (!/^[\w-]{20,64}$/.test(token)) throw notFound("Courier");
  const c = await ctx.db
    .select()
    .from(couriers)
    .where(eq(couriers.tokenHash, hash(token)))
    .get();
  if (!c?.active) throw notFound("Courier");
  return c;
}

export const runInput = z.strictObject({
  courierId: z.string().min(1).max(64),
  orderIds: z.array(z.string().min(1).max(64)).min(1).max(60),
});

/**
 * A run for a courier: delivery orders that are ready (or being prepared) and in no other run, each with a place
 * (a pin), put in the order the route plan gives from the store, with their arrival times.
 */
export async function planRun(ctx: Ctx, actor: Actor, input: z.input<typeof runInput>) {
  assertAdmin(actor);
  const r = runInput.parse(input);
  const d = await getDeliverySettings(ctx);
  if (!d.store) throw badRequest("store_location_required", "Set the store's location in Settings → Delivery first");
  return ctx.database.write(async (tx) => {
    const courier = await tx.select().from(couriers).where(eq(couriers.id, r.courierId)).get();
    if (!courier?.active) throw badRequest("unknown_courier", "No active courier with that id", { field: "courierId" });
    const list = await tx.select().from(orders).where(inArray(orders.id, r.orderIds));
    for (const id of r.orderIds) {
      const o = list.find((x) => x.id === id);
      if (!o) throw badRequest("unknown_order", "No order with that id", { orderId: id });
      if (o.fulfilment !== "delivery")
        throw conflict("not_for_delivery", `Order ${o.number} is for pickup`, { orderId: id });
      if (!["confirmed", "preparing", "ready"].includes(o.status))
        throw conflict("not_ready_for_route", `Order ${o.number} is ${o.status}`, { orderId: id, status: o.status });
      if (o.runId) throw conflict("order_in_run", `Order ${o.number} is in another run`, { orderId: id });
      if (!o.location)
        throw conflict("order_without_location", `Order ${o.number} has no location pin`, { orderId: id });
    }
    const byId = new Map(list.map((o) => [o.id, o]));
    const stopsIn = r.orderIds.map((id) => byId.get(id)!);
    const plan = planRoute(
      d.store!,
      stopsIn.map((o) => o.location!),
    );
    const stops: RunStop[] = plan.order.map((i, k) => ({
      orderId: stopsIn[i].id,
      etaMinutes: plan.etaMinutes[k],
      deliveredAt: null,
    }));
    const now = ctx.clock.now();
    const run: Run = {
      id: newId(now),
      courierId: courier.id,
      status: "planned",
      stops,
      totalMinutes: plan.totalMinutes,
      startedAt: null,
      createdAt: now,
    };
    await tx.insert(deliveryRuns).values(run);
    await tx.update(orders).set({ runId: run.id }).where(inArray(orders.id, r.orderIds));
    return run;
  });
}

export async function listRuns(ctx: Ctx) {
  return ctx.db.select().from(deliveryRuns).orderBy(deliveryRuns.createdAt);
}

async function runOf(ctx: Ctx, courier: Courier, runId: string) {
  const run = await ctx.db
    .select()
    .from(deliveryRuns)
    .where(and(eq(deliveryRuns.id, runId), eq(deliveryRuns.courierId, courier.id)))
    .get();
  if (!run) throw notFound("Run");
  return run;
}

/** A courier's page: their runs not done yet, each stop with its order, address and navigation link. */
export async function courierView(ctx: Ctx, token: string) {
  const c = await courierByToken(ctx, token);
  const runs = (await ctx.db.select().from(deliveryRuns).where(eq(deliveryRuns.courierId, c.id))).filter(
    (r) => r.status !== "done",
  );
  const ids = runs.flatMap((r) => r.stops.map((s) => s.orderId));
  const os = ids.length ? await ctx.db.select().from(orders).where(inArray(orders.id, ids)) : [];
  const byId = new Map(os.map((o) => [o.id, o]));
  return {
    courier: c,
    runs: runs.map((r) => ({
      ...r,
      stops: r.stops.map((s) => {
        const o = byId.get(s.orderId)!;
        return {
          ...s,
          number: o.number,
          address: o.address,
          location: o.location,
          status: o.status,
          total: o.total,
          currency: o.currency,
          paid: o.paymentStatus === "paid",
          navigate: o.location
            ? `https://www.google.com/maps/dir/?api=1&destination=${o.location.lat},${o.location.lng}`
            : `https://www.google.com/maps/dir/?api=1&destination=${encodeURIComponent(o.address)}`,
        };
      }),
    })),
  };
}

/** The courier leaves: the run's orders are on the way and each customer gets the tracking link. */
export async function startRun(ctx: Ctx, token: string, runId: string) {
  const c = await courierByToken(ctx, token);
  const run = await runOf(ctx, c, runId);
  if (run.status !== "planned") return run;
  const { setOrderStatus } = await import("./orders.ts");
  const courierActor: Actor = { kind: "system", name: c.name };
  const now = ctx.clock.now();
  for (const s of run.stops) {
    const o = await ctx.db.select().from(orders).where(eq(orders.id, s.orderId)).get();
    if (!o || o.status === "on_the_way") continue;
    // the tracking link is the customer's "on the way" (one message, not two)
    await setOrderStatus(
      ctx,
      courierActor,
      o.id,
      { status: "on_the_way" },
      { tell: !(o.conversationId && o.trackingToken) },
    );
    await sendTracking(ctx, o, s.etaMinutes);
  }
  await ctx.database.write((tx) =>
    tx.update(deliveryRuns).set({ status: "on_the_way", startedAt: now }).where(eq(deliveryRuns.id, run.id)),
  );
  return { ...run, status: "on_the_way" as const, startedAt: now };
}

async function sendTracking(ctx: Ctx, o: Order, etaMinutes: number) {
  if (!o.conversationId || !o.trackingToken) return;
  const locale = await businessLocale(ctx);
  const body = translator(locale)("runs.tellTracking", {
    number: o.number,
    minutes: String(etaMinutes),
    url: `${baseUrl(ctx)}/track/${o.trackingToken}`,
  });
  const { sendNoticeTx } = await import("../inbox/service.ts");
  await ctx.database
    .write((tx, after) => sendNoticeTx(ctx, tx, after, o.conversationId!, { body, idempotencyKey: `track:${o.id}` }))
    .catch((e) => {
      if (!(e instanceof AppError)) throw e;
    });
}

/** A stop delivered: the order is delivered (the customer told); the run ends with its last stop. */
export async function deliverStop(ctx: Ctx, token: string, runId: string, orderId: string) {
  const c = await courierByToken(ctx, token);
  const run = await runOf(ctx, c, runId);
  const stop = run.stops.find((s) => s.orderId === orderId);
  if (!stop) throw notFound("Stop");
  if (run.status === "planned") throw conflict("run_not_started", "Start the run first");
  const { setOrderStatus } = await import("./orders.ts");
  const o = await ctx.db.select().from(orders).where(eq(orders.id, orderId)).get();
  if (o && o.status !== "delivered")
    await setOrderStatus(ctx, { kind: "system", name: c.name }, orderId, { status: "delivered" });
  const now = ctx.clock.now();
  const stops = run.stops.map((s) => (s.orderId === orderId ? { ...s, deliveredAt: s.deliveredAt ?? now } : s));
  const done = stops.every((s) => s.deliveredAt);
  await ctx.database.write((tx) =>
    tx
      .update(deliveryRuns)
      .set({ stops, status: done ? "done" : run.status })
      .where(eq(deliveryRuns.id, run.id)),
  );
  return { ...run, stops, status: done ? ("done" as const) : run.status };
}

export const positionInput = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
});

/** The courier's phone shares where it is (the tracking pages read it). */
export async function sharePosition(ctx: Ctx, token: string, input: z.input<typeof positionInput>) {
  const c = await courierByToken(ctx, token);
  const p = positionInput.parse(input);
  const position = { ...p, at: ctx.clock.now() };
  await ctx.database.write((tx) => tx.update(couriers).set({ position }).where(eq(couriers.id, c.id)));
  return position;
}

/**
 * What a customer's tracking link shows: the order's step, and while it is on its way the courier's last position
 * and an arrival estimate (from that position at the plan's speed, or the plan's own time when none was shared).
 */
export async function trackingView(ctx: Ctx, token: string) {
  if (!/^[\w-]{20,64}$/.test(token)) throw notFound("Order");
  const o = await ctx.db.select().from(orders).where(eq(orders.trackingToken, token)).get();
  if (!o) throw notFound("Order");
  const run = o.runId ? await ctx.db.select().from(deliveryRuns).where(eq(deliveryRuns.id, o.runId)).get() : undefined;
  const courier = run ? await ctx.db.select().from(couriers).where(eq(couriers.id, run.courierId)).get() : undefined;
  const stop = run?.stops.find((s) => s.orderId === o.id);
  let etaAt: number | null = null;
  const now = ctx.clock.now();
  if (o.status === "on_the_way" && run?.startedAt && stop) {
    const fresh = courier?.position && now - courier.position.at < 15 * 60_000 ? courier.position : null;
    if (fresh && o.location) {
      // straight line times the road factor at 25 km/h, from where the courier is now
      const minutes = (haversineM(fresh, o.location) * 1.3) / ((25 * 1000) / 60);
      etaAt = now + Math.round(minutes) * 60_000;
    } else etaAt = run.startedAt + stop.etaMinutes * 60_000;
  }
  return {
    number: o.number,
    status: o.status,
    courierName: courier?.name ?? null,
    position: o.status === "on_the_way" && courier?.position ? courier.position : null,
    etaAt,
  };
}
