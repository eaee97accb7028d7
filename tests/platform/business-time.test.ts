// Business time (SLA clocks): hand-computed instants for a CDMX shop (Mon–Fri 9–18, Sat 9–14, Sun closed), with a
// holiday, overnight hours and a daylight-saving change.
import { test, expect } from "bun:test";
import { addBusinessTime, businessTimeBetween, zonedToUtc } from "../../src/setup/business-time.ts";
import { defaultHours, isOpenAt } from "../../src/setup/service.ts";

const shop = {
  timezone: "America/Mexico_City",
  hours: defaultHours(),
  holidays: [] as { date: string; name: string }[],
};
const min = 60_000;

test("two business hours from Friday 17:00 end Saturday 10:00 (Mexico City is UTC−6)", () => {
  const fri17 = Date.UTC(2026, 11, 4, 23, 0); // 2026-12-04 17:00 local
  expect(addBusinessTime(shop, fri17, 120 * min)).toBe(Date.UTC(2026, 11, 5, 16, 0)); // Sat 10:00 local
  // 1 h on Friday and 5 h on Saturday (closes at 14:00) make 6 h; Sunday is closed: 7 h → Monday 10:00
  expect(addBusinessTime(shop, fri17, 6 * 60 * min)).toBe(Date.UTC(2026, 11, 5, 20, 0)); // Sat 14:00 local
  expect(addBusinessTime(shop, fri17, 7 * 60 * min)).toBe(Date.UTC(2026, 11, 7, 16, 0));
  // outside hours the clock starts at the next opening: Sunday noon + 30 min → Monday 9:30
  expect(addBusinessTime(shop, Date.UTC(2026, 11, 6, 18, 0), 30 * min)).toBe(Date.UTC(2026, 11, 7, 15, 30));
});

test("a holiday is skipped, and the business reads as closed on it", () => {
  const cal = { ...shop, holidays: [{ date: "2026-12-05", name: "Día de la empresa" }] };
  const fri17 = Date.UTC(2026, 11, 4, 23, 0);
  expect(addBusinessTime(cal, fri17, 120 * min)).toBe(Date.UTC(2026, 11, 7, 16, 0)); // Monday 10:00
  expect(isOpenAt(cal, Date.UTC(2026, 11, 5, 17, 0))).toBe(false); // Saturday 11:00, a holiday
  expect(isOpenAt(shop, Date.UTC(2026, 11, 5, 17, 0))).toBe(true);
});

test("business time between two instants counts only open hours", () => {
  // Friday 17:00 → Monday 10:00: 1 h Friday + 5 h Saturday + 1 h Monday = 7 h
  expect(businessTimeBetween(shop, Date.UTC(2026, 11, 4, 23, 0), Date.UTC(2026, 11, 7, 16, 0))).toBe(7 * 60 * min);
  expect(businessTimeBetween(shop, Date.UTC(2026, 11, 6, 12, 0), Date.UTC(2026, 11, 6, 20, 0))).toBe(0); // Sunday
});

test("overnight hours and a daylight-saving change", () => {
  const bar = {
    timezone: "Europe/Madrid",
    hours: Object.fromEntries(
      ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, { open: true, from: "20:00", to: "02:00" }]),
    ) as ReturnType<typeof defaultHours>,
  };
  // Saturday 2026-03-28 23:00 CET (22:00Z) + 4 h: 23–24 and 0–2 on Sunday (the clocks jump at 2:00), then 20:00
  // Sunday CEST (18:00Z) + 1 h → 19:00Z
  expect(addBusinessTime(bar, Date.UTC(2026, 2, 28, 22, 0), 4 * 60 * min)).toBe(Date.UTC(2026, 2, 29, 19, 0));
  expect(zonedToUtc("Europe/Madrid", 2026, 3, 29, 9, 0)).toBe(Date.UTC(2026, 2, 29, 7, 0));
  expect(zonedToUtc("Europe/Madrid", 2026, 3, 28, 9, 0)).toBe(Date.UTC(2026, 2, 28, 8, 0));
});

test("a calendar with no open hour gives no due time", () => {
  const closed = {
    ...shop,
    hours: Object.fromEntries(Object.entries(defaultHours()).map(([d, h]) => [d, { ...h, open: false }])) as ReturnType<
      typeof defaultHours
    >,
  };
  expect(addBusinessTime(closed, Date.UTC(2026, 11, 4), 60 * min)).toBeNull();
});
