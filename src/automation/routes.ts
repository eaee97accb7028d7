// HTTP of the automation domain: rules and their run log in API v1, and each webhook-triggered rule's own URL.
import { createHmac, timingSafeEqual } from "node:crypto";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { desc, eq, or } from "drizzle-orm";
import type { Env } from "../app/http.ts";
import { readJson, query } from "../app/http.ts";
import { AppError, notFound } from "../platform/errors.ts";
import { assertAdmin, type Actor } from "../platform/context.ts";
import { open as unseal } from "../platform/secrets.ts";
import type { OpenApiRegistry } from "../integrations/openapi.ts";
import { contacts, conversations } from "../inbox/schema.ts";
import { automationRules } from "./schema.ts";
import { ruleInput, sequenceInput } from "./model.ts";
import * as seq from "./sequences.ts";
import * as flows from "./flows.ts";
import { checkGraph, flowInput } from "./flow-model.ts";
import * as inboxSvc from "../inbox/service.ts";
import * as svc from "./service.ts";
import { automationSettings } from "./engine.ts";
import { surveyOf, surveyResults } from "./csat.ts";
import { installRecipe, installedRecipes, RECIPES } from "./recipes.ts";
import { putSetting } from "../setup/service.ts";

const actorOf = (c: Context<Env>) => c.get("actor") as Actor;

export const settingsInput = z.strictObject({
  maxMessagesPerContactHour: z.number().int().min(1).max(1000),
});

const surveysQuery = z.object({ days: z.coerce.number().int().min(1).max(366).optional() });

