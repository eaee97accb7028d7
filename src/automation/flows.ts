// BotBuilder flows (§6.14): the owner's flows (a draft and published versions), the interpreter that walks a
// version's graph for one conversation, and the emulator that walks it with no conversation at all.
//
// A conversation enters a flow by a keyword, a rule (start_flow), an AI agent or the API, and stays on the version
// it started with. The engine hands each customer message to the conversation's session (engine.ts reads them from
// the events table, so a crash resumes from its cursor); a session never takes one event twice (lastSeq) and each
// message it sends carries the outbox key session + counter, so a replay sends nothing twice. While a session is
// active the AI agent keeps quiet; a person answering or taking the conversation ends it.
import { libraryItems } from "../library/schema.ts";
import { z } from "zod";
import { and, asc, desc, eq, inArray, max, sql } from "drizzle-orm";
import { assertAdmin, type Actor, type Ctx, type InlineInbound } from "../platform/context.ts";
import { placeholdersOf, preparedFor, type AfterCommit, type Tx } from "../platform/db.ts";
import { AppError, badRequest, notFound } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { guardedFetch } from "../platform/net-guard.ts";
import { patchOf } from "../platform/validation.ts";
import type { events as eventsTable } from "../platform/schema.ts";
import { channels, conversations, tags } from "../inbox/schema.ts";
import { departments, users } from "../auth/schema.ts";
import { agents } from "../agents/schema.ts";
import { canSee } from "../inbox/visibility.ts";
import { normalizePhone, updateContact } from "../inbox/contacts.ts";
import * as inbox from "../inbox/service.ts";
import { createTicket } from "../tickets/service.ts";
import { addToCart, checkout, formatMoney, getCart, lineText, searchProducts } from "../commerce/service.ts";
import { products } from "../commerce/schema.ts";
import { imageUrl } from "../commerce/images.ts";
import { translator } from "../../ui/i18n/index.ts";
import { BOOKING_REFUSALS, availableSlots, book } from "../calendar/service.ts";
import { getBusiness } from "../setup/service.ts";
import { normalize } from "../agents/text.ts";
import { automationTimers, flowSessions, flowVersions, flows } from "./schema.ts";
import { checkGraph, flowInput, type FlowGraph, type FlowNode } from "./flow-model.ts";
import { factsFor, inGroups, onceARound, render } from "./engine.ts";
import { requestAssignment } from "../inbox/assignment.ts";

export type Flow = typeof flows.$inferSelect;
export type Session = typeof flowSessions.$inferSelect;
type Timer = typeof automationTimers.$inferSelect;
type Ev = typeof eventsTable.$inferSelect;

export const flowPatch = patchOf(flowInput);

// ---------------------------------------------------------------- the owner's flows

/** Every id a graph names exists (tags, agents, departments, people, other flows): checked on save. */
async function checkRefs(ctx: Ctx, g: FlowGraph, channelIds: string[], template?: { header?: string } | null) {
  const want: [string, { id: unknown } & object, string, string][] = [];
  g.nodes.forEach((n, i) => {
    const f = `graph.nodes.${i}`;
    if (n.type === "set" && n.tagId) want.push(["tag", tags, n.tagId, `${f}.tagId`]);
    if (n.type === "agent") want.push(["agent", agents, n.agentId, `${f}.agentId`]);
    if (n.type === "handoff" && n.departmentId)
      want.push(["department", departments, n.departmentId, `${f}.departmentId`]);
    if (n.type === "handoff" && n.userId) want.push(["user", users, n.userId, `${f}.userId`]);
    if (n.type === "goto") want.push(["flow", flows, n.flowId, `${f}.flowId`]);
    if (n.type === "message") n.media?.forEach((id) => want.push(["library_item", libraryItems, id, `${f}.media`]));
  });
  channelIds.forEach((id) => want.push(["channel", channels, id, "channelIds"]));
  if (template?.header) want.push(["library_item", libraryItems, template.header, "template.header"]);
  for (const [kind, table, id, field] of want) {
    const t = table as typeof tags;
    const r = await ctx.db.select({ id: t.id }).from(t).where(eq(t.id, id)).get();
    if (!r) throw badRequest(`unknown_${kind}`, `The ${kind} does not exist`, { field, value: id });
  }
}

