// The console's client island: live updates over SSE (server-rendered fragments are fetched and swapped in),
// the composer (replies, private notes, attachments, /quick replies) and the conversation actions.
import { errorText } from "./error-text.ts";
const $ = <E extends Element = HTMLElement>(s: string, root: ParentNode = document) =>
  root.querySelector(s) as E | null;
// crypto.randomUUID needs a secure context; plain-http sites (and LAN consoles) do not have one.
const rid = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
const csrf = () => $<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";

// API errors carry a stable code; the page holds their texts in the user's language (error-text.ts).
async function api(method: string, url: string, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": csrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const j = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(errorText(j, res.status));
  return j;
}

// Setup wizard: one step at a time.
document.querySelectorAll<HTMLButtonElement>("[data-step-go]").forEach((b) =>
  b.addEventListener("click", () => {
    const cur = b.closest("fieldset")!;
    if (Number(b.dataset.stepGo) > Number(cur.dataset.step)) {
      const bad = [...cur.querySelectorAll<HTMLInputElement>("input,select,textarea")].find((i) => !i.checkValidity());
      if (bad) {
        bad.reportValidity();
        return;
      }
    }
    document
      .querySelectorAll("fieldset.step")
      .forEach((f) => f.classList.toggle("cur", (f as HTMLElement).dataset.step === b.dataset.stepGo));
  }),
);

// Filters submit themselves.
const filters = $<HTMLFormElement>("#filters");
filters?.querySelectorAll("select").forEach((s) => s.addEventListener("change", () => filters.submit()));

// Times come from the server in its own zone; show them in the agent's.
const lang = document.documentElement.lang === "en" ? "en-US" : "es-MX";
function localizeTimes(root: ParentNode = document) {
  const today = new Date().toDateString();
  root.querySelectorAll<HTMLTimeElement>("time[data-ts]").forEach((el) => {
    const d = new Date(Number(el.dataset.ts));
    el.textContent = new Intl.DateTimeFormat(
      lang,
      d.toDateString() === today
        ? { hour: "2-digit", minute: "2-digit" }
        : { day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" },
    ).format(d);
  });
}
localizeTimes();
new MutationObserver((recs) =>
  recs.forEach((r) =>
    r.addedNodes.forEach((n) => {
      if (n instanceof Element) localizeTimes(n);
    }),
  ),
).observe(document.body, { childList: true, subtree: true });

const list = $("#conv-list");
const conv = $("#conversation");
const convId = conv?.dataset.id;
const msgs = $("#messages");

const scrollDown = () => {
  if (msgs) msgs.scrollTop = msgs.scrollHeight;
};
scrollDown();

// Reading is an explicit POST (it clears the unread count and sends the channel's read receipt), made only while
// the agent can actually see the conversation: opening it, new customer messages while the tab is visible, or
// coming back to the tab.
let unseen = Number(conv?.dataset.unread ?? 0) > 0;
let marking = false;
async function markSeen() {
  if (!convId || !unseen || marking || document.visibilityState !== "visible") return;
  marking = true;
  unseen = false;
  try {
    await api("POST", `/api/v1/conversations/${convId}/read`);
  } catch {
    unseen = true;
  } finally {
    marking = false;
  }
}
document.addEventListener("visibilitychange", () => void markSeen());
void markSeen();

async function refreshList() {
  if (!list?.dataset.src) return;
  const res = await fetch(list.dataset.src);
  if (res.ok) list.innerHTML = await res.text();
  // the views' counts move with the list
  const tabs = $("#view-tabs");
  if (!tabs?.dataset.src) return;
  const t = await fetch(tabs.dataset.src);
  if (t.ok) tabs.outerHTML = await t.text();
}
async function refreshMessages() {
  if (!convId || !msgs) return;
  const items = msgs.querySelectorAll<HTMLElement>("li[data-id]");
  const last = items[items.length - 1]?.dataset.id ?? "";
  const res = await fetch(`/partials/messages/${convId}?after=${encodeURIComponent(last)}`);
  if (!res.ok) return;
  const tpl = document.createElement("template");
  tpl.innerHTML = await res.text();
  let added = false;
  tpl.content.querySelectorAll<HTMLElement>("li[data-id]").forEach((li) => {
    const old = msgs.querySelector(`li[data-id="${li.dataset.id}"]`);
    if (old) old.replaceWith(li);
    else {
      msgs.appendChild(li);
      added = true;
      if (li.classList.contains("in")) unseen = true;
    }
  });
  if (added) scrollDown();
  collapseRepeats();
  void markSeen();
}
// A failure repeated message after message is explained once: the same reason under the next failed message is hidden.
function collapseRepeats() {
  let prev: string | undefined;
  for (const li of msgs?.querySelectorAll<HTMLElement>("li[data-id]") ?? []) {
    const problem = li.dataset.problem;
    for (const el of li.querySelectorAll<HTMLElement>(".why, .details")) el.hidden = !!problem && problem === prev;
    if (li.classList.contains("out")) prev = problem;
  }
}
collapseRepeats();
async function refreshStatuses() {
  // delivery ticks change on messages already shown: re-fetch the tail
  if (!convId || !msgs) return;
  const items = msgs.querySelectorAll<HTMLElement>("li[data-id]");
  const anchor = items[Math.max(0, items.length - 30)]?.dataset.id;
  if (!anchor) return;
  const res = await fetch(`/partials/messages/${convId}?after=${encodeURIComponent(anchor)}`);
  if (!res.ok) return;
  const tpl = document.createElement("template");
  tpl.innerHTML = await res.text();
  tpl.content.querySelectorAll<HTMLElement>("li[data-id]").forEach((li) => {
    const old = msgs.querySelector(`li[data-id="${li.dataset.id}"]`);
    if (old) old.replaceWith(li);
    else msgs.appendChild(li);
  });
  collapseRepeats();
}
// A header refresh (a live change by someone else) waits while a picker is open, so a choice is not lost mid-way.
let pickerOpen = false;
let headerStale = false;
// one refresh at a time: two in flight would each replace and bind the header, the later one over the earlier
let headerRefresh: Promise<void> | null = null;
let headerAgain = false;
async function refreshHeader(): Promise<void> {
  if (!convId) return;
  if (pickerOpen) {
    headerStale = true;
    return;
  }
  if (headerRefresh) {
    headerAgain = true;
    return headerRefresh;
  }
  headerRefresh = (async () => {
    do {
      headerAgain = false;
      headerStale = false;
      const res = await fetch(`/partials/conversation-header/${convId}`);
      // (read first: a picker opened while the answer was read is checked with nothing awaited before the swap)
      const text = res.ok ? await res.text() : null;
      if (text !== null && !pickerOpen) {
        $("#conv-header")!.outerHTML = text;
        bindHeader();
      } else if (pickerOpen) headerStale = true;
    } while (headerAgain && !pickerOpen);
  })().finally(() => {
    headerRefresh = null;
  });
  return headerRefresh;
}

// "Typing…" under the conversation: the customer (web chat), or another person of the team writing here too.
type TypingEvent = { event: string; conversationId: string; who?: string; name?: string; userId?: string };
let typingTimer: ReturnType<typeof setTimeout> | null = null;
function showTyping(batch: TypingEvent[]) {
  const el = $("#typing");
  const last = batch
    .filter((e) => e.event === "inbox.typing" && e.conversationId === convId && e.userId !== document.body.dataset.user)
    .pop();
  if (!el || !last) return;
  el.textContent =
    last.who === "contact" ? el.dataset.tContact! : el.dataset.tAgent!.replace("{name}", last.name ?? "");
  el.hidden = false;
  if (typingTimer) clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    el.hidden = true;
  }, 6000);
}
// a new message from the customer ends their "typing"
document.addEventListener("digybot:inbox", (ev) => {
  const batch = (ev as CustomEvent).detail as TypingEvent[];
  if (batch.some((e) => e.event === "inbox.message_received" && e.conversationId === convId)) {
    const el = $("#typing");
    if (el) el.hidden = true;
  }
});

