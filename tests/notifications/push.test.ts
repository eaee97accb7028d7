// Web Push (issue #10): the server's VAPID keys, subscriptions per user and device, who is told what, and each
// request as a push service sees it: the double checks the VAPID JWT (RFC 8292) and decrypts the aes128gcm body
// (RFC 8291) with its own code, itself checked against the RFC's worked example first.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, sessionHeaders, waitUntil, type TestApp } from "../support/app.ts";
import { browserKeys, decryptAes128gcm, startPushDouble } from "../support/push-double.ts";
import { ingestInbound, sendMessage, updateConversation } from "../../src/inbox/service.ts";
import { updateChannel } from "../../src/channels/service.ts";
import { settings } from "../../src/platform/schema.ts";
import { pushSubscriptions } from "../../src/notifications/schema.ts";
import { vapidKeys, subscribe, savePrefs, DEFAULT_PREFS, mentioned } from "../../src/notifications/service.ts";
import { createContext } from "../../src/app/app.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, push: ReturnType<typeof startPushDouble>;
beforeEach(async () => {
  t = await makeTestApp({ fetch_allow_hosts: ["127.0.0.1"] });
  s = await seedBusiness(t.ctx);
  push = startPushDouble();
  await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, { departmentId: s.ventas.id });
});
afterEach(async () => {
  push.stop();
  await t.close();
});

const actor = (u: { id: string; name: string; role: "admin" | "agent" }, departmentIds: string[]) => ({
  kind: "user" as const,
  id: u.id,
  name: u.name,
  role: u.role,
  locale: "es" as const,
  departmentIds,
});
const customer = (n: string, body = "Hola, ¿tienen tacos al pastor?") =>
  ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: `v-${n}`, name: `Cliente ${n}` }, body });

test("the push double opens RFC 8291's worked example (so its decryption can be trusted)", () => {
  const ua = browserKeys("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94", "BTBZMqHH6r4Tts7J_aSIgg");
  expect(ua.p256dh).toBe("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4");
  const body =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";
  expect(decryptAes128gcm(new Uint8Array(Buffer.from(body, "base64url")), ua)).toBe(
    "When I grow up, I want to be a watermelon",
  );
  const tampered = new Uint8Array(Buffer.from(body, "base64url"));
  tampered[tampered.length - 1] ^= 1;
  expect(() => decryptAes128gcm(tampered, ua)).toThrow();
});

test("VAPID keys are made at first start, kept in the database with the private half sealed, and reused", async () => {
  const k = await vapidKeys(t.ctx);
  expect(Buffer.from(k.publicKey, "base64url").length).toBe(65);
  const row = await t.ctx.db.select().from(settings).where(eq(settings.key, "push.vapid")).get();
  const stored = row!.value as { publicKey: string; privateKey: string };
  expect(stored.publicKey).toBe(k.publicKey);
  expect(stored.privateKey).not.toContain(k.privateKey);
  // a second process on the same data reads the same keys
  const again = await createContext(t.ctx.config, { log: t.ctx.log });
  expect((await vapidKeys(again)).publicKey).toBe(k.publicKey);
  await again.database.close();
});

test("each person hears of what concerns them and may see; every push decrypts and carries a valid VAPID JWT", async () => {
  const vapid = (await vapidKeys(t.ctx)).publicKey;
  const admin = actor({ ...s.admin, role: "admin" }, [s.ventas.id, s.soporte.id]); // the wizard puts her in every department
  const ana = actor({ ...s.ana, role: "agent" }, [s.ventas.id]);
  const beto = actor({ ...s.beto, role: "agent" }, [s.soporte.id]);
  const dev = {
    ana: push.subscribe(vapid),
    ana2: push.subscribe(vapid),
    beto: push.subscribe(vapid),
    admin: push.subscribe(vapid),
  };
  await subscribe(
    t.ctx,
    ana,
    { endpoint: dev.ana.endpoint, keys: dev.ana.keys },
    "Mozilla/5.0 (Linux; Android 14) Chrome/130.0",
  );
  await subscribe(
    t.ctx,
    ana,
    { endpoint: dev.ana2.endpoint, keys: dev.ana2.keys },
    "Mozilla/5.0 (Windows NT 10.0) Firefox/130.0",
  );
  await subscribe(t.ctx, beto, { endpoint: dev.beto.endpoint, keys: dev.beto.keys });
  await subscribe(t.ctx, admin, { endpoint: dev.admin.endpoint, keys: dev.admin.keys });
  const at = (id: string) =>
    push.delivered.filter((d) => d.endpointId === id).map((d) => d.payload as Record<string, string>);

  // a new conversation in Ventas: its members (Ana on both her devices, the admin); not Beto (Soporte)
  const r = await customer("1");
  await push.until(() => push.delivered.length >= 3);
  await Bun.sleep(200);
  expect(at(dev.ana.id)).toEqual([
    {
      title: "Nueva conversación de Cliente 1",
      body: "",
      url: `/inbox?c=${r.conversationId}`,
      tag: `newConversation:${r.conversationId}`,
      kind: "newConversation",
    },
  ]);
  expect(at(dev.ana2.id)).toHaveLength(1);
  expect(at(dev.beto.id)).toEqual([]);
  expect(at(dev.admin.id)).toHaveLength(1);
  expect(push.refused).toEqual([]);
  expect(push.delivered[0].ttl).toBe(86400);

  // the admin assigns it to Beto: Beto is told (and may now see it); the admin, who did it, is not
  await updateConversation(t.ctx, admin, r.conversationId, { assigneeId: s.beto.id });
  await push.until(() => at(dev.beto.id).length === 1);
  expect(at(dev.beto.id)[0]).toMatchObject({ title: "Te asignaron la conversación con Cliente 1", kind: "assigned" });

  // the customer writes again: Beto (the assignee), nobody else
  const before = push.delivered.length;
  await customer("1", "¿Y a domicilio?");
  await push.until(() => at(dev.beto.id).length === 2);
  await Bun.sleep(200);
  expect(at(dev.beto.id)[1]).toMatchObject({
    title: "Nuevo mensaje de Cliente 1",
    body: "¿Y a domicilio?",
    kind: "newMessage",
  });
  expect(push.delivered.length).toBe(before + 1);

  // Beto mentions the admin in a note: the admin is told, in the admin's language; Beto himself is not
  await sendMessage(t.ctx, beto, r.conversationId, { body: "@Admin ¿le damos descuento?", private: true });
  await push.until(() => at(dev.admin.id).length === 2);
  expect(at(dev.admin.id)[1]).toMatchObject({
    title: "Beto te mencionó en la conversación con Cliente 1",
    kind: "mention",
  });

  // Ana and the admin turn off new conversations: the next one reaches nobody
  await savePrefs(t.ctx, ana, { ...DEFAULT_PREFS, newConversation: false });
  await savePrefs(t.ctx, admin, { ...DEFAULT_PREFS, newConversation: false });
  const n = push.delivered.length;
  await customer("2");
  await Bun.sleep(400);
  expect(push.delivered.length).toBe(n);
  // every request the double took had a verified JWT for its origin and a body it decrypted
  expect(push.refused).toEqual([]);
});

