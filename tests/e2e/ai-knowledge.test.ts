// The AI settings' and the knowledge base's own buttons, clicked (issue #10, item 9), at 375 and 1280 px: the model
// server is saved and tested (connected, a missing model, unreachable with its detail behind "Detalles"); a
// document is uploaded, re-indexed and deleted after a confirmation that names it.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { consoleTestbed, openConsole, VIEWPORTS, type Testbed } from "../support/pages.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";
import { getAiSettings, saveAiSettings } from "../../src/agents/settings.ts";
import { indexStatus, listSources } from "../../src/agents/knowledge.ts";

let bed: Testbed, o: ReturnType<typeof startOllamaDouble>;
beforeAll(async () => {
  bed = await consoleTestbed();
  o = startOllamaDouble({ embedDims: 8 });
  await saveAiSettings(bed.t.ctx, { kind: "system" }, { ollamaUrl: o.url });
}, 60_000);
afterAll(async () => {
  o?.stop();
  await bed?.close();
});

for (const viewport of VIEWPORTS)
  test(`the model server is saved and tested (${viewport.width} px)`, async () => {
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const { page } = c;
    const save = async (values: Record<string, string>) => {
      await c.go("/settings/ai");
      const form = page.locator('form[action="/settings/ai"]');
      for (const [k, v] of Object.entries(values)) await form.locator(`[name=${k}]`).fill(v);
      // (the answer is a new page: wait for it to load before reading it, never the old one)
      await Promise.all([page.waitForEvent("load"), c.tap(form.locator("button[type=submit]"))]);
      await page.locator(".flash", { hasText: "Guardado." }).waitFor();
    };
    const runTest = () => Promise.all([page.waitForEvent("load"), c.tap('form[action="/settings/ai/test"] button')]);

    await save({ ollamaUrl: o.url, chatModel: "llama3.2", embedModel: "nomic-embed-text", timeoutS: "7" });
    expect(await getAiSettings(bed.t.ctx)).toMatchObject({ ollamaUrl: o.url, chatModel: "llama3.2", timeoutMs: 7000 });
    await runTest();
    await expect(page.locator(".ai-test.ok p").first().innerText()).resolves.toContain(
      "Conectado: 2 modelos disponibles.",
    );
    await expect(page.locator(".ai-test.ok .error").count()).resolves.toBe(0);

    // a model the server does not have is named
    await save({ chatModel: "qwen3:8b" });
    await runTest();
    await page.locator(".ai-test.ok .error", { hasText: "El modelo qwen3:8b no está en el servidor" }).waitFor();

    // nothing listening there: a sentence, and the technical detail behind "Detalles"
    await save({ ollamaUrl: "http://127.0.0.1:9", chatModel: "llama3.2" });
    await runTest();
    const failed = page.locator('.ai-test.error[data-problem="unreachable"]');
    await expect(failed.locator("p").innerText()).resolves.toBe(
      "No se pudo conectar con el servidor de modelos. ¿Está encendido y en esa dirección?",
    );
    await expect(failed.locator("code").isVisible()).resolves.toBe(false);
    await c.tap(failed.locator("summary"));
    await expect(failed.locator("code").isVisible()).resolves.toBe(true);
    await c.fits();
    await save({ ollamaUrl: o.url });
    await c.close();
  });

for (const [i, viewport] of VIEWPORTS.entries())
  test(`a document is uploaded, re-indexed and deleted (${viewport.width} px)`, async () => {
    // its own model server, whatever a test before it left saved
    await saveAiSettings(bed.t.ctx, { kind: "system" }, { ollamaUrl: o.url, embedModel: "nomic-embed-text" });
    const c = await openConsole(bed.browser, bed.running.url, "admin", viewport);
    const { page } = c;
    const title = `Políticas de envío ${i}`;
    await c.go("/settings/knowledge");
    const form = page.locator('form[action="/settings/knowledge/file"]');
    await form.locator("[name=file]").setInputFiles({
      name: "envios.md",
      mimeType: "text/markdown",
      buffer: Buffer.from("# Envíos\nEnviamos a toda la ciudad de lunes a sábado. El envío cuesta $50 MXN.\n"),
    });
    await form.locator("[name=title]").fill(title);
    await c.tap(form.locator("button[type=submit]"));
    const row = page.locator(`tr[data-source="${title}"]`);
    await row.waitFor();
    const source = (await listSources(bed.t.ctx)).find((x) => x.title === title);
    expect(source?.chunkCount).toBeGreaterThan(0);

    // re-indexing drops every vector and builds them again with the embedding model
    const embeds = () => o.requests.filter((r) => r.path === "/api/embed").length;
    for (let n = 0; n < 100 && (await indexStatus(bed.t.ctx)).embedded < source!.chunkCount; n++) await Bun.sleep(50);
    const embedsBefore = embeds();
    await c.tap('form[action="/settings/knowledge/reindex"] button');
    await page.locator(".flash", { hasText: "Guardado." }).waitFor();
    for (let n = 0; n < 100; n++) {
      const st = await indexStatus(bed.t.ctx);
      if (st.passages > 0 && st.embedded === st.passages) break;
      await Bun.sleep(50);
    }
    const st = await indexStatus(bed.t.ctx);
    expect(st.embedded).toBe(st.passages);
    expect(embeds()).toBeGreaterThan(embedsBefore);

    // deleting asks first, naming the document
    const asked: string[] = [];
    page.once("dialog", (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await c.tap(row.locator("button.danger"));
    await page.waitForURL(/saved=1/);
    expect(asked[0]).toContain(title);
    await expect(page.locator(`tr[data-source="${title}"]`).count()).resolves.toBe(0);
    expect((await listSources(bed.t.ctx)).some((x) => x.title === title)).toBe(false);
    await c.fits();
    await c.close();
  });
