import { describe, test, expect, beforeEach, afterEach } from "bun:test";
import { count } from "drizzle-orm";
import { makeTestApp, seedBusiness, startServer, sessionHeaders, type TestApp } from "../support/app.ts";
import { messages, contacts } from "../../src/inbox/schema.ts";
import { files } from "../../src/platform/schema.ts";
import { updateChannel } from "../../src/channels/service.ts";
import { putSetting, getBusiness } from "../../src/setup/service.ts";
import { readEvents } from "../support/sse.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
const ORIGIN = "https://tienda.example";
beforeEach(async () => {
  t = await makeTestApp({ max_upload_mb: 1 });
  s = await seedBusiness(t.ctx);
  await updateChannel(t.ctx, { kind: "system" }, s.webchat.id, {
    config: { allowedOrigins: [ORIGIN], offlineMessage: "Volvemos mañana a las 9" },
  });
});
afterEach(() => t.close());

const w = (path: string) => `/webchat/${s.webchat.id}${path}`;
const hdr = (token?: string, extra: Record<string, string> = {}) => ({
  origin: ORIGIN,
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  ...extra,
});
async function visitor(pre: Record<string, string> = {}) {
  const r = await t.req("POST", w("/sessions"), { headers: hdr(), json: pre });
  expect(r.status).toBe(201);
  return (await r.json()).data.token as string;
}
const say = (token: string, body: string, clientId: string = crypto.randomUUID()) =>
  t.req("POST", w("/messages"), { headers: hdr(token), json: { clientId, body } });
const rows = async (table: typeof messages | typeof contacts | typeof files) =>
  (await t.ctx.db.select({ n: count() }).from(table).get())!.n;

