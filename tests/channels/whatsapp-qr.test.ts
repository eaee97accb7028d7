import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { baileysDouble } from "../support/baileys-double.ts";
import { createChannel } from "../../src/channels/service.ts";
import {
  connectionOf,
  startPairing,
  pairWithPhone,
  logoutNumber,
  messageIdFor,
  QR,
  type QrStatus,
} from "../../src/channels/whatsapp-qr/service.ts";
import { storedCreds } from "../../src/channels/whatsapp-qr/auth.ts";
import { messages, conversations, contactIdentities, contacts } from "../../src/inbox/schema.ts";
import { markRead } from "../../src/inbox/service.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, wa: ReturnType<typeof baileysDouble>;
const admin = { kind: "system" } as const;
beforeEach(async () => {
  wa = baileysDouble();
  t = await makeTestApp({}, { whatsappSocket: wa.factory });
  s = await seedBusiness(t.ctx);
  const { useQrSockets } = await import("../../src/channels/whatsapp-qr/service.ts");
  useQrSockets(t.ctx, wa.factory, { backoffMs: 5 });
});
afterEach(async () => {
  for (const a of t.ctx.channels.all()) await a.stop?.();
  await t.close();
});
const api = () => ({ authorization: `Bearer ${s.apiKey}` });

async function until<T>(fn: () => T | Promise<T>, ms = 3000): Promise<Exclude<T, false | null | undefined | 0 | "">> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as Exclude<T, false | null | undefined | 0 | "">;
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(5);
  }
}
async function pairedNumber() {
  const ch = await createChannel(t.ctx, admin, { type: QR, name: "WhatsApp tienda", config: {} });
  await startPairing(t.ctx, admin, ch.id);
  wa.current.showQr("2@qr-data-1");
  wa.current.open();
  await until(async () => (await storedCreds(t.ctx, ch.id))?.me);
  return ch;
}
const customer = "5215512345678@s.whatsapp.net";
const text = (id: string, body: string, extra: Record<string, unknown> = {}) => ({
  key: { remoteJid: customer, fromMe: false, id },
  pushName: "Rosa Márquez",
  messageTimestamp: Math.floor(Date.now() / 1000),
  message: { conversation: body },
  ...extra,
});
const all = () => t.ctx.db.select().from(messages).all();

test("pairing by QR: the QR is shown and refreshed, the session lands in the database, a restart reconnects without a QR", async () => {
  const ch = await createChannel(t.ctx, admin, { type: QR, name: "WhatsApp", config: {} });
  const seen: QrStatus[] = [];
  connectionOf(t.ctx, ch.id).onChange((x) => seen.push({ ...x }));
  expect((await startPairing(t.ctx, admin, ch.id)).state).toBe("connecting");
  wa.current.showQr("2@first-qr");
  expect(connectionOf(t.ctx, ch.id).status).toMatchObject({ state: "qr", qr: "2@first-qr" });
  wa.current.showQr("2@second-qr"); // WhatsApp refreshes the QR every ~20 s
  expect(connectionOf(t.ctx, ch.id).status.qr).toBe("2@second-qr");
  wa.current.open();
  await until(async () => (await storedCreds(t.ctx, ch.id))?.me?.id);
  expect(connectionOf(t.ctx, ch.id).status).toMatchObject({
    state: "open",
    qr: null,
    me: "5215500000001:7@s.whatsapp.net",
  });
  expect(seen.map((x) => x.state)).toEqual(["connecting", "qr", "qr", "open"]);
  // the API shows the live state
  const r = await (await t.req("GET", `/api/v1/channels/${ch.id}/whatsapp`, { headers: api() })).json();
  expect(r.data.state).toBe("open");

  // restart: the adapter reconnects paired numbers with their stored session, no QR this time
  connectionOf(t.ctx, ch.id).stop();
  const before = wa.sockets.length;
  await t.ctx.channels.get(QR)!.start!(t.ctx);
  expect(wa.sockets.length).toBe(before + 1);
  expect(wa.current.auth.creds.me?.id).toBe("5215500000001:7@s.whatsapp.net");
  wa.current.open();
  expect(connectionOf(t.ctx, ch.id).status.state).toBe("open");
});

test("pairing by phone number gives the code to type on the phone", async () => {
  const ch = await createChannel(t.ctx, admin, { type: QR, name: "WhatsApp", config: {} });
  setTimeout(() => wa.current.showQr("2@ready"), 20); // the socket is up: WhatsApp sends its first QR
  const code = await pairWithPhone(t.ctx, admin, ch.id, "+52 55 0000 0001");
  expect(code).toBe("DGB1-2345");
  expect(connectionOf(t.ctx, ch.id).status.pairingCode).toBe("DGB1-2345");
});

