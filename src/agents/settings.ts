// Which model server DigyBot's AI uses, set by the owner in the console: the local Ollama (default, private) or an
// OpenAI-compatible service. A connection test lists the server's models; Ollama models can be pulled from here.
import { z } from "zod";
import { isIP } from "node:net";
import { keepsSecret, maskSecret, openFields, sealFields } from "../platform/secrets.ts";
import { isLinkLocalAddress } from "../platform/net-guard.ts";
import { AppError } from "../platform/errors.ts";
import { assertAdmin, type Actor, type Ctx } from "../platform/context.ts";
import { getSetting, putSetting } from "../setup/service.ts";
import {
  limited,
  ollamaProvider,
  openAiProvider,
  ProviderError,
  type LlmProvider,
  type PullProgress,
} from "./providers.ts";

/**
 * A model server is the administrator's choice, and often on this machine (Ollama on 127.0.0.1): loopback and
 * private addresses are allowed, but only http(s), and never link-local (the cloud metadata service).
 */
const modelServerUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((u) => {
    if (!URL.canParse(u)) return true; // the URL check above already said so
    const h = new URL(u).hostname.replace(/^\[|\]$/g, "");
    return !isIP(h) || !isLinkLocalAddress(h);
  }, "a link-local address (such as the cloud metadata service) cannot be a model server");

export const aiSettingsInput = z.strictObject({
  provider: z.enum(["ollama", "openai"]).default("ollama"),
  /** empty: the server's configured `ollama_url` */
  ollamaUrl: z.union([modelServerUrl, z.literal("")]).default(""),
  openaiUrl: modelServerUrl.default("https://api.openai.com/v1"),
  openaiKey: z.string().trim().max(300).default(""),
  chatModel: z.string().trim().min(1).max(200).default("llama3.2"),
  embedModel: z.string().trim().min(1).max(200).default("nomic-embed-text"),
  /** replies the model server works on at once (a small machine: 1) */
  concurrency: z.number().int().min(1).max(16).default(1),
  timeoutMs: z.number().int().min(1000).max(600_000).default(60_000),
  /** whether a remote (non-Ollama) service may see customers' emails, phones and card numbers (masked otherwise) */
  shareContactData: z.boolean().default(false),
});
export type AiSettings = z.infer<typeof aiSettingsInput>;

/** The AI settings' fields sealed at rest. */
const AI_SECRETS: ReadonlySet<string> = new Set(["openaiKey"]);

export async function getAiSettings(ctx: Ctx): Promise<AiSettings> {
  const stored = (await getSetting<AiSettings>(ctx, "ai")) ?? {};
  return aiSettingsInput.parse(openFields(stored as Record<string, unknown>, AI_SECRETS));
}

/** The settings as shown: the API key only by its last 4 characters. */
export function publicAiSettings(s: AiSettings) {
  return { ...s, openaiKey: maskSecret(s.openaiKey ?? "") };
}

export async function saveAiSettings(ctx: Ctx, actor: Actor, input: Partial<z.input<typeof aiSettingsInput>>) {
  assertAdmin(actor);
  const cur = await getAiSettings(ctx);
  const keepKey = keepsSecret(input.openaiKey);
  const next = aiSettingsInput.parse({ ...cur, ...input, openaiKey: keepKey ? cur.openaiKey : input.openaiKey });
  await ctx.database.write((tx) => putSetting(tx, "ai", sealFields(next, AI_SECRETS), ctx.clock.now()));
  providers.delete(ctx);
  return publicAiSettings(next);
}

const providers = new WeakMap<Ctx, { key: string; p: ReturnType<typeof limited> }>();
/** The configured provider behind its limits (one per app, rebuilt when the settings change). */
export async function aiProvider(ctx: Ctx) {
  const s = await getAiSettings(ctx);
  const key = JSON.stringify(s);
  const hit = providers.get(ctx);
  if (hit?.key === key) return { provider: hit.p, settings: s };
  const base: LlmProvider =
    s.provider === "ollama"
      ? ollamaProvider(s.ollamaUrl || ctx.config.ollama_url)
      : openAiProvider(s.openaiUrl, s.openaiKey);
  const p = limited(base, { concurrency: s.concurrency, timeoutMs: s.timeoutMs, retries: 2 });
  providers.set(ctx, { key, p });
  return { provider: p, settings: s };
}

/** Reaches the model server and lists its models; says in plain words what is wrong when it cannot. */
export async function testAi(ctx: Ctx, actor: Actor) {
  assertAdmin(actor);
  const { provider, settings } = await aiProvider(ctx);
  try {
    const models = await provider.models();
    const names = models.map((m) => m.name);
    const has = (m: string) => names.some((n) => n === m || n === `${m}:latest` || n.split(":")[0] === m);
    return {
      ok: true as const,
      models,
      chatModelFound: has(settings.chatModel),
      embedModelFound: has(settings.embedModel),
    };
  } catch (e) {
    const err = e instanceof ProviderError ? e : new ProviderError("unreachable", String(e));
    return { ok: false as const, code: err.code, error: err.message };
  }
}

/** A download's progress; a failure keeps the provider's words (`error`, for "Detalles") and their kind (`errorCode`). */
type PullState = {
  model: string;
  status: string;
  completed: number | null;
  total: number | null;
  done: boolean;
  error: string | null;
  errorCode: string | null;
  startedAt: number;
};
const pulls = new WeakMap<Ctx, Map<string, PullState>>();

/** Starts downloading an Ollama model in the background; its progress is read with pullStatus(). */
export async function startPull(ctx: Ctx, actor: Actor, model: string) {
  assertAdmin(actor);
  const name = z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[\w.:/-]+$/, "a model name such as llama3.2 or qwen2.5:3b")
    .parse(model);
  const { provider, settings } = await aiProvider(ctx);
  if (settings.provider !== "ollama" || !provider.pull)
    throw new AppError(422, "not_supported_by_provider", "Only Ollama downloads models");
  let m = pulls.get(ctx);
  if (!m) pulls.set(ctx, (m = new Map()));
  const cur = m.get(name);
  if (cur && !cur.done) return cur;
  const state: PullState = {
    model: name,
    status: "starting",
    completed: null,
    total: null,
    done: false,
    error: null,
    errorCode: null,
    startedAt: Date.now(),
  };
  m.set(name, state);
  void provider
    .pull(name, (p: PullProgress) => {
      state.status = p.status;
      if (p.total !== undefined) state.total = p.total;
      if (p.completed !== undefined) state.completed = p.completed;
    })
    .then(
      () => {
        state.done = true;
      },
      (e) => {
        state.done = true;
        state.error = e instanceof Error ? e.message : String(e);
        state.errorCode = e instanceof ProviderError ? e.code : "unreachable";
      },
    );
  return state;
}

export function pullStatus(ctx: Ctx) {
  return [...(pulls.get(ctx)?.values() ?? [])];
}