export async function createFlow(ctx: Ctx, actor: Actor, input: unknown) {
  assertAdmin(actor);
  const f = flowInput.parse(input);
  await checkRefs(ctx, f.graph, f.channelIds, f.template);
  const now = ctx.clock.now();
  const row: Flow = {
    id: newId(now),
    name: f.name,
    keywords: f.keywords,
    channelIds: f.channelIds,
    draft: f.graph,
    template: f.template ?? null,
    publishedVersion: null,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.database.write((tx) => tx.insert(flows).values(row));
  flowsChanged(ctx);
  return row;
}

export async function getFlow(ctx: Ctx, actor: Actor, id: string) {
  assertAdmin(actor);
  const f = await ctx.db.select().from(flows).where(eq(flows.id, id)).get();
  if (!f) throw notFound("Flow");
  return f;
}

export async function listFlows(ctx: Ctx, actor: Actor) {
  assertAdmin(actor);
  const rows = await ctx.db.select().from(flows).orderBy(asc(flows.name));
  const active = await ctx.db
    .select({ flowId: flowSessions.flowId, n: sql<number>`count(*)` })
    .from(flowSessions)
    .where(inArray(flowSessions.status, ["active", "agent"]))
    .groupBy(flowSessions.flowId);
  return rows.map((f) => ({ ...f, active: Number(active.find((a) => a.flowId === f.id)?.n ?? 0) }));
}

export async function updateFlow(ctx: Ctx, actor: Actor, id: string, patch: unknown) {
  const cur = await getFlow(ctx, actor, id);
  const p = flowPatch.parse(patch);
  const next = flowInput.parse({
    name: p.name ?? cur.name,
    keywords: p.keywords ?? cur.keywords,
    channelIds: p.channelIds ?? cur.channelIds,
    graph: p.graph ?? cur.draft,
    ...((p.template ?? cur.template) ? { template: p.template ?? cur.template } : {}),
  });
  await checkRefs(ctx, next.graph, next.channelIds, next.template);
  const now = ctx.clock.now();
  await ctx.database.write((tx) =>
    tx
      .update(flows)
      .set({
        name: next.name,
        keywords: next.keywords,
        channelIds: next.channelIds,
        draft: next.graph,
        template: next.template ?? null,
        updatedAt: now,
      })
      .where(eq(flows.id, id)),
  );
  flowsChanged(ctx);
  return { ...cur, ...next, draft: next.graph, template: next.template ?? null, updatedAt: now };
}

/**
 * Publishes the draft as the next version, after checking the whole graph: a dangling edge, a node nothing
 * reaches, a variable used before it is surely set are refused here (with each problem), never met at run time.
 */
export async function publishFlow(ctx: Ctx, actor: Actor, id: string) {
  const f = await getFlow(ctx, actor, id);
  const problems = checkGraph(f.draft);
  if (problems.length)
    throw badRequest("flow_invalid", "The flow cannot be published as it is", {
      field: problems[0].node ? `graph.nodes.${f.draft.nodes.findIndex((n) => n.id === problems[0].node)}` : "graph",
      problems,
    });
  await checkRefs(ctx, f.draft, f.channelIds, f.template);
  const now = ctx.clock.now();
  const version = await ctx.database.write(async (tx) => {
    const last = await tx
      .select({ v: max(flowVersions.version) })
      .from(flowVersions)
      .where(eq(flowVersions.flowId, id))
      .get();
    const v = (last?.v ?? 0) + 1;
    await tx.insert(flowVersions).values({
      id: newId(now),
      flowId: id,
      version: v,
      graph: f.draft,
      publishedAt: now,
      publishedBy: actor.kind === "user" ? actor.id : null,
    });
    await tx.update(flows).set({ publishedVersion: v, updatedAt: now }).where(eq(flows.id, id));
    return v;
  });
  flowsChanged(ctx);
  return { version, publishedAt: now };
}

/** Unpublishes: no new conversation starts it; those inside it finish on their version. */
export async function unpublishFlow(ctx: Ctx, actor: Actor, id: string) {
  await getFlow(ctx, actor, id);
  await ctx.database.write((tx) =>
    tx.update(flows).set({ publishedVersion: null, updatedAt: ctx.clock.now() }).where(eq(flows.id, id)),
  );
  flowsChanged(ctx);
}

export async function deleteFlow(ctx: Ctx, actor: Actor, id: string) {
  await getFlow(ctx, actor, id);
  const now = ctx.clock.now();
  await ctx.database.write(async (tx) => {
    await tx
      .update(flowSessions)
      .set({ status: "ended", reason: "flow_deleted", nodeId: null, updatedAt: now })
      .where(and(eq(flowSessions.flowId, id), inArray(flowSessions.status, ["active", "agent"])));
    await tx
      .update(automationTimers)
      .set({ status: "cancelled" })
      .where(
        and(eq(automationTimers.kind, "flow"), eq(automationTimers.ruleId, id), eq(automationTimers.status, "pending")),
      );
    await tx.delete(flowVersions).where(eq(flowVersions.flowId, id));
    await tx.delete(flows).where(eq(flows.id, id));
  });
  flowsChanged(ctx);
}

/** The flow as JSON to keep or to move to another DigyBot (import it with createFlow). */
export async function exportFlow(ctx: Ctx, actor: Actor, id: string) {
  const f = await getFlow(ctx, actor, id);
  return {
    name: f.name,
    keywords: f.keywords,
    channelIds: [],
    graph: f.draft,
    ...(f.template ? { template: f.template } : {}),
  };
}

export async function listVersions(ctx: Ctx, actor: Actor, id: string) {
  await getFlow(ctx, actor, id);
  return ctx.db
    .select({
      version: flowVersions.version,
      publishedAt: flowVersions.publishedAt,
      publishedBy: flowVersions.publishedBy,
    })
    .from(flowVersions)
    .where(eq(flowVersions.flowId, id))
    .orderBy(desc(flowVersions.version));
}

// the published flows with keywords, read once until a flow changes (every customer message is matched against them)
type Starter = { flow: Flow; words: string[]; patterns: RegExp[] };
const starters = new WeakMap<Ctx, Promise<Starter[]>>();
function flowsChanged(ctx: Ctx) {
  starters.delete(ctx);
  published.delete(ctx);
}
function startersOf(ctx: Ctx) {
  let p = starters.get(ctx);
  if (!p) {
    p = ctx.db
      .select()
      .from(flows)
      .then((rows) =>
        rows
          .filter((f) => f.publishedVersion !== null && f.keywords.length)
          .map((flow) => {
            const words = flow.keywords.map((k) => normalize(k));
            const patterns = words.map((w) => new RegExp(`(^|\\s)${w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\s|$)`));
            return { flow, words, patterns };
          }),
      );
    starters.set(ctx, p);
  }
  return p;
}

// a flow's published version, read once until a flow changes (every keyword start asks it)
const published = new WeakMap<
  Ctx,
  Map<string, Promise<{ flow: Flow; version: typeof flowVersions.$inferSelect } | null>>
>();
function publishedGraph(ctx: Ctx, flowId: string) {
  let m = published.get(ctx);
  if (!m) published.set(ctx, (m = new Map()));
  let p = m.get(flowId);
  if (!p) {
    p = (async () => {
      const f = await ctx.db.select().from(flows).where(eq(flows.id, flowId)).get();
      if (!f || f.publishedVersion === null) return null;
      const v = await ctx.db
        .select()
        .from(flowVersions)
        .where(and(eq(flowVersions.flowId, flowId), eq(flowVersions.version, f.publishedVersion)))
        .get();
      return v ? { flow: f, version: v } : null;
    })();
    m.set(flowId, p);
  }
  return p;
}

// ---------------------------------------------------------------- the interpreter

/** What a customer's message is to a waiting node: its text and, for a button or list reply, the option's id. */
/** A customer's answer: the text, the option tapped, and a product card's quantity when it had + and −. */
export type Input = { text: string; choiceId?: string; quantity?: number };
/** What the interpreter keeps between turns. */
export type State = { nodeId: string | null; vars: Record<string, string>; tries: number; path: string[] };
/** An option as the channel shows it: a button, a list row, or a numbered line. */
export type Out = {
  text: string;
  /** `detail` and `image` make an option a product card where the channel shows them (the web chat) */
  options?: { id: string; title: string; detail?: string; image?: string }[];
  media?: string[];
};

/**
 * What a catalog or calendar step found, as an option (its title): a product (name, SKU, price for people) or a
 * free time (date, time).
 */
export type Found = {
  title: string;
  name: string;
  sku?: string;
  price?: string;
  /** a product's main picture, its thumbnail's address */
  image?: string;
  date?: string;
  time?: string;
};
/** Where a catalog step keeps what it offered until the customer chooses (not a variable a text can name). */
const offeredKey = (nodeId: string) => `__offered_${nodeId}`;

/** What a walk does to the world: the live one sends and changes the conversation, the emulator only records. */
export interface Effects {
  vars: (text: string) => Promise<string>;
  send(out: Out): Promise<void>;
  setField(target: string, value: string): Promise<void>;
  tag(tagId: string): Promise<void>;
  handoff(n: Extract<FlowNode, { type: "handoff" }>): Promise<void>;
  agent(n: Extract<FlowNode, { type: "agent" }>): Promise<void>;
  ticket(subject: string, description: string): Promise<string>;
  wait(n: Extract<FlowNode, { type: "wait" }>): Promise<void>;
  http(n: Extract<FlowNode, { type: "http" }>, url: string, body: string | undefined): Promise<unknown>;
  goto(flowId: string): Promise<FlowGraph | null>;
  /** the catalog's active products matching what is asked, at most `max` */
  catalog(query: string, max: number): Promise<Found[]>;
  /** the calendar's free times of a day (YYYY-MM-DD), at most `max` */
  slots(date: string, max: number): Promise<Found[]>;
  /** books a free time for the conversation's contact; false when it is no longer free */
  book(date: string, time: string, service: string): Promise<boolean>;
  /** a product's choices for an options step (variants that can be had, extras); null for an unknown product */
  product(sku: string): Promise<ProductChoices | null>;
  /** adds to the conversation's cart; the reason in words when refused */
  cartAdd(
    sku: string,
    quantity: number,
    choice?: { variant?: string; extras?: string[] },
  ): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** the conversation's cart in words: a line per item and the total */
  cart(): Promise<{ lines: string[]; total: string; empty: boolean }>;
  /** the cart becomes an order */
  checkout(
    payment: "cash" | "transfer" | "card" | "link",
  ): Promise<{ ok: true; number: string; total: string } | { ok: false; reason: string }>;
  /** the business's country, for phone numbers */
  country: string;
  /** the business's language, for the words a step adds itself ("Sin extras", "Listo") */
  language?: "es" | "en";
}

/** What an options step offers of a product: its variants that can be had and its extras, each by key and name. */
export type ProductChoices = { variants: { key: string; name: string }[]; extras: { key: string; name: string }[] };
/** An options step between the customer's answers: what it asks now, what it offers, what was chosen. */
type OptionsState = {
  stage: "variant" | "extras";
  p: ProductChoices;
  variant: string;
  names: string[];
  extras: string[];
};
const OPTION_WORDS = {
  es: { none: "Sin extras", done: "Listo" },
  en: { none: "No extras", done: "Done" },
} as const;
const cut24 = (s: string) => (s.length > 24 ? `${s.slice(0, 23).trimEnd()}…` : s);

const MAX_STEPS = 100;

/** {{name}} of the flow's variables; the rest (contact.*, business.*) is left for the rules' renderer. */
export function withVars(text: string, vars: Record<string, string>) {
  return text.replace(/\{\{\s*([a-z][a-z0-9_]*)\s*(?:\|([^}]*))?\}\}/g, (m, name: string, fallback?: string) =>
    name in vars ? vars[name] || (fallback ?? "").trim() : fallback !== undefined ? fallback.trim() : m,
  );
}

/** The answer to a waiting node, checked for its kind: the value to keep and the option chosen, or null. */
export function readAnswer(
  n: Extract<FlowNode, { type: "ask" | "message" }>,
  input: Input,
  country: string,
  today: string,
): { value: string; option?: number } | null {
  const text = input.text.trim();
  const options = n.options;
  if (options.length && (n.type === "message" || n.kind === "choice" || n.kind === "text")) {
    if (input.choiceId?.startsWith(`${n.id}:`)) {
      const i = Number(input.choiceId.slice(n.id.length + 1));
      if (options[i]) return { value: options[i].title, option: i };
    }
    const num = /^\s*(\d{1,2})\s*[.)]?\s*$/.exec(text);
    if (num && options[Number(num[1]) - 1])
      return { value: options[Number(num[1]) - 1].title, option: Number(num[1]) - 1 };
    const said = normalize(text);
    const i = options.findIndex((o) => normalize(o.title) === said);
    if (i >= 0) return { value: options[i].title, option: i };
    const j = options.findIndex((o) => said.includes(normalize(o.title)));
    if (j >= 0 && options.filter((o) => said.includes(normalize(o.title))).length === 1)
      return { value: options[j].title, option: j };
    if (n.type === "message" || n.kind === "choice") return null;
  }
  if (n.type === "message") return null;
  switch (n.kind) {
    case "text":
      return text ? { value: text.slice(0, 2000) } : null;
    case "number": {
      const m = /^-?\d{1,12}(?:[.,]\d{1,6})?$/.exec(text.replace(/\s/g, ""));
      return m ? { value: String(Number(m[0].replace(",", "."))) } : null;
    }
    case "email":
      return /^[^\s@]{1,64}@[^\s@]{1,190}\.[a-z]{2,24}$/i.test(text) ? { value: text.toLowerCase() } : null;
    case "phone": {
      try {
        const p = normalizePhone(text, country);
        return p ? { value: p } : null;
      } catch {
        return null; // not a possible number: asked again
      }
    }
    case "date":
      return readDate(text, today);
    default:
      return null;
  }
}
/**
 * A day as people write it, relative to `today` (YYYY-MM-DD): "hoy", "mañana", "pasado mañana", 2026-01-15, 15/01
 * or 15/01/26. Read by a date question and by a calendar step.
 */
