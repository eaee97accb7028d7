import { test, expect, beforeEach, afterEach, describe } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { addWhatsAppCloud, makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { startGraphDouble, sign, type GraphDouble } from "../support/graph-double.ts";
import { createChannel } from "../../src/channels/service.ts";
import { messages, conversations, contactIdentities, contacts } from "../../src/inbox/schema.ts";
import { markRead, type Message } from "../../src/inbox/service.ts";

const FIX = join(import.meta.dir, "..", "fixtures", "whatsapp-cloud");
const fixture = (file: string, key: string) =>
  JSON.parse(readFileSync(join(FIX, file), "utf8"))[key] as Record<string, any>;
const SECRET = "test-app-secret";
const TOKEN = "EAAG-test-token";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, graph: GraphDouble;
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  graph = startGraphDouble({
    token: TOKEN,
    appSecret: SECRET,
    templates: [
      {
        name: "pedido_listo",
        language: "es_MX",
        status: "APPROVED",
        category: "UTILITY",
        components: [{ type: "BODY", text: "Hola {{1}}, tu pedido {{2}} está listo." }],
      },
      {
        name: "promo",
        language: "es_MX",
        status: "PENDING",
        category: "MARKETING",
        components: [{ type: "BODY", text: "¡Promo!" }],
      },
      {
        name: "bienvenida",
        language: "en_US",
        status: "APPROVED",
        category: "MARKETING",
        components: [
          { type: "HEADER", format: "TEXT", text: "Hi" },
          { type: "BODY", text: "Welcome" },
        ],
      },
    ],
  });
});
afterEach(async () => {
  graph.stop();
  await t.close();
});
const api = () => ({ authorization: `Bearer ${s.apiKey}` });

function connection(phoneNumberId = "1122334455667", extra: Record<string, unknown> = {}) {
  return addWhatsAppCloud(
    t.ctx,
    { phoneNumberId, accessToken: TOKEN, appSecret: SECRET, graphUrl: graph.url, ...extra },
    `WhatsApp ${phoneNumberId}`,
  );
}
function post(body: unknown, signature: string | null = sign(JSON.stringify(body), SECRET)) {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  return t.req("POST", "/webhooks/whatsapp-cloud", {
    body: raw,
    headers: { "content-type": "application/json", ...(signature ? { "x-hub-signature-256": signature } : {}) },
  });
}
const allMessages = () => t.ctx.db.select().from(messages).all();
const lastMessage = async () => (await allMessages()).at(-1) as Message;

test("webhook verification answers Meta's challenge only for a known verify token", async () => {
  await connection();
  const ok = await t.req(
    "GET",
    "/webhooks/whatsapp-cloud?hub.mode=subscribe&hub.verify_token=verify-me-please&hub.challenge=1158201444",
  );
  expect(ok.status).toBe(200);
  expect(await ok.text()).toBe("1158201444");
  const bad = await t.req(
    "GET",
    "/webhooks/whatsapp-cloud?hub.mode=subscribe&hub.verify_token=wrong-token-x&hub.challenge=1158201444",
  );
  expect(bad.status).toBe(403);
  expect((await bad.json()).error.code).toBe("verification_failed");
});

test("unsigned, wrongly signed and malformed webhooks are refused and store nothing", async () => {
  await connection();
  const body = fixture("message.json", "text");
  const unsigned = await post(body, null);
  expect(unsigned.status).toBe(401);
  expect((await unsigned.json()).error.code).toBe("invalid_signature");
  expect((await post(body, sign(JSON.stringify(body), "another-secret"))).status).toBe(401);
  expect((await post(body, `sha256=${"0".repeat(64)}`)).status).toBe(401);
  // a signature over different bytes than those sent
  expect(
    (
      await t.req("POST", "/webhooks/whatsapp-cloud", {
        body: `${JSON.stringify(body)} `,
        headers: { "x-hub-signature-256": sign(JSON.stringify(body), SECRET) },
      })
    ).status,
  ).toBe(401);
  const malformed = '{"object": "whatsapp_business_account", ';
  const r = await post(malformed, sign(malformed, SECRET));
  expect(r.status).toBe(400);
  expect((await r.json()).error.code).toBe("invalid_json");
  expect(await allMessages()).toHaveLength(0);
});

