import { describe, test, expect, beforeEach, afterEach } from "bun:test";
import { count, eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, sessionHeaders, loginForm, type TestApp } from "../support/app.ts";
import { messages, conversations, contacts } from "../../src/inbox/schema.ts";
import { loginAttempts } from "../../src/auth/schema.ts";
import { createChannel } from "../../src/channels/service.ts";
import { ingestInbound } from "../../src/inbox/service.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
let apiChannel: string;
const bearer = () => ({ authorization: `Bearer ${s.apiKey}` });

beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  apiChannel = (await createChannel(t.ctx, { kind: "system" }, { type: "api", name: "CRM", config: {} })).id;
});
afterEach(() => t.close());

async function inbound(body: string, who = "c1", externalId?: string) {
  const r = await t.req("POST", "/api/v1/inbound", {
    headers: bearer(),
    json: { channelId: apiChannel, externalId, from: { externalId: who, name: `Cliente ${who}` }, body },
  });
  expect(r.status).toBeOneOf([200, 201]);
  return (await r.json()).data as { messageId: string; conversationId: string; duplicate: boolean };
}
const countRows = async (table: typeof messages | typeof conversations | typeof contacts) =>
  (await t.ctx.db.select({ n: count() }).from(table).get())!.n;

describe("authentication", () => {
  const cases: [string, () => Record<string, string>, number, string | null][] = [
    ["no credentials", () => ({}), 401, "unauthorized"],
    ["unknown API key", () => ({ authorization: "Bearer dgb_nope_xxxxxxxx" }), 401, "invalid_api_key"],
    ["malformed bearer", () => ({ authorization: "Bearer hello" }), 401, "invalid_api_key"],
    ["valid API key", bearer, 200, null],
  ];
  for (const [name, headers, status, code] of cases) {
    test(`GET /api/v1/conversations with ${name} → ${status}`, async () => {
      const r = await t.req("GET", "/api/v1/conversations", { headers: headers() });
      expect(r.status).toBe(status);
      const j = await r.json();
      if (code) expect(j.error.code).toBe(code);
      else expect(Array.isArray(j.data)).toBe(true);
    });
  }

  test("a session cookie reads; a change needs the CSRF token and the same origin", async () => {
    const h = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
    expect((await t.req("GET", "/api/v1/me", { headers: { cookie: h.cookie } })).status).toBe(200);
    const noCsrf = await t.req("POST", "/api/v1/tags", { headers: { cookie: h.cookie }, json: { name: "vip" } });
    expect(noCsrf.status).toBe(403);
    expect((await noCsrf.json()).error.code).toBe("csrf_failed");
    const wrongOrigin = await t.req("POST", "/api/v1/tags", {
      headers: { ...h, origin: "https://evil.example" },
      json: { name: "vip" },
    });
    expect(wrongOrigin.status).toBe(403);
    const ok = await t.req("POST", "/api/v1/tags", { headers: h, json: { name: "vip" } });
    expect(ok.status).toBe(201);
    expect(
      (await t.req("GET", "/api/v1/tags", { headers: h }).then((r) => r.json())).data.map(
        (x: { name: string }) => x.name,
      ),
    ).toEqual(["vip"]);
  });

  test("login through the console sets an http-only cookie, is recorded, and is rate limited", async () => {
    const post = await loginForm(t);
    const form = (password: string) => post("ana@test.mx", password);
    const good = await t.app.request("/login", form("agent-pass-123"));
    expect(good.status).toBe(302);
    expect(good.headers.get("set-cookie")).toMatch(/digybot_session=.+HttpOnly/i);
    for (let i = 0; i < 5; i++) {
      const bad = await t.app.request("/login", form("wrong-password"));
      expect(bad.status).toBe(401);
    }
    const locked = await t.app.request("/login", form("agent-pass-123"));
    expect(locked.status).toBe(429);
    const hist = await t.ctx.db.select().from(loginAttempts).where(eq(loginAttempts.email, "ana@test.mx"));
    expect(hist.filter((h) => h.success).length).toBe(1);
    expect(hist.filter((h) => !h.success).length).toBe(5);
  });

  test("a revoked API key stops working", async () => {
    const h = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
    const created = await (await t.req("POST", "/api/v1/api-keys", { headers: h, json: { name: "zapier" } })).json();
    expect(created.data.key).toStartWith("dgb_");
    expect(
      (await t.req("GET", "/api/v1/me", { headers: { authorization: `Bearer ${created.data.key}` } })).status,
    ).toBe(200);
    const list = (await (await t.req("GET", "/api/v1/api-keys", { headers: h })).json()).data;
    expect(JSON.stringify(list)).not.toContain(created.data.key);
    expect((await t.req("DELETE", `/api/v1/api-keys/${created.data.id}`, { headers: h })).status).toBe(200);
    expect(
      (await t.req("GET", "/api/v1/me", { headers: { authorization: `Bearer ${created.data.key}` } })).status,
    ).toBe(401);
  });
});

