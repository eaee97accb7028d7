import { z } from "zod";
import { AppError, badRequest } from "../platform/errors.ts";
import { clientIp, formBody } from "../app/http.ts";
import { translator, type Locale } from "../../ui/i18n/index.ts";
import { renderPage } from "../../ui/components/html.ts";
import { SetupPage, type SetupValues } from "../../ui/pages/auth/login.ts";
import { BusinessSettings } from "../../ui/pages/setup/business.ts";
import * as auth from "../auth/service.ts";
import { formToken, checkFormToken } from "../auth/middleware.ts";
import { businessSchema, getBusiness, weekdays, putSetting, defaultHours, type Business } from "./service.ts";
import { completeSetup } from "./complete.ts";
import { dismissOnboarding } from "./onboarding.ts";

function hoursFromForm(f: Record<string, unknown>) {
  return Object.fromEntries(
    weekdays.map((d) => [
      d,
      { open: f[`open_${d}`] === "on", from: String(f[`from_${d}`] || "09:00"), to: String(f[`to_${d}`] || "18:00") },
    ]),
  );
}
import {
  type ConsoleModule,
  type C,
  T,
  csrf,
  str,
  timezones,
  adminOnly,
  errText,
  startSession,
  settingsPage,
  act,
} from "../app/console.ts";

/**
 * Holidays as the form writes them, one per line: "2026-12-25 Navidad". A line that does not start with a date is
 * refused, naming it (badRequest holiday_line), and nothing is saved.
 */
function holidaysFromForm(text: string) {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l, i) => {
      const m = /^(\d{4}-\d{2}-\d{2})\s*(.*)$/.exec(l);
      if (!m || Number.isNaN(Date.parse(m[1]!)))
        throw badRequest("holiday_line", "A holiday line must start with its date (YYYY-MM-DD)", {
          line: i + 1,
          text: l.slice(0, 60),
        });
      return { date: m[1]!, name: m[2]!.slice(0, 80) };
    });
}

/** The first-run wizard, the onboarding checklist, and the business's own settings. */
export const setupConsole: ConsoleModule = (app) => {
  app.get("/setup", async (c) => {
    const ctx = c.get("ctx");
    if ((await auth.countUsers(ctx)) > 0) return c.redirect("/login");
    const locale = ctx.config.default_locale;
    return c.html(
      renderPage(SetupPage({ t: translator(locale), locale, values: {}, timezones: timezones(), csrf: formToken(c) })),
    );
  });
  app.post("/setup", async (c) => {
    const ctx = c.get("ctx");
    if ((await auth.countUsers(ctx)) > 0) throw new AppError(409, "setup_done", "Setup was already completed");
    const f = await formBody(c);
    const values: SetupValues = {
      name: String(f.name ?? ""),
      description: String(f.description ?? ""),
      location: String(f.location ?? ""),
      country: String(f.country ?? "").toUpperCase(),
      timezone: String(f.timezone ?? ""),
      locale: String(f.locale ?? "es"),
      departments: String(f.departments ?? ""),
      adminName: String(f.adminName ?? ""),
      email: String(f.email ?? ""),
      hours: hoursFromForm(f),
    };
    const locale = (values.locale === "en" ? "en" : "es") as Locale;
    const t = translator(locale);
    try {
      checkFormToken(c, f);
      await completeSetup(ctx, {
        business: {
          name: values.name!,
          description: values.description,
          location: values.location,
          country: values.country,
          timezone: values.timezone!,
          hours: values.hours as never,
          locale,
        },
        departments: values
          .departments!.split(/\r?\n/)
          .map((s) => s.trim())
          .filter(Boolean),
        admin: { name: values.adminName!, email: values.email!, password: String(f.password ?? "") },
      });
      const s = await auth.login(ctx, {
        email: values.email!,
        password: String(f.password ?? ""),
        ip: clientIp(c),
        userAgent: c.req.header("user-agent"),
      });
      startSession(c, s.token);
      return c.redirect("/inbox");
    } catch (e) {
      const detail = e instanceof z.ZodError ? e.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") : "";
      return c.html(
        renderPage(
          SetupPage({
            t,
            locale,
            values,
            error: `${errText(e, t)} ${detail}`.trim(),
            timezones: timezones(),
            csrf: formToken(c),
          }),
        ),
        e instanceof AppError && e.status === 403 ? 403 : 400,
      );
    }
  });

  app.post("/onboarding/dismiss", async (c) => {
    adminOnly(c);
    await dismissOnboarding(c.get("ctx"));
    return c.redirect("/inbox");
  });
  const businessView = async (c: C) =>
    BusinessSettings({
      t: T(c),
      csrf: csrf(c),
      b: (await getBusiness(c.get("ctx"))) ?? {
        name: "",
        description: "",
        location: "",
        country: "MX",
        timezone: "America/Mexico_City",
        locale: "es",
        hours: defaultHours(),
        holidays: [],
      },
      timezones: timezones(),
    });
  app.get("/settings/business", async (c) => settingsPage(c, "business", await businessView(c)));
  app.post(
    "/settings/business",
    act("business", businessView, async (c, f) => {
      const ctx = c.get("ctx");
      const b: Business = businessSchema.parse({
        name: str(f.name),
        description: str(f.description),
        location: str(f.location),
        country: str(f.country).toUpperCase(),
        timezone: str(f.timezone),
        locale: str(f.locale) || "es",
        hours: hoursFromForm(f),
        holidays: holidaysFromForm(str(f.holidays)),
      });
      await ctx.database.write((tx) => putSetting(tx, "business", b, ctx.clock.now()));
    }),
  );
};
