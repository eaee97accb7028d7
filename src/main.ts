#!/usr/bin/env bun
// The digybot command: serve | migrate | backup | restore | admin create | doctor | whatsapp pair | version | help.
import { parseArgs } from "node:util";
import { pairInTerminal } from "./channels/whatsapp-qr/terminal.ts";
import { existsSync, mkdirSync, statfsSync, statSync, accessSync, constants } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig, ConfigError, configKeys, type Config, type ConfigIssue } from "./platform/config.ts";
import { cliLocale, cliText } from "./cli-text.ts";
import { Database, migrate, MigrationError, restoreDatabaseFile, verifyDatabaseFile } from "./platform/db.ts";
import { createLogger } from "./platform/logger.ts";
import { createContext, startServer } from "./app/app.ts";
import { createUser, countUsers } from "./auth/service.ts";
import { listChannels } from "./channels/service.ts";
import { seedDemo } from "./setup/demo.ts";
import { acquireInstanceLock, instanceHolder, InstanceLockedError } from "./platform/instance-lock.ts";
import { listAgents, stopAgents } from "./agents/index.ts";
import { evaluate, parseEvalFile, reportTable } from "./agents/eval.ts";
import { VERSION } from "./version.ts";
import type { Role } from "./platform/context.ts";

const say = cliText(cliLocale());

/** A configuration error in the person's language, naming the key and where it came from. */
function configErrorText(e: ConfigError) {
  if (!e.issues.length) return e.message;
  const problem = (i: Extract<ConfigIssue, { kind: "invalid" }>) =>
    i.code === "too_small" && i.minimum !== undefined
      ? say("problem.min", { n: i.minimum })
      : i.code === "too_big" && i.maximum !== undefined
        ? say("problem.max", { n: i.maximum })
        : i.code === "invalid_value" && i.values
          ? say("problem.oneOf", { values: i.values.join(", ") })
          : i.code === "invalid_format"
            ? say("problem.url")
            : i.code === "invalid_type" && i.expected === "number"
              ? say("problem.number")
              : i.code === "invalid_type" && i.expected === "boolean"
                ? say("problem.boolean")
                : i.message;
  return e.issues
    .map((i) =>
      i.kind === "toml"
        ? say("config.toml", { file: i.file, detail: i.detail })
        : i.kind === "unknown"
          ? say("config.unknownKey", { key: i.key, source: i.source })
          : say("config.invalid", { key: i.key, source: i.source ?? say("config.default"), problem: problem(i) }),
    )
    .join("\n");
}
const lockedText = (e: InstanceLockedError, key: "locked" | "lockedRestore" | "lockedPair" = "locked") =>
  say(key, { pid: e.pid, at: new Date(e.startedAt).toISOString().replace("T", " ").slice(0, 16), dir: e.dataDir });

function fail(msg: string, code = 1): never {
  process.stderr.write(`digybot: ${msg}\n`);
  process.exit(code);
}

