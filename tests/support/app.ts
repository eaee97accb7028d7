import { mkdtempSync, copyFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../../src/platform/config.ts";
import { Database, migrate } from "../../src/platform/db.ts";
import { createContext, createApp, startServer, type AppOptions } from "../../src/app/app.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { completeSetup } from "../../src/setup/complete.ts";
import { createUser, createApiKey, login } from "../../src/auth/service.ts";
import { defaultHours } from "../../src/setup/service.ts";
import type { Ctx } from "../../src/platform/context.ts";
import { stopAgents } from "../../src/agents/index.ts";
import { stopAutomation } from "../../src/automation/index.ts";

let template: Promise<string> | null = null;
/** Migrates one database per test process; each test gets a copy of that file (fast, and a real SQLite file). */
function migratedTemplate() {
  template ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "digybot-template-"));
    const db = new Database(join(dir, "template.db"));
    await db.init();
    await migrate(db);
    await db.close();
    return join(dir, "template.db");
  })();
  return template;
}

/** One secret key for every test app of a process (what a real install keeps beside its config). */
export const testKeyFile = join(mkdtempSync(join(tmpdir(), "digybot-key-")), "digybot.key");

export type TestApp = Awaited<ReturnType<typeof makeTestApp>>;

export async function makeTestApp(overrides: Partial<Config> = {}, opts: AppOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), "digybot-test-"));
  mkdirSync(dir, { recursive: true });
  copyFileSync(await migratedTemplate(), join(dir, "digybot.db"));
  const config = {
    ...loadConfig({ file: null, env: {} }),
    data_dir: dir,
    port: 0,
    log_level: "silent" as const,
    secret_key_file: testKeyFile,
    ...overrides,
  };
  const ctx = await createContext(config, { log: createLogger(config.log_level), ...opts });
  const app = createApp(ctx);
  return {
    ctx,
    app,
    dir,
    /** app.request with JSON conveniences */
    async req(
      method: string,
      path: string,
      init: { json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {},
    ): Promise<Response> {
      const headers: Record<string, string> = {
        ...(init.json !== undefined ? { "content-type": "application/json" } : {}),
        ...init.headers,
      };
      return app.request(path, {
        method,
        headers,
        body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
      });
    },
    async close() {
      stopAgents(ctx);
      stopAutomation(ctx);
      ctx.outbox.stop();
      await ctx.database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A business set up with two departments, an admin, two agents (one per department) and an API key; open always unless `hours` says otherwise. */
export async function seedBusiness(ctx: Ctx, opts: { hours?: ReturnType<typeof defaultHours> } = {}) {
  const setup = await completeSetup(ctx, {
    business: {
      name: "Tienda Prueba",
      description: "",
      location: "CDMX",
      country: "MX",
      timezone: "America/Mexico_City",
      hours: opts.hours ?? alwaysOpen(),
      locale: "es",
    },
    departments: ["Ventas", "Soporte"],
    admin: { name: "Admin", email: "admin@test.mx", password: "admin-pass-123" },
  });
  const [ventas, soporte] = setup.departments;
  const ana = await createUser(ctx, {
    name: "Ana",
    email: "ana@test.mx",
    password: "agent-pass-123",
    role: "agent",
    departmentIds: [ventas.id],
  });
  const beto = await createUser(ctx, {
    name: "Beto",
    email: "beto@test.mx",
    password: "agent-pass-123",
    role: "agent",
    departmentIds: [soporte.id],
  });
  const key = await createApiKey(ctx, { kind: "system" }, { name: "tests", scope: "admin" });
  return { ventas, soporte, admin: setup.admin, ana, beto, webchat: setup.channel, apiKey: key.key };
}

export function alwaysOpen() {
  const h = defaultHours();
  for (const d of Object.keys(h) as (keyof typeof h)[]) h[d] = { open: true, from: "00:00", to: "23:59" };
  return h;
}

/** POSTs JSON to the REST API with a key and returns its `data`; anything but a 2xx throws with the body (test setup). */
export async function apiPost(t: TestApp, key: string, path: string, json: unknown) {
  const r = await t.req("POST", `/api/v1${path}`, { headers: { authorization: `Bearer ${key}` }, json });
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return (await r.json()).data;
}

/** Logs in through the service and returns the headers a browser would send (cookie + CSRF token). */
export async function sessionHeaders(ctx: Ctx, email: string, password: string) {
  const s = await login(ctx, { email, password, ip: "127.0.0.1" });
  return { cookie: `digybot_session=${s.token}`, "x-csrf-token": s.csrf };
}

export { startServer };

/**
 * What a browser gets from GET /login before posting it: the form cookie and the same token in the page. Returns
 * a builder of POST /login requests that carry both, as the login form does.
 */
export async function loginForm(t: TestApp) {
  const page = await t.app.request("/login");
  const cookie = (page.headers.get("set-cookie") ?? "").match(/digybot_form=[^;]+/)?.[0] ?? "";
  const token = (await page.text()).match(/name="_csrf" value="([^"]+)"/)?.[1] ?? "";
  if (!cookie || !token) throw new Error("the login page did not hand out its form token");
  return (email: string, password: string, headers: Record<string, string> = {}): RequestInit => ({
    method: "POST",
    body: new URLSearchParams({ email, password, _csrf: token }),
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, ...headers },
  });
}

/** Waits until `check` holds, polling every 50 ms; throws after `ms`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms = 5000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await Bun.sleep(50);
  }
}

/**
 * A WhatsApp Cloud channel as a test sets one up: nothing listens at its Graph URL unless the test says where
 * (then deliveries fail, which most tests do not look at).
 */
export async function addWhatsAppCloud(ctx: Ctx, config: Record<string, unknown> = {}, name = "WhatsApp ventas") {
  const { createChannel } = await import("../../src/channels/service.ts");
  return createChannel(
    ctx,
    { kind: "system" },
    {
      type: "whatsapp_cloud",
      name,
      config: {
        phoneNumberId: "1122334455667",
        wabaId: "WABA1",
        accessToken: "EAAG-test-token",
        appSecret: "test-app-secret",
        verifyToken: "verify-me-please",
        graphUrl: "http://127.0.0.1:9",
        ...config,
      },
    },
  );
}
