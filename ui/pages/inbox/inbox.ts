import { html, fmtTime, type VNode } from "../../components/html.ts";
import { Icon, Avatar } from "../../components/icons.ts";
import { modelProblem, reasonText, type T } from "../../i18n/index.ts";
import type { MessageContent } from "../../../src/inbox/schema.ts";
import { ContactSequences, type Timeline } from "../automation/sequences.ts";

type Tag = { id: string; name: string; color: string };
type Att = { fileId: string; name: string; mime: string; size: number };
export type ListItem = {
  id: string;
  status: string;
  ownerType: string;
  unreadCount: number;
  lastMessageAt: number;
  lastMessagePreview: string;
  priority: string;
  contact: { id: string; name: string; phone: string | null; email: string | null };
  channel: { name: string };
  assigneeName: string | null;
  departmentName: string | null;
  tags: Tag[];
};
export type Msg = {
  id: string;
  direction: "in" | "out" | "activity";
  senderType: string;
  body: string;
  attachments: Att[];
  private: boolean;
  status: string;
  error: string | null;
  createdAt: number;
  content?: MessageContent | null;
};
export type ConvView = ListItem & {
  contactId: string;
  assigneeId: string | null;
  departmentId: string | null;
  ownerType: string;
  sentiment?: string | null;
  urgency?: string | null;
  /** its satisfaction survey, when one was sent */
  survey?: { status: string; score: number | null; comment: string | null } | null;
  contact: {
    id: string;
    name: string;
    phone: string | null;
    email: string | null;
    attributes: Record<string, unknown>;
  };
};
export type Filters = {
  view: string;
  status: string;
  departmentId?: string;
  tagId?: string;
  channelId?: string;
  q?: string;
};
type Opt = { id: string; name: string };

const qs = (f: Filters, extra: Record<string, string | undefined> = {}) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) p.set(k, v);
  return p.toString();
};

/** How a contact is named in the console: name, phone, email, or "Visitante 3f2a" for an anonymous visitor. */
export const contactLabel = (c: { id?: string; name: string; phone: string | null; email: string | null }, t: T) =>
  c.name || c.phone || c.email || `${t("contact.visitor")} ${(c.id ?? "").slice(-4)}`.trim();

export type OnboardingView = { key: string; done: boolean; href: string }[];

/** The first steps after setup, each ticking itself; administrators only, until done or dismissed. */
export function OnboardingCard({ t, steps, csrf }: { t: T; steps: OnboardingView; csrf: string }): VNode {
  const left = steps.filter((s) => !s.done).length;
  return html`<section class="onboarding card" id="onboarding"><h3>${t("onboarding.title")}</h3><p class="meta">${t("onboarding.left", { n: String(left), total: String(steps.length) })}</p>
    <ol>${steps.map((s) => html`<li class=${s.done ? "done" : ""} data-step=${s.key}><span class="tick" aria-hidden="true">${s.done ? html`<${Icon} name="check" />` : ""}</span>${s.done ? html`<span>${t(`onboarding.${s.key}`)}</span>` : html`<a href=${s.href}>${t(`onboarding.${s.key}`)}</a>`}</li>`)}</ol>
    <form method="post" action="/onboarding/dismiss"><input type="hidden" name="_csrf" value=${csrf} /><button type="submit" class="secondary">${t("onboarding.dismiss")}</button></form></section>`;
}

export type ViewCounts = { bot: number; queue: number; mine: number; all: number };

/** The inbox views with how many conversations each holds (refreshed live by the client island). */
export function ViewTabs({ t, filters: f, counts }: { t: T; filters: Filters; counts: ViewCounts }): VNode {
  const tab = (view: keyof ViewCounts, key: string) =>
    html`<a href=${`/inbox?${qs({ ...f, view })}`} class=${f.view === view ? "on" : ""} data-view=${view}>${t(key)} <span class="count">${counts[view] >= 1000 ? "999+" : counts[view]}</span></a>`;
  return html`<div class="tabs" id="view-tabs" data-src=${`/partials/inbox-tabs?${qs(f)}`}>${tab("bot", "inbox.bot")}${tab("queue", "inbox.queue")}${tab("mine", "inbox.mine")}${tab("all", "inbox.all")}</div>`;
}

