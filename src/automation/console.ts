// The console's Automatizaciones: the list with on/off and recipes, the rule editor, each rule's run log.
import { approvedTemplates } from "../channels/whatsapp-cloud/service.ts";
import { listItems } from "../library/service.ts";
import { z } from "zod";
import * as UI from "../../ui/pages/automation/automation.ts";
import { SurveysPage, SURVEY_PERIODS } from "../../ui/pages/automation/surveys.ts";
import { surveyResults } from "./csat.ts";
import { AppError } from "../platform/errors.ts";
import { formBody } from "../app/http.ts";
import * as auth from "../auth/service.ts";
import * as inbox from "../inbox/service.ts";
import * as channels from "../channels/service.ts";
import { listAgents } from "../agents/service.ts";
import {
  type ConsoleModule,
  type C,
  type Form,
  user,
  T,
  csrf,
  pid,
  str,
  arr,
  settingsPage,
  errText,
  statusOf,
  publicUrl,
} from "../app/console.ts";
import * as svc from "./service.ts";
import { listSequences } from "./sequences.ts";
import { listFlows } from "./flows.ts";
import { installRecipe, installedRecipes, RECIPES } from "./recipes.ts";

/** The form's rows as a rule: what the editor sent, whether or not it is valid (a refused save shows it again). */
export function draftOf(f: Form, id?: string): UI.Draft {
  const type = str(f.t_type) || "message_received";
  const num = (v: unknown) => (str(v).trim() ? Number(str(v)) : undefined);
  const list = (v: unknown) =>
    str(v)
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const trigger: UI.Draft["trigger"] = { type };
  if (type === "message_received") {
    trigger.keywords = list(f.t_keywords);
    if (str(f.t_first)) trigger.first = true;
  }
  if (["customer_silent", "no_agent_reply", "appointment_upcoming", "order_unpaid"].includes(type))
    trigger.minutes = num(f.t_minutes);
  if (type === "contact_returned") trigger.hours = num(f.t_hours);
  if (type === "tag_added" || type === "tag_removed") trigger.tagIds = str(f.t_tag) ? [str(f.t_tag)] : [];
  if (type === "schedule") trigger.cron = str(f.t_cron).trim();
  const [fields, ops, values] = [arr(f.c_field), arr(f.c_op), arr(f.c_value)];
  const items = fields.map((field, i) => {
    const op = ops[i] ?? "eq";
    const raw = (values[i] ?? "").trim();
    const value =
      op === "exists" || op === "not_exists"
        ? undefined
        : op === "in" || op === "not_in"
          ? list(raw)
          : raw === "true" || raw === "false"
            ? raw === "true"
            : raw !== "" && (op === "gt" || op === "lt" || field === "time.hour") && !Number.isNaN(Number(raw))
              ? Number(raw)
              : raw;
    return { field, op, ...(value !== undefined ? { value } : {}) };
  });
  const [types, texts, refs] = [arr(f.a_type), arr(f.a_text), arr(f.a_ref)];
  // a message's template for when the 24-hour window has closed: every row has these fields, in step with a_type
  const [tpls, tplps, tplhs] = [arr(f.a_tpl), arr(f.a_tplp), arr(f.a_tplh)];
  const templateOf = (i: number) => {
    const [name, language] = (tpls[i] ?? "").split("|");
    if (!name || !language) return {};
    const params = list(tplps[i] ?? "");
    return { template: { name, language, params, ...(tplhs[i] ? { header: tplhs[i] } : {}) } };
  };
  const actions = types.map((type, i) => {
    const text = (texts[i] ?? "").trim();
    const ref = refs[i] ?? "";
    switch (type) {
      case "send_message":
        return { type, body: text, ...(ref ? { media: [ref] } : {}), ...templateOf(i) };
      case "add_note":
        return { type, body: text };
      case "snooze":
      case "wait":
        return { type, minutes: num(text) };
      case "assign_user":
        return { type, userId: ref };
      case "assign_department":
        return { type, departmentId: ref };
      case "from_agent":
        return { type, ...(ref ? { departmentId: ref } : {}) };
      case "add_tag":
      case "remove_tag":
        return { type, tagId: ref };
      case "set_priority":
        return { type, priority: ref };
      case "set_status":
        return { type, status: ref };
      case "to_agent":
        return { type, agentId: ref };
      case "enrol_sequence":
      case "unenrol_sequence":
        return { type, sequenceId: ref };
      case "start_flow":
        return { type, flowId: ref };
      case "notify":
        return {
          type,
          message: text,
          userIds: ref.startsWith("user:") ? [ref.slice(5)] : [],
          ...(ref.startsWith("department:") ? { departmentId: ref.slice(11) } : {}),
        };
      case "create_ticket":
        return { type, subject: text };
      case "set_contact":
        return { type, field: ref || "name", value: text };
      case "webhook":
        return { type, url: text };
      case "send_survey":
        return { type, ...(text ? { question: text } : {}) };
      default:
        return { type };
    }
  });
  return {
    id,
    name: str(f.name).trim(),
    enabled: !!str(f.enabled),
    trigger,
    conditions: { match: str(f.match) === "any" ? "any" : "all", items },
    actions,
    tooLateMinutes: num(f.tooLateMinutes) ?? null,
  };
}

