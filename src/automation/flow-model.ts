// BotBuilder flows (§6.14): a graph of nodes, each pointing at the next by id, checked as a whole when it is
// published (a dangling edge, a node nothing reaches, a variable used before any node sets it), never at run time.
import { libraryRefs } from "../library/model.ts";
import { z } from "zod";
import { idRef, templateRef } from "../platform/validation.ts";

const nodeId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, "letters, digits, - and _ (at most 40)");
const next = nodeId.optional();
const text = z.string().trim().min(1).max(4000);
const varName = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "a variable is lower case: letters, digits and _");
const pos = {
  x: z.number().min(-100_000).max(100_000).optional(),
  y: z.number().min(-100_000).max(100_000).optional(),
};
const option = z.strictObject({ title: z.string().trim().min(1).max(24), next });

/** Where an answer is kept: a flow variable, or a field of the contact. */
export const saveTarget = z
  .string()
  .regex(
    /^(var:[a-z][a-z0-9_]{0,39}|contact:(name|email|phone)|contact:attributes\.[\w.-]{1,80})$/,
    "var:name, contact:name|email|phone or contact:attributes.key",
  );

export const flowNode = z.discriminatedUnion("type", [
  /** text with variables; up to 3 buttons or a list of up to 10 (numbered options where the channel has neither) */
  z.strictObject({
    id: nodeId,
    type: z.literal("message"),
    text,
    /** files from the library sent with the text */
    media: libraryRefs.optional(),
    options: z.array(option).max(10).default([]),
    next,
    ...pos,
  }),
  /** a question; the answer is checked for its kind, asked again up to `retries` times, then `fail` is followed */
  z.strictObject({
    id: nodeId,
    type: z.literal("ask"),
    text,
    kind: z.enum(["text", "number", "email", "phone", "date", "choice"]).default("text"),
    options: z.array(option).max(10).default([]),
    save: saveTarget.optional(),
    retries: z.number().int().min(0).max(5).default(2),
    invalid: z.string().trim().max(500).optional(),
    next,
    fail: next,
    ...pos,
  }),
  /** the first branch whose test holds; `else` otherwise */
  z.strictObject({
    id: nodeId,
    type: z.literal("condition"),
    branches: z
      .array(
        z.strictObject({
          var: varName,
          op: z.enum(["eq", "neq", "contains", "gt", "lt", "exists", "not_exists"]),
          value: z.string().max(500).default(""),
          next,
        }),
      )
      .min(1)
      .max(10),
    else: next,
    ...pos,
  }),
  /** sets a variable (text with variables), a tag on the conversation, or a contact field */
  z.strictObject({
    id: nodeId,
    type: z.literal("set"),
    var: varName.optional(),
    value: z.string().max(2000).default(""),
    tagId: idRef.optional(),
    field: saveTarget.optional(),
    next,
    ...pos,
  }),
  /** calls a web service (through the fetch guard); parts of its JSON answer go into variables; `error` on failure */
  z.strictObject({
    id: nodeId,
    type: z.literal("http"),
    method: z.enum(["GET", "POST"]).default("GET"),
    url: z.string().trim().min(1).max(2000),
    body: z.string().max(10_000).optional(),
    timeoutMs: z.number().int().min(100).max(30_000).default(10_000),
    map: z
      .array(z.strictObject({ var: varName, path: z.string().max(200) }))
      .max(20)
      .default([]),
    next,
    error: next,
    ...pos,
  }),
  /**
   * searches the catalog with `query` (variables allowed) and offers what it finds as options under `text`; the
   * product chosen is kept in `save` (its name), `save`_sku and `save`_price; nothing found goes to `empty`
   */
  z.strictObject({
    id: nodeId,
    type: z.literal("catalog"),
    query: z.string().trim().min(1).max(500),
    text,
    save: varName,
    max: z.number().int().min(1).max(10).default(5),
    next,
    empty: next,
    ...pos,
  }),
  /**
   * offers the calendar's free times of a day (`date`: YYYY-MM-DD, "hoy", "mañana" or a variable holding one) under
   * `text`, and books the one chosen for the contact; it is kept in `save` ("YYYY-MM-DD HH:MM"), `save`_date and
   * `save`_time; no free time (or none left) goes to `empty`
   */
  z.strictObject({
    id: nodeId,
    type: z.literal("slots"),
    date: z.string().trim().min(1).max(200),
    text,
    service: z.string().trim().max(100).default(""),
    save: varName,
    max: z.number().int().min(1).max(10).default(6),
    next,
    empty: next,
    ...pos,
  }),
  /**
   * the conversation goes to an AI agent with a goal; with `next`, the agent gives it back to the flow there once
   * the goal is met (its return_to_flow tool), otherwise the flow ends here
   */
  z.strictObject({
    id: nodeId,
    type: z.literal("agent"),
    agentId: idRef,
    goal: z.string().max(1000).default(""),
    next,
    ...pos,
  }),
  /** the conversation goes to people (a department, or a person); the flow ends there */
  z.strictObject({
    id: nodeId,
    type: z.literal("handoff"),
    departmentId: idRef.optional(),
    userId: idRef.optional(),
    text: z.string().trim().max(1000).optional(),
    ...pos,
  }),
  z.strictObject({
    id: nodeId,
    type: z.literal("ticket"),
    subject: z.string().trim().min(1).max(200),
    description: z.string().max(4000).default(""),
    next,
    ...pos,
  }),
  z.strictObject({
    id: nodeId,
    type: z.literal("wait"),
    minutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 30),
    next,
    ...pos,
  }),
  /** continues in another flow's published version */
  /**
   * adds a product to the conversation's cart: `sku` and `quantity` (variables allowed, e.g. {{producto_sku}});
   * refused (sold out, not sold now, a variant to choose…) goes to `error`, the reason in {{cart_error}}
   */
  /**
   * the choices a product offers, asked before it goes in the cart: the product in `sku` (a variable such as
   * {{producto_sku}}); when it has variants, `text` with them as options; when it has extras, `extrasText` with them,
   * one at a time ("Listo" or "Sin extras" to go on). Kept in `save`_variant (the variant's key), `save`_extras (the
   * extras' keys, comma-separated) and `save`_options (both in words). A product with neither goes straight on.
   */
  z.strictObject({
    id: nodeId,
    type: z.literal("options"),
    sku: z.string().trim().min(1).max(200),
    text,
    extrasText: text,
    save: varName,
    next,
    ...pos,
  }),
  z.strictObject({
    id: nodeId,
    type: z.literal("cart_add"),
    sku: z.string().trim().min(1).max(200),
    quantity: z.string().trim().min(1).max(50).default("1"),
    /** the variant's key and the extras' keys (comma-separated), variables allowed (an options step's) */
    variant: z.string().trim().max(200).optional(),
    extras: z.string().trim().max(500).optional(),
    next,
    error: next,
    ...pos,
  }),
  /** the cart under `text`: its lines and total (also in {{cart_total}}); an empty cart goes to `empty` */
  z.strictObject({ id: nodeId, type: z.literal("cart"), text, next, empty: next, ...pos }),
  /**
   * the cart becomes an order (stock held, the customer told); its number in {{order_number}} and total in
   * {{order_total}}; refused (an empty cart, sold out meanwhile, an address not served) goes to `error` with
   * {{cart_error}}
   */
  z.strictObject({
    id: nodeId,
    type: z.literal("checkout"),
    payment: z.enum(["cash", "transfer", "card", "link"]).default("cash"),
    next,
    error: next,
    ...pos,
  }),
  z.strictObject({ id: nodeId, type: z.literal("goto"), flowId: idRef, ...pos }),
  z.strictObject({ id: nodeId, type: z.literal("end"), ...pos }),
]);
export type FlowNode = z.output<typeof flowNode>;
export type NodeType = FlowNode["type"];

