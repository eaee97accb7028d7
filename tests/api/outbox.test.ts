import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { createChannel } from "../../src/channels/service.ts";
import { ingestInbound, updateConversation, wakeSnoozed, getConversation } from "../../src/inbox/service.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
// the integrator's endpoint is on loopback: the administrator allows that host for server-side fetches
beforeEach(async () => {
  t = await makeTestApp({ fetch_allow_hosts: ["127.0.0.1"] });
  s = await seedBusiness(t.ctx);
});
afterEach(() => t.close());
const api = () => ({ authorization: `Bearer ${s.apiKey}` });

/** An integrator's endpoint on loopback: answers with the scripted statuses and records what it got. */
function callbackServer(statuses: number[]) {
  const got: { body: string; sig: string | null; key: string | null }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      got.push({
        body: await req.text(),
        sig: req.headers.get("x-digybot-signature"),
        key: req.headers.get("idempotency-key"),
      });
      return new Response("", { status: statuses[Math.min(got.length - 1, statuses.length - 1)] });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/hook`, got, stop: () => server.stop(true) };
}

async function apiConversation(callbackUrl: string) {
  const ch = await createChannel(
    t.ctx,
    { kind: "system" },
    { type: "api", name: "CRM", config: { callbackUrl, secret: "s3cr3t" } },
  );
  const r = await ingestInbound(t.ctx, {
    channelId: ch.id,
    externalId: "in-1",
    from: { externalId: "crm-7" },
    body: "hola",
  });
  return r.conversationId;
}

test("a reply reaches the integrator signed; a transient failure is retried with backoff and delivered once", async () => {
  const hook = callbackServer([503, 200]);
  try {
    const conv = await apiConversation(hook.url);
    await t.ctx.outbox.start();
    const sent = await t.req("POST", `/api/v1/conversations/${conv}/messages`, {
      headers: api(),
      json: { body: "¡Hola desde DigyBot!" },
    });
    const id = (await sent.json()).data.id;
    const end = Date.now() + 6000;
    let status = "";
    while (Date.now() < end) {
      const msgs = (await (await t.req("GET", `/api/v1/conversations/${conv}/messages`, { headers: api() })).json())
        .data;
      status = msgs.find((m: { id: string }) => m.id === id).status;
      if (status === "sent") break;
      await Bun.sleep(50);
    }
    expect(status).toBe("sent");
    expect(hook.got.length).toBe(2);
    expect(hook.got[0].key).toBe(hook.got[1].key);
    const body = hook.got[1].body;
    expect(JSON.parse(body)).toMatchObject({
      event: "message.outgoing",
      body: "¡Hola desde DigyBot!",
      conversationId: conv,
    });
    expect(hook.got[1].sig).toBe(`sha256=${new Bun.CryptoHasher("sha256", "s3cr3t").update(body).digest("hex")}`);
  } finally {
    hook.stop();
  }
});

test("a permanent failure is marked failed on the message, with the reason, and not retried", async () => {
  const hook = callbackServer([410]);
  try {
    const conv = await apiConversation(hook.url);
    await t.ctx.outbox.start();
    await t.req("POST", `/api/v1/conversations/${conv}/messages`, { headers: api(), json: { body: "no llegará" } });
    expect(await t.ctx.outbox.idle()).toBe(true);
    const msgs = (await (await t.req("GET", `/api/v1/conversations/${conv}/messages`, { headers: api() })).json()).data;
    const out = msgs.find((m: { direction: string }) => m.direction === "out");
    expect(out.status).toBe("failed");
    expect(out.error).toContain("410");
    expect(hook.got.length).toBe(1);
  } finally {
    hook.stop();
  }
});

test("a send interrupted by a crash is not sent again on a non-idempotent channel", async () => {
  const hook = callbackServer([200]);
  try {
    const conv = await apiConversation(hook.url);
    await t.req("POST", `/api/v1/conversations/${conv}/messages`, { headers: api(), json: { body: "¿se envió?" } });
    const { outbox } = await import("../../src/platform/schema.ts");
    // as if the process died after claiming the row, before knowing the outcome
    await t.ctx.database.write((tx) => tx.update(outbox).set({ status: "sending" }));
    await t.ctx.outbox.start();
    expect(await t.ctx.outbox.idle()).toBe(true);
    expect(hook.got.length).toBe(0);
    const out = (
      await (await t.req("GET", `/api/v1/conversations/${conv}/messages`, { headers: api() })).json()
    ).data.find((m: { direction: string }) => m.direction === "out");
    expect(out.status).toBe("failed");
    expect(out.error).toContain("outcome is unknown");
  } finally {
    hook.stop();
  }
});

test("agents attach files to replies; only people who can see the conversation can download them", async () => {
  const r = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    externalId: "w-1",
    from: { externalId: "v-1" },
    body: "¿me mandas el menú?",
  });
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
  const fd = new FormData();
  fd.append("file", new Blob(["%PDF-1.4 menú"], { type: "application/pdf" }), "menú.pdf");
  const up = await t.req("POST", `/api/v1/files?conversationId=${r.conversationId}`, { headers: ana, body: fd });
  expect(up.status).toBe(201);
  const att = (await up.json()).data;
  const sent = await t.req("POST", `/api/v1/conversations/${r.conversationId}/messages`, {
    headers: ana,
    json: { body: "Aquí está", attachments: [att] },
  });
  expect(sent.status).toBe(202);
  const dl = await t.req("GET", `/api/v1/files/${att.fileId}`, { headers: ana });
  expect(dl.status).toBe(200);
  expect(dl.headers.get("content-disposition")).toContain("inline");
  expect(await dl.text()).toBe("%PDF-1.4 menú");
  expect((await t.req("GET", `/api/v1/files/${att.fileId}`, { headers: beto })).status).toBe(404);
  expect(
    (await t.req("POST", `/api/v1/files?conversationId=${r.conversationId}`, { headers: beto, body: fd })).status,
  ).toBe(404);
});

test("an agent's contact list holds only contacts of conversations she may see", async () => {
  await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    externalId: "w-1",
    from: { externalId: "v-1", name: "Cliente de Ventas" },
    body: "hola",
  });
  const b = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    externalId: "w-2",
    from: { externalId: "v-2", name: "Cliente de Soporte" },
    body: "hola",
  });
  await updateConversation(t.ctx, { kind: "system" }, b.conversationId, { departmentId: s.soporte.id });
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const names = (await (await t.req("GET", "/api/v1/contacts", { headers: ana })).json()).data.map(
    (c: { name: string }) => c.name,
  );
  expect(names).toEqual(["Cliente de Ventas"]);
  const page = await (await t.req("GET", "/contacts", { headers: ana })).text();
  expect(page).toContain("Cliente de Ventas");
  expect(page).not.toContain("Cliente de Soporte");
});

test("a snoozed conversation wakes up when its time comes", async () => {
  const r = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    externalId: "w-1",
    from: { externalId: "v-1" },
    body: "hola",
  });
  await updateConversation(t.ctx, { kind: "system" }, r.conversationId, {
    status: "snoozed",
    snoozedUntil: Date.now() + 50,
  });
  expect(await wakeSnoozed(t.ctx)).toBe(0);
  await Bun.sleep(80);
  expect(await wakeSnoozed(t.ctx)).toBe(1);
  expect((await getConversation(t.ctx, { kind: "system" }, r.conversationId)).status).toBe("open");
});

test("replies to a paused channel wait, without the sender spinning, and go out when it is resumed", async () => {
  const hook = callbackServer([200]);
  try {
    const conv = await apiConversation(hook.url);
    const ch = (await getConversation(t.ctx, { kind: "system" }, conv)).channelId;
    await t.req("PATCH", `/api/v1/channels/${ch}`, { headers: api(), json: { active: false } });
    await t.ctx.outbox.start();
    await t.req("POST", `/api/v1/conversations/${conv}/messages`, { headers: api(), json: { body: "en espera" } });
    await t.ctx.outbox.drain(); // returns: paused rows are left waiting
    const status = async () =>
      (await (await t.req("GET", `/api/v1/conversations/${conv}/messages`, { headers: api() })).json()).data.find(
        (m: { direction: string }) => m.direction === "out",
      ).status;
    expect(await status()).toBe("queued");
    expect(hook.got.length).toBe(0);
    await t.req("PATCH", `/api/v1/channels/${ch}`, { headers: api(), json: { active: true } });
    const end = Date.now() + 3000;
    while ((await status()) !== "sent" && Date.now() < end) await Bun.sleep(20);
    expect(await status()).toBe("sent");
    expect(hook.got.length).toBe(1);
  } finally {
    hook.stop();
  }
});

test("many waiting rows of a paused channel do not hold back another channel's replies", async () => {
  const pausedHook = callbackServer([200]),
    activeHook = callbackServer([200]);
  try {
    const pausedConv = await apiConversation(pausedHook.url);
    const pausedChannel = (await getConversation(t.ctx, { kind: "system" }, pausedConv)).channelId;
    await t.req("PATCH", `/api/v1/channels/${pausedChannel}`, { headers: api(), json: { active: false } });
    const { outbox } = await import("../../src/platform/schema.ts");
    // more waiting rows than the sender reads at once, all older than the reply below
    await t.ctx.database.write(async (tx) => {
      for (let i = 0; i < 600; i++)
        await tx.insert(outbox).values({
          id: `0000-wait-${String(i).padStart(4, "0")}`,
          idempotencyKey: `wait-${i}`,
          channelId: pausedChannel,
          messageId: null,
          payload: {
            channelType: "api",
            conversationId: pausedConv,
            contactId: "x",
            body: "espera",
            attachments: [],
          },
          status: "pending",
          attempts: 0,
          nextAttemptAt: 1,
          createdAt: 1,
          updatedAt: 1,
        });
    });
    const ch = await createChannel(
      t.ctx,
      { kind: "system" },
      { type: "api", name: "ERP", config: { callbackUrl: activeHook.url } },
    );
    const r = await ingestInbound(t.ctx, {
      channelId: ch.id,
      externalId: "in-2",
      from: { externalId: "erp-1" },
      body: "hola",
    });
    await t.ctx.outbox.start();
    await t.req("POST", `/api/v1/conversations/${r.conversationId}/messages`, {
      headers: api(),
      json: { body: "sale aunque el otro canal esté en pausa" },
    });
    const end = Date.now() + 3000;
    while (!activeHook.got.length && Date.now() < end) await Bun.sleep(20);
    expect(activeHook.got.length).toBe(1);
    expect(pausedHook.got.length).toBe(0);
  } finally {
    pausedHook.stop();
    activeHook.stop();
  }
});
