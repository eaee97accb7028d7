// Flujos (BotBuilder): the list of flows with ready-made ones in one click, and the editor's page: the server
// renders its frame and data; the island (client/flows.ts, a module: its names stay out of console.js's) draws the canvas, the outline, the node form and
// the test emulator.
import { html, Csrf, type VNode } from "../../components/html.ts";
import { Icon } from "../../components/icons.ts";
import type { T } from "../../i18n/index.ts";
import type { Opt } from "../../components/settings.ts";
import { STEP_TYPES } from "../../client/flow-steps.ts";

export type FlowRow = {
  id: string;
  name: string;
  keywords: string[];
  publishedVersion: number | null;
  active: number;
  updatedAt: number;
};

export function FlowList({
  t,
  csrf,
  rows,
  recipes,
}: {
  t: T;
  csrf: string;
  rows: FlowRow[];
  recipes: string[];
}): VNode {
  return html`<div class="card"><h1>${t("flow.title")}</h1><p class="meta">${t("flow.help")}</p>
    <form method="post" action="/settings/flows" class="inline-create" id="new-flow"><${Csrf} csrf=${csrf} />
      <label>${t("flow.newName")}<input name="name" required maxlength="120" /></label>
      <button type="submit" class="primary"><${Icon} name="plus" /> ${t("flow.new")}</button></form>
    ${
      rows.length
        ? html`<div class="table-wrap"><table class="list" id="flows"><thead><tr><th>${t("common.name")}</th><th>${t("flow.keywords")}</th><th>${t("flow.version")}</th><th>${t("flow.inside")}</th></tr></thead><tbody>
      ${rows.map(
        (
          f,
        ) => html`<tr data-flow=${f.name} data-id=${f.id}><td><a href=${`/settings/flows/${f.id}`}>${f.name}</a></td><td>${f.keywords.join(", ") || "—"}</td>
        <td>${f.publishedVersion ? t("flow.published", { v: String(f.publishedVersion) }) : t("flow.draftOnly")}</td><td>${f.active}</td></tr>`,
      )}</tbody></table></div>`
        : html`<p class="empty">${t("flow.empty")}</p>`
    }</div>
  <div class="card" id="flow-recipes"><h2>${t("flow.recipes")}</h2><p class="meta">${t("flow.recipesHelp")}</p>
    <ul class="recipes">${recipes.map(
      (
        r,
      ) => html`<li data-recipe=${r}><div><b>${t(`flow.recipe.${r}`)}</b><br /><small class="meta">${t(`flow.recipe.${r}.help`)}</small></div>
      <form method="post" action=${`/settings/flows/recipes/${r}`}><${Csrf} csrf=${csrf} /><button type="submit">${t("auto.install")}</button></form></li>`,
    )}</ul></div>`;
}

/** Everything the editor island needs, as JSON in the page. */
export type EditorData = {
  flow: {
    id: string;
    name: string;
    keywords: string[];
    publishedVersion: number | null;
    draft: unknown;
  };
  refs: { tags: Opt[]; agents: Opt[]; departments: Opt[]; flows: Opt[]; media: Opt[] };
  texts: Record<string, string>;
};

/** The keys of the texts the island uses (sent in the person's language). */
export const EDITOR_TEXTS = [
  "lib.pick",
  "flow.save",
  "flow.saved",
  "flow.publish",
  "flow.publishedNow",
  "flow.problems",
  "flow.noProblems",
  "flow.add",
  "flow.zoomIn",
  "flow.zoomOut",
  "flow.outline",
  "flow.canvas",
  "flow.node",
  "flow.start",
  "flow.makeStart",
  "flow.deleteNode",
  "flow.connect",
  "flow.connectHint",
  "flow.next",
  "flow.none",
  "flow.text",
  "flow.options",
  "flow.addOption",
  "flow.kind",
  "flow.save_to",
  "flow.retries",
  "flow.invalid",
  "flow.fail",
  "flow.else",
  "flow.branch",
  "flow.addBranch",
  "flow.var",
  "flow.value",
  "flow.op",
  "flow.tag",
  "flow.field",
  "flow.url",
  "flow.method",
  "flow.body",
  "flow.map",
  "flow.error",
  "flow.agent",
  "flow.goal",
  "flow.agent_back",
  "flow.query",
  "flow.catalog_save",
  "flow.catalog_max",
  "flow.catalog_empty",
  "flow.cart_sku",
  "flow.cart_quantity",
  "flow.cart_variant",
  "flow.cart_extras",
  "flow.options_text",
  "flow.options_extras",
  "flow.options_save",
  "flow.cart_error",
  "flow.cart_empty",
  "flow.payment",
  ...["cash", "transfer", "card", "link"].map((x) => `orders.method.${x}`),
  "flow.slots_date",
  "flow.service",
  "flow.slots_save",
  "flow.slots_max",
  "flow.slots_empty",
  "flow.department",
  "flow.subject",
  "flow.description",
  "flow.minutes",
  "flow.flow",
  "flow.emulator",
  "flow.emulatorHelp",
  "flow.restart",
  "flow.send",
  "flow.you",
  "flow.vars",
  "flow.ended",
  "flow.keywordsLabel",
  "flow.nameLabel",
  "flow.unsaved",
  "common.delete",
  ...STEP_TYPES.map((x) => `flow.type.${x}`),
  ...["text", "number", "email", "phone", "date", "choice"].map((x) => `flow.kind.${x}`),
  ...["eq", "neq", "contains", "gt", "lt", "exists", "not_exists"].map((x) => `auto.op.${x}`),
  ...[
    "dangling_edge",
    "unknown_start",
    "duplicate_node",
    "unreachable_node",
    "unknown_variable",
    "choice_options",
    "options_and_next",
    "set_nothing",
  ].map((x) => `flow.problem.${x}`),
];

export function FlowEditorPage({ t, csrf, data }: { t: T; csrf: string; data: EditorData }): VNode {
  return html`<div class="card flow-head"><p><a href="/settings/flows">← ${t("flow.title")}</a></p><h1>${data.flow.name}</h1>
    <p class="meta">${data.flow.publishedVersion ? t("flow.published", { v: String(data.flow.publishedVersion) }) : t("flow.draftOnly")}</p></div>
    <div id="flow-editor" class="flow-editor"><p class="meta">${t("flow.loading")}</p></div>
    <script type="application/json" id="flow-data" dangerouslySetInnerHTML=${{ __html: JSON.stringify(data).replace(/</g, "\\u003c") }}></script>
    <div class="card"><form method="post" action=${`/settings/flows/${data.flow.id}/delete`} data-confirm=${t("flow.deleteConfirm", { name: data.flow.name })}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("common.delete")}</button></form></div>
    <script type="module" src="/assets/flows.js"></script>`;
}