/** One row of the inbox list. */
export function ListRows({
  items,
  t,
  locale,
  filters,
  openId,
  next,
}: {
  items: ListItem[];
  t: T;
  locale: string;
  filters: Filters;
  openId?: string;
  next: string | null;
}): VNode {
  if (!items.length) return html`<li class="empty">${t("inbox.empty")}</li>`;
  return html`${items.map(
    (
      c,
    ) => html`<li class=${c.id === openId ? "on" : ""} data-id=${c.id}><a href=${`/inbox?${qs(filters, { c: c.id })}`}>
      <${Avatar} name=${c.contact.name} id=${c.contact.id} size=${36} /><div class="item">
      <div class="row"><span class="name">${contactLabel(c.contact, t)}</span><span class="meta">${fmtTime(c.lastMessageAt, locale)}</span></div>
      <div class="row"><span class="pv">${c.lastMessagePreview}</span>${c.unreadCount ? html`<span class="badge">${c.unreadCount}</span>` : null}</div>
      <div class="meta"><span class=${`owner ${c.ownerType}`}>${c.ownerType === "agent" && c.assigneeName ? c.assigneeName : t(`owner.${c.ownerType}`)}</span> · ${c.channel.name}${c.departmentName ? ` · ${c.departmentName}` : ""}${c.ownerType !== "agent" && c.assigneeName ? ` · ${c.assigneeName}` : ""}${c.priority !== "none" ? ` · ${t(`priority.${c.priority}`)}` : ""}
        ${c.tags.length ? html` ${c.tags.map((g) => html`<span class="tag" style=${`background:${g.color}`}>${g.name}</span>`)}` : null}</div></div></a></li>`,
  )}
    ${next ? html`<li class="empty"><a href=${`/inbox?${qs(filters, { before: next, c: openId })}`}>${t("inbox.more")}</a></li>` : null}`;
}

function Activity({ m, t, isAdmin }: { m: Msg; t: T; isAdmin: boolean }) {
  let text = m.body;
  let detail: string | undefined;
  try {
    const a = JSON.parse(m.body) as { key: string; params: Record<string, string> };
    const modelDown = a.key.startsWith("model_down");
    text = t(`activity.${a.key}`, {
      ...a.params,
      priority: a.params.priority ? t(`priority.${a.params.priority}`) : "",
      ...(a.params.reason ? { reason: reasonText(a.params.reason, t) } : {}),
      ...(modelDown ? { problem: t(`modelProblem.${modelProblem(a.params)}`) } : {}),
      ...(a.params.actions
        ? {
            actions: a.params.actions
              .split(",")
              .map((x) => t(`auto.action.${x}`).toLowerCase())
              .join(", "),
          }
        : {}),
    });
    if (modelDown) detail = a.params.error;
  } catch {
    /* plain text */
  }
  return html`<li class="msg activity" data-id=${m.id}>${text}${
    isAdmin && detail
      ? html`<details class="details"><summary>${t("common.details")}</summary><code>${detail}</code></details>`
      : null
  }</li>`;
}