test("a conversation an AI agent holds tells nobody until it is handed over", async () => {
  const vapid = (await vapidKeys(t.ctx)).publicKey;
  const ana = actor({ ...s.ana, role: "agent" }, [s.ventas.id]);
  const d = push.subscribe(vapid);
  await subscribe(t.ctx, ana, { endpoint: d.endpoint, keys: d.keys });
  const { createAgent } = await import("../../src/agents/service.ts");
  const bot = await createAgent(t.ctx, { kind: "system" }, { name: "Bot", channelIds: [s.webchat.id] });
  const { updateAgent } = await import("../../src/agents/service.ts");
  await updateAgent(t.ctx, { kind: "system" }, bot.id, { active: true, useModel: false });
  const r = await customer("b");
  await Bun.sleep(400);
  expect(push.delivered).toEqual([]);
  await updateConversation(t.ctx, { kind: "system" }, r.conversationId, { ownerType: "queue" });
  await push.until(() => push.delivered.length === 1);
  expect(push.delivered[0].payload).toMatchObject({
    kind: "newConversation",
    title: "Nueva conversación de Cliente b",
  });
});

test("a subscription the push service says is gone is deleted; one per device; bad input changes nothing", async () => {
  const vapid = (await vapidKeys(t.ctx)).publicKey;
  const ana = actor({ ...s.ana, role: "agent" }, [s.ventas.id]);
  const d = push.subscribe(vapid);
  await subscribe(t.ctx, ana, { endpoint: d.endpoint, keys: d.keys });
  // the same device subscribing again replaces its row
  await subscribe(t.ctx, ana, { endpoint: d.endpoint, keys: d.keys });
  expect(await t.ctx.db.select().from(pushSubscriptions).all()).toHaveLength(1);
  push.expire(d.id);
  await customer("g");
  await waitUntil(async () => (await t.ctx.db.select().from(pushSubscriptions).all()).length === 0, 5000);
  expect(push.refused.map((r) => r.status)).toEqual([410]);

  // through the console's JSON route, as the client island posts it
  const h = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const post = (body: unknown) =>
    t.app.request("/push/subscriptions", {
      method: "POST",
      headers: { ...h, "content-type": "application/json", origin: "http://localhost" },
      body: JSON.stringify(body),
    });
  const bad = [
    { endpoint: d.endpoint, keys: { p256dh: "abc", auth: d.keys.auth } },
    { endpoint: d.endpoint, keys: { p256dh: d.keys.p256dh, auth: "short" } },
    { endpoint: "javascript:alert(1)", keys: d.keys },
    { endpoint: d.endpoint, keys: d.keys, extra: 1 },
  ];
  for (const b of bad) {
    const res = await post(b);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toMatch(/validation_failed|push_endpoint_refused/);
  }
  expect(await t.ctx.db.select().from(pushSubscriptions).all()).toHaveLength(0);
  const ok = await post({ endpoint: d.endpoint, keys: d.keys });
  expect(ok.status).toBe(201);
  expect(await t.ctx.db.select().from(pushSubscriptions).all()).toHaveLength(1);
});

test("a push service on a private address is refused unless the administrator allows that host", async () => {
  const strict = await makeTestApp();
  const seeded = await seedBusiness(strict.ctx);
  const ana = actor({ ...seeded.ana, role: "agent" }, [seeded.ventas.id]);
  const d = push.subscribe();
  await expect(subscribe(strict.ctx, ana, { endpoint: d.endpoint, keys: d.keys })).rejects.toMatchObject({
    status: 400,
    code: "push_endpoint_refused",
  });
  expect(await strict.ctx.db.select().from(pushSubscriptions).all()).toHaveLength(0);
  await strict.close();
});

test("mentions: @first name, @full.name, accents and case aside, not inside a word or an e-mail", () => {
  const team = [
    { id: "a", name: "Ana López" },
    { id: "b", name: "Beto" },
    { id: "c", name: "Carla" },
  ];
  expect([...mentioned("@ana ¿lo ves?", team)]).toEqual(["a"]);
  expect([...mentioned("cc @ANA.LOPEZ y @beto.", team)].sort()).toEqual(["a", "b"]);
  expect([...mentioned("escríbele a carla@correo.mx", team)]).toEqual([]);
  expect([...mentioned("@Betoven no existe", team)]).toEqual([]);
});
