// Protocol doubles on 127.0.0.1 for an Ollama server (/api/chat streaming NDJSON and not, tools and tool_calls,
// /api/embed, /api/tags, /api/pull with progress, model-not-found 404) and for an OpenAI-compatible service
// (/v1/chat/completions, /v1/embeddings, /v1/models). Tests script the model's replies turn by turn.
export type ScriptedReply = {
  content?: string;
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  delayMs?: number;
  status?: number;
  error?: string;
};

/** A deterministic embedding: each word adds to a few of 64 dimensions (same words, close vectors). */
export function fakeEmbedding(text: string, dims = 64) {
  const v = new Array(dims).fill(0);
  for (const w of text
    .toLowerCase()
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .split(/[^a-z0-9]+/)
    .filter(Boolean)) {
    let h = 2166136261;
    for (const ch of w) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    v[Math.abs(h) % dims] += 1;
    v[Math.abs(h >> 8) % dims] += 0.5;
  }
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

/** `respond` answers a chat request when the script is empty (a model that answers from what it is sent). */
export function startOllamaDouble(
  opts: { models?: string[]; respond?: (body: Record<string, any>) => ScriptedReply; embedDims?: number } = {},
) {
  const models = new Set(opts.models ?? ["llama3.2:latest", "nomic-embed-text:latest"]);
  const script: ScriptedReply[] = [];
  const requests: Record<string, any>[] = [];
  let concurrent = 0,
    maxConcurrent = 0;
  const notFound = (m: string) =>
    Response.json({ error: `model "${m}" not found, try pulling it first` }, { status: 404 });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 60,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === "GET" && url.pathname === "/api/tags") {
        return Response.json({
          models: [...models].map((name) => ({
            name,
            model: name,
            modified_at: "2025-05-04T17:37:44.706015396-07:00",
            size: 2019393189,
            digest: "a80c4f17",
            details: {
              parent_model: "",
              format: "gguf",
              family: name.split(/[:\d]/)[0],
              families: ["llama"],
              parameter_size: "3.2B",
              quantization_level: "Q4_K_M",
            },
          })),
        });
      }
      const body = (await req.json().catch(() => ({}))) as Record<string, any>;
      requests.push({ path: url.pathname, ...body });
      if (url.pathname === "/api/embed") {
        if (!models.has(body.model) && !models.has(`${body.model}:latest`)) return notFound(body.model);
        const input = Array.isArray(body.input) ? body.input : [body.input];
        return Response.json({
          model: body.model,
          embeddings: input.map((x: string) => fakeEmbedding(x, opts.embedDims)),
          total_duration: 14143917,
          load_duration: 1019500,
          prompt_eval_count: 8,
        });
      }
      if (url.pathname === "/api/pull") {
        const steps = [
          { status: "pulling manifest" },
          { status: "pulling 6a0746a1ec1a", digest: "6a0746a1ec1a", total: 2019377376, completed: 0 },
          { status: "pulling 6a0746a1ec1a", digest: "6a0746a1ec1a", total: 2019377376, completed: 1009688688 },
          { status: "pulling 6a0746a1ec1a", digest: "6a0746a1ec1a", total: 2019377376, completed: 2019377376 },
          { status: "verifying sha256 digest" },
          { status: "writing manifest" },
          { status: "success" },
        ];
        const name = String(body.model ?? body.name); // clients send "model" (older ones "name"); Ollama takes both
        // a name the library does not have: Ollama streams the manifest step, then an error line
        if (name.startsWith("no-such"))
          return new Response(
            `${JSON.stringify({ status: "pulling manifest" })}\n${JSON.stringify({ error: "pull model manifest: file does not exist" })}\n`,
            { headers: { "content-type": "application/x-ndjson" } },
          );
        models.add(name.includes(":") ? name : `${name}:latest`);
        return new Response(`${steps.map((s) => JSON.stringify(s)).join("\n")}\n`, {
          headers: { "content-type": "application/x-ndjson" },
        });
      }
      if (url.pathname === "/api/chat") {
        if (!models.has(body.model) && !models.has(`${body.model}:latest`)) return notFound(body.model);
        const r = script.shift() ?? opts.respond?.(body) ?? { content: "" };
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        try {
          if (r.delayMs) await Bun.sleep(r.delayMs);
          if (r.status) return Response.json({ error: r.error ?? "boom" }, { status: r.status });
          const message = {
            role: "assistant",
            content: r.content ?? "",
            ...(r.toolCalls
              ? { tool_calls: r.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) }
              : {}),
          };
          const final = {
            model: body.model,
            created_at: new Date().toISOString(),
            done_reason: "stop",
            done: true,
            total_duration: 182242375,
            load_duration: 41295167,
            prompt_eval_count: 169,
            prompt_eval_duration: 24573166,
            eval_count: 15,
            eval_duration: 115959084,
          };
          if (body.stream === false) return Response.json({ ...final, message });
          // streaming: the words one by one, the tool calls in their own chunk, then the final object
          const chunks: Record<string, unknown>[] = (message.content.match(/\S+\s*/g) ?? []).map((w) => ({
            model: body.model,
            created_at: new Date().toISOString(),
            message: { role: "assistant", content: w },
            done: false,
          }));
          if (r.toolCalls)
            chunks.push({
              model: body.model,
              created_at: new Date().toISOString(),
              message: { role: "assistant", content: "", tool_calls: message.tool_calls },
              done: false,
            });
          chunks.push({ ...final, message: { role: "assistant", content: "" } });
          return new Response(`${chunks.map((c) => JSON.stringify(c)).join("\n")}\n`, {
            headers: { "content-type": "application/x-ndjson" },
          });
        } finally {
          concurrent--;
        }
      }
      return Response.json({ error: "not found" }, { status: 404 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    script,
    requests,
    models,
    get maxConcurrent() {
      return maxConcurrent;
    },
    stop: () => server.stop(true),
  };
}