describe("every inbound message type of the fixtures reaches the inbox", () => {
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
  // case → what the stored message must show
  const cases: [string, (m: Message) => void][] = [
    ["text", (m) => expect(m.body).toBe("Body Text")],
    [
      "image",
      (m) => {
        expect(m.attachments[0]).toMatchObject({ mime: "image/jpeg", size: jpeg.length });
        expect(m.content?.kind).toBe("image");
      },
    ],
    ["media_with_url", (m) => expect(m.attachments[0].mime).toBe("image/jpeg")],
    ["video", (m) => expect(m.attachments).toHaveLength(1)],
    ["document", (m) => expect(m.attachments).toHaveLength(1)],
    ["audio", (m) => expect(m.attachments).toHaveLength(1)],
    ["voice", (m) => expect(m.attachments[0].name).toMatch(/^voice-/)],
    ["static_sticker", (m) => expect(m.content?.kind).toBe("sticker")],
    ["animated_sticker", (m) => expect(m.content?.kind).toBe("sticker")],
    [
      "current_location",
      (m) => {
        expect(m.content?.location).toEqual({ latitude: 12.25089, longitude: 43.90539 });
        expect(m.content?.forwarded).toBe(true);
      },
    ],
    [
      "chosen_location",
      (m) => {
        expect(m.content?.location?.latitude).toBeNumber();
        expect(m.body.length).toBeGreaterThan(0);
      },
    ],
    [
      "contacts",
      (m) => {
        expect(m.content?.contacts?.map((c) => c.name)).toEqual(["Chandler Bing", "Monica", "Rachel Green"]);
        expect(m.content?.contacts?.[0].phones[0]).toEqual({
          phone: "+1 555-555-5555",
          type: "CELL",
          waId: "972987654321",
        });
      },
    ],
    [
      "order",
      (m) => {
        expect(m.content?.order?.items).toHaveLength(3);
        expect(m.content?.order?.items[0]).toEqual({ sku: "HAMBURGER", quantity: 3, price: 30, currency: "ILS" });
        expect(m.body).toContain("3 × HAMBURGER");
      },
    ],
    ["unsupported", (m) => expect(m.content?.kind).toBe("unsupported")],
    ["unsupported_with_type", (m) => expect(m.content?.kind).toBe("unsupported")],
    [
      "reply",
      (m) => {
        expect(m.body).toBe("replied text");
        expect(m.content?.replyTo?.externalId).toBe("wamid.xyzxyz==");
      },
    ],
    ["forwarded", (m) => expect(m.content?.forwarded).toBe(true)],
    ["forwarded_many_times", (m) => expect(m.content?.forwarded).toBe(true)],
    ["interactive_message_with_err", (m) => expect(m.content?.kind).toBe("unsupported")],
    ["referral", (m) => expect((m.content as Record<string, any>).referral).toBeDefined()],
  ];
  for (const [name, check] of cases) {
    test(name, async () => {
      const body = fixture("message.json", name);
      const msg = body.entry[0].changes[0].value.messages[0];
      await connection(body.entry[0].changes[0].value.metadata.phone_number_id);
      const mediaId = msg[msg.type]?.id;
      if (mediaId) graph.addMedia(String(mediaId), jpeg, "image/jpeg");
      const r = await post(body);
      expect(r.status).toBe(200);
      const stored = await lastMessage();
      expect(stored.direction).toBe("in");
      expect(stored.externalId).toBe(msg.id);
      check(stored);
      // the sender is a contact with the WhatsApp id as identity and phone
      const ident = await t.ctx.db
        .select()
        .from(contactIdentities)
        .where(eq(contactIdentities.externalId, msg.from))
        .get();
      expect(ident).toBeDefined();
      const contact = await t.ctx.db.select().from(contacts).where(eq(contacts.id, ident!.contactId)).get();
      expect(contact?.phone).toBe(`+${msg.from}`);
      // Meta retries webhooks: the same body again changes nothing
      expect((await post(body)).status).toBe(200);
      expect(await allMessages()).toHaveLength(1);
    });
  }
});