let listTimer: ReturnType<typeof setTimeout> | null = null;
function live() {
  if (!document.body.dataset.user) return;
  const banner = $("#live-off");
  const es = new EventSource("/console/events");
  es.addEventListener("ready", () => {
    // the live stream is up (tests wait for this before making something happen)
    document.body.dataset.live = "1";
    banner?.classList.remove("show");
    void refreshList();
    void refreshMessages();
  });
  es.addEventListener("inbox", (ev) => {
    const batch = JSON.parse((ev as MessageEvent).data) as { event: string; conversationId: string }[];
    document.dispatchEvent(new CustomEvent("digybot:inbox", { detail: batch }));
    showTyping(batch as TypingEvent[]);
    // someone writing, or someone's presence, changes nothing in the list or the messages
    if (batch.every((e) => e.event === "inbox.typing" || e.event === "team.presence_changed")) return;
    if (!listTimer)
      listTimer = setTimeout(() => {
        listTimer = null;
        void refreshList();
      }, 150);
    const mine = batch.filter((e) => e.conversationId === convId);
    if (
      mine.some(
        (e) =>
          e.event === "inbox.message_received" ||
          e.event === "inbox.message_created" ||
          e.event === "inbox.conversation_updated",
      )
    )
      void refreshMessages();
    if (mine.some((e) => e.event === "inbox.message_status")) void refreshStatuses();
    if (mine.some((e) => e.event.startsWith("inbox.conversation_"))) void refreshHeader();
  });
  es.onerror = () => {
    document.body.dataset.live = "0";
    banner?.classList.add("show");
  };
}
live();

// Conversation actions.
// Searchable pickers instead of long native selects (assign, transfer, tags): a button showing the choice opens a
// list with a search box; typing filters it (accents and case aside), arrows move, Enter or a tap picks. The select
// stays underneath, hidden, so picking is the same change it always was.
const fold = (x: string) => x.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
function enhancePicker(sel: HTMLSelectElement) {
  // once per select, however often the header is bound
  if (sel.dataset.enhanced) return;
  sel.dataset.enhanced = "1";
  const wrap = document.createElement("div");
  wrap.className = "picker";
  wrap.dataset.for = sel.name || sel.dataset.action || "";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "picker-button";
  button.setAttribute("aria-haspopup", "listbox");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-label", sel.getAttribute("aria-label") ?? "");
  button.textContent = sel.selectedOptions[0]?.textContent ?? "";
  const pop = document.createElement("div");
  pop.className = "picker-pop";
  pop.hidden = true;
  const search = document.createElement("input");
  search.type = "search";
  search.placeholder = sel.dataset.search ?? "";
  search.setAttribute("aria-label", sel.dataset.search ?? "");
  const list = document.createElement("ul");
  list.setAttribute("role", "listbox");
  const empty = document.createElement("p");
  empty.className = "picker-empty";
  empty.textContent = sel.dataset.empty ?? "";
  empty.hidden = true;
  const options = [...sel.options].map((o) => {
    const li = document.createElement("li");
    li.setAttribute("role", "option");
    li.dataset.value = o.value;
    li.textContent = o.textContent ?? "";
    li.setAttribute("aria-selected", String(o.selected && o.value !== ""));
    // a choice that cannot be made now (a product sold out) is listed, greyed, and not picked
    if (o.disabled) li.setAttribute("aria-disabled", "true");
    list.append(li);
    return li;
  });
  let active = -1;
  const shown = () => options.filter((li) => !li.hidden);
  const highlight = (i: number) => {
    const v = shown();
    active = Math.max(0, Math.min(i, v.length - 1));
    v.forEach((li, k) => li.classList.toggle("active", k === active));
    v[active]?.scrollIntoView({ block: "nearest" });
  };
  const close = () => {
    pop.hidden = true;
    button.setAttribute("aria-expanded", "false");
    pickerOpen = false;
    if (headerStale) void refreshHeader();
  };
  const pick = (li: HTMLElement | undefined) => {
    if (!li || li.getAttribute("aria-disabled") === "true") return;
    close();
    sel.value = li.dataset.value ?? "";
    button.textContent = sel.selectedOptions[0]?.textContent ?? "";
    sel.dispatchEvent(new Event("change", { bubbles: true }));
  };
  button.addEventListener("click", () => {
    if (!pop.hidden) return close();
    for (const p of document.querySelectorAll<HTMLElement>(".picker-pop")) p.hidden = true;
    pop.hidden = false;
    pickerOpen = true;
    // open towards the side with room (a picker near the right edge of a phone opens leftwards)
    pop.style.left = "";
    pop.style.right = "";
    if (wrap.getBoundingClientRect().left + pop.offsetWidth > window.innerWidth - 8) {
      pop.style.left = "auto";
      pop.style.right = "0";
    }
    button.setAttribute("aria-expanded", "true");
    search.value = "";
    for (const li of options) li.hidden = false;
    empty.hidden = true;
    highlight(0);
    search.focus();
  });
  search.addEventListener("input", () => {
    // every word typed, in any order ("taco pastor" finds "Taco al pastor")
    const words = fold(search.value).split(/\s+/).filter(Boolean);
    for (const li of options) {
      const text = fold(li.textContent ?? "");
      li.hidden = !words.every((w) => text.includes(w));
    }
    empty.hidden = shown().length > 0;
    highlight(0);
  });
  search.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      highlight(active + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === "Enter") {
      e.preventDefault();
      pick(shown()[active]);
    } else if (e.key === "Escape") {
      close();
      button.focus();
    }
  });
  list.addEventListener("click", (e) =>
    pick((e.target as HTMLElement).closest<HTMLElement>("li[role=option]") ?? undefined),
  );
  document.addEventListener("click", (e) => {
    if (!pop.hidden && !wrap.contains(e.target as Node)) close();
  });
  pop.append(search, list, empty);
  wrap.append(button, pop);
  sel.hidden = true;
  sel.after(wrap);
}

