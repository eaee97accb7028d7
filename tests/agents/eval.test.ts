// `digybot agent eval FILE.jsonl` from the command line, on a real data dir, against the Ollama double.
import { test, expect, beforeAll, afterAll } from "bun:test";
import { join } from "node:path";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { startOllamaDouble } from "../support/llm-doubles.ts";
import { createAgent } from "../../src/agents/service.ts";
import { addSource } from "../../src/agents/knowledge.ts";
import { saveAiSettings } from "../../src/agents/settings.ts";
import { createProduct } from "../../src/commerce/service.ts";

let t: TestApp, o: ReturnType<typeof startOllamaDouble>;
beforeAll(async () => {
  t = await makeTestApp();
  const s = await seedBusiness(t.ctx);
  // a model that looks the product up, then quotes the tool's price
  o = startOllamaDouble({
    respond: (body) => {
      const last = body.messages.at(-1);
      if (last.role === "tool")
        return { content: `La hawaiana grande cuesta ${JSON.parse(last.content).products[0]?.price}.` };
      return { toolCalls: [{ name: "search_products", arguments: { query: last.content } }] };
    },
  });
  await saveAiSettings(t.ctx, { kind: "system" }, { ollamaUrl: o.url, timeoutMs: 5000 });
  await addSource(
    t.ctx,
    { kind: "system" },
    { faq: [{ question: "¿Hacen envíos a domicilio?", answer: "Sí, a toda la ciudad." }] },
  );
  await createProduct(
    t.ctx,
    { kind: "system" },
    { sku: "PZ-HAW", name: "Pizza hawaiana grande", price: 18900, stock: 7 },
  );
  await createAgent(
    t.ctx,
    { kind: "system" },
    { name: "Sofía", channelIds: [s.webchat.id], tools: ["search_products", "handoff"] },
  );
});
afterAll(async () => {
  o.stop();
  await t.close();
});

const run = async (...args: string[]) => {
  const p = Bun.spawn(
    ["bun", join(import.meta.dir, "../../src/main.ts"), ...args, "--data-dir", t.dir, "--log-level", "silent"],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
};

test("replays conversations and reports resolution, hand-off precision/recall, intents, grounding and latency", async () => {
  const file = join(t.dir, "eval.jsonl");
  await Bun.write(
    file,
    [
      JSON.stringify({
        id: "saludo-envio",
        turns: [
          { customer: "hola", expect: { intent: "greeting" } },
          { customer: "hacen envios a domicilio?", expect: { facts: ["toda la ciudad"] } },
        ],
      }),
      JSON.stringify({
        id: "precio",
        turns: [{ customer: "precio de la hawaiana", expect: { tools: ["search_products"], facts: ["$189.00"] } }],
      }),
      JSON.stringify({
        id: "asesor",
        turns: [{ customer: "quiero hablar con un asesor", expect: { intent: "human", handoff: true } }],
      }),
      JSON.stringify({ id: "falla", turns: [{ customer: "hola", expect: { intent: "hours" } }] }),
    ].join("\n"),
  );
  const table = await run("agent", "eval", file);
  expect(table.code).toBe(0);
  expect(table.out).toContain("agent: Sofía");
  expect(table.out).toMatch(/resolution rate\s+75\.0%/);
  expect(table.out).toMatch(/handoff precision\s+100\.0% \(1 right, 0 wrong\)/);
  expect(table.out).toMatch(/intent accuracy\s+66\.7%/);
  expect(table.out).toContain("falla turn 1");
  const json = await run("agent", "eval", file, "--json", "--agent", "sofía");
  const r = JSON.parse(json.out);
  expect(r).toMatchObject({
    agent: "Sofía",
    conversations: 4,
    turns: 5,
    resolutionRate: 0.75,
    handoff: { precision: 1, recall: 1 },
    factsFound: 1,
    toolsCalled: 1,
    groundingFailures: 0,
  });
  expect(r.latencyMs.p95).toBeGreaterThan(0);
});

test("a bad file or agent is named plainly", async () => {
  const file = join(t.dir, "bad.jsonl");
  await Bun.write(file, '{"turns": [{"customer": "hola"}]}\n{"turns": []}\n');
  const bad = await run("agent", "eval", file);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain("line 2: turns:");
  const noAgent = await run("agent", "eval", join(t.dir, "eval.jsonl"), "--agent", "Nadie");
  expect(noAgent.code).toBe(2);
  expect(noAgent.err).toContain("no agent named Nadie (agents: Sofía)");
});
