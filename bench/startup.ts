#!/usr/bin/env bun
// bench/startup: the compiled executable from an empty folder — time from exec to the first 200 response, and
// resident memory when idle (fresh data dir, then with a demo database). Run: bun bench/startup.ts [--runs 10]
import { parseArgs } from "node:util";
import { mkdtempSync, copyFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../bin/build.ts";
import { pct, fmt, rssMb, machine } from "./lib.ts";

const { values } = parseArgs({ args: process.argv.slice(2), options: { runs: { type: "string", default: "10" } } });
const RUNS = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), "digybot-bench-start-"));
const bin = join(dir, "digybot");
const built =
  process.env.DIGYBOT_BIN && existsSync(process.env.DIGYBOT_BIN)
    ? process.env.DIGYBOT_BIN
    : (await build(join(dir, "build", "digybot"))).outfile;
copyFileSync(built, bin);
Bun.spawnSync(["chmod", "+x", bin]);

async function once(dataDir: string, extra: string[] = []) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const t0 = performance.now();
  const p = Bun.spawn([bin, "serve", "--port", String(port), "--data-dir", dataDir, "--log-level", "warn", ...extra], {
    cwd: dir,
    stdout: "ignore",
    stderr: "inherit",
  });
  let ms = NaN;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.status === 200) {
        ms = performance.now() - t0;
        break;
      }
    } catch {
      /* not yet */
    }
    await Bun.sleep(2);
    if (performance.now() - t0 > 10_000) break;
  }
  await fetch(`http://127.0.0.1:${port}/login`)
    .then((r) => r.arrayBuffer())
    .catch(() => {});
  await Bun.sleep(2000);
  const rss = rssMb(p.pid);
  p.kill();
  await p.exited;
  return { ms, rss };
}

const fresh: { ms: number; rss: number }[] = [];
for (let i = 0; i < RUNS; i++) {
  const d = join(dir, `fresh-${i}`);
  fresh.push(await once(d));
}
const demoDir = join(dir, "demo");
await once(demoDir, ["--demo"]);
const warm: { ms: number; rss: number }[] = [];
for (let i = 0; i < RUNS; i++) warm.push(await once(demoDir));
rmSync(dir, { recursive: true, force: true });

const show = (name: string, xs: { ms: number; rss: number }[]) => {
  const ms = xs.map((x) => x.ms).sort((a, b) => a - b),
    rss = xs.map((x) => x.rss).sort((a, b) => a - b);
  console.log(
    `${name.padEnd(42)} start → first 200: p50 ${fmt(ms[Math.floor(ms.length / 2)], 0)} ms, max ${fmt(ms[ms.length - 1], 0)} ms   idle RSS: p50 ${fmt(pct(rss, 50), 0)} MB, max ${fmt(rss[rss.length - 1], 0)} MB`,
  );
  return { ms: ms[Math.floor(ms.length / 2)], rss: rss[rss.length - 1] };
};
console.log(`bench/startup — ${RUNS} runs each, ${machine()}`);
const a = show("empty data dir (creates and migrates the db)", fresh);
const b = show("existing demo database", warm);
console.log(
  `targets: start < 300 ms (${fmt(Math.max(a.ms, b.ms), 0)} ms), idle RSS < 150 MB (${fmt(Math.max(a.rss, b.rss), 0)} MB)`,
);
