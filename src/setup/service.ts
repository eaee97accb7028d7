import { z } from "zod";
import { eq } from "drizzle-orm";
import { settings } from "../platform/schema.ts";
import type { Ctx } from "../platform/context.ts";
import type { Tx } from "../platform/db.ts";

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM");
export const dayHours = z.object({ open: z.boolean(), from: hhmm, to: hhmm });
export const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export const hoursSchema = z.object(
  Object.fromEntries(weekdays.map((d) => [d, dayHours])) as Record<(typeof weekdays)[number], typeof dayHours>,
);
export type Hours = z.infer<typeof hoursSchema>;

export const businessSchema = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000).default(""),
  location: z.string().max(300).default(""),
  /** ISO 3166 country code: the default for phone numbers written without +country */
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, "expected a two-letter country code such as MX")
    .default("MX"),
  timezone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "unknown time zone"),
  hours: hoursSchema,
  locale: z.enum(["es", "en"]).default("es"),
  /** days the business is closed whatever the weekday (SLA clocks and the open/closed condition skip them) */
  holidays: z
    .array(z.strictObject({ date: z.iso.date(), name: z.string().trim().max(80).default("") }))
    .max(366)
    .default([]),
});
export type Business = z.infer<typeof businessSchema>;

export const defaultHours = (): Hours =>
  Object.fromEntries(
    weekdays.map((d) => [d, { open: d !== "sun", from: "09:00", to: d === "sat" ? "14:00" : "18:00" }]),
  ) as Hours;

export async function getSetting<T>(ctx: Ctx, key: string): Promise<T | null> {
  const r = await ctx.db.select().from(settings).where(eq(settings.key, key)).get();
  return (r?.value as T) ?? null;
}

export async function putSetting(tx: Tx, key: string, value: unknown, now: number) {
  await tx
    .insert(settings)
    .values({ key, value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
}

export async function getBusiness(ctx: Ctx): Promise<Business | null> {
  return getSetting<Business>(ctx, "business");
}

/** The language the business speaks to its customers in (its setting, else the configured default). */
export async function businessLocale(ctx: Ctx): Promise<"es" | "en"> {
  return ((await getBusiness(ctx))?.locale as "es" | "en" | undefined) ?? ctx.config.default_locale;
}

/** The calendar date (YYYY-MM-DD) at `at` in a time zone. */
const dates = new Map<string, Intl.DateTimeFormat>();
export function localDate(timezone: string, at: number) {
  let f = dates.get(timezone);
  if (!f)
    dates.set(
      timezone,
      (f = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" })),
    );
  return f.format(new Date(at));
}

/** Whether the business is open at `at` in its own time zone, from its weekly hours and its holidays. */
// making a formatter costs far more than using one: one per time zone, kept
const clocks = new Map<string, Intl.DateTimeFormat>();
export function isOpenAt(
  b: Pick<Business, "hours" | "timezone"> & { holidays?: Business["holidays"] },
  at: number,
): boolean {
  if (b.holidays?.length && b.holidays.some((h) => h.date === localDate(b.timezone, at))) return false;
  let f = clocks.get(b.timezone);
  if (!f)
    clocks.set(
      b.timezone,
      (f = new Intl.DateTimeFormat("en-US", {
        timeZone: b.timezone,
        weekday: "short",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      })),
    );
  const parts = f.formatToParts(new Date(at));
  const wd = parts
    .find((p) => p.type === "weekday")!
    .value.toLowerCase()
    .slice(0, 3) as (typeof weekdays)[number];
  const hm = `${parts.find((p) => p.type === "hour")!.value}:${parts.find((p) => p.type === "minute")!.value}`;
  const d = b.hours[wd];
  if (!d?.open) return false;
  return d.from <= d.to ? hm >= d.from && hm < d.to : hm >= d.from || hm < d.to;
}
