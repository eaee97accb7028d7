// Satisfaction surveys (§6.12, CSAT). A rule's "send_survey" action asks the customer, once per conversation and
// only inside the channel's reply window, to rate the attention 1–5: as a list where the channel has one, numbered
// lines where it does not. The answer (a list row, a digit, stars or a word like "excelente") comes back into the
// resolved conversation without reopening it or calling anyone (ctx.heldConversation, asked by ingest), is kept for
// the person who served it and their department, and is followed by an optional comment. Results per person and
// department, with the same visibility as conversations.
import { classifyIntent } from "../agents/intents.ts";
import { and, desc, eq, gte, inArray } from "drizzle-orm";
import type { Actor, Ctx } from "../platform/context.ts";
import type { events as eventsTable } from "../platform/schema.ts";
import { badRequest, conflict, notFound } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { contacts, conversations, messages } from "../inbox/schema.ts";
import { departments, users } from "../auth/schema.ts";
import { visibleWhere, canSee } from "../inbox/visibility.ts";
import * as inbox from "../inbox/service.ts";
import { normalize } from "../agents/text.ts";
import { csatSurveys } from "./schema.ts";

type Ev = typeof eventsTable.$inferSelect;
export type Survey = typeof csatSurveys.$inferSelect;

/** A score is taken this long after the survey was sent (WhatsApp's reply window is as long). */
export const SCORE_HOURS = 24;
/** A comment is taken this long after the score. */
export const COMMENT_MINUTES = 60;

const WORDS = {
  es: {
    question: "¿Cómo calificarías la atención que recibiste? Elige de 1 (muy mala) a 5 (excelente).",
    comment: "¡Gracias por tu calificación! Si quieres, cuéntanos en un mensaje qué podemos mejorar.",
    thanks: "¡Gracias por tu comentario! Nos ayuda a mejorar.",
    options: ["Muy mala", "Mala", "Regular", "Buena", "Excelente"],
    list: "Calificar",
  },
  en: {
    question: "How would you rate the help you got? Choose from 1 (very poor) to 5 (excellent).",
    comment: "Thanks for your rating! If you like, tell us in a message what we could do better.",
    thanks: "Thanks for your comment! It helps us improve.",
    options: ["Very poor", "Poor", "Okay", "Good", "Excellent"],
    list: "Rate",
  },
};
const wordsFor = (locale: string) => (locale === "en" ? WORDS.en : WORDS.es);

// words a customer may answer with, each to its score (normalised: no accents, lower case)
const SCORE_WORDS: Record<string, number> = {
  "muy mala": 1,
  "muy malo": 1,
  pesima: 1,
  pesimo: 1,
  "very poor": 1,
  terrible: 1,
  mala: 2,
  malo: 2,
  poor: 2,
  bad: 2,
  regular: 3,
  "mas o menos": 3,
  okay: 3,
  ok: 3,
  buena: 4,
  bueno: 4,
  good: 4,
  excelente: 5,
  excellent: 5,
  "muy buena": 5,
  "muy bueno": 5,
};

/** The score in a customer's answer, or null when it is not one (then it is a message like any other). */
export function parseScore(text: string, choiceId?: string): number | null {
  const c = choiceId ? /^csat:([1-5])$/.exec(choiceId) : null;
  if (c) return Number(c[1]);
  const t = text.trim();
  if (!t || t.length > 40) return null;
  // "4", "4.", "4/5", "5 estrellas", "3 - Regular" (the list's own title)
  const d = /^([1-5])(?:\s*(?:\/\s*5|[.)]|estrellas?|stars?|[-·:]\s*[\p{L} ]+))?\s*[!.]*$/iu.exec(t);
  if (d) return Number(d[1]);
  const stars = [...t.matchAll(/⭐|★|🌟/gu)].length;
  if (stars >= 1 && stars <= 5 && !t.replace(/⭐|★|🌟|\uFE0F|\s/gu, "")) return stars;
  const w = normalize(t)
    .replace(/[!.¡]+/g, "")
    .trim();
  return SCORE_WORDS[w] ?? null;
}

/**
 * A message after the score that is a new request, not a comment on the service: a question, or what the
 * no-model classifier reads as asking for something (hours, an address, a person, an order, a product, a new
 * greeting). It opens a conversation as usual, so a person sees it; the survey keeps waiting for a comment.
 */
export function newRequest(text: string) {
  if (/[?¿]/.test(text)) return true;
  return ["greeting", "hours", "location", "human", "order_status", "product"].includes(classifyIntent(text).intent);
}

