// The contacts pages (manual 6.18): the list (search, filters, a new contact, duplicates to review) and a contact's
// whole picture (details, tags, every channel's conversations, tickets, orders, appointments, notes, timeline,
// duplicates to merge).
import { html, Csrf, fmtTime, type VNode } from "../../components/html.ts";
import type { T } from "../../i18n/index.ts";

type Opt = { id: string; name: string };
type Person = { id: string; name: string; phone: string | null; email: string | null };

export function ContactsPage({
  t,
  csrf,
  q,
  items,
  next,
  locale,
  filters = {},
  tags = [],
  channels = [],
  duplicates = [],
  isAdmin = false,
  canImport = false,
  segments = [],
  segmentId,
  error,
}: {
  t: T;
  csrf?: string;
  q: string;
  locale: string;
  items: { id: string; name: string; phone: string | null; email: string | null; updatedAt: number }[];
  next: string | null;
  filters?: Record<string, string>;
  tags?: Opt[];
  channels?: Opt[];
  duplicates?: { by: string; value: string; contacts: Person[] }[];
  isAdmin?: boolean;
  canImport?: boolean;
  segments?: { id: string; name: string; count: number }[];
  segmentId?: string;
  error?: string;
}): VNode {
  const qs = new URLSearchParams(Object.entries({ q, ...filters }).filter(([, v]) => v)).toString();
  const sel = (name: string, label: string, opts: [string, string][]) =>
    html`<label>${label}<select name=${name}><option value="">${t("tickets.any")}</option>${opts.map(([v, l]) => html`<option value=${v} selected=${filters[name] === v}>${l}</option>`)}</select></label>`;
  return html`<div class="page contacts"><div class="card"><h1>${t("contacts.title")}</h1>
    ${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
    ${
      segments.length
        ? html`<nav class="views" aria-label=${t("contacts.segments")}>${segments.map(
            (g) =>
              html`<span class="view-chip"><a href=${`/contacts?segment=${g.id}`} class=${segmentId === g.id ? "on" : ""}>${g.name} <span class="muted">(${g.count})</span></a>${
                canImport && csrf
                  ? html`<form method="post" action=${`/contacts/segments/${g.id}/delete`}><${Csrf} csrf=${csrf} /><button type="submit" class="secondary" aria-label=${`${t("tickets.deleteView")}: ${g.name}`}>×</button></form>`
                  : null
              }</span>`,
          )}</nav>`
        : null
    }
    <form method="get" action="/contacts" class="filters" id="contact-filters"><label>${t("common.search")}<input type="search" name="q" value=${q} placeholder=${t("contacts.search")} /></label>
      ${sel(
        "tagId",
        t("boards.tag"),
        tags.map((x) => [x.id, x.name]),
      )}
      ${sel(
        "channelId",
        t("boards.channel"),
        channels.map((x) => [x.id, x.name]),
      )}
      ${sel("seenDays", t("contacts.seen"), [
        ["1", t("contacts.days", { n: "1" })],
        ["7", t("contacts.days", { n: "7" })],
        ["30", t("contacts.days", { n: "30" })],
      ])}
      ${sel("notSeenDays", t("contacts.notSeen"), [
        ["30", t("contacts.days", { n: "30" })],
        ["90", t("contacts.days", { n: "90" })],
      ])}
      ${sel("createdDays", t("contacts.created"), [
        ["1", t("contacts.days", { n: "1" })],
        ["7", t("contacts.days", { n: "7" })],
        ["30", t("contacts.days", { n: "30" })],
      ])}
      <label>${t("contacts.attribute")}<input name="attribute" value=${filters.attribute ?? ""} placeholder="ciudad=Puebla" /></label>
      <p><button type="submit">${t("tickets.filter")}</button> <a href=${`/contacts/export.csv${qs ? `?${qs}` : ""}`} class="btn" id="contacts-export">${t("contacts.export")}</a> ${canImport ? html`<a href="/contacts/import" class="btn" id="contacts-import">${t("contacts.import")}</a>` : null}</p></form>
    ${
      canImport && csrf
        ? html`<details class="save-view"><summary>${t("contacts.saveSegment")}</summary><form method="post" action=${`/contacts/segments?${qs}`} id="save-segment"><${Csrf} csrf=${csrf} /><label>${t("contacts.segmentName")}<input name="name" required maxlength="80" /></label><button type="submit" class="primary">${t("common.save")}</button></form></details>`
        : null
    }
    ${
      items.length
        ? html`<table class="contact-list"><tr><th>${t("contact.name")}</th><th>${t("contact.phone")}</th><th>${t("contact.email")}</th><th>${t("contacts.updated")}</th></tr>
      ${items.map((c) => html`<tr data-contact=${c.id}><td><a href=${`/contacts/${c.id}`}>${c.name || t("common.none")}</a></td><td>${c.phone ?? ""}</td><td>${c.email ?? ""}</td><td>${fmtTime(c.updatedAt, locale)}</td></tr>`)}</table>`
        : html`<p class="empty">${t("contacts.empty")}</p>`
    }
    ${next ? html`<p><a href=${`/contacts?${qs}${qs ? "&" : ""}before=${next}`}>${t("inbox.more")}</a></p>` : null}</div>
    ${
      csrf
        ? html`<details class="card new-contact"><summary>${t("contacts.new")}</summary><form method="post" action="/contacts/new" id="new-contact"><${Csrf} csrf=${csrf} />
      <label>${t("contact.name")}<input name="name" maxlength="200" /></label>
      <label>${t("contact.phone")}<input name="phone" type="tel" maxlength="40" /></label>
      <label>${t("contact.email")}<input name="email" type="email" maxlength="200" /></label>
      <p><button class="primary" type="submit">${t("common.create")}</button></p></form></details>`
        : null
    }
    ${
      isAdmin && duplicates.length
        ? html`<div class="card" id="duplicates"><h2>${t("contacts.duplicates")}</h2><p class="muted">${t("contacts.duplicatesHint")}</p>
      <ul class="dup-groups">${duplicates.map(
        (g) =>
          html`<li><strong>${g.by === "phone" ? t("contact.phone") : t("contact.email")}: ${g.value}</strong> — ${g.contacts.map((p, i) => html`${i ? ", " : ""}<a href=${`/contacts/${p.id}`}>${p.name || p.phone || p.email}</a>`)}</li>`,
      )}</ul></div>`
        : null
    }</div>`;
}