export const flowGraph = z.strictObject({
  start: nodeId,
  nodes: z.array(flowNode).min(1).max(300),
});
export type FlowGraph = z.output<typeof flowGraph>;

export const flowInput = z.strictObject({
  name: z.string().trim().min(1).max(120),
  /** words or phrases that start it (accents and case aside); empty: only rules, agents or the API start it */
  keywords: z.array(z.string().trim().min(1).max(80)).max(50).default([]),
  /** only on these channels; empty: all */
  channelIds: z.array(idRef).max(50).default([]),
  graph: flowGraph,
  /** sent when a WhatsApp conversation's 24 h window has closed and the flow must write first */
  template: templateRef.optional(),
});
export type FlowInput = z.input<typeof flowInput>;

/** The node ids a node leads to, with the field each comes from (for the publish checks and the canvas). */
export function edgesOf(n: FlowNode): { to: string; field: string }[] {
  const out: { to: string; field: string }[] = [];
  const add = (to: string | undefined, field: string) => {
    if (to) out.push({ to, field });
  };
  if ("next" in n) add(n.next, "next");
  if (n.type === "message" || n.type === "ask") n.options.forEach((o, i) => add(o.next, `options.${i}.next`));
  if (n.type === "ask") add(n.fail, "fail");
  if (n.type === "condition") {
    n.branches.forEach((b, i) => add(b.next, `branches.${i}.next`));
    add(n.else, "else");
  }
  if (n.type === "http" || n.type === "cart_add" || n.type === "checkout") add(n.error, "error");
  if (n.type === "catalog" || n.type === "slots" || n.type === "cart") add(n.empty, "empty");
  return out;
}

