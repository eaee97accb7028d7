import * as CA from "../../ui/pages/calendar/calendar.ts";
import * as contacts from "../inbox/contacts.ts";
import { getBusiness } from "../setup/service.ts";
import * as calendar from "./service.ts";
import { type ConsoleModule, type C, user, T, csrf, pid, str, settingsPage, act } from "../app/console.ts";

/** The calendar settings: slot length, services, and the appointments ahead (what the agents' tools book). */
export const calendarConsole: ConsoleModule = (app) => {
  const calendarView = async (c: C) => {
    const ctx = c.get("ctx");
    const [cfg, b, list] = await Promise.all([
      calendar.getCalendarSettings(ctx),
      getBusiness(ctx),
      calendar.listAppointments(ctx, user(c), { from: ctx.clock.now() }),
    ]);
    const names = await contacts.contactNames(
      ctx,
      list.flatMap((a) => (a.contactId ? [a.contactId] : [])),
    );
    const tz = b?.timezone ?? "UTC";
    return CA.CalendarSettings({
      t: T(c),
      csrf: csrf(c),
      slotMinutes: cfg.slotMinutes,
      services: cfg.services,
      appointments: list.map((a) => ({
        id: a.id,
        ...calendar.localParts(tz, a.startsAt),
        service: a.service,
        notes: a.notes,
        contactName: a.contactId ? (names.get(a.contactId) ?? null) : null,
        conversationId: a.conversationId,
      })),
    });
  };
  app.get("/settings/calendar", async (c) => settingsPage(c, "calendar", await calendarView(c)));
  app.post(
    "/settings/calendar",
    act("calendar", calendarView, (c, f) =>
      calendar.saveCalendarSettings(c.get("ctx"), user(c), {
        slotMinutes: Number(str(f.slotMinutes)),
        services: str(f.services)
          .split(/\r?\n/)
          .map((x) => x.trim())
          .filter(Boolean),
      }),
    ),
  );
  app.post(
    "/settings/calendar/:id/cancel",
    act("calendar", calendarView, (c) => calendar.cancelAppointment(c.get("ctx"), user(c), pid(c))),
  );
};
