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