/** Where a refusal points, in the person's words: "Acción 2", "Condición 1", "Cuándo". */
function whereText(t: ReturnType<typeof T>, path: string | undefined) {
  if (!path) return "";
  const a = /^actions\.(\d+)/.exec(path);
  if (a) return t("auto.where.action", { n: String(Number(a[1]) + 1) });
  const c = /^conditions\.items\.(\d+)/.exec(path);
  if (c) return t("auto.where.condition", { n: String(Number(c[1]) + 1) });
  if (path.startsWith("trigger")) return t("auto.when");
  if (path === "name") return t("common.name");
  return path;
}

/**
 * A refused save in the person's words, pointing where: "(Acción 2)" for a rule, "(Paso 2)" for a sequence.
 * `where` turns the field's path into those words ("" when it has none).
 */
export function refusalText(c: C, e: unknown, where: (t: ReturnType<typeof T>, path: string) => string) {
  const t = T(c);
  if (e instanceof z.ZodError) {
    const i = e.issues[0];
    return `${t("errors.validation_failed")} (${where(t, i.path.join(".")) || i.message})`;
  }
  const field =
    e instanceof AppError && e.details && typeof e.details === "object" && "field" in e.details
      ? String((e.details as { field: unknown }).field)
      : undefined;
  return `${errText(e, t)}${field ? ` (${where(t, field)})` : ""}`;
}
const refusal = (c: C, e: unknown) => refusalText(c, e, whereText);

