// The CLI and install.sh speak Spanish when the system's locale is Spanish (issue #10), English otherwise; a bad
// setting is named with its key and where it came from, in that language.
import { test, expect } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliDictionaries, cliLocale } from "../../src/cli-text.ts";

const repo = join(import.meta.dir, "../..");
function run(cmd: string[], lang: string) {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    LANG: lang,
    LC_ALL: "",
    LC_MESSAGES: "",
  };
  delete env.DIGYBOT_LANG;
  const p = Bun.spawnSync(cmd, { cwd: repo, env, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}
const digybot = (lang: string, ...args: string[]) => run(["bun", "src/main.ts", ...args], lang);

test("the locale decides: es_* is Spanish, anything else English, DIGYBOT_LANG overrides", () => {
  expect(cliLocale({ LANG: "es_MX.UTF-8" })).toBe("es");
  expect(cliLocale({ LANG: "es" })).toBe("es");
  expect(cliLocale({ LC_ALL: "es_ES@euro", LANG: "en_US.UTF-8" })).toBe("es");
  expect(cliLocale({ LANG: "en_US.UTF-8" })).toBe("en");
  expect(cliLocale({ LANG: "C.UTF-8" })).toBe("en");
  expect(cliLocale({ LANG: "estonian" })).toBe("en");
  expect(cliLocale({ LANG: "es_MX.UTF-8", DIGYBOT_LANG: "en" })).toBe("en");
});

test("help, a bad setting and an unknown command, in Spanish and in English", () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-cli-"));
  const es = digybot("es_MX.UTF-8", "--help");
  expect(es.out).toContain("comercio conversacional en tu propia computadora");
  expect(es.out).toContain("Uso: digybot <comando> [opciones]");
  expect(digybot("en_US.UTF-8", "--help").out).toContain("Usage: digybot <command> [options]");

  const badPort = digybot("es_MX.UTF-8", "doctor", "--data-dir", dir, "--port", "99999");
  expect(badPort.code).toBe(2);
  expect(badPort.err).toBe("digybot: config: valor no válido para `port` (en --port): debe ser como mucho 65535\n");
  const enPort = digybot("C.UTF-8", "doctor", "--data-dir", dir, "--port", "99999");
  expect(enPort.err).toStartWith("digybot: config: invalid value for `port` (from --port):");

  const unknown = digybot("es_MX.UTF-8", "frobnicate");
  expect(unknown.code).toBe(2);
  expect(unknown.err).toBe("digybot: comando desconocido 'frobnicate'. Ejecuta 'digybot --help'.\n");

  const doctor = digybot("es_MX.UTF-8", "doctor", "--data-dir", dir, "--ollama-url", "http://127.0.0.1:9");
  expect(doctor.out).toContain("carpeta datos");
  expect(doctor.out).toContain("no se llega a http://127.0.0.1:9 (opcional: la bandeja funciona sin él)");
});

test("install.sh speaks the same language", () => {
  const es = run(["bash", "install.sh", "--help"], "es_MX.UTF-8");
  expect(es.out).toStartWith("Instalador de DigyBot para Debian/Ubuntu.");
  const bad = run(["bash", "install.sh", "--nada"], "es_MX.UTF-8");
  expect(bad.code).toBe(2);
  expect(bad.err).toBe("install.sh: opción desconocida --nada (ver --help)\n");
  expect(run(["bash", "install.sh", "--nada"], "C").err).toBe("install.sh: unknown option --nada (see --help)\n");
});

test("both CLI dictionaries have the same keys and placeholders", () => {
  const { es, en } = cliDictionaries;
  expect(Object.keys(es).sort()).toEqual(Object.keys(en).sort());
  const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const k of Object.keys(en) as (keyof typeof en)[]) expect([k, ph(es[k])]).toEqual([k, ph(en[k])]);
});
