// Automatizaciones: the list of rules (on/off, runs, failures, last run), ready-made recipes in one click, the rule
// editor (a trigger, conditions, actions: rows a person adds and removes) and each rule's run log.
import { html, Csrf, type VNode } from "../../components/html.ts";
import { Icon } from "../../components/icons.ts";
import type { T } from "../../i18n/index.ts";
import type { Opt } from "../../components/settings.ts";
import { CONDITION_FIELDS } from "../../../src/automation/model.ts";

export type Draft = {
  id?: string;
  name: string;
  enabled: boolean;
  trigger: Record<string, unknown> & { type: string };
  conditions: { match: "all" | "any"; items: { field: string; op: string; value?: unknown }[] };
  actions: (Record<string, unknown> & { type: string })[];
  tooLateMinutes: number | null;
};
export type RuleRow = {
  id: string;
  name: string;
  enabled: boolean;
  trigger: { type: string } & Record<string, unknown>;
  runs: number;
  failures: number;
  lastRunAt: number | null;
  lastError: string | null;
  hasWebhook: boolean;
};
export type RunRow = {
  id: string;
  status: string;
  conversationId: string | null;
  error: string | null;
  startedAt: number;
  trace: {
    trigger: { type: string; event?: string; detail?: string };
    conditions: { label: string; ok: boolean }[];
    actions: { i: number; type: string; ok: boolean; skipped?: boolean; result?: string; error?: string }[];
  };
};
export type Refs = {
  users: Opt[];
  departments: Opt[];
  tags: Opt[];
  channels: Opt[];
  agents: Opt[];
  sequences: Opt[];
  flows: Opt[];
  /** the library's files, for a message's attachment */
  media: Opt[];
  /** approved WhatsApp templates, for a message once the 24-hour window has closed */
  templates?: { name: string; language: string; params: number; header: string | null }[];
};
export type Recipe = { id: string; installed: boolean };

export const TRIGGERS = [
  "message_received",
  "conversation_created",
  "conversation_assigned",
  "conversation_resolved",
  "conversation_reopened",
  "tag_added",
  "tag_removed",
  "contact_created",
  "contact_updated",
  "customer_silent",
  "no_agent_reply",
  "appointment_booked",
  "appointment_cancelled",
  "appointment_upcoming",
  "contact_returned",
  "schedule",
  "webhook",
  "ticket_created",
  "ticket_updated",
  "ticket_sla_warning",
  "ticket_sla_breached",
  "board_card_moved",
  "order_created",
  "order_status_changed",
  "order_paid",
  "order_unpaid",
  "cart_abandoned",
] as const;
export const ACTIONS = [
  "send_message",
  "add_note",
  "assign_user",
  "assign_last",
  "assign_department",
  "add_tag",
  "remove_tag",
  "set_priority",
  "set_status",
  "snooze",
  "notify",
  "create_ticket",
  "set_contact",
  "webhook",
  "wait",
  "to_agent",
  "from_agent",
  "enrol_sequence",
  "unenrol_sequence",
  "start_flow",
  "send_survey",
] as const;
/** What a condition can look at, as the editor offers it (a channel is picked by its type, not its id). */
export const FIELDS = CONDITION_FIELDS.filter((f) => f !== "conversation.channelId");
export const OPS = [
  "eq",
  "neq",
  "contains",
  "not_contains",
  "in",
  "not_in",
  "exists",
  "not_exists",
  "gt",
  "lt",
] as const;

/**
 * Which of a row's inputs an action uses: its text (a message, minutes, a URL…) and/or a reference (a tag, a
 * person…); an optional reference may stay "—" (a message without a file, handing back to no department).
 */
