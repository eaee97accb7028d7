// An AI agent's turn, and the loop that runs turns for the conversations agents own.
//
// A turn: hand-off rules first (the customer asks for a person, an owner's keyword, too many bot replies, an
// upset customer), then retrieval; a curated FAQ that matches closely answers by itself; otherwise the model,
// with the agent's tools for a few rounds, and checks on what it wrote (figures grounded in tool results and
// passages, nothing of the instructions repeated). Without a model, or when it is down, the agent still serves
// from the knowledge base and the built-in intents, and hands over politely when it cannot.
//
// The loop: customer messages are gathered for the agent's burst time, one turn runs per conversation at a
// time, and the reply is written only while the conversation is still the agent's.
import { and, desc, eq, gt, inArray, like, ne, sql } from "drizzle-orm";
import type { Ctx } from "../platform/context.ts";
import { conversations, messages } from "../inbox/schema.ts";
import { departments } from "../auth/schema.ts";
import { handOffToPeople, recordBotActivity, sendBotMessage } from "../inbox/service.ts";
import { getBusiness, isOpenAt as isOpen } from "../setup/service.ts";
import { ProviderError, type ChatMessage, type ToolCall } from "./providers.ts";
import { aiProvider } from "./settings.ts";
import { retrieve, type Hit, type Retrieval } from "./knowledge.ts";
import { classifyIntent, orderNumberIn, type Intent } from "./intents.ts";
import { priorityFor, readMood } from "./sentiment.ts";
import { contentTerms, coverage, detectLanguage, normalize } from "./text.ts";
import {
  businessFacts,
  hoursText,
  leaksInstructions,
  recoverToolCalls,
  redactPersonalData,
  RULES,
  systemPrompt,
  takeCitations,
  ungroundedFigures,
} from "./prompt.ts";
import { RETURN_TO_FLOW, runTool, toolSpecs, type ToolContext } from "./tools.ts";
import { getAgent, type Agent } from "./service.ts";
import { flowActive, flowGoal, returnToFlow } from "../automation/index.ts";

export type TurnMessage = { role: "customer" | "agent" | "bot"; text: string };
export type TurnInput = {
  agent: Agent;
  conversationId: string | null;
  contactId: string | null;
  /** earlier messages, oldest first (without the turn's own customer messages) */
  history: TurnMessage[];
  /** what the customer wrote since the last reply (a burst is joined) */
  customerText: string;
  /** replies this agent already gave in the conversation (for the hand-off rule) */
  botReplies: number;
  dryRun: boolean;
  /** the goal a flow gave the agent, when the flow wants the conversation back (return_to_flow is offered) */
  flowGoal?: string | null;
};
export type ToolTrace = {
  name: string;
  arguments: Record<string, unknown>;
  ok: boolean;
  result?: unknown;
  error?: string;
  ms: number;
};
export type TurnResult = {
  reply: string | null;
  handoff: { departmentId: string | null; reason: string } | null;
  /** the agent gave the conversation back to its flow (which answers instead) */
  backToFlow: boolean;
  intent: Intent;
  language: "es" | "en";
  mode: "handoff" | "faq" | "model" | "intent" | "knowledge" | "fallback";
  sources: { sourceId: string; title: string; chunkId: number }[];
  retrieved: Hit[];
  toolCalls: ToolTrace[];
  /** figures the model wrote that nothing supported (the reply sent was corrected or replaced) */
  groundingIssues: string[];
  leakBlocked: boolean;
  modelError: string | null;
  timings: { totalMs: number; modelMs: number; retrievalMs: number; toolMs: number; embedMs: number };
};

// an order takes a few: the menu, a category, the items, pickup or delivery
const MAX_TOOL_ROUNDS = 5;
/** The words of a price question that name no product ("cuánto cuesta", "precio"), as contentTerms gives them. */
const PRICE_WORDS = new Set(
  contentTerms(
    "cuanto cuanta cuantos cuesta cuestan vale valen sale salen cobran precio precios costo costos venden manejan queda quedan how much price prices cost costs sell have there",
  ),
);
const modelDownUntil = new WeakMap<Ctx, number>();
const HISTORY = 12;

