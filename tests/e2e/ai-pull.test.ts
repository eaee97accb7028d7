// Downloading a model from the console: a name Ollama's library does not have is said plainly, in Spanish, with
// Ollama's own words behind "Detalles", never "Guardado." (issue #10 bug); a real one shows its progress to "listo".
import { test, expect, beforeAll, afterAll } from "bun:test";
import type { Browser } from "playwright-core";
import { makeTestApp, seedBusiness, startServer, type TestApp } from "../support/app.ts";
import { launchBrowser, loginAsAdmin, overflowing } from "../support/browser.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";

let t: TestApp,
  running: Awaited<ReturnType<typeof startServer>>,
  browser: Browser,
  ollama: ReturnType<typeof startOllamaDouble>;
beforeAll(async () => {
  t = await makeTestApp();
  const s = await seedBusiness(t.ctx);
  ollama = startOllamaDouble({ models: ["llama3.2:latest"] });
  await t.req("PUT", "/api/v1/ai/settings", {
    headers: { authorization: `Bearer ${s.apiKey}` },
    json: { ollamaUrl: ollama.url, timeoutMs: 5000 },
  });
  running = await startServer(t.ctx);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  ollama?.stop();
  await running?.stop();
  await t?.close();
});

test("a failed download is reported as failed; a good one shows its progress (375 and 1280 px)", async () => {
  for (const [i, viewport] of [
    [1, { width: 375, height: 740 }],
    [2, { width: 1280, height: 800 }],
  ] as const) {
    const page = await browser.newPage({ viewport });
    await loginAsAdmin(page, running.url);
    await page.goto(`${running.url}/settings/ai`);
    const form = page.locator('form[action="/settings/ai/pull"]');
    await form.locator("input[name=model]").fill(`no-such-model-${i}`);
    await form.locator("button[type=submit]").click();
    await page
      .locator(".flash.err, .error")
      .filter({ hasText: `No existe un modelo llamado no-such-model-${i}` })
      .first()
      .waitFor();
    expect(await page.content()).not.toContain("Guardado.");
    const failed = page.locator(`.pull[data-model="no-such-model-${i}"]`);
    await failed.locator("details summary").click();
    await expect(failed.locator("details code").textContent()).resolves.toContain("file does not exist");
    expect(await overflowing(page)).toEqual([]);

    await form.locator("input[name=model]").fill(`qwen2.5:${i}b`);
    await form.locator("button[type=submit]").click();
    await page.waitForURL(/pulling=/);
    await page
      .locator(".flash")
      .filter({ hasText: `Descargando qwen2.5:${i}b` })
      .waitFor();
    await page.locator(`.pull[data-model="qwen2.5:${i}b"]`).filter({ hasText: "listo" }).waitFor({ timeout: 6000 });
    expect(await overflowing(page)).toEqual([]);
    await page.close();
  }
}, 60_000);