/** A comment that says there is none. */
const NO_COMMENT = new Set([
  "no",
  "no gracias",
  "nada",
  "ninguno",
  "ninguna",
  "no tengo",
  "no thanks",
  "nothing",
  "none",
]);

// ---------------------------------------------------------------- the surveys waiting for an answer

type Hold = {
  surveyId: string;
  conversationId: string;
  status: "sent" | "rated";
  sentAt: number;
  ratedAt: number | null;
};
const holdsOf = new WeakMap<Ctx, Map<string, Hold>>();
const holdKey = (contactId: string, channelId: string) => `${contactId}:${channelId}`;

function remember(
  ctx: Ctx,
  s: Pick<Survey, "id" | "conversationId" | "contactId" | "channelId" | "status" | "sentAt" | "ratedAt">,
) {
  const m = holdsOf.get(ctx);
  if (!m) return;
  const k = holdKey(s.contactId, s.channelId);
  if (s.status === "done") {
    if (m.get(k)?.surveyId === s.id) m.delete(k);
    return;
  }
  m.set(k, {
    surveyId: s.id,
    conversationId: s.conversationId,
    status: s.status,
    sentAt: s.sentAt,
    ratedAt: s.ratedAt,
  });
}

/**
 * Loads the surveys still waiting for an answer and plugs them into ingest (ctx.heldConversation). Called once when
 * the context is built; the cache follows each survey sent and answered.
 */
export async function wireSurveys(ctx: Ctx) {
  const since = ctx.clock.now() - SCORE_HOURS * 3_600_000;
  const rows = await ctx.db
    .select()
    .from(csatSurveys)
    .where(and(inArray(csatSurveys.status, ["sent", "rated"]), gte(csatSurveys.sentAt, since)))
    .orderBy(csatSurveys.sentAt);
  holdsOf.set(ctx, new Map());
  for (const r of rows) remember(ctx, r);
  ctx.heldConversation = (contactId, channelId, said, at) => {
    const m = holdsOf.get(ctx);
    const k = holdKey(contactId, channelId);
    const h = m?.get(k);
    if (!h) return null;
    if (h.status === "sent") {
      if (at - h.sentAt > SCORE_HOURS * 3_600_000) {
        m!.delete(k);
        return null;
      }
      return parseScore(said.text, said.choiceId) !== null ? h.conversationId : null;
    }
    if (at - (h.ratedAt ?? 0) > COMMENT_MINUTES * 60_000) {
      m!.delete(k);
      return null;
    }
    // a comment is words: a file, an empty message or a new request opens a conversation as usual
    return said.text.trim() && !said.files && !newRequest(said.text) ? h.conversationId : null;
  };
}

// ---------------------------------------------------------------- sending

export type SurveyTexts = { question?: string; comment?: string; thanks?: string };

/**
 * Sends the survey in a resolved conversation (it stays resolved). Refused with a reason the run log shows: a
 * survey was already sent there, or the reply window has closed (outside_reply_window, from the inbox).
 */
export async function sendSurvey(
  ctx: Ctx,
  actor: Actor,
  conversationId: string,
  texts: SurveyTexts,
  opts: { ruleId?: string; locale: string; idempotencyKey: string },
) {
  const w = wordsFor(opts.locale);
  const conv = await ctx.db.select().from(conversations).where(eq(conversations.id, conversationId)).get();
  if (!conv) throw notFound("Conversation");
  const prior = await ctx.db
    .select({ id: csatSurveys.id })
    .from(csatSurveys)
    .where(eq(csatSurveys.conversationId, conversationId))
    .get();
  if (prior) throw conflict("survey_already_sent", "This conversation already got its survey");
  const channel = await inbox.cachedChannel(ctx, conv.channelId);
  const inter = channel ? ctx.channels.get(channel.type)?.capabilities.interactive : undefined;
  const rows = w.options.map((title, i) => ({ id: `csat:${i + 1}`, title: `${i + 1} · ${title}` }));
  const question = texts.question || w.question;
  const listed = !!inter && inter.maxListRows >= rows.length;
  const chips = channel ? ctx.channels.get(channel.type)?.capabilities.quickReplies : undefined;
  const now = ctx.clock.now();
  const survey: Survey = {
    id: newId(now),
    conversationId,
    contactId: conv.contactId,
    channelId: conv.channelId,
    userId: conv.assigneeId,
    departmentId: conv.departmentId,
    ruleId: opts.ruleId ?? null,
    status: "sent",
    score: null,
    comment: null,
    texts: { comment: texts.comment || w.comment, thanks: texts.thanks || w.thanks },
    sentAt: now,
    ratedAt: null,
    doneAt: null,
  };
  const sent = await ctx.database.write(async (tx, after) => {
    const r = await inbox.sendMessageTx(
      ctx,
      tx,
      after,
      actor,
      conversationId,
      {
        idempotencyKey: opts.idempotencyKey,
        takeOver: false,
        body: listed ? question : `${question}\n\n${rows.map((o) => o.title.replace(" · ", ". ")).join("\n")}`,
        ...(listed
          ? { content: { list: { button: w.list, sections: [{ title: "", rows }] } } }
          : chips && chips.max >= rows.length
            ? { content: { quickReplies: rows } }
            : {}),
      },
      { keepStatus: true },
    );
    // a run done again after a crash finds its message (and the survey written with it)
    if (!r.duplicate) await tx.insert(csatSurveys).values(survey).onConflictDoNothing();
    return r;
  });
  if (!sent.duplicate) remember(ctx, survey);
  return { survey, message: sent.message };
}

