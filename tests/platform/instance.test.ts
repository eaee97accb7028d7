// One server per data dir, and --demo only on an empty one (issue #10 bugs: a second `serve` started beside a
// running one; `serve --demo` on a data dir with data silently ignored --demo).
import { test, expect } from "bun:test";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServe, createAdmin, digybotCommand } from "../support/process.ts";

const run = (args: string[]) => {
  const r = Bun.spawnSync([...digybotCommand(), ...args], { env: { ...process.env, DIGYBOT_LOG_LEVEL: "warn" } });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
};

test("a second serve on the same data dir refuses, naming the running one; after a crash the next one starts", async () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-instance-"));
  try {
    const first = await spawnServe(dir);
    const second = run(["serve", "--port", "0", "--data-dir", dir]);
    expect(second.code).toBe(1);
    expect(second.err).toContain(`another DigyBot (pid ${first.proc.pid}`);
    expect(second.err).toContain(dir);
    // the running server is untouched
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    // nor may a restore or a terminal pairing run beside it
    expect(run(["restore", join(dir, "nothing.db"), "--data-dir", dir]).err).toContain("stop it before restoring");
    expect(run(["whatsapp", "pair", "Tienda", "--data-dir", dir]).err).toContain("stop it before pairing");
    // kill -9 leaves the pid file behind; the next start takes it over
    await first.stop("SIGKILL");
    expect(existsSync(join(dir, "digybot.pid"))).toBe(true);
    const again = await spawnServe(dir);
    expect((await fetch(`${again.url}/healthz`)).status).toBe(200);
    // a clean stop removes it
    await again.stop("SIGTERM");
    expect(existsSync(join(dir, "digybot.pid"))).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test("serve --demo refuses a data dir that already has people in it, and seeds an empty one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-demo-"));
  const empty = mkdtempSync(join(tmpdir(), "digybot-demo-empty-"));
  try {
    createAdmin(dir);
    const r = run(["serve", "--demo", "--port", "0", "--data-dir", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--demo seeds an empty data dir");
    expect(r.err).toContain("1 user");
    expect(existsSync(join(dir, "digybot.pid"))).toBe(false);
    const p = Bun.spawn([...digybotCommand(), "serve", "--demo", "--port", "0", "--data-dir", empty], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, DIGYBOT_LOG_LEVEL: "warn" },
    });
    let text = "";
    const reader = p.stdout.getReader();
    while (!text.includes("Demo: log in as")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain("Demo: log in as");
    p.kill("SIGTERM");
    await p.exited;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}, 60_000);