function bindHeader() {
  const h = $("#conv-header");
  if (!h || !convId) return;
  h.querySelectorAll<HTMLSelectElement>("select[data-picker]").forEach(enhancePicker);
  // a refused change is said in the header itself, in the agent's language (never alert()), and the header shows
  // the conversation as it still is
  const failed = (e: unknown) => {
    void refreshHeader().then(() => {
      const out = $("#header-error");
      if (out) out.textContent = (e as Error).message;
    });
  };
  const patch = (body: unknown) =>
    api("PATCH", `/api/v1/conversations/${convId}`, body).then(refreshHeader).catch(failed);
  h.querySelectorAll<HTMLButtonElement>('button[data-action="status"]').forEach((b) =>
    b.addEventListener("click", () => patch({ status: b.dataset.value })),
  );
  h.querySelectorAll<HTMLSelectElement>('select[data-action="patch"]').forEach((s) =>
    s.addEventListener("change", () => patch({ [s.name]: s.value || null })),
  );
  h.querySelector<HTMLSelectElement>('select[data-action="snooze"]')?.addEventListener("change", (e) => {
    const v = (e.target as HTMLSelectElement).value;
    if (v) void patch({ status: "snoozed", snoozedUntil: Number(v) });
  });
  h.querySelector<HTMLSelectElement>('select[data-action="tag"]')?.addEventListener("change", (e) => {
    const v = (e.target as HTMLSelectElement).value;
    if (v) api("PUT", `/api/v1/conversations/${convId}/tags/${v}`).then(refreshHeader).catch(failed);
  });
  h.querySelectorAll<HTMLAnchorElement>('a[data-action="untag"]').forEach((a) =>
    a.addEventListener("click", (e) => {
      e.preventDefault();
      void api("DELETE", `/api/v1/conversations/${convId}/tags/${a.dataset.tag}`).then(refreshHeader).catch(failed);
    }),
  );
}
bindHeader();