test("button replies, template quick replies and list choices arrive as the customer's choice", async () => {
  await connection();
  for (const [file, key, id, title] of [
    ["callback_button.json", "button", "callback_data", "title"],
    ["callback_button.json", "quick_reply", "callback_data", "title"],
    ["callback_selection.json", "callback", null, null],
    ["callback_selection.json", "description", null, null],
  ] as const) {
    const body = fixture(file, key);
    const raw = body.entry[0].changes[0].value.messages[0];
    raw.id = `${raw.id}-${key}`; // the fixtures share one message id; each is a different message here
    expect((await post(body)).status).toBe(200);
    const m = await lastMessage();
    const choice = raw.interactive?.list_reply ?? raw.interactive?.button_reply;
    expect(m.content?.choice?.id).toBe(id ?? choice.id);
    expect(m.body).toBe(title ?? choice.title);
    if (choice?.description) expect(m.content?.choice?.description).toBe(choice.description);
  }
});

test("media that cannot be fetched keeps the message, marked, and is fetched again later", async () => {
  const { MEDIA_RETRIES_MS } = await import("../../src/channels/whatsapp-cloud/service.ts");
  const saved = [...MEDIA_RETRIES_MS];
  MEDIA_RETRIES_MS.splice(0, 3, 50, 50, 50);
  try {
    await connection();
    const r = await post(fixture("message.json", "image")); // the double does not have the media yet
    expect(r.status).toBe(200);
    const m = await lastMessage();
    expect(m.attachments).toHaveLength(0);
    expect(m.content?.pendingMedia?.id).toBe("65463453");
    graph.addMedia("65463453", new Uint8Array([0xff, 0xd8, 0xff, 1]), "image/jpeg");
    const fixed = await waitFor(async () => {
      const x = await lastMessage();
      return x.attachments.length === 1 && x;
    });
    expect(fixed.content?.pendingMedia).toBeUndefined();
    expect(fixed.attachments[0]).toMatchObject({ mime: "image/jpeg", size: 4 });
  } finally {
    MEDIA_RETRIES_MS.splice(0, 3, ...saved);
  }
});

test("reactions, edits and deletions change the message they point at", async () => {
  const ch = await connection();
  // the customer's earlier message that the fixtures react to
  const target = fixture("message.json", "text");
  target.entry[0].changes[0].value.messages[0].id = "wamid.yzxyzx=";
  await post(target);
  expect((await post(fixture("message.json", "reaction"))).status).toBe(200);
  let m = (await allMessages()).find((x) => x.externalId === "wamid.yzxyzx=")!;
  expect(m.content?.reactions).toEqual([{ by: "contact", emoji: "😮", at: 1697044456000 }]);
  await post(fixture("message.json", "unreaction_empty"));
  m = (await allMessages()).find((x) => x.externalId === "wamid.yzxyzx=")!;
  expect(m.content?.reactions).toEqual([]);
  expect(await allMessages()).toHaveLength(1); // reactions are not messages

  const edit = fixture("edited_message.json", "image");
  await createChannel(
    t.ctx,
    { kind: "system" },
    {
      type: "whatsapp_cloud",
      name: "Edits",
      config: {
        phoneNumberId: "106540352242922",
        accessToken: TOKEN,
        appSecret: SECRET,
        verifyToken: "verify-me-please",
        graphUrl: graph.url,
      },
    },
  );
  const orig = edit.entry[0].changes[0].value.messages[0].edit.original_message_id;
  const before = fixture("message.json", "text");
  before.entry[0].changes[0].value.metadata.phone_number_id = "106540352242922";
  before.entry[0].changes[0].value.messages[0].id = orig;
  await post(before);
  expect((await post(edit)).status).toBe(200);
  m = (await allMessages()).find((x) => x.externalId === orig)!;
  expect(m.body).toBe("Updated image caption");
  expect(m.content?.edited).toBe(true);
  expect(ch.id).toBeTruthy();
});

