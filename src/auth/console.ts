import { deleteCookie } from "hono/cookie";
import { AppError } from "../platform/errors.ts";
import { clientIp, formBody } from "../app/http.ts";
import { translator, type Locale } from "../../ui/i18n/index.ts";
import { renderPage } from "../../ui/components/html.ts";
import { LoginPage } from "../../ui/pages/auth/login.ts";
import {
  ApiKeysSettings,
  AssignmentRules,
  LoginHistory,
  ProfilePage,
  UsersSettings,
} from "../../ui/pages/auth/team.ts";
import { ROLES, type Role } from "../platform/context.ts";
import { SimpleListSettings } from "../../ui/components/settings.ts";
import * as auth from "./service.ts";
import { SESSION_COOKIE, formToken, checkFormToken } from "./middleware.ts";
import { getBusiness } from "../setup/service.ts";
import * as inbox from "../inbox/service.ts";
import { listAgents } from "../agents/index.ts";
import {
  type ConsoleModule,
  type C,
  user,
  T,
  csrf,
  pid,
  str,
  arr,
  count,
  page,
  errText,
  startSession,
  settingsPage,
  act,
} from "../app/console.ts";

/** A role from a form: one of the three, else agent (the least). */
const roleOf = (v: unknown): Role => ROLES.find((r) => r === v) ?? "agent";
/** An optional whole number from a form: empty is null (no limit, no rule); anything else is checked by the service. */
const optionalInt = (v: unknown) => (str(v).trim() === "" ? null : Number(str(v)));