// Composer: reply or private note, attachment upload, /shortcut quick replies.
const form = $<HTMLFormElement>("#composer");
if (form && convId) {
  const ta = $<HTMLTextAreaElement>("#reply-body", form)!;
  const fileInput = $<HTMLInputElement>("#reply-file", form)!;
  const err = $("#composer-error", form)!;
  const pop = $("#qr-pop", form)!;
  const qrs = JSON.parse($("#qr-data", form)?.textContent || "[]") as {
    shortcut: string;
    body: string;
    files: { id: string; title: string }[];
  }[];
  // the library files a quick reply brings along: shown as chips (each can be taken off) and sent with the text
  const libBox = $("#reply-library", form)!;
  let library: { id: string; title: string }[] = [];
  const renderLibrary = () => {
    libBox.replaceChildren(
      ...library.map((f) => {
        const chip = document.createElement("span");
        chip.className = "lib-chip";
        chip.dataset.file = f.id;
        chip.textContent = `📎 ${f.title} `;
        const x = document.createElement("button");
        x.type = "button";
        x.textContent = "×";
        x.setAttribute("aria-label", `${libBox.dataset.remove ?? ""} ${f.title}`);
        x.onclick = () => {
          library = library.filter((y) => y.id !== f.id);
          renderLibrary();
        };
        chip.appendChild(x);
        return chip;
      }),
    );
  };
  let sel = 0;
  // the customer (and the team) see that someone is writing a reply; never while writing a private note
  let lastTyping = 0;
  ta.addEventListener("input", () => {
    const isNote = form.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value === "note";
    if (isNote || !ta.value.trim() || Date.now() - lastTyping < 3000) return;
    lastTyping = Date.now();
    void api("POST", `/api/v1/conversations/${convId}/typing`).catch(() => null);
  });
  // a reply sent ends this bout of typing: the next keystroke says "typing" again at once
  form.addEventListener("submit", () => {
    lastTyping = 0;
  });
  form.querySelectorAll<HTMLInputElement>('input[name="mode"]').forEach((r) =>
    r.addEventListener("change", () => {
      const note = r.value === "note" && r.checked;
      form.classList.toggle("note", note);
      ta.placeholder = (note ? ta.dataset.notePlaceholder : ta.dataset.replyPlaceholder) ?? "";
    }),
  );
  // one pop-up under the caret's word: "/atajo" offers quick replies; "@nombre" in a private note offers the people
  // who can see this conversation (a mention notifies them)
  type Offer = { el: () => HTMLElement; apply: () => void };
  const people = [...($<HTMLTemplateElement>("#mention-data", form)?.content.children ?? [])] as HTMLElement[];
  const fold = (x: string) => x.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  let offers: Offer[] = [];
  const renderPop = () => {
    pop.innerHTML = "";
    offers.forEach((o, i) => {
      const d = o.el();
      d.classList.toggle("on", i === sel);
      d.setAttribute("role", "option");
      d.setAttribute("aria-selected", String(i === sel));
      d.onmousedown = (e) => {
        e.preventDefault();
        pick(i);
      };
      pop.appendChild(d);
    });
    pop.classList.toggle("show", offers.length > 0);
  };
  const pick = (i: number) => {
    const o = offers[i];
    if (!o) return;
    o.apply();
    offers = [];
    renderPop();
    ta.focus();
  };
  /** replaces the word before the caret (matched by `re`) with `text` and puts the caret after it */
  const replaceBefore = (re: RegExp, text: string) => {
    const at = ta.selectionStart ?? ta.value.length;
    const before = ta.value.slice(0, at).replace(re, (_m, lead: string) => `${lead}${text}`);
    ta.value = before + ta.value.slice(at);
    ta.setSelectionRange(before.length, before.length);
  };
  const MENTION = /(^|\s)@([\p{L}\p{N}._-]*)$/u;
  const SHORTCUT = /(^|\s)\/([\w-]*)$/;
  ta.addEventListener("input", () => {
    const head = ta.value.slice(0, ta.selectionStart ?? ta.value.length);
    const isNote = form.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value === "note";
    const m = isNote ? MENTION.exec(head) : null;
    const q = SHORTCUT.exec(head);
    if (m && !people.length)
      offers = [
        {
          el: () => {
            const d = document.createElement("div");
            d.className = "meta";
            d.textContent = $("#mention-data", form)?.dataset.none ?? "";
            return d;
          },
          apply: () => undefined,
        },
      ];
    else if (m) {
      const want = fold(m[2]);
      offers = people
        .filter((p) => {
          const name = fold(p.dataset.name ?? "");
          return name.startsWith(want) || name.split(/\s+/).some((w) => w.startsWith(want));
        })
        .slice(0, 8)
        .map((p) => ({
          el: () => p.cloneNode(true) as HTMLElement,
          apply: () => replaceBefore(MENTION, `@${p.dataset.name} `),
        }));
    } else if (q) {
      offers = qrs
        .filter((x) => x.shortcut.startsWith(q[2].toLowerCase()))
        .slice(0, 8)
        .map((x) => ({
          el: () => {
            const d = document.createElement("div");
            d.textContent = `/${x.shortcut} — ${x.files?.length ? "📎 " : ""}${x.body.slice(0, 80)}`;
            return d;
          },
          apply: () => {
            replaceBefore(SHORTCUT, x.body);
            for (const f of x.files ?? []) if (!library.some((y) => y.id === f.id)) library.push(f);
            renderLibrary();
          },
        }));
    } else offers = [];
    sel = 0;
    renderPop();
  });
  ta.addEventListener("keydown", (e) => {
    if (offers.length) {
      if (e.key === "ArrowDown") {
        sel = (sel + 1) % offers.length;
        renderPop();
        e.preventDefault();
        return;
      }
      if (e.key === "ArrowUp") {
        sel = (sel + offers.length - 1) % offers.length;
        renderPop();
        e.preventDefault();
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        pick(sel);
        e.preventDefault();
        return;
      }
      if (e.key === "Escape") {
        offers = [];
        renderPop();
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    const isNote = (form.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value ?? "reply") === "note";
    const attachments = [];
    try {
      const f = fileInput.files?.[0];
      if (f) {
        const fd = new FormData();
        fd.append("file", f);
        const res = await fetch(`/api/v1/files?conversationId=${convId}`, {
          method: "POST",
          body: fd,
          headers: { "x-csrf-token": csrf() },
        });
        const j = await res.json();
        if (!res.ok) throw new Error(errorText(j, res.status));
        attachments.push(j.data);
      }
      if (!ta.value.trim() && !attachments.length && !library.length) return;
      // buttons or a list (WhatsApp): one option per line; the server checks the channel's limits
      const kind = form.querySelector<HTMLInputElement>('input[name="kind"]:checked')?.value ?? "text";
      const lines = (form.querySelector<HTMLTextAreaElement>('textarea[name="options"]')?.value ?? "")
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      const opts = lines.map((title, i) => ({ id: `opt${i + 1}`, title }));
      const content =
        isNote || kind === "text"
          ? undefined
          : kind === "buttons"
            ? { buttons: opts }
            : {
                list: {
                  button:
                    form.querySelector<HTMLInputElement>('input[name="listButton"]')?.value.trim() || "Ver opciones",
                  sections: [{ rows: opts }],
                },
              };
      await api("POST", `/api/v1/conversations/${convId}/messages`, {
        body: ta.value,
        private: isNote,
        attachments,
        library: library.map((f) => f.id),
        idempotencyKey: rid(),
        ...(content ? { content } : {}),
      });
      const optsBox = form.querySelector<HTMLTextAreaElement>('textarea[name="options"]');
      if (optsBox) optsBox.value = "";
      ta.value = "";
      fileInput.value = "";
      library = [];
      renderLibrary();
      await refreshMessages();
    } catch (x) {
      err.textContent = (x as Error).message;
    }
  });
}

// Copilot: suggested replies (a click puts one in the composer, to send as is or edit), the summary, and
// rewriting or translating the draft in place.
const copilot = $<HTMLElement>("#copilot");
if (copilot && convId) {
  const out = $<HTMLElement>("#copilot-out")!;
  const ta = $<HTMLTextAreaElement>("#reply-body")!;
  const errBox = $<HTMLElement>("#composer-error")!;
  copilot.addEventListener("click", async (e) => {
    const b = (e.target as HTMLElement).closest("button");
    if (!b) return;
    errBox.textContent = "";
    b.disabled = true;
    try {
      if (b.dataset.copilot === "suggest") {
        const r = await api("POST", `/api/v1/conversations/${convId}/copilot/suggestions`);
        out.replaceChildren(
          ...r.data.suggestions.map((x: { text: string; source: string | null }) => {
            const chip = document.createElement("button");
            chip.type = "button";
            chip.className = "suggestion";
            chip.textContent = x.text;
            if (x.source) chip.title = x.source;
            chip.addEventListener("click", () => {
              ta.value = x.text;
              ta.focus();
              out.replaceChildren();
            });
            return chip;
          }),
        );
        if (!r.data.suggestions.length) out.textContent = "—";
      } else if (b.dataset.copilot === "summary") {
        const r = await api("POST", `/api/v1/conversations/${convId}/copilot/summary`);
        const p = document.createElement("p");
        p.className = "summary";
        p.textContent = r.data.summary || "—";
        out.replaceChildren(p);
      } else if (b.dataset.rewrite && ta.value.trim()) {
        const r = await api("POST", "/api/v1/copilot/rewrite", {
          text: ta.value,
          style: b.dataset.rewrite,
          language: document.documentElement.lang === "en" ? "es" : "en",
        });
        ta.value = r.data.text;
      }
    } catch (x) {
      errBox.textContent = (x as Error).message;
    } finally {
      b.disabled = false;
    }
  });
}

// WhatsApp templates: one value field per {{n}} of the chosen template.
const tform = $<HTMLFormElement>("#template-form");
if (tform && convId) {
  const select = tform.querySelector<HTMLSelectElement>('select[name="template"]')!;
  const inputs = [...tform.querySelectorAll<HTMLInputElement>('input[name="param"]')];
  const terr = tform.querySelector<HTMLElement>(".template-error")!;
  // a template with an image, video or document header: the library's files of that kind
  const headerBox = tform.querySelector<HTMLElement>(".template-header");
  const headerSel = headerBox?.querySelector<HTMLSelectElement>("select");
  const show = () => {
    const n = Number(select.selectedOptions[0]?.dataset.params ?? 0);
    inputs.forEach((i) => {
      const on = Number(i.dataset.n) <= n;
      i.hidden = !on;
      i.required = on;
    });
    if (headerBox && headerSel) {
      const kind = select.selectedOptions[0]?.dataset.header ?? "";
      headerBox.hidden = !kind;
      headerSel.required = !!kind;
      let any = false;
      for (const o of headerSel.options) {
        if (!o.value) continue;
        o.hidden = o.disabled = o.dataset.kind !== kind;
        any ||= !o.hidden;
      }
      if (headerSel.selectedOptions[0]?.hidden) headerSel.value = "";
      headerBox.querySelector<HTMLElement>("[data-none]")!.hidden = any;
    }
  };
  select.addEventListener("change", show);
  show();
  tform.addEventListener("submit", async (e) => {
    e.preventDefault();
    terr.textContent = "";
    const [name, language] = select.value.split("|");
    const params = inputs.filter((i) => !i.hidden).map((i) => i.value);
    const header = headerBox && !headerBox.hidden && headerSel?.value ? { header: headerSel.value } : {};
    try {
      await api("POST", `/api/v1/conversations/${convId}/messages`, {
        content: { template: { name, language, params, ...header } },
        idempotencyKey: rid(),
      });
      inputs.forEach((i) => {
        i.value = "";
      });
      await refreshMessages();
    } catch (x) {
      terr.textContent = (x as Error).message;
    }
  });
}

// A product's pictures: each chosen picture goes with a thumbnail made here (a JPEG at most data-thumb-edge pixels
// on its longer side), in the form's hidden "thumb" input, one per picture in the same order. A picture the browser
// cannot draw is sent without one (the server then keeps it as its own thumbnail).
const imageForm = $<HTMLFormElement>("#product-image-form");
if (imageForm) {
  const edge = Number(imageForm.dataset.thumbEdge || 320);
  const thumbOf = async (f: File) => {
    const bmp = await createImageBitmap(f);
    const k = Math.min(1, edge / Math.max(bmp.width, bmp.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bmp.width * k));
    canvas.height = Math.max(1, Math.round(bmp.height * k));
    canvas.getContext("2d")!.drawImage(bmp, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((ok) => canvas.toBlob(ok, "image/jpeg", 0.82));
    if (!blob) throw new Error("no thumbnail");
    return new File([blob], `${f.name.replace(/\.[^.]*$/, "")}-mini.jpg`, { type: "image/jpeg" });
  };
  let ready = false;
  imageForm.addEventListener("submit", async (e) => {
    if (ready) return;
    e.preventDefault();
    const picked = [...(imageForm.querySelector<HTMLInputElement>('input[name="image"]')?.files ?? [])];
    const dt = new DataTransfer();
    try {
      for (const f of picked) dt.items.add(await thumbOf(f));
    } catch {
      // one could not be drawn: all go without (the server pairs thumbnails by position)
      dt.items.clear();
    }
    const thumbs = imageForm.querySelector<HTMLInputElement>('input[name="thumb"]');
    if (thumbs) thumbs.files = dt.files;
    ready = true;
    imageForm.dataset.thumbs = String(dt.files.length);
    imageForm.submit();
  });
}

// Forms that undo something ask first.
document.addEventListener(
  "submit",
  (e) => {
    const f = e.target as HTMLFormElement;
    if (f.dataset.confirm && !confirm(f.dataset.confirm)) e.preventDefault();
    // deactivating a person asks first (saving their role or departments does not)
    else if (
      f.dataset.confirmDeactivate &&
      f.querySelector<HTMLSelectElement>('select[name="active"]')?.value === "0" &&
      !confirm(f.dataset.confirmDeactivate)
    )
      e.preventDefault();
  },
  true,
);

// Parts of a page that follow a live state (a WhatsApp number pairing): re-read every 2 s while visible.
// The element is replaced by each answer, so the next tick works on the replacement (found again by its id).
for (const first of document.querySelectorAll<HTMLElement>("[data-poll]")) {
  let el = first;
  const tick = async () => {
    if (document.visibilityState !== "visible") return;
    if (!el.isConnected) {
      const again = el.id ? document.getElementById(el.id) : null;
      if (!again) return;
      el = again;
    }
    const res = await fetch(el.dataset.poll!).catch(() => null);
    if (!res?.ok) return;
    const text = await res.text();
    // what someone is typing in it is not replaced (checked with nothing awaited before the swap)
    if (el.contains(document.activeElement)) return;
    const tpl = document.createElement("template");
    tpl.innerHTML = text;
    const next = tpl.content.firstElementChild as HTMLElement | null;
    if (next) {
      el.replaceWith(next);
      el = next;
    }
  };
  setInterval(() => void tick(), 2000);
}

// Contact side panel: saving shows what was stored (the phone in E.164), attributes are edited in place (an empty
// value removes one, a new key adds one).
const cform = $<HTMLFormElement>("#contact-form");
function attrRow(key: string, value: string) {
  const label = document.createElement("label");
  label.className = "attr";
  label.append(key);
  const input = document.createElement("input");
  input.dataset.key = key;
  input.value = input.defaultValue = value;
  label.append(input);
  return label;
}
cform?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const field = (n: string) => cform.querySelector<HTMLInputElement>(`input[name="${n}"]`)!;
  const out = $("#contact-msg")!;
  const attributes: Record<string, string | null> = {};
  cform.querySelectorAll<HTMLInputElement>("input[data-key]").forEach((i) => {
    if (i.value !== i.defaultValue) attributes[i.dataset.key!] = i.value.trim() === "" ? null : i.value;
  });
  const newKey = field("newKey").value.trim();
  if (newKey) attributes[newKey] = field("newValue").value;
  try {
    const j = await api("PATCH", `/api/v1/contacts/${cform.dataset.contact}`, {
      name: field("name").value,
      phone: field("phone").value || null,
      email: field("email").value || null,
      ...(Object.keys(attributes).length ? { attributes } : {}),
    });
    const c = j.data as {
      name: string;
      phone: string | null;
      email: string | null;
      attributes: Record<string, unknown>;
    };
    for (const [n, v] of [
      ["name", c.name],
      ["phone", c.phone ?? ""],
      ["email", c.email ?? ""],
      ["newKey", ""],
      ["newValue", ""],
    ] as const) {
      field(n).value = v;
      field(n).defaultValue = v;
    }
    $("#contact-attrs")!.replaceChildren(
      ...Object.entries(c.attributes ?? {}).map(([k, v]) => attrRow(k, v === null ? "" : String(v))),
    );
    out.textContent = cform.dataset.saved ?? "";
  } catch (x) {
    out.textContent = (x as Error).message;
  }
});

// Phones: the contact panel opens as a sheet over the conversation.
document.addEventListener("click", (e) => {
  const el = e.target as HTMLElement;
  if (el.closest("[data-sheet-open]")) document.body.classList.add("sheet-open");
  else if (el.closest("[data-sheet-close]")) document.body.classList.remove("sheet-open");
});

// Copy buttons: the text beside them to the clipboard (a fallback where the Clipboard API is missing: plain-http LAN consoles).
document.addEventListener("click", async (e) => {
  const b = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-copy]");
  if (!b) return;
  const text = document.getElementById(b.dataset.copy!)?.textContent ?? "";
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const ta = document.createElement("textarea");
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand("copy");
    ta.remove();
  }
  const label = b.textContent;
  b.textContent = b.dataset.done ?? label;
  setTimeout(() => {
    b.textContent = label;
  }, 2000);
});