export const ACTION_INPUTS: Record<string, { text?: "long" | "short" | "number"; ref?: string; optional?: boolean }> = {
  send_message: { text: "long", ref: "media", optional: true },
  add_note: { text: "long" },
  assign_user: { ref: "user" },
  assign_last: {},
  assign_department: { ref: "department" },
  add_tag: { ref: "tag" },
  remove_tag: { ref: "tag" },
  set_priority: { ref: "priority" },
  set_status: { ref: "status" },
  snooze: { text: "number" },
  notify: { text: "short", ref: "recipient" },
  create_ticket: { text: "short" },
  set_contact: { text: "short", ref: "contactField" },
  webhook: { text: "short" },
  wait: { text: "number" },
  to_agent: { ref: "agent" },
  from_agent: { ref: "department", optional: true },
  enrol_sequence: { ref: "sequence" },
  unenrol_sequence: { ref: "sequence" },
  start_flow: { ref: "flow" },
  // the question, or the business's default when left empty
  send_survey: { text: "long" },
};

/** The trigger in words, for the list. */
export function triggerText(t: T, tr: { type: string } & Record<string, unknown>) {
  const base = t(`auto.trigger.${tr.type}`);
  if (tr.minutes) return `${base}: ${tr.minutes} min`;
  if (tr.hours) return `${base}: ${tr.hours} h`;
  if (Array.isArray(tr.keywords) && tr.keywords.length) return `${base}: ${tr.keywords.join(", ")}`;
  if (tr.cron) return `${base}: ${tr.cron}`;
  return base;
}

const when = (ms: number | null, locale: string) =>
  ms
    ? new Date(ms).toLocaleString(locale === "en" ? "en-US" : "es-MX", { dateStyle: "short", timeStyle: "short" })
    : "—";

export function AutomationList({
  t,
  csrf,
  locale,
  rules,
  recipes,
  secret,
}: {
  t: T;
  csrf: string;
  locale: string;
  rules: RuleRow[];
  recipes: Recipe[];
  secret?: { ruleId: string; url: string; value: string };
}): VNode {
  return html`<div class="card"><h1>${t("auto.title")}</h1><p class="meta">${t("auto.help")}</p>
    ${secret ? html`<div class="flash" role="status" id="webhook-secret"><p>${t("auto.secretOnce")}</p><p><code>${secret.url}</code></p><p><code id="secret-value">${secret.value}</code> <button type="button" data-copy="secret-value" data-done=${t("common.copied")}>${t("common.copy")}</button></p></div>` : null}
    <p><a class="btn primary" href="/settings/automations/new" id="new-rule"><${Icon} name="plus" /> ${t("auto.new")}</a></p>
    ${
      rules.length
        ? html`<div class="table-wrap"><table class="list" id="rules"><thead><tr><th>${t("common.name")}</th><th>${t("auto.trigger")}</th><th>${t("auto.runs")}</th><th>${t("auto.lastRun")}</th><th>${t("auto.state")}</th></tr></thead><tbody>
      ${rules.map(
        (
          r,
        ) => html`<tr data-rule=${r.name} data-id=${r.id}><td><a href=${`/settings/automations/${r.id}`}>${r.name}</a></td><td>${triggerText(t, r.trigger)}</td>
        <td>${r.runs}${r.failures ? html` · <span class="error">${t("auto.failures", { n: String(r.failures) })}</span>` : null}</td><td>${when(r.lastRunAt, locale)}${r.lastError ? html`<br /><small class="error">${r.lastError}</small>` : null}</td>
        <td><form method="post" action=${`/settings/automations/${r.id}/toggle`}><${Csrf} csrf=${csrf} /><button type="submit" class=${r.enabled ? "secondary on" : "secondary"} aria-pressed=${String(r.enabled)}>${r.enabled ? t("auto.on") : t("auto.off")}</button></form></td></tr>`,
      )}</tbody></table></div>`
        : html`<p class="empty">${t("auto.empty")}</p>`
    }</div>
  <div class="card" id="recipes"><h2>${t("auto.recipes")}</h2><p class="meta">${t("auto.recipesHelp")}</p>
    <ul class="recipes">${recipes.map(
      (
        r,
      ) => html`<li data-recipe=${r.id}><div><b>${t(`recipe.${r.id}`)}</b><br /><small class="meta">${t(`recipe.${r.id}.help`)}</small></div>
      ${r.installed ? html`<span class="meta"><${Icon} name="check" /> ${t("auto.installed")}</span>` : html`<form method="post" action=${`/settings/automations/recipes/${r.id}`}><${Csrf} csrf=${csrf} /><button type="submit">${t("auto.install")}</button></form>`}</li>`,
    )}</ul></div>`;
}