const T = {
  es: {
    handoff: "Te comunico con una persona de nuestro equipo; en un momento te atienden. 🙌",
    handoffClosed:
      "Te comunico con una persona de nuestro equipo. Ahora estamos fuera de horario ({hours}); te responderemos en cuanto abramos.",
    greeting: "¡Hola! Soy {agent} de {business}. ¿En qué te puedo ayudar?",
    thanks: "¡Con gusto! ¿Hay algo más en lo que te pueda ayudar?",
    hours: "Nuestro horario es: {hours}. {now}",
    openNow: "Ahora mismo estamos abiertos.",
    closedNow: "Ahora mismo estamos cerrados.",
    location: "Nos encuentras en: {location}.",
    askOrder: "Con gusto reviso tu pedido. ¿Me compartes el número de pedido?",
    order: "Tu pedido {number} está {status}. Total: {total}.",
    noOrder: "No encontré el pedido {number}. ¿Puedes revisar el número? Si prefieres, te comunico con una persona.",
    knowledge: "{text}",
    notUnderstood: "No tengo esa información, así que te comunico con una persona de nuestro equipo.",
    leak: "Lo siento, no puedo compartir eso. ¿Te ayudo con algo más?",
    products: "Esto encontré: {list}.",
    soldOut: "agotado por ahora",
  },
  en: {
    handoff: "I'm connecting you with a person from our team; they'll be with you shortly. 🙌",
    handoffClosed:
      "I'm connecting you with a person from our team. We're closed right now ({hours}); we'll answer as soon as we open.",
    greeting: "Hi! I'm {agent} from {business}. How can I help you?",
    thanks: "You're welcome! Anything else I can help with?",
    hours: "Our hours are: {hours}. {now}",
    openNow: "We're open right now.",
    closedNow: "We're closed right now.",
    location: "You'll find us at: {location}.",
    askOrder: "Happy to check your order. What's the order number?",
    order: "Your order {number} is {status}. Total: {total}.",
    noOrder:
      "I couldn't find order {number}. Could you check the number? If you prefer, I can connect you with a person.",
    knowledge: "{text}",
    notUnderstood: "I don't have that information, so I'm connecting you with a person from our team.",
    leak: "Sorry, I can't share that. Can I help you with anything else?",
    products: "Here is what I found: {list}.",
    soldOut: "sold out for now",
  },
};
const fill = (s: string, p: Record<string, string>) => s.replace(/\{(\w+)\}/g, (m, k) => p[k] ?? m);