test("logged out from the phone: the session is forgotten and nothing reconnects; a banned number stops for good", async () => {
  const ch = await pairedNumber();
  const n = wa.sockets.length;
  wa.current.close(401, "Connection Failure");
  await until(() => connectionOf(t.ctx, ch.id).status.state === "logged_out");
  await until(async () => (await storedCreds(t.ctx, ch.id)) === null);
  await Bun.sleep(100);
  expect(wa.sockets.length).toBe(n);

  const ch2 = await pairedNumber();
  wa.current.close(403, "forbidden");
  await until(() => connectionOf(t.ctx, ch2.id).status.state === "banned");
  await Bun.sleep(100);
  expect(connectionOf(t.ctx, ch2.id).status.lastError).toContain("refused");
  expect(await storedCreds(t.ctx, ch2.id)).not.toBeNull();
});

test("a reconnection storm: each drop reconnects after a growing, jittered pause, one socket at a time", async () => {
  const ch = await pairedNumber();
  const c = connectionOf(t.ctx, ch.id);
  const gaps: number[] = [];
  for (let i = 0; i < 8; i++) {
    const n = wa.sockets.length;
    const dropped = Date.now();
    wa.current.close(408, "Connection Lost");
    expect(c.status.state).toBe("reconnecting");
    await until(() => wa.sockets.length === n + 1, 5000);
    gaps.push(Date.now() - dropped);
    // the replaced sockets are all closed: only the newest is live
    expect(wa.sockets.slice(0, -1).every((x) => x.ended)).toBe(true);
  }
  expect(c.status.attempts).toBe(8);
  // 5 ms doubling, ×0.5–1.5 jitter: the 8th pause is at least 5·2⁷·0.5 = 320 ms
  expect(gaps[7]).toBeGreaterThanOrEqual(300);
  expect(gaps[7]).toBeGreaterThan(gaps[0]);
  wa.current.open();
  expect(c.status).toMatchObject({ state: "open", attempts: 0, lastError: null });
  // events of an old socket are ignored
  wa.sockets[0].ev.emit("connection.update", {
    connection: "close",
    lastDisconnect: { error: Object.assign(new Error("x"), { output: { statusCode: 401 } }) },
  });
  expect(c.status.state).toBe("open");
}, 20_000);

