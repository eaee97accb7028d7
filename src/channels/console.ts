import { AppError } from "../platform/errors.ts";
import type { Ctx } from "../platform/context.ts";
import { renderFragment } from "../../ui/components/html.ts";
import { ChannelsSettings, QrStatusView } from "../../ui/pages/channels/settings.ts";
import * as auth from "../auth/service.ts";
import * as channels from "./service.ts";
import * as cloud from "./whatsapp-cloud/service.ts";
import * as qr from "./whatsapp-qr/service.ts";

/** A QR number's state for the console, with the QR drawn as SVG. */
async function qrNumberView(ctx: Ctx, channelId: string) {
  const s = qr.qrStatus(ctx, channelId);
  const qrSvg = s.qr ? await (await import("qrcode")).toString(s.qr, { type: "svg", margin: 1, width: 264 }) : null;
  return { state: s.state, qrSvg, pairingCode: s.pairingCode, lastError: s.lastError, me: s.me, since: s.since };
}
import {
  type ConsoleModule,
  type C,
  user,
  T,
  csrf,
  pid,
  str,
  arr,
  adminOnly,
  settingsPage,
  act,
  publicUrl,
} from "../app/console.ts";

/** The channels settings: connections, web chat options, WhatsApp QR pairing and Cloud API templates. */
export const channelsConsole: ConsoleModule = (app) => {
  const channelsView = async (c: C) => {
    const ctx = c.get("ctx");
    const list = await Promise.all(
      (await channels.listChannels(ctx)).map(async (ch) => ({
        ...channels.publicChannel(ch),
        stats: ch.type === "webchat" ? undefined : await channels.channelStats(ctx, ch.id),
        templates: ch.type === cloud.CLOUD ? await cloud.listTemplates(ctx, user(c), ch.id) : undefined,
        qr: ch.type === qr.QR ? await qrNumberView(ctx, ch.id) : undefined,
      })),
    );
    return ChannelsSettings({
      t: T(c),
      csrf: csrf(c),
      baseUrl: publicUrl(c),
      locale: user(c).locale,
      channels: list,
      departments: await auth.listDepartments(ctx),
    });
  };
  const cloudConfigOf = (f: Record<string, unknown>) => ({
    phoneNumberId: str(f.phoneNumberId),
    wabaId: str(f.wabaId),
    accessToken: str(f.accessToken),
    appSecret: str(f.appSecret),
    verifyToken: str(f.verifyToken),
    ratePerSecond: Number(str(f.ratePerSecond)) || 80,
  });
  app.get("/settings/channels", async (c) => settingsPage(c, "channels", await channelsView(c)));
  app.post(
    "/settings/channels",
    act("channels", channelsView, (c, f) =>
      str(f.type) === cloud.CLOUD
        ? channels.createChannel(c.get("ctx"), user(c), {
            type: cloud.CLOUD,
            name: str(f.name),
            config: cloudConfigOf(f),
          })
        : str(f.type) === qr.QR
          ? channels.createChannel(c.get("ctx"), user(c), { type: qr.QR, name: str(f.name), config: {} })
          : channels.createChannel(c.get("ctx"), user(c), { type: "webchat", name: str(f.name), config: {} }),
    ),
  );
  app.post(
    "/settings/channels/:id",
    act("channels", channelsView, async (c, f) => {
      if (f.preChat === "on" && !arr(f.preChatFields).length)
        throw new AppError(400, "prechat_fields_required", "Pick at least one detail to ask before the chat", {
          field: "preChatFields",
        });
      const ctx = c.get("ctx");
      const cur = await channels.getChannel(ctx, pid(c));
      if (!cur) throw new AppError(404, "not_found", "Channel not found");
      const config =
        cur.type === "webchat"
          ? {
              title: str(f.title),
              greeting: str(f.greeting),
              offlineMessage: str(f.offlineMessage),
              color: str(f.color) || "#0f766e",
              preChat: {
                enabled: f.preChat === "on",
                fields: (["name", "email", "phone"] as const).filter((x) => arr(f.preChatFields).includes(x)),
                required: f.preChatRequired === "on",
              },
              locale: (["business", "es", "en", "auto"] as const).find((l) => l === f.widgetLocale) ?? "business",
              allowedOrigins: str(f.allowedOrigins)
                .split(/\s+/)
                .map((s) => s.trim().replace(/\/$/, ""))
                .filter(Boolean),
            }
          : cur.type === cloud.CLOUD
            ? cloudConfigOf(f)
            : undefined;
      await channels.updateChannel(ctx, user(c), cur.id, {
        name: str(f.name) || cur.name,
        departmentId: str(f.departmentId) || null,
        active: f.active === "on",
        ...(config ? { config } : {}),
      });
    }),
  );
  app.post(
    "/settings/channels/:id/delete",
    act("channels", channelsView, (c) => channels.deleteChannel(c.get("ctx"), user(c), pid(c))),
  );
  app.post(
    "/settings/channels/:id/pair",
    act("channels", channelsView, (c) => qr.startPairing(c.get("ctx"), user(c), pid(c))),
  );
  app.post(
    "/settings/channels/:id/pair-code",
    act("channels", channelsView, (c, f) => qr.pairWithPhone(c.get("ctx"), user(c), pid(c), str(f.phone))),
  );
  app.post(
    "/settings/channels/:id/logout",
    act("channels", channelsView, (c) => qr.logoutNumber(c.get("ctx"), user(c), pid(c))),
  );
  app.get("/partials/channel-qr/:id", async (c) => {
    const u = user(c);
    adminOnly(c);
    return c.html(
      renderFragment(
        QrStatusView({
          t: T(c),
          csrf: csrf(c),
          channelId: pid(c),
          s: await qrNumberView(c.get("ctx"), pid(c)),
          locale: u.locale,
        }),
      ),
    );
  });
  app.post(
    "/settings/channels/:id/templates/sync",
    act("channels", channelsView, (c) => cloud.syncTemplates(c.get("ctx"), user(c), pid(c))),
  );
};