/** One turn of an agent: what it replies, whether it hands over, and everything the playground shows. */
export async function runTurn(ctx: Ctx, input: TurnInput): Promise<TurnResult> {
  const started = performance.now();
  const { agent } = input;
  const text = input.customerText.trim();
  const lang =
    agent.language === "auto"
      ? detectLanguage(
          `${text} ${input.history
            .filter((m) => m.role === "customer")
            .slice(-3)
            .map((m) => m.text)
            .join(" ")}`,
        )
      : agent.language;
  const t = T[lang];
  const business = await getBusiness(ctx);
  const now = ctx.clock.now();
  const intentOf =
    /^\s*#?\d{3,12}\s*$/.test(text) && input.history.at(-1)?.role !== "customer"
      ? { intent: "order_status" as Intent, score: 3 }
      : classifyIntent(text);
  const res: TurnResult = {
    reply: null,
    handoff: null,
    backToFlow: false,
    intent: intentOf.intent,
    language: lang,
    mode: "fallback",
    sources: [],
    retrieved: [],
    toolCalls: [],
    groundingIssues: [],
    leakBlocked: false,
    modelError: null,
    timings: { totalMs: 0, modelMs: 0, retrievalMs: 0, toolMs: 0, embedMs: 0 },
  };
  const done = () => {
    res.timings.totalMs = performance.now() - started;
    return res;
  };
  const handoffMessage = () => {
    if (agent.handoff.message) return agent.handoff.message;
    if (business && !isOpen(business, now)) return fill(t.handoffClosed, { hours: hoursText(business, lang) });
    return t.handoff;
  };
  const handOff = (reason: string, departmentId = agent.handoff.departmentId) => {
    res.mode = "handoff";
    res.handoff = { departmentId, reason };
    res.reply = handoffMessage();
    return done();
  };

  // hand-off rules come before anything else: they need no model and must never be talked out of
  if (res.intent === "human") return handOff("customer_asked");
  const n = ` ${normalize(text)} `;
  const kw = agent.handoff.keywords.find((k) => n.includes(` ${normalize(k)} `));
  if (kw) return handOff(`keyword: ${kw}`);
  if (agent.handoff.maxBotReplies > 0 && input.botReplies >= agent.handoff.maxBotReplies)
    return handOff("max_bot_replies");
  if (agent.handoff.onNegativeSentiment && readMood(text).sentiment === "negative")
    return handOff("negative_sentiment");

  const retrievalStarted = performance.now();
  let retrieval: Retrieval = { hits: [], faq: null, usedVectors: false, ms: 0, embedMs: 0 };
  if (text) retrieval = await retrieve(ctx, text);
  res.timings.retrievalMs = performance.now() - retrievalStarted;
  res.timings.embedMs = retrieval.embedMs;
  res.retrieved = retrieval.hits;
  const cite = (hits: Hit[]) => {
    res.sources = hits.map((h) => ({ sourceId: h.sourceId, title: h.sourceTitle, chunkId: h.chunkId }));
  };

  if (retrieval.faq) {
    res.mode = "faq";
    res.reply = retrieval.faq.answer;
    cite([retrieval.faq]);
    return done();
  }

  const toolCtx: ToolContext = {
    ctx,
    agentId: agent.id,
    agentName: agent.name,
    conversationId: input.conversationId,
    contactId: input.contactId,
    language: lang,
    dryRun: input.dryRun,
  };
  if (agent.useModel && (modelDownUntil.get(ctx) ?? 0) > Date.now())
    res.modelError = "unreachable: the model server failed moments ago";
  else if (agent.useModel) {
    try {
      await modelTurn(ctx, input, toolCtx, res, retrieval.hits, lang, business, now, cite);
      if (res.backToFlow) return done();
      if (res.reply !== null || res.handoff) {
        if (res.handoff && !res.reply) res.reply = handoffMessage();
        return done();
      }
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      res.modelError = `${e.code}: ${e.message}`;
      res.toolCalls = [];
      // while it is down, customers are not kept waiting for retries on every turn
      if (e.code === "unreachable" || e.code === "timeout") modelDownUntil.set(ctx, Date.now() + 30_000);
    }
  }

  // without a model (or with it down): a clear intent, then the knowledge base (a curated pair gives its own
  // answer), then a weak intent, then a person
  const terms = contentTerms(text);
  const answerIntent = async (): Promise<boolean> => {
    switch (res.intent) {
      case "greeting":
        res.reply = fill(t.greeting, { agent: agent.name, business: business?.name ?? "" }).replace(
          / de \.| from \./,
          ".",
        );
        break;
      case "thanks":
        res.reply = t.thanks;
        break;
      case "hours":
        if (!business) return false;
        res.reply = fill(t.hours, {
          hours: hoursText(business, lang),
          now: isOpen(business, now) ? t.openNow : t.closedNow,
        });
        break;
      case "location":
        if (!business?.location) return false;
        res.reply = fill(t.location, { location: business.location });
        break;
      case "order_status": {
        if (!agent.tools.includes("order_status")) return false;
        const number = orderNumberIn(text);
        if (!number) {
          res.reply = t.askOrder;
          break;
        }
        const r = await timedTool(res, toolCtx, agent.tools, "order_status", { orderNumber: number });
        res.reply = r.ok
          ? fill(t.order, { number: String(r.data.number), status: String(r.data.status), total: String(r.data.total) })
          : fill(t.noOrder, { number });
        break;
      }
      case "product": {
        // only products whose name or description holds every word the customer named
        if (!agent.tools.includes("search_products")) return false;
        const wanted = terms.filter((w) => !PRICE_WORDS.has(w));
        if (!wanted.length) return false;
        const r = await timedTool(res, toolCtx, agent.tools, "search_products", { query: text, limit: 10 });
        if (!r.ok) return false;
        const found = (
          r.data.products as {
            name: string;
            description: string;
            price: string;
            stock: number | null;
            available: boolean;
          }[]
        )
          .filter((p) => coverage(wanted, `${p.name} ${p.description}`) === 1)
          .slice(0, 3);
        if (!found.length) return false;
        const line = (p: (typeof found)[number]) => `${p.name}: ${p.price}${p.available ? "" : ` (${t.soldOut})`}`;
        res.reply = found.length === 1 ? `${line(found[0])}.` : fill(t.products, { list: found.map(line).join("; ") });
        break;
      }
      default:
        return false;
    }
    res.mode = "intent";
    return true;
  };
  if (intentOf.score >= 2 && (await answerIntent())) return done();
  const best = retrieval.hits[0];
  if (best && answersWithoutModel(terms, best)) {
    res.mode = best.answer ? "faq" : "knowledge";
    res.reply = best.answer ?? fill(t.knowledge, { text: trimPassage(best.text) });
    cite([best]);
    return done();
  }
  if (intentOf.score > 0 && (await answerIntent())) return done();
  return handOff(res.modelError ? "model_unavailable" : "no_answer");
}

