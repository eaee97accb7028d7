// `digybot agent eval FILE.jsonl`: replays written conversations through an agent (nothing is sent or written)
// and measures it. Each line is one conversation:
//   {"id": "envios-1", "turns": [{"customer": "hola", "expect": {"intent": "greeting"}},
//                                {"customer": "¿cuánto cuesta la hawaiana?", "expect": {"facts": ["$189.00"], "tools": ["search_products"]}},
//                                {"customer": "quiero un asesor", "expect": {"handoff": true}}]}
// expect (all optional): intent, facts (text the reply must contain), tools (that must be called), handoff.
import { z } from "zod";
import type { Ctx } from "../platform/context.ts";
import { runTurn, type TurnMessage } from "./runner.ts";
import type { Agent } from "./service.ts";

const turnLine = z.strictObject({
  customer: z.string().min(1),
  expect: z
    .strictObject({
      intent: z.string().optional(),
      facts: z.array(z.string()).optional(),
      tools: z.array(z.string()).optional(),
      handoff: z.boolean().optional(),
    })
    .default({}),
});
export const evalCase = z.strictObject({ id: z.string().optional(), turns: z.array(turnLine).min(1) });
export type EvalCase = z.infer<typeof evalCase>;

/** Reads a JSONL file's cases; a bad line is reported with its number and what is wrong. */
export function parseEvalFile(text: string): EvalCase[] {
  const out: EvalCase[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim() || line.trim().startsWith("//")) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    const r = evalCase.safeParse(v);
    if (!r.success)
      throw new Error(
        `line ${i + 1}: ${r.error.issues.map((x) => `${x.path.join(".") || "line"}: ${x.message}`).join("; ")}`,
      );
    out.push({ ...r.data, id: r.data.id ?? `line ${i + 1}` });
  });
  if (!out.length) throw new Error("the file has no conversations");
  return out;
}

export type EvalReport = {
  conversations: number;
  turns: number;
  /** conversations the agent carried to the end without handing over when it should not, and meeting every expectation */
  resolutionRate: number;
  handoff: { precision: number | null; recall: number | null; tp: number; fp: number; fn: number };
  intentAccuracy: number | null;
  factsFound: number | null;
  toolsCalled: number | null;
  /** replies with figures no tool result or passage supported (caught by the grounding check) */
  groundingFailures: number;
  latencyMs: { p50: number; p95: number; max: number };
  failures: { id: string; turn: number; customer: string; reply: string | null; problems: string[] }[];
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : 0;
};

export async function evaluate(
  ctx: Ctx,
  agent: Agent,
  cases: EvalCase[],
  onProgress?: (done: number) => void,
): Promise<EvalReport> {
  let turns = 0,
    resolved = 0,
    tp = 0,
    fp = 0,
    fn = 0,
    intentOk = 0,
    intentN = 0,
    factOk = 0,
    factN = 0,
    toolOk = 0,
    toolN = 0,
    grounding = 0;
  const latency: number[] = [];
  const failures: EvalReport["failures"] = [];
  for (const [ci, c] of cases.entries()) {
    const history: TurnMessage[] = [];
    let ok = true,
      botReplies = 0;
    for (const [ti, turn] of c.turns.entries()) {
      turns++;
      const r = await runTurn(ctx, {
        agent,
        conversationId: null,
        contactId: null,
        history,
        customerText: turn.customer,
        botReplies,
        dryRun: true,
      });
      latency.push(r.timings.totalMs);
      const e = turn.expect,
        problems: string[] = [];
      if (r.groundingIssues.length) grounding++;
      const handed = !!r.handoff;
      if (e.handoff !== undefined) {
        if (e.handoff && handed) tp++;
        else if (!e.handoff && handed) {
          fp++;
          problems.push(`handed over (${r.handoff!.reason}) when it should not`);
        } else if (e.handoff && !handed) {
          fn++;
          problems.push("did not hand over");
        }
      } else if (handed) {
        fp++;
        problems.push(`handed over (${r.handoff!.reason})`);
      }
      if (e.intent) {
        intentN++;
        if (r.intent === e.intent) intentOk++;
        else problems.push(`intent ${r.intent}, expected ${e.intent}`);
      }
      for (const f of e.facts ?? []) {
        factN++;
        if ((r.reply ?? "").toLowerCase().includes(f.toLowerCase())) factOk++;
        else problems.push(`reply lacks "${f}"`);
      }
      for (const tl of e.tools ?? []) {
        toolN++;
        if (r.toolCalls.some((x) => x.name === tl && x.ok)) toolOk++;
        else problems.push(`tool ${tl} not called`);
      }
      if (problems.length) {
        ok = false;
        failures.push({ id: c.id!, turn: ti + 1, customer: turn.customer, reply: r.reply, problems });
      }
      history.push({ role: "customer", text: turn.customer });
      if (r.reply) {
        history.push({ role: "bot", text: r.reply });
        botReplies++;
      }
      if (handed) break; // people take it from here
    }
    if (ok) resolved++;
    onProgress?.(ci + 1);
  }
  const ratio = (a: number, b: number) => (b ? a / b : null);
  return {
    conversations: cases.length,
    turns,
    resolutionRate: resolved / cases.length,
    handoff: { precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), tp, fp, fn },
    intentAccuracy: ratio(intentOk, intentN),
    factsFound: ratio(factOk, factN),
    toolsCalled: ratio(toolOk, toolN),
    groundingFailures: grounding,
    latencyMs: { p50: pct(latency, 0.5), p95: pct(latency, 0.95), max: Math.max(0, ...latency) },
    failures,
  };
}

/** The report as a table for the terminal. */
export function reportTable(r: EvalReport) {
  const f = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
  const rows: [string, string][] = [
    ["conversations", String(r.conversations)],
    ["turns", String(r.turns)],
    ["resolution rate", f(r.resolutionRate)],
    ["handoff precision", `${f(r.handoff.precision)} (${r.handoff.tp} right, ${r.handoff.fp} wrong)`],
    ["handoff recall", `${f(r.handoff.recall)} (${r.handoff.fn} missed)`],
    ["intent accuracy", f(r.intentAccuracy)],
    ["facts in replies", f(r.factsFound)],
    ["tools called", f(r.toolsCalled)],
    ["grounding failures", String(r.groundingFailures)],
    [
      "latency p50 / p95 / max",
      `${r.latencyMs.p50.toFixed(0)} / ${r.latencyMs.p95.toFixed(0)} / ${r.latencyMs.max.toFixed(0)} ms`,
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  if (r.failures.length)
    lines.push(
      "",
      "failures:",
      ...r.failures
        .slice(0, 50)
        .map(
          (x) =>
            `  ${x.id} turn ${x.turn}: ${JSON.stringify(x.customer)} → ${JSON.stringify(x.reply)}\n    ${x.problems.join("; ")}`,
        ),
    );
  return lines.join("\n");
}