describe("roles: an agent sees only conversations assigned to them or to their departments", () => {
  let ventasConv: string, soporteConv: string, ana: Record<string, string>;
  beforeEach(async () => {
    ventasConv = (await inbound("quiero comprar", "v1")).conversationId;
    soporteConv = (await inbound("mi pedido no llegó", "s1")).conversationId;
    await t.req("PATCH", `/api/v1/conversations/${ventasConv}`, {
      headers: bearer(),
      json: { departmentId: s.ventas.id },
    });
    await t.req("PATCH", `/api/v1/conversations/${soporteConv}`, {
      headers: bearer(),
      json: { departmentId: s.soporte.id },
    });
    ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  });

  test("the list holds only her department's conversation", async () => {
    const ids = (await (await t.req("GET", "/api/v1/conversations", { headers: ana })).json()).data.map(
      (c: { id: string }) => c.id,
    );
    expect(ids).toEqual([ventasConv]);
  });

  const refused: [string, string, (id: string) => string, unknown?][] = [
    ["read", "GET", (id) => `/api/v1/conversations/${id}`],
    ["read messages", "GET", (id) => `/api/v1/conversations/${id}/messages`],
    ["reply", "POST", (id) => `/api/v1/conversations/${id}/messages`, { body: "hola" }],
    ["resolve", "PATCH", (id) => `/api/v1/conversations/${id}`, { status: "resolved" }],
    ["assign to herself", "PATCH", (id) => `/api/v1/conversations/${id}`, { assigneeId: "x" }],
    ["mark read", "POST", (id) => `/api/v1/conversations/${id}/read`],
  ];
  for (const [what, method, path, json] of refused) {
    test(`she cannot ${what} another department's conversation: 404 and no data`, async () => {
      const before = await countRows(messages);
      const r = await t.req(method, path(soporteConv), { headers: ana, json });
      expect(r.status).toBe(404);
      const text = await r.text();
      expect(text).not.toContain("mi pedido");
      expect(JSON.parse(text).error.code).toBe("not_found");
      expect(await countRows(messages)).toBe(before);
    });
  }

  test("she cannot read that conversation's contact, nor its page", async () => {
    const conv = (await (await t.req("GET", `/api/v1/conversations/${soporteConv}`, { headers: bearer() })).json())
      .data;
    expect((await t.req("GET", `/api/v1/contacts/${conv.contactId}`, { headers: ana })).status).toBe(404);
    const page = await t.req("GET", `/inbox?c=${soporteConv}&status=any`, { headers: ana });
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain("mi pedido");
  });

  test("assigned to her, it becomes visible; transferred away, it disappears", async () => {
    await t.req("PATCH", `/api/v1/conversations/${soporteConv}`, { headers: bearer(), json: { assigneeId: s.ana.id } });
    expect((await t.req("GET", `/api/v1/conversations/${soporteConv}`, { headers: ana })).status).toBe(200);
    const r = await t.req("PATCH", `/api/v1/conversations/${ventasConv}`, {
      headers: ana,
      json: { departmentId: s.soporte.id },
    });
    expect(r.status).toBe(200);
    expect((await t.req("GET", `/api/v1/conversations/${ventasConv}`, { headers: ana })).status).toBe(404);
  });

  const adminOnly: [string, string, unknown][] = [
    ["/api/v1/tags", "POST", { name: "x" }],
    ["/api/v1/users", "POST", { email: "z@test.mx", name: "Z", password: "12345678" }],
    ["/api/v1/api-keys", "POST", { name: "k" }],
    ["/api/v1/departments", "POST", { name: "Nuevo" }],
    ["/api/v1/quick-replies", "POST", { shortcut: "x", body: "y" }],
    ["/api/v1/channels", "POST", { type: "webchat", name: "W" }],
    ["/api/v1/api-keys", "GET", undefined],
  ];
  for (const [path, method, json] of adminOnly) {
    test(`an agent gets 403 on ${method} ${path}`, async () => {
      const r = await t.req(method, path, { headers: ana, json });
      expect(r.status).toBe(403);
      expect((await r.json()).error.code).toBe("admin_only");
    });
  }

  test("an agent may not open the settings pages", async () => {
    expect((await t.req("GET", "/settings/users", { headers: ana })).status).toBe(403);
  });
});

