// Failed logins slow the guesser down instead of locking the owner out: per email and address, per email, per
// address; an administrator can unlock; unknown emails cost the same time; a trusted proxy gives the client address.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, loginForm, type TestApp } from "../support/app.ts";
import { login } from "../../src/auth/service.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
let now = Date.UTC(2026, 11, 1, 12);
const clock = { now: () => now };
beforeEach(async () => {
  now = Date.UTC(2026, 11, 1, 12);
  t = await makeTestApp({}, { clock });
  s = await seedBusiness(t.ctx);
});
afterEach(() => t.close());

const attempt = (email: string, password: string, ip: string) =>
  login(t.ctx, { email, password, ip }).then(
    () => ({ status: 200, retryAfter: 0 }),
    (e) => ({ status: e.status as number, retryAfter: (e.retryAfter as number) ?? 0 }),
  );
const tick = (ms: number) => {
  now += ms;
};

test("a guesser at one address is slowed down; the owner from another address logs in at once", async () => {
  for (let i = 0; i < 5; i++) {
    expect((await attempt("ana@test.mx", "wrong-password", "203.0.113.9")).status).toBe(401);
    tick(100);
  }
  const slowed = await attempt("ana@test.mx", "agent-pass-123", "203.0.113.9");
  expect(slowed.status).toBe(429);
  expect(slowed.retryAfter).toBeGreaterThan(0);
  expect(slowed.retryAfter).toBeLessThanOrEqual(1);
  expect((await attempt("ana@test.mx", "agent-pass-123", "198.51.100.7")).status).toBe(200);
  // each further failure doubles the guesser's wait
  tick(1000);
  expect((await attempt("ana@test.mx", "wrong-password", "203.0.113.9")).status).toBe(401);
  expect((await attempt("ana@test.mx", "wrong-password", "203.0.113.9")).retryAfter).toBe(2);
  tick(2000);
  expect((await attempt("ana@test.mx", "wrong-password", "203.0.113.9")).status).toBe(401);
  expect((await attempt("ana@test.mx", "wrong-password", "203.0.113.9")).retryAfter).toBe(4);
});

test("failures from an office's one address do not keep its people out for more than seconds", async () => {
  for (let i = 0; i < 20; i++) {
    await attempt(`nobody${i}@test.mx`, "guess", "192.0.2.50");
    tick(10);
  }
  const first = await attempt("admin@test.mx", "admin-pass-123", "192.0.2.50");
  expect(first.status).toBe(429);
  expect(first.retryAfter).toBeLessThanOrEqual(5);
  tick(first.retryAfter * 1000);
  expect((await attempt("admin@test.mx", "admin-pass-123", "192.0.2.50")).status).toBe(200);
});

test("a guess spread over many addresses slows the email to one try every 30 s, and the owner still gets in", async () => {
  for (let i = 0; i < 20; i++) {
    await attempt("ana@test.mx", "guess", `198.18.0.${i + 1}`);
    tick(10);
  }
  const owner = await attempt("ana@test.mx", "agent-pass-123", "198.51.100.7");
  expect(owner.status).toBe(429);
  expect(owner.retryAfter).toBeLessThanOrEqual(30);
  tick(owner.retryAfter * 1000);
  expect((await attempt("ana@test.mx", "agent-pass-123", "198.51.100.7")).status).toBe(200);
});

test("an administrator unlocks a user's login (API and console)", async () => {
  for (let i = 0; i < 8; i++) await attempt("ana@test.mx", "wrong-password", "203.0.113.9");
  expect((await attempt("ana@test.mx", "agent-pass-123", "203.0.113.9")).status).toBe(429);
  const agent = await t.req("POST", `/api/v1/users/${s.ana.id}/unlock-login`, {
    headers: { authorization: `Bearer ${s.apiKey}` },
  });
  expect(agent.status).toBe(200);
  expect((await attempt("ana@test.mx", "agent-pass-123", "203.0.113.9")).status).toBe(200);
});

test("an unknown email costs the same time as a wrong password", async () => {
  await attempt("ana@test.mx", "warm-up-1", "192.0.2.1");
  const time = async (email: string) => {
    const ms: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await attempt(email, `wrong-${i}`, `192.0.2.${10 + i}`);
      ms.push(performance.now() - t0);
    }
    return ms.sort((a, b) => a - b)[1];
  };
  const known = await time("ana@test.mx");
  const unknown = await time("no-such-user@test.mx");
  // both verify an Argon2id hash (tens of ms); before, an unknown email answered in about 1 ms
  expect(unknown).toBeGreaterThan(known * 0.4);
  expect(known).toBeGreaterThan(5);
});