function refOptions(t: T, refs: Refs, selected: string) {
  const o = (kind: string, value: string, label: string) =>
    html`<option value=${value} data-kind=${kind} selected=${value === selected}>${label}</option>`;
  return html`<option value="" data-kind="*">—</option>
    ${refs.users.map((u) => o("user", u.id, u.name))}
    ${refs.departments.map((d) => o("department", d.id, d.name))}
    ${refs.tags.map((g) => o("tag", g.id, g.name))}
    ${refs.agents.map((a) => o("agent", a.id, a.name))}
    ${refs.sequences.map((q) => o("sequence", q.id, q.name))}
    ${refs.flows.map((q) => o("flow", q.id, q.name))}
    ${refs.media.map((q) => o("media", q.id, `📎 ${q.name}`))}
    ${["none", "low", "medium", "high", "urgent"].map((p) => o("priority", p, t(`priority.${p}`)))}
    ${["open", "pending", "resolved"].map((s) => o("status", s, t(`status.${s}`)))}
    ${refs.users.map((u) => o("recipient", `user:${u.id}`, u.name))}
    ${refs.departments.map((d) => o("recipient", `department:${d.id}`, `${t("conv.department")}: ${d.name}`))}
    ${["name", "email", "phone", "language"].map((f) => o("contactField", f, t(`auto.contactField.${f}`)))}`;
}

/** The text and reference of an action, as the row's two inputs hold them. */
export function actionInputs(a: Record<string, unknown> & { type: string }): { text: string; ref: string } {
  switch (a.type) {
    case "send_message":
      return { text: String(a.body ?? ""), ref: Array.isArray(a.media) ? String(a.media[0] ?? "") : "" };
    case "add_note":
      return { text: String(a.body ?? ""), ref: "" };
    case "snooze":
    case "wait":
      return { text: String(a.minutes ?? ""), ref: "" };
    case "notify":
      return {
        text: String(a.message ?? ""),
        ref:
          Array.isArray(a.userIds) && a.userIds.length
            ? `user:${a.userIds[0]}`
            : a.departmentId
              ? `department:${a.departmentId}`
              : "",
      };
    case "create_ticket":
      return { text: String(a.subject ?? ""), ref: "" };
    case "set_contact":
      return { text: String(a.value ?? ""), ref: String(a.field ?? "") };
    case "webhook":
      return { text: String(a.url ?? ""), ref: "" };
    case "send_survey":
      return { text: String(a.question ?? ""), ref: "" };
    default:
      return {
        text: "",
        ref: String(a.userId ?? a.departmentId ?? a.tagId ?? a.agentId ?? a.sequenceId ?? a.priority ?? a.status ?? ""),
      };
  }
}

function ActionRow({ t, refs, a }: { t: T; refs: Refs; a: Record<string, unknown> & { type: string } }) {
  const v = actionInputs(a);
  return html`<li class="rule-row action-row"><select name="a_type" aria-label=${t("auto.action")}>${ACTIONS.map((x) => html`<option value=${x} selected=${x === a.type}>${t(`auto.action.${x}`)}</option>`)}</select>
    <textarea name="a_text" rows="2" aria-label=${t("auto.actionText")} placeholder=${t("auto.actionTextHint")}>${v.text}</textarea>
    <select name="a_ref" aria-label=${t("auto.actionRef")}>${refOptions(t, refs, v.ref)}</select>
    <button type="button" class="secondary" data-remove-row aria-label=${t("common.delete")}><${Icon} name="trash" /></button>
    ${TemplateFields({ t, refs, a })}</li>`;
}

/**
 * A message's WhatsApp template for when the 24-hour window has closed, with its values and, for a template whose
 * header is an image, video or document, that file from the library. Every action row has these fields (the form's
 * arrays stay in step); the page shows them for "send a message" only.
 */