test("a customer's new number keeps them the same contact; a status of every kind ticks our message", async () => {
  const ch = await connection();
  const first = fixture("message.json", "text");
  first.entry[0].changes[0].value.messages[0].id = "wamid.first";
  await post(first);
  const change = fixture("system.json", "phone_number_change");
  expect((await post(change)).status).toBe(200);
  const ident = await t.ctx.db
    .select()
    .from(contactIdentities)
    .where(eq(contactIdentities.externalId, "972912345678"))
    .get();
  expect(ident).toBeDefined();
  expect((await t.ctx.db.select().from(contacts).where(eq(contacts.id, ident!.contactId)).get())?.phone).toBe(
    "+972912345678",
  );
  expect((await allMessages()).some((m) => m.direction === "activity" && m.body.includes("number_changed"))).toBe(true);

  // an outgoing message known to WhatsApp as wamid.xyzxyz (as if sent before): statuses move it forward, never back
  const conv = (await t.ctx.db.select().from(conversations).all())[0];
  await t.ctx.database.write((tx) =>
    tx.insert(messages).values({
      id: "out-1",
      conversationId: conv.id,
      channelId: ch.id,
      direction: "out",
      senderType: "agent",
      body: "hola",
      attachments: [],
      private: false,
      status: "queued",
      externalId: "wamid.xyzxyz",
      createdAt: Date.now(),
    }),
  );
  const status = async () => (await t.ctx.db.select().from(messages).where(eq(messages.id, "out-1")).get())!;
  for (const [key, expected] of [
    ["sent", "sent"],
    ["delivered", "delivered"],
    ["sent", "delivered"],
    ["read", "read"],
    ["played", "read"],
  ] as const) {
    expect((await post(fixture("message_status.json", key))).status).toBe(200);
    expect((await status()).status).toBe(expected);
  }
  await post(fixture("message_status.json", "failed"));
  expect((await status()).status).toBe("failed");
  expect((await status()).error).toBe(
    "User's number is part of an experiment: Failed to send message because this user's phone number is part of an experiment (130472)",
  );
  // group statuses are not ours
  expect((await post(fixture("message_status.json", "group"))).status).toBe(200);
});

/** A customer's message now (the fixtures are from 2023, outside any reply window), and its conversation. */
async function inboundConversation() {
  const body = fixture("message.json", "text");
  body.entry[0].changes[0].value.messages[0].timestamp = String(Math.floor(Date.now() / 1000));
  await post(body);
  return (await t.ctx.db.select().from(conversations).all())[0].id;
}
async function waitFor<T>(fn: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(20);
  }
}

test("replies go out through the Graph API: text, quoted reply, media with caption, buttons, list; ticks come back by webhook", async () => {
  const srv = await startServer(t.ctx);
  graph.setWebhook(`${srv.url}/webhooks/whatsapp-cloud`);
  try {
    await connection();
    const conv = await inboundConversation();
    const incoming = await lastMessage();
    const send = async (json: unknown) => {
      const r = await fetch(`${srv.url}/api/v1/conversations/${conv}/messages`, {
        method: "POST",
        headers: { ...api(), "content-type": "application/json" },
        body: JSON.stringify(json),
      });
      const j = await r.json();
      if (r.status !== 202) throw new Error(JSON.stringify(j));
      return j.data as Message;
    };
    const text = await send({ body: "¡Hola! Visita https://tienda.mx", replyToId: incoming.id });
    const up = await fetch(`${srv.url}/api/v1/files?conversationId=${conv}`, {
      method: "POST",
      headers: api(),
      body: (() => {
        const f = new FormData();
        f.set("file", new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2])], "menu.png", { type: "image/png" }));
        return f;
      })(),
    });
    const att = (await up.json()).data;
    await send({ body: "Nuestro menú", attachments: [att] });
    await send({
      body: "¿Qué prefieres?",
      content: {
        buttons: [
          { id: "pickup", title: "Recoger" },
          { id: "delivery", title: "A domicilio" },
        ],
      },
    });
    await send({
      body: "Elige un platillo",
      content: {
        list: {
          button: "Ver menú",
          sections: [
            {
              title: "Tacos",
              rows: [
                { id: "t1", title: "Pastor", description: "con piña" },
                { id: "t2", title: "Suadero" },
              ],
            },
          ],
        },
      },
    });
    await waitFor(async () => graph.sent.length >= 4);
    const [a, b, c, d] = graph.sent.map((x) => x.body);
    expect(a).toMatchObject({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "972987654321",
      type: "text",
      text: { body: "¡Hola! Visita https://tienda.mx", preview_url: true },
      context: { message_id: "wamid.xyzxyz" },
      biz_opaque_callback_data: text.id,
    });
    expect(b.type).toBe("image");
    expect(b.image.caption).toBe("Nuestro menú");
    expect(graph.uploads.get(b.image.id)?.mime).toBe("image/png");
    expect(c.interactive).toEqual({
      type: "button",
      body: { text: "¿Qué prefieres?" },
      action: {
        buttons: [
          { type: "reply", reply: { id: "pickup", title: "Recoger" } },
          { type: "reply", reply: { id: "delivery", title: "A domicilio" } },
        ],
      },
    });
    expect(d.interactive.type).toBe("list");
    expect(d.interactive.action.sections[0].rows[0]).toEqual({ id: "t1", title: "Pastor", description: "con piña" });
    // Meta's "sent" and "delivered" webhooks tick every message
    const delivered = await waitFor(async () => {
      const out = (await allMessages()).filter((m) => m.direction === "out");
      return out.length === 4 && out.every((m) => m.status === "delivered") && out;
    });
    expect(delivered.find((m) => m.id === text.id)?.externalId).toBe(graph.sent[0].wamid);
    expect(graph.sent).toHaveLength(4);
  } finally {
    await srv.stop();
  }
}, 20_000);

