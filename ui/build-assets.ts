import { join } from "node:path";

export type Assets = Record<string, { body: string; type: string }>;

/**
 * Bundles the client islands (console.js, widget.js, whose stylesheet it imports as text) and minifies the console's
 * stylesheet (styles/console.css); used at build time, when the executable embeds the result, and when run from source.
 */
export async function buildAssets(): Promise<Assets> {
  const js = await Bun.build({
    entrypoints: [
      "client/console.ts",
      "client/widget.ts",
      "client/sw.ts",
      "client/flows.ts",
      "client/board.ts",
      "client/print.ts",
      "client/courier.ts",
    ].map((f) => join(import.meta.dir, f)),
    target: "browser",
    minify: true,
    // each bundle in its own scope: widget.js runs on the business's website, where top-level names would become
    // the page's globals (and overwrite its own `$` or `_`); console.js shares the console's pages with flows.js
    format: "iife",
  });
  const css = await Bun.build({ entrypoints: [join(import.meta.dir, "styles/console.css")], minify: true });
  for (const r of [js, css]) if (!r.success) throw new Error(`asset build failed: ${r.logs.map(String).join("\n")}`);
  const assets: Assets = {
    "console.css": { body: await css.outputs[0].text(), type: "text/css; charset=utf-8" },
    "icon.svg": { body: await Bun.file(join(import.meta.dir, "styles/icon.svg")).text(), type: "image/svg+xml" },
  };
  for (const o of js.outputs) {
    const name = o.path.split("/").pop()!;
    assets[name.replace(/-[a-z0-9]+\.js$/, ".js")] = { body: await o.text(), type: "text/javascript; charset=utf-8" };
  }
  return assets;
}
