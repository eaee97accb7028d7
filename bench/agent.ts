#!/usr/bin/env bun
// bench/agent: the AI agent's own costs, with the model server replaced by the Ollama protocol double (so model
// time is near zero and what is measured is DigyBot's part).
//  1. retrieval over N knowledge passages with 768-dimension vectors (nomic-embed-text's size): hybrid search
//     (FTS5 + libsql vector index + fusion), the question's vector given (embedding it is model time).
//  2. overhead per reply in the live loop, excluding model time: reading the conversation, retrieval, prompt,
//     tool execution, the grounding checks, writing the reply and its outbox row.
//  3. C customers at once, each writing T messages and waiting for each answer: no reply lost, none out of order.
// Run: bun bench/agent.ts [--passages 10000] [--replies 300] [--customers 200] [--turns 5]
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { pct, fmt, machine } from "./lib.ts";
import { makeTestApp, seedBusiness, startServer } from "../tests/support/app.ts";
import { startOllamaDouble, fakeEmbedding } from "../tests/support/llm-doubles.ts";
import { ingestInbound } from "../src/inbox/service.ts";
import { messages } from "../src/schema.ts";
import { createAgent } from "../src/agents/service.ts";
import { addSource, indexStatus, retrieve } from "../src/agents/knowledge.ts";
import { saveAiSettings } from "../src/agents/settings.ts";
import { agentRunner } from "../src/agents/runner.ts";
import { createProduct } from "../src/commerce/service.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    passages: { type: "string", default: "10000" },
    replies: { type: "string", default: "300" },
    customers: { type: "string", default: "200" },
    turns: { type: "string", default: "5" },
  },
});
const P = Number(values.passages),
  R = Number(values.replies),
  C = Number(values.customers),
  TURNS = Number(values.turns);
const DIM = 768;
const sys = { kind: "system" } as const;
console.log(`bench/agent on ${machine()}`);

// ------------------------------------------------------------------ 1. retrieval over P passages
{
  const words =
    "pizza pasta envío domicilio pago tarjeta factura horario sucursal reservación grupo vegana gluten alergia postre bebida promoción descuento garantía devolución cambio talla color modelo precio existencia pedido rastreo paquete cita consulta".split(
      " ",
    );
  const o = startOllamaDouble({ embedDims: DIM });
  // the double's embeddings, at nomic-embed-text's dimension
  const embed = (s: string) => fakeEmbedding(s, DIM);
  const t = await makeTestApp();
  try {
    await saveAiSettings(t.ctx, sys, { ollamaUrl: o.url, timeoutMs: 60_000 });
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    // a vocabulary like a business's documents: the domain words above and 3,000 others, used with Zipf frequencies
    const syl = [
      "ca",
      "lo",
      "ri",
      "ta",
      "men",
      "so",
      "der",
      "pa",
      "lu",
      "ve",
      "tor",
      "ni",
      "es",
      "ga",
      "mi",
      "bo",
      "ran",
      "te",
      "cu",
      "al",
    ];
    const vocab = [
      ...words,
      ...Array.from({ length: 3000 }, () =>
        Array.from({ length: 2 + Math.floor(rnd() * 3) }, () => syl[Math.floor(rnd() * syl.length)]).join(""),
      ),
    ];
    const zipf = () => vocab[Math.min(vocab.length - 1, Math.floor(Math.exp(rnd() * Math.log(vocab.length + 1))) - 1)];
    const passages: string[] = [];
    const text = (i: number) => {
      const p = Array.from({ length: 60 }, zipf).join(" ");
      passages[i] = p;
      return `Sección ${i}. ${p}.`;
    };
    const started = performance.now();
    for (let b = 0; b < P; b += 1000) {
      await addSource(t.ctx, sys, {
        title: `Manual ${b / 1000 + 1}`,
        text: Array.from({ length: Math.min(1000, P - b) }, (_, j) => `# Tema ${b + j}\n${text(b + j)}`).join("\n\n"),
      });
    }
    const chunked = performance.now() - started;
    let st = await indexStatus(t.ctx);
    while (st.embedded < st.passages) {
      await Bun.sleep(500);
      st = await indexStatus(t.ctx);
    }
    const indexed = performance.now() - started;
    console.log(
      `\n1. retrieval: ${st.passages} passages, ${DIM}-d vectors; stored and searchable by keyword in ${fmt(chunked / 1000)} s, all vectors in ${fmt(indexed / 1000)} s (${fmt((indexed - chunked) / st.passages, 2)} ms/passage)`,
    );
    // questions made of a few words of one passage, as a customer would ask about it
    const questions = Array.from({ length: 300 }, () => {
      const w = passages[Math.floor(rnd() * passages.length)].split(" ");
      return `¿${Array.from({ length: 4 }, () => w[Math.floor(rnd() * w.length)]).join(" ")}?`;
    });
    const hybrid: number[] = [],
      kw: number[] = [];
    for (const q of questions.slice(0, 20)) await retrieve(t.ctx, q, { vector: embed(q) }); // warm-up
    for (const q of questions) {
      const v = embed(q);
      const s = performance.now();
      const r = await retrieve(t.ctx, q, { vector: v });
      hybrid.push(performance.now() - s);
      if (!r.usedVectors) throw new Error("vectors not used");
    }
    for (const q of questions) {
      const s = performance.now();
      await retrieve(t.ctx, q, { vector: null });
      kw.push(performance.now() - s);
    }
    hybrid.sort((a, b) => a - b);
    kw.sort((a, b) => a - b);
    console.log(
      `   hybrid (keyword + vector): p50 ${fmt(pct(hybrid, 50), 2)} ms, p95 ${fmt(pct(hybrid, 95), 2)} ms   target p95 < 10 ms: ${pct(hybrid, 95) < 10 ? "met" : "NOT met"}`,
    );
    console.log(`   keyword only:              p50 ${fmt(pct(kw, 50), 2)} ms, p95 ${fmt(pct(kw, 95), 2)} ms`);
  } finally {
    o.stop();
    await t.close();
  }
}

