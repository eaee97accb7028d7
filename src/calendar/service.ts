// The business calendar: free slots come from the weekly hours (in the business's time zone) minus what is
// booked; a booking is refused when it is in the past, outside the hours, off the slots or over another appointment.
import { z } from "zod";
import { and, asc, eq, gt, lt } from "drizzle-orm";
import { appointments } from "./schema.ts";
import { newId } from "../platform/ids.ts";
import { AppError, badRequest, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { canSeeRowOf, checkReferences, contactVisibleWhere } from "../inbox/visibility.ts";
import { getBusiness, getSetting, putSetting, weekdays, type Business } from "../setup/service.ts";
import { idRef } from "../platform/validation.ts";

export type Appointment = typeof appointments.$inferSelect;
export const calendarSettings = z.strictObject({
  slotMinutes: z.number().int().min(5).max(480).default(30),
  services: z.array(z.string().trim().min(1).max(100)).max(100).default([]),
});

export async function getCalendarSettings(ctx: Ctx) {
  return calendarSettings.parse((await getSetting(ctx, "calendar")) ?? {});
}

/** The appointment length and the services offered (the agent's booking tool and the console read them). */
export async function saveCalendarSettings(ctx: Ctx, actor: Actor, input: z.input<typeof calendarSettings>) {
  assertAdmin(actor);
  const v = calendarSettings.parse(input);
  await ctx.database.write((tx) => putSetting(tx, "calendar", v, ctx.clock.now()));
  return v;
}

/** Where the owner lists services, a booking names one of them: the service as the owner wrote it, or a 400. */
export async function serviceName(ctx: Ctx, service: string) {
  const { services } = await getCalendarSettings(ctx);
  if (!services.length || !service) return service;
  const known = services.find((sv) => sv.toLowerCase() === service.trim().toLowerCase());
  if (!known)
    throw badRequest("unknown_service", `"${service}" is not one of the services: ${services.join(", ")}`, {
      field: "service",
      services,
    });
  return known;
}

/** Cancels a booked appointment: its time is free again. */
/** What automations read of an appointment event ("24 h before it starts", its service and time in messages). */
const eventData = (a: typeof appointments.$inferSelect) => ({
  appointmentId: a.id,
  contactId: a.contactId,
  conversationId: a.conversationId,
  startsAt: a.startsAt,
  service: a.service,
});
const eventActor = (actor: Actor) => ({
  type:
    actor.kind === "user" ? ("user" as const) : actor.kind === "api_key" ? ("api_key" as const) : ("system" as const),
  id: "id" in actor ? (actor.id ?? null) : null,
});

export async function cancelAppointment(ctx: Ctx, actor: Actor, id: string) {
  return ctx.database.write(async (tx, after) => {
    const cur = await tx.select().from(appointments).where(eq(appointments.id, id)).get();
    if (!cur || !(await canSeeRowOf(tx, actor, cur))) throw notFound("Appointment");
    if (cur.status !== "cancelled") {
      await tx.update(appointments).set({ status: "cancelled" }).where(eq(appointments.id, id));
      await ctx.events.record(tx, after, {
        type: "calendar.appointment_cancelled",
        conversationId: cur.conversationId,
        actor: eventActor(actor),
        data: eventData(cur),
      });
    }
    return { ...cur, status: "cancelled" as const };
  });
}

// making a formatter costs far more than using one (a sequence times every step of every contact): one per zone
const fullClocks = new Map<string, Intl.DateTimeFormat>();
const dayClocks = new Map<string, Intl.DateTimeFormat>();
const clockOf = (cache: Map<string, Intl.DateTimeFormat>, locale: string, tz: string, withSeconds: boolean) => {
  let f = cache.get(tz);
  if (!f)
    cache.set(
      tz,
      (f = new Intl.DateTimeFormat(locale, {
        timeZone: tz,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        ...(withSeconds ? { second: "2-digit" } : {}),
        hourCycle: "h23",
      })),
    );
  return f;
};

/** Milliseconds of the offset of `tz` from UTC at instant `at`. */
function offsetAt(tz: string, at: number) {
  const p = Object.fromEntries(
    clockOf(fullClocks, "en-US", tz, true)
      .formatToParts(new Date(at))
      .map((x) => [x.type, x.value]),
  );
  return (
    Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) -
    Math.floor(at / 1000) * 1000
  );
}

/** The instant of a wall-clock date and time ("2026-11-26", "10:30") in the business's time zone. */
export function zonedTime(tz: string, date: string, time: string) {
  const [y, m, d] = date.split("-").map(Number),
    [hh, mm] = time.split(":").map(Number);
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  let at = guess - offsetAt(tz, guess);
  at = guess - offsetAt(tz, at);
  return at;
}

