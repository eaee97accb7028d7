// HTTP API of the agents domain: agents and their playground, the knowledge base, the copilot.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { Env } from "../app/http.ts";
import { readJson, formBody } from "../app/http.ts";
import { AppError, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor } from "../platform/context.ts";
import type { OpenApiRegistry } from "../integrations/openapi.ts";
import * as agents from "./service.ts";
import * as kb from "./knowledge.ts";
import * as copilot from "./copilot.ts";
import { runTurn, type TurnResult } from "./runner.ts";
import { getConversation } from "../inbox/service.ts";

const actorOf = (c: Context<Env>) => c.get("actor") as Actor;
const adminOnly = (c: Context<Env>) => {
  assertAdmin(actorOf(c));
};

export const playgroundInput = z.strictObject({
  message: z.string().trim().min(1).max(4000),
  history: z
    .array(z.strictObject({ role: z.enum(["customer", "agent", "bot"]), text: z.string().max(4000) }))
    .max(40)
    .default([]),
});

/** What the playground and the evaluation show of a turn (the passages trimmed). */
export function turnView(r: TurnResult) {
  return {
    ...r,
    retrieved: r.retrieved.map((h) => ({
      sourceTitle: h.sourceTitle,
      heading: h.heading,
      text: h.text.slice(0, 300),
      keyword: h.keyword,
      similarity: h.similarity,
      score: h.score,
    })),
  };
}