// ---------------------------------------------------------------- answers

/** The customer's answers among a batch of events (engine, after rules and flows): a score, then a comment. */
export async function surveyEvents(ctx: Ctx, evs: Ev[]) {
  for (const ev of evs) {
    if (ev.type !== "inbox.message_received" || !ev.conversationId) continue;
    const d = (ev.data ?? {}) as { held?: boolean; messageId?: string };
    if (!d.held || !d.messageId) continue;
    try {
      await answer(ctx, ev.conversationId, d.messageId);
    } catch (e) {
      ctx.log.error("survey answer failed", { seq: ev.seq, error: String(e) });
    }
  }
}

const SURVEY_ACTOR: Actor = { kind: "system", id: "survey", name: "DigyBot" };

/**
 * One step of a survey: its row moves on (only from `from`), the customer gets the next words and the conversation
 * its activity line, in one commit. Read again after a crash, the row has moved on and nothing is done twice (the
 * reply's outbox key would refuse a second one anyway).
 */
async function advance(
  ctx: Ctx,
  s: Survey,
  from: "sent" | "rated",
  patch: Partial<Survey> & { status: Survey["status"] },
  reply: { key: string; body: string },
  activity: { key: string; params: Record<string, string> },
) {
  await inbox.recordSystemActivity(
    ctx,
    s.conversationId,
    "survey",
    activity.key,
    activity.params,
    async (tx, after) => {
      await tx
        .update(csatSurveys)
        .set(patch)
        .where(and(eq(csatSurveys.id, s.id), eq(csatSurveys.status, from)));
      await inbox.sendMessageTx(
        ctx,
        tx,
        after,
        SURVEY_ACTOR,
        s.conversationId,
        { idempotencyKey: `csat:${s.id}:${reply.key}`, takeOver: false, body: reply.body },
        { keepStatus: true },
      );
    },
  );
  remember(ctx, { ...s, ...patch });
}

async function answer(ctx: Ctx, conversationId: string, messageId: string) {
  const s = await ctx.db.select().from(csatSurveys).where(eq(csatSurveys.conversationId, conversationId)).get();
  if (!s || s.status === "done") return;
  const m = await ctx.db
    .select({ body: messages.body, content: messages.content })
    .from(messages)
    .where(eq(messages.id, messageId))
    .get();
  if (!m) return;
  const now = ctx.clock.now();
  if (s.status === "sent") {
    const score = parseScore(m.body, (m.content as { choice?: { id?: string } } | null)?.choice?.id);
    if (score === null) return;
    return advance(
      ctx,
      s,
      "sent",
      { status: "rated", score, ratedAt: now },
      { key: "comment", body: s.texts.comment },
      { key: "csat_rated", params: { score: String(score), stars: "★".repeat(score) + "☆".repeat(5 - score) } },
    );
  }
  const said = m.body.trim().slice(0, 1000);
  const none = NO_COMMENT.has(
    normalize(said)
      .replace(/[!.,¡]+/g, "")
      .trim(),
  );
  return advance(
    ctx,
    s,
    "rated",
    { status: "done", comment: none ? null : said, doneAt: now },
    { key: "thanks", body: s.texts.thanks },
    none
      ? { key: "csat_no_comment", params: {} }
      : { key: "csat_comment", params: { comment: said.length > 200 ? `${said.slice(0, 199)}…` : said } },
  );
}

// ---------------------------------------------------------------- results