// ------------------------------------------------------------------ 2 and 3: the live loop
{
  // a model that looks the product up, then answers quoting the tool's price and the customer's token
  const o = startOllamaDouble({
    respond: (body) => {
      const msgs = body.messages as { role: string; content: string }[];
      const last = msgs.at(-1)!;
      const token =
        [...msgs]
          .reverse()
          .find((m) => m.role === "user")!
          .content.match(/#(\w+)/)?.[1] ?? "?";
      if (last.role === "tool")
        return { content: `re:${token} La pizza cuesta ${JSON.parse(last.content).products[0]?.price ?? "—"}.` };
      return { toolCalls: [{ name: "search_products", arguments: { query: "pizza hawaiana" } }] };
    },
  });
  const t = await makeTestApp();
  const s = await seedBusiness(t.ctx);
  const running = await startServer(t.ctx);
  try {
    await saveAiSettings(t.ctx, sys, { ollamaUrl: o.url, timeoutMs: 60_000, concurrency: 4 });
    await addSource(t.ctx, sys, {
      title: "Menú",
      text: "# Pizzas\nLa pizza hawaiana lleva piña y jamón. La margarita lleva albahaca.\n\n# Envíos\nEnviamos a toda la ciudad.",
    });
    await createProduct(t.ctx, sys, { sku: "PZ-HAW", name: "Pizza hawaiana grande", price: 18900, stock: 7 });
    await createAgent(t.ctx, sys, {
      name: "Sofía",
      channelIds: [s.webchat.id],
      tools: ["search_products", "handoff"],
      burstMs: 0,
      handoff: { onNegativeSentiment: false },
    });
    while ((await indexStatus(t.ctx)).embedded < 2) await Bun.sleep(50);
    const runner = agentRunner(t.ctx)!;
    const waiting = new Map<string, (body: string) => void>();
    t.ctx.events.on("inbox.message_created", (e) => {
      const m = (e.data as { message?: { body: string; senderType: string; private: boolean } }).message;
      if (m?.senderType === "bot" && !m.private && e.conversationId) waiting.get(e.conversationId)?.(m.body);
    });
    const ask = async (who: string, token: string) => {
      const m = await ingestInbound(t.ctx, {
        channelId: s.webchat.id,
        from: { externalId: who, name: who },
        body: `Hola, ¿cuánto cuesta la pizza hawaiana? #${token}`,
      });
      return {
        conversationId: m.conversationId,
        reply: new Promise<string>((resolve) => waiting.set(m.conversationId, resolve)),
      };
    };

    // 2. overhead per reply, one conversation at a time
    for (let i = 0; i < 20; i++) {
      const x = await ask(`warm-${i}`, `w${i}`);
      await x.reply;
    }
    runner.costs.length = 0;
    for (let i = 0; i < R; i++) {
      const x = await ask(`seq-${i}`, `s${i}`);
      await x.reply;
    }
    await runner.idle();
    const over = runner.costs.map((c) => c.totalMs - c.modelMs - c.embedMs).sort((a, b) => a - b);
    const model = runner.costs.map((c) => c.modelMs + c.embedMs).sort((a, b) => a - b);
    console.log(`\n2. overhead per reply (live loop, tool round, model time excluded), ${over.length} replies:`);
    console.log(
      `   p50 ${fmt(pct(over, 50), 2)} ms, p95 ${fmt(pct(over, 95), 2)} ms, max ${fmt(over.at(-1)!, 2)} ms   target p95 < 20 ms: ${pct(over, 95) < 20 ? "met" : "NOT met"}   (model double time p50 ${fmt(pct(model, 50), 2)} ms)`,
    );

    // 3. C customers at once, T turns each, each waiting for its answer
    const started = performance.now();
    let lost = 0,
      wrong = 0;
    await Promise.all(
      Array.from({ length: C }, async (_, c) => {
        for (let k = 0; k < TURNS; k++) {
          const x = await ask(`cust-${c}`, `c${c}t${k}`);
          const body = await Promise.race([x.reply, Bun.sleep(60_000).then(() => null)]);
          if (body === null) {
            lost++;
            return;
          }
          if (!body.startsWith(`re:c${c}t${k} `)) wrong++;
        }
      }),
    );
    const secs = (performance.now() - started) / 1000;
    await runner.idle();
    // every customer message has exactly one bot reply after it, in order, in the stored conversations
    let outOfOrder = 0,
      stored = 0;
    const convs = new Set<string>();
    const rows = await t.ctx.db
      .select({
        c: messages.conversationId,
        d: messages.direction,
        s: messages.senderType,
        b: messages.body,
        p: messages.private,
      })
      .from(messages)
      .where(eq(messages.channelId, s.webchat.id))
      .orderBy(messages.id);
    const byConv = new Map<string, { d: string; s: string; b: string; p: boolean }[]>();
    for (const r of rows) {
      if (r.p || r.d === "activity") continue;
      if (!byConv.has(r.c)) byConv.set(r.c, []);
      byConv.get(r.c)!.push({ d: r.d, s: r.s, b: r.b, p: r.p });
    }
    for (const [c, list] of byConv) {
      if (!list.some((x) => x.b.includes("#c"))) continue;
      convs.add(c);
      const ins = list.filter((x) => x.d === "in" && x.b.includes("#c"));
      const outs = list.filter((x) => x.s === "bot");
      stored += outs.length;
      ins.forEach((m, i) => {
        const token = m.b.match(/#(\w+)/)![1];
        if (!outs[i]?.b.startsWith(`re:${token} `)) outOfOrder++;
      });
    }
    console.log(
      `\n3. ${C} customers at once × ${TURNS} turns (model concurrency 4): ${C * TURNS} replies expected, ${stored} stored in ${convs.size} conversations, in ${fmt(secs)} s (${fmt((C * TURNS) / secs)} replies/s)`,
    );
    console.log(
      `   lost ${lost}, wrong answer ${wrong}, out of order ${outOfOrder}   target 0 lost / 0 out of order: ${lost === 0 && outOfOrder === 0 && wrong === 0 && stored === C * TURNS ? "met" : "NOT met"}`,
    );
  } finally {
    o.stop();
    await running.stop();
    await t.close();
  }
}
