// A WhatsApp template whose header is an image, video or document (issue #11 item 5: library files as a template's
// media header): the header comes from the library, is checked against the template's registry (missing, not
// wanted, the wrong kind, too large for WhatsApp) before anything is queued, goes out as Meta's header parameter
// with the file uploaded as media, and shows in the conversation as the message's attachment. A rule's template
// with a header is checked when the rule is saved and used when the 24-hour window has closed.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { addWhatsAppCloud, makeTestApp, seedBusiness, waitUntil, type TestApp } from "../support/app.ts";
import { startGraphDouble, type GraphDouble } from "../support/graph-double.ts";
import { conversations, messages } from "../../src/inbox/schema.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { addItem } from "../../src/library/service.ts";
import { syncTemplates } from "../../src/channels/whatsapp-cloud/service.ts";
import { automationKit } from "../support/automation.ts";
import { startAutomation, stopAutomation } from "../../src/automation/index.ts";
import { HEADER_TEMPLATES, PDF, PNG } from "../support/media.ts";

const SYS = { kind: "system" } as const;
const TOKEN = "EAAG-test-token";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, graph: GraphDouble;
let conv: string, image: string, pdf: string;
const kit = automationKit(() => ({ t, s }));
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  graph = startGraphDouble({
    token: TOKEN,
    appSecret: "test-app-secret",
    templates: HEADER_TEMPLATES,
  });
  const ch = await addWhatsAppCloud(t.ctx, { graphUrl: graph.url });
  await syncTemplates(t.ctx, SYS, ch.id);
  conv = (
    await ingestInbound(t.ctx, {
      channelId: ch.id,
      from: { externalId: "5215587654321", name: "Rosa Márquez", phone: "+5215587654321" },
      body: "hola",
    })
  ).conversationId;
  // the window closed a day ago: only templates go
  await t.ctx.database.write((tx) =>
    tx
      .update(conversations)
      .set({ lastInboundAt: Date.now() - 25 * 3_600_000 })
      .where(eq(conversations.id, conv)),
  );
  const admin = { kind: "user", id: s.admin.id, role: "admin", departmentIds: [] } as never;
  image = (await addItem(t.ctx, admin, new File([PNG], "pizza.png", { type: "image/png" }), "Pizza 2x1")).id;
  pdf = (await addItem(t.ctx, admin, new File([PDF], "factura.pdf", { type: "application/pdf" }), "Factura")).id;
});
afterEach(async () => {
  stopAutomation(t.ctx);
  graph.stop();
  await t.close();
});

const send = (template: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  kit.api("POST", `/conversations/${conv}/messages`, { content: { template }, ...extra });
const queued = async () => (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, conv))).length;

test("a template's image or document header comes from the library, checked first, sent as Meta's header", async () => {
  const before = await queued();
  const refusals: [Record<string, unknown>, Record<string, unknown>, number, string][] = [
    [{ name: "promo_semana", language: "es_MX", params: ["Rosa"] }, {}, 400, "template_header_missing"],
    [{ name: "pedido_listo", language: "es_MX", params: ["#7"], header: image }, {}, 400, "template_header_unused"],
    [{ name: "promo_semana", language: "es_MX", params: ["Rosa"], header: pdf }, {}, 422, "template_header_type"],
    [
      { name: "promo_semana", language: "es_MX", params: ["Rosa"], header: "no-such-item" },
      {},
      422,
      "unknown_library_item",
    ],
    [
      { name: "promo_semana", language: "es_MX", params: ["Rosa"], header: image },
      { library: [pdf] },
      400,
      "invalid_content",
    ],
  ];
  for (const [template, extra, status, code] of refusals) {
    const r = await send(template, extra);
    const body = await r.json();
    expect([code, r.status, body.error?.code]).toEqual([code, status, code]);
  }
  expect(await queued()).toBe(before);

  await t.ctx.outbox.start();
  const ok = await send({ name: "promo_semana", language: "es_MX", params: ["Rosa"], header: image });
  expect(ok.status).toBe(202);
  const m = (await ok.json()).data;
  expect(m.body).toBe("Hola Rosa, esta semana el 2x1 es en pizzas.");
  expect(m.attachments.map((a: { name: string; mime: string }) => [a.name, a.mime])).toEqual([
    ["pizza.png", "image/png"],
  ]);
  const doc = await send({ name: "factura", language: "es_MX", params: [], header: pdf });
  expect(doc.status).toBe(202);
  await waitUntil(() => graph.sent.length === 2);
  const [promo, invoice] = graph.sent.map((x) => x.body.template);
  expect(promo.components[0].type).toBe("header");
  const p = promo.components[0].parameters[0];
  expect(p.type).toBe("image");
  // the header is the library's file, uploaded to Meta as media
  expect(graph.uploads.get(p.image.id)?.bytes).toEqual(PNG);
  expect(promo.components[1]).toEqual({ type: "body", parameters: [{ type: "text", text: "Rosa" }] });
  expect(invoice.components).toEqual([
    {
      type: "header",
      parameters: [{ type: "document", document: { id: expect.any(String), filename: "factura.pdf" } }],
    },
  ]);
  expect(graph.uploads.get(invoice.components[0].parameters[0].document.id)?.bytes).toEqual(PDF);
  // Meta accepted both (the double refuses a header that does not match the template: 132012)
  await waitUntil(async () => {
    const out = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, conv))).filter(
      (x) => x.direction === "out",
    );
    return out.length === 2 && out.every((x) => x.status === "sent" || x.status === "delivered");
  });
});

test("a rule's template header: an unknown file refused when saved; used once the window has closed", async () => {
  const bad = await kit.api("POST", "/automations", {
    name: "Promo al resolver",
    trigger: { type: "conversation_resolved" },
    actions: [
      {
        type: "send_message",
        body: "¡Gracias!",
        template: {
          name: "promo_semana",
          language: "es_MX",
          params: ["{{contact.first_name|cliente}}"],
          header: "nada",
        },
      },
    ],
  });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.details.field).toBe("actions.0.template.header");
  await kit.create("/automations", {
    name: "Promo al resolver",
    trigger: { type: "conversation_resolved" },
    actions: [
      {
        type: "send_message",
        body: "¡Gracias!",
        template: {
          name: "promo_semana",
          language: "es_MX",
          params: ["{{contact.first_name|cliente}}"],
          header: image,
        },
      },
    ],
  });
  startAutomation(t.ctx, { tick: false });
  await t.ctx.outbox.start();
  const r = await kit.api("PATCH", `/conversations/${conv}`, { status: "resolved" });
  expect(r.status).toBe(200);
  await kit.settle();
  await waitUntil(() => graph.sent.length === 1);
  const sent = graph.sent[0].body.template;
  expect(sent.name).toBe("promo_semana");
  expect(sent.components[0].parameters[0].type).toBe("image");
  expect(sent.components[1].parameters).toEqual([{ type: "text", text: "Rosa" }]);
});