test("24-hour window: outside it only an approved template goes, with its variables; the API says why", async () => {
  const ch = await connection();
  await t.ctx.outbox.start();
  const conv = await inboundConversation();
  await t.ctx.database.write((tx) =>
    tx
      .update(conversations)
      .set({ lastInboundAt: Date.now() - 25 * 3_600_000 })
      .where(eq(conversations.id, conv)),
  );
  const text = await t.req("POST", `/api/v1/conversations/${conv}/messages`, {
    headers: api(),
    json: { body: "¿Sigues ahí?" },
  });
  expect(text.status).toBe(422);
  const err = (await text.json()).error;
  expect(err.code).toBe("outside_reply_window");
  expect(err.details.windowHours).toBe(24);
  // templates come from the account (two pages of the double)
  const sync = await t.req("POST", `/api/v1/channels/${ch.id}/templates/sync`, { headers: api() });
  expect((await sync.json()).data.synced).toBe(3);
  const list = (await (await t.req("GET", `/api/v1/channels/${ch.id}/templates`, { headers: api() })).json()).data;
  expect(list.find((x: { name: string }) => x.name === "pedido_listo")).toMatchObject({
    params: 2,
    status: "APPROVED",
    body: "Hola {{1}}, tu pedido {{2}} está listo.",
  });
  const wrong = await t.req("POST", `/api/v1/conversations/${conv}/messages`, {
    headers: api(),
    json: { content: { template: { name: "pedido_listo", language: "es_MX", params: ["Ana"] } } },
  });
  expect((await wrong.json()).error.code).toBe("template_params");
  const pending = await t.req("POST", `/api/v1/conversations/${conv}/messages`, {
    headers: api(),
    json: { content: { template: { name: "promo", language: "es_MX", params: [] } } },
  });
  expect((await pending.json()).error.code).toBe("unknown_template");
  const ok = await t.req("POST", `/api/v1/conversations/${conv}/messages`, {
    headers: api(),
    json: { content: { template: { name: "pedido_listo", language: "es_MX", params: ["Ana", "#1024"] } } },
  });
  expect(ok.status).toBe(202);
  expect((await ok.json()).data.body).toBe("Hola Ana, tu pedido #1024 está listo.");
  await waitFor(async () => graph.sent.length === 1);
  expect(graph.sent[0].body.template).toEqual({
    name: "pedido_listo",
    language: { code: "es_MX" },
    components: [
      {
        type: "body",
        parameters: [
          { type: "text", text: "Ana" },
          { type: "text", text: "#1024" },
        ],
      },
    ],
  });
  // a new customer message opens the window again
  const again = fixture("message.json", "text");
  again.entry[0].changes[0].value.messages[0].id = "wamid.new";
  again.entry[0].changes[0].value.messages[0].timestamp = String(Math.floor(Date.now() / 1000));
  await post(again);
  expect(
    (await t.req("POST", `/api/v1/conversations/${conv}/messages`, { headers: api(), json: { body: "¡Aquí estoy!" } }))
      .status,
  ).toBe(202);
});