/**
 * Whether a passage may be sent as the answer with no model to read it: it shares at least two of the question's
 * content words and half of them, or its heading (a curated question) holds every one. A single word met only in a
 * passage's body ("pedido" in the cancellation policy, for "¿cómo va mi pedido?") is not enough.
 */
function answersWithoutModel(terms: string[], hit: Hit) {
  if (!terms.length) return false;
  if (hit.keyword >= 0.5 && Math.round(hit.keyword * terms.length) >= 2) return true;
  return coverage(terms, hit.question ?? hit.heading) === 1;
}

/** A passage short enough for a chat message, cut at a sentence. */
function trimPassage(s: string, max = 600) {
  if (s.length <= max) return s.trim();
  const cut = s.slice(0, max);
  const end = Math.max(cut.lastIndexOf(". "), cut.lastIndexOf("\n"));
  return `${cut.slice(0, end > 200 ? end + 1 : max).trim()}…`;
}

async function timedTool(
  res: TurnResult,
  t: ToolContext,
  allowed: string[],
  name: string,
  args: Record<string, unknown>,
) {
  const s = performance.now();
  const r = await runTool(t, allowed, name, args);
  const ms = performance.now() - s;
  res.timings.toolMs += ms;
  res.toolCalls.push({ name, arguments: args, ok: r.ok, ...(r.ok ? { result: r.data } : { error: r.error }), ms });
  return r;
}

