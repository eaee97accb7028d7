// The owner, in a real browser: adds FAQ pairs and a document to the knowledge base, creates an AI agent for the
// web chat, tries it in the playground (sources and tool calls shown), then a customer on the web chat gets the
// agent's answer and, asking for a person, is handed to the team.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin } from "../support/browser.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { conversations, messages } from "../../src/schema.ts";
import { createProduct } from "../../src/commerce/service.ts";
import { saveAiSettings } from "../../src/agents/settings.ts";
import { agentRunner } from "../../src/agents/runner.ts";

let t: TestApp,
  s: Awaited<ReturnType<typeof seedBusiness>>,
  running: Awaited<ReturnType<typeof startServer>>,
  browser: Browser,
  o: ReturnType<typeof startOllamaDouble>;
beforeAll(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  o = startOllamaDouble();
  await saveAiSettings(t.ctx, { kind: "system" }, { ollamaUrl: o.url, timeoutMs: 5000 });
  await createProduct(
    t.ctx,
    { kind: "system" },
    { sku: "PZ-HAW", name: "Pizza hawaiana grande", price: 18900, stock: 7 },
  );
  running = await startServer(t.ctx);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  o?.stop();
  await running?.stop();
  await t?.close();
});

const login = (page: Page) => loginAsAdmin(page, running.url);

test("knowledge base, agent, playground, and the live web chat with a hand-off", async () => {
  const page = await browser.newPage();
  await login(page);
  await page.goto(`${running.url}/settings/knowledge`);
  await page
    .locator('form[action="/settings/knowledge/faq"] textarea[name=faq]')
    .fill(
      "¿Hacen envíos a domicilio?\nSí, enviamos a toda la ciudad.\n\n¿Tienen estacionamiento?\nSí, gratuito para clientes.",
    );
  await page.locator('form[action="/settings/knowledge/faq"] button[type=submit]').click();
  await page.waitForURL(/saved=1/);
  await page.locator('form[action="/settings/knowledge/text"] input[name=title]').fill("Políticas");
  await page
    .locator('form[action="/settings/knowledge/text"] textarea[name=text]')
    .fill("# Devoluciones\nAceptamos devoluciones dentro de los 30 días con el ticket de compra.");
  await page.locator('form[action="/settings/knowledge/text"] button[type=submit]').click();
  await page.waitForURL(/saved=1/);
  await expect(page.locator("tr[data-source]").count()).resolves.toBe(2);
  // the vector progress reaches 100% by itself (the page polls)
  await page.waitForFunction(
    () => document.querySelector("#kb-index progress")?.getAttribute("value") === "100",
    null,
    { timeout: 10_000 },
  );

  await page.goto(`${running.url}/settings/agents`);
  await page.fill('form[action="/settings/agents"] input[name=name]', "Sofía");
  await page.check(`form[action="/settings/agents"] input[name=channelIds][value="${s.webchat.id}"]`);
  await page.click('form[action="/settings/agents"] button[type=submit]');
  await page.waitForURL(/\/settings\/agents\/[\w-]+$/);
  await page.fill("textarea[name=instructions]", "Ofrece siempre la pizza del día.");
  await page.fill("input[name=burstS]", "0.1");
  await page.click('form.card[action^="/settings/agents/"] button.primary');
  await page.waitForURL(/saved=1/);
  expect(await page.inputValue("textarea[name=instructions]")).toBe("Ofrece siempre la pizza del día.");

  // playground: a FAQ answer with its source, without the model
  await page.fill(".playground input[name=message]", "hacen envios a domicilio?");
  await page.click(".playground button.primary");
  await page.waitForSelector(".play-detail");
  expect(await page.locator(".playground .thread li.out .bubble").last().textContent()).toBe(
    "Sí, enviamos a toda la ciudad.",
  );
  expect(await page.locator(".play-detail [data-mode]").getAttribute("data-mode")).toBe("faq");
  expect(await page.locator(".play-detail [data-intent]").textContent()).toBe("ninguna"); // in words, not the code
  expect(await page.locator(".play-detail .sources li").first().textContent()).toContain("Preguntas frecuentes");
  // then a question for the model, which calls the catalog tool: the call and its result are shown
  o.script.push({ toolCalls: [{ name: "search_products", arguments: { query: "hawaiana" } }] });
  o.script.push({ content: "La pizza hawaiana grande cuesta $189.00 MXN." });
  await page.fill(".playground input[name=message]", "cuánto cuesta la hawaiana?");
  await page.click(".playground button.primary");
  await page.waitForSelector('.tool-calls li[data-tool="search_products"]');
  expect(await page.locator('.tool-calls li[data-tool="search_products"]').textContent()).toContain("$189.00");
  expect(await page.locator(".playground .thread li.out .bubble").last().textContent()).toBe(
    "La pizza hawaiana grande cuesta $189.00 MXN.",
  );
  expect(await page.locator(".playground .thread li").count()).toBe(4); // the conversation goes on

  // live: a customer on the web chat gets the FAQ answer, then asks for a person
  const m = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: "visitor-1", name: "Lucía" },
    body: "tienen estacionamiento?",
  });
  await Bun.sleep(150);
  await agentRunner(t.ctx)!.idle();
  await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: "visitor-1", name: "Lucía" },
    body: "quiero hablar con una persona",
  });
  await Bun.sleep(150);
  await agentRunner(t.ctx)!.idle();
  const thread = await t.ctx.db
    .select()
    .from(messages)
    .where(eq(messages.conversationId, m.conversationId))
    .orderBy(messages.id);
  expect(thread.filter((x) => x.senderType === "bot" && !x.private).map((x) => x.body)).toEqual([
    "Sí, gratuito para clientes.",
    "Te comunico con una persona de nuestro equipo; en un momento te atienden. 🙌",
  ]);
  expect(
    (await t.ctx.db.select().from(conversations).where(eq(conversations.id, m.conversationId)).get())!.ownerType,
  ).toBe("queue");
  // the team sees the hand-off line in the conversation
  await page.goto(`${running.url}/inbox?c=${m.conversationId}`);
  await page.waitForSelector(".msg.activity");
  // the reason in words, not the agent's code
  expect(await page.locator(".msg.activity").last().textContent()).toBe(
    "Sofía pasó la conversación a una persona (el cliente pidió una persona)",
  );
  await page.close();
});

