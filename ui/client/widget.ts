// The embeddable web chat: <script src="https://your-digybot/widget.js" data-channel="CHANNEL_ID" async></script>
// Preact + htm in a shadow root (the host page's CSS cannot break it). The visitor's token is kept in
// localStorage, so a reload keeps the conversation; live messages arrive over SSE with catch-up by last id.
import { h, render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { es } from "../i18n/es.ts";
import { en } from "../i18n/en.ts";
import widgetCss from "../styles/widget.css" with { type: "text" };
import { Icon, Avatar } from "../components/icons.ts";

const html = htm.bind(h);
// crypto.randomUUID needs a secure context; plain-http sites (and LAN consoles) do not have one.
const rid = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
type Att = { fileId: string; name: string; mime: string; size: number };
type Msg = {
  id: string;
  direction: "in" | "out" | "activity";
  /** the name of who answered on the business's side (a person's first name, an AI agent's name) */
  author?: string;
  body: string;
  attachments: Att[];
  createdAt: number;
  status?: string;
  pending?: boolean;
  failed?: boolean;
  limited?: boolean;
  clientId?: string;
  /** options offered with the business's message: chips, a tap answers with the option's id; with a detail or a
   * picture, a product card (its price, its picture, + and − when it takes a quantity) */
  options?: { id: string; title: string; detail?: string; image?: string; quantity?: boolean }[];
};
type Choice = { id: string; title: string; quantity?: number };

/** A product offered by the business: its picture, name and price, how many (+ and −), and "Agregar". */
function ProductCard({
  o,
  t,
  pick,
}: {
  o: NonNullable<Msg["options"]>[number];
  t: (k: string) => string;
  pick: (body: string, c: Choice) => void;
}) {
  const [n, setN] = useState(1);
  return html`<div class="card" data-choice=${o.id}>
    ${o.image ? html`<img src=${`${base}${o.image}`} alt=${o.title} loading="lazy" />` : null}
    <div class="card-name">${o.title}</div>${o.detail ? html`<div class="card-price">${o.detail}</div>` : null}
    ${
      o.quantity
        ? html`<div class="card-qty"><button type="button" aria-label=${t("widget.less")} disabled=${n <= 1} onClick=${() => setN((x) => Math.max(1, x - 1))}>−</button><output>${n}</output><button type="button" aria-label=${t("widget.more")} disabled=${n >= 99} onClick=${() => setN((x) => Math.min(99, x + 1))}>+</button></div>`
        : null
    }
    <button type="button" class="card-add" onClick=${() => pick(n > 1 ? `${n} × ${o.title}` : o.title, { id: o.id, title: o.title, ...(o.quantity ? { quantity: n } : {}) })}>${t("widget.add")}</button></div>`;
}

/** The text of a message offered with chips, without the numbered lines its text keeps for other readers. */
function withoutNumbered(m: Msg) {
  if (!m.options?.length) return m.body;
  const tail = `\n\n${m.options.map((o, i) => `${i + 1}. ${o.title}`).join("\n")}`;
  return m.body.endsWith(tail) ? m.body.slice(0, -tail.length) : m.body;
}
type Config = {
  name: string;
  title: string;
  greeting: string;
  color: string;
  preChat: { enabled: boolean; fields: string[]; required: boolean };
  online: boolean;
  offlineMessage: string;
  locale: string | null;
  maxUploadBytes: number;
};

const script =
  (document.currentScript as HTMLScriptElement | null) ??
  document.querySelector<HTMLScriptElement>("script[data-channel][src*='widget.js']");
const channel = script?.dataset.channel ?? "";
const base = script ? new URL(script.src).origin : location.origin;
const api = `${base}/webchat/${channel}`;
const storeKey = `digybot:${channel}`;

function useT(cfg: Config | null) {
  const lang = cfg?.locale ?? (navigator.language?.toLowerCase().startsWith("en") ? "en" : "es");
  const d = (lang === "en" ? en : es) as Record<string, string>;
  return (k: string) => d[k] ?? k;
}

async function call(method: string, path: string, token: string | null, body?: unknown) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(body instanceof FormData ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
  });
  const j = await res.json().catch(() => ({}));
  if (!res.ok)
    throw Object.assign(new Error(j?.error?.message ?? `HTTP ${res.status}`), {
      status: res.status,
      code: j?.error?.code as string | undefined,
    });
  return j.data;
}

