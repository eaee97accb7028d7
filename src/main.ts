#!/usr/bin/env bun
// The digybot command: serve | migrate | backup | restore | admin create | doctor | whatsapp pair | version | help.
import { parseArgs } from "node:util";
import { pairInTerminal } from "./channels/whatsapp-qr/terminal.ts";
import { existsSync, mkdirSync, statfsSync, statSync, accessSync, constants } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig, ConfigError, configKeys, type Config } from "./platform/config.ts";
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

const HELP = `DigyBot ${VERSION} — conversational commerce on your own machine

Usage: digybot <command> [options]

Commands:
  serve [--demo]          start the server (console, web chat, API); --demo seeds a demo restaurant on an empty database
  migrate                 apply pending database migrations (a backup is taken first) and exit
  backup FILE             write a consistent online copy of the database to FILE
  restore FILE            verify FILE, then replace the database with it (stop the server first)
  admin create            create a user: --email E --name N --password P [--role admin|agent]
  doctor                  check the data dir, the database, disk space, the LLM server and the channels
  whatsapp pair NAME      pair a WhatsApp number by QR in this terminal (for headless installs; stop the server
                          first): creates the QR connection NAME if needed; --phone N pairs by code instead
  agent eval FILE.jsonl   replay written conversations through an AI agent (nothing is sent) and report resolution,
                          hand-off precision/recall, intent accuracy, grounding failures and latency; --agent NAME
                          picks the agent, --json prints JSON
  version                 print the version

Options (each also as DIGYBOT_<NAME> in the environment or <name> in config/digybot.toml):
  --host H                address to listen on (default 127.0.0.1)
  --port N                port (default 3000)
  --data-dir DIR          where the database and files live (default ./digybot-data)
  --public-url URL        the address customers use to reach this server (for the widget snippet)
  --log-level L           debug | info | warn | error | silent
  --config FILE           configuration file (default config/digybot.toml)
`;

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
    fail(`${(e as Error).message}\nRun 'digybot --help' for the options.`, 2);
  }
  const { values: v, positionals } = parsed;
  const cmd = positionals[0] ?? (v.version ? "version" : v.help ? "help" : "help");
  if (cmd === "help" || v.help) return void process.stdout.write(HELP);
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
    if (e instanceof ConfigError) fail(e.message, 2);
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
        if (e instanceof InstanceLockedError) fail(e.message);
        throw e;
      }
      let ctx;
      try {
        ctx = await createContext(config, { log });
      } catch (e) {
        if (e instanceof MigrationError) fail(e.message);
        throw e;
      }
      let demo: Awaited<ReturnType<typeof seedDemo>> | null = null;
      if (v.demo) {
        const users = await countUsers(ctx);
        if (users > 0)
          fail(
            `--demo seeds an empty data dir, and ${config.data_dir} already has ${users} user${users === 1 ? "" : "s"}: start without --demo, or give --demo another --data-dir`,
            2,
          );
        demo = await seedDemo(ctx);
      }
      const running = await startServer(ctx);
      const first = (await countUsers(ctx)) === 0;
      const shown = config.public_url ?? running.url.replace("0.0.0.0", "127.0.0.1");
      process.stdout.write(
        `DigyBot ${VERSION} listening on ${running.url}\nConsole: ${shown}${first ? "/setup (first run: create your business and administrator)" : "/login"}\nData: ${config.data_dir}\n`,
      );
      if (demo)
        process.stdout.write(
          `Demo: log in as ${demo.email} / ${demo.password} (agents: ${demo.agents.join(", ")}, same password)\n`,
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
            ? `applied: ${r.applied.join(", ")}${r.backup ? `\nbackup: ${r.backup}` : ""}\n`
            : "database is up to date\n",
        );
      } catch (e) {
        if (e instanceof MigrationError) fail(e.message);
        throw e;
      } finally {
        await db.close();
      }
      return;
    }
    case "backup": {
      const file = positionals[1] ?? fail("backup needs a target FILE: digybot backup FILE", 2);
      if (!existsSync(dbFile)) fail(`no database at ${dbFile}`);
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
      if (!check.ok) fail(`backup written but failed verification: ${check.reason}`);
      process.stdout.write(
        `backup written to ${resolve(file)} (database and ${written} attachments; secrets stay sealed: keep the key file ${config.secret_key_file} apart from it)\n`,
      );
      return;
    }
    case "restore": {
      const file = positionals[1] ?? fail("restore needs a backup FILE: digybot restore FILE", 2);
      const holder = instanceHolder(config.data_dir);
      if (holder)
        fail(
          new InstanceLockedError(holder.pid, holder.startedAt, config.data_dir).message.replace(
            "stop it first",
            "stop it before restoring",
          ),
        );
      try {
        const r = await restoreDatabaseFile(resolve(file), dbFile, join(config.data_dir, "files"));
        process.stdout.write(
          `restored ${resolve(file)} into ${dbFile} with ${r.files} attachments${r.previous ? `\nprevious database kept at ${r.previous}` : ""}\n`,
        );
      } catch (e) {
        fail((e as Error).message);
      }
      return;
    }
    case "admin": {
      if (positionals[1] !== "create")
        fail("usage: digybot admin create --email E --name N --password P [--role admin|agent]", 2);
      if (!v.email || !v.password) fail("admin create needs --email and --password", 2);
      const ctx = await createContext(config, { log: createLogger("warn") });
      try {
        const u = await createUser(ctx, {
          email: v.email,
          name: v.name ?? v.email,
          password: v.password,
          role: (v.role as "admin" | "agent") ?? "admin",
        });
        process.stdout.write(`created ${u.role} ${u.email}\n`);
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
      if (positionals[1] !== "pair" || !name) fail("usage: digybot whatsapp pair NAME [--phone +52…]", 2);
      mkdirSync(config.data_dir, { recursive: true });
      // the server keeps its own socket for each number: pairing beside it would fight over the session
      const holder = instanceHolder(config.data_dir);
      if (holder)
        fail(
          new InstanceLockedError(holder.pid, holder.startedAt, config.data_dir).message.replace(
            "stop it first",
            "stop it before pairing in the terminal",
          ),
        );
      const ctx = await createContext(config, {
        log: createLogger(config.log_level === "info" ? "warn" : config.log_level),
      });
      const code = await pairInTerminal(ctx, name, v.phone, (text) => process.stdout.write(text));
      await ctx.database.close();
      return process.exit(code);
    }
    case "agent": {
      const file = positionals[2];
      if (positionals[1] !== "eval" || !file) fail("usage: digybot agent eval FILE.jsonl [--agent NAME] [--json]", 2);
      if (!existsSync(file)) fail(`no such file: ${file}`, 2);
      let cases;
      try {
        cases = parseEvalFile(await Bun.file(file).text());
      } catch (e) {
        fail(`${file}: ${(e as Error).message}`, 2);
      }
      if (!existsSync(dbFile)) fail(`no database at ${dbFile}: run 'digybot serve' and set up the business first`);
      const ctx = await createContext(config, { log: createLogger("silent") });
      try {
        const all = await listAgents(ctx);
        const agent = v.agent
          ? all.find((a) => a.name.toLowerCase() === v.agent!.toLowerCase())
          : (all.find((a) => a.active) ?? all[0]);
        if (!agent)
          fail(
            v.agent
              ? `no agent named ${v.agent} (agents: ${all.map((a) => a.name).join(", ") || "none"})`
              : "there is no AI agent yet: create one in Settings → AI agents",
            2,
          );
        const report = await evaluate(ctx, agent, cases, (n) => {
          if (!v.json && process.stderr.isTTY) process.stderr.write(`\r${n}/${cases.length}`);
        });
        if (!v.json && process.stderr.isTTY) process.stderr.write("\r");
        process.stdout.write(
          v.json
            ? `${JSON.stringify({ agent: agent.name, ...report }, null, 2)}\n`
            : `agent: ${agent.name}\n${reportTable(report)}\n`,
        );
      } finally {
        stopAgents(ctx);
        await ctx.database.close();
      }
      return;
    }
    case "doctor": {
      const lines: [string, boolean, string][] = [];
      try {
        mkdirSync(config.data_dir, { recursive: true });
        accessSync(config.data_dir, constants.W_OK);
        lines.push(["data dir", true, config.data_dir]);
      } catch (e) {
        lines.push(["data dir", false, `${config.data_dir}: ${(e as Error).message}`]);
      }
      try {
        const s = statfsSync(config.data_dir);
        const free = (s.bavail * s.bsize) / 2 ** 30;
        lines.push(["disk", free > 1, `${free.toFixed(1)} GiB free`]);
      } catch (e) {
        lines.push(["disk", false, (e as Error).message]);
      }
      {
        const f = config.secret_key_file!;
        if (!existsSync(f))
          lines.push([
            "secret key",
            !existsSync(dbFile),
            `${f} missing${existsSync(dbFile) ? ": secrets in the database cannot be read" : "; created at first start"}`,
          ]);
        else {
          const mode = statSync(f).mode & 0o777;
          lines.push([
            "secret key",
            (mode & 0o077) === 0,
            `${f} (mode ${mode.toString(8)}${mode & 0o077 ? ", readable by others: chmod 600" : ""})`,
          ]);
        }
        const dd = existsSync(config.data_dir) ? statSync(config.data_dir).mode & 0o777 : 0o700;
        lines.push([
          "permissions",
          (dd & 0o077) === 0,
          `data dir mode ${dd.toString(8)}${dd & 0o077 ? ": chmod 700" : ""}`,
        ]);
      }
      if (existsSync(dbFile)) {
        const r = await verifyDatabaseFile(dbFile);
        lines.push(["database", r.ok, r.ok ? `${dbFile} (${r.migrations.length} migrations)` : r.reason]);
        if (r.ok) {
          const ctx = await createContext(config, { log: createLogger("silent") });
          let chans: Awaited<ReturnType<typeof listChannels>> = [];
          try {
            chans = await listChannels(ctx);
          } catch (e) {
            lines.push(["secrets", false, (e as Error).message]);
          }
          lines.push([
            "channels",
            true,
            chans.length
              ? chans.map((c) => `${c.name} (${c.type}${c.active ? "" : ", paused"})`).join(", ")
              : "none yet",
          ]);
          lines.push(["users", true, String(await countUsers(ctx))]);
          await ctx.database.close();
        }
      } else lines.push(["database", true, `not created yet; 'digybot serve' creates ${dbFile}`]);
      try {
        const res = await fetch(`${config.ollama_url.replace(/\/$/, "")}/api/tags`, {
          signal: AbortSignal.timeout(2000),
        });
        const j = (await res.json()) as { models?: { name: string }[] };
        lines.push([
          "llm (ollama)",
          res.ok,
          res.ok ? `${config.ollama_url}: ${j.models?.length ?? 0} models` : `${config.ollama_url}: HTTP ${res.status}`,
        ]);
      } catch {
        lines.push([
          "llm (ollama)",
          false,
          `${config.ollama_url} not reachable (optional: the inbox works without it)`,
        ]);
      }
      for (const [what, ok, detail] of lines)
        process.stdout.write(`${ok ? "ok  " : "FAIL"}  ${what.padEnd(14)} ${detail}\n`);
      const bad = lines.filter(([w, ok]) => !ok && w !== "llm (ollama)").length;
      process.exitCode = bad ? 1 : 0;
      return;
    }
    default:
      fail(`unknown command '${cmd}'. Run 'digybot --help'.`, 2);
  }
}

if (import.meta.main) await main(process.argv.slice(2));