function readDate(text: string, today: string) {
  const t = normalize(text);
  const add = (d: number) => {
    const [y, m, dd] = today.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, dd + d)).toISOString().slice(0, 10);
  };
  if (["hoy", "today"].includes(t)) return { value: today };
  if (["manana", "tomorrow"].includes(t)) return { value: add(1) };
  if (["pasado manana"].includes(t)) return { value: add(2) };
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) return validDate(+m[1], +m[2], +m[3]);
  m = /^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?$/.exec(text);
  if (m) {
    const y = m[3] ? (m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3])) : Number(today.slice(0, 4));
    return validDate(y, +m[2], +m[1]);
  }
  return null;
}

const validDate = (y: number, m: number, d: number) => {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d
    ? { value: dt.toISOString().slice(0, 10) }
    : null;
};

function test(op: string, actual: string | undefined, value: string) {
  const a = actual ?? "";
  switch (op) {
    case "exists":
      return a !== "";
    case "not_exists":
      return a === "";
    case "eq":
      return normalize(a) === normalize(value);
    case "neq":
      return normalize(a) !== normalize(value);
    case "contains":
      return normalize(a).includes(normalize(value));
    case "gt":
      return Number(a) > Number(value);
    case "lt":
      return Number(a) < Number(value);
    default:
      return false;
  }
}