function App() {
  const [cfg, setCfg] = useState<Config | null>(null);
  const [open, setOpen] = useState(false);
  const [token, setToken] = useState<string | null>(() => localStorage.getItem(storeKey));
  const [msgs, setMsgs] = useState<Msg[]>([]);
  const [text, setText] = useState("");
  const [live, setLive] = useState(true);
  // the stream has answered at least once (tests wait for it)
  const [ready, setReady] = useState(false);
  const [error, setError] = useState("");
  // who on the business's side is writing now ("" = nobody), cleared after a few seconds or by their message
  const [typing, setTyping] = useState<string | null>(null);
  // the visitor's place in the team's queue while nobody has taken the conversation
  const [place, setPlace] = useState<{ position: number | null; minutes: number | null } | null>(null);
  const typingTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const t = useT(cfg);
  const lang =
    (cfg?.locale ?? (navigator.language?.toLowerCase().startsWith("en") ? "en" : "es")) === "en" ? "en-US" : "es-MX";
  /** A server error in the visitor's language when we know its code. */
  const errText = (e: unknown) => {
    const k = `errors.${(e as { code?: string }).code}`;
    const v = t(k);
    return v !== k ? v : (e as Error).message;
  };

  useEffect(() => {
    call("GET", "/config", null)
      .then(setCfg)
      .catch((e) => setError(e.message));
  }, []);

  // A stored message replaces the pending copy with its clientId (older servers: with its text); a pending copy
  // of a message already stored (a retry whose first try got through) is not shown twice.
  const merge = (incoming: Msg[]) =>
    setMsgs((cur) => {
      const byId = new Map(cur.map((m) => [m.id, m]));
      for (const m of incoming) {
        if (m.pending) {
          if ([...byId.values()].some((x) => !x.pending && x.clientId === m.clientId)) continue;
          byId.set(m.id, m);
          continue;
        }
        const pend = [...byId.values()].find(
          (p) =>
            p.pending &&
            p.clientId &&
            m.direction === "in" &&
            (m.clientId ? p.clientId === m.clientId : m.body === p.body),
        );
        if (pend) byId.delete(pend.id);
        byId.set(m.id, { ...byId.get(m.id), ...m, pending: false });
      }
      return [...byId.values()].sort((a, b) => (a.pending === b.pending ? (a.id < b.id ? -1 : 1) : a.pending ? 1 : -1));
    });

  const msgsRef = useRef<Msg[]>([]);
  msgsRef.current = msgs;

  // Live stream with catch-up: the browser resends Last-Event-ID on its own reconnects; after a hard error we
  // reopen with ?after=<last id we hold>.
  useEffect(() => {
    if (!token || !open) return;
    let es: EventSource | null = null;
    let stop = false;
    let retry = 1000;
    const lastId = () => {
      const real = msgsRef.current.filter((m) => !m.pending);
      return real[real.length - 1]?.id ?? "";
    };
    const connect = () => {
      if (stop) return;
      es = new EventSource(`${api}/stream?token=${encodeURIComponent(token)}&after=${encodeURIComponent(lastId())}`);
      es.addEventListener("message", (ev) => {
        const m = JSON.parse((ev as MessageEvent).data) as Msg;
        if (m.direction === "out") setTyping(null);
        merge([m]);
      });
      es.addEventListener("queue", (ev) => {
        const p = JSON.parse((ev as MessageEvent).data) as { position: number | null; minutes: number | null };
        setPlace(p.position ? p : null);
      });
      es.addEventListener("typing", (ev) => {
        setTyping((JSON.parse((ev as MessageEvent).data) as { name?: string }).name ?? "");
        if (typingTimer.current) clearTimeout(typingTimer.current);
        typingTimer.current = setTimeout(() => setTyping(null), 6000);
      });
      es.addEventListener("ready", () => {
        setLive(true);
        setReady(true);
        retry = 1000;
      });
      es.onerror = () => {
        setLive(false);
        if (es?.readyState === EventSource.CLOSED) {
          es.close();
          setTimeout(connect, retry);
          retry = Math.min(retry * 2, 30_000);
        }
      };
    };
    connect();
    return () => {
      stop = true;
      es?.close();
    };
  }, [token, open]);

  useEffect(() => {
    listRef.current?.scrollTo(0, listRef.current.scrollHeight);
  }, [msgs.length, open]);

  // Read receipts: while the chat is open and the page visible, tell the business what the visitor has seen.
  const lastReported = useRef("");
  useEffect(() => {
    if (!open || !token) return;
    const report = () => {
      if (document.visibilityState !== "visible") return;
      const out = msgs.filter((m) => m.direction === "out" && !m.pending);
      const last = out[out.length - 1]?.id;
      if (!last || last <= lastReported.current || out[out.length - 1].status === "read") return;
      lastReported.current = last;
      call("POST", "/read", token, { upTo: last }).catch(() => {
        lastReported.current = "";
      });
    };
    const timer = setTimeout(report, 300);
    document.addEventListener("visibilitychange", report);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", report);
    };
  }, [msgs, open, token]);

  // One session per visitor: messages sent while the first session is being made wait for it (before, each one
  // started its own, and a visitor typing fast became several contacts and conversations).
  const starting = useRef<Promise<string> | null>(null);
  const ensureSession = (pre?: Record<string, string>): Promise<string> => {
    if (token) return Promise.resolve(token);
    // kept once made (a render may not have the new token yet); cleared when the token is refused or it failed
    starting.current ??= call("POST", "/sessions", null, pre ?? {}).then(
      (s) => {
        localStorage.setItem(storeKey, s.token);
        setToken(s.token);
        return s.token as string;
      },
      (e) => {
        starting.current = null;
        throw e;
      },
    );
    return starting.current;
  };

  const send = async (body: string, clientId: string = rid(), choice?: Choice) => {
    const tmp: Msg = {
      id: `~${clientId}`,
      clientId,
      direction: "in",
      body,
      attachments: [],
      createdAt: Date.now(),
      pending: true,
    };
    merge([tmp]);
    try {
      const tk = await ensureSession();
      const m = await call("POST", "/messages", tk, { clientId, body, ...(choice ? { choice } : {}) });
      setMsgs((cur) => cur.filter((x) => x.id !== tmp.id));
      merge([m]);
    } catch (e) {
      if ((e as { status?: number }).status === 401) {
        localStorage.removeItem(storeKey);
        setToken(null);
        starting.current = null;
      }
      const limited = (e as { status?: number }).status === 429;
      setMsgs((cur) => cur.map((x) => (x.id === tmp.id ? { ...x, failed: true, limited } : x)));
    }
  };

  // the business sees that the visitor is writing (at most every 3 s; only with a conversation to show it in)
  const lastTyping = useRef(0);
  const onType = (value: string) => {
    setText(value);
    if (!token || !value.trim() || Date.now() - lastTyping.current < 3000) return;
    lastTyping.current = Date.now();
    void call("POST", "/typing", token).catch(() => null);
  };

  const onSubmit = (e: Event) => {
    e.preventDefault();
    const b = text.trim();
    if (!b) return;
    setText("");
    // a message sent ends this bout of typing: the next keystroke says "typing" again at once
    lastTyping.current = 0;
    void send(b);
  };
  const onFile = async (e: Event) => {
    const input = e.target as HTMLInputElement;
    const f = input.files?.[0];
    input.value = "";
    if (!f) return;
    if (cfg && f.size > cfg.maxUploadBytes) {
      setError(t("errors.file_too_large"));
      return;
    }
    try {
      const tk = await ensureSession();
      const fd = new FormData();
      fd.append("file", f);
      fd.append("clientId", rid());
      merge([await call("POST", "/attachments", tk, fd)]);
    } catch (x) {
      setError(errText(x));
    }
  };
  const onPre = async (e: Event) => {
    e.preventDefault();
    const fd = new FormData(e.target as HTMLFormElement);
    try {
      await ensureSession(Object.fromEntries([...fd.entries()].filter(([, v]) => v).map(([k, v]) => [k, String(v)])));
    } catch (x) {
      setError(errText(x));
    }
  };

  if (!cfg) return null;
  const needPre = cfg.preChat.enabled && !token;
  const fileUrl = (a: Att) => `${api}/files/${a.fileId}?token=${encodeURIComponent(token ?? "")}`;
  return html`<style>${widgetCss}:host{--c:${cfg.color}}</style>
    ${
      open
        ? html`<div class="panel" role="dialog" aria-label=${cfg.title || cfg.name} data-live=${ready && live ? "1" : "0"}>
      <div class="head"><b>${cfg.title || cfg.name}</b><button aria-label=${t("widget.close")} onClick=${() => setOpen(false)}><${Icon} name="close" size=${20} /></button></div>
      ${place?.position ? html`<div class="queue-banner" role="status" data-position=${place.position}>${(place.minutes == null ? t("widget.queue") : t("widget.queueEstimate")).replace("{position}", String(place.position)).replace("{minutes}", String(place.minutes))}</div>` : null}
      <div class="list" ref=${listRef} data-testid="messages">
        <div class="m out">${cfg.greeting || t("widget.title")}</div>
        ${!cfg.online ? html`<div class="note">${cfg.offlineMessage || t("widget.offline")}</div>` : null}
        ${!live && token ? html`<div class="note">${t("widget.reconnecting")}</div>` : null}
        ${msgs.map(
          (m, i) =>
            html`${m.direction === "out" && m.author && m.author !== msgs[i - 1]?.author ? html`<div class="who" key=${`w${m.id}`}><${Avatar} name=${m.author} size=${22} /> <span>${m.author}</span></div>` : null}<div key=${m.id} class=${`m ${m.direction}${m.pending && !m.failed ? " pending" : ""}${m.failed ? " failed" : ""}`} data-id=${m.id} onClick=${
              m.failed
                ? () => {
                    setMsgs((c) => c.filter((x) => x.id !== m.id));
                    void send(m.body, m.clientId);
                  }
                : undefined
            }>${withoutNumbered(m)}${m.attachments?.map((a) => (a.mime.startsWith("image/") ? html`<a href=${fileUrl(a)} target="_blank"><img src=${fileUrl(a)} alt=${a.name} /></a>` : html`<div><${Icon} name="attach" /> <a href=${fileUrl(a)} target="_blank">${a.name}</a></div>`))}${m.failed ? html`<div class="note">${t(m.limited ? "widget.slowDown" : "widget.failed")}</div>` : m.pending ? html`<time class="at">${t("widget.sending")}</time>` : html`<time class="at">${new Date(m.createdAt).toLocaleTimeString(lang, { hour: "numeric", minute: "2-digit" })}</time>`}</div>`,
        )}
        ${
          msgs.at(-1)?.direction === "out" && msgs.at(-1)?.options?.some((o) => o.detail || o.image)
            ? html`<div class="cards" role="group" aria-label=${t("widget.options")}>${msgs
                .at(-1)!
                .options!.map(
                  (o) =>
                    html`<${ProductCard} key=${o.id} o=${o} t=${t} pick=${(body: string, c: Choice) => void send(body, rid(), c)} />`,
                )}</div>`
            : msgs.at(-1)?.direction === "out" && msgs.at(-1)?.options?.length
              ? html`<div class="chips" role="group" aria-label=${t("widget.options")}>${msgs
                  .at(-1)!
                  .options!.map(
                    (o) =>
                      html`<button type="button" data-choice=${o.id} onClick=${() => void send(o.title, rid(), { id: o.id, title: o.title })}>${o.title}</button>`,
                  )}</div>`
              : null
        }
        ${typing !== null ? html`<div class="typing" role="status">${typing ? t("widget.typing").replace("{name}", typing) : t("widget.typingSomeone")}<span class="dots" aria-hidden="true"><i></i><i></i><i></i></span></div>` : null}
        ${error ? html`<div class="note" role="alert">${error}</div>` : null}
      </div>
      ${
        needPre
          ? html`<form class="pre" onSubmit=${onPre}><div>${t("widget.prechat.intro")}</div>
          ${cfg.preChat.fields.map((f) => html`<input name=${f} type=${f === "email" ? "email" : f === "phone" ? "tel" : "text"} placeholder=${t(`widget.${f}`)} required=${cfg.preChat.required} />`)}
          <button class="go" type="submit">${t("widget.prechat.start")}</button></form>`
          : html`<form class="send" onSubmit=${onSubmit}>
          <label class="att" title=${t("widget.attach")} aria-label=${t("widget.attach")}><${Icon} name="attach" size=${20} /><input type="file" onChange=${onFile} /></label>
          <textarea rows="1" placeholder=${t("widget.placeholder")} value=${text} onInput=${(e: Event) => onType((e.target as HTMLTextAreaElement).value)} onKeyDown=${(
            e: KeyboardEvent,
          ) => {
            if (e.key === "Enter" && !e.shiftKey) onSubmit(e);
          }}></textarea>
          <button class="go" type="submit">${t("widget.send")}</button></form>`
      }
    </div>`
        : null
    }
    <button class=${`launch${open ? " open" : ""}`} aria-label=${open ? t("widget.close") : t("widget.open")} onClick=${() => setOpen(!open)}><${Icon} name=${open ? "close" : "chat"} size=${26} /></button>`;
}

if (channel) {
  const host = document.createElement("div");
  host.id = "digybot-webchat";
  document.body.appendChild(host);
  render(h(App, null), host.attachShadow({ mode: "open" }));
}