/** What a message carries beside its text: a quote, a place, contact cards, buttons, a choice, a template… */
function ContentParts({ c, t }: { c: MessageContent; t: T }): VNode {
  const loc = c.location;
  return html`${c.replyTo ? html`<blockquote class="quote" data-reply-to=${c.replyTo.messageId ?? ""}>${t("msg.replyTo")}: ${c.replyTo.preview ?? "…"}</blockquote>` : null}
    ${c.forwarded ? html`<div class="meta"><${Icon} name="forward" /> ${t("msg.forwarded")}</div>` : null}
    ${c.deleted ? html`<div class="meta deleted"><${Icon} name="ban" /> ${t("msg.deleted")}</div>` : null}
    ${c.kind === "unsupported" ? html`<div class="meta"><${Icon} name="warn" /> ${t("msg.unsupported")}</div>` : null}
    ${c.kind === "sticker" ? html`<div class="meta">${t("msg.sticker")}</div>` : null}
    ${c.pendingMedia ? html`<div class="meta"><${Icon} name="warn" /> ${t("msg.mediaPending")}</div>` : null}
    ${loc ? html`<div class="location"><${Icon} name="pin" /> ${t("msg.location")}: <a href=${`https://www.openstreetmap.org/?mlat=${loc.latitude}&mlon=${loc.longitude}#map=17/${loc.latitude}/${loc.longitude}`} target="_blank" rel="noopener">${t("msg.openMap")}</a></div>` : null}
    ${(c.contacts ?? []).map((k) => html`<div class="contact-card"><${Icon} name="user" /> ${t("msg.contactCard")}: <b>${k.name}</b> ${k.phones.map((p) => html`<span> ${p.phone}</span>`)}</div>`)}
    ${c.choice ? html`<div class="choice"><${Icon} name="choice" /> ${t("msg.choice")}: <b>${c.choice.title}</b></div>` : null}
    ${c.buttons ? html`<div class="buttons">${c.buttons.map((b) => html`<span class="btn-preview">${b.title}</span>`)}</div>` : null}
    ${c.list ? html`<div class="list"><${Icon} name="list" /> ${c.list.button}: ${c.list.sections.flatMap((x) => x.rows.map((r) => r.title)).join(" · ")}</div>` : null}
    ${c.template ? html`<div class="meta">${t("msg.template")}: <code>${c.template.name}</code></div>` : null}
    ${c.order ? html`<div class="meta"><${Icon} name="cart" /> ${t("msg.order")}</div>` : null}
    ${c.reactions?.length ? html`<div class="reactions">${c.reactions.map((r) => html`<span title=${r.by}>${r.emoji}</span>`)}</div>` : null}`;
}

/** Message bubbles; `body` is customer text and is rendered as text, never as HTML. */
/** Why a message could not be delivered, as a kind a person can act on (the raw error stays for "Detalles"). */
export function deliveryProblem(error: string | null): string {
  const e = error ?? "";
  if (/\((131047|131051)\)$|re-engagement|24 ?h/i.test(e)) return "window";
  if (/\((131026)\)$|undeliverable/i.test(e)) return "undeliverable";
  if (/\((190|200)\)$|HTTP 401|access token|OAuth/i.test(e)) return "token";
  if (/\((4|80007|130429|131048|131056)\)$|HTTP 429|rate|too many/i.test(e)) return "rate";
  if (/no WhatsApp id/i.test(e)) return "noAddress";
  if (/not connected/i.test(e)) return "offline";
  if (/channel was deleted|no adapter/i.test(e)) return "channel";
  if (/^callback/i.test(e)) return "callback";
  if (/unreachable|ECONN|timed? ?out|network/i.test(e)) return "network";
  if (/attachment .* missing/i.test(e)) return "file";
  return "other";
}

/** A failed message: a sentence for people; the technical detail behind "Detalles" for administrators. */
function Failure({ m, t, isAdmin }: { m: Msg; t: T; isAdmin: boolean }) {
  return html`<span class="why">${t(`delivery.${deliveryProblem(m.error)}`)}</span>${
    isAdmin && m.error
      ? html`<details class="details"><summary>${t("common.details")}</summary><code>${m.error}</code></details>`
      : null
  }`;
}

export function MessageItems({
  messages,
  t,
  locale,
  isAdmin = false,
}: {
  messages: Msg[];
  t: T;
  locale: string;
  isAdmin?: boolean;
}): VNode {
  return html`${messages.map((m) =>
    m.direction === "activity"
      ? html`<${Activity} m=${m} t=${t} isAdmin=${isAdmin} />`
      : html`<li class=${`msg ${m.direction}${m.private ? " note" : ""}`} data-id=${m.id} data-problem=${m.status === "failed" ? deliveryProblem(m.error) : undefined}>
      ${m.private ? html`<strong>${t("conv.privateNote")}: </strong>` : null}${m.content?.replyTo ? html`<${ContentParts} c=${{ replyTo: m.content.replyTo }} t=${t} />` : null}${m.body}${m.content?.edited ? html` <small class="meta">(${t("msg.edited")})</small>` : null}
      ${m.content ? html`<${ContentParts} c=${{ ...m.content, replyTo: undefined }} t=${t} />` : null}
      ${m.attachments.map((a) => (a.mime.startsWith("image/") ? html`<a href=${`/api/v1/files/${a.fileId}`} target="_blank"><img src=${`/api/v1/files/${a.fileId}`} alt=${a.name} /></a>` : html`<div><${Icon} name="attach" /> <a href=${`/api/v1/files/${a.fileId}`} target="_blank">${a.name}</a></div>`))}
      <span class="when">${fmtTime(m.createdAt, locale)}${m.direction === "out" && !m.private ? html` · <span class=${`st ${m.status}`}>${t(`msg.status.${m.status}`)}</span>` : null}</span>
      ${m.status === "failed" && m.direction === "out" ? html`<${Failure} m=${m} t=${t} isAdmin=${isAdmin} />` : null}</li>`,
  )}`;
}

