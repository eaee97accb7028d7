// Shared helpers for the benchmarks: a real DigyBot process on loopback, an admin session, percentiles.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const repo = join(import.meta.dir, "..");

export function pct(sorted: number[], p: number) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
export const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

/** Starts `digybot serve` (from source, or a built executable with DIGYBOT_BIN) on a fresh data dir. */
export async function startDigybot(opts: { bin?: string } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "digybot-bench-"));
  // BENCH_BUN_FLAGS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" profiles the server when it runs from source
  const flags = (process.env.BENCH_BUN_FLAGS ?? "").split(" ").filter(Boolean);
  const cmd = opts.bin ? [opts.bin] : ["bun", ...flags, join(repo, "src/main.ts")];
  const env = { ...process.env, DIGYBOT_LOG_LEVEL: "warn" };
  const admin = Bun.spawnSync([...cmd, "admin", "create", "--email", "bench@digybot.local", "--password", "bench-password", "--name", "Bench", "--data-dir", dataDir], { env });
  if (admin.exitCode !== 0) throw new Error(admin.stderr.toString());
  const t0 = performance.now();
  const p = Bun.spawn([...cmd, "serve", "--port", "0", "--data-dir", dataDir], { stdout: "pipe", stderr: "inherit", env });
  const reader = p.stdout.getReader();
  let text = "";
  while (!/listening on (http:\/\/\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const url = text.match(/listening on (http:\/\/\S+)/)![1];
  return { url, dataDir, proc: p, startedAt: t0, async stop() { p.kill(); await p.exited; rmSync(dataDir, { recursive: true, force: true }); } };
}

/** Logs in as the bench admin; returns cookie, CSRF token and a fresh API key. */
export async function adminSession(url: string) {
  const login = await fetch(`${url}/login`, { method: "POST", redirect: "manual", body: new URLSearchParams({ email: "bench@digybot.local", password: "bench-password" }) });
  const cookie = login.headers.get("set-cookie")!.split(";")[0];
  const page = await (await fetch(`${url}/profile`, { headers: { cookie } })).text();
  const csrf = page.match(/name="csrf-token" content="([^"]+)"/)![1];
  const key = (await (await fetch(`${url}/api/v1/api-keys`, { method: "POST", headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" }, body: JSON.stringify({ name: "bench" }) })).json()).data.key as string;
  return { cookie, csrf, key };
}

export function rssMb(pid: number) {
  try {
    const s = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
    return Number(s.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
  } catch { return NaN; }
}

export function machine() {
  const os = require("node:os");
  return `${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, Bun ${Bun.version}`;
}