/** The model's part of a turn: prompt, tool rounds, then the checks on the reply. Throws ProviderError when the model server fails. */
async function modelTurn(
  ctx: Ctx,
  input: TurnInput,
  toolCtx: ToolContext,
  res: TurnResult,
  passages: Hit[],
  lang: "es" | "en",
  business: Awaited<ReturnType<typeof getBusiness>>,
  now: number,
  cite: (h: Hit[]) => void,
) {
  const { agent } = input;
  const { provider, settings } = await aiProvider(ctx);
  const remote = settings.provider !== "ollama";
  const guard = (s: string) => (remote && !settings.shareContactData ? redactPersonalData(s) : s);
  const depts = (await ctx.db.select({ name: departments.name }).from(departments)).map((d) => d.name);
  const facts = businessFacts(business, depts, now, lang);
  const goal =
    input.flowGoal === undefined || input.flowGoal === null
      ? ""
      : lang === "es"
        ? `Un flujo te pasó esta conversación con este objetivo: ${input.flowGoal || "atender lo que el cliente pida"}. Cuando esté cumplido, llama a la herramienta return_to_flow y no escribas nada más: el flujo sigue con el cliente.`
        : `A flow gave you this conversation with this goal: ${input.flowGoal || "help with what the customer asks"}. Once it is met, call the return_to_flow tool and write nothing more: the flow goes on with the customer.`;
  const system = [systemPrompt(agent, lang, facts, passages), goal].filter(Boolean).join("\n\n");
  const msgs: ChatMessage[] = [{ role: "system", content: system }];
  for (const m of input.history.slice(-HISTORY))
    msgs.push({ role: m.role === "customer" ? "user" : "assistant", content: guard(m.text) });
  msgs.push({ role: "user", content: guard(input.customerText) });
  // the flow's way back is offered only while a flow waits for the conversation
  const allowed = goal ? [...agent.tools, RETURN_TO_FLOW.name] : agent.tools;
  const tools = toolSpecs(allowed);
  const evidence: string[] = [
    facts,
    input.customerText,
    ...input.history.filter((m) => m.role === "customer").map((m) => m.text),
    ...passages.map((p) => p.text),
  ];
  let content = "";
  for (let round = 0; ; round++) {
    const r = await provider.chat({
      model: settings.chatModel,
      messages: msgs,
      ...(round < MAX_TOOL_ROUNDS && tools.length ? { tools } : {}),
      temperature: 0.3,
    });
    res.timings.modelMs += r.ms;
    let calls: ToolCall[] = r.toolCalls;
    if (!calls.length) calls = recoverToolCalls(r.content, tools.map((x) => x.name).concat(allToolNames(r.content)));
    if (!calls.length || round >= MAX_TOOL_ROUNDS) {
      content = calls.length ? "" : r.content;
      break;
    }
    msgs.push({ role: "assistant", content: calls.length && !r.toolCalls.length ? "" : r.content, toolCalls: calls });
    for (const c of calls) {
      const out = await timedTool(res, toolCtx, allowed, c.name, c.arguments);
      // what a tool answered, its refusals too (a taken time lists the free ones), is what the reply may quote
      evidence.push(out.ok ? JSON.stringify(out.data) : out.error);
      if (out.ok && out.handoff) res.handoff = out.handoff;
      if (out.ok && out.backToFlow) res.backToFlow = true;
      msgs.push({ role: "tool", toolName: c.name, content: JSON.stringify(out.ok ? out.data : { error: out.error }) });
    }
    if (res.handoff || res.backToFlow) {
      content = "";
      break;
    }
  }
  if (res.handoff || res.backToFlow) return;
  res.mode = "model";
  const { text, cited } = takeCitations(content, passages);
  let reply = text;
  // figures nobody supplied: the model gets one chance to correct itself, then the reply is not sent
  let issues = ungroundedFigures(reply, evidence.join("\n"));
  if (issues.length) {
    res.groundingIssues = issues;
    const fix =
      lang === "es"
        ? `Tu respuesta menciona ${issues.join(", ")}, que no aparece en ningún resultado de herramienta ni pasaje. Reescríbela sin cifras inventadas: usa una herramienta o di que lo consultarás.`
        : `Your reply mentions ${issues.join(", ")}, which no tool result or passage contains. Rewrite it without invented figures: use a tool or say you will check.`;
    const r2 = await provider.chat({
      model: settings.chatModel,
      messages: [...msgs, { role: "assistant", content }, { role: "system", content: fix }],
      temperature: 0,
    });
    res.timings.modelMs += r2.ms;
    reply = takeCitations(r2.content, passages).text;
    issues = ungroundedFigures(reply, evidence.join("\n"));
    if (issues.length || !reply) {
      res.handoff = { departmentId: agent.handoff.departmentId, reason: "ungrounded_reply" };
      res.mode = "handoff";
      res.reply = null;
      return;
    }
  }
  if (
    leaksInstructions(
      reply,
      [agent.instructions, agent.persona, ...RULES.es, ...RULES.en].filter((s) => s.length > 20),
    )
  ) {
    res.leakBlocked = true;
    reply = T[lang].leak;
  }
  if (!reply.trim()) {
    res.reply = null;
    return;
  }
  res.reply = reply;
  cite(cited);
}

