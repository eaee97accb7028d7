// Quick-reply chips on the web chat (issue #11 item 4): a flow's menu shows its options as chips under the message
// (its stored text keeps them numbered for the console and for a visitor who types "2"); a tap answers with the
// option's id, the flow takes that branch, and the chips go away. At 375 px the chips fit and nothing covers them.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { and, eq } from "drizzle-orm";
import { addWhatsAppCloud, apiPost, type seedBusiness, type TestApp } from "../support/app.ts";
import { overflowing, reachable } from "../support/browser.ts";
import { widgetTestbed } from "../support/pages.ts";
import { messages } from "../../src/inbox/schema.ts";
import { outbox } from "../../src/platform/schema.ts";
import { ingestInbound } from "../../src/inbox/service.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
let bed: Awaited<ReturnType<typeof widgetTestbed>>, browser: Browser, site: typeof bed.site;
beforeAll(async () => {
  bed = await widgetTestbed();
  ({ t, s, browser, site } = bed);
  const f = await apiPost(t, s.apiKey, "/flows", {
    name: "Menú",
    keywords: ["menú"],
    graph: {
      start: "m",
      nodes: [
        {
          id: "m",
          type: "message",
          text: "¿Qué buscas?",
          options: [
            { title: "Horarios", next: "h" },
            { title: "Ubicación del local", next: "u" },
            { title: "Hablar con alguien", next: "p" },
          ],
        },
        { id: "h", type: "message", text: "Abrimos de 9 a 18." },
        { id: "u", type: "message", text: "Estamos en el centro, calle Juárez 12." },
        { id: "p", type: "message", text: "Te paso con el equipo." },
      ],
    },
  });
  await apiPost(t, s.apiKey, `/flows/${f.id}/publish`, {});
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const sizes = [
  { width: 375, height: 740 },
  { width: 1280, height: 800 },
];

test("a flow's menu shows as chips; a tap answers with the option and the flow takes its branch", async () => {
  for (const viewport of sizes) {
    const page = await browser.newPage({ viewport, locale: "es-MX" });
    await page.goto(site.url);
    const w = page.locator("#digybot-webchat");
    await w.locator("button.launch").click();
    await w.locator("textarea").fill("menú");
    await w.locator("button.go").click();
    const chips = w.locator(".chips button");
    await chips.first().waitFor();
    expect(await chips.allInnerTexts()).toEqual(["Horarios", "Ubicación del local", "Hablar con alguien"]);
    // the bubble says the question; the numbered lines are for readers without chips
    const question = w.locator(".m.out").filter({ hasText: "¿Qué buscas?" });
    expect((await question.innerText()).includes("1. Horarios")).toBe(false);
    for (let i = 0; i < 3; i++) expect(await reachable(chips.nth(i))).toBe(true);
    expect(await overflowing(page)).toEqual([]);
    // stored numbered, with the chips beside it
    const stored = (await t.ctx.db.select().from(messages).where(eq(messages.direction, "out")).all()).at(-1)!;
    expect(stored.body).toBe("¿Qué buscas?\n\n1. Horarios\n2. Ubicación del local\n3. Hablar con alguien");
    expect(stored.content?.quickReplies?.map((o) => o.id)).toEqual(["m:0", "m:1", "m:2"]);

    await chips.nth(1).click();
    await w.locator(".m.out").filter({ hasText: "Estamos en el centro, calle Juárez 12." }).waitFor();
    await w.locator(".m.in").filter({ hasText: "Ubicación del local" }).waitFor();
    expect(await w.locator(".chips").count()).toBe(0);
    // the tap came in as the option's id, not only its words
    const tapped = (
      await t.ctx.db
        .select()
        .from(messages)
        .where(and(eq(messages.direction, "in"), eq(messages.conversationId, stored.conversationId)))
        .all()
    ).at(-1)!;
    expect(tapped.body).toBe("Ubicación del local");
    expect(tapped.content?.choice).toEqual({ id: "m:1", title: "Ubicación del local" });
    await page.close();
  }
}, 60_000);

test("quick replies are refused where a channel cannot show them, and past ten", async () => {
  const conv = (await t.ctx.db.select().from(messages).where(eq(messages.channelId, s.webchat.id)).all())[0]
    .conversationId;
  const send = (quickReplies: unknown) =>
    t.req("POST", `/api/v1/conversations/${conv}/messages`, {
      headers: { authorization: `Bearer ${s.apiKey}` },
      json: { body: "¿Algo más?", content: { quickReplies } },
    });
  const eleven = Array.from({ length: 11 }, (_, i) => ({ id: `x:${i}`, title: `Opción ${i}` }));
  const r = await send(eleven);
  expect(r.status).toBe(400);
  expect((await r.json()).error.code).toBe("validation_failed");
  const ok = await send([{ id: "x:0", title: "Sí" }]);
  expect(ok.status).toBe(202);
  // WhatsApp has buttons and lists, not chips: said, and nothing is queued
  const wa = await addWhatsAppCloud(t.ctx);
  const m = await ingestInbound(t.ctx, { channelId: wa.id, from: { externalId: "5215512345678" }, body: "hola" });
  const before = (await t.ctx.db.select().from(outbox).all()).length;
  const refused = await t.req("POST", `/api/v1/conversations/${m.conversationId}/messages`, {
    headers: { authorization: `Bearer ${s.apiKey}` },
    json: { body: "¿Algo más?", content: { quickReplies: [{ id: "x:0", title: "Sí" }] } },
  });
  expect(refused.status).toBe(422);
  expect((await refused.json()).error.code).toBe("not_supported_by_channel");
  expect((await t.ctx.db.select().from(outbox).all()).length).toBe(before);
});
