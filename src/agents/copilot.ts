// Copilot (manual 2.10): help for the people answering. Suggested replies from the knowledge base and the
// conversation, a summary when a person takes over or the conversation is resolved, and rewriting a draft
// (more formal, friendlier, shorter) or translating it. Suggestions and summaries work without a model (from
// retrieval and quick replies, or by extraction); rewriting needs one.
import { and, desc, eq, inArray } from "drizzle-orm";
import type { Actor, Ctx } from "../platform/context.ts";
import { AppError, notFound } from "../platform/errors.ts";
import { conversations, messages, quickReplies } from "../inbox/schema.ts";
import { canSee } from "../inbox/visibility.ts";
import { addSystemNote } from "../inbox/service.ts";
import { aiProvider } from "./settings.ts";
import { ProviderError } from "./providers.ts";
import { retrieve } from "./knowledge.ts";
import { classifyIntent } from "./intents.ts";
import { readMood } from "./sentiment.ts";
import { coverage, detectLanguage } from "./text.ts";
import { redactPersonalData } from "./prompt.ts";
import { getBusiness } from "../setup/service.ts";
import { t as tr, plural, type Locale } from "../../ui/i18n/index.ts";

type Line = { role: "customer" | "agent" | "bot"; text: string };

async function transcript(ctx: Ctx, conversationId: string, limit = 30): Promise<Line[]> {
  const rows = await ctx.db
    .select({ direction: messages.direction, senderType: messages.senderType, body: messages.body })
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, conversationId),
        eq(messages.private, false),
        inArray(messages.direction, ["in", "out"]),
      ),
    )
    .orderBy(desc(messages.id))
    .limit(limit);
  return rows
    .reverse()
    .filter((r) => r.body.trim())
    .map((r) => ({ role: r.direction === "in" ? "customer" : r.senderType === "bot" ? "bot" : "agent", text: r.body }));
}

async function visibleConversation(ctx: Ctx, actor: Actor, id: string) {
  const conv = await ctx.db.select().from(conversations).where(eq(conversations.id, id)).get();
  if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
  return conv;
}

/** The model's answer as JSON, or null when there is no model server or it fails (callers fall back). */
async function askJson<T>(ctx: Ctx, system: string, user: string): Promise<T | null> {
  const { provider, settings } = await aiProvider(ctx);
  const guard = settings.provider !== "ollama" && !settings.shareContactData ? redactPersonalData : (s: string) => s;
  try {
    const r = await provider.chat({
      model: settings.chatModel,
      messages: [
        { role: "system", content: system },
        { role: "user", content: guard(user) },
      ],
      json: true,
      temperature: 0.2,
    });
    return JSON.parse(r.content.replace(/^```(?:json)?\s*|\s*```$/g, "")) as T;
  } catch (e) {
    if (e instanceof ProviderError || e instanceof SyntaxError) return null;
    throw e;
  }
}

const lines = (t: Line[]) =>
  t.map((l) => `${l.role === "customer" ? "Cliente" : l.role === "bot" ? "Bot" : "Agente"}: ${l.text}`).join("\n");

/**
 * Up to three replies the agent can send as they are or edit: the model's (grounded in the passages found for
 * the customer's last messages) when there is one, else the passages, curated answers and quick replies that fit.
 */
export async function suggestReplies(ctx: Ctx, actor: Actor, conversationId: string) {
  await visibleConversation(ctx, actor, conversationId);
  const t = await transcript(ctx, conversationId);
  const lastCustomer = t
    .filter((l) => l.role === "customer")
    .slice(-3)
    .map((l) => l.text)
    .join("\n");
  if (!lastCustomer) return { suggestions: [] as { text: string; source: string | null }[], usedModel: false };
  const found = await retrieve(ctx, lastCustomer, { k: 3 });
  const lang = detectLanguage(lastCustomer);
  const passages = found.hits.map((h, i) => `[${i + 1}] (${h.sourceTitle}) ${h.answer ?? h.text}`).join("\n\n");
  const model = await askJson<{ suggestions: string[] }>(
    ctx,
    lang === "es"
      ? 'Ayudas a un agente de atención al cliente. Propón hasta 3 respuestas breves y distintas que el agente podría enviar al cliente, en español, basadas solo en los pasajes y la conversación (sin inventar precios ni fechas). Responde en JSON: {"suggestions": ["..."]}'
      : 'You help a customer-service agent. Propose up to 3 short, different replies the agent could send, in English, based only on the passages and the conversation (no invented prices or dates). Answer in JSON: {"suggestions": ["..."]}',
    `${lang === "es" ? "Pasajes" : "Passages"}:\n${passages || "-"}\n\n${lang === "es" ? "Conversación" : "Conversation"}:\n${lines(t.slice(-12))}`,
  );
  if (model?.suggestions?.length)
    return {
      suggestions: model.suggestions
        .filter((s) => typeof s === "string" && s.trim())
        .slice(0, 3)
        .map((text) => ({ text: text.trim(), source: null })),
      usedModel: true,
    };
  const out: { text: string; source: string | null }[] = [];
  if (found.faq?.answer) out.push({ text: found.faq.answer, source: found.faq.sourceTitle });
  for (const h of found.hits)
    if (out.length < 3 && !out.some((o) => o.text === (h.answer ?? h.text)))
      out.push({ text: h.answer ?? h.text, source: h.sourceTitle });
  if (out.length < 3) {
    const qr = await ctx.db.select().from(quickReplies);
    for (const q of qr
      .map((q) => ({ q, c: coverage(lastCustomer, `${q.shortcut} ${q.body}`) }))
      .filter((x) => x.c > 0)
      .sort((a, b) => b.c - a.c)) {
      if (out.length >= 3) break;
      out.push({ text: q.q.body, source: `/${q.q.shortcut}` });
    }
  }
  return { suggestions: out, usedModel: false };
}