/** The conversation's header: who, where, and every action an agent takes on it. */
export function ConvHeader({
  c,
  t,
  users,
  departments,
  tags,
}: {
  c: ConvView;
  t: T;
  users: Opt[];
  departments: Opt[];
  tags: Tag[];
}): VNode {
  const sel = (
    name: string,
    value: string | null,
    opts: Opt[],
    none: string,
  ) => html`<select name=${name} data-action="patch" data-picker data-search=${t("picker.search")} data-empty=${t("picker.none")} aria-label=${none}>
      <option value="">${none}</option>${opts.map((o) => html`<option value=${o.id} selected=${o.id === value}>${o.name}</option>`)}</select>`;
  const now = Date.now();
  const tomorrow = new Date();
  tomorrow.setDate(tomorrow.getDate() + 1);
  tomorrow.setHours(9, 0, 0, 0);
  return html`<header id="conv-header" data-id=${c.id}>
    <a class="back" href="/inbox" data-back aria-label=${t("inbox.back")}><${Icon} name="back" /> ${t("inbox.back")}</a>
    <button type="button" class="contact-toggle" data-sheet-open aria-label=${t("contact.title")}>${t("contact.title")}</button>
    <h2><${Avatar} name=${c.contact.name} id=${c.contact.id} size=${32} /> ${contactLabel(c.contact, t)} <small class="meta">· ${c.channel.name} · ${t(`status.${c.status}`)} · ${t(`owner.${c.ownerType}`)}</small>
      ${c.sentiment === "negative" ? html` <span class="mood neg" title=${t("mood.help")}><${Icon} name="frown" /> ${t("mood.negative")}</span>` : c.sentiment === "positive" ? html` <span class="mood pos" title=${t("mood.help")}><${Icon} name="smile" /> ${t("mood.positive")}</span>` : null}
      ${c.urgency === "high" ? html` <span class="mood urgent" title=${t("mood.help")}><${Icon} name="zap" /> ${t("mood.urgent")}</span>` : null}
      ${c.survey ? html` <span class="mood survey" id="conv-survey" data-score=${c.survey.score ?? ""} title=${c.survey.comment ?? ""}><${Icon} name="star" /> ${c.survey.score ? t("survey.badge", { score: String(c.survey.score) }) : t("survey.badgeSent")}</span>` : null}</h2>
    ${c.status === "resolved" ? html`<button data-action="status" data-value="open">${t("conv.reopen")}</button>` : html`<button class="primary" data-action="status" data-value="resolved">${t("conv.resolve")}</button>`}
    <select data-action="snooze" aria-label=${t("conv.snooze")}><option value="">${t("conv.snooze")}…</option>
      <option value=${now + 3_600_000}>${t("conv.snooze.1h")}</option><option value=${tomorrow.getTime()}>${t("conv.snooze.tomorrow")}</option><option value=${tomorrow.getTime() + 6 * 86_400_000}>${t("conv.snooze.week")}</option></select>
    ${sel("assigneeId", c.assigneeId, users, `${t("conv.assignee")}: ${t("conv.nobody")}`)}
    ${sel("departmentId", c.departmentId, departments, `${t("conv.department")}: ${t("conv.nobody")}`)}
    <select name="priority" data-action="patch" aria-label=${t("conv.priority")}>${["none", "low", "medium", "high", "urgent"].map((p) => html`<option value=${p} selected=${p === c.priority}>${t(`priority.${p}`)}</option>`)}</select>
    <span>${c.tags.map((g) => html`<span class="tag" style=${`background:${g.color}`}>${g.name} <a href="#" data-action="untag" data-tag=${g.id} style="color:#fff">×</a></span>`)}</span>
    <select data-action="tag" data-picker data-search=${t("picker.search")} data-empty=${t("picker.none")} aria-label=${t("conv.addTag")}><option value="">+ ${t("conv.addTag")}</option>${tags.filter((g) => !c.tags.some((x) => x.id === g.id)).map((g) => html`<option value=${g.id}>${g.name}</option>`)}</select>
    <a class="btn" id="conv-ticket" href=${`/tickets/new?c=${c.id}`}>${t("tickets.fromConversation")}</a>
    <span id="header-error" class="error" role="alert"></span>
  </header>`;
}

