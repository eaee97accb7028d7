// The console's assets go out gzip-compressed to browsers that accept it, and as they are to those that do not.
import { test, expect, afterAll } from "bun:test";
import { makeTestApp } from "../support/app.ts";

const t = await makeTestApp();
afterAll(() => t.close());

test("assets, the widget and the service worker are sent gzip-compressed when accepted", async () => {
  for (const path of ["/assets/console.js", "/assets/console.css", "/widget.js", "/sw.js"]) {
    const plain = await t.app.request(path);
    expect(plain.headers.get("content-encoding")).toBeNull();
    const body = new Uint8Array(await plain.arrayBuffer());
    const gz = await t.app.request(path, { headers: { "accept-encoding": "gzip, deflate, br" } });
    expect([path, gz.headers.get("content-encoding"), gz.headers.get("vary")]).toEqual([
      path,
      "gzip",
      "Accept-Encoding",
    ]);
    const packed = new Uint8Array(await gz.arrayBuffer());
    expect(packed.length).toBeLessThan(body.length / 2);
    expect(Bun.gunzipSync(packed)).toEqual(body);
  }
});