/** Variables a text uses: {{name}} (not contact.*, business.*, … which rules know too). */
export function varsUsed(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([a-z][a-z0-9_]*)\s*(?:\|[^}]*)?\}\}/g)].map((m) => m[1]);
}

export type GraphProblem = { code: string; message: string; node?: string; field?: string };

/**
 * What would go wrong if this graph ran: a dangling edge, an unknown start, two nodes with one id, a node nothing
 * reaches, a variable read before any node that can come first sets it, an ask of choices without choices.
 */
export function checkGraph(g: FlowGraph): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const byId = new Map<string, FlowNode>();
  g.nodes.forEach((n, i) => {
    if (byId.has(n.id))
      problems.push({
        code: "duplicate_node",
        message: `Two nodes are called ${n.id}`,
        node: n.id,
        field: `nodes.${i}.id`,
      });
    byId.set(n.id, n);
  });
  if (!byId.has(g.start))
    problems.push({ code: "unknown_start", message: `The start node ${g.start} does not exist`, field: "start" });
  for (const n of g.nodes) {
    for (const e of edgesOf(n))
      if (!byId.has(e.to))
        problems.push({
          code: "dangling_edge",
          message: `${n.id} leads to ${e.to}, which does not exist`,
          node: n.id,
          field: e.field,
        });
    if (n.type === "ask" && n.kind === "choice" && n.options.length < 2)
      problems.push({
        code: "choice_options",
        message: `${n.id} asks to choose but offers fewer than two options`,
        node: n.id,
        field: "options",
      });
    if (n.type === "message" && n.options.length && n.next)
      problems.push({
        code: "options_and_next",
        message: `${n.id} has options and a next node: the options say where to go`,
        node: n.id,
        field: "next",
      });
    if (n.type === "set" && !n.var && !n.tagId && !n.field)
      problems.push({ code: "set_nothing", message: `${n.id} sets nothing`, node: n.id, field: "var" });
  }
  // reachability, and the variables surely set on every path to each node (a forward "must" analysis)
  const preds = new Map<string, { from: string; field: string }[]>();
  for (const n of g.nodes)
    for (const e of edgesOf(n)) preds.set(e.to, [...(preds.get(e.to) ?? []), { from: n.id, field: e.field }]);
  const reached = new Set<string>();
  const stack = byId.has(g.start) ? [g.start] : [];
  while (stack.length) {
    const id = stack.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    for (const e of edgesOf(byId.get(id)!)) if (byId.has(e.to)) stack.push(e.to);
  }
  for (const n of g.nodes)
    if (!reached.has(n.id))
      problems.push({ code: "unreachable_node", message: `Nothing leads to ${n.id}`, node: n.id });
  // what a node surely sets when left by this edge: an answer only once given, a service's parts only on success
  const sets = (n: FlowNode, field: string): string[] => {
    if (n.type === "ask") {
      const v = n.save?.startsWith("var:") ? [n.save.slice(4)] : [];
      const chosen = n.options.length ? [n.id.toLowerCase().replace(/[^a-z0-9_]/g, "_")] : [];
      return field === "fail" ? [] : [...v, ...chosen];
    }
    if (n.type === "message" && n.options.length) return [n.id.toLowerCase().replace(/[^a-z0-9_]/g, "_")];
    if (n.type === "set")
      return [n.var, n.field?.startsWith("var:") ? n.field.slice(4) : undefined].filter((x): x is string => !!x);
    if (n.type === "http") return field === "error" ? ["http_error"] : n.map.map((m) => m.var);
    if (n.type === "ticket") return ["ticket"];
    if (n.type === "catalog")
      return field === "empty" ? [] : [n.save, `${n.save}_sku`, `${n.save}_price`, `${n.save}_qty`];
    if (n.type === "slots") return field === "empty" ? [] : [n.save, `${n.save}_date`, `${n.save}_time`];
    if (n.type === "cart_add") return field === "error" ? ["cart_error"] : [];
    if (n.type === "options") return [`${n.save}_variant`, `${n.save}_extras`, `${n.save}_options`];
    if (n.type === "cart") return field === "empty" ? [] : ["cart_total"];
    if (n.type === "checkout") return field === "error" ? ["cart_error"] : ["order_number", "order_total"];
    return [];
  };
  const all = new Set(g.nodes.flatMap((n) => [...sets(n, "next"), ...sets(n, "error")]));
  // IN(n) = ⋂ OUT(p) over predecessors; OUT(n) = IN(n) ∪ sets(n); iterate to a fixed point from "everything"
  const inSet = new Map<string, Set<string>>();
  for (const id of reached) inSet.set(id, id === g.start ? new Set() : new Set(all));
  for (let changed = true, rounds = 0; changed && rounds < 400; rounds++) {
    changed = false;
    for (const id of reached) {
      if (id === g.start) continue;
      const ps = (preds.get(id) ?? []).filter((p) => reached.has(p.from));
      const next = new Set(all);
      for (const p of ps) {
        const out = new Set([...inSet.get(p.from)!, ...sets(byId.get(p.from)!, p.field)]);
        for (const v of [...next]) if (!out.has(v)) next.delete(v);
      }
      if (next.size !== inSet.get(id)!.size) {
        inSet.set(id, next);
        changed = true;
      }
    }
  }
  for (const n of g.nodes) {
    if (!reached.has(n.id)) continue;
    const known = inSet.get(n.id)!;
    const used = [
      ...("text" in n && typeof n.text === "string" ? varsUsed(n.text) : []),
      ...(n.type === "set" ? varsUsed(n.value) : []),
      ...(n.type === "http" ? [...varsUsed(n.url), ...varsUsed(n.body ?? "")] : []),
      ...(n.type === "catalog" ? varsUsed(n.query) : []),
      ...(n.type === "slots" ? varsUsed(n.date) : []),
      ...(n.type === "cart_add"
        ? [...varsUsed(n.sku), ...varsUsed(n.quantity), ...varsUsed(n.variant ?? ""), ...varsUsed(n.extras ?? "")]
        : []),
      ...(n.type === "options" ? [...varsUsed(n.sku), ...varsUsed(n.extrasText)] : []),
      ...(n.type === "condition"
        ? n.branches.filter((b) => !["exists", "not_exists"].includes(b.op)).map((b) => b.var)
        : []),
    ];
    for (const v of new Set(used))
      if (!known.has(v))
        problems.push({
          code: "unknown_variable",
          message: `${n.id} uses {{${v}}}, which no node before it is sure to set`,
          node: n.id,
        });
  }
  return problems;
}