type TemplateOpt = { name: string; language: string; params: number; body: string; header?: string | null };
type HeaderFile = { id: string; title: string; kind: string };

/** WhatsApp's approved templates, with a value field per {{n}}; outside the 24-hour window they are the only way. */
function TemplatePicker({
  t,
  templates,
  windowClosed,
  headerFiles = [],
}: {
  t: T;
  templates: TemplateOpt[];
  windowClosed: boolean;
  headerFiles?: HeaderFile[];
}): VNode {
  const max = Math.max(0, ...templates.map((x) => x.params));
  return html`<details class="templates" id="template-picker" open=${windowClosed}><summary>${t("wa.template")}</summary>
    ${windowClosed ? html`<p class="hint" id="window-hint">${t("wa.templateHint")}</p>` : null}
    <form id="template-form" autocomplete="off">
      <select name="template" required>${templates.map((x) => html`<option value=${`${x.name}|${x.language}`} data-params=${x.params} data-header=${x.header ?? ""} title=${x.body}>${x.name} (${x.language})</option>`)}</select>
      ${
        templates.some((x) => x.header)
          ? html`<label class="template-header" hidden>${t("wa.header")}<select name="header"><option value="">${t("wa.headerPick")}</option>${headerFiles.map((f) => html`<option value=${f.id} data-kind=${f.kind}>${f.title}</option>`)}</select><small class="meta" data-none>${t("wa.headerNone")}</small></label>`
          : null
      }
      ${Array.from({ length: max }, (_, i) => html`<input name="param" data-n=${i + 1} placeholder=${t("wa.param", { n: String(i + 1) })} />`)}
      <button type="submit">${t("wa.sendTemplate")}</button> <span class="template-error" style="color:var(--bad)"></span></form></details>`;
}

/** Buttons or a list under the reply, on channels that have them (WhatsApp: 3 buttons, 10 list rows). */
function InteractiveFields({ t, limits }: { t: T; limits: { maxButtons: number; maxListRows: number } }): VNode {
  return html`<details class="interactive" id="interactive"><summary>${t("compose.interactive")}</summary>
    <label><input type="radio" name="kind" value="text" checked /> ${t("compose.kind.text")}</label>
    <label><input type="radio" name="kind" value="buttons" /> ${t("compose.kind.buttons", { n: String(limits.maxButtons) })}</label>
    <label><input type="radio" name="kind" value="list" /> ${t("compose.kind.list", { n: String(limits.maxListRows) })}</label>
    <input name="listButton" maxlength="20" placeholder=${t("compose.listButton")} />
    <textarea name="options" rows="3" placeholder=${t("compose.options")} data-max-buttons=${limits.maxButtons} data-max-rows=${limits.maxListRows}></textarea></details>`;
}

