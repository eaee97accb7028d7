// Secrets are sealed in the database (a copy of the file holds no credential in clear) and never shown back.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { channels } from "../../src/inbox/schema.ts";
import { channelState } from "../../src/channels/schema.ts";
import { settings } from "../../src/platform/schema.ts";
import { open, seal } from "../../src/platform/secrets.ts";

let t: TestApp;
let key: string;
beforeEach(async () => {
  t = await makeTestApp();
  key = (await seedBusiness(t.ctx)).apiKey;
});
afterEach(() => t.close());

const SECRETS = [
  "EAAG-TOKEN-EN-CLARO-4321",
  "app-secret-en-claro-99",
  "verifica-en-claro-77",
  "api-callback-secret-55",
  "sk-live-openai-clave-8888",
  "qr-noise-key-material-123",
];

test("channel tokens, app secrets, verify tokens, the AI key and WhatsApp session keys are sealed at rest and masked in answers", async () => {
  const auth = { authorization: `Bearer ${key}` };
  const cloud = await t.req("POST", "/api/v1/channels", {
    headers: auth,
    json: {
      type: "whatsapp_cloud",
      name: "Ventas",
      config: { phoneNumberId: "1098", accessToken: SECRETS[0], appSecret: SECRETS[1], verifyToken: SECRETS[2] },
    },
  });
  expect(cloud.status).toBe(201);
  const shown = (await cloud.json()).data;
  expect(shown.config).toMatchObject({ accessToken: "••••4321", appSecret: "••••o-99", verifyToken: "••••o-77" });
  expect(
    (
      await t.req("POST", "/api/v1/channels", {
        headers: auth,
        json: { type: "api", name: "CRM", config: { secret: SECRETS[3] } },
      })
    ).status,
  ).toBe(201);
  expect(
    (await t.req("PUT", "/api/v1/ai/settings", { headers: auth, json: { provider: "openai", openaiKey: SECRETS[4] } }))
      .status,
  ).toBe(200);
  await t.ctx.database.write((tx) =>
    tx
      .insert(channelState)
      .values({ channelId: shown.id, key: "creds", value: JSON.stringify({ noiseKey: SECRETS[5] }), updatedAt: 1 }),
  );
  // what the code reads is the clear value
  const row = (await t.ctx.db.select().from(channels).all()).find((c) => c.id === shown.id)!;
  expect(row.config.accessToken).toBe(SECRETS[0]);
  expect((await t.ctx.db.select().from(channelState).get())!.value).toContain(SECRETS[5]);
  // what the file holds is not
  await t.ctx.database.checkpoint();
  const raw = await t.ctx.database.client.execute(
    "SELECT config AS v FROM channels UNION ALL SELECT value FROM channel_state UNION ALL SELECT value FROM settings",
  );
  const dump = raw.rows.map((r) => String(r.v)).join("\n");
  for (const s of SECRETS) expect(dump).not.toContain(s);
  expect(dump).toContain("enc:v1:");
  const file = Buffer.from(await Bun.file(t.ctx.database.path).arrayBuffer()).toString("latin1");
  for (const s of SECRETS) expect(file.includes(s)).toBe(false);
  // nor do the answers
  const list =
    JSON.stringify(await (await t.req("GET", "/api/v1/channels", { headers: auth })).json()) +
    JSON.stringify(await (await t.req("GET", "/api/v1/ai/settings", { headers: auth })).json());
  for (const s of SECRETS) expect(list).not.toContain(s);
  void settings;
});

test("a sealed value opens only with its key, and tampering is detected", () => {
  const s = seal("hola");
  expect(open(s)).toBe("hola");
  expect(s).not.toContain("hola");
  const flipped = s.slice(0, -4) + (s.endsWith("A") ? "B" : "A") + s.slice(-3);
  expect(() => open(flipped)).toThrow();
  expect(() => open("enc:v1:deadbeef:AAAA")).toThrow(/another key/);
});