export type ContactView = {
  contact: Person & {
    attributes: Record<string, unknown>;
    tags: { id: string; name: string; color: string }[];
    createdAt: number;
  };
  conversations: { id: string; status: string; channelName: string; preview: string; lastMessageAt: number }[];
  tickets: { id: string; number: number; subject: string; status: string }[];
  orders: { id: string; number: string; status: string; total: number; currency: string; createdAt: number }[];
  appointments: { id: string; service: string; startsAt: number; status: string }[];
  notes: { id: string; authorName: string; body: string; createdAt: number }[];
  merges: {
    id: string;
    merged: { name: string; phone: string | null; email: string | null };
    byName: string;
    at: number;
  }[];
  identities: { channelName: string; channelType: string; externalId: string }[];
  duplicates: Person[];
  timeline: { at: number; kind: string; text: string; ref: string }[];
};

const money = (minor: number, currency: string, locale: string) =>
  new Intl.NumberFormat(locale === "en" ? "en-US" : "es-MX", { style: "currency", currency }).format(minor / 100);

export function ContactPage({
  t,
  csrf,
  locale,
  v,
  tags,
  fields = [],
  canMerge,
  isAdmin,
  flash,
  error,
}: {
  t: T;
  csrf: string;
  locale: string;
  v: ContactView;
  tags: Opt[];
  fields?: { key: string; label: string; type: string; options: string[] }[];
  canMerge: boolean;
  isAdmin: boolean;
  flash?: string;
  error?: string;
}): VNode {
  const c = v.contact;
  const attrs = Object.entries(c.attributes);
  return html`<div class="page contact-page"><div class="contact-grid">
    <section class="card"><p><a href="/contacts">← ${t("contacts.title")}</a></p>
      <h1>${c.name || c.phone || c.email || t("contact.visitor")}</h1>
      ${flash ? html`<div class="flash" role="status">${flash}</div>` : null}${error ? html`<div class="flash err" role="alert">${error}</div>` : null}
      <div class="contact-tags">${c.tags.map((g) => html`<span class="tag" style=${`background:${g.color}`}>${g.name} <form method="post" action=${`/contacts/${c.id}/untag/${g.id}`} style="display:inline"><${Csrf} csrf=${csrf} /><button type="submit" class="tag-x" aria-label=${t("contacts.untag", { tag: g.name })}>×</button></form></span>`)}</div>
      <form method="post" action=${`/contacts/${c.id}/tags`} class="tag-add"><${Csrf} csrf=${csrf} /><label class="sr-only" for="contact-tag">${t("conv.addTag")}</label><select id="contact-tag" name="tagId" required><option value="">+ ${t("conv.addTag")}</option>${tags.filter((g) => !c.tags.some((x) => x.id === g.id)).map((g) => html`<option value=${g.id}>${g.name}</option>`)}</select><button type="submit" class="secondary">${t("contacts.addTag")}</button></form>
      ${
        v.duplicates.length
          ? html`<div class="flash" id="contact-duplicates"><strong>${t("contacts.maybeSame")}</strong><ul>${v.duplicates.map(
              (
                d,
              ) => html`<li><a href=${`/contacts/${d.id}`}>${d.name || d.phone || d.email}</a> ${d.phone ? html`· ${d.phone}` : null} ${d.email ? html`· ${d.email}` : null}
              ${canMerge ? html`<form method="post" action=${`/contacts/${c.id}/merge`} style="display:inline" data-confirm=${t("contacts.mergeConfirm", { name: d.name || d.phone || d.email || "" })}><${Csrf} csrf=${csrf} /><input type="hidden" name="mergedId" value=${d.id} /><button type="submit" class="secondary merge-button">${t("contacts.merge")}</button></form>` : null}</li>`,
            )}</ul></div>`
          : null
      }
      <h2>${t("contact.past")}</h2>
      ${v.conversations.length ? html`<ul class="contact-convs">${v.conversations.map((x) => html`<li><a href=${`/inbox?c=${x.id}&view=all&status=any`}>${x.channelName}</a> · ${t(`status.${x.status}`)} · <span class="muted">${x.preview}</span> <span class="muted">${fmtTime(x.lastMessageAt, locale)}</span></li>`)}</ul>` : html`<p class="muted">—</p>`}
      <h2>${t("tickets.title")}</h2>
      ${v.tickets.length ? html`<ul>${v.tickets.map((x) => html`<li><a href=${`/tickets/${x.id}`}>#${x.number} ${x.subject}</a> · ${t(`tickets.status.${x.status}`)}</li>`)}</ul>` : html`<p class="muted">—</p>`}
      <h2>${t("contacts.orders")}</h2>
      ${v.orders.length ? html`<ul>${v.orders.map((o) => html`<li data-order=${o.number}><a href=${`/orders/${o.id}`}>#${o.number}</a> · ${money(o.total, o.currency, locale)} · ${t(`orders.status.${o.status}`)} <span class="muted">${fmtTime(o.createdAt, locale)}</span></li>`)}</ul>` : html`<p class="muted">—</p>`}
      <h2>${t("contacts.appointments")}</h2>
      ${v.appointments.length ? html`<ul>${v.appointments.map((a) => html`<li>${fmtTime(a.startsAt, locale)} · ${a.service || "—"} · ${a.status}</li>`)}</ul>` : html`<p class="muted">—</p>`}
      <h2>${t("contacts.notes")}</h2>
      <form method="post" action=${`/contacts/${c.id}/notes`} id="contact-note"><${Csrf} csrf=${csrf} /><label class="sr-only" for="note-body">${t("contacts.note")}</label><textarea id="note-body" name="body" rows="3" style="width:100%" placeholder=${t("contacts.notePlaceholder")}></textarea><p><button class="primary" type="submit">${t("contacts.addNote")}</button></p></form>
      <ul class="contact-notes">${v.notes.map((n) => html`<li><strong>${n.authorName}</strong> <span class="muted">${fmtTime(n.createdAt, locale)}</span><div class="ev-body">${n.body}</div></li>`)}</ul>
      <h2>${t("contacts.timeline")}</h2>
      <ol class="contact-timeline">${v.timeline.map((e) => html`<li data-kind=${e.kind}><span class="muted">${fmtTime(e.at, locale)}</span> ${t(`contacts.tl.${e.kind}`)}: ${e.text}</li>`)}</ol>
    </section>
    <aside class="card">
      <form method="post" action=${`/contacts/${c.id}`} id="contact-edit"><${Csrf} csrf=${csrf} /><h2>${t("contacts.details")}</h2>
        <label>${t("contact.name")}<input name="name" value=${c.name} maxlength="200" /></label>
        <label>${t("contact.phone")}<input name="phone" type="tel" value=${c.phone ?? ""} maxlength="40" /></label>
        <label>${t("contact.email")}<input name="email" type="email" value=${c.email ?? ""} maxlength="200" /></label>
        ${fields.map((d) => {
          const val = c.attributes[d.key];
          const v = val == null ? "" : String(val);
          return d.type === "list"
            ? html`<label>${d.label}<select name=${`attr_${d.key}`}><option value="">—</option>${d.options.map((o) => html`<option selected=${v === o}>${o}</option>`)}</select></label>`
            : html`<label>${d.label}<input name=${`attr_${d.key}`} type=${d.type === "number" ? "number" : d.type === "date" ? "date" : "text"} step=${d.type === "number" ? "any" : undefined} value=${v} /></label>`;
        })}
        ${attrs.filter(([k]) => !fields.some((d) => d.key === k)).map(([k, val]) => html`<label>${k}<input name=${`attr_${k}`} value=${val == null ? "" : String(val)} /></label>`)}
        <fieldset><legend>${t("contact.newAttribute")}</legend><label>${t("contacts.attrKey")}<input name="newKey" maxlength="64" /></label><label>${t("contact.attributeValue")}<input name="newValue" maxlength="2000" /></label></fieldset>
        <p class="muted">${t("contact.attributesHelp")}</p>
        <p><button class="primary" type="submit">${t("contact.save")}</button></p></form>
      <h3>${t("contacts.identities")}</h3>
      <ul class="contact-idents">${v.identities.map((i) => html`<li>${i.channelName} <span class="muted">${i.externalId}</span></li>`)}</ul>
      ${v.merges.length ? html`<h3>${t("contacts.merged")}</h3><ul>${v.merges.map((m) => html`<li>${m.merged.name || m.merged.phone || m.merged.email} <span class="muted">${m.byName} · ${fmtTime(m.at, locale)}</span></li>`)}</ul>` : null}
      ${isAdmin ? html`<form method="post" action=${`/contacts/${c.id}/delete`} data-confirm=${t("contacts.deleteConfirm", { name: c.name || c.phone || c.email || "" })}><${Csrf} csrf=${csrf} /><button type="submit" class="danger">${t("contacts.delete")}</button></form>` : null}
    </aside></div></div>`;
}