// ---- installable app, push notifications and alerts in the open console

const swReady =
  "serviceWorker" in navigator && window.isSecureContext
    ? navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => null)
    : null;

// The offline page goes back to the inbox once DigyBot answers again: the phone's network may be back, or the
// business's computer switched on again (the phone being online is not enough), so it asks the server itself.
if (document.body.dataset.offline) {
  const retry = () =>
    void fetch("/healthz", { cache: "no-store" })
      .then((r) => {
        if (r.ok) location.replace("/inbox");
      })
      .catch(() => null);
  addEventListener("online", retry);
  setInterval(retry, 3000);
}

const b64ToBytes = (s: string) => {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
  return Uint8Array.from(b, (ch) => ch.charCodeAt(0));
};
async function currentSubscription() {
  const reg = swReady ? await swReady : null;
  return reg ? reg.pushManager.getSubscription() : null;
}

// Notifications page: whether this device can get pushes, and turning them on or off.
const pushCard = $("#push-card");
if (pushCard) {
  const state = $("#push-state")!;
  const on = $<HTMLButtonElement>("#push-enable")!;
  const off = $<HTMLButtonElement>("#push-disable")!;
  const d = pushCard.dataset;
  const show = (text: string, can: "on" | "off" | "none") => {
    state.textContent = text;
    on.hidden = can !== "off";
    off.hidden = can !== "on";
  };
  const refresh = async () => {
    if (!window.isSecureContext) return show(d.tInsecure!.replace("{origin}", location.origin), "none");
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window))
      return show(d.tUnsupported!, "none");
    if (Notification.permission === "denied") return show(d.tDenied!, "none");
    const sub = await currentSubscription();
    show(sub ? d.tOn! : d.tOff!, sub ? "on" : "off");
  };
  on.addEventListener("click", async () => {
    on.disabled = true;
    try {
      if ((await Notification.requestPermission()) !== "granted") return void (await refresh());
      const reg = (await swReady) ?? (await navigator.serviceWorker.ready);
      const sub =
        (await reg.pushManager.getSubscription()) ??
        (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(d.vapid!) }));
      await api("POST", "/push/subscriptions", sub.toJSON());
      location.reload();
    } catch (e) {
      show(d.tFailed!.replace("{reason}", (e as Error).message), "off");
    } finally {
      on.disabled = false;
    }
  });
  off.addEventListener("click", async () => {
    off.disabled = true;
    try {
      const sub = await currentSubscription();
      if (sub) {
        await api("POST", "/push/unsubscribe", { endpoint: sub.endpoint });
        await sub.unsubscribe();
      }
      location.reload();
    } catch (e) {
      show(d.tFailed!.replace("{reason}", (e as Error).message), "on");
      off.disabled = false;
    }
  });
  void refresh();
}

