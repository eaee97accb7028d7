import { describe, test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { createChannel } from "../../src/channels/service.ts";

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

/** A customer conversation in a department. */
async function conversationIn(departmentId: string, who: string) {
  const r = await t.req("POST", "/api/v1/inbound", {
    headers: bearer(),
    json: { channelId: apiChannel, from: { externalId: who }, body: "hola" },
  });
  const { conversationId } = (await r.json()).data;
  await t.req("PATCH", `/api/v1/conversations/${conversationId}`, { headers: bearer(), json: { departmentId } });
  return conversationId as string;
}

describe("idempotency keys are scoped to the conversation", () => {
  test("a key used in another department returns nothing of it and does not drop the reply", async () => {
    const soporteConv = await conversationIn(s.soporte.id, "c-soporte");
    const ventasConv = await conversationIn(s.ventas.id, "c-ventas");
    const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
    const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
    const secret = await t.req("POST", `/api/v1/conversations/${soporteConv}/messages`, {
      headers: beto,
      json: { body: "Su NIP es 4455", idempotencyKey: "shared-key-1" },
    });
    expect(secret.status).toBe(202);
    const mine = await t.req("POST", `/api/v1/conversations/${ventasConv}/messages`, {
      headers: ana,
      json: { body: "Hola, soy Ana", idempotencyKey: "shared-key-1" },
    });
    expect(mine.status).toBe(202);
    const j = await mine.json();
    expect(j.data.body).toBe("Hola, soy Ana");
    expect(j.data.conversationId).toBe(ventasConv);
    // the secret is looked for by its words: its digits can turn up inside an id, which is made from the time
    expect(JSON.stringify(j)).not.toContain("Su NIP");
    // and a repeat in her own conversation is still a no-op returning her own message
    const again = await t.req("POST", `/api/v1/conversations/${ventasConv}/messages`, {
      headers: ana,
      json: { body: "Hola, soy Ana", idempotencyKey: "shared-key-1" },
    });
    expect(again.status).toBe(200);
    expect((await again.json()).data.id).toBe(j.data.id);
    // an agent cannot probe a conversation she cannot see with a known key
    const probe = await t.req("POST", `/api/v1/conversations/${soporteConv}/messages`, {
      headers: ana,
      json: { body: "x", idempotencyKey: "shared-key-1" },
    });
    expect(probe.status).toBe(404);
    expect(JSON.stringify(await probe.json())).not.toContain("Su NIP");
  });
});

describe("orders, tickets and appointments follow the conversations' visibility", () => {
  test("an agent lists, creates and cancels only what belongs to conversations she can see", async () => {
    const soporteConv = await conversationIn(s.soporte.id, "c-soporte");
    const ventasConv = await conversationIn(s.ventas.id, "c-ventas");
    const contactOf = async (id: string) =>
      (await (await t.req("GET", `/api/v1/conversations/${id}`, { headers: bearer() })).json()).data
        .contactId as string;
    const soporteContact = await contactOf(soporteConv),
      ventasContact = await contactOf(ventasConv);
    const admin = bearer();
    const ok = async (r: Promise<Response>) => {
      const x = await r;
      expect(x.status).toBeLessThan(300);
      return (await x.json()).data;
    };
    await ok(t.req("POST", "/api/v1/products", { headers: admin, json: { sku: "P1", name: "Pizza", price: 15000 } }));
    await ok(t.req("PUT", "/api/v1/calendar/settings", { headers: admin, json: { slotMinutes: 30, services: [] } }));
    await ok(
      t.req("POST", "/api/v1/orders", {
        headers: admin,
        json: { contactId: soporteContact, items: [{ sku: "P1", quantity: 1 }] },
      }),
    );
    await ok(
      t.req("POST", "/api/v1/tickets", {
        headers: admin,
        json: { subject: "Reembolso de soporte", conversationId: soporteConv },
      }),
    );
    const day = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const soporteAppt = await ok(
      t.req("POST", "/api/v1/calendar/appointments", {
        headers: admin,
        json: { date: day, time: "10:00", conversationId: soporteConv },
      }),
    );
    expect(soporteAppt.contactId).toBe(soporteContact);

    const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
    expect(await ok(t.req("GET", "/api/v1/orders", { headers: ana }))).toEqual([]);
    expect(await ok(t.req("GET", "/api/v1/tickets", { headers: ana }))).toEqual([]);
    expect(await ok(t.req("GET", "/api/v1/calendar/appointments", { headers: ana }))).toEqual([]);
    // nothing can be attached to a conversation or contact she cannot see; the answer is the same as for one that does not exist
    for (const [path, json] of [
      ["/api/v1/tickets", { subject: "Intento", conversationId: soporteConv }],
      ["/api/v1/tickets", { subject: "Intento", contactId: soporteContact }],
      ["/api/v1/tickets", { subject: "Intento", conversationId: "no-such-conversation" }],
      ["/api/v1/orders", { contactId: soporteContact, items: [{ sku: "P1", quantity: 1 }] }],
      ["/api/v1/orders", { contactId: "no-such-contact", items: [{ sku: "P1", quantity: 1 }] }],
      ["/api/v1/calendar/appointments", { date: day, time: "11:00", conversationId: soporteConv }],
    ] as const) {
      const r = await t.req("POST", path, { headers: ana, json });
      expect(r.status).toBe(400);
      expect(["unknown_conversation", "unknown_contact"]).toContain((await r.json()).error.code);
    }
    const cancel = await t.req("POST", `/api/v1/calendar/appointments/${soporteAppt.id}/cancel`, { headers: ana });
    expect(cancel.status).toBe(404);
    expect((await ok(t.req("GET", "/api/v1/calendar/appointments", { headers: admin })))[0].status).toBe("booked");
    // her own department's work she sees, creates and cancels
    const myTicket = await ok(
      t.req("POST", "/api/v1/tickets", {
        headers: ana,
        json: { subject: "Factura pendiente", conversationId: ventasConv },
      }),
    );
    expect(myTicket).toMatchObject({ contactId: ventasContact, departmentId: s.ventas.id });
    await ok(
      t.req("POST", "/api/v1/orders", {
        headers: ana,
        json: { contactId: ventasContact, items: [{ sku: "P1", quantity: 2 }] },
      }),
    );
    const mine = await ok(
      t.req("POST", "/api/v1/calendar/appointments", {
        headers: ana,
        json: { date: day, time: "12:00", conversationId: ventasConv },
      }),
    );
    expect((await ok(t.req("GET", "/api/v1/tickets", { headers: ana }))).map((x: { id: string }) => x.id)).toEqual([
      myTicket.id,
    ]);
    expect(
      (await ok(t.req("GET", "/api/v1/orders", { headers: ana }))).map((x: { contactId: string }) => x.contactId),
    ).toEqual([ventasContact]);
    expect(
      (await ok(t.req("GET", "/api/v1/calendar/appointments", { headers: ana }))).map((x: { id: string }) => x.id),
    ).toEqual([mine.id]);
    expect((await ok(t.req("POST", `/api/v1/calendar/appointments/${mine.id}/cancel`, { headers: ana }))).status).toBe(
      "cancelled",
    );
    // Beto (soporte) sees soporte's
    const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
    expect(
      (await ok(t.req("GET", "/api/v1/tickets", { headers: beto }))).map((x: { subject: string }) => x.subject),
    ).toEqual(["Reembolso de soporte"]);
    expect((await ok(t.req("GET", "/api/v1/orders", { headers: beto }))).length).toBe(1);
  });
});

describe("a reply's attachments are files the sender may see", () => {
  test("an agent cannot send another department's file, nor an unknown one; what is sent is described from what was stored", async () => {
    const soporteConv = await conversationIn(s.soporte.id, "c-soporte");
    const ventasConv = await conversationIn(s.ventas.id, "c-ventas");
    const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
    const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
    const upload = async (headers: Record<string, string>, conv: string, name: string) => {
      const fd = new FormData();
      fd.append("file", new File([`contenido de ${name}`], name, { type: "text/plain" }));
      const r = await t.app.request(`/api/v1/files?conversationId=${conv}`, { method: "POST", headers, body: fd });
      expect(r.status).toBe(201);
      return (await r.json()).data as { fileId: string; name: string; mime: string; size: number };
    };
    const secret = await upload(beto, soporteConv, "estado-de-cuenta.txt");
    const count = async () =>
      (await (await t.req("GET", `/api/v1/conversations/${ventasConv}/messages`, { headers: bearer() })).json()).data
        .length;
    const before = await count();
    for (const fileId of [secret.fileId, "no-such-file"]) {
      const r = await t.req("POST", `/api/v1/conversations/${ventasConv}/messages`, {
        headers: ana,
        json: { body: "te mando esto", attachments: [{ ...secret, fileId }] },
      });
      expect(r.status).toBe(422);
      expect((await r.json()).error).toMatchObject({ code: "unknown_file", details: { fileId } });
    }
    expect(await count()).toBe(before);
    // nor can she download it
    expect((await t.req("GET", `/api/v1/files/${secret.fileId}`, { headers: ana })).status).toBe(404);
    // her own upload goes, with the name, type and size it was stored with (not what the caller claims)
    const mine = await upload(ana, ventasConv, "menu.txt");
    const sent = await t.req("POST", `/api/v1/conversations/${ventasConv}/messages`, {
      headers: ana,
      json: {
        body: "el menú",
        attachments: [{ fileId: mine.fileId, name: "menu.exe", mime: "application/x-msdownload", size: 1 }],
      },
    });
    expect(sent.status).toBe(202);
    expect((await sent.json()).data.attachments).toEqual([
      { fileId: mine.fileId, name: "menu.txt", mime: "text/plain", size: mine.size },
    ]);
    // an administrator sees every conversation, so may forward the file
    const fwd = await t.req("POST", `/api/v1/conversations/${ventasConv}/messages`, {
      headers: bearer(),
      json: { body: "reenvío", private: true, attachments: [secret] },
    });
    expect(fwd.status).toBe(202);
  });
});

describe("message templates are shown to the agents who serve their channel", () => {
  test("a channel of another department hides its templates, until the agent has one of its conversations; a channel of no department is everyone's", async () => {
    const { channelTemplates } = await import("../../src/channels/schema.ts");
    const { newId } = await import("../../src/platform/ids.ts");
    const mk = async (name: string, departmentId: string | null, phoneNumberId: string) => {
      const ch = await createChannel(
        t.ctx,
        { kind: "system" },
        {
          type: "whatsapp_cloud",
          name,
          departmentId,
          config: { phoneNumberId, accessToken: "tok", appSecret: "sec", verifyToken: `verify-${phoneNumberId}` },
        },
      );
      await t.ctx.database.write((tx) =>
        tx.insert(channelTemplates).values({
          id: newId(),
          channelId: ch.id,
          name: `cobranza_${phoneNumberId}`,
          language: "es_MX",
          status: "APPROVED",
          body: "Su saldo es {{1}}",
          params: 1,
          updatedAt: Date.now(),
        }),
      );
      return ch.id;
    };
    const soporteCh = await mk("WA Soporte", s.soporte.id, "111");
    const sharedCh = await mk("WA General", null, "222");
    const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
    const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
    const list = (ch: string, headers: Record<string, string>) =>
      t.req("GET", `/api/v1/channels/${ch}/templates`, { headers });
    const hidden = await list(soporteCh, ana);
    expect(hidden.status).toBe(404);
    expect(JSON.stringify(await hidden.json())).not.toContain("cobranza");
    expect((await (await list(soporteCh, beto)).json()).data.map((x: { name: string }) => x.name)).toEqual([
      "cobranza_111",
    ]);
    expect((await list(sharedCh, ana)).status).toBe(200);
    expect((await list("no-such-channel", ana)).status).toBe(404);
    expect((await list(soporteCh, bearer())).status).toBe(200);
    // once a conversation of that channel is hers, she serves it
    const { conversations, contacts } = await import("../../src/inbox/schema.ts");
    const now = Date.now();
    await t.ctx.database.write(async (tx) => {
      await tx
        .insert(contacts)
        .values({ id: "k-wa", name: "Cliente WA", attributes: {}, createdAt: now, updatedAt: now });
      await tx.insert(conversations).values({
        id: "cv-wa",
        channelId: soporteCh,
        contactId: "k-wa",
        status: "open",
        ownerType: "agent",
        assigneeId: s.ana.id,
        priority: "none",
        lastMessageAt: now,
        lastMessagePreview: "",
        createdAt: now,
        updatedAt: now,
      });
    });
    expect((await list(soporteCh, ana)).status).toBe(200);
  });
});

describe("API keys act within their scope", () => {
  test("read-only keys only read; inbox keys work conversations but not settings; admin keys do everything; new keys are read-only unless asked", async () => {
    const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
    const mk = async (scope?: string) => {
      const r = await t.req("POST", "/api/v1/api-keys", {
        headers: admin,
        json: { name: `k-${scope ?? "default"}`, ...(scope ? { scope } : {}) },
      });
      expect(r.status).toBe(201);
      const d = (await r.json()).data;
      return { authorization: `Bearer ${d.key}`, scope: d.scope as string };
    };
    const dflt = await mk(),
      read = await mk("read"),
      inboxKey = await mk("inbox"),
      adminKey = await mk("admin");
    expect(dflt.scope).toBe("read");
    expect(
      (await t.req("POST", "/api/v1/api-keys", { headers: admin, json: { name: "x", scope: "root" } })).status,
    ).toBe(400);
    const conv = await conversationIn(s.soporte.id, "c-scope");
    const h = (k: { authorization: string }) => ({ authorization: k.authorization });
    const call = (k: { authorization: string }, method: string, path: string, json?: unknown) =>
      t.req(method, `/api/v1${path}`, { headers: h(k), ...(json !== undefined ? { json } : {}) });
    // reads: every scope, every conversation (a key is not an agent of one department)
    for (const k of [read, inboxKey, adminKey])
      expect((await call(k, "GET", `/conversations/${conv}`)).status).toBe(200);
    const refuse = async (
      k: { authorization: string },
      method: string,
      path: string,
      json: unknown,
      needed: string,
    ) => {
      const r = await call(k, method, path, json);
      expect(`${method} ${path} ${r.status}`).toBe(`${method} ${path} 403`);
      expect((await r.json()).error).toMatchObject({ code: "insufficient_scope", details: { needed } });
    };
    const before = (await (await call(adminKey, "GET", `/conversations/${conv}/messages`)).json()).data.length;
    await refuse(read, "POST", `/conversations/${conv}/messages`, { body: "hola" }, "inbox");
    await refuse(read, "PATCH", `/conversations/${conv}`, { status: "resolved" }, "inbox");
    await refuse(read, "POST", "/inbound", { channelId: apiChannel, from: { externalId: "x" }, body: "hola" }, "inbox");
    await refuse(read, "POST", "/tags", { name: "vip" }, "admin");
    expect((await (await call(adminKey, "GET", `/conversations/${conv}/messages`)).json()).data.length).toBe(before);
    // inbox: what an agent does, on every conversation
    expect(
      (await call(inboxKey, "POST", `/conversations/${conv}/messages`, { body: "Le ayudo con gusto" })).status,
    ).toBe(202);
    expect((await call(inboxKey, "PATCH", `/conversations/${conv}`, { priority: "high" })).status).toBe(200);
    expect(
      (await call(inboxKey, "POST", "/inbound", { channelId: apiChannel, from: { externalId: "otro" }, body: "hola" }))
        .status,
    ).toBe(201);
    expect((await call(inboxKey, "POST", "/contacts", { name: "Nuevo cliente", phone: "55 1111 2222" })).status).toBe(
      201,
    );
    expect((await call(inboxKey, "POST", "/tickets", { subject: "Cobro doble", conversationId: conv })).status).toBe(
      201,
    );
    for (const [method, path, json] of [
      ["POST", "/tags", { name: "vip" }],
      ["POST", "/users", { email: "z@test.mx", name: "Z", password: "12345678" }],
      ["POST", "/api-keys", { name: "escalate", scope: "admin" }],
      ["PATCH", `/channels/${apiChannel}`, { name: "Otro" }],
      ["PUT", "/ai/settings", { timeoutMs: 1000 }],
      ["POST", "/products", { sku: "P9", name: "X", price: 1 }],
      ["DELETE", `/api-keys/whatever`, undefined],
    ] as const) {
      await refuse(inboxKey, method, path, json, "admin");
    }
    // admin-only reads stay admin-only
    expect((await call(inboxKey, "GET", "/api-keys")).status).toBe(403);
    expect((await call(adminKey, "POST", "/tags", { name: "vip" })).status).toBe(201);
    expect((await call(adminKey, "GET", "/api-keys")).status).toBe(200);
    const listed = (await (await call(adminKey, "GET", "/api-keys")).json()).data;
    expect(listed.map((k: { scope: string }) => k.scope).sort()).toEqual(["admin", "admin", "inbox", "read", "read"]);
  });
});
