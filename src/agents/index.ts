// What the agents domain exposes to the rest of DigyBot.
import type { Ctx } from "../platform/context.ts";
import { wireAgents } from "./service.ts";
import { agentRunner, wireAgentRunner } from "./runner.ts";
import { kickIndexer, stopIndexer } from "./knowledge.ts";
import { wireCopilot } from "./copilot.ts";

const offs = new WeakMap<Ctx, () => void>();

/** Plugs agents into a context: routing of new conversations, the live loop, the knowledge indexer. */
export async function startAgents(ctx: Ctx) {
  await wireAgents(ctx);
  wireAgentRunner(ctx);
  offs.set(ctx, wireCopilot(ctx));
}

/** Once serving: turns interrupted by a restart, and vectors still to make. */
export async function resumeAgents(ctx: Ctx) {
  await agentRunner(ctx)?.resume();
  kickIndexer(ctx);
}

export function stopAgents(ctx: Ctx) {
  agentRunner(ctx)?.stop();
  offs.get(ctx)?.();
  stopIndexer(ctx);
}

export * from "./service.ts";
export { runTurn, agentRunner, type TurnInput, type TurnResult, type TurnMessage } from "./runner.ts";
export * as knowledge from "./knowledge.ts";