/** A JSON answer's part by path: "data.items.0.name". */
function pick(json: unknown, path: string): unknown {
  let v = json;
  for (const k of path.split(".").filter(Boolean)) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** An options step's choices now: the variants, or the extras not chosen yet and a way on ("Sin extras", "Listo"). */
function optionTitles(o: OptionsState, language: "es" | "en" = "es") {
  if (o.stage === "variant") return o.p.variants.map((v) => cut24(v.name));
  const w = OPTION_WORDS[language];
  return [
    ...o.p.extras.filter((x) => !o.extras.includes(x.key)).map((x) => cut24(x.name)),
    o.extras.length ? w.done : w.none,
  ];
}

type Offer = { title: string; detail?: string; image?: string };
const optionsOf = (n: { id: string; options: Offer[] }) =>
  n.options.map((o, i) => ({
    id: `${n.id}:${i}`,
    title: o.title,
    ...(o.detail ? { detail: o.detail } : {}),
    ...(o.image ? { image: o.image } : {}),
  }));
/** What a catalog step offers: a product's name, its price and picture (a card where the channel shows one). */
const offerOf = (x: Found): Offer => ({
  title: x.title,
  ...(x.price ? { detail: x.price } : {}),
  ...(x.image ? { image: x.image } : {}),
});

/**
 * Walks the graph from the state's node. With an input, the waiting node takes it first (a valid answer moves on,
 * a wrong one asks again while tries last, then follows `fail`). Stops at the next node that waits (a question, a
 * menu, a wait) or at the end. Returns the new state and whether the flow is over.
 */
export async function walk(
  graph0: FlowGraph,
  state: State,
  input: Input | null,
  fx: Effects,
  today: string,
): Promise<{ state: State; done: boolean; reason?: string; graph: FlowGraph; away?: boolean }> {
  let graph = graph0;
  let byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const s: State = { ...state, vars: { ...state.vars }, path: [...state.path] };
  const visit = (id: string) => {
    s.path.push(id);
    if (s.path.length > 200) s.path.splice(0, s.path.length - 200);
  };
  let at: string | undefined = s.nodeId ?? graph.start;
  const say = async (text: string, n?: { id: string; options: Offer[]; media?: string[] }) =>
    fx.send({
      text: await fx.vars(withVars(text, s.vars)),
      ...(n?.options.length ? { options: optionsOf(n) } : {}),
      ...(n?.media?.length ? { media: n.media } : {}),
    });

  // the answer to the node that was waiting
  if (input && s.nodeId) {
    const c = byId.get(s.nodeId);
    if (c?.type === "options") {
      const o = JSON.parse(s.vars[offeredKey(c.id)] ?? "null") as OptionsState | null;
      if (!o) {
        at = c.next;
      } else {
        const shown = optionTitles(o, fx.language);
        const asked = {
          id: c.id,
          type: "message",
          text: c.text,
          options: shown.map((title) => ({ title })),
        } as Extract<FlowNode, { type: "message" }>;
        const a = readAnswer(asked, input, fx.country, today);
        if (!a || a.option === undefined) {
          if (s.tries > 0) {
            s.tries--;
            await say(o.stage === "variant" ? c.text : c.extrasText, asked);
            return { state: s, done: false, graph };
          }
          return { state: { ...s, nodeId: null }, done: true, reason: "no_answer", graph };
        }
        // a variant, then extras one at a time until "Listo" / "Sin extras" or none is left to add
        const left = o.p.extras.filter((x) => !o.extras.includes(x.key));
        let finished: boolean;
        if (o.stage === "variant") {
          const v = o.p.variants[a.option]!;
          o.variant = v.key;
          o.names.push(v.name);
          o.stage = "extras";
          finished = !o.p.extras.length;
        } else if (a.option < left.length) {
          o.extras.push(left[a.option]!.key);
          o.names.push(left[a.option]!.name);
          finished = left.length === 1;
        } else finished = true;
        if (!finished) {
          s.vars[offeredKey(c.id)] = JSON.stringify(o);
          s.tries = 2;
          await say(c.extrasText, { id: c.id, options: optionTitles(o, fx.language).map((title) => ({ title })) });
          return { state: s, done: false, graph };
        }
        delete s.vars[offeredKey(c.id)];
        s.vars[`${c.save}_variant`] = o.variant;
        s.vars[`${c.save}_extras`] = o.extras.join(",");
        s.vars[`${c.save}_options`] = o.names.join(" + ");
        at = c.next;
      }
      if (!at) return { state: { ...s, nodeId: null }, done: true, reason: "done", graph };
    }
    // a catalog or calendar step waits like a menu of what it found
    const menuOf = c?.type === "catalog" || c?.type === "slots" ? c : null;
    const offered: Found[] = menuOf ? JSON.parse(s.vars[offeredKey(menuOf.id)] ?? "[]") : [];
    const n = menuOf
      ? ({
          id: menuOf.id,
          type: "message",
          text: menuOf.text,
          options: offered.map(offerOf),
        } as Extract<FlowNode, { type: "message" }>)
      : c;
    if (menuOf && n?.type === "message") {
      const c = menuOf;
      const a = readAnswer(n, input, fx.country, today);
      const again = async () => {
        if (s.tries <= 0) return false;
        s.tries--;
        await say(c.text, n);
        return true;
      };
      if (!a || a.option === undefined) {
        if (await again()) return { state: s, done: false, graph };
        return { state: { ...s, nodeId: null }, done: true, reason: "no_answer", graph };
      }
      const p = offered[a.option];
      delete s.vars[offeredKey(c.id)];
      at = c.next;
      if (c.type === "catalog") {
        s.vars[c.save] = p.name;
        s.vars[`${c.save}_sku`] = p.sku ?? "";
        // a product card's + and − said how many (empty: the flow asks)
        s.vars[`${c.save}_qty`] = input.quantity ? String(input.quantity) : "";
        s.vars[`${c.save}_price`] = p.price ?? "";
      } else if (await fx.book(p.date!, p.time!, c.service)) {
        s.vars[c.save] = `${p.date} ${p.time}`;
        s.vars[`${c.save}_date`] = p.date!;
        s.vars[`${c.save}_time`] = p.time!;
      } else {
        // taken meanwhile: the day's free times are offered again, while tries last
        const fresh = await fx.slots(p.date!, c.max);
        if (fresh.length && s.tries > 0) {
          s.tries--;
          s.vars[offeredKey(c.id)] = JSON.stringify(fresh);
          await say(c.text, { id: c.id, options: fresh.map((x) => ({ title: x.title })) });
          return { state: s, done: false, graph };
        }
        at = c.empty;
        if (!at) return { state: { ...s, nodeId: null }, done: true, reason: "no_results", graph };
      }
      if (!at) return { state: { ...s, nodeId: null }, done: true, reason: "done", graph };
    } else if (n && (n.type === "ask" || n.type === "message")) {
      const a = readAnswer(n, input, fx.country, today);
      if (!a) {
        if (s.tries > 0) {
          s.tries--;
          if (n.type === "ask" && n.invalid) await say(n.invalid);
          await say(n.text, n);
          return { state: s, done: false, graph };
        }
        at = n.type === "ask" ? n.fail : undefined;
        if (!at) return { state: { ...s, nodeId: null }, done: true, reason: "no_answer", graph };
      } else {
        if (n.type === "ask" && n.save) {
          if (n.save.startsWith("var:")) s.vars[n.save.slice(4)] = a.value;
          else await fx.setField(n.save.slice(8), a.value);
        }
        // a choice remembers its answer under the node's id too (conditions can test it)
        if (a.option !== undefined) s.vars[n.id.toLowerCase().replace(/[^a-z0-9_]/g, "_")] = a.value;
        at = (a.option !== undefined ? n.options[a.option].next : undefined) ?? n.next;
        if (!at) return { state: { ...s, nodeId: null }, done: true, reason: "done", graph };
      }
    }
  } else if (s.nodeId) {
    // resumed by a timer (the wait is over) or by the AI agent giving the conversation back
    const n = byId.get(s.nodeId);
    if (n?.type === "wait" || n?.type === "agent") {
      at = n.next;
      if (!at) return { state: { ...s, nodeId: null }, done: true, reason: "done", graph };
    }
  }

  for (let steps = 0; at; steps++) {
    if (steps >= MAX_STEPS) return { state: { ...s, nodeId: null }, done: true, reason: "loop", graph };
    const n = byId.get(at);
    if (!n) return { state: { ...s, nodeId: null }, done: true, reason: "missing_node", graph };
    visit(n.id);
    switch (n.type) {
      case "message":
        await say(n.text, n);
        if (n.options.length) return { state: { ...s, nodeId: n.id, tries: 2 }, done: false, graph };
        at = n.next;
        break;
      case "ask":
        await say(n.text, n.kind === "choice" || n.options.length ? n : undefined);
        return { state: { ...s, nodeId: n.id, tries: n.retries }, done: false, graph };
      case "condition": {
        const b = n.branches.find((x) => test(x.op, s.vars[x.var], withVars(x.value, s.vars)));
        at = b ? b.next : n.else;
        break;
      }
      case "set":
        if (n.var) s.vars[n.var] = await fx.vars(withVars(n.value, s.vars));
        if (n.tagId) await fx.tag(n.tagId);
        if (n.field) {
          const value = await fx.vars(withVars(n.value, s.vars));
          if (n.field.startsWith("var:")) s.vars[n.field.slice(4)] = value;
          else await fx.setField(n.field.slice(8), value);
        }
        at = n.next;
        break;
      case "http": {
        try {
          const url = withVars(n.url, s.vars);
          const body = n.body !== undefined ? withVars(n.body, s.vars) : undefined;
          const json = await fx.http(n, await fx.vars(url), body !== undefined ? await fx.vars(body) : undefined);
          for (const m of n.map) {
            const v = pick(json, m.path);
            s.vars[m.var] = v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
          }
          at = n.next;
        } catch (e) {
          s.vars.http_error = String(e instanceof AppError ? e.code : (e as Error).message).slice(0, 200);
          at = n.error;
          if (!at) return { state: { ...s, nodeId: null }, done: true, reason: "http_failed", graph };
        }
        break;
      }
      case "options": {
        const sku = (await fx.vars(withVars(n.sku, s.vars))).trim();
        const p = sku ? await fx.product(sku) : null;
        s.vars[`${n.save}_variant`] = "";
        s.vars[`${n.save}_extras`] = "";
        s.vars[`${n.save}_options`] = "";
        // an unknown product, or one with nothing to choose, goes straight on (the cart step says if it cannot go in)
        if (!p || (!p.variants.length && !p.extras.length)) {
          at = n.next;
          break;
        }
        const o: OptionsState = {
          stage: p.variants.length ? "variant" : "extras",
          p,
          variant: "",
          names: [],
          extras: [],
        };
        s.vars[offeredKey(n.id)] = JSON.stringify(o);
        await say(o.stage === "variant" ? n.text : n.extrasText, {
          id: n.id,
          options: optionTitles(o, fx.language).map((title) => ({ title })),
        });
        return { state: { ...s, nodeId: n.id, tries: 2 }, done: false, graph };
      }
      case "cart_add": {
        const sku = (await fx.vars(withVars(n.sku, s.vars))).trim();
        const q = Number.parseInt((await fx.vars(withVars(n.quantity, s.vars))).trim(), 10);
        const variant = n.variant ? (await fx.vars(withVars(n.variant, s.vars))).trim() : "";
        const extras = n.extras
          ? (await fx.vars(withVars(n.extras, s.vars)))
              .split(",")
              .map((x) => x.trim())
              .filter(Boolean)
          : [];
        const r = await fx.cartAdd(sku, Number.isFinite(q) && q >= 1 ? Math.min(q, 999) : 1, {
          ...(variant ? { variant } : {}),
          ...(extras.length ? { extras } : {}),
        });
        if (r.ok) at = n.next;
        else {
          s.vars.cart_error = r.reason;
          at = n.error;
        }
        break;
      }
      case "cart": {
        const c = await fx.cart();
        if (c.empty) {
          at = n.empty;
          break;
        }
        s.vars.cart_total = c.total;
        await say([n.text, ...c.lines, `Total: ${c.total}`].join("\n"));
        at = n.next;
        break;
      }
      case "checkout": {
        const r = await fx.checkout(n.payment);
        if (r.ok) {
          s.vars.order_number = r.number;
          s.vars.order_total = r.total;
          at = n.next;
        } else {
          s.vars.cart_error = r.reason;
          at = n.error;
        }
        break;
      }
      case "ticket":
        s.vars.ticket = await fx.ticket(
          await fx.vars(withVars(n.subject, s.vars)),
          await fx.vars(withVars(n.description, s.vars)),
        );
        at = n.next;
        break;
      case "handoff":
        if (n.text) await say(n.text);
        await fx.handoff(n);
        return { state: { ...s, nodeId: null }, done: true, reason: "handoff", graph };
      case "catalog":
      case "slots": {
        // what was found is offered as a menu, kept until the customer chooses
        let found: Found[] = [];
        if (n.type === "catalog") found = await fx.catalog(await fx.vars(withVars(n.query, s.vars)), n.max);
        else {
          const day = readDate((await fx.vars(withVars(n.date, s.vars))).trim(), today)?.value;
          if (day) found = await fx.slots(day, n.max);
        }
        if (!found.length) {
          at = n.empty;
          if (!at) return { state: { ...s, nodeId: null }, done: true, reason: "no_results", graph };
          break;
        }
        s.vars[offeredKey(n.id)] = JSON.stringify(found);
        await say(n.text, { id: n.id, options: found.map(offerOf) });
        return { state: { ...s, nodeId: n.id, tries: 2 }, done: false, graph };
      }
      case "agent":
        await fx.agent(n);
        // with a next step, the agent gives the conversation back there once its goal is met (returnToFlow)
        if (n.next) return { state: { ...s, nodeId: n.id }, done: false, away: true, graph };
        return { state: { ...s, nodeId: null }, done: true, reason: "agent", graph };
      case "wait":
        await fx.wait(n);
        return { state: { ...s, nodeId: n.id }, done: false, graph };
      case "goto": {
        const g = await fx.goto(n.flowId);
        if (!g) return { state: { ...s, nodeId: null }, done: true, reason: "goto_unpublished", graph };
        graph = g;
        byId = new Map(graph.nodes.map((x) => [x.id, x]));
        at = graph.start;
        break;
      }
      case "end":
        return { state: { ...s, nodeId: null }, done: true, reason: "done", graph };
    }
  }
  return { state: { ...s, nodeId: null }, done: true, reason: "done", graph };
}

// ---------------------------------------------------------------- live: a conversation in a flow

const businessOnce = (ctx: Ctx) => onceARound(ctx, "business", () => getBusiness(ctx));
/** The business's date (YYYY-MM-DD) at `at`, one formatter per time zone (made once, used by every turn). */
const dayFormats = new Map<string, Intl.DateTimeFormat>();
function localToday(tz: string, at: number) {
  let fmt = dayFormats.get(tz);
  if (!fmt)
    dayFormats.set(
      tz,
      (fmt = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })),
    );
  return fmt.format(new Date(at));
}

type Conv = typeof conversations.$inferSelect;

/** A reply the walk decided on, written with the session's state in one transaction when the turn ends. */
/** Why a message's library file may be refused while its text can still go. */
const MEDIA_REFUSALS = new Set(["unknown_library_item", "media_type_not_supported", "media_too_large"]);
type Pending = { key: string; body: string; content?: Record<string, unknown>; library?: string[] };

/**
 * The live effects for one conversation: messages (kept in `pending` and written through the outbox once each,
 * with the session's state, when the turn ends), and real changes to the conversation and the contact.
 */