describe("web chat", () => {
  test("config tells the widget whether the business is open, from its hours", async () => {
    const open = (await (await t.req("GET", w("/config"), { headers: hdr() })).json()).data;
    expect(open).toMatchObject({ online: true, name: "Tienda Prueba" });
    const b = (await getBusiness(t.ctx))!;
    const closed = Object.fromEntries(
      Object.keys(b.hours).map((d) => [d, { open: false, from: "09:00", to: "18:00" }]),
    );
    await t.ctx.database.write((tx) => putSetting(tx, "business", { ...b, hours: closed }, Date.now()));
    const off = (await (await t.req("GET", w("/config"), { headers: hdr() })).json()).data;
    expect(off).toMatchObject({ online: false, offlineMessage: "Volvemos mañana a las 9" });
  });

  test("the pre-chat form captures the lead into the contact", async () => {
    const token = await visitor({ name: "Rosa Márquez", email: "Rosa@Correo.mx", phone: "55 1234 5678" });
    const m = await say(token, "¿Tienen envío?");
    expect(m.status).toBe(201);
    const conv = (
      await (await t.req("GET", "/api/v1/conversations", { headers: { authorization: `Bearer ${s.apiKey}` } })).json()
    ).data[0];
    expect(conv.contact).toMatchObject({ name: "Rosa Márquez", email: "rosa@correo.mx", phone: "+525512345678" });
    expect(conv.departmentId).toBe(s.ventas.id);
    const later = await t.req("PATCH", w("/contact"), { headers: hdr(token), json: { phone: "55 8765 4321" } });
    expect(later.status).toBe(200);
    const c = (
      await (
        await t.req("GET", `/api/v1/contacts/${conv.contactId}`, { headers: { authorization: `Bearer ${s.apiKey}` } })
      ).json()
    ).data;
    expect(c.phone).toBe("+525587654321");
  });

  test("a resent message (same clientId) is stored once", async () => {
    const token = await visitor();
    const a = await say(token, "hola", "client-id-0001");
    const b = await say(token, "hola", "client-id-0001");
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect((await b.json()).data.id).toBe((await a.json()).data.id);
    expect(await rows(messages)).toBe(1);
  });

  test("tokens: missing or wrong is 401; one visitor never sees another's messages, nor private notes", async () => {
    const ana = await visitor(),
      beto = await visitor();
    await say(ana, "mensaje de Ana");
    expect((await t.req("GET", w("/messages"), { headers: hdr() })).status).toBe(401);
    expect((await t.req("GET", w("/messages"), { headers: hdr(ana.replace(/.$/, "x")) })).status).toBe(401);
    expect((await (await t.req("GET", w("/messages"), { headers: hdr(beto) })).json()).data).toEqual([]);
    const conv = (
      await (await t.req("GET", "/api/v1/conversations", { headers: { authorization: `Bearer ${s.apiKey}` } })).json()
    ).data[0];
    await t.req("POST", `/api/v1/conversations/${conv.id}/messages`, {
      headers: { authorization: `Bearer ${s.apiKey}` },
      json: { body: "nota interna: cliente VIP", private: true },
    });
    await t.req("POST", `/api/v1/conversations/${conv.id}/messages`, {
      headers: { authorization: `Bearer ${s.apiKey}` },
      json: { body: "¡Hola Ana!" },
    });
    const seen = (await (await t.req("GET", w("/messages"), { headers: hdr(ana) })).json()).data.map(
      (m: { body: string }) => m.body,
    );
    expect(seen).toEqual(["mensaje de Ana", "¡Hola Ana!"]);
  });

  test("read receipts mark the business's messages read up to the one seen, and only the visitor's own", async () => {
    const ana = await visitor(),
      beto = await visitor();
    await say(ana, "hola");
    await say(beto, "hola");
    const convs = (
      await (await t.req("GET", "/api/v1/conversations", { headers: { authorization: `Bearer ${s.apiKey}` } })).json()
    ).data;
    const reply = async (conv: string, body: string) =>
      (
        await (
          await t.req("POST", `/api/v1/conversations/${conv}/messages`, {
            headers: { authorization: `Bearer ${s.apiKey}` },
            json: { body },
          })
        ).json()
      ).data.id as string;
    await t.ctx.outbox.start();
    // newest activity first: Beto wrote last
    const [bConv, anaConv] = convs.map((c: { id: string }) => c.id);
    const first = await reply(anaConv, "uno"),
      second = await reply(anaConv, "dos");
    const other = await reply(bConv, "para el otro");
    await t.ctx.outbox.idle();
    const r = await t.req("POST", w("/read"), { headers: hdr(ana), json: { upTo: first } });
    expect(r.status).toBe(200);
    const status = async (conv: string) =>
      Object.fromEntries(
        (
          await (
            await t.req("GET", `/api/v1/conversations/${conv}/messages`, {
              headers: { authorization: `Bearer ${s.apiKey}` },
            })
          ).json()
        ).data
          .filter((m: { direction: string }) => m.direction === "out")
          .map((m: { id: string; status: string }) => [m.id, m.status]),
      );
    expect(await status(anaConv)).toEqual({ [first]: "read", [second]: "sent" });
    await t.req("POST", w("/read"), { headers: hdr(ana), json: { upTo: other } });
    expect((await status(bConv))[other]).toBe("sent");
  });

  test("attachments: allowed types within the size limit only; a refused one stores nothing", async () => {
    const token = await visitor();
    const up = (blob: Blob, name: string) => {
      const fd = new FormData();
      fd.append("file", blob, name);
      fd.append("clientId", crypto.randomUUID());
      return t.req("POST", w("/attachments"), { headers: hdr(token), body: fd });
    };
    const png = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], { type: "image/png" });
    const ok = await up(png, "foto.png");
    expect(ok.status).toBe(201);
    const att = (await ok.json()).data.attachments[0];
    expect(att).toMatchObject({ name: "foto.png", mime: "image/png", size: 7 });
    const file = await t.req("GET", `${w(`/files/${att.fileId}`)}?token=${encodeURIComponent(token)}`, {
      headers: hdr(),
    });
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/png");
    const before = [await rows(messages), await rows(files)];
    const exe = await up(new Blob(["MZ..."], { type: "application/x-msdownload" }), "virus.exe");
    expect(exe.status).toBe(415);
    expect((await exe.json()).error.code).toBe("file_type_not_allowed");
    const big = await up(new Blob([new Uint8Array(1024 * 1024 + 10)], { type: "image/png" }), "grande.png");
    expect(big.status).toBe(413);
    expect([await rows(messages), await rows(files)]).toEqual(before);
    const other = await visitor();
    expect(
      (await t.req("GET", `${w(`/files/${att.fileId}`)}?token=${encodeURIComponent(other)}`, { headers: hdr() }))
        .status,
    ).toBe(404);
  });

  test("CORS: an allowed origin gets its preflight answered; others are refused", async () => {
    const pre = await t.app.request(w("/messages"), {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const bad = await t.app.request(w("/config"), { headers: { origin: "https://otro.example" } });
    expect(bad.status).toBe(403);
    expect(bad.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("live streams", () => {
  test("the visitor's stream replays what they missed, then delivers live", async () => {
    const running = await startServer(t.ctx);
    try {
      const token = await visitor();
      const first = (await (await say(token, "primero")).json()).data.id;
      await say(token, "segundo");
      const res = await fetch(`${running.url}${w("/stream")}?token=${encodeURIComponent(token)}&after=${first}`, {
        headers: { origin: ORIGIN },
      });
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const got = readEvents(res);
      await got.until((evs) => evs.some((e) => e.event === "ready"));
      const conv = (
        await (await t.req("GET", "/api/v1/conversations", { headers: { authorization: `Bearer ${s.apiKey}` } })).json()
      ).data[0];
      await t.req("POST", `/api/v1/conversations/${conv.id}/messages`, {
        headers: { authorization: `Bearer ${s.apiKey}` },
        json: { body: "respuesta en vivo" },
      });
      const evs = await got.until((e) => e.some((x) => x.data.includes("respuesta en vivo")));
      const bodies = evs.filter((e) => e.event === "message").map((e) => JSON.parse(e.data).body);
      expect(bodies).toEqual(["segundo", "respuesta en vivo"]);
      got.stop();
    } finally {
      await running.stop();
    }
  });

  test("an agent's console stream carries only conversations she may see", async () => {
    const running = await startServer(t.ctx);
    try {
      const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
      const stream = readEvents(await fetch(`${running.url}/console/events`, { headers: { cookie: ana.cookie } }));
      await stream.until((e) => e.some((x) => x.event === "ready"));
      const token = await visitor();
      await say(token, "para ventas");
      const soporteConv = (
        await (await t.req("GET", "/api/v1/conversations", { headers: { authorization: `Bearer ${s.apiKey}` } })).json()
      ).data[0].id;
      await t.req("PATCH", `/api/v1/conversations/${soporteConv}`, {
        headers: { authorization: `Bearer ${s.apiKey}` },
        json: { departmentId: s.soporte.id },
      });
      await say(token, "ya en soporte");
      await t.req("POST", `/api/v1/conversations/${soporteConv}/messages`, {
        headers: { authorization: `Bearer ${s.apiKey}` },
        json: { body: "respuesta de soporte" },
      });
      await Bun.sleep(300);
      const seen = stream.events
        .filter((e) => e.event === "inbox")
        .flatMap((e) => JSON.parse(e.data) as { event: string }[])
        .map((e) => e.event);
      // she saw the message while it was in Ventas and the transfer away, then nothing more
      expect(seen).toContain("inbox.message_received");
      expect(seen).toContain("inbox.conversation_updated");
      expect(seen.filter((e) => e === "inbox.message_received").length).toBe(1);
      expect(seen).not.toContain("inbox.message_created");
      stream.stop();
    } finally {
      await running.stop();
    }
  });
});

describe("anonymous visitors are rate limited per address and per visitor", () => {
  test("sessions per address and hour, messages per address and per visitor; a refusal is a 429 with Retry-After that stores nothing", async () => {
    let now = Date.now();
    const limited = await makeTestApp(
      { webchat_sessions_per_hour: 10, webchat_messages_per_minute: 30 },
      { clock: { now: () => now } },
    );
    try {
      const ls = await seedBusiness(limited.ctx);
      const from = (address: string) => ({ requestIP: () => ({ address }) });
      const post = (path: string, json: unknown, address: string, token?: string) =>
        limited.app.request(
          `/webchat/${ls.webchat.id}${path}`,
          {
            method: "POST",
            headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body: JSON.stringify(json),
          },
          from(address),
        );
      const contactRows = async () => (await limited.ctx.db.select({ n: count() }).from(contacts).get())!.n;
      const before = await contactRows();
      // a burst of five sessions from one address, then one every six minutes
      const tokens: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await post("/sessions", {}, "203.0.113.5");
        expect(r.status).toBe(201);
        tokens.push((await r.json()).data.token);
      }
      const refused = await post("/sessions", {}, "203.0.113.5");
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await refused.json()).error.code).toBe("rate_limited");
      expect(await contactRows()).toBe(before + 5);
      // another address is not affected; time gives the first one a session back
      expect((await post("/sessions", {}, "198.51.100.20")).status).toBe(201);
      now += 6 * 60_000 + 1000;
      expect((await post("/sessions", {}, "203.0.113.5")).status).toBe(201);

      // one visitor: ten at once, then a steady 20 a minute
      const msgs = async () => (await limited.ctx.db.select({ n: count() }).from(messages).get())!.n;
      const m0 = await msgs();
      for (let i = 0; i < 10; i++)
        expect(
          (await post("/messages", { clientId: `client-one-${i}`, body: `hola ${i}` }, "203.0.113.5", tokens[0]))
            .status,
        ).toBe(201);
      const tooMany = await post("/messages", { clientId: "client-one-x", body: "otra" }, "203.0.113.5", tokens[0]);
      expect(tooMany.status).toBe(429);
      expect(await msgs()).toBe(m0 + 10);
      // the address's other visitors share its budget (ten at once for 30 a minute)
      const second = await post("/messages", { clientId: "client-two-0", body: "hola" }, "203.0.113.5", tokens[1]);
      expect(second.status).toBe(429);
      expect(
        (await post("/messages", { clientId: "client-three-0", body: "hola" }, "198.51.100.20", tokens[2])).status,
      ).toBe(201);
      now += 10_000;
      expect(
        (await post("/messages", { clientId: "client-two-1", body: "hola" }, "203.0.113.5", tokens[1])).status,
      ).toBe(201);
      // IPv6 is counted by /64: a visitor cannot take a fresh budget from each address of their network
      for (let i = 1; i <= 5; i++)
        expect((await post("/sessions", {}, `2001:db8:7:7::${i.toString(16)}`)).status).toBe(201);
      expect((await post("/sessions", {}, "2001:db8:7:7:ffff::1")).status).toBe(429);
      expect((await post("/sessions", {}, "2001:db8:7:8::1")).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});