export function agentRoutes(registry: OpenApiRegistry) {
  const app = new Hono<Env>();
  const doc = (
    method: string,
    path: string,
    tag: string,
    summary: string,
    extra: { body?: z.ZodType; query?: z.ZodType } = {},
  ) => registry.add({ method, path: `/api/v1${path}`, tag, summary, ...extra });

  doc("GET", "/agents", "AI agents", "List the AI agents");
  app.get("/agents", async (c) => {
    adminOnly(c);
    return c.json({ data: await agents.listAgents(c.get("ctx")) });
  });
  doc("POST", "/agents", "AI agents", "Create an AI agent", { body: agents.agentInput });
  app.post("/agents", async (c) =>
    c.json({ data: await agents.createAgent(c.get("ctx"), actorOf(c), await readJson(c, agents.agentInput)) }, 201),
  );
  doc("GET", "/agents/:id", "AI agents", "Get an AI agent");
  app.get("/agents/:id", async (c) => {
    adminOnly(c);
    const a = await agents.getAgent(c.get("ctx"), c.req.param("id"));
    if (!a) throw notFound("Agent");
    return c.json({ data: a });
  });
  doc("PATCH", "/agents/:id", "AI agents", "Change an AI agent (pausing it gives its conversations to people)", {
    body: agents.agentPatch,
  });
  app.patch("/agents/:id", async (c) =>
    c.json({
      data: await agents.updateAgent(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, agents.agentPatch)),
    }),
  );
  doc("DELETE", "/agents/:id", "AI agents", "Delete an AI agent (its conversations go to people)");
  app.delete("/agents/:id", async (c) => {
    await agents.deleteAgent(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  doc(
    "POST",
    "/agents/:id/playground",
    "AI agents",
    "Try the agent without a channel: its reply, the passages it found and the tools it called (nothing is written)",
    { body: playgroundInput },
  );
  app.post("/agents/:id/playground", async (c) => {
    adminOnly(c);
    const a = await agents.getAgent(c.get("ctx"), c.req.param("id"));
    if (!a) throw notFound("Agent");
    const b = await readJson(c, playgroundInput);
    const r = await runTurn(c.get("ctx"), {
      agent: a,
      conversationId: null,
      contactId: null,
      history: b.history,
      customerText: b.message,
      botReplies: b.history.filter((m) => m.role === "bot").length,
      dryRun: true,
    });
    return c.json({ data: turnView(r) });
  });

  doc("GET", "/knowledge/sources", "Knowledge base", "The documents of the knowledge base, with indexing progress");
  app.get("/knowledge/sources", async (c) => {
    adminOnly(c);
    return c.json({ data: await kb.listSources(c.get("ctx")), index: await kb.indexStatus(c.get("ctx")) });
  });
  doc(
    "POST",
    "/knowledge/sources",
    "Knowledge base",
    "Add a document: text, a web page (url), an uploaded file (fileId: PDF, DOCX, TXT, Markdown, CSV) or FAQ pairs",
    { body: kb.sourceInput },
  );
  app.post("/knowledge/sources", async (c) =>
    c.json({ data: await kb.addSource(c.get("ctx"), actorOf(c), await readJson(c, kb.sourceInput)) }, 201),
  );
  doc(
    "POST",
    "/knowledge/files",
    "Knowledge base",
    "Upload a document (multipart field file: PDF, DOCX, TXT, Markdown or CSV; optional field title) and add it",
  );
  app.post("/knowledge/files", async (c) => {
    adminOnly(c);
    const ctx = c.get("ctx");
    const form = await formBody(c);
    if (!(form.file instanceof File))
      throw new AppError(400, "file_required", "Send the file in a multipart field named file", { field: "file" });
    const title = typeof form.title === "string" && form.title.trim() ? form.title.trim() : undefined;
    return c.json({ data: await kb.addUploadedDocument(ctx, actorOf(c), form.file, title) }, 201);
  });
  doc("GET", "/knowledge/sources/:id", "Knowledge base", "A document and its passages");
  app.get("/knowledge/sources/:id", async (c) => {
    adminOnly(c);
    const s = await kb.getSource(c.get("ctx"), c.req.param("id"));
    if (!s) throw notFound("Source");
    return c.json({ data: { ...s, passages: await kb.sourcePassages(c.get("ctx"), s.id) } });
  });
  doc("DELETE", "/knowledge/sources/:id", "Knowledge base", "Remove a document from the knowledge base");
  app.delete("/knowledge/sources/:id", async (c) => {
    await kb.deleteSource(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ok: true } });
  });
  doc(
    "POST",
    "/knowledge/reindex",
    "Knowledge base",
    "Make every passage's vector again in the background (after changing the embedding model)",
  );
  app.post("/knowledge/reindex", async (c) => c.json({ data: await kb.reindex(c.get("ctx"), actorOf(c)) }, 202));
  const searchQuery = z.strictObject({ q: z.string().trim().min(1).max(500) });
  doc(
    "POST",
    "/knowledge/search",
    "Knowledge base",
    "What retrieval finds for a question (passages, scores, a matching FAQ)",
    { body: searchQuery },
  );
  app.post("/knowledge/search", async (c) => {
    adminOnly(c);
    const r = await kb.retrieve(c.get("ctx"), (await readJson(c, searchQuery)).q, { k: 8 });
    return c.json({ data: r });
  });

  doc(
    "POST",
    "/conversations/:id/copilot/suggestions",
    "Copilot",
    "Replies the agent could send (from the knowledge base and the conversation)",
  );
  app.post("/conversations/:id/copilot/suggestions", async (c) =>
    c.json({ data: await copilot.suggestReplies(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc("POST", "/conversations/:id/copilot/summary", "Copilot", "A short summary of the conversation");
  app.post("/conversations/:id/copilot/summary", async (c) => {
    const ctx = c.get("ctx");
    await getConversation(ctx, actorOf(c), c.req.param("id"));
    const a = actorOf(c);
    return c.json({ data: await copilot.summarize(ctx, c.req.param("id"), a.kind === "user" ? a.locale : undefined) });
  });
  const rewriteBody = z.strictObject({
    text: z.string().trim().min(1).max(4000),
    style: z.enum(copilot.REWRITE_STYLES),
    language: z.enum(["es", "en"]).default("en"),
  });
  doc("POST", "/copilot/rewrite", "Copilot", "Rewrite a draft (formal, friendly, shorter) or translate it", {
    body: rewriteBody,
  });
  app.post("/copilot/rewrite", async (c) => {
    const b = await readJson(c, rewriteBody);
    return c.json({ data: await copilot.rewrite(c.get("ctx"), b.text, b.style, b.language) });
  });
  return app;
}
