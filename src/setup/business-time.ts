// Business time: what SLA clocks count (manual 2.7) — only the hours the business is open, in its own time zone,
// skipping its holidays. Days are walked one at a time (a week of business hours is a handful of steps), each
// turned into its open intervals in UTC, so a daylight-saving change falls where the zone puts it.
import type { Business, Hours } from "./service.ts";
import { weekdays } from "./service.ts";

export type BusinessCalendar = Pick<Business, "hours" | "timezone"> & { holidays?: Business["holidays"] };

const partsFmt = new Map<string, Intl.DateTimeFormat>();
function wall(tz: string, at: number) {
  let f = partsFmt.get(tz);
  if (!f)
    partsFmt.set(
      tz,
      (f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
      })),
    );
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, x.value]));
  return {
    y: Number(p.year),
    m: Number(p.month),
    d: Number(p.day),
    h: Number(p.hour),
    min: Number(p.minute),
    s: Number(p.second),
  };
}

/** How far the zone's wall clock is ahead of UTC at `at`, in ms. */
function offset(tz: string, at: number) {
  const w = wall(tz, at);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s) - Math.floor(at / 1000) * 1000;
}

/** The UTC instant of a wall-clock time in a zone (a time skipped by a daylight-saving jump lands just after it). */
export function zonedToUtc(tz: string, y: number, m: number, d: number, hh: number, mm: number) {
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  const first = guess - offset(tz, guess);
  const second = guess - offset(tz, first);
  return Math.max(first, second);
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The open intervals [from, to) in UTC of one local calendar day (y-m-d), none on a holiday or a closed day. */
function openIntervals(cal: BusinessCalendar, y: number, m: number, d: number): [number, number][] {
  const date = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
  if (cal.holidays?.some((h) => h.date === date)) return [];
  // the weekday of a calendar date does not depend on the zone
  const wd = weekdays[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7]!;
  const day = (cal.hours as Hours)[wd];
  if (!day?.open) return [];
  const at = (min: number) => zonedToUtc(cal.timezone, y, m, d, Math.floor(min / 60), min % 60);
  const from = minutesOf(day.from);
  const to = minutesOf(day.to);
  const endOfDay = zonedToUtc(cal.timezone, y, m, d + 1, 0, 0);
  if (from < to) return [[at(from), at(to)]];
  if (from === to) return [[at(0), endOfDay]];
  // overnight hours (18:00–02:00): the small hours belong to the day they fall on
  return [
    [at(0), at(to)],
    [at(from), endOfDay],
  ];
}

/** The local calendar days from the one holding `at` onwards, as [y, m, d]. */
function* daysFrom(tz: string, at: number, max = 400) {
  const w = wall(tz, at);
  for (let i = 0; i < max; i++) {
    const t = new Date(Date.UTC(w.y, w.m - 1, w.d + i));
    yield [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()] as const;
  }
}

/**
 * The instant `ms` of business time after `start` (an SLA's due time). Null when the calendar has no open hour in
 * the next 400 days (every day closed).
 */
export function addBusinessTime(cal: BusinessCalendar, start: number, ms: number): number | null {
  let left = ms;
  for (const [y, m, d] of daysFrom(cal.timezone, start)) {
    for (const [a, b] of openIntervals(cal, y, m, d)) {
      if (b <= start) continue;
      const from = Math.max(a, start);
      if (left <= b - from) return from + left;
      left -= b - from;
    }
  }
  return null;
}

/** The business time between two instants (how much of an SLA a pause or a wait used). */
export function businessTimeBetween(cal: BusinessCalendar, from: number, to: number): number {
  if (to <= from) return 0;
  let sum = 0;
  for (const [y, m, d] of daysFrom(cal.timezone, from)) {
    for (const [a, b] of openIntervals(cal, y, m, d)) {
      if (a >= to) return sum;
      sum += Math.max(0, Math.min(b, to) - Math.max(a, from));
    }
  }
  return sum;
}