describe("contacts", () => {
  const cases: [string, unknown, number, string | null][] = [
    ["a local Mexican number is stored in E.164", { name: "Rosa", phone: "55 1234 5678" }, 201, "+525512345678"],
    ["an international number", { name: "John", phone: "+1 415 555 2671" }, 201, "+14155552671"],
    ["an impossible phone", { name: "X", phone: "123" }, 400, "invalid_phone"],
    ["a bad email", { name: "X", email: "not-an-email" }, 400, "validation_failed"],
    ["an unknown field", { name: "X", vip: true }, 400, "validation_failed"],
    ["a wrong type", { name: 42 }, 400, "validation_failed"],
  ];
  for (const [name, json, status, expected] of cases) {
    test(name, async () => {
      const before = await countRows(contacts);
      const r = await t.req("POST", "/api/v1/contacts", { headers: bearer(), json });
      expect(r.status).toBe(status);
      const j = await r.json();
      if (status === 201) {
        expect(j.data.phone).toBe(expected);
        expect(await countRows(contacts)).toBe(before + 1);
      } else {
        expect(j.error.code).toBe(expected);
        expect(j.error.details).not.toBeNull();
        expect(await countRows(contacts)).toBe(before);
      }
    });
  }

  test("attributes merge on update, and search finds by name, phone and email", async () => {
    const c = (
      await (
        await t.req("POST", "/api/v1/contacts", {
          headers: bearer(),
          json: { name: "Rosa Márquez", phone: "5512345678", email: "rosa@correo.mx", attributes: { plan: "básico" } },
        })
      ).json()
    ).data;
    const u = (
      await (
        await t.req("PATCH", `/api/v1/contacts/${c.id}`, {
          headers: bearer(),
          json: { attributes: { ciudad: "CDMX" } },
        })
      ).json()
    ).data;
    expect(u.attributes).toEqual({ plan: "básico", ciudad: "CDMX" });
    // a name word or prefix, part of an e-mail, a whole e-mail (its own index), a phone as typed, its last digits
    for (const q of [
      "rosa",
      "marquez",
      "mar",
      "rosa@correo",
      "ROSA@correo.mx",
      "5512345678",
      "55 1234 5678",
      "345678",
    ]) {
      const found = (
        await (await t.req("GET", `/api/v1/contacts?q=${encodeURIComponent(q)}`, { headers: bearer() })).json()
      ).data;
      expect(found.map((x: { id: string }) => x.id)).toContain(c.id);
    }
  });
});