test("inbound: text, quoted reply, media, voice note, document, sticker, location, contact card, reaction, edit, deletion; groups, status and own messages left out", async () => {
  const ch = await pairedNumber();
  const sock = wa.current;
  sock.media.set("IMG1", Buffer.from([0xff, 0xd8, 0xff, 0xe0, 9, 9]));
  sock.media.set("PTT1", Buffer.from("OggS-voice"));
  sock.media.set("DOC1", Buffer.from("%PDF-1.4 menu"));
  sock.media.set("STK1", Buffer.from("RIFF-webp"));
  sock.receive([
    text("T1", "Hola, ¿tienen tacos?"),
    {
      key: { remoteJid: customer, id: "Q1" },
      messageTimestamp: 1,
      message: {
        extendedTextMessage: {
          text: "Sí, de pastor",
          contextInfo: {
            stanzaId: "T1",
            participant: customer,
            quotedMessage: { conversation: "Hola, ¿tienen tacos?" },
          },
        },
      },
    },
    {
      key: { remoteJid: customer, id: "IMG1" },
      message: { imageMessage: { mimetype: "image/jpeg", caption: "Este", fileLength: 6 } },
    },
    {
      key: { remoteJid: customer, id: "PTT1" },
      message: { audioMessage: { mimetype: "audio/ogg; codecs=opus", ptt: true, seconds: 3 } },
    },
    {
      key: { remoteJid: customer, id: "DOC1" },
      message: { documentMessage: { mimetype: "application/pdf", fileName: "menu.pdf" } },
    },
    { key: { remoteJid: customer, id: "STK1" }, message: { stickerMessage: { mimetype: "image/webp" } } },
    {
      key: { remoteJid: customer, id: "LOC1" },
      message: { locationMessage: { degreesLatitude: 19.4326, degreesLongitude: -99.1332, name: "Zócalo" } },
    },
    {
      key: { remoteJid: customer, id: "VC1" },
      message: {
        contactMessage: {
          displayName: "Beto",
          vcard: "BEGIN:VCARD\nVERSION:3.0\nFN:Beto\nTEL;type=CELL;waid=5215599998888:+52 55 9999 8888\nEND:VCARD",
        },
      },
    },
    {
      key: { remoteJid: customer, id: "R1" },
      message: { reactionMessage: { key: { remoteJid: customer, fromMe: false, id: "T1" }, text: "👍" } },
    },
    {
      key: { remoteJid: customer, id: "E1" },
      message: {
        protocolMessage: {
          type: 14,
          key: { remoteJid: customer, id: "Q1" },
          editedMessage: { conversation: "Sí, de pastor y suadero" },
        },
      },
    },
    {
      key: { remoteJid: customer, id: "D1" },
      message: { protocolMessage: { type: 0, key: { remoteJid: customer, id: "LOC1" } } },
    },
    {
      key: { remoteJid: "120363025246125888@g.us", participant: customer, id: "G1" },
      message: { conversation: "grupo" },
    },
    { key: { remoteJid: "status@broadcast", participant: customer, id: "S1" }, message: { conversation: "estado" } },
    { key: { remoteJid: customer, fromMe: true, id: "OWN1" }, message: { conversation: "desde el teléfono" } },
  ]);
  // a repeat of the same message id is ignored
  sock.receive([text("T1", "Hola, ¿tienen tacos?")]);
  const byId = async () => new Map((await all()).map((m) => [m.externalId, m]));
  const m = await until(async () => {
    const x = await byId();
    return x.get("VC1") && x.get("LOC1")?.content?.deleted && x.get("Q1")?.content?.edited && x;
  });
  expect([...m.keys()].filter(Boolean).sort()).toEqual(["DOC1", "IMG1", "LOC1", "PTT1", "Q1", "STK1", "T1", "VC1"]);
  expect(m.get("T1")!.body).toBe("Hola, ¿tienen tacos?");
  expect(m.get("T1")!.content?.reactions).toEqual([expect.objectContaining({ by: "contact", emoji: "👍" })]);
  expect(m.get("Q1")!.content?.replyTo).toMatchObject({ externalId: "T1", messageId: m.get("T1")!.id });
  expect(m.get("Q1")!.body).toBe("Sí, de pastor y suadero");
  expect(m.get("IMG1")!.attachments[0]).toMatchObject({ mime: "image/jpeg", size: 6 });
  expect(m.get("IMG1")!.body).toBe("Este");
  expect(m.get("PTT1")!.attachments[0]).toMatchObject({ mime: "audio/ogg" });
  expect(m.get("PTT1")!.attachments[0].name).toMatch(/^voice-/);
  expect(m.get("DOC1")!.attachments[0].name).toBe("menu.pdf");
  expect(m.get("STK1")!.content?.kind).toBe("sticker");
  expect(m.get("LOC1")!.content?.location).toMatchObject({ latitude: 19.4326, longitude: -99.1332, name: "Zócalo" });
  expect(m.get("VC1")!.content?.contacts).toEqual([
    { name: "Beto", phones: [{ phone: "+52 55 9999 8888", waId: "5215599998888" }] },
  ]);
  const contact = (await t.ctx.db.select().from(contacts).all()).find((c) => c.name === "Rosa Márquez")!;
  expect(contact.phone).toBe("+5215512345678");
  expect((await t.ctx.db.select().from(conversations).all()).filter((c) => c.channelId === ch.id)).toHaveLength(1);
});