function TemplateFields({ t, refs, a }: { t: T; refs: Refs; a: Record<string, unknown> & { type: string } }) {
  const tpl = (a.type === "send_message" ? a.template : undefined) as
    | { name: string; language: string; params: string[]; header?: string }
    | undefined;
  const key = tpl ? `${tpl.name}|${tpl.language}` : "";
  const list = refs.templates ?? [];
  return html`<span class="tpl-fields" hidden=${a.type !== "send_message" || (!list.length && !tpl)}>
    <label>${t("seq.template")}<select name="a_tpl"><option value="">${t("auto.noTemplate")}</option>${list.map((x) => html`<option value=${`${x.name}|${x.language}`} data-header=${x.header ?? ""} selected=${`${x.name}|${x.language}` === key}>${x.name} (${x.language})</option>`)}</select></label>
    <label>${t("seq.templateParams")}<input name="a_tplp" value=${tpl?.params.join(", ") ?? ""} placeholder="{{contact.first_name}}" /></label>
    <label>${t("seq.templateHeader")}<select name="a_tplh"><option value="">${t("lib.none")}</option>${refs.media.map((m) => html`<option value=${m.id} selected=${tpl?.header === m.id}>${m.name}</option>`)}</select></label></span>`;
}

function ConditionRow({ t, c }: { t: T; c: { field: string; op: string; value?: unknown } }) {
  const value = Array.isArray(c.value) ? c.value.join(", ") : c.value === undefined ? "" : String(c.value);
  return html`<li class="rule-row condition-row"><select name="c_field" aria-label=${t("auto.field")}>${FIELDS.map((x) => html`<option value=${x} selected=${x === c.field}>${t(`auto.field.${x}`)}</option>`)}</select>
    <select name="c_op" aria-label=${t("auto.op")}>${OPS.map((x) => html`<option value=${x} selected=${x === c.op}>${t(`auto.op.${x}`)}</option>`)}</select>
    <input name="c_value" value=${value} aria-label=${t("auto.value")} />
    <button type="button" class="secondary" data-remove-row aria-label=${t("common.delete")}><${Icon} name="trash" /></button></li>`;
}