export function automationRoutes(registry: OpenApiRegistry) {
  const app = new Hono<Env>();
  const doc = (method: string, path: string, summary: string, extra: { body?: z.ZodType; query?: z.ZodType } = {}) =>
    registry.add({ method, path: `/api/v1${path}`, tag: "Automations", summary, ...extra });

  doc("GET", "/automations", "List the automation rules");
  app.get("/automations", async (c) => c.json({ data: await svc.listRules(c.get("ctx"), actorOf(c)) }));
  doc("POST", "/automations", "Create a rule (a webhook-triggered rule's secret is in this answer only)", {
    body: ruleInput,
  });
  app.post("/automations", async (c) =>
    c.json({ data: await svc.createRule(c.get("ctx"), actorOf(c), await readJson(c, ruleInput)) }, 201),
  );
  doc("GET", "/automations/settings", "Automation limits (automated messages per contact per hour)");
  app.get("/automations/settings", async (c) => {
    assertAdmin(actorOf(c));
    return c.json({ data: await automationSettings(c.get("ctx")) });
  });
  doc("PUT", "/automations/settings", "Change the automation limits", { body: settingsInput });
  app.put("/automations/settings", async (c) => {
    const ctx = c.get("ctx");
    assertAdmin(actorOf(c));
    const s = await readJson(c, settingsInput);
    await ctx.database.write((tx) => putSetting(tx, "automation", s, ctx.clock.now()));
    return c.json({ data: await automationSettings(ctx) });
  });
  doc("GET", "/automations/recipes", "The ready-made automations, and which are installed");
  app.get("/automations/recipes", async (c) => {
    assertAdmin(actorOf(c));
    const installed = await installedRecipes(c.get("ctx"));
    return c.json({ data: RECIPES.map((id) => ({ id, installed: installed.has(id) })) });
  });
  doc(
    "POST",
    "/automations/recipes/:id",
    "Install a ready-made automation: the rules it makes (a second install is refused)",
  );
  app.post("/automations/recipes/:id", async (c) => {
    assertAdmin(actorOf(c));
    const made = await installRecipe(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: made }, 201);
  });
  doc(
    "GET",
    "/surveys",
    "Satisfaction survey (CSAT) results over the last `days` days (30 by default): totals, the 1–5 distribution, per person, per department, the latest answers with their comments. An agent gets the surveys of the conversations they can see.",
    { query: surveysQuery },
  );
  app.get("/surveys", async (c) =>
    c.json({ data: await surveyResults(c.get("ctx"), actorOf(c), query(c, surveysQuery)) }),
  );
  doc(
    "GET",
    "/conversations/:id/survey",
    "A conversation's satisfaction survey: its score and comment (null: none sent)",
  );
  app.get("/conversations/:id/survey", async (c) =>
    c.json({ data: await surveyOf(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc("GET", "/automations/:id", "Get a rule");
  app.get("/automations/:id", async (c) =>
    c.json({ data: svc.ruleView(await svc.getRule(c.get("ctx"), actorOf(c), c.req.param("id"))) }),
  );
  doc("PATCH", "/automations/:id", "Change a rule (enabled: false switches it off and cancels its timers)", {
    body: svc.rulePatch,
  });
  app.patch("/automations/:id", async (c) =>
    c.json({
      data: await svc.updateRule(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, svc.rulePatch)),
    }),
  );
  doc("DELETE", "/automations/:id", "Delete a rule and its pending timers");
  app.delete("/automations/:id", async (c) => {
    await svc.deleteRule(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.body(null, 204);
  });
  const runsQuery = z.object({
    before: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  });
  doc("GET", "/automations/:id/runs", "A rule's run log: the trigger, each condition's outcome, each action", {
    query: runsQuery,
  });
  app.get("/automations/:id/runs", async (c) => {
    const r = await svc.listRuns(c.get("ctx"), actorOf(c), c.req.param("id"), query(c, runsQuery));
    return c.json({ data: r.items, next: r.next });
  });
  doc("GET", "/automations/:id/timers", "What a rule will do later: its pending timers");
  app.get("/automations/:id/timers", async (c) =>
    c.json({ data: await svc.pendingTimers(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );

  // ---- follow-up sequences
  doc("GET", "/sequences", "List the follow-up sequences, with how many contacts are in each");
  app.get("/sequences", async (c) => c.json({ data: await seq.listSequences(c.get("ctx"), actorOf(c)) }));
  doc("POST", "/sequences", "Create a sequence: steps (delay, variations, template), send window, exits", {
    body: sequenceInput,
  });
  app.post("/sequences", async (c) =>
    c.json({ data: await seq.createSequence(c.get("ctx"), actorOf(c), await readJson(c, sequenceInput)) }, 201),
  );
  doc("GET", "/sequences/:id", "Get a sequence with its figures per step");
  app.get("/sequences/:id", async (c) => {
    const ctx = c.get("ctx");
    const s = await seq.getSequence(ctx, actorOf(c), c.req.param("id"));
    return c.json({ data: { ...s, stats: await seq.sequenceStats(ctx, actorOf(c), s.id) } });
  });
  doc("PATCH", "/sequences/:id", "Change a sequence (enabled: false pauses its contacts where they are)", {
    body: seq.sequencePatch,
  });
  app.patch("/sequences/:id", async (c) =>
    c.json({
      data: await seq.updateSequence(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, seq.sequencePatch)),
    }),
  );
  doc("DELETE", "/sequences/:id", "Delete a sequence; its contacts leave it");
  app.delete("/sequences/:id", async (c) => {
    await seq.deleteSequence(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.body(null, 204);
  });
  const enrolmentsQuery = z.object({
    status: z.enum(["active", "completed", "exited", "removed"]).optional(),
    before: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  });
  doc("GET", "/sequences/:id/enrolments", "The contacts in a sequence, newest first", { query: enrolmentsQuery });
  app.get("/sequences/:id/enrolments", async (c) => {
    const r = await seq.listEnrolments(c.get("ctx"), actorOf(c), c.req.param("id"), query(c, enrolmentsQuery));
    return c.json({ data: r.items, next: r.next });
  });
  const enrolBody = z
    .strictObject({
      contactId: z.string().min(1).max(64).optional(),
      conversationId: z.string().min(1).max(64).optional(),
    })
    .refine((b) => b.contactId || b.conversationId, { message: "contactId or conversationId", path: ["contactId"] });
  doc(
    "POST",
    "/sequences/:id/enrolments",
    "Enrol a contact (by conversation: its steps go there; by contact: admin keys only). Already in it: 200",
    { body: enrolBody },
  );
  app.post("/sequences/:id/enrolments", async (c) => {
    const r = await seq.enrol(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, enrolBody), "api");
    return c.json({ data: { ...r.enrolment, already: r.already } }, r.already ? 200 : 201);
  });
  doc(
    "POST",
    "/sequences/:id/enrolments/import",
    "Enrol the contacts of a CSV (body text/csv with a phone, email or id column); lines that match no contact are listed",
  );
  app.post("/sequences/:id/enrolments/import", async (c) =>
    c.json({ data: await seq.enrolCsv(c.get("ctx"), actorOf(c), c.req.param("id"), await c.req.text()) }),
  );
  doc("DELETE", "/sequences/:id/enrolments/:contactId", "Take a contact out of a sequence");
  app.delete("/sequences/:id/enrolments/:contactId", async (c) => {
    const n = await seq.unenrol(c.get("ctx"), actorOf(c), c.req.param("id"), c.req.param("contactId"));
    if (!n) throw notFound("Enrolment");
    return c.body(null, 204);
  });
  // ---- BotBuilder flows
  doc("GET", "/flows", "List the flows, with how many conversations are inside each");
  app.get("/flows", async (c) => c.json({ data: await flows.listFlows(c.get("ctx"), actorOf(c)) }));
  doc("POST", "/flows", "Create a flow (its draft): a graph of nodes; also how an exported flow is imported", {
    body: flowInput,
  });
  app.post("/flows", async (c) =>
    c.json({ data: await flows.createFlow(c.get("ctx"), actorOf(c), await readJson(c, flowInput)) }, 201),
  );
  doc("GET", "/flows/:id", "Get a flow: its draft, its published version, the problems publishing would find");
  app.get("/flows/:id", async (c) => {
    const f = await flows.getFlow(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.json({ data: { ...f, problems: checkGraph(f.draft) } });
  });
  doc("PATCH", "/flows/:id", "Change a flow's draft (conversations keep running the published version)", {
    body: flows.flowPatch,
  });
  app.patch("/flows/:id", async (c) =>
    c.json({
      data: await flows.updateFlow(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, flows.flowPatch)),
    }),
  );
  doc("DELETE", "/flows/:id", "Delete a flow; conversations inside it leave it");
  app.delete("/flows/:id", async (c) => {
    await flows.deleteFlow(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.body(null, 204);
  });
  doc("POST", "/flows/:id/publish", "Publish the draft as the next version, after checking the whole graph");
  app.post("/flows/:id/publish", async (c) =>
    c.json({ data: await flows.publishFlow(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc("POST", "/flows/:id/unpublish", "Stop new conversations starting it (those inside finish)");
  app.post("/flows/:id/unpublish", async (c) => {
    await flows.unpublishFlow(c.get("ctx"), actorOf(c), c.req.param("id"));
    return c.body(null, 204);
  });
  doc("GET", "/flows/:id/versions", "A flow's published versions");
  app.get("/flows/:id/versions", async (c) =>
    c.json({ data: await flows.listVersions(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  doc("GET", "/flows/:id/export", "The flow as JSON (POST it to /flows to import it)");
  app.get("/flows/:id/export", async (c) =>
    c.json({ data: await flows.exportFlow(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  const emulatorBody = z.strictObject({
    text: z.string().max(4000).optional(),
    choiceId: z.string().max(100).optional(),
    published: z.boolean().optional(),
    state: z
      .strictObject({
        nodeId: z.string().max(40).nullable(),
        vars: z.record(z.string().max(40), z.string().max(10_000)),
        tries: z.number().int().min(0).max(10),
        path: z.array(z.string().max(40)).max(200),
        done: z.boolean().optional(),
      })
      .nullable()
      .optional(),
  });
  doc(
    "POST",
    "/flows/:id/emulator",
    "One turn of the test emulator: send no state to start, then the state it answers with and the customer's text",
    { body: emulatorBody },
  );
  app.post("/flows/:id/emulator", async (c) =>
    c.json({
      data: await flows.emulate(c.get("ctx"), actorOf(c), c.req.param("id"), await readJson(c, emulatorBody)),
    }),
  );
  const startBody = z.strictObject({ flowId: z.string().min(1).max(64) });
  doc("POST", "/conversations/:id/flow", "Start a flow's published version on a conversation", { body: startBody });
  app.post("/conversations/:id/flow", async (c) => {
    const { flowId } = await readJson(c, startBody);
    return c.json({ data: await flows.startFlow(c.get("ctx"), actorOf(c), c.req.param("id"), flowId) }, 201);
  });
  doc("DELETE", "/conversations/:id/flow", "End the flow a conversation is in");
  app.delete("/conversations/:id/flow", async (c) => {
    const ctx = c.get("ctx");
    await inboxSvc.getConversation(ctx, actorOf(c), c.req.param("id"));
    if (!(await flows.stopFlow(ctx, c.req.param("id"), "stopped"))) throw notFound("Flow session");
    return c.body(null, 204);
  });
  doc("GET", "/contacts/:id/sequences", "A contact's sequences and each step as it went");
  app.get("/contacts/:id/sequences", async (c) =>
    c.json({ data: await seq.contactSequences(c.get("ctx"), actorOf(c), c.req.param("id")) }),
  );
  return app;
}

const hookBody = z.object({
  contact: z
    .object({
      id: z.string().max(64).optional(),
      phone: z.string().max(40).optional(),
      email: z.string().max(200).optional(),
    })
    .optional(),
  data: z.record(z.string().max(64), z.unknown()).optional(),
});

/**
 * POST /hooks/automations/:id: another system starts a webhook-triggered rule. The body is signed with the rule's
 * secret (X-DigyBot-Signature: sha256=<HMAC-SHA256 of the raw body, hex>); the event is committed before the 202.
 */
export function automationHooks() {
  const app = new Hono<Env>();
  app.post("/:id", async (c) => {
    const ctx = c.get("ctx");
    const rule = await ctx.db
      .select()
      .from(automationRules)
      .where(eq(automationRules.id, c.req.param("id")))
      .get();
    if (rule?.trigger.type !== "webhook" || !rule.webhookSecret) throw notFound("Automation");
    const raw = await c.req.text();
    const sent = (c.req.header("x-digybot-signature") ?? "").replace(/^sha256=/, "");
    const want = createHmac("sha256", unseal(rule.webhookSecret)).update(raw).digest("hex");
    if (sent.length !== want.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(want)))
      throw new AppError(401, "bad_signature", "The X-DigyBot-Signature header does not match the body");
    let body: z.output<typeof hookBody>;
    try {
      const p = hookBody.safeParse(raw ? JSON.parse(raw) : {});
      if (!p.success) throw new AppError(400, "validation_failed", "Invalid body", { issues: p.error.issues });
      body = p.data;
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError(400, "invalid_json", "The body is not JSON");
    }
    const k = body.contact;
    const contact = k
      ? await ctx.db
          .select({ id: contacts.id })
          .from(contacts)
          .where(
            or(
              k.id ? eq(contacts.id, k.id) : undefined,
              k.phone ? eq(contacts.phone, k.phone) : undefined,
              k.email ? eq(contacts.email, k.email.toLowerCase()) : undefined,
            ),
          )
          .get()
      : undefined;
    const conv = contact
      ? await ctx.db
          .select({ id: conversations.id })
          .from(conversations)
          .where(eq(conversations.contactId, contact.id))
          .orderBy(desc(conversations.lastMessageAt))
          .limit(1)
          .get()
      : undefined;
    const ev = await ctx.database.write((tx, after) =>
      ctx.events.record(tx, after, {
        type: "automation.webhook_received",
        conversationId: conv?.id ?? null,
        actor: { type: "system", id: "webhook" },
        data: {
          ruleId: rule.id,
          contactId: contact?.id ?? null,
          conversationId: conv?.id ?? null,
          data: body.data ?? {},
        },
        at: ctx.clock.now(),
      }),
    );
    return c.json({ data: { accepted: true, event: ev.seq, contactId: contact?.id ?? null } }, 202);
  });
  return app;
}