/** Every tool name a model may write, so a call to a tool it was not given is recovered (and then refused). */
function allToolNames(content: string) {
  return [...content.matchAll(/"(?:name|tool|tool_name)"\s*:\s*"([\w-]{1,60})"/g)].map((m) => m[1]);
}

// ---------------------------------------------------------------- the live loop

type ConvState = { timer: ReturnType<typeof setTimeout> | null; firstAt: number; running: boolean; again: boolean };
/** A live turn's cost: all of it (reading the conversation, the turn, writing the reply) and the model server's part. */
export type TurnCost = { totalMs: number; modelMs: number; embedMs: number };
export type AgentRunner = {
  stop(): void;
  resume(): Promise<number>;
  idle(): Promise<void>;
  readonly turns: number;
  readonly costs: TurnCost[];
};
const runners = new WeakMap<Ctx, AgentRunner>();

export function agentRunner(ctx: Ctx) {
  return runners.get(ctx) ?? null;
}

/**
 * Runs agents on the conversations they own: listens for customer messages, gathers bursts, one turn per
 * conversation at a time (a message arriving during a turn gets the next one), and keeps the customer's mood
 * and the conversation's priority up to date.
 */
export function wireAgentRunner(ctx: Ctx): AgentRunner {
  const states = new Map<string, ConvState>();
  const inFlight = new Set<Promise<void>>();
  let stopped = false,
    turns = 0;
  const costs: TurnCost[] = [];

  const schedule = (conversationId: string, burstMs: number) => {
    if (stopped) return;
    let st = states.get(conversationId);
    if (!st) states.set(conversationId, (st = { timer: null, firstAt: Date.now(), running: false, again: false }));
    if (st.running) {
      st.again = true;
      return;
    }
    if (st.timer) clearTimeout(st.timer);
    else st.firstAt = Date.now();
    // a long burst is not gathered forever: at most three burst times after its first message
    const wait = Math.max(0, Math.min(burstMs, st.firstAt + 3 * burstMs - Date.now()));
    st.timer = setTimeout(() => {
      st!.timer = null;
      st!.running = true;
      const p = turnFor(ctx, conversationId)
        .then(
          (cost) => {
            turns++;
            if (cost) {
              if (costs.length >= 10_000) costs.shift();
              costs.push(cost);
            }
          },
          (e) => ctx.log.error("agent turn failed", { conversationId, error: String(e), stack: (e as Error).stack }),
        )
        .finally(() => {
          inFlight.delete(p);
          st!.running = false;
          if (st!.again && !stopped) {
            st!.again = false;
            schedule(conversationId, burstMs);
          } else states.delete(conversationId);
        });
      inFlight.add(p);
    }, wait);
  };

  const burstOf = new Map<string, number>();
  const offMsg = ctx.events.on("inbox.message_received", async (e) => {
    const d = e.data as { ownerType?: string; agentId?: string | null; held?: boolean; message?: { body: string } };
    // an answer to a satisfaction survey (in a resolved conversation) is not for the agent
    if (d.held) return;
    if (e.conversationId && d.message?.body) void noteMood(ctx, e.conversationId, d.message.body);
    if (d.ownerType !== "bot" || !d.agentId || !e.conversationId) return;
    let burst = burstOf.get(d.agentId);
    if (burst === undefined) {
      burst = (await getAgent(ctx, d.agentId))?.burstMs ?? 2500;
      burstOf.set(d.agentId, burst);
      setTimeout(() => burstOf.delete(d.agentId!), 30_000).unref?.();
    }
    schedule(e.conversationId, burst);
  });

  // a conversation given to an agent while its customer waits for an answer (a person's hand-back, a queue's
  // overflow): the agent answers now rather than at the customer's next message
  const offGiven = ctx.events.on("inbox.conversation_updated", async (e) => {
    const ch = (e.data as { changes?: { agentId?: string; ownerType?: string } }).changes;
    if (!e.conversationId || !ch?.agentId || ch.ownerType !== "bot") return;
    const c = await ctx.db
      .select({ last: conversations.lastMessageAt, inbound: conversations.lastInboundAt })
      .from(conversations)
      .where(eq(conversations.id, e.conversationId))
      .get();
    if (c?.inbound != null && c.inbound >= c.last) schedule(e.conversationId, 0);
  });

  const runner: AgentRunner = {
    get turns() {
      return turns;
    },
    get costs() {
      return costs;
    },
    stop() {
      stopped = true;
      offMsg();
      offGiven();
      for (const st of states.values()) if (st.timer) clearTimeout(st.timer);
    },
    /** After a restart: conversations whose customer wrote last (within the hour) get their turn. */
    async resume() {
      const since = ctx.clock.now() - 3_600_000;
      const rows = await ctx.db
        .select({
          id: conversations.id,
          last: conversations.lastMessageAt,
          inbound: conversations.lastInboundAt,
          agentId: conversations.agentId,
        })
        .from(conversations)
        .where(
          and(
            eq(conversations.ownerType, "bot"),
            ne(conversations.status, "resolved"),
            gt(conversations.lastMessageAt, since),
          ),
        )
        .limit(1000);
      let n = 0;
      for (const r of rows)
        if (r.inbound !== null && r.inbound >= r.last && r.agentId) {
          schedule(r.id, 0);
          n++;
        }
      return n;
    },
    async idle() {
      while (inFlight.size || [...states.values()].some((s) => s.timer)) await Bun.sleep(10);
    },
  };
  runners.set(ctx, runner);
  return runner;
}