/** "2026-11-26" and "10:30" of an instant, in the business's time zone. */
export function localParts(tz: string, at: number) {
  const p = Object.fromEntries(
    clockOf(dayClocks, "en-CA", tz, false)
      .formatToParts(new Date(at))
      .map((x) => [x.type, x.value]),
  );
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

const dateStr = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
  .refine((s) => !Number.isNaN(Date.parse(s)), "not a real date");
const timeStr = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time as HH:MM");

async function businessOrFail(ctx: Ctx): Promise<Business> {
  const b = await getBusiness(ctx);
  if (!b) throw new AppError(422, "business_not_set_up", "The business hours are not set up yet");
  return b;
}

/** The free slots of a day ("HH:MM", local time), from the business hours, the slot length and the bookings. */
export async function availableSlots(ctx: Ctx, date: string) {
  const day = dateStr.parse(date);
  const b = await businessOrFail(ctx);
  const { slotMinutes } = await getCalendarSettings(ctx);
  const wd = weekdays[(new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7];
  const h = b.hours[wd];
  if (!h?.open) return { date: day, open: false, slots: [] as string[] };
  const start = zonedTime(b.timezone, day, h.from),
    end = zonedTime(b.timezone, day, h.to);
  const booked = await ctx.db
    .select({ s: appointments.startsAt, e: appointments.endsAt })
    .from(appointments)
    .where(and(eq(appointments.status, "booked"), lt(appointments.startsAt, end), gt(appointments.endsAt, start)));
  const now = ctx.clock.now(),
    step = slotMinutes * 60_000,
    slots: string[] = [];
  for (let t = start; t + step <= end; t += step) {
    if (t <= now) continue;
    if (booked.some((x) => x.s < t + step && x.e > t)) continue;
    slots.push(localParts(b.timezone, t).time);
  }
  return { date: day, open: true, slots };
}

export const bookingInput = z.strictObject({
  date: dateStr,
  time: timeStr,
  service: z.string().trim().max(100).default(""),
  notes: z.string().max(1000).default(""),
  contactId: idRef.nullable().default(null),
  conversationId: idRef.nullable().default(null),
});

/** Why book() refuses a time that is not (or no longer) free: a customer is then offered the free ones. */
export const BOOKING_REFUSALS = new Set(["slot_taken", "outside_hours", "slot_in_past", "not_a_slot"]);

/** Books one slot; the check and the insert share a transaction, so two customers cannot take the same time. */
export async function book(ctx: Ctx, actor: Actor, input: z.input<typeof bookingInput>) {
  const x = bookingInput.parse(input);
  const b = await businessOrFail(ctx);
  const { slotMinutes } = await getCalendarSettings(ctx);
  x.service = await serviceName(ctx, x.service);
  const startsAt = zonedTime(b.timezone, x.date, x.time),
    endsAt = startsAt + slotMinutes * 60_000;
  if (startsAt <= ctx.clock.now())
    throw badRequest("slot_in_past", "That time has already passed", { date: x.date, time: x.time });
  const wd = weekdays[(new Date(`${x.date}T12:00:00Z`).getUTCDay() + 6) % 7];
  const h = b.hours[wd];
  if (!h?.open || startsAt < zonedTime(b.timezone, x.date, h.from) || endsAt > zonedTime(b.timezone, x.date, h.to))
    throw badRequest("outside_hours", "The business is closed at that time", { date: x.date, time: x.time, hours: h });
  // appointments start on the slots the calendar offers (every slot length from opening time), as the free times show
  if ((startsAt - zonedTime(b.timezone, x.date, h.from)) % (slotMinutes * 60_000) !== 0)
    throw badRequest("not_a_slot", `Appointments start every ${slotMinutes} minutes from ${h.from}`, {
      date: x.date,
      time: x.time,
      slotMinutes,
      from: h.from,
    });
  return ctx.database.write(async (tx, after) => {
    const clash = await tx
      .select({ id: appointments.id })
      .from(appointments)
      .where(
        and(eq(appointments.status, "booked"), lt(appointments.startsAt, endsAt), gt(appointments.endsAt, startsAt)),
      )
      .get();
    if (clash) throw new AppError(409, "slot_taken", "That time is already booked", { date: x.date, time: x.time });
    x.contactId = (await checkReferences(tx, actor, x)).contactId;
    const now = ctx.clock.now();
    const row: Appointment = {
      id: newId(now),
      contactId: x.contactId,
      conversationId: x.conversationId,
      service: x.service,
      startsAt,
      endsAt,
      status: "booked",
      notes: x.notes,
      createdAt: now,
    };
    await tx.insert(appointments).values(row);
    await ctx.events.record(tx, after, {
      type: "calendar.appointment_booked",
      conversationId: row.conversationId,
      actor: eventActor(actor),
      data: eventData(row),
    });
    return { ...row, date: x.date, time: x.time };
  });
}

/** Booked appointments an actor may see: an agent those of contacts with a conversation she can see. */
export async function listAppointments(ctx: Ctx, actor: Actor, opts: { from?: number; to?: number } = {}) {
  return ctx.db
    .select()
    .from(appointments)
    .where(
      and(
        eq(appointments.status, "booked"),
        contactVisibleWhere(actor, appointments.contactId),
        opts.from ? gt(appointments.startsAt, opts.from - 1) : undefined,
        opts.to ? lt(appointments.startsAt, opts.to) : undefined,
      ),
    )
    .orderBy(asc(appointments.startsAt))
    .limit(500);
}