/**
 * A short summary for the person taking over, in the team's language (the business's, unless asked for another):
 * the model's, or, without one, what the customer asked and where it stands.
 */
export async function summarize(ctx: Ctx, conversationId: string, locale?: Locale) {
  const lang: Locale =
    locale ?? (((await getBusiness(ctx))?.locale ?? ctx.config.default_locale) === "en" ? "en" : "es");
  const t = await transcript(ctx, conversationId, 60);
  if (!t.length) return { summary: "", usedModel: false };
  const model = await askJson<{ summary: string }>(
    ctx,
    lang === "en"
      ? 'Summarize this customer-service conversation in English, in 2 to 4 sentences, for the person taking it over: what the customer wants, what they were told, what is left. Do not invent anything. Answer in JSON: {"summary": "..."}'
      : 'Resume en español, en 2 a 4 frases, esta conversación de atención al cliente para la persona que la toma: qué quiere el cliente, qué se le respondió, qué falta. Sin inventar datos. Responde en JSON: {"summary": "..."}',
    lines(t),
  );
  if (model?.summary?.trim()) return { summary: model.summary.trim(), usedModel: true };
  const customer = t.filter((l) => l.role === "customer");
  const intents = [
    ...new Set(
      customer
        .map((l) => classifyIntent(l.text).intent)
        .filter((i) => i !== "none" && i !== "greeting" && i !== "thanks"),
    ),
  ];
  const moodNeg = customer.some((l) => readMood(l.text).sentiment === "negative");
  const first = customer.find((l) => l.text.split(" ").length > 3) ?? customer[0];
  const last = customer.at(-1);
  const say = (key: string, vars?: Record<string, string | number>) => tr(lang, key, vars);
  const replies = t.length - customer.length;
  const parts = [
    first ? say("summary.first", { text: clip(first.text) }) : "",
    last && last !== first ? say("summary.last", { text: clip(last.text) }) : "",
    intents.length
      ? say("summary.topics", {
          topics: intents
            .map((i) => {
              const k = `summary.topic.${i}`;
              const w = say(k);
              return w === k ? i : w;
            })
            .join(", "),
        })
      : "",
    moodNeg ? say("summary.upset") : "",
    say("summary.counts", {
      replies: plural(lang, "summary.replies", replies),
      messages: plural(lang, "summary.messages", customer.length),
    }),
  ];
  return { summary: parts.filter(Boolean).join(" "), usedModel: false };
}
const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s).replace(/\s+/g, " ");

export const REWRITE_STYLES = ["formal", "friendly", "shorter", "translate"] as const;
/** A draft rewritten (or translated to `language`); needs the model server, and says so plainly when it is not there. */
export async function rewrite(
  ctx: Ctx,
  text: string,
  style: (typeof REWRITE_STYLES)[number],
  language: "es" | "en" = "en",
) {
  const ask = {
    formal: "Reescribe el mensaje en un tono más formal y respetuoso (trato de usted), en su mismo idioma.",
    friendly: "Reescribe el mensaje en un tono más cálido y cercano, en su mismo idioma.",
    shorter: "Reescribe el mensaje más breve, sin perder información, en su mismo idioma.",
    translate: `Traduce el mensaje al ${language === "en" ? "inglés" : "español"}.`,
  }[style];
  const r = await askJson<{ text: string }>(
    ctx,
    `${ask} No añadas datos nuevos. Responde en JSON: {"text": "..."}`,
    text,
  );
  if (!r?.text?.trim())
    throw new AppError(503, "ai_unavailable", "The AI model server is not available: rewriting needs it");
  return { text: r.text.trim() };
}

/** Writes the summary as a private note when a person takes over from an agent or a conversation is resolved. */
export function wireCopilot(ctx: Ctx) {
  return ctx.events.on("inbox.conversation_updated", async (e) => {
    const d = e.data as { handoff?: unknown; changes?: { status?: string } };
    if (!e.conversationId || !(d.handoff || d.changes?.status === "resolved")) return;
    // a short exchange needs no summary on resolving; a hand-off always gets one
    if (!d.handoff && (await transcript(ctx, e.conversationId, 4)).length < 3) return;
    const s = await summarize(ctx, e.conversationId);
    const lang: Locale = ((await getBusiness(ctx))?.locale ?? ctx.config.default_locale) === "en" ? "en" : "es";
    if (s.summary)
      await addSystemNote(ctx, e.conversationId, tr(lang, "summary.note", { summary: s.summary }), { type: "system" });
  });
}