export async function main(argv: string[]) {
  // everything DigyBot writes (database, attachments, backups, the key) is readable by its own user only
  process.umask(0o077);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        demo: { type: "boolean" },
        config: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        "data-dir": { type: "string" },
        "public-url": { type: "string" },
        "log-level": { type: "string" },
        "default-locale": { type: "string" },
        "ollama-url": { type: "string" },
        "max-upload-mb": { type: "string" },
        "secure-cookies": { type: "string" },
        agent: { type: "string" },
        json: { type: "boolean" },
        email: { type: "string" },
        name: { type: "string" },
        password: { type: "string" },
        role: { type: "string" },
        phone: { type: "string" },
      },
    });
  } catch (e) {
    fail(say("badArgs", { error: (e as Error).message }), 2);
  }
  const { values: v, positionals } = parsed;
  const cmd = positionals[0] ?? (v.version ? "version" : v.help ? "help" : "help");
  if (cmd === "help" || v.help) return void process.stdout.write(say("help"));
  if (cmd === "version") return void process.stdout.write(`digybot ${VERSION}\n`);

  let config: Config;
  try {
    const flags: Record<string, unknown> = {};
    for (const k of configKeys) {
      const flag = k.replaceAll("_", "-") as keyof typeof v;
      if (v[flag] !== undefined) flags[k] = v[flag];
    }
    config = loadConfig({ flags, file: v.config });
  } catch (e) {
    if (e instanceof ConfigError) fail(configErrorText(e), 2);
    throw e;
  }
  config.data_dir = resolve(config.data_dir);
  const log = createLogger(config.log_level);
  const dbFile = join(config.data_dir, "digybot.db");

  switch (cmd) {
    case "serve": {
      mkdirSync(config.data_dir, { recursive: true });
      let lock: ReturnType<typeof acquireInstanceLock>;
      try {
        lock = acquireInstanceLock(config.data_dir);
      } catch (e) {
        if (e instanceof InstanceLockedError) fail(lockedText(e));
        throw e;
      }
      let ctx;
      try {
        ctx = await createContext(config, { log });
      } catch (e) {
        if (e instanceof MigrationError) fail(say("migrationFailed", { detail: e.message }));
        throw e;
      }
      let demo: Awaited<ReturnType<typeof seedDemo>> | null = null;
      if (v.demo) {
        const users = await countUsers(ctx);
        if (users > 0)
          fail(
            say("demo.notEmpty", {
              dir: config.data_dir,
              users: say(users === 1 ? "users.one" : "users.other", { n: users }),
            }),
            2,
          );
        demo = await seedDemo(ctx);
      }
      const running = await startServer(ctx);
      const first = (await countUsers(ctx)) === 0;
      const shown = config.public_url ?? running.url.replace("0.0.0.0", "127.0.0.1");
      process.stdout.write(
        say("listening", {
          version: VERSION,
          url: running.url,
          console: first ? say("firstRun", { url: shown }) : `${shown}/login`,
          dir: config.data_dir,
        }),
      );
      if (demo)
        process.stdout.write(
          say("demoLogin", { email: demo.email, password: demo.password, agents: demo.agents.join(", ") }),
        );
      const shutdown = async (sig: string) => {
        log.info("shutting down", { signal: sig });
        await running.stop();
        lock.release();
        process.exit(0);
      };
      process.on("SIGINT", () => void shutdown("SIGINT"));
      process.on("SIGTERM", () => void shutdown("SIGTERM"));
      return;
    }
    case "migrate": {
      mkdirSync(config.data_dir, { recursive: true });
      const db = new Database(dbFile, log);
      await db.init();
      try {
        const r = await migrate(db, { backupDir: join(config.data_dir, "backups"), log });
        process.stdout.write(
          r.applied.length
            ? `${say("migrated", { list: r.applied.join(", ") })}${r.backup ? `\n${say("migratedBackup", { file: r.backup })}` : ""}\n`
            : say("upToDate"),
        );
      } catch (e) {
        if (e instanceof MigrationError) fail(say("migrationFailed", { detail: e.message }));
        throw e;
      } finally {
        await db.close();
      }
      return;
    }
    case "backup": {
      const file = positionals[1] ?? fail(say("backupNeedsFile"), 2);
      if (!existsSync(dbFile)) fail(say("noDatabase", { file: dbFile }));
      const db = new Database(dbFile, log);
      let written = 0;
      try {
        written = (await db.backupTo(resolve(file), { filesDir: join(config.data_dir, "files") })).files;
      } catch (e) {
        fail((e as Error).message);
      } finally {
        await db.close();
      }
      const check = await verifyDatabaseFile(resolve(file));
      if (!check.ok) fail(say("backupUnverified", { reason: check.reason }));
      process.stdout.write(
        say("backupDone", { file: resolve(file), files: written, key: config.secret_key_file ?? "" }),
      );
      return;
    }
    case "restore": {
      const file = positionals[1] ?? fail(say("restoreNeedsFile"), 2);
      const holder = instanceHolder(config.data_dir);
      if (holder)
        fail(lockedText(new InstanceLockedError(holder.pid, holder.startedAt, config.data_dir), "lockedRestore"));
      try {
        const r = await restoreDatabaseFile(resolve(file), dbFile, join(config.data_dir, "files"));
        process.stdout.write(
          `${say("restored", { file: resolve(file), db: dbFile, files: r.files })}${r.previous ? `\n${say("restoredPrevious", { file: r.previous })}` : ""}\n`,
        );
      } catch (e) {
        fail((e as Error).message);
      }
      return;
    }
    case "admin": {
      if (positionals[1] !== "create") fail(say("adminUsage"), 2);
      if (!v.email || !v.password) fail(say("adminNeeds"), 2);
      const ctx = await createContext(config, { log: createLogger("warn") });
      try {
        const u = await createUser(ctx, {
          email: v.email,
          name: v.name ?? v.email,
          password: v.password,
          role: (v.role as Role) ?? "admin",
        });
        process.stdout.write(say("created", { role: say(`role.${u.role}` as "role.admin"), email: u.email }));
      } catch (e) {
        const issues = (e as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
        fail(issues ? issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join("\n") : (e as Error).message, 2);
      } finally {
        await ctx.database.close();
      }
      return;
    }
    case "whatsapp": {
      const name = positionals[2];
      if (positionals[1] !== "pair" || !name) fail(say("pairUsage"), 2);
      mkdirSync(config.data_dir, { recursive: true });
      // the server keeps its own socket for each number: pairing beside it would fight over the session
      const holder = instanceHolder(config.data_dir);
      if (holder)
        fail(lockedText(new InstanceLockedError(holder.pid, holder.startedAt, config.data_dir), "lockedPair"));
      const ctx = await createContext(config, {
        log: createLogger(config.log_level === "info" ? "warn" : config.log_level),
      });
      const code = await pairInTerminal(ctx, name, v.phone, (text) => process.stdout.write(text), say);
      await ctx.database.close();
      return process.exit(code);
    }
    case "agent": {
      const file = positionals[2];
      if (positionals[1] !== "eval" || !file) fail(say("evalUsage"), 2);
      if (!existsSync(file)) fail(say("noSuchFile", { file }), 2);
      let cases;
      try {
        cases = parseEvalFile(await Bun.file(file).text());
      } catch (e) {
        fail(`${file}: ${(e as Error).message}`, 2);
      }
      if (!existsSync(dbFile)) fail(say("noDatabaseYet", { file: dbFile }));
      const ctx = await createContext(config, { log: createLogger("silent") });
      try {
        const all = await listAgents(ctx);
        const agent = v.agent
          ? all.find((a) => a.name.toLowerCase() === v.agent!.toLowerCase())
          : (all.find((a) => a.active) ?? all[0]);
        if (!agent)
          fail(
            v.agent
              ? say("noAgentNamed", { name: v.agent, list: all.map((a) => a.name).join(", ") || say("none") })
              : say("noAgentYet"),
            2,
          );
        const report = await evaluate(ctx, agent, cases, (n) => {
          if (!v.json && process.stderr.isTTY) process.stderr.write(`\r${n}/${cases.length}`);
        });
        if (!v.json && process.stderr.isTTY) process.stderr.write("\r");
        process.stdout.write(
          v.json
            ? `${JSON.stringify({ agent: agent.name, ...report }, null, 2)}\n`
            : `${say("agentLine", { name: agent.name })}${reportTable(report)}\n`,
        );
      } finally {
        stopAgents(ctx);
        await ctx.database.close();
      }
      return;
    }
    case "doctor": {
      const lines: [string, boolean, string][] = [];
      const llm = say("doctor.llm");
      try {
        mkdirSync(config.data_dir, { recursive: true });
        accessSync(config.data_dir, constants.W_OK);
        lines.push([say("doctor.dataDir"), true, config.data_dir]);
      } catch (e) {
        lines.push([say("doctor.dataDir"), false, `${config.data_dir}: ${(e as Error).message}`]);
      }
      try {
        const s = statfsSync(config.data_dir);
        const free = (s.bavail * s.bsize) / 2 ** 30;
        lines.push([say("doctor.disk"), free > 1, say("doctor.free", { n: free.toFixed(1) })]);
      } catch (e) {
        lines.push([say("doctor.disk"), false, (e as Error).message]);
      }
      {
        const f = config.secret_key_file!;
        if (!existsSync(f))
          lines.push([
            say("doctor.key"),
            !existsSync(dbFile),
            say(existsSync(dbFile) ? "doctor.keyMissing" : "doctor.keyLater", { file: f }),
          ]);
        else {
          const mode = statSync(f).mode & 0o777;
          lines.push([
            say("doctor.key"),
            (mode & 0o077) === 0,
            say(mode & 0o077 ? "doctor.keyOpen" : "doctor.keyMode", { file: f, mode: mode.toString(8) }),
          ]);
        }
        const dd = existsSync(config.data_dir) ? statSync(config.data_dir).mode & 0o777 : 0o700;
        lines.push([
          say("doctor.permissions"),
          (dd & 0o077) === 0,
          say(dd & 0o077 ? "doctor.dirOpen" : "doctor.dirMode", { mode: dd.toString(8) }),
        ]);
      }
      if (existsSync(dbFile)) {
        const r = await verifyDatabaseFile(dbFile);
        lines.push([
          say("doctor.database"),
          r.ok,
          r.ok ? say("doctor.dbOk", { file: dbFile, n: r.migrations.length }) : r.reason,
        ]);
        if (r.ok) {
          const ctx = await createContext(config, { log: createLogger("silent") });
          let chans: Awaited<ReturnType<typeof listChannels>> = [];
          try {
            chans = await listChannels(ctx);
          } catch (e) {
            lines.push([say("doctor.secrets"), false, (e as Error).message]);
          }
          lines.push([
            say("doctor.channels"),
            true,
            chans.length
              ? chans.map((c) => `${c.name} (${c.type}${c.active ? "" : `, ${say("doctor.paused")}`})`).join(", ")
              : say("doctor.noneYet"),
          ]);
          lines.push([say("doctor.users"), true, String(await countUsers(ctx))]);
          await ctx.database.close();
        }
      } else lines.push([say("doctor.database"), true, say("doctor.dbLater", { file: dbFile })]);
      try {
        const res = await fetch(`${config.ollama_url.replace(/\/$/, "")}/api/tags`, {
          signal: AbortSignal.timeout(2000),
        });
        const j = (await res.json()) as { models?: { name: string }[] };
        lines.push([
          llm,
          res.ok,
          res.ok
            ? say("doctor.models", { url: config.ollama_url, n: j.models?.length ?? 0 })
            : say("doctor.http", { url: config.ollama_url, status: res.status }),
        ]);
      } catch {
        lines.push([llm, false, say("doctor.llmDown", { url: config.ollama_url })]);
      }
      for (const [what, ok, detail] of lines)
        process.stdout.write(`${ok ? "ok  " : "FAIL"}  ${what.padEnd(14)} ${detail}\n`);
      const bad = lines.filter(([w, ok]) => !ok && w !== llm).length;
      process.exitCode = bad ? 1 : 0;
      return;
    }
    default:
      fail(say("unknownCommand", { cmd }), 2);
  }
}

if (import.meta.main) await main(process.argv.slice(2));