/** Signing in and out, one's profile, and the team settings: people, departments, API keys, sign-in history. */
export const authConsole: ConsoleModule = (app) => {
  app.get("/login", async (c) => {
    const ctx = c.get("ctx");
    if ((await auth.countUsers(ctx)) === 0) return c.redirect("/setup");
    const locale = ((await getBusiness(ctx))?.locale ?? ctx.config.default_locale) as Locale;
    return c.html(renderPage(LoginPage({ t: translator(locale), locale, csrf: formToken(c) })));
  });
  app.post("/login", async (c) => {
    const ctx = c.get("ctx");
    const f = await formBody(c);
    const locale = ((await getBusiness(ctx))?.locale ?? ctx.config.default_locale) as Locale;
    const t = translator(locale);
    try {
      checkFormToken(c, f);
      const s = await auth.login(ctx, {
        email: String(f.email ?? ""),
        password: String(f.password ?? ""),
        ip: clientIp(c),
        userAgent: c.req.header("user-agent"),
      });
      startSession(c, s.token);
      return c.redirect("/inbox");
    } catch (e) {
      const status = e instanceof AppError ? e.status : 500;
      if (e instanceof AppError && e.retryAfter) c.header("retry-after", String(e.retryAfter));
      return c.html(
        renderPage(LoginPage({ t, locale, error: errText(e, t), email: String(f.email ?? ""), csrf: formToken(c) })),
        status as 401,
      );
    }
  });
  app.post("/logout", async (c) => {
    await auth.logout(c.get("ctx"), c.get("sessionToken") ?? undefined);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/login");
  });

  app.get("/profile", (c) => {
    const u = user(c);
    const t = translator(u.locale);
    return page(
      c,
      t("nav.profile"),
      "profile",
      ProfilePage({
        t,
        csrf: c.get("csrf")!,
        user: u,
        flash: c.req.query("saved") ? t("settings.saved") : undefined,
      }),
    );
  });
  app.post("/profile", async (c) => {
    const u = user(c);
    const f = await formBody(c);
    try {
      await auth.updateUser(c.get("ctx"), u, u.id, {
        name: String(f.name ?? u.name),
        locale: f.locale === "en" ? "en" : "es",
        ...(f.password ? { password: String(f.password), currentPassword: String(f.currentPassword ?? "") } : {}),
      });
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500) throw e;
      const t = translator(u.locale);
      if (e.retryAfter) c.header("retry-after", String(e.retryAfter));
      return page(
        c,
        t("nav.profile"),
        "profile",
        ProfilePage({
          t,
          csrf: c.get("csrf")!,
          user: { name: String(f.name || u.name), locale: u.locale },
          error: errText(e, t),
        }),
        e.status,
      );
    }
    if (f.password) return c.redirect("/login");
    return c.redirect("/profile?saved=1");
  });

  const usersView = async (c: C) =>
    UsersSettings({
      t: T(c),
      csrf: csrf(c),
      locale: user(c).locale,
      users: await auth.listUsers(c.get("ctx")),
      departments: await auth.listDepartments(c.get("ctx")),
    });
  app.get("/settings/users", async (c) => settingsPage(c, "users", await usersView(c)));
  app.post(
    "/settings/users",
    act("users", usersView, (c, f) =>
      auth.createUser(c.get("ctx"), {
        name: str(f.name),
        email: str(f.email),
        password: str(f.password),
        role: roleOf(f.role),
        departmentIds: arr(f.departmentIds),
        capacity: optionalInt(f.capacity),
      }),
    ),
  );
  app.post(
    "/settings/users/:id/unlock",
    act("users", usersView, (c) => auth.unlockLogin(c.get("ctx"), user(c), pid(c))),
  );
  // an administrator renames a person or sets a new password for them (their sessions end); her own password
  // is changed on her profile, with the current one
  app.post(
    "/settings/users/:id/profile",
    act("users", usersView, (c, f) =>
      auth.updateUser(c.get("ctx"), user(c), pid(c), {
        name: str(f.name),
        ...(str(f.password) ? { password: str(f.password) } : {}),
      }),
    ),
  );
  app.post(
    "/settings/users/:id",
    act("users", usersView, (c, f) =>
      auth.updateUser(c.get("ctx"), user(c), pid(c), {
        role: roleOf(f.role),
        departmentIds: arr(f.departmentIds),
        active: str(f.active) !== "0",
        ...(f.capacity !== undefined ? { capacity: optionalInt(f.capacity) } : {}),
      }),
    ),
  );

  const deptView = async (c: C) => {
    const u = await inbox.usageCounts(c.get("ctx"));
    const all = await auth.listDepartments(c.get("ctx"));
    const ais = (await listAgents(c.get("ctx"))).map((a) => ({ id: a.id, name: a.name }));
    return SimpleListSettings({
      t: T(c),
      csrf: csrf(c),
      title: T(c)("settings.departments"),
      rows: all,
      cols: [
        { key: "name", label: T(c)("common.name") },
        { key: "description", label: T(c)("common.description") },
        { key: "members", label: T(c)("departments.members") },
        {
          key: "assignment",
          label: T(c)("departments.assignment"),
          render: (r) => AssignmentRules({ t: T(c), csrf: csrf(c), d: r as never, departments: all, agents: ais }),
        },
      ],
      createAction: "/settings/departments",
      deleteBase: "/settings/departments",
      fields: [{ name: "name", label: T(c)("common.name") }],
      empty: T(c)("departments.empty"),
      editFields: (r) => [{ name: "name", label: T(c)("common.name"), value: String(r.name) }],
      confirmOf: (r) =>
        T(c)("departments.deleteConfirm", {
          name: String(r.name),
          conversations: count(c, "count.conversations", u.departmentConversations.get(String(r.id)) ?? 0),
          channels: count(c, "count.channels", u.departmentChannels.get(String(r.id)) ?? 0),
          people: count(c, "count.people", Number(r.members ?? 0)),
        }),
    });
  };
  app.get("/settings/departments", async (c) => settingsPage(c, "departments", await deptView(c)));
  app.post(
    "/settings/departments",
    act("departments", deptView, (c, f) => auth.createDepartment(c.get("ctx"), user(c), { name: str(f.name) })),
  );
  app.post(
    "/settings/departments/:id/delete",
    act("departments", deptView, (c) => auth.deleteDepartment(c.get("ctx"), user(c), pid(c))),
  );
  app.post(
    "/settings/departments/:id/assignment",
    act("departments", deptView, (c, f) =>
      auth.updateDepartment(c.get("ctx"), user(c), pid(c), {
        assignment: str(f.assignment) as never,
        stickyHours: optionalInt(f.stickyHours),
        reassignAfterMinutes: optionalInt(f.reassignAfterMinutes),
        reassignOnOffline: str(f.reassignOnOffline) === "1",
        overflowAfterMinutes: optionalInt(f.overflowAfterMinutes),
        overflowAction: (str(f.overflowAction) || null) as never,
        // a target only where the action takes one (a ticket needs none, and a stale choice is not kept)
        overflowTargetId: ["department", "agent"].includes(str(f.overflowAction))
          ? str(f.overflowTargetId) || null
          : null,
      }),
    ),
  );
  app.post(
    "/settings/departments/:id",
    act("departments", deptView, (c, f) => auth.updateDepartment(c.get("ctx"), user(c), pid(c), { name: str(f.name) })),
  );

  app.get("/settings/api-keys", async (c) =>
    settingsPage(
      c,
      "api-keys",
      ApiKeysSettings({ t: T(c), csrf: csrf(c), locale: user(c).locale, keys: await auth.listApiKeys(c.get("ctx")) }),
    ),
  );
  app.post("/settings/api-keys", async (c) => {
    const f = await formBody(c);
    const k = await auth.createApiKey(c.get("ctx"), user(c), {
      name: str(f.name),
      scope: (["read", "inbox", "admin"] as const).find((x) => x === f.scope) ?? "read",
    });
    return settingsPage(
      c,
      "api-keys",
      ApiKeysSettings({
        t: T(c),
        csrf: csrf(c),
        locale: user(c).locale,
        keys: await auth.listApiKeys(c.get("ctx")),
        created: { key: k.key, scope: k.scope },
      }),
    );
  });
  app.post(
    "/settings/api-keys/:id/delete",
    act(
      "api-keys",
      async () => null,
      (c) => auth.revokeApiKey(c.get("ctx"), user(c), pid(c)),
    ),
  );
  app.get("/settings/login-history", async (c) =>
    settingsPage(
      c,
      "login-history",
      LoginHistory({ t: T(c), locale: user(c).locale, rows: await auth.loginHistory(c.get("ctx"), 200) }),
    ),
  );
};
