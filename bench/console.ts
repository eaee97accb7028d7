#!/usr/bin/env bun
// bench/console: the console as a phone sees it. With 100k conversations / 1M messages, the inbox page with a
// conversation open is loaded 20 times in Chromium at 375×740 with the CPU slowed 4× (CDP
// Emulation.setCPUThrottlingRate) and the cache off, over loopback: first contentful paint, and the time until the
// list is interactive (the client island has bound every control: its "digybot:interactive" mark). Also the
// JavaScript and CSS the console ships, compressed. Run: bun bench/console.ts [--conversations N] [--loads 20]
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { rmSync } from "node:fs";
import { createContext, startServer } from "../src/app/app.ts";
import { createLogger } from "../src/platform/logger.ts";
import { loadAssets } from "../src/app/assets.ts";
import { launchBrowser } from "../tests/support/browser.ts";
import { pct, fmt, machine } from "./lib.ts";
import { seedInbox } from "./seed.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    conversations: { type: "string", default: "100000" },
    per: { type: "string", default: "10" },
    loads: { type: "string", default: "20" },
    throttle: { type: "string", default: "4" },
  },
});
const CONV = Number(values.conversations),
  PER = Number(values.per),
  LOADS = Number(values.loads),
  RATE = Number(values.throttle);

// what the console ships: its island and stylesheet (the widget is measured apart: it goes to customers)
const assets = await loadAssets();
const size = (name: string) => ({
  raw: assets[name].body.length,
  gz: gzipSync(assets[name].body, { level: 9 }).length,
});
const shipped = { js: size("console.js"), css: size("console.css"), sw: size("sw.js"), widget: size("widget.js") };

const { dir, config, seedSecs } = await seedInbox(CONV, PER);
const ctx = await createContext({ ...config, port: 0 }, { log: createLogger("silent") });
const running = await startServer(ctx);
const open = (
  await ctx.database.client.execute("select id from conversations where status = 'open' order by random() limit 1")
).rows[0].id;
const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, serviceWorkers: "block" });
  const page = await context.newPage();
  await page.goto(`${running.url}/login`);
  await page.fill("input[name=email]", "admin@bench.mx");
  await page.fill("input[name=password]", "bench-password");
  await page.click("button[type=submit]");
  await page.waitForURL(/\/inbox/);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: RATE });
  const fcp: number[] = [];
  const interactive: number[] = [];
  for (let i = 0; i < LOADS + 2; i++) {
    await page.goto(`${running.url}/inbox?status=any&c=${open}`, { waitUntil: "load" });
    await page.waitForFunction(() => performance.getEntriesByName("digybot:interactive").length > 0);
    const m = await page.evaluate(() => ({
      fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
      interactive: performance.getEntriesByName("digybot:interactive")[0].startTime,
      rows: document.querySelectorAll("#conv-list li[data-id]").length,
    }));
    if (!m.rows) throw new Error("the list is empty");
    if (i < 2) continue; // warm-up: the server's caches, the first compile
    fcp.push(m.fcp);
    interactive.push(m.interactive);
  }
  fcp.sort((a, b) => a - b);
  interactive.sort((a, b) => a - b);
  const kb = (n: number) => fmt(n / 1024, 1);
  console.log(
    `bench/console — ${CONV} conversations, ${CONV * PER} messages (seeded in ${fmt(seedSecs)} s), ${machine()}, Chromium 375×740, CPU ${RATE}× slower, cache off, ${LOADS} loads`,
  );
  console.log(
    `first contentful paint       p50 ${fmt(pct(fcp, 50), 0).padStart(5)} ms  p95 ${fmt(pct(fcp, 95), 0).padStart(5)} ms`,
  );
  console.log(
    `list interactive             p50 ${fmt(pct(interactive, 50), 0).padStart(5)} ms  p95 ${fmt(pct(interactive, 95), 0).padStart(5)} ms   (target p95 < 1500 ms)`,
  );
  console.log(
    `shipped to the console: console.js ${kb(shipped.js.raw)} KB (${kb(shipped.js.gz)} KB gzip), console.css ${kb(shipped.css.raw)} KB (${kb(shipped.css.gz)} KB gzip), sw.js ${kb(shipped.sw.gz)} KB gzip; total ${kb(shipped.js.gz + shipped.css.gz + shipped.sw.gz)} KB compressed (target < 100 KB)`,
  );
  console.log(`widget.js (for customers' browsers): ${kb(shipped.widget.raw)} KB (${kb(shipped.widget.gz)} KB gzip)`);
} finally {
  await browser.close();
  await running.stop();
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
