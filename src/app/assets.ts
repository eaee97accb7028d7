import type { Context } from "hono";
import type { Assets } from "../../ui/build-assets.ts";

declare global {
  // Set by the compiled executable's entry (bin/build.ts) before the app loads.
  var __DIGYBOT_ASSETS__: Assets | undefined;
}

let cached: Promise<Assets> | null = null;

/** The browser assets: embedded in the executable, or bundled once per process when running from source. */
export function loadAssets(): Promise<Assets> {
  if (globalThis.__DIGYBOT_ASSETS__) return Promise.resolve(globalThis.__DIGYBOT_ASSETS__);
  cached ??= import("../../ui/build-assets.ts").then((m) => m.buildAssets());
  return cached;
}

const gzipped = new WeakMap<object, Uint8Array>();

/** Sends an asset, gzip-compressed (once, then kept) when the browser accepts it. */
export function sendAsset(c: Context, a: Assets[string], headers: Record<string, string>) {
  const h: Record<string, string> = { "content-type": a.type, vary: "Accept-Encoding", ...headers };
  if (!/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) return c.body(a.body, 200, h);
  let gz = gzipped.get(a);
  if (!gz) gzipped.set(a, (gz = Bun.gzipSync(a.body, { level: 9 })));
  return c.body(gz as Uint8Array<ArrayBuffer>, 200, { ...h, "content-encoding": "gzip" });
}
