// When the AI server fails during an agent's turn (issue #10, item 6), the conversation says so once, in the
// person's language and in words they can act on; the raw error is behind "Detalles" for administrators only.
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { TestApp } from "../support/app.ts";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";
import { createAgent } from "../../src/agents/service.ts";
import { saveAiSettings } from "../../src/agents/settings.ts";
import { agentRunner } from "../../src/agents/runner.ts";
import { ingestInbound } from "../../src/inbox/service.ts";

let bed: Testbed, t: TestApp, o: ReturnType<typeof startOllamaDouble>, conversationId: string;
const notInstalled = { status: 404, error: 'model "llama3.2" not found, try pulling it first' };

beforeAll(async () => {
  bed = await consoleTestbed();
  t = bed.t;
  o = startOllamaDouble();
  await saveAiSettings(t.ctx, { kind: "system" }, { ollamaUrl: o.url, timeoutMs: 5000 });
  await createAgent(
    t.ctx,
    { kind: "system" },
    {
      name: "Sofía",
      channelIds: [bed.s.webchat.id],
      burstMs: 20,
      handoff: { departmentId: bed.s.ventas.id },
    },
  );
  const say = async (body: string) => {
    const m = await ingestInbound(t.ctx, { channelId: bed.s.webchat.id, from: { externalId: "v1" }, body });
    await Bun.sleep(5);
    await agentRunner(t.ctx)!.idle();
    return m.conversationId;
  };
  // two turns the model fails the same way: the second is not said again; the third turn goes to a person
  o.script.push(notInstalled);
  conversationId = await say("¿A qué hora abren?");
  o.script.push(notInstalled);
  await say("¿a qué hora abren el domingo?");
  o.script.push(notInstalled);
  await say("mi licuadora hace un ruido raro al encenderla");
}, 60_000);
afterAll(async () => {
  o?.stop();
  await bed?.close();
});

for (const viewport of VIEWPORTS)
  test(`a model failure reads as a sentence, once, with Detalles for an administrator only (${viewport.width} px)`, async () => {
    const admin = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    await admin.go(`/inbox?c=${conversationId}`);
    const lines = admin.page.locator("#messages li.activity").filter({ hasText: "Sofía:" });
    await expect(lines.allInnerTexts()).resolves.toEqual([
      expect.stringMatching(
        /^Sofía: el modelo configurado no está instalado en el servidor de IA; respondió sin modelo, desde la base de conocimiento/,
      ),
    ]);
    const details = lines.locator("details");
    expect(await details.evaluate((d: HTMLDetailsElement) => d.open)).toBe(false);
    await expect(details.locator("code").isVisible()).resolves.toBe(false);
    await admin.tap(details.locator("summary"));
    await expect(details.locator("code").innerText()).resolves.toMatch(/^model_not_found: model "llama3.2" not found/);
    await admin.fits();
    await admin.close();

    // an agent of the department it went to reads the same sentence, without the technical detail
    const ana = await openConsole(bed.browser, bed.running.url, "ana", viewport);
    await ana.go(`/inbox?c=${conversationId}`);
    const seen = ana.page.locator("#messages li.activity").filter({ hasText: "Sofía:" });
    await expect(seen.count()).resolves.toBe(1);
    await expect(seen.locator("details").count()).resolves.toBe(0);
    await expect(ana.page.locator("#messages").innerText()).resolves.not.toContain("llama3.2");
    await ana.fits();
    await ana.close();
  });
