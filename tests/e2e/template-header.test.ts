// The composer's template picker with a media header (issue #11 item 5), at 375 and 1280 px: outside the 24-hour
// window the agent picks a template whose header is an image; the picker then offers the library's images only
// (a document template, its documents only), the send goes out with the chosen file as Meta's header, and the
// conversation shows it. A sequence step's and a rule's message template take their header from the library in
// their editors.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { addWhatsAppCloud, waitUntil } from "../support/app.ts";
import { startGraphDouble, type GraphDouble } from "../support/graph-double.ts";
import { conversations } from "../../src/inbox/schema.ts";
import { automationRules, sequences } from "../../src/automation/schema.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { addItem } from "../../src/library/service.ts";
import { syncTemplates } from "../../src/channels/whatsapp-cloud/service.ts";
import { HEADER_TEMPLATES, PDF, PNG } from "../support/media.ts";

const SYS = { kind: "system" } as const;

let bed: Testbed, graph: GraphDouble, channelId: string, image: string, pdf: string;
beforeAll(async () => {
  bed = await consoleTestbed();
  graph = startGraphDouble({
    token: "EAAG-test-token",
    appSecret: "test-app-secret",
    templates: HEADER_TEMPLATES,
  });
  channelId = (await addWhatsAppCloud(bed.t.ctx, { graphUrl: graph.url })).id;
  await syncTemplates(bed.t.ctx, SYS, channelId);
  const admin = { kind: "user", id: bed.s.admin.id, role: "admin", departmentIds: [] } as never;
  image = (await addItem(bed.t.ctx, admin, new File([PNG], "pizza.png", { type: "image/png" }), "Pizza 2x1")).id;
  pdf = (await addItem(bed.t.ctx, admin, new File([PDF], "factura.pdf", { type: "application/pdf" }), "Factura")).id;
  await bed.t.ctx.outbox.start();
}, 60_000);
afterAll(async () => {
  graph?.stop();
  await bed?.close();
});

for (const viewport of VIEWPORTS)
  test(`a template with an image header sent from the composer with a library image (${viewport.width} px)`, async () => {
    const conv = (
      await ingestInbound(bed.t.ctx, {
        channelId,
        from: { externalId: `52155876543${viewport.width}`, name: `Rosa ${viewport.width}` },
        body: "hola",
      })
    ).conversationId;
    await bed.t.ctx.database.write((tx) =>
      tx
        .update(conversations)
        .set({ lastInboundAt: Date.now() - 25 * 3_600_000 })
        .where(eq(conversations.id, conv)),
    );
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    await c.go(`/inbox?c=${conv}`);
    const form = c.page.locator("#template-form");
    const header = form.locator(".template-header");
    const pick = header.locator('select[name="header"]');
    // a document template: the library's documents only
    await form.locator('select[name="template"]').selectOption("factura|es_MX");
    await expect(header.isVisible()).resolves.toBe(true);
    const offered = () =>
      pick.evaluate((s: HTMLSelectElement) => [...s.options].filter((o) => o.value && !o.hidden).map((o) => o.value));
    expect(await offered()).toEqual([pdf]);
    // the image template: its images only
    await form.locator('select[name="template"]').selectOption("promo_semana|es_MX");
    expect(await offered()).toEqual([image]);
    await form.locator('input[data-n="1"]').fill(`Rosa ${viewport.width}`);
    await pick.selectOption(image);
    await c.fits();
    const before = graph.sent.length;
    await c.tap(form.locator("button[type=submit]"));
    const sent = c.page
      .locator("#messages li.msg.out")
      .filter({ hasText: `Hola Rosa ${viewport.width}, esta semana el 2x1 es en pizzas.` });
    await sent.waitFor();
    await waitUntil(() => graph.sent.length === before + 1);
    const tpl = graph.sent.at(-1)!.body.template;
    expect(tpl.name).toBe("promo_semana");
    expect(tpl.components[0].parameters[0].type).toBe("image");
    expect(graph.uploads.get(tpl.components[0].parameters[0].image.id)?.bytes).toEqual(PNG);
    // the conversation shows the header's image with the message
    await expect(sent.locator("img, a").first().isVisible()).resolves.toBe(true);
    await c.close();
  }, 60_000);

for (const [i, viewport] of VIEWPORTS.entries())
  test(`a sequence step's template with its header picked from the library (${viewport.width} px)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    await c.go("/settings/sequences/new");
    const form = c.page.locator("#sequence-form");
    await form.locator("[name=name]").fill(`Promo semanal ${i}`);
    const step = form.locator(".step-row").first();
    await step.locator("[name=s_text]").fill("Esta semana el 2x1 es en pizzas.");
    await step.locator("[name=s_tpl]").selectOption("promo_semana|es_MX");
    await step.locator("[name=s_tplp]").fill("{{contact.first_name|cliente}}");
    await step.locator("[name=s_tplh]").selectOption(image);
    await c.fits();
    await Promise.all([c.page.waitForEvent("load"), c.tap(form.locator("button[type=submit]"))]);
    const seq = (await bed.t.ctx.db.select().from(sequences)).find((x) => x.name === `Promo semanal ${i}`)!;
    expect(seq.steps[0]!.template).toEqual({
      name: "promo_semana",
      language: "es_MX",
      params: ["{{contact.first_name|cliente}}"],
      header: image,
    });
    // the saved editor shows the choice again
    await expect(c.page.locator(".step-row [name=s_tplh]").first().inputValue()).resolves.toBe(image);
    await c.close();
  }, 60_000);

for (const [i, viewport] of VIEWPORTS.entries())
  test(`a rule's message with its template for after 24 hours, header from the library (${viewport.width} px)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    await c.go("/settings/automations/new");
    const form = c.page.locator("#rule-form");
    await form.locator("[name=name]").fill(`Promo al resolver ${i}`);
    await form.locator("#t_type").selectOption("conversation_resolved");
    const row = form.locator(".action-row").first();
    // only a message has a template
    await row.locator("[name=a_type]").selectOption("add_note");
    await expect(row.locator(".tpl-fields").isVisible()).resolves.toBe(false);
    await row.locator("[name=a_type]").selectOption("send_message");
    await expect(row.locator(".tpl-fields").isVisible()).resolves.toBe(true);
    await row.locator("[name=a_text]").fill("¡Gracias por tu compra!");
    await row.locator("[name=a_tpl]").selectOption("promo_semana|es_MX");
    await row.locator("[name=a_tplp]").fill("{{contact.first_name|cliente}}");
    await row.locator("[name=a_tplh]").selectOption(image);
    await c.fits();
    await Promise.all([c.page.waitForEvent("load"), c.tap(form.locator("button[type=submit]"))]);
    const rule = (await bed.t.ctx.db.select().from(automationRules)).find((r) => r.name === `Promo al resolver ${i}`)!;
    expect(rule.actions).toEqual([
      {
        type: "send_message",
        body: "¡Gracias por tu compra!",
        template: {
          name: "promo_semana",
          language: "es_MX",
          params: ["{{contact.first_name|cliente}}"],
          header: image,
        },
      },
    ]);
    // the saved rule's editor shows the template again
    await expect(c.page.locator(".action-row [name=a_tpl]").first().inputValue()).resolves.toBe("promo_semana|es_MX");
    await expect(c.page.locator(".action-row [name=a_tplh]").first().inputValue()).resolves.toBe(image);
    await c.fits();
    await c.close();
  }, 60_000);
