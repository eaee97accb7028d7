// LLM providers: Ollama (local, the default, through the `ollama` client) and any OpenAI-compatible service.
// One interface for chat (with tools), embeddings, the model list and pulling a model; every call goes through
// limits (concurrency per provider, a timeout, retries of what is worth retrying) and fails with a ProviderError
// whose code says what the console should tell the owner.
import { Ollama } from "ollama";

export type ToolCall = { name: string; arguments: Record<string, unknown> };
export type ChatMessage = {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  toolCalls?: ToolCall[];
  toolName?: string;
};
export type ToolSpec = { name: string; description: string; parameters: Record<string, unknown> };
export type ChatRequest = {
  model: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  temperature?: number;
  json?: boolean;
};
export type ChatResult = {
  content: string;
  toolCalls: ToolCall[];
  model: string;
  promptTokens: number | null;
  outputTokens: number | null;
  ms: number;
};
export type ModelInfo = { name: string; size: number | null; family: string | null; parameterSize: string | null };
export type PullProgress = { status: string; completed?: number; total?: number };

export class ProviderError extends Error {
  constructor(
    readonly code: "unreachable" | "timeout" | "model_not_found" | "rejected" | "bad_response",
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
  /** the server or the network, not the request: worth another try */
  get transient() {
    return (
      this.code === "unreachable" ||
      this.code === "timeout" ||
      (this.status !== null && (this.status >= 500 || this.status === 429))
    );
  }
}

export interface LlmProvider {
  readonly kind: "ollama" | "openai";
  chat(req: ChatRequest, opts?: { onToken?: (text: string) => void; signal?: AbortSignal }): Promise<ChatResult>;
  embed(model: string, input: string[], opts?: { signal?: AbortSignal }): Promise<number[][]>;
  models(opts?: { signal?: AbortSignal }): Promise<ModelInfo[]>;
  pull?(model: string, onProgress: (p: PullProgress) => void, opts?: { signal?: AbortSignal }): Promise<void>;
}

function classify(e: unknown, what: string): ProviderError {
  if (e instanceof ProviderError) return e;
  const err = e as { name?: string; message?: string; status_code?: number; status?: number; error?: string };
  const status = err.status_code ?? err.status ?? null;
  const message = String(err.error ?? err.message ?? e);
  if (err.name === "TimeoutError" || err.name === "AbortError")
    return new ProviderError("timeout", `${what} took too long`);
  if (status === 404 || (/not found/i.test(message) && status !== null))
    return new ProviderError("model_not_found", message, status);
  // a pull of a name the library does not have: the stream's error line ("pull model manifest: file does not exist")
  if (/manifest.*(does not exist|not found)/i.test(message))
    return new ProviderError("model_not_found", message, status);
  if (status !== null)
    return new ProviderError(status >= 500 || status === 429 ? "unreachable" : "rejected", message, status);
  return new ProviderError("unreachable", `${what} is not reachable: ${message}`);
}

// ---------------------------------------------------------------- Ollama

export function ollamaProvider(host: string): LlmProvider {
  const client = (signal?: AbortSignal) =>
    new Ollama({
      host,
      fetch: ((url: string, init?: RequestInit) => fetch(url, { ...init, signal, redirect: "error" })) as typeof fetch,
    });
  return {
    kind: "ollama",
    async chat(req, opts = {}) {
      const started = performance.now();
      const body = {
        model: req.model,
        messages: req.messages.map((m) => ({
          role: m.role,
          content: m.content,
          ...(m.toolCalls
            ? { tool_calls: m.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) }
            : {}),
          ...(m.toolName ? { tool_name: m.toolName } : {}),
        })),
        ...(req.tools?.length
          ? {
              tools: req.tools.map((t) => ({
                type: "function",
                function: { name: t.name, description: t.description, parameters: t.parameters },
              })),
            }
          : {}),
        ...(req.json ? { format: "json" } : {}),
        options: { ...(req.temperature !== undefined ? { temperature: req.temperature } : {}) },
      };
      try {
        const c = client(opts.signal);
        let content = "";
        const toolCalls: ToolCall[] = [];
        let last: { prompt_eval_count?: number; eval_count?: number; model?: string } = {};
        if (opts.onToken) {
          for await (const part of (await c.chat({ ...body, stream: true } as never)) as AsyncIterable<{
            message: {
              content: string;
              tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
            };
            done: boolean;
            prompt_eval_count?: number;
            eval_count?: number;
            model: string;
          }>) {
            if (part.message?.content) {
              content += part.message.content;
              opts.onToken(part.message.content);
            }
            for (const tc of part.message?.tool_calls ?? [])
              toolCalls.push({ name: tc.function.name, arguments: tc.function.arguments ?? {} });
            if (part.done) last = part;
          }
        } else {
          const r = (await c.chat({ ...body, stream: false } as never)) as unknown as {
            message: {
              content: string;
              tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
            };
            prompt_eval_count?: number;
            eval_count?: number;
            model: string;
          };
          content = r.message?.content ?? "";
          for (const tc of r.message?.tool_calls ?? [])
            toolCalls.push({ name: tc.function.name, arguments: tc.function.arguments ?? {} });
          last = r;
        }
        return {
          content,
          toolCalls,
          model: last.model ?? req.model,
          promptTokens: last.prompt_eval_count ?? null,
          outputTokens: last.eval_count ?? null,
          ms: performance.now() - started,
        };
      } catch (e) {
        throw classify(e, "Ollama");
      }
    },
    async embed(model, input, opts = {}) {
      try {
        const r = await client(opts.signal).embed({ model, input });
        if (!Array.isArray(r.embeddings) || r.embeddings.length !== input.length)
          throw new ProviderError("bad_response", "Ollama returned a different number of embeddings");
        return r.embeddings;
      } catch (e) {
        throw classify(e, "Ollama");
      }
    },
    async models(opts = {}) {
      try {
        const r = await client(opts.signal).list();
        return r.models.map((m) => ({
          name: m.name,
          size: m.size ?? null,
          family: m.details?.family ?? null,
          parameterSize: m.details?.parameter_size ?? null,
        }));
      } catch (e) {
        throw classify(e, "Ollama");
      }
    },
    async pull(model, onProgress, opts = {}) {
      try {
        for await (const p of await client(opts.signal).pull({ model, stream: true }))
          onProgress({
            status: p.status,
            ...(p.completed !== undefined ? { completed: p.completed } : {}),
            ...(p.total !== undefined ? { total: p.total } : {}),
          });
      } catch (e) {
        throw classify(e, "Ollama");
      }
    },
  };
}