describe("conversations and messages", () => {
  test("an inbound message is stored once however often it is delivered", async () => {
    const a = await inbound("hola", "c1", "ext-1");
    const b = await inbound("hola", "c1", "ext-1");
    expect(b.duplicate).toBe(true);
    expect(b.messageId).toBe(a.messageId);
    const msgs = (
      await (await t.req("GET", `/api/v1/conversations/${a.conversationId}/messages`, { headers: bearer() })).json()
    ).data;
    expect(msgs.length).toBe(1);
    const conv = (await (await t.req("GET", `/api/v1/conversations/${a.conversationId}`, { headers: bearer() })).json())
      .data;
    expect(conv.unreadCount).toBe(1);
  });

  test("filters and search", async () => {
    const a = await inbound("necesito factura del pedido", "c1");
    const b = await inbound("¿venden tacos de canasta?", "c2");
    const tag = (
      await (
        await t.req("POST", "/api/v1/tags", { headers: bearer(), json: { name: "factura", color: "#b45309" } })
      ).json()
    ).data;
    await t.req("PUT", `/api/v1/conversations/${a.conversationId}/tags/${tag.id}`, { headers: bearer() });
    await t.req("PATCH", `/api/v1/conversations/${b.conversationId}`, {
      headers: bearer(),
      json: { assigneeId: s.ana.id, departmentId: s.ventas.id },
    });
    const ids = async (q: string) =>
      (await (await t.req("GET", `/api/v1/conversations?${q}`, { headers: bearer() })).json()).data.map(
        (c: { id: string }) => c.id,
      );
    expect(await ids(`tagId=${tag.id}`)).toEqual([a.conversationId]);
    expect(await ids("view=unassigned")).toEqual([a.conversationId]);
    expect(await ids(`departmentId=${s.ventas.id}`)).toEqual([b.conversationId]);
    expect(await ids("q=factura")).toEqual([a.conversationId]);
    expect(await ids("q=canasta")).toEqual([b.conversationId]);
    expect(await ids("q=Cliente%20c2")).toEqual([b.conversationId]);
    expect((await ids("status=any")).length).toBe(2);
    const bad = await t.req("GET", "/api/v1/conversations?status=closed", { headers: bearer() });
    expect(bad.status).toBe(400);
  });

  test("resolve, reopen, snooze and their activity lines", async () => {
    const { conversationId: id } = await inbound("hola", "c1");
    const patch = (json: unknown) => t.req("PATCH", `/api/v1/conversations/${id}`, { headers: bearer(), json });
    expect((await (await patch({ status: "resolved" })).json()).data.status).toBe("resolved");
    expect((await (await patch({ status: "open" })).json()).data.status).toBe("open");
    const noTime = await patch({ status: "snoozed" });
    expect(noTime.status).toBe(400);
    expect((await noTime.json()).error.code).toBe("snooze_until_required");
    expect((await (await patch({ status: "snoozed", snoozedUntil: Date.now() + 3_600_000 })).json()).data.status).toBe(
      "snoozed",
    );
    expect((await patch({ assigneeId: "no-such-user" })).status).toBe(400);
    const acts = (
      await (await t.req("GET", `/api/v1/conversations/${id}/messages`, { headers: bearer() })).json()
    ).data.filter((m: { direction: string }) => m.direction === "activity");
    expect(acts.map((m: { body: string }) => JSON.parse(m.body).key)).toEqual(["resolved", "reopened", "snoozed"]);
  });

  test("a resolved conversation is followed by a new one when the customer writes again", async () => {
    const a = await inbound("hola", "c1");
    await t.req("PATCH", `/api/v1/conversations/${a.conversationId}`, {
      headers: bearer(),
      json: { status: "resolved" },
    });
    const b = await inbound("otra pregunta", "c1");
    expect(b.conversationId).not.toBe(a.conversationId);
  });

  test("a reply is queued to the outbox and delivered; a repeated idempotency key sends once", async () => {
    const { conversationId: id } = await inbound("hola", "c1");
    const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
    await t.req("PATCH", `/api/v1/conversations/${id}`, { headers: bearer(), json: { departmentId: s.ventas.id } });
    const send = () =>
      t.req("POST", `/api/v1/conversations/${id}/messages`, {
        headers: ana,
        json: { body: "¡Hola! ¿En qué te ayudo?", idempotencyKey: "reply-0001" },
      });
    const first = await send();
    expect(first.status).toBe(202);
    const m = (await first.json()).data;
    expect(m.status).toBe("queued");
    const again = await send();
    expect(again.status).toBe(200);
    expect((await again.json()).data.id).toBe(m.id);
    await t.ctx.outbox.start();
    expect(await t.ctx.outbox.idle()).toBe(true);
    const msgs = (await (await t.req("GET", `/api/v1/conversations/${id}/messages`, { headers: ana })).json()).data;
    expect(
      msgs.filter((x: { direction: string }) => x.direction === "out").map((x: { status: string }) => x.status),
    ).toEqual(["sent"]);
    const conv = (await (await t.req("GET", `/api/v1/conversations/${id}`, { headers: ana })).json()).data;
    expect(conv.assigneeId).toBe(s.ana.id);
    expect(conv.ownerType).toBe("agent");
  });

  test("a private note never reaches the outbox", async () => {
    const { conversationId: id } = await inbound("hola", "c1");
    const r = await t.req("POST", `/api/v1/conversations/${id}/messages`, {
      headers: bearer(),
      json: { body: "cliente frecuente", private: true },
    });
    expect(r.status).toBe(202);
    const { outbox } = await import("../../src/platform/schema.ts");
    expect((await t.ctx.db.select({ n: count() }).from(outbox).get())!.n).toBe(0);
  });
});

