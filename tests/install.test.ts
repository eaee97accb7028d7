import { test, expect } from "bun:test";
import { mkdtempSync, existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const repo = join(import.meta.dir, "..");

test("install.sh installs, writes config and database; a re-run upgrades in place with a backup and keeps the data", () => {
  const t = mkdtempSync(join(tmpdir(), "digybot-install-"));
  const args = [
    "bash",
    join(repo, "install.sh"),
    "--prefix",
    join(t, "prefix"),
    "--data-dir",
    join(t, "data"),
    "--config-dir",
    join(t, "etc"),
    "--port",
    "3999",
  ];
  const env = { ...process.env, HOME: t };
  const first = Bun.spawnSync(args, { cwd: repo, env });
  expect(first.exitCode).toBe(0);
  const bin = join(t, "prefix", "bin", "digybot");
  expect(existsSync(bin)).toBe(true);
  const config = readFileSync(join(t, "etc", "digybot.toml"), "utf8");
  expect(config).toContain(`data_dir = "${join(t, "data")}"`);
  expect(config).toContain("port = 3999");
  expect(existsSync(join(t, "data", "digybot.db"))).toBe(true);

  const created = Bun.spawnSync(
    [
      bin,
      "admin",
      "create",
      "--email",
      "dueno@negocio.mx",
      "--password",
      "muy-secreta-1",
      "--config",
      join(t, "etc", "digybot.toml"),
    ],
    { env },
  );
  expect(created.exitCode).toBe(0);

  const again = Bun.spawnSync(args, { cwd: repo, env });
  expect(again.exitCode).toBe(0);
  expect(again.stdout.toString()).toContain("upgrade done");
  expect(readdirSync(join(t, "data", "backups")).some((f) => f.startsWith("pre-upgrade-"))).toBe(true);
  const doctor = Bun.spawnSync([bin, "doctor", "--config", join(t, "etc", "digybot.toml")], { env });
  expect(doctor.stdout.toString()).toMatch(/ok\s+users\s+1/);
  rmSync(t, { recursive: true, force: true });
}, 180_000);
