import { z } from "zod";
import { parse as parseToml } from "smol-toml";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

// Configuration keys, one flat namespace. Precedence: flags > DIGYBOT_* env > config/digybot.toml > defaults.
// The env name of a key is DIGYBOT_ + upper case (data_dir -> DIGYBOT_DATA_DIR); the flag is --data-dir.
export const configSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(3000),
  data_dir: z.string().min(1).default("./digybot-data"),
  public_url: z.url().optional(),
  log_level: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  default_locale: z.enum(["es", "en"]).default("es"),
  ollama_url: z.url().default("http://127.0.0.1:11434"),
  max_upload_mb: z.coerce.number().positive().max(100).default(10),
  session_days: z.coerce.number().int().positive().max(365).default(14),
  login_max_failures: z.coerce.number().int().positive().default(5),
  /** days of the events table kept (automations read it; an event not read yet is never removed) */
  events_retention_days: z.coerce.number().int().min(1).max(3650).default(30),
  /**
   * Hosts on private or loopback addresses that server-side fetches may reach (a knowledge page or an API
   * channel's callback on the office network): names or addresses, exact; comma-separated in the environment.
   */
  fetch_allow_hosts: z
    .preprocess(
      (v) =>
        typeof v === "string"
          ? v
              .split(",")
              .map((x) => x.trim())
              .filter(Boolean)
          : v,
      z.array(z.string().min(1).max(253)).max(100),
    )
    .default([]),
  /** addresses of reverse proxies in front of DigyBot (their X-Forwarded-For gives the client's address) */
  trusted_proxies: z
    .preprocess(
      (v) =>
        typeof v === "string"
          ? v
              .split(",")
              .map((x) => x.trim())
              .filter(Boolean)
          : v,
      z.array(z.string().min(1).max(64)).max(20),
    )
    .default([]),
  /**
   * The key that seals secrets in the database (channel tokens, the AI service's key, WhatsApp sessions); created
   * at first start, 0600. Default: digybot.key beside the config file. Keep a copy apart from the backups.
   */
  secret_key_file: z.string().min(1).optional(),
  /** how long a write waits for a database locked by another process before it is refused (503 database_busy) */
  db_busy_timeout_ms: z.coerce.number().int().min(0).max(60_000).default(5000),
  secure_cookies: z.stringbool().or(z.boolean()).default(false),
  /** web chat visitors' new sessions per client address and hour (a burst of a fifth of it at once) */
  webchat_sessions_per_hour: z.coerce.number().int().min(1).max(100_000).default(60),
  /** web chat messages and files per client address and minute (an office's visitors share one address) */
  /** a person who did nothing in the console for this long shows as away (and is given no conversations) */
  presence_away_minutes: z.coerce.number().int().min(1).max(1440).default(10),
  /** a person whose every console has been closed this long is offline (a reload does not count) */
  presence_offline_seconds: z.coerce.number().int().min(5).max(3600).default(60),
  webchat_messages_per_minute: z.coerce.number().int().min(1).max(100_000).default(60),
});
export type Config = z.infer<typeof configSchema>;
export const configKeys = Object.keys(configSchema.shape) as (keyof Config)[];

/** One thing wrong with the configuration, for the CLI to say in the person's language. */
export type ConfigIssue =
  | { kind: "toml"; file: string; detail: string }
  | { kind: "unknown"; key: string; source: string }
  | {
      kind: "invalid";
      key: string;
      source: string | null;
      code: string;
      minimum?: number;
      maximum?: number;
      values?: string[];
      expected?: string;
      message: string;
    };

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: ConfigIssue[] = [],
  ) {
    super(message);
  }
}

type Sources = { flags?: Record<string, unknown>; env?: Record<string, string | undefined>; file?: string | null };

/** Resolves the configuration from its four sources and validates it; a bad value names its key and its source. */
export function loadConfig({ flags = {}, env = process.env, file }: Sources = {}): Config {
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  const path = file === null ? null : resolve(file ?? env.DIGYBOT_CONFIG ?? "config/digybot.toml");
  if (path && existsSync(path)) {
    let parsed: Record<string, unknown>;
    try {
      parsed = parseToml(readFileSync(path, "utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`config: ${path} is not valid TOML: ${(e as Error).message}`, [
        { kind: "toml", file: path, detail: (e as Error).message },
      ]);
    }
    for (const [k, v] of Object.entries(parsed)) {
      merged[k] = v;
      origin[k] = path;
    }
  }
  for (const key of configKeys) {
    const v = env[`DIGYBOT_${key.toUpperCase()}`];
    if (v !== undefined && v !== "") {
      merged[key] = v;
      origin[key] = `DIGYBOT_${key.toUpperCase()}`;
    }
  }
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined) continue;
    const key = k.replaceAll("-", "_");
    merged[key] = v;
    origin[key] = `--${key.replaceAll("_", "-")}`;
  }
  // the secret key lives beside the config file (not in the data dir, so a copy of the data holds no key)
  if (merged.secret_key_file === undefined)
    merged.secret_key_file = join(dirname(path ?? resolve("config/digybot.toml")), "digybot.key");
  const r = configSchema.safeParse(merged);
  if (!r.success) {
    const issues: ConfigIssue[] = r.error.issues.flatMap((i): ConfigIssue[] => {
      if (i.code === "unrecognized_keys")
        return i.keys.map((k) => ({ kind: "unknown", key: k, source: origin[k] ?? "?" }));
      const key = String(i.path[0] ?? "");
      const x = i as { minimum?: unknown; maximum?: unknown; values?: unknown[]; expected?: unknown };
      return [
        {
          kind: "invalid",
          key,
          source: origin[key] ?? null,
          code: i.code,
          ...(typeof x.minimum === "number" || typeof x.minimum === "bigint" ? { minimum: Number(x.minimum) } : {}),
          ...(typeof x.maximum === "number" || typeof x.maximum === "bigint" ? { maximum: Number(x.maximum) } : {}),
          ...(Array.isArray(x.values) ? { values: x.values.map(String) } : {}),
          ...(typeof x.expected === "string" ? { expected: x.expected } : {}),
          message: i.message,
        },
      ];
    });
    const lines = issues.map((i) =>
      i.kind === "unknown"
        ? `config: unknown key \`${i.key}\` (from ${i.source})`
        : i.kind === "invalid"
          ? `config: invalid value for \`${i.key}\` (from ${i.source ?? "default"}): ${i.message}`
          : "",
    );
    throw new ConfigError(lines.join("\n"), issues);
  }
  return r.data;
}