test("LID identifiers: one person stays one contact, whether WhatsApp shows their number, their LID, or both", async () => {
  const ch = await pairedNumber();
  const sock = wa.current;
  // first seen with a LID and the phone beside it; then with the LID alone
  sock.receive([
    {
      key: { remoteJid: "101234567890123@lid", remoteJidAlt: "5215511112222@s.whatsapp.net", id: "L1" },
      pushName: "Ana",
      message: { conversation: "hola" },
    },
  ]);
  await until(async () => (await all()).length === 1);
  sock.receive([
    {
      key: { remoteJid: "101234567890123@lid", id: "L2" },
      pushName: "Ana",
      message: { conversation: "¿siguen abiertos?" },
    },
  ]);
  await until(async () => (await all()).length === 2);
  // someone known only by a LID, whose number WhatsApp tells later
  sock.receive([
    { key: { remoteJid: "209876543210987@lid", id: "L3" }, pushName: "Luis", message: { conversation: "buenas" } },
  ]);
  await until(async () => (await all()).length === 3);
  sock.lidMapping("209876543210987@lid", "5215533334444@s.whatsapp.net");
  await until(
    async () =>
      await t.ctx.db.select().from(contactIdentities).where(eq(contactIdentities.externalId, "5215533334444")).get(),
  );
  sock.receive([
    {
      key: { remoteJid: "5215533334444@s.whatsapp.net", id: "L4" },
      pushName: "Luis",
      message: { conversation: "soy Luis" },
    },
  ]);
  await until(async () => (await all()).filter((m) => m.direction === "in").length === 4);
  const idents = (await t.ctx.db.select().from(contactIdentities).all())
    .filter((i) => i.channelId === ch.id)
    .map((i) => i.externalId)
    .sort();
  expect(idents).toEqual(["5215511112222", "5215533334444"]);
  const convs = (await t.ctx.db.select().from(conversations).all()).filter((c) => c.channelId === ch.id);
  expect(convs).toHaveLength(2);
  const luis = (await t.ctx.db.select().from(contacts).all()).find((c) => c.name === "Luis")!;
  expect(luis.phone).toBe("+5215533334444");
});

test("outbound: replies, quotes and media go out on the socket with a stable message id; ticks and read receipts", async () => {
  await pairedNumber();
  await t.ctx.outbox.start();
  const sock = wa.current;
  sock.receive([text("IN1", "¿Me mandas el menú?")]);
  const inbound = await until(async () => (await all()).find((m) => m.externalId === "IN1"));
  const conv = inbound.conversationId;
  const up = await t.req("POST", `/api/v1/files?conversationId=${conv}`, {
    headers: api(),
    body: (() => {
      const f = new FormData();
      f.set("file", new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "menu.png", { type: "image/png" }));
      return f;
    })(),
  });
  const att = (await up.json()).data;
  const r1 = await t.req("POST", `/api/v1/conversations/${conv}/messages`, {
    headers: api(),
    json: { body: "Claro, aquí está", attachments: [att], replyToId: inbound.id },
  });
  expect(r1.status).toBe(202);
  const reply = (await r1.json()).data;
  await until(() => sock.sent.length === 1, 8000);
  const out = sock.sent[0];
  expect(out.jid).toBe(customer);
  expect(out.content).toMatchObject({ caption: "Claro, aquí está", mimetype: "image/png" });
  expect(Buffer.isBuffer((out.content as { image: Buffer }).image)).toBe(true);
  expect(out.options?.quoted?.key).toMatchObject({ id: "IN1", remoteJid: customer });
  const row = await until(async () => (await all()).find((m) => m.id === reply.id && m.status === "sent"));
  expect(out.options?.messageId).toBe(row.externalId!);
  expect(out.options?.messageId).toMatch(/^3EB0[0-9A-F]{18}$/);
  // WhatsApp's acks tick the message
  sock.status(row.externalId!, customer, 3);
  await until(async () => (await all()).find((m) => m.id === reply.id)?.status === "delivered");
  sock.status(row.externalId!, customer, 4);
  await until(async () => (await all()).find((m) => m.id === reply.id)?.status === "read");
  // an agent opening the conversation sends the blue ticks for the customer's last message
  await t.ctx.database.write((tx) =>
    tx.update(conversations).set({ unreadCount: 1 }).where(eq(conversations.id, conv)),
  );
  await markRead(t.ctx, admin, conv);
  await until(() => sock.reads.length === 1);
  expect(sock.reads[0]).toMatchObject({ remoteJid: customer, id: "IN1" });
  expect(messageIdFor("x")).toBe(messageIdFor("x"));
}, 20_000);

test("a reply while the number is disconnected waits and goes out once it reconnects", async () => {
  const ch = await pairedNumber();
  await t.ctx.outbox.start();
  wa.current.receive([text("IN1", "hola")]);
  const inbound = await until(async () => (await all()).find((m) => m.externalId === "IN1"));
  const before = wa.sockets.length;
  wa.current.close(428, "Connection Closed");
  const r = await t.req("POST", `/api/v1/conversations/${inbound.conversationId}/messages`, {
    headers: api(),
    json: { body: "¿En qué te ayudo?" },
  });
  const id = (await r.json()).data.id;
  await until(() => wa.sockets.length === before + 1 && !wa.current.ended); // reconnecting, not yet open
  expect((await all()).find((m) => m.id === id)?.status).toBe("queued");
  wa.current.open();
  await until(() => wa.current.sent.length === 1, 10_000);
  expect(wa.current.sent[0].content).toEqual({ text: "¿En qué te ayudo?" });
  await until(async () => (await all()).find((m) => m.id === id)?.status === "sent");
  expect(ch.id).toBeTruthy();
}, 20_000);