export const automationConsole: ConsoleModule = (app) => {
  const refsOf = async (c: C): Promise<UI.Refs> => {
    const ctx = c.get("ctx");
    const [u, d, g, ch, ag, sq, fl] = await Promise.all([
      auth.listUsers(ctx),
      auth.listDepartments(ctx),
      inbox.listTags(ctx),
      channels.listChannels(ctx),
      listAgents(ctx),
      listSequences(ctx, user(c)),
      listFlows(ctx, user(c)),
    ]);
    const media = await listItems(ctx, user(c));
    return {
      users: u.filter((x) => x.active).map((x) => ({ id: x.id, name: x.name })),
      departments: d.map((x) => ({ id: x.id, name: x.name })),
      tags: g.map((x) => ({ id: x.id, name: x.name })),
      channels: ch.map((x) => ({ id: x.id, name: x.name })),
      agents: ag.map((x) => ({ id: x.id, name: x.name })),
      sequences: sq.map((x) => ({ id: x.id, name: x.name })),
      flows: fl.map((x) => ({ id: x.id, name: x.name })),
      media: media.map((x) => ({ id: x.id, name: x.title })),
      templates: await approvedTemplates(ctx),
    };
  };
  const listView = async (c: C, secret?: { ruleId: string; value: string }) => {
    const ctx = c.get("ctx");
    const [rules, installed] = await Promise.all([svc.listRules(ctx, user(c)), installedRecipes(ctx)]);
    return UI.AutomationList({
      t: T(c),
      csrf: csrf(c),
      locale: user(c).locale,
      rules: rules as never,
      recipes: RECIPES.map((id) => ({ id, installed: installed.has(id) })),
      secret: secret ? { ...secret, url: hookUrl(c, secret.ruleId) } : undefined,
    });
  };
  const hookUrl = (c: C, id: string) => `${publicUrl(c)}/hooks/automations/${id}`;
  const editorView = async (c: C, draft: UI.Draft) => {
    const ctx = c.get("ctx");
    const runs = draft.id ? (await svc.listRuns(ctx, user(c), draft.id, { limit: 50 })).items : [];
    return UI.RuleEditor({
      t: T(c),
      csrf: csrf(c),
      draft,
      refs: await refsOf(c),
      runs: runs as never,
      locale: user(c).locale,
      webhookUrl: draft.id ? hookUrl(c, draft.id) : undefined,
    });
  };
  // a webhook rule's signing secret is shown once, in the answer to the save (never in an address or a page later)
  const saved = async (c: C, r: { id: string; webhookSecret?: string }) =>
    r.webhookSecret
      ? settingsPage(
          c,
          "automations",
          await listView(c, { ruleId: r.id, value: r.webhookSecret }),
          undefined,
          T(c)("settings.saved"),
        )
      : c.redirect(`/settings/automations/${r.id}?saved=1`);

  app.get("/settings/automations", async (c) => settingsPage(c, "automations", await listView(c)));
  app.get("/settings/automations/new", async (c) =>
    settingsPage(
      c,
      "automations",
      await editorView(c, {
        name: "",
        enabled: true,
        trigger: { type: "message_received", keywords: [] },
        conditions: { match: "all", items: [] },
        actions: [{ type: "send_message", body: "" }],
        tooLateMinutes: null,
      }),
    ),
  );
  app.post("/settings/automations", async (c) => {
    const f = await formBody(c, { all: true });
    const draft = draftOf(f);
    try {
      const { id: _id, ...input } = draft;
      return saved(c, await svc.createRule(c.get("ctx"), user(c), input as never));
    } catch (e) {
      return settingsPage(c, "automations", await editorView(c, draft), refusal(c, e), undefined, statusOf(e, 400));
    }
  });
  app.post("/settings/automations/recipes/:id", async (c) => {
    try {
      const f = await formBody(c);
      await installRecipe(c.get("ctx"), user(c), pid(c));
      // the survey's page installs it too, and stays where it is
      return c.redirect(
        str(f.back) === "/settings/surveys" ? "/settings/surveys?saved=1" : "/settings/automations?saved=1",
      );
    } catch (e) {
      return settingsPage(c, "automations", await listView(c), refusal(c, e), undefined, statusOf(e, 400));
    }
  });
  app.get("/settings/surveys", async (c) => {
    const ctx = c.get("ctx");
    const asked = Number(c.req.query("days"));
    const days = (SURVEY_PERIODS as readonly number[]).includes(asked) ? asked : 30;
    const installed = (await installedRecipes(ctx)).has("csat");
    return settingsPage(
      c,
      "surveys",
      SurveysPage({
        t: T(c),
        csrf: csrf(c),
        locale: user(c).locale,
        r: await surveyResults(ctx, user(c), { days }),
        installed,
      }),
    );
  });
  app.get("/settings/automations/:id", async (c) => {
    const r = svc.ruleView(await svc.getRule(c.get("ctx"), user(c), pid(c)));
    return settingsPage(c, "automations", await editorView(c, { ...r, id: r.id } as never));
  });
  app.post("/settings/automations/:id", async (c) => {
    const f = await formBody(c, { all: true });
    const draft = draftOf(f, pid(c));
    try {
      const { id: _id, ...patch } = draft;
      return saved(c, await svc.updateRule(c.get("ctx"), user(c), pid(c), patch as never));
    } catch (e) {
      return settingsPage(c, "automations", await editorView(c, draft), refusal(c, e), undefined, statusOf(e, 400));
    }
  });
  app.post("/settings/automations/:id/toggle", async (c) => {
    const r = await svc.getRule(c.get("ctx"), user(c), pid(c));
    await svc.updateRule(c.get("ctx"), user(c), r.id, { enabled: !r.enabled });
    return c.redirect("/settings/automations?saved=1");
  });
  app.post("/settings/automations/:id/delete", async (c) => {
    await svc.deleteRule(c.get("ctx"), user(c), pid(c));
    return c.redirect("/settings/automations?saved=1");
  });
};