test("copilot in the conversation: a suggested reply fills the composer and goes out as the agent's message", async () => {
  const page = await browser.newPage();
  await login(page);
  const m = await ingestInbound(t.ctx, {
    channelId: s.webchat.id,
    from: { externalId: "visitor-2", name: "Pedro" },
    body: "hacen envios a domicilio?",
  });
  await Bun.sleep(150);
  await agentRunner(t.ctx)!.idle();
  // people take the conversation: the bot answered the FAQ; now an agent writes
  await t.req("PATCH", `/api/v1/conversations/${m.conversationId}`, {
    headers: { authorization: `Bearer ${s.apiKey}` },
    json: { ownerType: "queue" },
  });
  await page.goto(`${running.url}/inbox?c=${m.conversationId}`);
  o.script.push({ content: JSON.stringify({ suggestions: ["Sí, enviamos a toda la ciudad. ¿Me das tu dirección?"] }) });
  await page.click('[data-copilot="suggest"]');
  await page.waitForSelector("#copilot-out .suggestion");
  await page.click("#copilot-out .suggestion");
  expect(await page.inputValue("#reply-body")).toBe("Sí, enviamos a toda la ciudad. ¿Me das tu dirección?");
  await page.click("#composer button.primary");
  await page.waitForFunction(() =>
    [...document.querySelectorAll(".msg.out")].some((e) => e.textContent?.includes("¿Me das tu dirección?")),
  );
  const last = (
    await t.ctx.db.select().from(messages).where(eq(messages.conversationId, m.conversationId)).orderBy(messages.id)
  )
    .filter((x) => x.direction === "out" && !x.private)
    .at(-1)!;
  expect(last).toMatchObject({ senderType: "agent", body: "Sí, enviamos a toda la ciudad. ¿Me das tu dirección?" });
  await page.close();
});
