import { test, expect } from "bun:test";
import { ollamaProvider, openAiProvider, limited, ProviderError, type ToolSpec } from "../../src/agents/providers.ts";
import { startOllamaDouble, startOpenAiDouble } from "../support/llm-doubles.ts";

const weather: ToolSpec = {
  name: "get_weather",
  description: "Get the weather in a given city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

test("Ollama: chat with and without streaming, tool calls, embeddings, the model list, pulling with progress", async () => {
  const o = startOllamaDouble();
  try {
    const p = ollamaProvider(o.url);
    o.script.push({ content: "¡Hola! Abrimos a las 9." });
    const r = await p.chat({
      model: "llama3.2",
      messages: [
        { role: "system", content: "Eres amable" },
        { role: "user", content: "¿A qué hora abren?" },
      ],
      temperature: 0.2,
    });
    expect(r).toMatchObject({ content: "¡Hola! Abrimos a las 9.", toolCalls: [], promptTokens: 169, outputTokens: 15 });
    expect(o.requests.at(-1)).toMatchObject({ model: "llama3.2", stream: false, options: { temperature: 0.2 } });

    o.script.push({ toolCalls: [{ name: "get_weather", arguments: { city: "Tokyo" } }] });
    const tokens: string[] = [];
    const t = await p.chat(
      { model: "llama3.2", messages: [{ role: "user", content: "what is the weather in tokyo?" }], tools: [weather] },
      { onToken: (x) => tokens.push(x) },
    );
    expect(t.toolCalls).toEqual([{ name: "get_weather", arguments: { city: "Tokyo" } }]);
    expect(o.requests.at(-1)!.tools[0]).toEqual({
      type: "function",
      function: { name: "get_weather", description: weather.description, parameters: weather.parameters },
    });

    o.script.push({ content: "Hace sol en Tokio." });
    const s = await p.chat(
      {
        model: "llama3.2",
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: "", toolCalls: [{ name: "get_weather", arguments: { city: "Tokyo" } }] },
          { role: "tool", content: '{"sky":"sunny"}', toolName: "get_weather" },
        ],
      },
      { onToken: (x) => tokens.push(x) },
    );
    expect(s.content).toBe("Hace sol en Tokio.");
    expect(tokens.join("")).toBe("Hace sol en Tokio.");
    expect(o.requests.at(-1)!.messages[2]).toEqual({
      role: "tool",
      content: '{"sky":"sunny"}',
      tool_name: "get_weather",
    });

    const e = await p.embed("nomic-embed-text", ["¿Tienen tacos?", "¿Hay tacos?"]);
    expect(e).toHaveLength(2);
    expect(e[0]).toHaveLength(64);
    expect((await p.models()).map((m) => m.name)).toEqual(["llama3.2:latest", "nomic-embed-text:latest"]);

    const progress: { status: string; completed?: number; total?: number }[] = [];
    await p.pull!("qwen2.5:3b", (x) => progress.push(x));
    expect(progress[0].status).toBe("pulling manifest");
    expect(progress.some((x) => x.total === 2019377376 && x.completed === 1009688688)).toBe(true);
    expect(progress.at(-1)!.status).toBe("success");
    expect((await p.models()).map((m) => m.name)).toContain("qwen2.5:3b");
  } finally {
    o.stop();
  }
});

test("Ollama: a missing model, a server that is down, and a slow one are told apart; only what may pass is retried", async () => {
  const o = startOllamaDouble();
  try {
    const p = limited(ollamaProvider(o.url), { concurrency: 1, timeoutMs: 300, retries: 2, backoffMs: 5 });
    const missing = await p.chat({ model: "mistral", messages: [{ role: "user", content: "hola" }] }).catch((e) => e);
    expect(missing).toBeInstanceOf(ProviderError);
    expect(missing.code).toBe("model_not_found");
    expect(o.requests.filter((r) => r.model === "mistral")).toHaveLength(1); // not retried

    o.script.push({ status: 500, error: "out of memory" }, { content: "ya" });
    expect((await p.chat({ model: "llama3.2", messages: [{ role: "user", content: "hola" }] })).content).toBe("ya");

    o.script.push({ delayMs: 1000, content: "tarde" }, { delayMs: 1000 }, { delayMs: 1000 });
    const slow = await p.chat({ model: "llama3.2", messages: [{ role: "user", content: "hola" }] }).catch((e) => e);
    expect(slow.code).toBe("timeout");
  } finally {
    o.stop();
  }
  const down = limited(ollamaProvider("http://127.0.0.1:9"), {
    concurrency: 1,
    timeoutMs: 500,
    retries: 1,
    backoffMs: 5,
  });
  const err = await down.models().catch((e) => e);
  expect(err).toBeInstanceOf(ProviderError);
  expect(err.code).toBe("unreachable");
}, 15_000);

test("a provider runs at most its concurrency at once; the rest wait their turn", async () => {
  const o = startOllamaDouble();
  try {
    const p = limited(ollamaProvider(o.url), { concurrency: 2, timeoutMs: 5000, retries: 0 });
    for (let i = 0; i < 6; i++) o.script.push({ delayMs: 60, content: `r${i}` });
    const all = await Promise.all(
      Array.from({ length: 6 }, () => p.chat({ model: "llama3.2", messages: [{ role: "user", content: "hola" }] })),
    );
    expect(all.map((r) => r.content).sort()).toEqual(["r0", "r1", "r2", "r3", "r4", "r5"]);
    expect(o.maxConcurrent).toBe(2);
    expect(p.active).toBe(0);
  } finally {
    o.stop();
  }
});

test("OpenAI-compatible: chat with tool calls (arguments as JSON text), embeddings, models, a wrong key and a missing model", async () => {
  const d = startOpenAiDouble({ apiKey: "sk-test-123" });
  try {
    const p = openAiProvider(`${d.url}/v1`, "sk-test-123");
    d.script.push(
      { toolCalls: [{ name: "get_weather", arguments: { city: "Lima" } }] },
      { content: "Soleado en Lima." },
    );
    const t = await p.chat({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "¿clima en Lima?" }],
      tools: [weather],
    });
    expect(t.toolCalls).toEqual([{ name: "get_weather", arguments: { city: "Lima" } }]);
    const r = await p.chat({
      model: "gpt-4o-mini",
      messages: [
        { role: "user", content: "¿clima en Lima?" },
        { role: "assistant", content: "", toolCalls: t.toolCalls },
        { role: "tool", content: '{"sky":"sunny"}', toolName: "get_weather" },
      ],
    });
    expect(r).toMatchObject({ content: "Soleado en Lima.", promptTokens: 42, outputTokens: 7 });
    const sent = d.requests.at(-1)!.messages;
    expect(sent[1].tool_calls[0].function).toEqual({ name: "get_weather", arguments: '{"city":"Lima"}' });
    expect(sent[2]).toMatchObject({ role: "tool", tool_call_id: expect.any(String) });
    expect(await p.embed("text-embedding-3-small", ["a", "b", "c"])).toHaveLength(3);
    expect((await p.models()).map((m) => m.name)).toEqual(["gpt-4o-mini", "text-embedding-3-small"]);
    const missing = await p.chat({ model: "gpt-9", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(missing.code).toBe("model_not_found");
    const badKey = await openAiProvider(d.url, "sk-wrong")
      .models()
      .catch((e) => e);
    expect(badKey).toMatchObject({ code: "rejected", status: 401 });
  } finally {
    d.stop();
  }
});