test("deleting a QR connection logs the number out (it leaves the phone's linked devices)", async () => {
  const ch = await pairedNumber();
  const sock = wa.current;
  const { deleteChannel } = await import("../../src/channels/service.ts");
  await deleteChannel(t.ctx, admin, ch.id);
  expect(sock.ended).toBe(true);
  await until(async () => (await storedCreds(t.ctx, ch.id)) === null);
  const before = wa.sockets.length;
  await t.ctx.channels.get(QR)!.start!(t.ctx); // a restart does not bring it back
  expect(wa.sockets.length).toBe(before);
});

test("a send cut short by a crash is sent again under the same message id: the customer gets it once", async () => {
  await pairedNumber();
  await t.ctx.outbox.start();
  const sock = wa.current;
  sock.receive([text("IN1", "hola")]);
  const inbound = await until(async () => (await all()).find((m) => m.externalId === "IN1"));
  const r = (
    await (
      await t.req("POST", `/api/v1/conversations/${inbound.conversationId}/messages`, {
        headers: api(),
        json: { body: "¡Hola! ¿Qué se te antoja?" },
      })
    ).json()
  ).data;
  await until(() => sock.sent.length === 1);
  // as if the process died after WhatsApp took the message and before the outcome was written
  const { outbox } = await import("../../src/platform/schema.ts");
  await until(
    async () => (await t.ctx.db.select().from(outbox).where(eq(outbox.messageId, r.id)).get())?.status === "sent",
  );
  t.ctx.outbox.stop();
  await t.ctx.database.write((tx) => tx.update(outbox).set({ status: "sending" }).where(eq(outbox.messageId, r.id)));
  await t.ctx.outbox.start();
  await until(() => sock.sent.length === 2);
  expect(sock.sent[1].options?.messageId).toBe(sock.sent[0].options?.messageId);
  expect(sock.delivered.size).toBe(1);
  await until(
    async () => (await t.ctx.db.select().from(outbox).where(eq(outbox.messageId, r.id)).get())?.status === "sent",
  );
});

test("logout from the console ends the session on WhatsApp and forgets it", async () => {
  const ch = await pairedNumber();
  await logoutNumber(t.ctx, admin, ch.id);
  expect(connectionOf(t.ctx, ch.id).status.state).toBe("logged_out");
  expect(await storedCreds(t.ctx, ch.id)).toBeNull();
});

test("the terminal pairing prints the QR, then says when the number is paired; the console shows the QR as an image", async () => {
  const { pairInTerminal } = await import("../../src/channels/whatsapp-qr/terminal.ts");
  const out: string[] = [];
  const pairing = pairInTerminal(t.ctx, "Sucursal Centro", undefined, (x) => out.push(x));
  await until(() => wa.sockets.length === 1);
  wa.current.showQr("2@terminal-qr,abc=,def=");
  await until(() => out.some((x) => x.includes("Linked devices")));
  expect(out.join("")).toContain("▄"); // a QR drawn with block characters
  // meanwhile an administrator's console draws the same QR
  const ch = (
    await t.ctx.db
      .select()
      .from((await import("../../src/inbox/schema.ts")).channels)
      .all()
  ).find((c) => c.name === "Sucursal Centro")!;
  const { sessionHeaders } = await import("../support/app.ts");
  const headers = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  const partial = await (await t.req("GET", `/partials/channel-qr/${ch.id}`, { headers })).text();
  expect(partial).toContain("<svg");
  expect(partial).toContain("esperando que escanees el QR");
  const agent = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  expect((await t.req("GET", `/partials/channel-qr/${ch.id}`, { headers: agent })).status).toBe(403);
  wa.current.open();
  expect(await pairing).toBe(0);
  expect(out.join("")).toContain("paired: 5215500000001:7@s.whatsapp.net");
  expect((await storedCreds(t.ctx, ch.id))?.me?.id).toBe("5215500000001:7@s.whatsapp.net");
  // the terminal closed its socket when done (the server reconnects the paired number); the page shows whose it is
  const page = await (await t.req("GET", "/settings/channels", { headers })).text();
  expect(page).toContain("Número: +5215500000001");
});
