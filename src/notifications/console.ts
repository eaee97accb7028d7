import { AppError } from "../platform/errors.ts";
import { formBody } from "../app/http.ts";
import { NotificationsPage } from "../../ui/pages/notifications/notifications.ts";
import { type ConsoleModule, type C, user, T, csrf, pid, page, count } from "../app/console.ts";
import * as push from "./service.ts";

const view = async (c: C, flash?: string) => {
  const ctx = c.get("ctx");
  const u = user(c);
  const t = T(c);
  const saved = c.req.query("saved") ? t("settings.saved") : undefined;
  const sent = /^\d+$/.test(c.req.query("tested") ?? "")
    ? t("notify.testSent", { count: count(c, "count.devices", Number(c.req.query("tested"))) })
    : undefined;
  return page(
    c,
    t("notify.title"),
    "notifications",
    NotificationsPage({
      t,
      csrf: csrf(c),
      locale: u.locale,
      vapidKey: await push.vapidPublicKey(ctx),
      prefs: await push.getPrefs(ctx, u.id),
      devices: await push.listDevices(ctx, u),
      flash: flash ?? saved ?? sent,
    }),
  );
};

/** A person's notifications: this device's push subscription, what to be told about, their devices. */
export const notificationsConsole: ConsoleModule = (app) => {
  app.get("/profile/notifications", (c) => view(c));
  app.post("/profile/notifications", async (c) => {
    const f = await formBody(c);
    await push.savePrefs(c.get("ctx"), user(c), Object.fromEntries(push.PREF_KEYS.map((k) => [k, f[k] === "1"])));
    return c.redirect("/profile/notifications?saved=1");
  });
  app.post("/profile/notifications/test", async (c) => {
    const ctx = c.get("ctx");
    const u = user(c);
    const t = T(c);
    const devices = await ctx.db.query.pushSubscriptions.findMany({ where: (s, { eq }) => eq(s.userId, u.id) });
    const r = await push.sendAll(
      ctx,
      devices.map((sub) => ({
        sub,
        payload: {
          title: t("notify.testTitle"),
          body: t("notify.testBody"),
          url: "/inbox",
          tag: "test",
          kind: "newMessage" as const,
        },
      })),
    );
    return c.redirect(`/profile/notifications?tested=${r.sent}`);
  });
  app.post("/profile/devices/:id/delete", async (c) => {
    await push.unsubscribe(c.get("ctx"), user(c), { id: pid(c) });
    return c.redirect("/profile/notifications");
  });
  // what the open console needs to alert (its sound), read once per page
  app.get("/push/prefs", async (c) => c.json(await push.getPrefs(c.get("ctx"), user(c).id)));
  // the client island, after PushManager.subscribe() (JSON, with the CSRF header)
  app.post("/push/subscriptions", async (c) => {
    const body = await c.req.json().catch(() => {
      throw new AppError(400, "invalid_json", "The body is not valid JSON");
    });
    const r = await push.subscribe(c.get("ctx"), user(c), body, c.req.header("user-agent"));
    return c.json(r, 201);
  });
  app.post("/push/unsubscribe", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { endpoint?: unknown };
    if (typeof body.endpoint !== "string" || !body.endpoint)
      throw new AppError(400, "validation_failed", "endpoint is required", { field: "endpoint" });
    await push.unsubscribe(c.get("ctx"), user(c), { endpoint: body.endpoint });
    return c.body(null, 204);
  });
};
