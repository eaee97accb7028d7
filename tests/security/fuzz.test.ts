// Bounded, seeded fuzzing: malformed bodies, types, encodings and sizes sent to every route of the OpenAPI
// document, to the web chat's public routes, to the login form and to the Cloud API webhook (signed and not).
// Every answer is below 500, a 4xx has the error model, and a 4xx leaves the database as it was.
import { test, expect } from "bun:test";
import { createHmac } from "node:crypto";
import LibsqlDatabase from "libsql";
import { makeTestApp, seedBusiness } from "../support/app.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";

/** A small seeded PRNG (mulberry32): the same run every time, and a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY: unknown[] = [
  null,
  true,
  -1,
  1e308,
  0.5,
  "",
  "\u0000",
  "x".repeat(20_000),
  "<script>alert(1)</script>",
  "'; DROP TABLE users; --",
  "__proto__",
  "😀\uD800",
  [],
  [null],
  {},
  { __proto__: { admin: true } },
  { constructor: { prototype: {} } },
  "2026-13-45",
  "../../etc/passwd",
  "%00",
  "NaN",
];

function bodies(rand: () => number, fields: string[]): { body: BodyInit; type: string }[] {
  const pick = () => NASTY[Math.floor(rand() * NASTY.length)];
  const obj = () => Object.fromEntries(fields.map((f) => [f, pick()]));
  return [
    { body: "{not json", type: "application/json" },
    { body: "", type: "application/json" },
    { body: "[]", type: "application/json" },
    { body: "null", type: "application/json" },
    { body: JSON.stringify(obj()), type: "application/json" },
    { body: JSON.stringify(obj()), type: "application/json" },
    { body: JSON.stringify({ ...obj(), unexpected: pick() }), type: "application/json" },
    { body: new Uint8Array([0xff, 0xfe, 0x00, 0x7b, 0x22]), type: "application/json; charset=utf-16" },
    { body: "a=1&b=%ZZ", type: "application/x-www-form-urlencoded" },
    {
      body: '--xx\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhola',
      type: "multipart/form-data; boundary=xx",
    },
    { body: "garbage", type: "multipart/form-data" },
    { body: "<xml/>", type: "text/xml" },
  ];
}

test("no route answers 5xx to malformed input, errors keep their shape, and a refused request changes nothing", async () => {
  const t = await makeTestApp();
  const s = await seedBusiness(t.ctx);
  const auth = { authorization: `Bearer ${s.apiKey}` };
  const appSecret = "fuzz-app-secret";
  // a model server that answers (the copilot and the connection test would otherwise wait on retries)
  const ollama = startOllamaDouble();
  await t.req("PUT", "/api/v1/ai/settings", { headers: auth, json: { ollamaUrl: ollama.url, timeoutMs: 2000 } });
  await t.req("GET", "/api/v1/me", { headers: auth }); // the key's first use is recorded once; later calls write nothing
  const cloud = (
    await (
      await t.req("POST", "/api/v1/channels", {
        headers: auth,
        json: {
          type: "whatsapp_cloud",
          name: "WA",
          config: { phoneNumberId: "555", accessToken: "tok-fuzz", appSecret, verifyToken: "verify-fuzz-1" },
        },
      })
    ).json()
  ).data;
  const apiCh = (
    await (
      await t.req("POST", "/api/v1/channels", { headers: auth, json: { type: "api", name: "CRM", config: {} } })
    ).json()
  ).data;
  const conv = (
    await (
      await t.req("POST", "/api/v1/inbound", {
        headers: auth,
        json: { channelId: apiCh.id, from: { externalId: "v1" }, body: "hola" },
      })
    ).json()
  ).data;
  const ids: Record<string, string> = {
    id: conv.conversationId,
    channelId: s.webchat.id,
    fileId: "nope",
    tagId: "nope",
  };

  // PRAGMA data_version on a connection of its own changes whenever another connection commits a change: a refused
  // request must leave it as it was (a rolled-back or empty transaction does not move it)
  const watcher = new LibsqlDatabase(t.ctx.database.path);
  const version = () => Number((watcher.prepare("PRAGMA data_version").get() as { data_version: number }).data_version);
  const fingerprint = async () => {
    await t.ctx.database.flush();
    return String(version());
  };

  const doc = await (await t.req("GET", "/api/v1/openapi.json")).json();
  const targets: { method: string; path: string; fields: string[]; headers: Record<string, string> }[] = [];
  for (const [path, ops] of Object.entries(
    doc.paths as Record<
      string,
      Record<
        string,
        { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }
      >
    >,
  )) {
    for (const [method, op] of Object.entries(ops)) {
      if (method === "get" || method === "delete") continue; // reads and deletes take no body; reads are fuzzed by query below
      const schema = op.requestBody?.content?.["application/json"]?.schema;
      targets.push({
        method: method.toUpperCase(),
        path: path.replace(/^https?:\/\/[^/]+/, "").replace(/\{(\w+)\}/g, (_, k) => ids[k] ?? "nope"),
        fields: Object.keys(schema?.properties ?? { body: 1, name: 1 }),
        headers: auth,
      });
    }
  }
  const pub = s.webchat.id;
  for (const p of ["sessions", "messages", "attachments", "read"])
    targets.push({
      method: "POST",
      path: `/webchat/${pub}/${p}`,
      fields: ["body", "name", "email", "token"],
      headers: { origin: "https://shop.example" },
    });
  targets.push({ method: "PATCH", path: `/webchat/${pub}/contact`, fields: ["name", "email", "phone"], headers: {} });
  targets.push({ method: "POST", path: "/login", fields: ["email", "password"], headers: {} });
  targets.push({ method: "POST", path: "/webhooks/whatsapp-cloud", fields: ["object", "entry"], headers: {} });
  expect(targets.length).toBeGreaterThan(40);

  const rand = rng(20261201);
  const failures: string[] = [];
  let sent = 0;
  const started = Date.now();
  let before = await fingerprint();
  for (const target of targets) {
    for (const b of bodies(rand, target.fields)) {
      const headers: Record<string, string> = { ...target.headers, "content-type": b.type };
      if (target.path.startsWith("/webhooks/") && rand() < 0.5) {
        const raw = typeof b.body === "string" ? b.body : new TextDecoder().decode(b.body as Uint8Array);
        headers["x-hub-signature-256"] = `sha256=${createHmac("sha256", appSecret).update(raw).digest("hex")}`;
      }
      const r = await t.app.request(target.path, { method: target.method, headers, body: b.body });
      sent++;
      const text = await r.text();
      const where = `${target.method} ${target.path} [${b.type}] ${String(typeof b.body === "string" ? b.body : "<bytes>").slice(0, 60)}`;
      if (r.status >= 500) {
        failures.push(`${r.status} ${where}: ${text.slice(0, 200)}`);
        continue;
      }
      if (r.status >= 400) {
        if (!(r.headers.get("content-type") ?? "").includes("text/html")) {
          let j: { error?: { code?: unknown; message?: unknown } } = {};
          try {
            j = JSON.parse(text);
          } catch {
            /* checked below */
          }
          if (typeof j.error?.code !== "string" || typeof j.error?.message !== "string")
            failures.push(`shape ${r.status} ${where}: ${text.slice(0, 200)}`);
        }
        const after = await fingerprint();
        if (after !== before && target.path !== "/login") failures.push(`changed on ${r.status} ${where}`);
        before = after;
      } else before = await fingerprint();
    }
  }
  // reads: odd query strings on every list
  for (const q of [
    "limit=-1",
    "limit=abc",
    "before=%00",
    "q=%00%00",
    `q=${"a".repeat(500)}`,
    "status=__proto__",
    "view=x",
    "after=%ff%fe",
    "date=2026-02-30",
  ]) {
    for (const path of [
      "/api/v1/conversations",
      "/api/v1/contacts",
      `/api/v1/conversations/${conv.conversationId}/messages`,
      "/api/v1/calendar/slots",
      "/api/v1/tickets",
      "/api/v1/orders",
    ]) {
      const r = await t.req("GET", `${path}?${q}`, { headers: auth });
      sent++;
      if (r.status >= 500)
        failures.push(`${r.status} GET ${path}?${q.slice(0, 40)}: ${(await r.text()).slice(0, 200)}`);
    }
  }
  for (const p of [
    "/assets/__proto__",
    "/assets/constructor",
    "/assets/..%2f..%2fetc%2fpasswd",
    "/webchat/nope/config",
    `/webchat/${pub}/files/..%2f..`,
  ]) {
    const r = await t.app.request(p);
    sent++;
    if (r.status >= 500) failures.push(`${r.status} GET ${p}`);
  }
  console.log(
    `fuzz: ${sent} requests to ${targets.length} routes in ${Date.now() - started} ms, ${failures.length} failures`,
  );
  expect(failures).toEqual([]);
  void cloud;
  watcher.close();
  ollama.stop();
  await t.close();
}, 120_000);