test("Meta's refusals: a permanent error fails the message with the reason; a rate limit is retried and sent once", async () => {
  await connection();
  await t.ctx.outbox.start();
  const conv = await inboundConversation();
  graph.failNext(1, { status: 400, code: 131026, message: "Message Undeliverable" });
  const r1 = (
    await (
      await t.req("POST", `/api/v1/conversations/${conv}/messages`, { headers: api(), json: { body: "uno" } })
    ).json()
  ).data;
  const failed = await waitFor(async () => {
    const m = (await allMessages()).find((x) => x.id === r1.id);
    return m?.status === "failed" && m;
  });
  expect(failed.error).toContain("131026");
  graph.failNext(1, { status: 400, code: 130429, message: "Rate limit hit" });
  const r2 = (
    await (
      await t.req("POST", `/api/v1/conversations/${conv}/messages`, { headers: api(), json: { body: "dos" } })
    ).json()
  ).data;
  await waitFor(async () => (await allMessages()).find((x) => x.id === r2.id)?.status === "sent", 8000);
  expect(graph.sent.filter((x) => x.body.text?.body === "dos")).toHaveLength(1);
}, 15_000);

test("an agent opening the conversation marks the customer's message read on WhatsApp", async () => {
  await connection();
  const conv = await inboundConversation();
  await markRead(t.ctx, { kind: "system" }, conv);
  await waitFor(async () => graph.reads.length === 1);
  expect(graph.reads).toEqual(["wamid.xyzxyz"]);
});

test("secrets are never shown back; a secret left as shown keeps its value", async () => {
  const ch = await connection();
  const listed = (await (await t.req("GET", "/api/v1/channels", { headers: api() })).json()).data.find(
    (x: { id: string }) => x.id === ch.id,
  );
  expect(listed.config.accessToken).toBe(`••••${TOKEN.slice(-4)}`);
  expect(listed.config.appSecret).toBe(`••••${SECRET.slice(-4)}`);
  expect(JSON.stringify(listed)).not.toContain(TOKEN);
  const patched = await t.req("PATCH", `/api/v1/channels/${ch.id}`, {
    headers: api(),
    json: { config: { ...listed.config, ratePerSecond: 20 } },
  });
  expect(patched.status).toBe(200);
  // still signed with the real secret: the masked value did not replace it
  expect((await post(fixture("message.json", "text"))).status).toBe(200);
});

test("deleting a connection keeps its history, fails the replies still waiting, and stops receiving", async () => {
  const ch = await connection();
  const conv = await inboundConversation(); // the outbox is not running: a reply waits
  const r = (
    await (
      await t.req("POST", `/api/v1/conversations/${conv}/messages`, { headers: api(), json: { body: "ya va" } })
    ).json()
  ).data;
  const del = await t.req("DELETE", `/api/v1/channels/${ch.id}`, { headers: api() });
  expect(del.status).toBe(200);
  const m = (await allMessages()).find((x) => x.id === r.id)!;
  expect(m).toMatchObject({ status: "failed", error: "the connection was deleted" });
  const list = (await (await t.req("GET", "/api/v1/channels", { headers: api() })).json()).data;
  expect(list.some((x: { id: string }) => x.id === ch.id)).toBe(false);
  // the conversation and its messages are still there
  expect(
    (await (await t.req("GET", `/api/v1/conversations/${conv}/messages`, { headers: api() })).json()).data.length,
  ).toBeGreaterThanOrEqual(2);
  // Meta's webhooks for it are no longer taken
  const again = fixture("message.json", "text");
  again.entry[0].changes[0].value.messages[0].id = "wamid.after-delete";
  expect((await post(again)).status).toBe(401);
  expect((await t.req("DELETE", `/api/v1/channels/${ch.id}`, { headers: api() })).status).toBe(404);
});