const moods = new WeakMap<Ctx, Map<string, string>>();
/** The customer's mood and urgency on the conversation, and a priority raised to match (written only when it changes). */
async function noteMood(ctx: Ctx, conversationId: string, body: string) {
  const m = readMood(body);
  let seen = moods.get(ctx);
  if (!seen) moods.set(ctx, (seen = new Map()));
  const key = `${m.sentiment}/${m.urgency}`;
  const prev = seen.get(conversationId) ?? "neutral/normal";
  if (key === prev) return;
  if (seen.size > 10_000) seen.clear();
  seen.set(conversationId, key);
  await ctx.database
    .write(async (tx) => {
      const c = await tx
        .select({ priority: conversations.priority })
        .from(conversations)
        .where(eq(conversations.id, conversationId))
        .get();
      if (!c) return;
      await tx
        .update(conversations)
        .set({ sentiment: m.sentiment, urgency: m.urgency, priority: priorityFor(c.priority, m) })
        .where(eq(conversations.id, conversationId));
    })
    .catch((e) => ctx.log.warn("mood not saved", { conversationId, error: String(e) }));
}

/**
 * Whether the conversation already says the AI server fails this way: its last model-failure line names the same
 * problem and the model has not answered since. A failure that repeats on every turn is shown once.
 */
async function modelProblemShown(ctx: Ctx, conversationId: string, problem: string) {
  const last = await ctx.db
    .select({ id: messages.id, body: messages.body })
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, conversationId),
        eq(messages.direction, "activity"),
        like(messages.body, '{"key":"model_down%'),
      ),
    )
    .orderBy(desc(messages.id))
    .limit(1)
    .get();
  if (!last) return false;
  const params = (JSON.parse(last.body) as { params: Record<string, string> }).params;
  if ((params.problem ?? params.error?.split(":")[0]) !== problem) return false;
  const answered = await ctx.db
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, conversationId),
        gt(messages.id, last.id),
        eq(messages.senderType, "bot"),
        sql`json_extract(${messages.content}, '$.ai.mode') = 'model'`,
      ),
    )
    .limit(1)
    .get();
  return !answered;
}