function liveEffects(
  ctx: Ctx,
  conv: Conv,
  channelType: string,
  session: Session,
  flow: Flow,
  country: string,
  locale: string,
  pending: Pending[],
): Effects {
  const actor = flowActor(flow, locale);
  let facts: Awaited<ReturnType<typeof factsFor>> | null = null;
  return {
    country,
    language: locale === "en" ? "en" : "es",
    async vars(text) {
      if (!text.includes("{{")) return text;
      facts ??= await factsFor(ctx, {
        key: `flow:${session.id}`,
        event: "flow.step",
        conversationId: conv.id,
        contactId: conv.contactId,
        depth: 0,
      });
      return render(text, facts);
    },
    async send(out) {
      const key = `flow:${session.id}:${session.sent++}`;
      const inter = ctx.channels.get(channelType)?.capabilities.interactive;
      const opts = out.options ?? [];
      let body = out.text;
      let content: Record<string, unknown> | undefined;
      if (opts.length && inter && opts.length <= inter.maxButtons && opts.every((o) => o.title.length <= 20))
        content = { buttons: opts.map((o) => ({ id: o.id, title: o.title })) };
      else if (opts.length && inter && opts.length <= inter.maxListRows)
        content = {
          list: {
            button: locale === "en" ? "Options" : "Opciones",
            sections: [
              {
                title: "",
                rows: opts.map((o) => ({ id: o.id, title: o.title, ...(o.detail ? { description: o.detail } : {}) })),
              },
            ],
          },
        };
      else if (opts.length) {
        // numbered where the channel has no buttons: the customer answers "2" (the web chat also shows them as chips)
        body = `${out.text}\n\n${opts.map((o, i) => `${i + 1}. ${o.title}`).join("\n")}`;
        const chips = ctx.channels.get(channelType)?.capabilities.quickReplies;
        // a catalog's products go as cards there: the picture, the price, + and − for how many
        if (chips && opts.length <= chips.max)
          content = {
            quickReplies: opts.map((o) => ({
              id: o.id,
              title: o.title,
              ...(o.detail ? { detail: o.detail } : {}),
              ...(o.image ? { image: o.image } : {}),
              ...(o.detail || o.image ? { quantity: true } : {}),
            })),
          };
      }
      pending.push({
        key,
        body,
        ...(content ? { content } : {}),
        ...(out.media?.length ? { library: out.media } : {}),
      });
    },
    async setField(target, value) {
      const field = target.startsWith("attributes.")
        ? { attributes: { [target.slice(11)]: value || null } }
        : { [target]: value };
      await updateContact(ctx, actor, conv.contactId, field);
    },
    tag: (tagId) => inbox.tagConversation(ctx, actor, conv.id, tagId, true).then(() => undefined),
    async handoff(n) {
      await inbox.updateConversation(ctx, actor, conv.id, {
        ownerType: "queue",
        ...(n.departmentId ? { departmentId: n.departmentId } : {}),
        ...(n.userId ? { assigneeId: n.userId } : {}),
      });
    },
    async agent(n) {
      await inbox.updateConversation(ctx, actor, conv.id, { agentId: n.agentId });
      if (n.goal)
        await inbox.sendMessage(ctx, actor, conv.id, {
          body: `${locale === "en" ? "Goal for the agent" : "Objetivo para el agente"}: ${n.goal}`,
          private: true,
          takeOver: false,
        });
    },
    async ticket(subject, description) {
      const t = await createTicket(ctx, actor, { subject, description, priority: "medium", conversationId: conv.id });
      return `#${t.number}`;
    },
    async wait(n) {
      const now = ctx.clock.now();
      await ctx.database.write((tx) =>
        tx
          .insert(automationTimers)
          .values({
            id: newId(now),
            key: `flow:${session.id}:${n.id}:${session.sent}`,
            ruleId: flow.id,
            kind: "flow",
            dueAt: now + n.minutes * 60_000,
            conversationId: conv.id,
            contactId: conv.contactId,
            payload: { sessionId: session.id, nodeId: n.id },
            createdAt: now,
          })
          .onConflictDoNothing(),
      );
    },
    http: (n, url, body) => callHttp(ctx, n, url, body),
    async goto(flowId) {
      const p = await publishedGraph(ctx, flowId);
      return p?.version.graph ?? null;
    },
    catalog: (query, max) => catalogFor(ctx, query, max, locale),
    slots: (date, max) => slotsFor(ctx, date, max),
    async book(date, time, service) {
      try {
        await book(ctx, actor, { date, time, service, contactId: conv.contactId, conversationId: conv.id });
        return true;
      } catch (e) {
        if (e instanceof AppError && BOOKING_REFUSALS.has(e.code)) return false;
        throw e;
      }
    },
    ...cartEffects(ctx, conv.id, locale),
  };
}

/** The cart steps on a live conversation: its cart, its order (refusals in the customer's words). */
function cartEffects(ctx: Ctx, conversationId: string, locale: string) {
  const system = { kind: "system" as const, name: "DigyBot" };
  const lang = locale === "en" ? "en" : "es";
  const words = (e: unknown) => {
    if (!(e instanceof AppError) && !(e instanceof z.ZodError)) throw e;
    return translator(lang)(e instanceof AppError ? (`errors.${e.code}` as never) : "errors.validation_failed");
  };
  return {
    product: (sku: string) => productChoices(ctx, sku),
    async cartAdd(sku: string, quantity: number, choice: { variant?: string; extras?: string[] } = {}) {
      try {
        await addToCart(ctx, system, conversationId, {
          sku,
          quantity,
          ...(choice.variant ? { variant: choice.variant } : {}),
          ...(choice.extras?.length ? { modifiers: choice.extras } : {}),
        });
        return { ok: true as const };
      } catch (e) {
        return { ok: false as const, reason: words(e) };
      }
    },
    async cart() {
      const c = await getCart(ctx, system, conversationId);
      const money = (m: number) => formatMoney(m, c.currency, lang);
      return {
        lines: [...c.lines.map((l) => lineText(l, money)), ...c.discounts.map((d) => `${d.name}: −${money(d.amount)}`)],
        total: money(c.total),
        empty: !c.lines.length,
      };
    },
    async checkout(payment: "cash" | "transfer" | "card" | "link") {
      try {
        const o = await checkout(ctx, system, conversationId, { paymentMethod: payment });
        return { ok: true as const, number: o.number, total: formatMoney(o.total, o.currency, lang) };
      } catch (e) {
        return { ok: false as const, reason: words(e) };
      }
    },
  };
}

/** An active product's choices for an options step: the variants not sold out, and its extras. */
async function productChoices(ctx: Ctx, sku: string): Promise<ProductChoices | null> {
  const p = await ctx.db
    .select({ variants: products.variants, modifiers: products.modifiers })
    .from(products)
    .where(and(eq(products.sku, sku), eq(products.active, true)))
    .get();
  if (!p) return null;
  return {
    variants: p.variants
      .filter((v) => v.stock === null || v.stock === undefined || v.stock > 0)
      .map((v) => ({ key: v.key, name: v.name })),
    extras: p.modifiers.map((m) => ({ key: m.key, name: m.name })),
  };
}

/** A day's free times for a calendar step (none for a day that is not a date). */
async function slotsFor(ctx: Ctx, date: string, max: number): Promise<Found[]> {
  const r = await availableSlots(ctx, date).catch((e) => {
    if (e instanceof AppError || e instanceof z.ZodError) return { slots: [] as string[] };
    throw e;
  });
  return r.slots.slice(0, max).map((time) => ({ title: time, name: time, date, time }));
}

/** The catalog's active products for a catalog step, each with its price written for people. */
async function catalogFor(ctx: Ctx, query: string, max: number, locale: string): Promise<Found[]> {
  const cut = (s: string) => (s.length > 24 ? `${s.slice(0, 23).trimEnd()}…` : s);
  return (await searchProducts(ctx, query, max)).map((p) => ({
    name: p.name,
    sku: p.sku,
    price: formatMoney(p.price, p.currency, locale === "en" ? "en" : "es"),
    title: cut(p.name),
    ...(p.images[0] ? { image: imageUrl(p.images[0].thumbId) } : {}),
  }));
}

