// What makes the console an installable app: the web app manifest, the service worker at the root scope, and the
// page it shows without a connection (in the business's language). None of these needs a session.
import type { Hono } from "hono";
import type { Env } from "./http.ts";
import { loadAssets, sendAsset } from "./assets.ts";
import { renderPage } from "../../ui/components/html.ts";
import { OfflinePage } from "../../ui/pages/notifications/notifications.ts";
import { translator, type Locale } from "../../ui/i18n/index.ts";
import { getBusiness } from "../setup/service.ts";

export function pwaRoutes(app: Hono<Env>) {
  const locale = async (c: { get(k: "ctx"): Env["Variables"]["ctx"] }) => {
    const ctx = c.get("ctx");
    return ((await getBusiness(ctx))?.locale ?? ctx.config.default_locale) as Locale;
  };
  app.get("/manifest.webmanifest", async (c) => {
    const l = await locale(c);
    const name = (await getBusiness(c.get("ctx")))?.name;
    return c.json(
      {
        name: name ? `DigyBot · ${name}` : "DigyBot",
        short_name: "DigyBot",
        description: translator(l)("notify.intro"),
        lang: l,
        start_url: "/inbox",
        scope: "/",
        display: "standalone",
        background_color: "#f8fafc",
        theme_color: "#0f766e",
        icons: [
          { src: "/assets/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" },
          { src: "/assets/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "maskable" },
        ],
      },
      200,
      { "content-type": "application/manifest+json; charset=utf-8", "cache-control": "no-cache" },
    );
  });
  app.get("/sw.js", async (c) => {
    const a = (await loadAssets())["sw.js"];
    return sendAsset(c, a, { "cache-control": "no-cache", "service-worker-allowed": "/" });
  });
  app.get("/offline", async (c) => {
    const l = await locale(c);
    return c.html(renderPage(OfflinePage({ t: translator(l), locale: l })));
  });
}