/** Settings → contact fields: the attributes the business defines, with their type. */
export function ContactFieldsSettings({
  t,
  csrf,
  fields,
}: {
  t: T;
  csrf: string;
  fields: { id: string; key: string; label: string; type: string; options: string[] }[];
}): VNode {
  return html`<div class="card"><h1>${t("settings.contactFields")}</h1><p class="muted">${t("contactFields.hint")}</p>
    ${
      fields.length
        ? html`<table><tr><th>${t("contactFields.label")}</th><th>${t("contactFields.key")}</th><th>${t("contactFields.type")}</th><th>${t("common.actions")}</th></tr>
      ${fields.map(
        (
          f,
        ) => html`<tr data-id=${f.id}><td>${f.label}</td><td>${f.key}</td><td>${t(`contactFields.type.${f.type}`)}${f.options.length ? `: ${f.options.join(", ")}` : ""}</td>
      <td><form method="post" action=${`/settings/contact-fields/${f.id}/delete`} data-confirm=${t("contactFields.deleteConfirm", { label: f.label })}><${Csrf} csrf=${csrf} /><button class="danger" type="submit">${t("common.delete")}</button></form></td></tr>`,
      )}</table>`
        : html`<p class="empty">${t("contactFields.empty")}</p>`
    }</div>
  <form class="card" method="post" action="/settings/contact-fields" id="new-contact-field"><${Csrf} csrf=${csrf} /><h3>${t("contactFields.new")}</h3>
    <label>${t("contactFields.label")}<input name="label" required maxlength="80" /></label>
    <label>${t("contactFields.key")}<input name="key" required maxlength="64" pattern="[a-z][a-z0-9_]*" placeholder="fecha_nacimiento" /></label>
    <label>${t("contactFields.type")}<select name="type">${["text", "number", "date", "list"].map((x) => html`<option value=${x}>${t(`contactFields.type.${x}`)}</option>`)}</select></label>
    <label>${t("contactFields.options")}<input name="options" maxlength="2000" placeholder="Oro, Plata, Bronce" /></label>
    <p><button class="primary" type="submit">${t("common.create")}</button></p></form>`;
}
