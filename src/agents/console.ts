import { z } from "zod";
import { AppError } from "../platform/errors.ts";
import { formBody } from "../app/http.ts";
import { renderFragment, html } from "../../ui/components/html.ts";
import { AiSettings, type AiTestView, PullProgressView, pullFailure } from "../../ui/pages/agents/ai.ts";
import * as AG from "../../ui/pages/agents/agents.ts";
import * as auth from "../auth/service.ts";
import * as channels from "../channels/service.ts";
import * as ai from "./settings.ts";
import * as agentsSvc from "./service.ts";
import * as kb from "./knowledge.ts";
import { runTurn } from "./runner.ts";
import { TOOL_NAMES } from "./tools.ts";
import { turnView } from "./routes.ts";
import {
  type ConsoleModule,
  type C,
  user,
  T,
  csrf,
  pid,
  str,
  arr,
  adminOnly,
  settingsPage,
  act,
  refused,
} from "../app/console.ts";

/** The AI settings: the model server and its downloads, the agents and their playground, the knowledge base. */
export const agentsConsole: ConsoleModule = (app) => {
  const aiView = async (c: C, test?: AiTestView) =>
    AiSettings({
      t: T(c),
      csrf: csrf(c),
      s: ai.publicAiSettings(await ai.getAiSettings(c.get("ctx"))),
      defaultOllama: c.get("ctx").config.ollama_url,
      test,
      pulls: ai.pullStatus(c.get("ctx")),
    });
  app.get("/settings/ai", async (c) => {
    const pulling = c.req.query("pulling");
    return settingsPage(
      c,
      "ai",
      await aiView(c),
      undefined,
      pulling ? T(c)("ai.pullStarted", { model: pulling.slice(0, 200) }) : undefined,
    );
  });
  app.post(
    "/settings/ai",
    act("ai", aiView, (c, f) =>
      ai.saveAiSettings(c.get("ctx"), user(c), {
        provider: str(f.provider) === "openai" ? "openai" : "ollama",
        ollamaUrl: str(f.ollamaUrl),
        openaiUrl: str(f.openaiUrl) || undefined,
        openaiKey: str(f.openaiKey),
        chatModel: str(f.chatModel),
        embedModel: str(f.embedModel),
        concurrency: Number(str(f.concurrency)) || 1,
        timeoutMs: (Number(str(f.timeoutS)) || 60) * 1000,
        shareContactData: str(f.shareContactData) === "1",
      }),
    ),
  );
  app.post("/settings/ai/test", async (c) =>
    settingsPage(c, "ai", await aiView(c, await ai.testAi(c.get("ctx"), user(c)))),
  );
  // A download runs in the background; a failure that comes at once (an unknown model, no server) is shown at once,
  // never "Guardado." (issue #10), and a later one in the progress list, each in the owner's words.
  app.post("/settings/ai/pull", async (c) => {
    const f = await formBody(c);
    const t = T(c);
    let state: Awaited<ReturnType<typeof ai.startPull>>;
    try {
      state = await ai.startPull(c.get("ctx"), user(c), str(f.model));
    } catch (e) {
      return refused(c, "ai", aiView, e);
    }
    for (let i = 0; i < 40 && !state.done; i++) await Bun.sleep(50);
    if (state.error) {
      return settingsPage(c, "ai", await aiView(c), pullFailure(t, state), undefined, 502);
    }
    return c.redirect(`/settings/ai?pulling=${encodeURIComponent(state.model)}`);
  });
  app.get("/partials/ai-pulls", async (c) => {
    adminOnly(c);
    return c.html(renderFragment(PullProgressView({ t: T(c), pulls: ai.pullStatus(c.get("ctx")) })));
  });

  // ---- AI agents and their playground
  const channelOpts = async (c: C) =>
    (await channels.listChannels(c.get("ctx"))).map((ch) => ({ id: ch.id, name: ch.name }));
  const deptOpts = async (c: C) => (await auth.listDepartments(c.get("ctx"))).map((d) => ({ id: d.id, name: d.name }));
  const agentsView = async (c: C) =>
    AG.AgentsList({
      t: T(c),
      csrf: csrf(c),
      agents: await agentsSvc.listAgents(c.get("ctx")),
      channels: await channelOpts(c),
    });
  const agentOr404 = async (c: C) => {
    const a = await agentsSvc.getAgent(c.get("ctx"), pid(c));
    if (!a) throw new AppError(404, "not_found", "Agent not found");
    return a;
  };
  const agentView = async (c: C, play?: { history: AG.PlayTurn[]; detail?: AG.PlayDetail }) => {
    const a = await agentOr404(c);
    return html`${AG.AgentForm({ t: T(c), csrf: csrf(c), a, channels: await channelOpts(c), departments: await deptOpts(c), tools: [...TOOL_NAMES] })}${AG.Playground({ t: T(c), csrf: csrf(c), agentId: a.id, history: play?.history ?? [], detail: play?.detail })}`;
  };
  app.get("/settings/agents", async (c) => settingsPage(c, "agents", await agentsView(c)));
  app.post("/settings/agents", async (c) => {
    const f = await formBody(c, { all: true });
    try {
      const a = await agentsSvc.createAgent(c.get("ctx"), user(c), {
        name: str(f.name),
        channelIds: arr(f.channelIds),
      });
      return c.redirect(`/settings/agents/${a.id}`);
    } catch (e) {
      return refused(c, "agents", agentsView, e);
    }
  });
  app.get("/settings/agents/:id", async (c) => settingsPage(c, "agents", await agentView(c)));
  app.post("/settings/agents/:id", async (c) => {
    const f = await formBody(c, { all: true });
    try {
      await agentsSvc.updateAgent(c.get("ctx"), user(c), pid(c), {
        name: str(f.name),
        persona: str(f.persona),
        tone: str(f.tone) as "friendly",
        instructions: str(f.instructions),
        language: str(f.language) as "auto",
        channelIds: arr(f.channelIds),
        departmentIds: arr(f.departmentIds),
        tools: arr(f.tools),
        handoff: {
          keywords: str(f.keywords)
            .split(",")
            .map((k) => k.trim())
            .filter(Boolean),
          maxBotReplies: Number(str(f.maxBotReplies)) || 0,
          onNegativeSentiment: str(f.onNegativeSentiment) === "1",
          departmentId: str(f.handoffDepartmentId) || null,
          message: str(f.handoffMessage),
          idleResolveHours: str(f.idleResolveHours).trim() === "" ? 12 : Number(str(f.idleResolveHours)),
        },
        burstMs: Math.round((Number(str(f.burstS)) || 0) * 1000),
        useModel: str(f.useModel) === "1",
        active: str(f.active) === "1",
      });
      return c.redirect(`/settings/agents/${pid(c)}?saved=1`);
    } catch (e) {
      return refused(c, "agents", agentView, e);
    }
  });
  app.post(
    "/settings/agents/:id/delete",
    act("agents", agentsView, (c) => agentsSvc.deleteAgent(c.get("ctx"), user(c), pid(c))),
  );
  app.post("/settings/agents/:id/playground", async (c) => {
    const f = await formBody(c);
    const a = await agentOr404(c);
    let history: AG.PlayTurn[] = [];
    try {
      history = z
        .array(z.object({ role: z.enum(["customer", "bot", "agent"]), text: z.string().max(4000) }))
        .max(40)
        .parse(JSON.parse(str(f.history) || "[]"));
    } catch {
      history = [];
    }
    const message = str(f.message).trim().slice(0, 4000);
    if (!message) return settingsPage(c, "agents", await agentView(c, { history }));
    const r = await runTurn(c.get("ctx"), {
      agent: a,
      conversationId: null,
      contactId: null,
      history,
      customerText: message,
      botReplies: history.filter((m) => m.role === "bot").length,
      dryRun: true,
    });
    const next: AG.PlayTurn[] = [
      ...history,
      { role: "customer" as const, text: message },
      ...(r.reply ? [{ role: "bot" as const, text: r.reply }] : []),
    ].slice(-40);
    return settingsPage(c, "agents", await agentView(c, { history: next, detail: turnView(r) }));
  });

  // ---- knowledge base
  const kbView = async (c: C) =>
    AG.KnowledgeSettings({
      t: T(c),
      csrf: csrf(c),
      sources: await kb.listSources(c.get("ctx")),
      index: await kb.indexStatus(c.get("ctx")),
    });
  app.get("/settings/knowledge", async (c) => settingsPage(c, "knowledge", await kbView(c)));
  app.post(
    "/settings/knowledge/file",
    act("knowledge", kbView, async (c, f) => {
      if (!(f.file instanceof File) || !f.file.size)
        throw new AppError(400, "file_required", "Choose a file", { field: "file" });
      return kb.addUploadedDocument(c.get("ctx"), user(c), f.file, str(f.title).trim() || undefined);
    }),
  );
  app.post(
    "/settings/knowledge/faq",
    act("knowledge", kbView, (c, f) => {
      const faq = str(f.faq)
        .replace(/\r\n?/g, "\n")
        .split(/\n\s*\n/)
        .map((b) => b.trim().split("\n"))
        .filter((l) => l.length >= 2)
        .map(([q, ...a]) => ({ question: q.trim(), answer: a.join("\n").trim() }));
      return kb.addSource(c.get("ctx"), user(c), { title: str(f.title).trim() || undefined, faq });
    }),
  );
  app.post(
    "/settings/knowledge/text",
    act("knowledge", kbView, (c, f) =>
      kb.addSource(
        c.get("ctx"),
        user(c),
        str(f.url).trim()
          ? { url: str(f.url).trim(), ...(str(f.title).trim() ? { title: str(f.title).trim() } : {}) }
          : { text: str(f.text), ...(str(f.title).trim() ? { title: str(f.title).trim() } : {}) },
      ),
    ),
  );
  app.post(
    "/settings/knowledge/:id/delete",
    act("knowledge", kbView, (c) => kb.deleteSource(c.get("ctx"), user(c), pid(c))),
  );
  app.post(
    "/settings/knowledge/reindex",
    act("knowledge", kbView, (c) => kb.reindex(c.get("ctx"), user(c))),
  );
  app.get("/partials/kb-index", async (c) => {
    adminOnly(c);
    return c.html(renderFragment(AG.IndexProgress({ t: T(c), index: await kb.indexStatus(c.get("ctx")) })));
  });
};