export function Composer({
  t,
  quickReplies,
  templates = [],
  headerFiles = [],
  windowClosed = false,
  interactive,
  mentionable = [],
}: {
  t: T;
  quickReplies: { shortcut: string; body: string; files: { id: string; title: string }[] }[];
  templates?: TemplateOpt[];
  headerFiles?: HeaderFile[];
  windowClosed?: boolean;
  interactive?: { maxButtons: number; maxListRows: number };
  mentionable?: { id: string; name: string }[];
}): VNode {
  return html`${templates.length || windowClosed ? TemplatePicker({ t, templates, windowClosed, headerFiles }) : null}<div class="typing" id="typing" aria-live="polite" hidden data-t-contact=${t("inbox.typingContact")} data-t-agent=${t("inbox.typingAgent")}></div><form class="composer" id="composer" autocomplete="off">
    <div class="qr-pop" id="qr-pop" role="listbox" aria-label=${t("conv.suggestions")}></div>
    <template id="mention-data" data-none=${t("mention.none")}>${mentionable.map((p) => html`<div role="option" data-name=${p.name}><${Avatar} name=${p.name} id=${p.id} size=${24} /> ${p.name}</div>`)}</template>
    <script type="application/json" id="qr-data" dangerouslySetInnerHTML=${{ __html: JSON.stringify(quickReplies).replace(/</g, "\\u003c") }}></script>
    <div class="bar" style="margin:0 0 6px"><label style="margin:0"><input type="radio" name="mode" value="reply" checked /> ${t("conv.reply")}</label>
      <label style="margin:0"><input type="radio" name="mode" value="note" /> ${t("conv.note")}</label></div>
    <textarea name="body" id="reply-body" placeholder=${t("conv.placeholder")} data-note-placeholder=${t("conv.notePlaceholder")} data-reply-placeholder=${t("conv.placeholder")}></textarea>
    ${interactive ? InteractiveFields({ t, limits: interactive }) : null}
    <div class="bar copilot" id="copilot"><button type="button" data-copilot="suggest"><${Icon} name="sparkles" /> ${t("copilot.suggest")}</button><button type="button" data-copilot="summary">${t("copilot.summary")}</button>
      <button type="button" data-rewrite="formal">${t("copilot.formal")}</button><button type="button" data-rewrite="friendly">${t("copilot.friendly")}</button><button type="button" data-rewrite="shorter">${t("copilot.shorter")}</button><button type="button" data-rewrite="translate">${t("copilot.translate")}</button></div>
    <div class="copilot-out" id="copilot-out" aria-live="polite"></div>
    <div class="reply-library" id="reply-library" data-remove=${t("common.delete")}></div>
    <div class="bar"><input type="file" name="file" id="reply-file" aria-label=${t("conv.attach")} /><span class="sp" style="flex:1"></span><span id="composer-error" style="color:var(--bad)"></span><button type="submit" class="primary">${t("conv.send")}</button></div>
  </form>`;
}

export function ContactPanel({
  c,
  t,
  past,
  locale,
  sequences,
  csrf,
}: {
  c: ConvView;
  t: T;
  past: { id: string; status: string; lastMessageAt: number; lastMessagePreview: string }[];
  locale: string;
  sequences?: { options: Opt[]; timeline: Timeline };
  csrf?: string;
}): VNode {
  const attrs = Object.entries(c.contact.attributes ?? {});
  return html`<div class="side" id="contact-panel"><div class="side-head"><h3>${t("contact.title")}</h3><button type="button" class="sheet-close" data-sheet-close aria-label=${t("common.close")}>×</button></div>
    <form id="contact-form" data-contact=${c.contact.id} data-saved=${t("settings.saved")}>
      <label>${t("contact.name")}<input name="name" value=${c.contact.name} /></label>
      <label>${t("contact.phone")}<input name="phone" type="tel" value=${c.contact.phone ?? ""} /></label>
      <label>${t("contact.email")}<input name="email" type="email" value=${c.contact.email ?? ""} /></label>
      <h3>${t("contact.attributes")}</h3>
      <div id="contact-attrs">${attrs.map(([k, v]) => html`<label class="attr">${k}<input data-key=${k} value=${v === null ? "" : String(v)} /></label>`)}</div>
      <div class="attr-new"><input name="newKey" maxlength="64" placeholder=${t("contact.newAttribute")} aria-label=${t("contact.newAttribute")} /><input name="newValue" maxlength="2000" placeholder=${t("contact.attributeValue")} aria-label=${t("contact.attributeValue")} /></div>
      <p class="meta">${t("contact.attributesHelp")}</p>
      <p><button type="submit">${t("contact.save")}</button> <span id="contact-msg" role="status"></span></p></form>
    <section class="cart-panel" id="cart-panel" data-conversation=${c.id}><h3>${t("cart.title")}</h3></section>
    <h3>${t("contact.past")}</h3><ul>${past.filter((p) => p.id !== c.id).map((p) => html`<li><a href=${`/inbox?status=any&c=${p.id}`}>${fmtTime(p.lastMessageAt, locale)}</a> · ${t(`status.${p.status}`)}<br /><small>${p.lastMessagePreview}</small></li>`)}</ul>
    ${sequences ? ContactSequences({ t, csrf: csrf ?? "", conversationId: c.id, options: sequences.options, timeline: sequences.timeline, locale }) : null}
  </div>`;
}