export function startOpenAiDouble(opts: { apiKey: string; models?: string[] }) {
  const script: ScriptedReply[] = [];
  const requests: Record<string, any>[] = [];
  const models = opts.models ?? ["gpt-4o-mini", "text-embedding-3-small"];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.headers.get("authorization") !== `Bearer ${opts.apiKey}`)
        return Response.json(
          { error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } },
          { status: 401 },
        );
      if (req.method === "GET" && url.pathname === "/v1/models")
        return Response.json({
          object: "list",
          data: models.map((id) => ({ id, object: "model", created: 1700000000, owned_by: "system" })),
        });
      const body = (await req.json()) as Record<string, any>;
      requests.push({ path: url.pathname, ...body });
      if (!models.includes(body.model))
        return Response.json(
          {
            error: {
              message: `The model \`${body.model}\` does not exist`,
              type: "invalid_request_error",
              code: "model_not_found",
            },
          },
          { status: 404 },
        );
      if (url.pathname === "/v1/embeddings") {
        const input = Array.isArray(body.input) ? body.input : [body.input];
        return Response.json({
          object: "list",
          data: input.map((x: string, index: number) => ({ object: "embedding", index, embedding: fakeEmbedding(x) })),
          model: body.model,
          usage: { prompt_tokens: 8, total_tokens: 8 },
        });
      }
      if (url.pathname === "/v1/chat/completions") {
        const r = script.shift() ?? { content: "" };
        if (r.status)
          return Response.json({ error: { message: r.error ?? "boom", type: "server_error" } }, { status: r.status });
        return Response.json({
          id: "chatcmpl-1",
          object: "chat.completion",
          created: 1700000000,
          model: body.model,
          choices: [
            {
              index: 0,
              finish_reason: r.toolCalls ? "tool_calls" : "stop",
              message: {
                role: "assistant",
                content: r.toolCalls ? null : (r.content ?? ""),
                ...(r.toolCalls
                  ? {
                      tool_calls: r.toolCalls.map((c, i) => ({
                        id: `call_${i}`,
                        type: "function",
                        function: { name: c.name, arguments: JSON.stringify(c.arguments) },
                      })),
                    }
                  : {}),
              },
            },
          ],
          usage: { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 },
        });
      }
      return Response.json({ error: { message: "not found" } }, { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, script, requests, stop: () => server.stop(true) };
}
