import { join } from "node:path";
import { consoleCss } from "./styles.ts";

export type Assets = Record<string, { body: string; type: string }>;

/** Bundles the client islands (console.js, widget.js) for browsers; used at build time and when run from source. */
export async function buildAssets(): Promise<Assets> {
  const r = await Bun.build({ entrypoints: [join(import.meta.dir, "client/console.ts"), join(import.meta.dir, "client/widget.ts")], target: "browser", minify: true, format: "esm" });
  if (!r.success) throw new Error(`asset build failed: ${r.logs.map(String).join("\n")}`);
  const assets: Assets = { "console.css": { body: consoleCss, type: "text/css; charset=utf-8" } };
  for (const o of r.outputs) {
    const name = o.path.split("/").pop()!;
    assets[name.replace(/-[a-z0-9]+\.js$/, ".js")] = { body: await o.text(), type: "text/javascript; charset=utf-8" };
  }
  return assets;
}