export function InboxPage(p: {
  t: T;
  locale: string;
  filters: Filters;
  counts: ViewCounts;
  onboarding?: OnboardingView | null;
  csrf?: string;
  items: ListItem[];
  next: string | null;
  conv: ConvView | null;
  messages: Msg[];
  users: Opt[];
  departments: Opt[];
  tags: Tag[];
  channels: Opt[];
  quickReplies: { shortcut: string; body: string; files: { id: string; title: string }[] }[];
  past: { id: string; status: string; lastMessageAt: number; lastMessagePreview: string }[];
  sequences?: { options: Opt[]; timeline: Timeline };
  isAdmin: boolean;
  templates?: TemplateOpt[];
  headerFiles?: HeaderFile[];
  windowClosed?: boolean;
  interactive?: { maxButtons: number; maxListRows: number };
  mentionable?: Opt[];
}): VNode {
  const { t, filters: f } = p;
  const opt = (list: Opt[], v?: string) =>
    list.map((o) => html`<option value=${o.id} selected=${o.id === v}>${o.name}</option>`);
  return html`<div class=${`inbox${p.conv ? " has-conv" : ""}`}>
    <div class="col list-col"><form class="filters" method="get" action="/inbox" id="filters">
        ${ViewTabs({ t, filters: f, counts: p.counts })}
        <input type="hidden" name="view" value=${f.view} />
        <input type="search" name="q" value=${f.q ?? ""} placeholder=${t("inbox.search")} />
        <select name="status" aria-label=${t("inbox.filter.status")}>${["open", "pending", "snoozed", "resolved", "any"].map((s) => html`<option value=${s} selected=${s === f.status}>${t(`status.${s}`)}</option>`)}</select>
        <select name="departmentId" aria-label=${t("inbox.filter.department")}><option value="">${t("inbox.filter.department")}</option>${opt(p.departments, f.departmentId)}</select>
        <select name="tagId" aria-label=${t("inbox.filter.tag")}><option value="">${t("inbox.filter.tag")}</option>${opt(p.tags, f.tagId)}</select>
        <select name="channelId" aria-label=${t("inbox.filter.channel")}><option value="">${t("inbox.filter.channel")}</option>${opt(p.channels, f.channelId)}</select>
      </form>
      ${p.onboarding && !p.conv ? OnboardingCard({ t, steps: p.onboarding, csrf: p.csrf ?? "" }) : null}
      <ul class="clist" id="conv-list" data-src=${`/partials/inbox-list?${qs(f, { c: p.conv?.id })}`}>${ListRows({ items: p.items, t, locale: p.locale, filters: f, openId: p.conv?.id, next: p.next })}</ul></div>
    <div class="col conv-col">${
      p.conv
        ? html`<div class="conv" id="conversation" data-id=${p.conv.id} data-unread=${String(p.conv.unreadCount ?? 0)}>
        ${ConvHeader({ c: p.conv, t, users: p.users, departments: p.departments, tags: p.tags })}
        <ol class="msgs" id="messages">${MessageItems({ messages: p.messages, t, locale: p.locale, isAdmin: p.isAdmin })}</ol>
        ${Composer({ t, quickReplies: p.quickReplies, templates: p.templates, headerFiles: p.headerFiles, windowClosed: p.windowClosed, interactive: p.interactive, mentionable: p.mentionable })}</div>`
        : html`<div class="empty">${t("inbox.select")}</div>`
    }</div>
    <div class="col side-col">${p.conv ? ContactPanel({ c: p.conv, t, past: p.past, locale: p.locale, sequences: p.sequences, csrf: p.csrf }) : null}</div>
  </div>`;
}