/** One live turn: what the customer wrote since the last reply, the agent's answer, the hand-off. */
async function turnFor(ctx: Ctx, conversationId: string): Promise<TurnCost | null> {
  const started = performance.now();
  const conv = await ctx.db.select().from(conversations).where(eq(conversations.id, conversationId)).get();
  if (conv?.ownerType !== "bot" || !conv.agentId) return null;
  // a flow is talking with the customer: the agent waits for it to end (they never talk over each other)
  if (flowActive(ctx, conversationId)) return null;
  const agent = await getAgent(ctx, conv.agentId);
  if (!agent?.active) return null;
  const recent = (
    await ctx.db
      .select({
        id: messages.id,
        direction: messages.direction,
        senderType: messages.senderType,
        body: messages.body,
        content: messages.content,
        attachments: messages.attachments,
      })
      .from(messages)
      .where(
        and(
          eq(messages.conversationId, conversationId),
          eq(messages.private, false),
          inArray(messages.direction, ["in", "out"]),
        ),
      )
      .orderBy(desc(messages.id))
      .limit(40)
  ).reverse();
  let cut = recent.length;
  while (cut > 0 && recent[cut - 1].direction === "in") cut--;
  const unanswered = recent.slice(cut);
  if (!unanswered.length) return null;
  const asText = (m: (typeof recent)[number]) =>
    m.body ||
    (m.content?.location
      ? `📍 ${m.content.location.name ?? ""} ${m.content.location.address ?? ""}`.trim()
      : m.attachments[0]
        ? `📎 ${m.attachments[0].name}`
        : "");
  const history: TurnMessage[] = recent
    .slice(0, cut)
    .map(
      (m): TurnMessage => ({
        role: m.direction === "in" ? "customer" : m.senderType === "bot" ? "bot" : "agent",
        text: asText(m),
      }),
    )
    .filter((m) => m.text);
  const botReplies = recent.filter((m) => m.senderType === "bot" && m.direction === "out").length;
  const res = await runTurn(ctx, {
    agent,
    conversationId,
    contactId: conv.contactId,
    history,
    customerText: unanswered.map(asText).filter(Boolean).join("\n"),
    botReplies,
    dryRun: false,
    flowGoal: await flowGoal(ctx, conversationId),
  });
  if (res.modelError) {
    const problem = res.modelError.split(":")[0];
    if (!(await modelProblemShown(ctx, conversationId, problem)))
      await recordBotActivity(ctx, conversationId, agent.id, res.handoff ? "model_down_handoff" : "model_down", {
        by: agent.name,
        problem,
        error: res.modelError,
      });
  }
  const last = unanswered.at(-1)!;
  if (res.reply) {
    await sendBotMessage(ctx, conversationId, agent.id, {
      body: res.reply,
      idempotencyKey: last.id,
      content: {
        ai: {
          agentId: agent.id,
          mode: res.mode,
          intent: res.intent,
          sources: dedupeSources(res.sources),
          tools: res.toolCalls.map((c) => ({ name: c.name, ok: c.ok })),
        },
      },
    });
  }
  if (res.backToFlow) {
    await recordBotActivity(ctx, conversationId, agent.id, "back_to_flow", { by: agent.name });
    await returnToFlow(ctx, conversationId);
  }
  if (res.handoff)
    await handOffToPeople(ctx, conversationId, agent.id, {
      departmentId: res.handoff.departmentId,
      reason: res.handoff.reason,
      agentName: agent.name,
    });
  return { totalMs: performance.now() - started, modelMs: res.timings.modelMs, embedMs: res.timings.embedMs };
}

const dedupeSources = (s: TurnResult["sources"]) => [
  ...new Map(s.map((x) => [x.sourceId, { sourceId: x.sourceId, title: x.title }])).values(),
];
