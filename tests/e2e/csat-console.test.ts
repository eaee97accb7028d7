// The satisfaction survey in the console (issue #11 item 6), at 375 and 1280 px: the owner turns it on from
// Encuestas; an agent resolves a conversation from its header; the customer's "5" and comment show in that
// conversation as activity lines; Encuestas shows the figures, the agent and department, the comment, and opens
// the conversation; the period changes; the rule's editor shows the survey action.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { waitUntil } from "../support/app.ts";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { ingestInbound, updateConversation } from "../../src/inbox/service.ts";
import { updateChannel } from "../../src/channels/service.ts";
import { automationRules, conversations, csatSurveys, messages } from "../../src/schema.ts";

let bed: Testbed;
beforeAll(async () => {
  bed = await consoleTestbed();
  await updateChannel(bed.t.ctx, { kind: "system" }, bed.s.webchat.id, { departmentId: bed.s.ventas.id });
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const survey = (conversationId: string) =>
  bed.t.ctx.db.select().from(csatSurveys).where(eq(csatSurveys.conversationId, conversationId)).get();

for (const [i, viewport] of VIEWPORTS.entries())
  test(`the survey: turned on, sent when resolved, answered, shown in the conversation and in Encuestas (${viewport.width} px)`, async () => {
    const { t, s } = bed;
    const admin = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    await admin.go("/settings/surveys");
    await admin.fits();
    if (i === 0) {
      // not on yet: one button turns it on, and the page stays
      await expect(admin.page.locator("#csat-empty").innerText()).resolves.toBe(
        "Aún no hay respuestas en este periodo.",
      );
      await admin.tap("#csat-install button[type=submit]");
      await admin.page.waitForURL(/\/settings\/surveys\?saved=1$/);
      await admin.page.locator("#csat-install").waitFor({ state: "detached" });
      expect((await t.ctx.db.select().from(automationRules)).map((r) => r.recipe)).toEqual(["csat"]);
    } else expect(await admin.page.locator("#csat-install").count()).toBe(0);

    // a customer writes; ana takes it and resolves it from the header
    const who = `v-csat-${i}`;
    const m = await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: who, name: `Carla ${i}` },
      body: "¿Me confirman mi pedido de hoy?",
    });
    await updateConversation(t.ctx, { kind: "system" }, m.conversationId, { assigneeId: s.ana.id });
    const ana = await openConsole(bed.browser, bed.running.url, "ana", viewport);
    await ana.go(`/inbox?c=${m.conversationId}`);
    await ana.tap(ana.page.locator('#conv-header button[data-value="resolved"]'));
    await waitUntil(async () => !!(await survey(m.conversationId)), 10_000);
    const conv = await t.ctx.db.select().from(conversations).where(eq(conversations.id, m.conversationId)).get();
    expect(conv!.status).toBe("resolved");
    const asked = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, m.conversationId))).find(
      (x) => x.direction === "out" && !x.private,
    )!;
    expect(asked.body).toContain("1. Muy mala");

    // the customer answers; ana sees it in the conversation, live
    await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: who }, body: "5" });
    await ana.page
      .locator("#messages li.activity", { hasText: "El cliente calificó la atención: ★★★★★ (5/5)" })
      .waitFor({ timeout: 10_000 });
    await waitUntil(async () => (await survey(m.conversationId))?.status === "rated", 10_000);
    await ingestInbound(t.ctx, { channelId: s.webchat.id, from: { externalId: who }, body: `Muy amables ${i}` });
    await ana.page
      .locator("#messages li.activity", { hasText: `Comentario del cliente: «Muy amables ${i}»` })
      .waitFor({ timeout: 10_000 });
    // and in the conversation's header: the score, with the comment on it
    const badge = ana.page.locator("#conv-survey");
    await badge.filter({ hasText: "Encuesta: 5/5" }).waitFor({ timeout: 10_000 });
    await expect(badge.getAttribute("title")).resolves.toBe(`Muy amables ${i}`);
    await ana.fits();
    await ana.close();

    // Encuestas shows it: the figures, ana and Ventas, the comment, and opens the conversation
    await admin.go("/settings/surveys");
    const page = admin.page;
    await expect(page.locator('[data-kpi="csat"]').innerText()).resolves.toBe("100 %");
    await expect(page.locator('[data-kpi="answers"]').innerText()).resolves.toBe(`${i + 1} de ${i + 1}`);
    await expect(page.locator('#csat-bars li[data-score="5"] b').innerText()).resolves.toBe(String(i + 1));
    await expect(page.locator("#csat-users").innerText()).resolves.toContain("Ana");
    await expect(page.locator("#csat-departments").innerText()).resolves.toContain("Ventas");
    const answer = page.locator(`#csat-answers li[data-conversation="${m.conversationId}"]`);
    await expect(answer.locator(".comment").innerText()).resolves.toBe(`«Muy amables ${i}»`);
    await admin.fits();
    await admin.tap(page.locator("#csat-period a", { hasText: "Últimos 7 días" }));
    await page.waitForURL(/\/settings\/surveys\?days=7$/);
    await expect(page.locator('#csat-period a[aria-current="page"]').innerText()).resolves.toBe("Últimos 7 días");
    await admin.tap(answer.locator("a"));
    await page.waitForURL(new RegExp(`/inbox\\?c=${m.conversationId}$`));
    await page.locator("#messages li.activity", { hasText: "(5/5)" }).waitFor();

    // the rule's editor shows the survey action
    const rule = (await t.ctx.db.select().from(automationRules)).find((r) => r.recipe === "csat")!;
    await admin.go(`/settings/automations/${rule.id}`);
    await expect(page.locator(".action-row [name=a_type]").first().inputValue()).resolves.toBe("send_survey");
    await admin.fits();
    await admin.close();
  });