// In the open console: a tab-title counter and a desktop notification while the tab is hidden, and a sound, for
// what concerns this person (a customer writing in their conversations, a new conversation waiting).
const me = document.body.dataset.user;
if (me) {
  const baseTitle = document.title;
  let unseen = 0;
  let prefs: { sound?: boolean } = {};
  void fetch("/push/prefs")
    .then((r) => (r.ok ? r.json() : {}))
    .then((p) => {
      prefs = p;
    })
    .catch(() => null);
  let audio: AudioContext | null = null;
  const chime = () => {
    if (!prefs.sound) return;
    try {
      audio ??= new AudioContext();
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.15, audio.currentTime);
      g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      o.connect(g).connect(audio.destination);
      o.start();
      o.stop(audio.currentTime + 0.4);
    } catch {
      // no audio on this device
    }
  };
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      unseen = 0;
      document.title = baseTitle;
    }
  });
  document.addEventListener("digybot:inbox", async (ev) => {
    const batch = (ev as CustomEvent).detail as {
      event: string;
      conversationId: string;
      assigneeId: string | null;
      ownerType?: string;
    }[];
    // a customer's message (a new conversation starts with one) in my conversations or waiting for anyone
    const news = batch.filter(
      (e) => e.event === "inbox.message_received" && e.ownerType !== "bot" && (e.assigneeId === me || !e.assigneeId),
    );
    if (!news.length) return;
    const looking = !document.hidden && news.every((e) => e.conversationId === convId);
    if (looking) return;
    chime();
    if (!document.hidden) return;
    unseen += news.length;
    document.title = `(${unseen}) ${baseTitle}`;
    // a device with push gets the service worker's notification; one without gets this one
    if (
      "Notification" in window &&
      Notification.permission === "granted" &&
      !(await currentSubscription().catch(() => null))
    ) {
      const n = new Notification(document.body.dataset.tAlert ?? "DigyBot", {
        tag: `conv:${news[0].conversationId}`,
        icon: "/assets/icon.svg",
      });
      n.onclick = () => {
        window.focus();
        location.href = `/inbox?c=${encodeURIComponent(news[0].conversationId)}`;
      };
    }
  });
}

// Phones: the top bar's menu opens and closes (Escape or a tap elsewhere closes it).
const menuToggle = $<HTMLButtonElement>("#menu-toggle");
if (menuToggle) {
  const set = (open: boolean) => {
    document.body.classList.toggle("menu-open", open);
    menuToggle.setAttribute("aria-expanded", String(open));
  };
  menuToggle.addEventListener("click", (e) => {
    e.stopPropagation();
    set(!document.body.classList.contains("menu-open"));
  });
  document.addEventListener("click", (e) => {
    if (document.body.classList.contains("menu-open") && !(e.target as HTMLElement).closest("#top-links")) set(false);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") set(false);
  });
}

// Phones: a table's rows become cards; each cell is labelled with its column's heading (CSS shows the label).
function labelTables(root: ParentNode = document) {
  for (const table of root.querySelectorAll<HTMLTableElement>("table:not(.hours):not(.cards)")) {
    const head = [...table.rows].find((r) => r.querySelector("th"));
    if (!head) continue;
    const labels = [...head.cells].map((c) => c.textContent?.trim() ?? "");
    for (const row of table.rows) {
      if (row === head) continue;
      [...row.cells].forEach((cell, i) => {
        cell.dataset.label = labels[i] ?? "";
      });
    }
    table.classList.add("cards");
  }
}
labelTables();

// Every control above is bound: the page is interactive (bench/console reads this mark).
performance.mark("digybot:interactive");