async function callHttp(ctx: Ctx, n: Extract<FlowNode, { type: "http" }>, url: string, body: string | undefined) {
  const r = await guardedFetch(url, {
    method: n.method,
    allowHosts: ctx.config.fetch_allow_hosts,
    headers: {
      accept: "application/json",
      "user-agent": "DigyBot-Flow/1",
      ...(body !== undefined && n.method === "POST" ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined && n.method === "POST" ? { body } : {}),
    maxBytes: 1_000_000,
    timeoutMs: n.timeoutMs,
  });
  if (!r.ok) throw new AppError(502, "http_status", `The service answered ${r.status}`);
  const t = r.text();
  try {
    return t ? JSON.parse(t) : null;
  } catch {
    return t;
  }
}

/** The conversation's active session, if any (a prepared read: every message asks it). */
const activeSessionId = (ctx: Ctx, conversationId: string) =>
  (
    ctx.database
      .readPrepared("SELECT id FROM flow_sessions WHERE conversation_id = ? AND status = 'active'")
      .get([conversationId]) as { id: string } | undefined
  )?.id ?? null;

/** Whether the conversation is in a flow: talking there, or lent to an AI agent that gives it back. */
const inFlow = (ctx: Ctx, conversationId: string) =>
  !!ctx.database
    .readPrepared(
      "SELECT 1 AS x FROM flow_sessions WHERE conversation_id = ? AND status IN ('active', 'agent') LIMIT 1",
    )
    .get([conversationId]);

/** Whether an AI agent must keep quiet on this conversation (a flow is talking there). */
export const flowActive = (ctx: Ctx, conversationId: string) => !!activeSessionId(ctx, conversationId);

const flowActor = (flow: Flow, locale: string): Actor => ({
  kind: "system",
  id: `flow:${flow.id}`,
  name: `${locale === "en" ? "Flow" : "Flujo"} «${flow.name}»`,
});

// the hot reads of a customer's message, prepared once on the reader connection
const HOT = {
  conversation:
    "SELECT id, contact_id AS contactId, channel_id AS channelId, owner_type AS ownerType, status FROM conversations WHERE id = ?",
  channelType: "SELECT type FROM channels WHERE id = ?",
  message: "SELECT body, content FROM messages WHERE id = ?",
  session: "SELECT * FROM flow_sessions WHERE id = ?",
};
type HotConv = Pick<Conv, "id" | "contactId" | "channelId" | "ownerType" | "status">;
const hot = <T>(ctx: Ctx, q: keyof typeof HOT, ...args: unknown[]) =>
  ctx.database.readPrepared(HOT[q]).get(args) as T | undefined;
const sessionRow = (r: Record<string, unknown> | undefined): Session | undefined =>
  r && {
    id: r.id as string,
    conversationId: r.conversation_id as string,
    flowId: r.flow_id as string,
    versionId: r.version_id as string,
    status: r.status as Session["status"],
    nodeId: (r.node_id as string | null) ?? null,
    vars: JSON.parse(String(r.vars ?? "{}")),
    tries: Number(r.tries),
    sent: Number(r.sent),
    lastSeq: Number(r.last_seq),
    path: JSON.parse(String(r.path ?? "[]")),
    reason: (r.reason as string | null) ?? null,
    startedAt: Number(r.started_at),
    updatedAt: Number(r.updated_at),
  };

// a published version never changes: each is read once
const versionsOf = new WeakMap<Ctx, Map<string, Promise<{ flow: Flow; graph: FlowGraph } | null>>>();
function versionGraph(ctx: Ctx, flowId: string, versionId: string) {
  let m = versionsOf.get(ctx);
  if (!m) versionsOf.set(ctx, (m = new Map()));
  let p = m.get(versionId);
  if (!p) {
    p = (async () => {
      const v = await ctx.db.select().from(flowVersions).where(eq(flowVersions.id, versionId)).get();
      const f = await ctx.db.select().from(flows).where(eq(flows.id, flowId)).get();
      return v && f ? { flow: f, graph: v.graph } : null;
    })();
    if (m.size > 500) m.clear();
    m.set(versionId, p);
  }
  return p;
}

/**
 * A new session of a flow's version on a conversation. One started by an event takes its id from that event, so
 * starting again on the same event (a replay after a crash, or the engine after ingest's inline reply) is the same
 * session and sends nothing twice.
 */
function newSession(conversationId: string, flowId: string, versionId: string, seq: number, now: number): Session {
  return {
    id: seq ? `e${seq}-${conversationId}` : newId(now),
    conversationId,
    flowId,
    versionId,
    status: "active",
    nodeId: null,
    vars: {},
    tries: 0,
    sent: 0,
    lastSeq: seq,
    path: [],
    reason: null,
    startedAt: now,
    updatedAt: now,
  };
}

/** A session as a walk left it (its `sent` counter was moved on by the walk's messages). */
function afterWalk(session: Session, r: Awaited<ReturnType<typeof walk>>, seq: number, now: number): Session {
  return {
    ...session,
    nodeId: r.state.nodeId,
    vars: r.state.vars,
    tries: r.state.tries,
    path: r.state.path,
    lastSeq: Math.max(seq, session.lastSeq),
    status: r.done ? "done" : r.away ? "agent" : "active",
    reason: r.done ? (r.reason ?? "done") : null,
    updatedAt: now,
  };
}

/**
 * One turn of a conversation's session: the walk, then its replies and the session's new state written in one
 * transaction (a new session is inserted there too). Its replies' outbox keys are session + counter, and a
 * session started by an event has an id made from that event: a turn done again after a crash sends nothing twice.
 */
async function turn(
  ctx: Ctx,
  session: Session,
  flow: Flow,
  graph: FlowGraph,
  input: Input | null,
  seq: number,
  isNew = false,
) {
  const conv = hot<HotConv>(ctx, "conversation", session.conversationId);
  if (!conv) return session;
  const channelType = hot<{ type: string }>(ctx, "channelType", conv.channelId)?.type ?? "";
  const b = await businessOnce(ctx);
  const pending: Pending[] = [];
  const locale = b?.locale ?? "es";
  const fx = liveEffects(ctx, conv as Conv, channelType, session, flow, b?.country ?? "MX", locale, pending);
  const today = localToday(b?.timezone ?? "UTC", ctx.clock.now());
  let r: Awaited<ReturnType<typeof walk>>;
  try {
    r = await walk(
      graph,
      { nodeId: session.nodeId, vars: session.vars, tries: session.tries, path: session.path },
      input,
      fx,
      today,
    );
  } catch (e) {
    ctx.log.warn("flow step failed", { sessionId: session.id, error: String(e) });
    r = {
      state: { nodeId: null, vars: session.vars, tries: 0, path: session.path },
      done: true,
      reason: e instanceof AppError ? e.code : "failed",
      graph,
    };
  }
  const actor = flowActor(flow, locale);
  const now = ctx.clock.now();
  const next = afterWalk(session, r, seq, now);
  await ctx.database.write((tx, after) =>
    writeTurn(ctx, tx, after, actor, conv.id, flow, r.state.vars, pending, next, isNew),
  );
  // a flow that ended leaves its conversation to the queue: the departments that assign by themselves take it now
  if (next.status === "done") requestAssignment(ctx, null);
  return next;
}

/** A session's insert, and the active session of a conversation read inside ingest's transaction (one written in
 * this batch counts). */
const sessionStatements = preparedFor((tx) => ({
  insertSession: tx.insert(flowSessions).values(placeholdersOf(flowSessions)).onConflictDoNothing().prepare(),
  active: tx
    .select({ id: flowSessions.id })
    .from(flowSessions)
    .where(
      and(eq(flowSessions.conversationId, sql.placeholder("id")), inArray(flowSessions.status, ["active", "agent"])),
    )
    .limit(1)
    .prepare(),
}));

/**
 * A turn's replies and the session's new state, written in `tx`. A new session ends the one the conversation was
 * in, unless the caller knows there is none (`endOthers` false).
 */
async function writeTurn(
  ctx: Ctx,
  tx: Tx,
  after: AfterCommit,
  actor: Actor,
  conversationId: string,
  flow: Flow,
  vars: Record<string, string>,
  pending: Pending[],
  next: Session,
  isNew: boolean,
  endOthers = true,
) {
  const now = next.updatedAt;
  let refused = false;
  for (const m of pending) {
    // a file the channel cannot carry (or one gone from the library) does not silence the flow: the text goes
    // without it; outside the reply window only an approved template may go (every check comes before a write)
    let library = m.library;
    let template = false;
    for (;;) {
      try {
        await inbox.sendMessageTx(
          ctx,
          tx,
          after,
          actor,
          conversationId,
          template && flow.template
            ? {
                idempotencyKey: `${m.key}:t`,
                takeOver: false,
                content: {
                  template: { ...flow.template, params: flow.template.params.map((p) => withVars(p, vars)) },
                },
              }
            : {
                idempotencyKey: m.key,
                takeOver: false,
                body: m.body,
                ...(m.content ? { content: m.content } : {}),
                ...(library ? { library } : {}),
              },
        );
        break;
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        if (library && MEDIA_REFUSALS.has(e.code)) {
          ctx.log.warn("flow media not sent", { sessionId: next.id, reason: e.code });
          library = undefined;
          continue;
        }
        if (e.code === "outside_reply_window" && flow.template && !template) {
          template = true;
          continue;
        }
        // the channel refused it: the flow stops here, said in the session (and the run log)
        next.status = "done";
        next.reason = e.code;
        next.nodeId = null;
        refused = true;
        break;
      }
    }
    if (refused) break;
  }
  if (isNew) {
    if (endOthers)
      await tx
        .update(flowSessions)
        .set({ status: "ended", reason: "another_flow", nodeId: null, updatedAt: now })
        .where(and(eq(flowSessions.conversationId, conversationId), inArray(flowSessions.status, ["active", "agent"])));
    sessionStatements(tx).insertSession.run(next);
  } else
    await tx
      .update(flowSessions)
      .set({
        nodeId: next.nodeId,
        vars: next.vars,
        tries: next.tries,
        path: next.path,
        sent: next.sent,
        lastSeq: next.lastSeq,
        status: next.status,
        reason: next.reason,
        updatedAt: now,
      })
      .where(eq(flowSessions.id, next.id));
}

/**
 * Starts a flow's published version on a conversation (ending one it was in). `seq`: the event that started it,
 * so that event is not also taken as an answer; the session's id is made from it, so starting again on the same
 * event (a replay after a crash) is the same session and sends nothing twice.
 */
export async function startFlow(ctx: Ctx, actor: Actor, conversationId: string, flowId: string, seq = 0) {
  if (actor.kind === "user") {
    const conv = await ctx.db.select().from(conversations).where(eq(conversations.id, conversationId)).get();
    if (!conv || !canSee(actor, conv)) throw notFound("Conversation");
  } else if (!hot(ctx, "conversation", conversationId)) throw notFound("Conversation");
  const p = await publishedGraph(ctx, flowId);
  if (!p) throw badRequest("flow_unpublished", "The flow has no published version", { field: "flowId" });
  const now = ctx.clock.now();
  const session = newSession(conversationId, flowId, p.version.id, seq, now);
  return turn(ctx, session, p.flow, p.version.graph, null, seq, true);
}

/** The session an AI agent holds for a flow that wants the conversation back (an agent step with a next). */
function awaySession(ctx: Ctx, conversationId: string) {
  return sessionRow(
    ctx.database
      .readPrepared(
        "SELECT * FROM flow_sessions WHERE conversation_id = ? AND status = 'agent' ORDER BY updated_at DESC LIMIT 1",
      )
      .get([conversationId]) as Record<string, unknown> | undefined,
  );
}

/**
 * The goal a flow gave the AI agent that has this conversation, when the flow wants it back; null otherwise. The
 * agent is then offered its return_to_flow tool.
 */
export async function flowGoal(ctx: Ctx, conversationId: string): Promise<string | null> {
  const s = awaySession(ctx, conversationId);
  if (!s?.nodeId) return null;
  const g = await versionGraph(ctx, s.flowId, s.versionId);
  const n = g?.graph.nodes.find((x) => x.id === s.nodeId);
  return n?.type === "agent" && n.next ? n.goal : null;
}

/** The AI agent gives the conversation back: its flow goes on from the agent step's next. */
export async function returnToFlow(ctx: Ctx, conversationId: string) {
  const s = awaySession(ctx, conversationId);
  if (!s) return false;
  const g = await versionGraph(ctx, s.flowId, s.versionId);
  if (!g) {
    await stopFlow(ctx, conversationId, "flow_deleted");
    return false;
  }
  await turn(ctx, { ...s, status: "active" }, g.flow, g.graph, null, 0);
  return true;
}

/** Ends a conversation's flow (a person took it, the API, a rule). */
export async function stopFlow(ctx: Ctx, conversationId: string, reason: string) {
  const now = ctx.clock.now();
  return ctx.database.write(async (tx, after) => {
    const ended = await tx
      .update(flowSessions)
      .set({ status: "ended", reason, nodeId: null, updatedAt: now })
      .where(and(eq(flowSessions.conversationId, conversationId), inArray(flowSessions.status, ["active", "agent"])))
      .returning({ id: flowSessions.id });
    if (ended.length) after(() => requestAssignment(ctx, null));
    for (const s of ended)
      await tx
        .update(automationTimers)
        .set({ status: "cancelled" })
        .where(
          and(
            eq(automationTimers.kind, "flow"),
            sql`json_extract(${automationTimers.payload}, '$.sessionId') = ${s.id}`,
          ),
        );
    return ended.length;
  });
}

/**
 * An event read by the engine: a customer's message goes to the conversation's session (or starts a flow by its
 * keyword); a person answering or taking the conversation ends its session.
 */
export async function flowEvent(ctx: Ctx, ev: Ev) {
  const d = (ev.data ?? {}) as Record<string, unknown>;
  const conversationId = ev.conversationId;
  if (!conversationId) return;
  if (ev.type === "inbox.message_created" && ev.actorType === "user" && !d.private) {
    if (inFlow(ctx, conversationId)) await stopFlow(ctx, conversationId, "human");
    return;
  }
  if (ev.type === "inbox.conversation_updated" && ev.actorType === "user") {
    const ch = (d.changes ?? {}) as Record<string, unknown>;
    if (
      ((typeof ch.assigneeId === "string" && ch.assigneeId) || ch.ownerType === "agent") &&
      inFlow(ctx, conversationId)
    )
      await stopFlow(ctx, conversationId, "human");
    return;
  }
  // the AI agent a flow lent the conversation to handed it to people: the flow no longer waits for it back
  if (ev.type === "inbox.conversation_updated") {
    const ch = (d.changes ?? {}) as Record<string, unknown>;
    if (ch.ownerType === "queue" && awaySession(ctx, conversationId)) await stopFlow(ctx, conversationId, "handoff");
    return;
  }
  // an answer to a satisfaction survey is the survey's (csat.ts)
  if (ev.type !== "inbox.message_received" || d.held) return;
  const sessionId = activeSessionId(ctx, conversationId);
  const list = await startersOf(ctx);
  // most messages: no flow is talking here and none has keywords
  if (!sessionId && !list.length) return;
  const session = sessionId ? sessionRow(hot(ctx, "session", sessionId)) : undefined;
  const msg =
    typeof d.messageId === "string"
      ? hot<{ body: string; content: string | null }>(ctx, "message", d.messageId)
      : undefined;
  const content = msg?.content ? (JSON.parse(msg.content) as { choice?: { id?: string; quantity?: number } }) : null;
  const input: Input = {
    text: msg?.body ?? "",
    choiceId: content?.choice?.id,
    ...(content?.choice?.quantity ? { quantity: content.choice.quantity } : {}),
  };
  if (session) {
    if (ev.seq <= session.lastSeq) return;
    const g = await versionGraph(ctx, session.flowId, session.versionId);
    if (!g) return void (await stopFlow(ctx, conversationId, "flow_deleted"));
    await turn(ctx, session, g.flow, g.graph, input, ev.seq);
    return;
  }
  // a keyword starts a published flow, unless a person has the conversation
  if (!list.length || !input.text) return;
  // an event read again after a crash, that a session already took (and maybe finished with): nothing to do
  const taken = ctx.database
    .readPrepared("SELECT 1 AS x FROM flow_sessions WHERE conversation_id = ? AND last_seq >= ? LIMIT 1")
    .get([conversationId, ev.seq]);
  if (taken) return;
  const conv = hot<HotConv>(ctx, "conversation", conversationId);
  if (!conv || conv.ownerType === "agent" || conv.status === "resolved") return;
  const hit = keywordFlow(list, conv.channelId, input.text);
  if (hit) await startFlow(ctx, { kind: "system" }, conversationId, hit.id, ev.seq);
}

/** The published flow a customer's words start on this channel: a keyword said alone or as a whole word. */
function keywordFlow(list: Starter[], channelId: string, text: string) {
  const said = normalize(text);
  return list.find(
    (s) =>
      (!s.flow.channelIds.length || s.flow.channelIds.includes(channelId)) &&
      s.words.some((w, i) => said === w || s.patterns[i].test(said)),
  )?.flow;
}

/** Thrown by the inline effects when a walk needs more than its own messages: the engine does that turn. */
class NeedsEngine extends Error {}

/**
 * A keyword's flow started inside ingest's transaction (ctx.replyInline): when its first turn only sends messages
 * (text, buttons, a list, library files, conditions and variables), its replies and its session commit with the
 * customer's message, so nothing waits for the engine and no second transaction is needed. A turn that needs more
 * (a field, a tag, an HTTP call, a wait, a contact's detail in the text, a ticket, a hand-off) is left to the engine,
 * which reads the same event and starts the flow as before. The session's id and lastSeq come from the event, so
 * the engine sees it taken. Should its writes fail, ingest stores the message again without them (a savepoint
 * here cost a third of the whole ingest: every page already changed in the batch's transaction was copied again).
 */
async function replyInline(ctx: Ctx, tx: Tx, after: AfterCommit, m: InlineInbound): Promise<boolean> {
  const list = await startersOf(ctx);
  if (!list.length || !m.text.trim()) return false;
  const flow0 = keywordFlow(list, m.channelId, m.text);
  if (!flow0) return false;
  // a conversation already in a flow: the engine gives it the message (an answer, or another flow's keyword)
  if (!m.created && sessionStatements(tx).active.get({ id: m.conversationId })) return false;
  const p = await publishedGraph(ctx, flow0.id);
  if (!p) return false;
  const { flow, version } = p;
  const b = await businessOnce(ctx);
  const locale = b?.locale ?? "es";
  const now = ctx.clock.now();
  const session = newSession(m.conversationId, flow.id, version.id, m.seq, now);
  const pending: Pending[] = [];
  const conv = { id: m.conversationId, contactId: m.contactId } as Conv;
  const live = liveEffects(ctx, conv, m.channelType, session, flow, b?.country ?? "MX", locale, pending);
  const engine = () => Promise.reject(new NeedsEngine());
  const fx: Effects = {
    ...live,
    vars: (text) => (text.includes("{{") ? engine() : Promise.resolve(text)),
    setField: engine,
    tag: engine,
    handoff: engine,
    agent: engine,
    ticket: engine,
    wait: engine,
    http: engine,
    catalog: engine,
    slots: engine,
    book: engine,
    product: engine,
    cartAdd: engine,
    cart: engine,
    checkout: engine,
  };
  let r: Awaited<ReturnType<typeof walk>>;
  try {
    r = await walk(
      version.graph,
      { nodeId: null, vars: {}, tries: 0, path: [] },
      null,
      fx,
      localToday(b?.timezone ?? "UTC", now),
    );
  } catch (e) {
    if (!(e instanceof NeedsEngine)) ctx.log.warn("flow step failed inline; the engine takes it", { error: String(e) });
    return false;
  }
  const next = afterWalk(session, r, m.seq, now);
  await writeTurn(
    ctx,
    tx,
    after,
    flowActor(flow, locale),
    m.conversationId,
    flow,
    r.state.vars,
    pending,
    next,
    true,
    false,
  );
  return true;
}

/** Plugs the keyword flows' inline first turn into ingest. Called once when the context is built. */
export function wireFlows(ctx: Ctx) {
  ctx.replyInline = (tx, after, m) => replyInline(ctx, tx, after, m);
}

/** The events of one batch that flows care about, conversation by conversation in order, many side by side. */
export async function flowEvents(ctx: Ctx, evs: Ev[]) {
  const mine = evs.filter(
    (e) =>
      e.conversationId &&
      (e.type === "inbox.message_received" ||
        (e.actorType === "user" && (e.type === "inbox.message_created" || e.type === "inbox.conversation_updated")) ||
        (e.type === "inbox.conversation_updated" &&
          ((e.data ?? {}) as { changes?: { ownerType?: string } }).changes?.ownerType === "queue")),
  );
  if (!mine.length) return;
  await inGroups(
    mine,
    (e) => e.conversationId!,
    async (e) => {
      try {
        await flowEvent(ctx, e);
      } catch (err) {
        ctx.log.error("flow event failed", { seq: e.seq, type: e.type, error: String(err) });
      }
    },
  );
}

/** A wait node's timer came due (engine.handleTimer, kind "flow"). */
export async function flowTimer(ctx: Ctx, t: Timer): Promise<Timer["status"]> {
  const p = t.payload as { sessionId: string; nodeId: string };
  const s = await ctx.db.select().from(flowSessions).where(eq(flowSessions.id, p.sessionId)).get();
  if (s?.status !== "active" || s.nodeId !== p.nodeId) return "cancelled";
  const g = await versionGraph(ctx, s.flowId, s.versionId);
  if (!g) return "cancelled";
  await turn(ctx, s, g.flow, g.graph, null, 0);
  return "done";
}

// ---------------------------------------------------------------- the emulator

/** The emulator's effects: nothing leaves DigyBot but an HTTP node's call; what the flow would do is described. */
function emulatorEffects(
  ctx: Ctx,
  out: { from: "bot" | "note"; text: string; options?: { id: string; title: string }[]; files?: string[] }[],
  country: string,
  locale: string,
): Effects {
  const en = locale === "en";
  const note = (text: string) => {
    out.push({ from: "note", text });
  };
  return {
    country,
    language: en ? "en" : "es",
    vars: async (text) =>
      text.replace(
        /\{\{\s*(contact\.first_name|contact\.name)\s*(?:\|([^}]*))?\}\}/g,
        (_m, _n, f?: string) => (f ?? "").trim() || (en ? "Test customer" : "Cliente de prueba"),
      ),
    send: async ({ media, ...o }) => {
      // the emulator names the library's files the message carries (nothing is sent)
      const files = media?.length
        ? (
            await ctx.db
              .select({ id: libraryItems.id, title: libraryItems.title })
              .from(libraryItems)
              .where(inArray(libraryItems.id, media))
          ).map((x) => x.title)
        : [];
      out.push({ from: "bot", ...o, ...(files.length ? { files } : {}) });
    },
    setField: async (target, value) => note(`${en ? "Contact field" : "Campo del contacto"} ${target} = ${value}`),
    tag: async (tagId) => {
      const t = await ctx.db.select({ name: tags.name }).from(tags).where(eq(tags.id, tagId)).get();
      note(`${en ? "Tag" : "Etiqueta"}: ${t?.name ?? tagId}`);
    },
    handoff: async () => note(en ? "Handed to people" : "Pasa a una persona del equipo"),
    agent: async (n) => {
      const a = await ctx.db.select({ name: agents.name }).from(agents).where(eq(agents.id, n.agentId)).get();
      note(`${en ? "Handed to the AI agent" : "Pasa al agente IA"} ${a?.name ?? ""}`.trim());
    },
    ticket: async (subject) => {
      note(`${en ? "Ticket" : "Ticket"}: ${subject}`);
      return "#0";
    },
    wait: async (n) => note(`${en ? "Waits" : "Espera"} ${n.minutes} min`),
    http: (n, url, body) => callHttp(ctx, n, url, body),
    goto: async (flowId) => (await publishedGraph(ctx, flowId))?.version.graph ?? null,
    // the real catalog and calendar (reads): the emulator offers what a customer would be offered
    catalog: (query, max) => catalogFor(ctx, query, max, locale),
    slots: (date, max) => slotsFor(ctx, date, max),
    book: async (date, time) => {
      note(`${en ? "Books" : "Reserva"} ${date} ${time}`);
      return true;
    },
    // the product's real choices (a read); the cart steps are described, not done: no customer, no cart
    product: (sku) => productChoices(ctx, sku),
    cartAdd: async (sku, quantity, choice = {}) => {
      const extra = [choice.variant, ...(choice.extras ?? [])].filter(Boolean).join(", ");
      note(`${en ? "Adds to the cart" : "Agrega al carrito"}: ${quantity} × ${sku}${extra ? ` (${extra})` : ""}`);
      return { ok: true };
    },
    cart: async () => {
      note(en ? "Shows the customer's cart" : "Muestra el carrito del cliente");
      return { lines: [], total: en ? "(the cart's total)" : "(el total del carrito)", empty: false };
    },
    checkout: async () => {
      note(en ? "Creates the order" : "Crea el pedido");
      return { ok: true, number: en ? "(test)" : "(prueba)", total: en ? "(its total)" : "(su total)" };
    },
  };
}