describe("quick replies", () => {
  test("create, list, update, refuse duplicates and bad shortcuts, delete", async () => {
    const mk = (json: unknown) => t.req("POST", "/api/v1/quick-replies", { headers: bearer(), json });
    const a = await mk({ shortcut: "horario", body: "Abrimos de 9 a 6" });
    expect(a.status).toBe(201);
    const id = (await a.json()).data.id;
    expect((await mk({ shortcut: "horario", body: "otra" })).status).toBe(409);
    expect((await mk({ shortcut: "con espacio", body: "x" })).status).toBe(400);
    expect(
      (await t.req("PATCH", `/api/v1/quick-replies/${id}`, { headers: bearer(), json: { body: "Abrimos de 10 a 7" } }))
        .status,
    ).toBe(200);
    const list = (await (await t.req("GET", "/api/v1/quick-replies", { headers: bearer() })).json()).data;
    expect(list).toMatchObject([{ shortcut: "horario", body: "Abrimos de 10 a 7" }]);
    expect((await t.req("DELETE", `/api/v1/quick-replies/${id}`, { headers: bearer() })).status).toBe(200);
    expect((await t.req("DELETE", `/api/v1/quick-replies/${id}`, { headers: bearer() })).status).toBe(404);
  });
});

describe("bad input gets a clear 4xx and changes nothing", () => {
  const cases: [string, (id: string) => Promise<Response>, number, string][] = [
    [
      "malformed JSON",
      (id) =>
        t.req("POST", `/api/v1/conversations/${id}/messages`, {
          headers: { ...bearer(), "content-type": "application/json" },
          body: '{"body": "hola"',
        }),
      400,
      "invalid_json",
    ],
    [
      "not JSON at all",
      (id) =>
        t.req("POST", `/api/v1/conversations/${id}/messages`, {
          headers: { ...bearer(), "content-type": "text/plain" },
          body: "hola",
        }),
      415,
      "unsupported_media_type",
    ],
    [
      "an oversized body",
      (id) =>
        t.req("POST", `/api/v1/conversations/${id}/messages`, {
          headers: bearer(),
          json: { body: "x".repeat(300_000) },
        }),
      413,
      "payload_too_large",
    ],
    [
      "a body longer than allowed",
      (id) =>
        t.req("POST", `/api/v1/conversations/${id}/messages`, {
          headers: bearer(),
          json: { body: "x".repeat(10_001) },
        }),
      400,
      "validation_failed",
    ],
    [
      "an unknown field",
      (id) =>
        t.req("POST", `/api/v1/conversations/${id}/messages`, {
          headers: bearer(),
          json: { body: "hola", urgent: true },
        }),
      400,
      "validation_failed",
    ],
    [
      "a wrong-typed field",
      (id) => t.req("POST", `/api/v1/conversations/${id}/messages`, { headers: bearer(), json: { body: 12 } }),
      400,
      "validation_failed",
    ],
    [
      "an empty message",
      (id) => t.req("POST", `/api/v1/conversations/${id}/messages`, { headers: bearer(), json: { body: "   " } }),
      400,
      "empty_message",
    ],
    [
      "an unknown conversation",
      () => t.req("POST", `/api/v1/conversations/nope/messages`, { headers: bearer(), json: { body: "hola" } }),
      404,
      "not_found",
    ],
    [
      "a bad status",
      (id) => t.req("PATCH", `/api/v1/conversations/${id}`, { headers: bearer(), json: { status: "closed" } }),
      400,
      "validation_failed",
    ],
    [
      "a widget message from a disallowed origin",
      () =>
        t.req("POST", `/webchat/${s.webchat.id}/sessions`, {
          headers: { origin: "https://otro-sitio.example" },
          json: {},
        }),
      403,
      "origin_not_allowed",
    ],
  ];
  for (const [name, call, status, code] of cases) {
    test(name, async () => {
      await t.req("PATCH", `/api/v1/channels/${s.webchat.id}`, {
        headers: bearer(),
        json: { config: { allowedOrigins: ["https://tienda.example"] } },
      });
      const { conversationId: id } = await inbound("hola", "c1");
      const before = [await countRows(messages), await countRows(conversations), await countRows(contacts)];
      const r = await call(id);
      expect(r.status).toBe(status);
      const j = await r.json();
      expect(j.error.code).toBe(code);
      expect(typeof j.error.message).toBe("string");
      expect([await countRows(messages), await countRows(conversations), await countRows(contacts)]).toEqual(before);
    });
  }
});

