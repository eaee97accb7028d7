// The console's Flujos (Settings): the list, a new flow by name, the ready-made ones, and the editor's page (its
// island saves, publishes and emulates through API v1 with the person's session).
import { listItems } from "../library/service.ts";
import * as UI from "../../ui/pages/automation/flows.ts";
import { formBody } from "../app/http.ts";
import * as inbox from "../inbox/service.ts";
import * as auth from "../auth/service.ts";
import { listAgents } from "../agents/service.ts";
import {
  type ConsoleModule,
  type C,
  user,
  T,
  csrf,
  pid,
  str,
  settingsPage,
  errText,
  statusOf,
} from "../app/console.ts";
import { translator } from "../../ui/i18n/index.ts";
import * as flows from "./flows.ts";
import { FLOW_RECIPES } from "./flow-recipes.ts";

export const flowsConsole: ConsoleModule = (app) => {
  const listView = async (c: C) =>
    UI.FlowList({
      t: T(c),
      csrf: csrf(c),
      rows: (await flows.listFlows(c.get("ctx"), user(c))) as never,
      recipes: Object.keys(FLOW_RECIPES),
    });
  app.get("/settings/flows", async (c) => settingsPage(c, "flows", await listView(c)));
  app.post("/settings/flows", async (c) => {
    const f = await formBody(c);
    try {
      const flow = await flows.createFlow(c.get("ctx"), user(c), {
        name: str(f.name).trim(),
        graph: {
          start: "inicio",
          nodes: [{ id: "inicio", type: "message", text: T(c)("flow.firstText"), x: 40, y: 40 }],
        },
      });
      return c.redirect(`/settings/flows/${flow.id}`);
    } catch (e) {
      return settingsPage(c, "flows", await listView(c), errText(e, T(c)), undefined, statusOf(e, 400));
    }
  });
  app.post("/settings/flows/recipes/:id", async (c) => {
    const r = FLOW_RECIPES[pid(c)];
    if (!r) return settingsPage(c, "flows", await listView(c), T(c)("errors.unknown_recipe"), undefined, 404);
    const flow = await flows.createFlow(c.get("ctx"), user(c), r);
    return c.redirect(`/settings/flows/${flow.id}`);
  });
  app.get("/settings/flows/:id", async (c) => {
    const ctx = c.get("ctx");
    const f = await flows.getFlow(ctx, user(c), pid(c));
    const tr = translator(user(c).locale);
    const [tags, agents, departments, all] = await Promise.all([
      inbox.listTags(ctx),
      listAgents(ctx),
      auth.listDepartments(ctx),
      flows.listFlows(ctx, user(c)),
    ]);
    const opt = (xs: { id: string; name: string }[]) => xs.map((x) => ({ id: x.id, name: x.name }));
    return settingsPage(
      c,
      "flows",
      UI.FlowEditorPage({
        t: T(c),
        csrf: csrf(c),
        data: {
          flow: { id: f.id, name: f.name, keywords: f.keywords, publishedVersion: f.publishedVersion, draft: f.draft },
          refs: {
            tags: opt(tags),
            agents: opt(agents),
            departments: opt(departments),
            flows: opt(all.filter((x) => x.id !== f.id)),
            media: (await listItems(ctx, user(c))).map((x) => ({ id: x.id, name: x.title })),
          },
          texts: Object.fromEntries(UI.EDITOR_TEXTS.map((k) => [k, tr(k)])),
        },
      }),
    );
  });
  app.post("/settings/flows/:id/delete", async (c) => {
    await flows.deleteFlow(c.get("ctx"), user(c), pid(c));
    return c.redirect("/settings/flows?saved=1");
  });
};
