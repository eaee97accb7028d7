import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { startOllamaDouble, startOpenAiDouble } from "../support/llm-doubles.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
});
afterEach(() => t.close());
const api = () => ({ authorization: `Bearer ${s.apiKey}` });

test("the owner points DigyBot at Ollama, tests the connection, and downloads a model with its progress", async () => {
  const o = startOllamaDouble({ models: ["llama3.2:latest"] });
  try {
    const put = await t.req("PUT", "/api/v1/ai/settings", {
      headers: api(),
      json: { provider: "ollama", ollamaUrl: o.url, chatModel: "llama3.2", embedModel: "nomic-embed-text" },
    });
    expect(put.status).toBe(200);
    let r = (await (await t.req("POST", "/api/v1/ai/test", { headers: api() })).json()).data;
    expect(r).toMatchObject({ ok: true, chatModelFound: true, embedModelFound: false });
    expect(r.models.map((m: { name: string }) => m.name)).toEqual(["llama3.2:latest"]);
    const pull = await t.req("POST", "/api/v1/ai/pull", { headers: api(), json: { model: "nomic-embed-text" } });
    expect(pull.status).toBe(202);
    let state:
      | { done: boolean; status: string; total: number | null; completed: number | null; error: string | null }
      | undefined;
    for (let i = 0; i < 100 && !state?.done; i++) {
      await Bun.sleep(10);
      state = (await (await t.req("GET", "/api/v1/ai/pull", { headers: api() })).json()).data[0];
    }
    expect(state).toMatchObject({
      done: true,
      status: "success",
      error: null,
      total: 2019377376,
      completed: 2019377376,
    });
    r = (await (await t.req("POST", "/api/v1/ai/test", { headers: api() })).json()).data;
    expect(r.embedModelFound).toBe(true);
    // a bad model name is refused before anything is downloaded
    expect((await t.req("POST", "/api/v1/ai/pull", { headers: api(), json: { model: "rm -rf /" } })).status).toBe(400);
  } finally {
    o.stop();
  }
});

test("a model server that is down is reported plainly; agents cannot see or change these settings", async () => {
  await t.req("PUT", "/api/v1/ai/settings", {
    headers: api(),
    json: { ollamaUrl: "http://127.0.0.1:9", timeoutMs: 2000 },
  });
  const r = (await (await t.req("POST", "/api/v1/ai/test", { headers: api() })).json()).data;
  expect(r).toMatchObject({ ok: false, code: "unreachable" });
  const agent = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  expect((await t.req("GET", "/api/v1/ai/settings", { headers: agent })).status).toBe(403);
  expect((await t.req("PUT", "/api/v1/ai/settings", { headers: agent, json: { chatModel: "x" } })).status).toBe(403);
});

test("an OpenAI-compatible service: the key is kept secret and kept when sent back as shown", async () => {
  const d = startOpenAiDouble({ apiKey: "sk-live-abcd1234" });
  try {
    const put = (
      await (
        await t.req("PUT", "/api/v1/ai/settings", {
          headers: api(),
          json: {
            provider: "openai",
            openaiUrl: `${d.url}/v1`,
            openaiKey: "sk-live-abcd1234",
            chatModel: "gpt-4o-mini",
            embedModel: "text-embedding-3-small",
          },
        })
      ).json()
    ).data;
    expect(put.openaiKey).toBe("••••1234");
    const shown = (await (await t.req("GET", "/api/v1/ai/settings", { headers: api() })).json()).data;
    expect(JSON.stringify(shown)).not.toContain("sk-live");
    await t.req("PUT", "/api/v1/ai/settings", { headers: api(), json: { ...shown, concurrency: 2 } });
    const r = (await (await t.req("POST", "/api/v1/ai/test", { headers: api() })).json()).data;
    expect(r).toMatchObject({ ok: true, chatModelFound: true, embedModelFound: true });
  } finally {
    d.stop();
  }
});

test("the console page: save, test (in Spanish, with the missing model named), download with progress", async () => {
  const o = startOllamaDouble({ models: ["llama3.2:latest"] });
  try {
    const h = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
    const form = (f: Record<string, string>) => new URLSearchParams({ _csrf: h["x-csrf-token"], ...f }).toString();
    const saved = await t.req("POST", "/settings/ai", {
      headers: { cookie: h.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: form({
        provider: "ollama",
        ollamaUrl: o.url,
        chatModel: "llama3.2",
        embedModel: "nomic-embed-text",
        concurrency: "1",
        timeoutS: "30",
      }),
    });
    expect(saved.status).toBe(302);
    const tested = await (
      await t.req("POST", "/settings/ai/test", {
        headers: { cookie: h.cookie, "content-type": "application/x-www-form-urlencoded" },
        body: form({}),
      })
    ).text();
    expect(tested).toContain("Conectado: 1 modelos disponibles.");
    expect(tested).toContain("El modelo nomic-embed-text no está en el servidor");
    await t.req("POST", "/settings/ai/pull", {
      headers: { cookie: h.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: form({ model: "nomic-embed-text" }),
    });
    let partial = "";
    for (let i = 0; i < 100 && !partial.includes("listo"); i++) {
      await Bun.sleep(10);
      partial = await (await t.req("GET", "/partials/ai-pulls", { headers: h })).text();
    }
    expect(partial).toContain("<b>nomic-embed-text</b>: listo");
    o.stop();
    const down = await (
      await t.req("POST", "/settings/ai/test", {
        headers: { cookie: h.cookie, "content-type": "application/x-www-form-urlencoded" },
        body: form({}),
      })
    ).text();
    expect(down).toContain("No se pudo conectar con el servidor de modelos");
  } finally {
    o.stop();
  }
}, 15_000);
