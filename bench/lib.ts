// Shared helpers for the benchmarks: a real DigyBot process on loopback, an admin session, percentiles.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAdmin, spawnServe, adminSession } from "../tests/support/process.ts";

export function pct(sorted: number[], p: number) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
export const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

/** Starts `digybot serve` (from source, or a built executable with DIGYBOT_BIN) on a fresh data dir. */
export async function startDigybot(opts: { bin?: string; env?: Record<string, string> } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "digybot-bench-"));
  createAdmin(dataDir, opts.bin);
  const t0 = performance.now();
  const s = await spawnServe(dataDir, { bin: opts.bin, env: opts.env });
  return {
    url: s.url,
    dataDir,
    proc: s.proc,
    startedAt: t0,
    async stop() {
      await s.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { adminSession };

export function rssMb(pid: number) {
  try {
    const s = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
    return Number(s.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
  } catch {
    return NaN;
  }
}

export function machine() {
  const os = require("node:os");
  return `${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, Bun ${Bun.version}`;
}