export type EmulatorState = State & { done?: boolean };

/**
 * One turn of the emulator on the flow's draft (or its published version): what the bot says, the variables, the
 * path lit on the canvas. The state goes back and forth with the caller; nothing is stored.
 */
export async function emulate(
  ctx: Ctx,
  actor: Actor,
  id: string,
  body: { text?: string; choiceId?: string; state?: EmulatorState | null; published?: boolean },
) {
  const f = await getFlow(ctx, actor, id);
  const graph = body.published ? (await publishedGraph(ctx, id))?.version.graph : f.draft;
  if (!graph) throw badRequest("flow_unpublished", "The flow has no published version", { field: "published" });
  const b = await getBusiness(ctx);
  const out: { from: "bot" | "note"; text: string; options?: { id: string; title: string }[] }[] = [];
  const fx = emulatorEffects(ctx, out, b?.country ?? "MX", b?.locale ?? "es");
  const fresh = !body.state || body.state.done;
  const state: State = fresh ? { nodeId: null, vars: {}, tries: 0, path: [] } : body.state!;
  const input =
    !fresh && (body.text !== undefined || body.choiceId) ? { text: body.text ?? "", choiceId: body.choiceId } : null;
  const today = localToday(b?.timezone ?? "UTC", ctx.clock.now());
  let r = await walk(graph, state, input, fx, today);
  // an AI agent that gives the conversation back: the emulator says so and goes on where the flow resumes
  if (r.away) {
    out.push({
      from: "note",
      text:
        (b?.locale ?? "es") === "en"
          ? "The agent talks with the customer until its goal is met, then gives the conversation back here."
          : "El agente atiende al cliente hasta cumplir su objetivo y luego devuelve la conversación aquí.",
    });
    r = await walk(r.graph, r.state, null, fx, today);
  }
  return { messages: out, state: { ...r.state, done: r.done }, done: r.done, reason: r.reason ?? null };
}