const periodSchema = (days: unknown) => {
  const n = Number(days ?? 30);
  if (!Number.isInteger(n) || n < 1 || n > 366)
    throw badRequest("invalid_period", "days is a whole number from 1 to 366", { field: "days" });
  return n;
};

type Tally = { sent: number; rated: number; total: number; satisfied: number };
const figures = (t: Tally) => ({
  sent: t.sent,
  rated: t.rated,
  /** answered / sent, in % */
  responseRate: t.sent ? Math.round((t.rated / t.sent) * 100) : null,
  /** mean score, one decimal */
  average: t.rated ? Math.round((t.total / t.rated) * 10) / 10 : null,
  /** the CSAT score: answers of 4 or 5, in % of answers */
  csat: t.rated ? Math.round((t.satisfied / t.rated) * 100) : null,
});

/**
 * Results over the last `days` days (by when the survey was sent): totals, per person, per department, and the
 * latest answers with their comments. An agent sees the surveys of the conversations they can see.
 */
export async function surveyResults(ctx: Ctx, actor: Actor, q: { days?: unknown } = {}) {
  const days = periodSchema(q.days);
  const since = ctx.clock.now() - days * 86_400_000;
  const rows = await ctx.db
    .select({
      id: csatSurveys.id,
      conversationId: csatSurveys.conversationId,
      userId: csatSurveys.userId,
      departmentId: csatSurveys.departmentId,
      score: csatSurveys.score,
      comment: csatSurveys.comment,
      sentAt: csatSurveys.sentAt,
      ratedAt: csatSurveys.ratedAt,
      contactName: contacts.name,
      userName: users.name,
      departmentName: departments.name,
    })
    .from(csatSurveys)
    .innerJoin(conversations, eq(conversations.id, csatSurveys.conversationId))
    .innerJoin(contacts, eq(contacts.id, csatSurveys.contactId))
    .leftJoin(users, eq(users.id, csatSurveys.userId))
    .leftJoin(departments, eq(departments.id, csatSurveys.departmentId))
    .where(and(gte(csatSurveys.sentAt, since), visibleWhere(actor)))
    .orderBy(desc(csatSurveys.sentAt));
  const blank = (): Tally => ({ sent: 0, rated: 0, total: 0, satisfied: 0 });
  const all = blank();
  const byUser = new Map<string | null, Tally & { name: string | null }>();
  const byDept = new Map<string | null, Tally & { name: string | null }>();
  const group = <K>(m: Map<K, Tally & { name: string | null }>, k: K, name: string | null) => {
    let t = m.get(k);
    if (!t) m.set(k, (t = { ...blank(), name }));
    return t;
  };
  for (const r of rows)
    for (const t of [all, group(byUser, r.userId, r.userName), group(byDept, r.departmentId, r.departmentName)]) {
      t.sent++;
      if (r.score !== null) {
        t.rated++;
        t.total += r.score;
        if (r.score >= 4) t.satisfied++;
      }
    }
  const order = (a: { rated: number; average: number | null }, b: { rated: number; average: number | null }) =>
    (b.average ?? -1) - (a.average ?? -1) || b.rated - a.rated;
  return {
    days,
    ...figures(all),
    distribution: [1, 2, 3, 4, 5].map((score) => ({ score, count: rows.filter((r) => r.score === score).length })),
    byUser: [...byUser.entries()]
      .map(([id, t]) => ({ userId: id, name: id ? (t.name ?? "") : null, ...figures(t) }))
      .sort(order),
    byDepartment: [...byDept.entries()]
      .map(([id, t]) => ({ departmentId: id, name: id ? (t.name ?? "") : null, ...figures(t) }))
      .sort(order),
    answers: rows
      .filter((r) => r.score !== null)
      .slice(0, 50)
      .map((r) => ({
        conversationId: r.conversationId,
        contactName: r.contactName,
        score: r.score!,
        comment: r.comment,
        userName: r.userName,
        departmentName: r.departmentName,
        ratedAt: r.ratedAt!,
      })),
  };
}

/** A conversation's survey, for whoever can see the conversation (null when none was sent). */
export async function surveyOf(ctx: Ctx, actor: Actor, conversationId: string) {
  const conv = await ctx.db
    .select({ assigneeId: conversations.assigneeId, departmentId: conversations.departmentId })
    .from(conversations)
    .where(eq(conversations.id, conversationId))
    .get();
  if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
  const s = await ctx.db.select().from(csatSurveys).where(eq(csatSurveys.conversationId, conversationId)).get();
  if (!s) return null;
  return { status: s.status, score: s.score, comment: s.comment, sentAt: s.sentAt, ratedAt: s.ratedAt };
}
