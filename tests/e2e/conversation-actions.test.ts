// The conversation header's and the composer's own buttons, clicked (issue #10, item 9), at 375 and 1280 px:
// priority, removing a tag, snoozing, resolving and reopening; the copilot's summary and rewrite, and a rewrite
// the AI server cannot do, said in Spanish in the composer.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { eq } from "drizzle-orm";
import { apiPost, waitUntil } from "../support/app.ts";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";
import { saveAiSettings } from "../../src/agents/settings.ts";
import { conversations, conversationTags } from "../../src/schema.ts";

let bed: Testbed, o: ReturnType<typeof startOllamaDouble>;
beforeAll(async () => {
  bed = await consoleTestbed();
  o = startOllamaDouble();
  await saveAiSettings(bed.t.ctx, { kind: "system" }, { ollamaUrl: o.url, timeoutMs: 5000 });
}, 60_000);
afterAll(async () => {
  o?.stop();
  await bed?.close();
});

const conv = (id: string) => bed.t.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get();

async function newConversation(i: number) {
  const { t, s } = bed;
  const ch = await apiPost(t, s.apiKey, "/channels", { type: "api", name: `Tienda ${i}`, config: {} });
  const id = (
    await apiPost(t, s.apiKey, "/inbound", {
      channelId: ch.id,
      from: { externalId: `c${i}`, name: `Lucía ${i}` },
      body: "Hola, mi pedido 1042 no ha llegado y ya pasaron tres días",
    })
  ).conversationId as string;
  const tag = await apiPost(t, s.apiKey, "/tags", { name: `reclamo-${i}` });
  await t.req("PUT", `/api/v1/conversations/${id}/tags/${tag.id}`, {
    headers: { authorization: `Bearer ${s.apiKey}` },
  });
  return { id, tagId: tag.id as string };
}

for (const [i, viewport] of VIEWPORTS.entries())
  test(`priority, tag removal, snooze, resolve and reopen from the header (${viewport.width} px)`, async () => {
    const { id, tagId } = await newConversation(i);
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const { page } = c;
    await c.go(`/inbox?c=${id}`);
    const header = page.locator("#conv-header");

    await header.locator('select[name="priority"]').selectOption("high");
    await waitUntil(async () => (await conv(id))?.priority === "high");

    await c.tap(header.locator(`a[data-action="untag"][data-tag="${tagId}"]`));
    await waitUntil(
      async () =>
        (await bed.t.ctx.db.select().from(conversationTags).where(eq(conversationTags.conversationId, id))).length ===
        0,
    );
    await header.locator(`a[data-tag="${tagId}"]`).waitFor({ state: "detached" });

    const before = Date.now();
    await header.locator('select[data-action="snooze"]').selectOption({ index: 1 });
    await waitUntil(async () => (await conv(id))?.status === "snoozed");
    const until = (await conv(id))!.snoozedUntil!;
    expect(until - before).toBeGreaterThan(3_500_000);
    expect(until - before).toBeLessThan(3_700_000);
    await header.locator("h2 small", { hasText: "Pospuesta" }).waitFor();

    await c.tap(header.locator('button[data-value="resolved"]'));
    await waitUntil(async () => (await conv(id))?.status === "resolved");
    await c.tap(header.locator('button[data-value="open"]'));
    await waitUntil(async () => (await conv(id))?.status === "open");
    await header.locator('button[data-value="resolved"]').waitFor();
    await expect(page.locator("#header-error").innerText()).resolves.toBe("");
    await c.fits();
    await c.close();
  });

for (const [i, viewport] of VIEWPORTS.entries())
  test(`the copilot's summary and rewrite, and a rewrite it cannot do (${viewport.width} px)`, async () => {
    const { id } = await newConversation(10 + i);
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const { page } = c;
    await c.go(`/inbox?c=${id}`);

    o.script.push({ content: JSON.stringify({ summary: "Lucía reclama el pedido 1042, que no llegó en tres días." }) });
    await c.tap('[data-copilot="summary"]');
    await expect(page.locator("#copilot-out p.summary").innerText()).resolves.toBe(
      "Lucía reclama el pedido 1042, que no llegó en tres días.",
    );

    const box = page.locator("#reply-body");
    await box.fill("q onda, ahorita lo checo");
    o.script.push({ content: JSON.stringify({ text: "Buenas tardes, en este momento lo reviso." }) });
    await c.tap('[data-rewrite="formal"]');
    await waitUntil(async () => (await box.inputValue()) === "Buenas tardes, en este momento lo reviso.");
    const asked = o.requests.filter((r) => r.path === "/api/chat").at(-1)!;
    expect(asked.messages.at(-1).content).toBe("q onda, ahorita lo checo");

    // the AI server fails: the draft stays, and the composer says why in Spanish
    o.script.push({ status: 500, error: "CUDA out of memory" });
    await c.tap('[data-rewrite="shorter"]');
    await page.locator("#composer-error", { hasText: "El servidor de IA no está disponible." }).waitFor();
    expect(await box.inputValue()).toBe("Buenas tardes, en este momento lo reviso.");
    await c.fits();
    await c.close();
  });