// The automation editor: the trigger shows only its own fields; condition and action rows are added and removed;
// each action row shows the inputs its type uses, and only the references of that kind (tags, people…).
const ruleForm = $<HTMLFormElement>("#rule-form");
if (ruleForm) {
  const ttype = $<HTMLSelectElement>("#t_type", ruleForm)!;
  const showTrigger = () =>
    ruleForm.querySelectorAll<HTMLElement>("[data-show]").forEach((el) => {
      el.hidden = !(el.dataset.show ?? "").split(" ").includes(ttype.value);
    });
  ttype.addEventListener("change", showTrigger);
  showTrigger();
  const uses = JSON.parse(ruleForm.dataset.inputs ?? "{}") as Record<
    string,
    { text?: string; ref?: string; optional?: boolean }
  >;
  const fit = (row: HTMLElement) => {
    const type = row.querySelector<HTMLSelectElement>('select[name="a_type"]')!.value;
    const u = uses[type] ?? {};
    const text = row.querySelector<HTMLTextAreaElement>('textarea[name="a_text"]')!;
    const ref = row.querySelector<HTMLSelectElement>('select[name="a_ref"]')!;
    text.hidden = !u.text;
    text.rows = u.text === "long" ? 3 : 1;
    // a message's template (outside the 24-hour window), when the channel has templates to choose from
    const tpl = row.querySelector<HTMLElement>(".tpl-fields");
    if (tpl) tpl.hidden = type !== "send_message" || tpl.querySelectorAll('select[name="a_tpl"] option').length < 2;
    let keep = false;
    let any = false;
    for (const o of ref.options) {
      o.hidden = o.dataset.kind !== u.ref && !(u.optional && o.dataset.kind === "*");
      if (o.dataset.kind === u.ref) any = true;
      if (o.selected && !o.hidden) keep = true;
    }
    // an optional reference with nothing to choose (an empty library) is not shown at all
    ref.hidden = !u.ref || (!!u.optional && !any);
    if (!keep) {
      const first = [...ref.options].find((o) => !o.hidden);
      ref.value = first?.value ?? "";
    }
  };
  ruleForm.querySelectorAll<HTMLElement>(".action-row").forEach(fit);
  ruleForm.addEventListener("change", (e) => {
    const el = e.target as HTMLElement;
    if (el.matches('select[name="a_type"]')) fit(el.closest<HTMLElement>(".action-row")!);
  });
  editableRows(ruleForm, (row, kind) => {
    if (kind === "action") fit(row);
  });
}

/**
 * Rows a person adds and removes in an editor form: a button[data-add-row=KIND] appends a copy of
 * template#KIND-template to #KINDs; a button[data-remove-row] removes its row. Steps are numbered again.
 */
function editableRows(form: HTMLFormElement, added?: (row: HTMLElement, kind: string) => void) {
  const renumber = () =>
    form.querySelectorAll<HTMLElement>("#steps > li legend").forEach((l, i) => {
      l.textContent = `${form.dataset.stepLabel ?? l.textContent?.replace(/\s*\d+$/, "")} ${i + 1}`;
    });
  renumber();
  form.addEventListener("click", (e) => {
    const b = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-add-row], button[data-remove-row]");
    if (!b) return;
    e.preventDefault();
    if (b.dataset.removeRow !== undefined) {
      b.closest("li")?.remove();
      return renumber();
    }
    const kind = b.dataset.addRow!;
    const tpl = $<HTMLTemplateElement>(`#${kind}-template`, form)!;
    const row = (tpl.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
    $(`#${kind}s`, form)!.appendChild(row);
    added?.(row, kind);
    renumber();
    row.querySelector<HTMLElement>("select, input, textarea")?.focus();
  });
}
const sequenceForm = $<HTMLFormElement>("#sequence-form");
if (sequenceForm) editableRows(sequenceForm);

// Presence: the person is not idle while they use the console (one report a minute at most); the top bar's
// presence menu closes when one taps elsewhere.
if (document.body?.dataset.user) {
  let last = Date.now();
  const seen = () => {
    if (Date.now() - last < 60_000) return;
    last = Date.now();
    void fetch("/console/presence/activity", { method: "POST", headers: { "x-csrf-token": csrf() } }).catch(() => {});
  };
  for (const ev of ["pointerdown", "keydown"]) document.addEventListener(ev, seen, { passive: true });
  const presence = $<HTMLDetailsElement>("#presence");
  document.addEventListener("click", (e) => {
    if (presence?.open && !presence.contains(e.target as Node)) presence.open = false;
  });
}

// A contacts import running: its progress bar follows the server; done or refused, the page shows the result.
const importBox = $<HTMLElement>("#import-job[data-running='1']");
if (importBox) {
  const id = importBox.dataset.import;
  const tick = async () => {
    const r = await fetch(`/contacts/import/${id}/status`).catch(() => null);
    const j = (await r?.json().catch(() => null)) as {
      data?: { progress?: { done: number; total: number; phase: string }; result?: unknown; error?: unknown };
    } | null;
    const d = j?.data;
    if (d?.result || d?.error || !r?.ok) return location.reload();
    const bar = $<HTMLProgressElement>("#import-progress");
    if (bar && d?.progress) {
      bar.max = d.progress.total || 1;
      bar.value = d.progress.done;
    }
    setTimeout(tick, 400);
  };
  void tick();
}

// The team page follows the team live: a presence change, a conversation waiting or taken refreshes it.
if ($("#team-grid")) {
  let teamTimer: ReturnType<typeof setTimeout> | null = null;
  // not while the person is choosing in it (a select, a button): the refresh waits until they are done
  const busy = () => !!document.activeElement?.closest("#team-grid form");
  const refreshTeam = async (): Promise<void> => {
    if (busy()) {
      teamTimer = setTimeout(() => void refreshTeam(), 1000);
      return;
    }
    const r = await fetch("/partials/team").catch(() => null);
    if (!r?.ok || busy()) return;
    const box = $("#team-grid");
    const tmp = document.createElement("div");
    tmp.innerHTML = await r.text();
    const fresh = tmp.querySelector("#team-grid");
    if (box && fresh) box.replaceWith(fresh);
    document.body.dataset.teamRefreshed = String(Date.now());
  };
  document.addEventListener("digybot:inbox", (ev) => {
    const batch = (ev as CustomEvent<{ event: string; userId?: string }[]>).detail;
    const me = document.body.dataset.user;
    // one's own console coming up says nothing new to oneself
    const news = batch.some(
      (e) => (e.event === "team.presence_changed" && e.userId !== me) || e.event.startsWith("inbox.conversation_"),
    );
    if (!news) return;
    if (teamTimer) clearTimeout(teamTimer);
    teamTimer = setTimeout(() => void refreshTeam(), 250);
  });
}