test("behind a trusted proxy, the client's address comes from X-Forwarded-For; otherwise the header is ignored", async () => {
  const post = await loginForm(t);
  const form = (password: string, xff = "203.0.113.77") => post("beto@test.mx", password, { "x-forwarded-for": xff });
  const viaProxy = { requestIP: () => ({ address: "127.0.0.1" }) };
  t.ctx.config.trusted_proxies = ["127.0.0.1"];
  for (let i = 0; i < 5; i++)
    expect((await t.app.request("/login", form("wrong-password"), viaProxy)).status).toBe(401);
  const slowed = await t.app.request("/login", form("agent-pass-123"), viaProxy);
  expect(slowed.status).toBe(429);
  expect(slowed.headers.get("retry-after")).toBe("1");
  expect(await slowed.text()).toContain("Espera 1 s");
  // another customer of the same proxy is another address
  const other = await t.app.request("/login", form("agent-pass-123", "203.0.113.78"), viaProxy);
  expect(other.status).toBe(302);
  // an untrusted peer's X-Forwarded-For is not believed
  t.ctx.config.trusted_proxies = [];
  const { loginAttempts } = await import("../../src/auth/schema.ts");
  await t.app.request("/login", form("wrong-password"), { requestIP: () => ({ address: "192.0.2.99" }) });
  const rows = await t.ctx.db.select().from(loginAttempts);
  expect(rows.at(-1)?.ip).toBe("192.0.2.99");
});

test("login CSRF: a post without this site's form token, or from another site, logs nobody in and records nothing", async () => {
  const { loginAttempts } = await import("../../src/auth/schema.ts");
  const count = async () => (await t.ctx.db.select().from(loginAttempts)).length;
  const before = await count();
  const plain = { "content-type": "application/x-www-form-urlencoded" };
  const forged = [
    { method: "POST", body: new URLSearchParams({ email: "ana@test.mx", password: "agent-pass-123" }), headers: plain },
    {
      method: "POST",
      body: new URLSearchParams({ email: "ana@test.mx", password: "agent-pass-123", _csrf: "x".repeat(32) }),
      headers: { ...plain, cookie: `digybot_form=${"y".repeat(32)}` },
    },
  ];
  for (const init of forged) {
    const r = await t.app.request("/login", init);
    expect(r.status).toBe(403);
    expect(r.headers.get("set-cookie") ?? "").not.toContain("digybot_session");
    expect(await r.text()).toContain("El formulario caducó");
  }
  // the real form works, but not when the browser says it was posted from another site
  const post = await loginForm(t);
  const cross = await t.app.request(
    "/login",
    post("ana@test.mx", "agent-pass-123", { "sec-fetch-site": "cross-site" }),
  );
  expect(cross.status).toBe(403);
  expect(await count()).toBe(before);
  const ok = await t.app.request("/login", post("ana@test.mx", "agent-pass-123", { "sec-fetch-site": "same-origin" }));
  expect(ok.status).toBe(302);
  expect(ok.headers.get("set-cookie")).toMatch(/digybot_session=/);
  // the form cookie cannot travel with another site's requests
  expect((await t.app.request("/login")).headers.get("set-cookie")).toMatch(/digybot_form=[\w-]+;.*SameSite=Strict/i);
});

test("a fresh install's setup form cannot be posted from another site", async () => {
  const fresh = await makeTestApp();
  try {
    const r = await fresh.app.request("/setup", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        name: "Evil",
        timezone: "UTC",
        departments: "X",
        adminName: "Evil",
        email: "evil@example.com",
        password: "evil-pass-123",
      }),
    });
    expect(r.status).toBe(403);
    const { countUsers } = await import("../../src/auth/service.ts");
    expect(await countUsers(fresh.ctx)).toBe(0);
  } finally {
    await fresh.close();
  }
});

test("changing one's own password or email needs the current password; wrong guesses count as failed logins", async () => {
  const { sessionHeaders } = await import("../support/app.ts");
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const patch = (json: unknown, headers = ana) => t.req("PATCH", `/api/v1/users/${s.ana.id}`, { headers, json });
  const none = await patch({ password: "nueva-clave-456" });
  expect(none.status).toBe(400);
  expect((await none.json()).error).toMatchObject({
    code: "current_password_required",
    details: { field: "currentPassword" },
  });
  const wrong = await patch({ password: "nueva-clave-456", currentPassword: "not-it" });
  expect(wrong.status).toBe(403);
  expect((await wrong.json()).error.code).toBe("wrong_current_password");
  // nothing changed: the old password still logs in
  expect((await attempt("ana@test.mx", "agent-pass-123", "198.51.100.1")).status).toBe(200);
  // guessing through an open session is slowed like guessing at the login form
  for (let i = 0; i < 5; i++) {
    await patch({ password: "nueva-clave-456", currentPassword: `guess-${i}` });
    tick(10);
  }
  const slowed = await patch({ password: "nueva-clave-456", currentPassword: "agent-pass-123" });
  expect(slowed.status).toBe(429);
  expect(slowed.headers.get("retry-after")).toBeTruthy();
  tick(60_000);
  const ok = await patch({ password: "nueva-clave-456", currentPassword: "agent-pass-123" });
  expect(ok.status).toBe(200);
  expect((await attempt("ana@test.mx", "nueva-clave-456", "198.51.100.1")).status).toBe(200);
  // the name and language need no password; an administrator resets another's password without knowing it
  const ana2 = await sessionHeaders(t.ctx, "ana@test.mx", "nueva-clave-456");
  expect((await patch({ name: "Ana María" }, ana2)).status).toBe(200);
  const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  expect(
    (await t.req("PATCH", `/api/v1/users/${s.beto.id}`, { headers: admin, json: { password: "reset-por-admin-1" } }))
      .status,
  ).toBe(200);
  // but her own email, like her own password, needs it
  expect(
    (await t.req("PATCH", `/api/v1/users/${s.admin.id}`, { headers: admin, json: { email: "otra@test.mx" } })).status,
  ).toBe(400);
});