test("the OpenAPI document describes the API", async () => {
  const r = await t.req("GET", "/api/v1/openapi.json");
  expect(r.status).toBe(200);
  const doc = await r.json();
  expect(doc.openapi).toBe("3.1.0");
  for (const p of [
    "/api/v1/contacts",
    "/api/v1/conversations",
    "/api/v1/conversations/{id}/messages",
    "/api/v1/inbound",
  ])
    expect(doc.paths[p]).toBeDefined();
  expect(
    doc.paths["/api/v1/conversations/{id}/messages"].post.requestBody.content["application/json"].schema.properties
      .body,
  ).toBeDefined();
});

test("ingest through the service commits contact, conversation, message and event together", async () => {
  const r = await ingestInbound(t.ctx, {
    channelId: apiChannel,
    externalId: "x-1",
    from: { externalId: "p1", name: "Paula" },
    body: "hola",
  });
  const { events } = await import("../../src/platform/schema.ts");
  const ev = await t.ctx.db.select().from(events).where(eq(events.conversationId, r.conversationId));
  expect(ev.map((e) => e.type).sort()).toEqual(["inbox.conversation_created", "inbox.message_received"]);
});

test("a PATCH changes only the fields it names (no defaults sneak in)", async () => {
  const c = (
    await (
      await t.req("POST", "/api/v1/contacts", { headers: bearer(), json: { name: "Rosa", email: "rosa@correo.mx" } })
    ).json()
  ).data;
  await t.req("PATCH", `/api/v1/contacts/${c.id}`, { headers: bearer(), json: { attributes: { a: 1 } } });
  expect((await (await t.req("GET", `/api/v1/contacts/${c.id}`, { headers: bearer() })).json()).data).toMatchObject({
    name: "Rosa",
    email: "rosa@correo.mx",
  });
  expect(
    (await t.req("PATCH", `/api/v1/users/${s.admin.id}`, { headers: bearer(), json: { name: "Admin Nuevo" } })).status,
  ).toBe(200);
  const admin = (await (await t.req("GET", "/api/v1/users", { headers: bearer() })).json()).data.find(
    (u: { id: string }) => u.id === s.admin.id,
  );
  expect(admin).toMatchObject({ name: "Admin Nuevo", role: "admin", locale: "es" });
  expect(admin.departmentIds.length).toBe(2);
});

test("search finds the newest matches even when thousands of older messages match too", async () => {
  const { messages: m } = await import("../../src/inbox/schema.ts");
  const old = await inbound("necesito factura", "viejo");
  // 2,500 older matching messages in the old conversation, written directly for speed
  await t.ctx.database.write(async (tx) => {
    for (let i = 0; i < 2500; i++)
      await tx.insert(m).values({
        id: `0000-old-${String(i).padStart(5, "0")}`,
        conversationId: old.conversationId,
        channelId: apiChannel,
        direction: "in",
        senderType: "contact",
        body: `factura número ${i}`,
        attachments: [],
        private: false,
        status: "received",
        createdAt: 1,
      });
  });
  const fresh = await inbound("¿me mandan la factura?", "nuevo");
  const ids = (
    await (await t.req("GET", "/api/v1/conversations?q=factura&status=any", { headers: bearer() })).json()
  ).data.map((c: { id: string }) => c.id);
  expect(ids).toContain(fresh.conversationId);
  expect(ids).toContain(old.conversationId);
});