/** The editor: the same form for a new rule and a saved one; a refused save comes back with what was typed. */
export function RuleEditor({
  t,
  csrf,
  draft,
  refs,
  runs,
  locale,
  webhookUrl,
}: {
  t: T;
  csrf: string;
  draft: Draft;
  refs: Refs;
  runs: RunRow[];
  locale: string;
  webhookUrl?: string;
}): VNode {
  const tr = draft.trigger;
  const show = (types: string) => types;
  const val = (k: string) =>
    tr[k] === undefined ? "" : Array.isArray(tr[k]) ? (tr[k] as unknown[]).join(", ") : String(tr[k]);
  const tagId = Array.isArray(tr.tagIds) && tr.tagIds.length ? String(tr.tagIds[0]) : "";
  return html`<form class="card rule-form" id="rule-form" method="post" action=${draft.id ? `/settings/automations/${draft.id}` : "/settings/automations"} data-inputs=${JSON.stringify(ACTION_INPUTS)}><${Csrf} csrf=${csrf} />
    <h1>${draft.id ? draft.name : t("auto.new")}</h1>
    <label>${t("common.name")}<input name="name" value=${draft.name} required maxlength="120" /></label>
    <fieldset><legend>${t("auto.when")}</legend>
      <label>${t("auto.trigger")}<select name="t_type" id="t_type">${TRIGGERS.map((x) => html`<option value=${x} selected=${x === tr.type}>${t(`auto.trigger.${x}`)}</option>`)}</select></label>
      <label data-show=${show("message_received")}>${t("auto.keywords")}<input name="t_keywords" value=${val("keywords")} placeholder="devolución, reembolso" /></label>
      <label class="inline" data-show=${show("message_received")}><input type="checkbox" name="t_first" value="1" checked=${!!tr.first} /> ${t("auto.firstOnly")}</label>
      <label data-show=${show("customer_silent no_agent_reply appointment_upcoming order_unpaid")}>${t("auto.minutes")}<input name="t_minutes" type="number" min="1" value=${val("minutes")} /></label>
      <label data-show=${show("contact_returned")}>${t("auto.hours")}<input name="t_hours" type="number" min="1" value=${val("hours")} /></label>
      <label data-show=${show("tag_added tag_removed")}>${t("auto.tag")}<select name="t_tag"><option value="">${t("auto.anyTag")}</option>${refs.tags.map((g) => html`<option value=${g.id} selected=${g.id === tagId}>${g.name}</option>`)}</select></label>
      <label data-show=${show("schedule")}>${t("auto.cron")}<input name="t_cron" value=${val("cron")} placeholder="0 9 * * 1" /></label>
      ${webhookUrl ? html`<p data-show="webhook" class="meta">${t("auto.webhookUrl")} <code>${webhookUrl}</code></p>` : null}
    </fieldset>
    <fieldset><legend>${t("auto.if")}</legend>
      <label>${t("auto.match")}<select name="match"><option value="all" selected=${draft.conditions.match === "all"}>${t("auto.match.all")}</option><option value="any" selected=${draft.conditions.match === "any"}>${t("auto.match.any")}</option></select></label>
      <ol class="rule-rows" id="conditions">${draft.conditions.items.map((c) => html`<${ConditionRow} t=${t} c=${c} />`)}</ol>
      <template id="condition-template"><${ConditionRow} t=${t} c=${{ field: "message.body", op: "contains", value: "" }} /></template>
      <button type="button" class="secondary" data-add-row="condition" id="add-condition"><${Icon} name="plus" /> ${t("auto.addCondition")}</button>
    </fieldset>
    <fieldset><legend>${t("auto.then")}</legend>
      <ol class="rule-rows" id="actions">${draft.actions.map((a) => html`<${ActionRow} t=${t} refs=${refs} a=${a} />`)}</ol>
      <template id="action-template"><${ActionRow} t=${t} refs=${refs} a=${{ type: "send_message", body: "" }} /></template>
      <button type="button" class="secondary" data-add-row="action" id="add-action"><${Icon} name="plus" /> ${t("auto.addAction")}</button>
      <p class="meta">${t("auto.variables")}</p>
    </fieldset>
    <label>${t("auto.tooLate")}<input name="tooLateMinutes" type="number" min="1" value=${draft.tooLateMinutes ?? ""} /></label>
    <label class="inline"><input type="checkbox" name="enabled" value="1" checked=${draft.enabled} /> ${t("auto.enabled")}</label>
    <p><button class="primary" type="submit">${t("common.save")}</button></p></form>
  ${
    draft.id
      ? html`<div class="card" id="runs"><h2>${t("auto.log")}</h2>${
          runs.length
            ? html`<ol class="runs">${runs.map(
                (
                  r,
                ) => html`<li data-status=${r.status}><b class=${`run-status ${r.status}`}>${t(`auto.status.${r.status}`)}</b> · ${when(r.startedAt, locale)}${r.conversationId ? html` · <a href=${`/inbox?c=${r.conversationId}`}>${t("auto.openConversation")}</a>` : null}${r.trace.trigger.detail ? html` · «${r.trace.trigger.detail}»` : null}
          ${r.trace.conditions.length ? html`<ul class="conds">${r.trace.conditions.map((c) => html`<li class=${c.ok ? "ok" : "no"}><${Icon} name=${c.ok ? "check" : "close"} /> ${c.label}</li>`)}</ul>` : null}
          <ul class="acts">${r.trace.actions.map((a) => html`<li class=${a.ok ? "ok" : a.skipped ? "skip" : "no"}><${Icon} name=${a.ok ? "check" : a.skipped ? "ban" : "close"} /> ${t(`auto.action.${a.type}`)}${a.skipped ? html` — ${t("auto.skipped")}: <span class="meta">${a.error}</span>` : a.error ? html`: <span class="error">${a.error}</span>` : null}</li>`)}</ul>
          ${r.error && !r.trace.actions.some((a) => a.error) ? html`<p class="error">${r.error}</p>` : null}</li>`,
              )}</ol>`
            : html`<p class="empty">${t("auto.noRuns")}</p>`
        }
      <form method="post" action=${`/settings/automations/${draft.id}/delete`} data-confirm=${t("auto.deleteConfirm", { name: draft.name })}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("common.delete")}</button></form></div>`
      : null
  }`;
}