// ---------------------------------------------------------------- OpenAI-compatible

export function openAiProvider(baseUrl: string, apiKey: string): LlmProvider {
  const base = baseUrl.replace(/\/$/, "").replace(/\/v1$/, "");
  const call = async <T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}/v1${path}`, {
        method,
        signal,
        redirect: "error",
        headers: { authorization: `Bearer ${apiKey}`, ...(body ? { "content-type": "application/json" } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (e) {
      throw classify(e, "The AI service");
    }
    const text = await res.text();
    let json: { error?: { message?: string; code?: string } } & Record<string, unknown> = {};
    try {
      json = JSON.parse(text);
    } catch {
      if (res.ok) throw new ProviderError("bad_response", "The AI service did not answer JSON");
    }
    if (!res.ok) {
      const msg = json.error?.message ?? `HTTP ${res.status}`;
      if (res.status === 404 || json.error?.code === "model_not_found")
        throw new ProviderError("model_not_found", msg, res.status);
      throw new ProviderError(res.status >= 500 || res.status === 429 ? "unreachable" : "rejected", msg, res.status);
    }
    return json as T;
  };
  return {
    kind: "openai",
    async chat(req, opts = {}) {
      const started = performance.now();
      const r = await call<{
        model: string;
        choices: {
          message: {
            content: string | null;
            tool_calls?: { id: string; function: { name: string; arguments: string } }[];
          };
        }[];
        usage?: { prompt_tokens: number; completion_tokens: number };
      }>(
        "POST",
        "/chat/completions",
        {
          model: req.model,
          messages: req.messages.map((m, i) =>
            m.role === "tool"
              ? { role: "tool", content: m.content, tool_call_id: `call_${i}`, name: m.toolName }
              : {
                  role: m.role,
                  content: m.content,
                  ...(m.toolCalls?.length
                    ? {
                        tool_calls: m.toolCalls.map((c, j) => ({
                          id: `call_${i + j + 1}`,
                          type: "function",
                          function: { name: c.name, arguments: JSON.stringify(c.arguments) },
                        })),
                      }
                    : {}),
                },
          ),
          ...(req.tools?.length
            ? {
                tools: req.tools.map((t) => ({
                  type: "function",
                  function: { name: t.name, description: t.description, parameters: t.parameters },
                })),
              }
            : {}),
          ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          ...(req.json ? { response_format: { type: "json_object" } } : {}),
        },
        opts.signal,
      );
      const msg = r.choices?.[0]?.message;
      if (!msg) throw new ProviderError("bad_response", "The AI service answered without a message");
      const toolCalls: ToolCall[] = (msg.tool_calls ?? []).map((c) => {
        try {
          return { name: c.function.name, arguments: JSON.parse(c.function.arguments || "{}") };
        } catch {
          return { name: c.function.name, arguments: {} };
        }
      });
      if (opts.onToken && msg.content) opts.onToken(msg.content);
      return {
        content: msg.content ?? "",
        toolCalls,
        model: r.model ?? req.model,
        promptTokens: r.usage?.prompt_tokens ?? null,
        outputTokens: r.usage?.completion_tokens ?? null,
        ms: performance.now() - started,
      };
    },
    async embed(model, input, opts = {}) {
      const r = await call<{ data: { index: number; embedding: number[] }[] }>(
        "POST",
        "/embeddings",
        { model, input },
        opts.signal,
      );
      const out = [...r.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
      if (out.length !== input.length)
        throw new ProviderError("bad_response", "The AI service returned a different number of embeddings");
      return out;
    },
    async models(opts = {}) {
      const r = await call<{ data: { id: string }[] }>("GET", "/models", undefined, opts.signal);
      return r.data.map((m) => ({ name: m.id, size: null, family: null, parameterSize: null }));
    },
  };
}

// ---------------------------------------------------------------- limits

/**
 * A provider behind limits: at most `concurrency` calls at once (a small machine runs one model at a time), each
 * with a timeout, and transient failures (down, overloaded, timed out) retried with backoff; a missing model or a
 * refused request is not retried.
 */
export function limited(
  p: LlmProvider,
  o: { concurrency: number; timeoutMs: number; retries: number; backoffMs?: number },
): LlmProvider & { readonly active: number; readonly waiting: number } {
  let active = 0;
  const queue: (() => void)[] = [];
  const acquire = () =>
    new Promise<void>((resolve) => {
      if (active < o.concurrency) {
        active++;
        resolve();
      } else
        queue.push(() => {
          active++;
          resolve();
        });
    });
  const release = () => {
    active--;
    queue.shift()?.();
  };
  async function run<T>(fn: (signal: AbortSignal) => Promise<T>, timeoutMs = o.timeoutMs): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await acquire();
      try {
        return await fn(AbortSignal.timeout(timeoutMs));
      } catch (e) {
        const err = e instanceof ProviderError ? e : classify(e, "The AI service");
        if (!err.transient || attempt >= o.retries) throw err;
      } finally {
        release();
      }
      await Bun.sleep((o.backoffMs ?? 500) * 2 ** attempt);
    }
  }
  return {
    kind: p.kind,
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    chat: (req, opts = {}) => run((signal) => p.chat(req, { ...opts, signal })),
    embed: (model, input) => run((signal) => p.embed(model, input, { signal })),
    models: () => run((signal) => p.models({ signal }), Math.min(o.timeoutMs, 10_000)),
    ...(p.pull
      ? {
          pull: (model: string, onProgress: (x: PullProgress) => void) =>
            run((signal) => p.pull!(model, onProgress, { signal }), 6 * 3_600_000),
        }
      : {}),
  };
}