// The conversation's cart (contact panel): fetched when the conversation opens and again when it changes (an AI
// agent or another console adding to it); the agent adds items, changes quantities, picks delivery and creates the
// order, each through the API, the panel read again after it.
let cartStale = false;
/** the order this console just created from the cart: the panel keeps saying so */
let cartOrdered: string | undefined;
async function refreshCart(force = false) {
  const ordered = cartOrdered;
  const box = $("#cart-panel");
  if (!box || !convId) return;
  // someone choosing in the panel is not interrupted: it is read again once they leave it
  if (!force && box.contains(document.activeElement) && document.activeElement !== document.body) {
    cartStale = true;
    document.body.dataset.cartDeferred = String(Date.now());
    return;
  }
  cartStale = false;
  const res = await fetch(`/partials/cart/${convId}${ordered ? `?ordered=${encodeURIComponent(ordered)}` : ""}`);
  if (!res.ok) return;
  const text = await res.text();
  // someone may have started choosing or typing while it was read: what they typed is not replaced (checked with
  // nothing awaited between this and the replacement, so a keystroke cannot land in between)
  const now = $("#cart-panel");
  if (!force && now?.contains(document.activeElement) && document.activeElement !== document.body) {
    cartStale = true;
    document.body.dataset.cartDeferred = String(Date.now());
    return;
  }
  const tpl = document.createElement("template");
  tpl.innerHTML = text;
  const fresh = tpl.content.querySelector("#cart-panel");
  if (fresh) $("#cart-panel")?.replaceWith(fresh);
  bindCart();
  document.body.dataset.cartRefreshed = String(Date.now());
}
// the cart's changes go to the server one after another, in the order they were made: two in flight at once could
// arrive the other way round (an address saved empty after it was typed, and the order refused for it)
let cartQueue: Promise<unknown> = Promise.resolve();
const cartCall = (method: string, url: string, body?: unknown) => {
  const run = cartQueue.then(
    () => api(method, url, body),
    () => api(method, url, body),
  );
  cartQueue = run.catch(() => undefined);
  return run;
};
function bindCart() {
  const box = $("#cart-panel");
  if (!box || box.dataset.bound) return;
  box.dataset.bound = "1";
  const base = `/api/v1/conversations/${box.dataset.conversation}`;
  const fail = (e: unknown) => {
    const el = $("#cart-error");
    if (!el) return;
    el.textContent = e instanceof Error ? e.message : String(e);
    el.hidden = false;
  };
  box.addEventListener("focusout", () =>
    // the focus lands on the next control a moment later: a refresh waits for that, and for the panel to be left
    setTimeout(() => {
      if (cartStale && !$("#cart-panel")?.contains(document.activeElement)) void refreshCart();
    }, 250),
  );
  const add = $<HTMLFormElement>("#cart-add", box);
  const item = add?.querySelector<HTMLSelectElement>('select[name="item"]');
  // a catalog of hundreds: the product is found by typing (the same searchable picker as the header's)
  if (item) enhancePicker(item);
  const showMods = () => {
    const sku = (item?.value ?? "").split("::")[0];
    for (const l of box.querySelectorAll<HTMLElement>(".cart-mods label[data-for-sku]")) {
      l.hidden = l.dataset.forSku !== sku;
      if (l.hidden) l.querySelector<HTMLInputElement>("input")!.checked = false;
    }
    const set = box.querySelector<HTMLElement>(".cart-mods");
    if (set) set.hidden = !box.querySelector(".cart-mods label[data-for-sku]:not([hidden])");
  };
  item?.addEventListener("change", showMods);
  showMods();
  add?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const [sku, variant] = (item?.value ?? "").split("::");
    // (the select is hidden behind its picker: an empty choice is said here, not by the browser's validation)
    if (!sku) return fail(new Error(item?.options[0]?.textContent ?? ""));
    const f = new FormData(add);
    try {
      await cartCall("POST", `${base}/cart/items`, {
        sku,
        variant: variant || null,
        quantity: Number(f.get("quantity") || 1),
        modifiers: f.getAll("mod").map(String),
      });
      (document.activeElement as HTMLElement | null)?.blur();
      await refreshCart();
    } catch (e) {
      fail(e);
    }
  });
  for (const b of box.querySelectorAll<HTMLButtonElement>("button[data-cart-qty]"))
    b.addEventListener("click", async () => {
      const line = b.closest<HTMLElement>("li[data-line]")!.dataset.line!;
      try {
        await cartCall("PATCH", `${base}/cart/items/${line}`, { quantity: Number(b.dataset.cartQty) });
        b.blur();
        await refreshCart();
      } catch (e) {
        fail(e);
      }
    });
  const coupon = $<HTMLFormElement>("#cart-coupon", box);
  coupon?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const code = String(new FormData(coupon).get("code") ?? "").trim();
    try {
      await cartCall("POST", `${base}/cart/coupon`, { code: code || null });
      (document.activeElement as HTMLElement | null)?.blur();
      await refreshCart();
    } catch (e) {
      fail(e);
    }
  });
  const details = $<HTMLFormElement>("#cart-details", box);
  // pickup or delivery and the address are saved as they change, and the zone's fee and time (or why there is
  // none) shown under them, before the order is made
  details?.addEventListener("change", async (ev) => {
    const el = ev.target as HTMLElement;
    if (!el.matches('select[name="fulfilment"], input[name="address"]')) return;
    const f = new FormData(details);
    try {
      await cartCall("PATCH", `${base}/cart`, {
        fulfilment: String(f.get("fulfilment")),
        address: String(f.get("address") ?? ""),
      });
      const res = await fetch(`/partials/cart/${box.dataset.conversation}`);
      if (!res.ok) return;
      const tpl = document.createElement("template");
      tpl.innerHTML = await res.text();
      const fresh = tpl.content.querySelector("#cart-delivery");
      const cur = $("#cart-delivery", box);
      if (fresh && cur) cur.replaceWith(fresh);
      else if (fresh) details.querySelector('input[name="address"]')?.closest("label")?.after(fresh);
      else cur?.remove();
      const total = tpl.content.querySelector("#cart-total");
      if (total) $("#cart-total", box)?.replaceWith(total);
      document.body.dataset.cartDelivery = String(Date.now());
    } catch (e) {
      fail(e);
    }
  });
  details?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(details);
    try {
      await cartCall("PATCH", `${base}/cart`, {
        fulfilment: String(f.get("fulfilment")),
        address: String(f.get("address") ?? ""),
      });
      const o = await cartCall("POST", `${base}/checkout`, { paymentMethod: String(f.get("paymentMethod")) });
      (document.activeElement as HTMLElement | null)?.blur();
      cartOrdered = o.data.id;
      await refreshCart(true);
    } catch (e) {
      fail(e);
    }
  });
}
if ($("#cart-panel")) void refreshCart();
document.addEventListener("digybot:inbox", (ev) => {
  const batch = (ev as CustomEvent).detail as { event: string; conversationId: string }[];
  if (batch.some((e) => e.conversationId === convId && e.event.startsWith("commerce."))) void refreshCart();
});
