// The BotBuilder editor (issue #11 item 4), an island on /settings/flows/:id. On a desktop: the canvas (nodes
// dragged where they go, edges drawn between them, zoom, connecting a node's "next" by clicking its port and then
// the node it leads to) beside the selected node's form. On a phone: the outline (every node with where it leads)
// and the same form. Everywhere: save the draft, publish (the server's problems listed in words), and the test
// emulator (a chat, the variables, the path it took lit on the canvas and in the outline).
import { h, render } from "preact";
import { useRef, useState } from "preact/hooks";
import htm from "htm";
import { STEP_TYPES } from "./flow-steps.ts";
import { errorText } from "./error-text.ts";

const html = htm.bind(h);
type Opt = { id: string; name: string };
type Node = Record<string, unknown> & { id: string; type: string; x?: number; y?: number };
type Graph = { start: string; nodes: Node[] };
type Data = {
  flow: { id: string; name: string; keywords: string[]; publishedVersion: number | null; draft: Graph };
  refs: { tags: Opt[]; agents: Opt[]; departments: Opt[]; flows: Opt[]; media: Opt[] };
  texts: Record<string, string>;
};
type Problem = { code: string; message: string; node?: string; field?: string };
type Said = { from: "bot" | "note" | "you"; text: string; options?: { id: string; title: string }[]; files?: string[] };
type EmuState = { nodeId: string | null; vars: Record<string, string>; tries: number; path: string[]; done?: boolean };

const root = document.getElementById("flow-editor");
const dataEl = document.getElementById("flow-data");
const csrf = (document.querySelector('meta[name="csrf-token"]') as HTMLMetaElement | null)?.content ?? "";

const TYPES = STEP_TYPES;
const KINDS = ["text", "number", "email", "phone", "date", "choice"];
const OPS = ["eq", "neq", "contains", "gt", "lt", "exists", "not_exists"];
const W = 220; // a node's width on the canvas
// the nodes with a "next" (the others branch, or end the flow)
const HAS_NEXT = new Set([
  "message",
  "ask",
  "set",
  "http",
  "catalog",
  "slots",
  "options",
  "cart_add",
  "cart",
  "checkout",
  "ticket",
  "wait",
]);

async function call(method: string, url: string, body?: unknown) {
  const r = await fetch(url, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const j = (await r.json().catch(() => ({}))) as {
    data?: unknown;
    error?: { code?: string; message?: string; details?: unknown };
  };
  if (!r.ok) {
    const e = new Error(errorText(j, r.status)) as Error & {
      details?: unknown;
    };
    e.details = j.error?.details;
    throw e;
  }
  return j.data;
}

/** Where a node leads, each with the field it is kept in. */
function edges(n: Node): { to: string; field: string }[] {
  const out: { to: string; field: string }[] = [];
  const add = (to: unknown, field: string) => {
    if (typeof to === "string" && to) out.push({ to, field });
  };
  add(n.next, "next");
  (n.options as { next?: string }[] | undefined)?.forEach((o, i) => add(o.next, `options.${i}.next`));
  add(n.fail, "fail");
  (n.branches as { next?: string }[] | undefined)?.forEach((b, i) => add(b.next, `branches.${i}.next`));
  add(n.else, "else");
  add(n.error, "error");
  add(n.empty, "empty");
  return out;
}

function blank(type: string, id: string, x: number, y: number): Node {
  const base = { id, type, x, y };
  switch (type) {
    case "message":
      return { ...base, text: "", options: [] };
    case "ask":
      return { ...base, text: "", kind: "text", options: [], retries: 2 };
    case "condition":
      return { ...base, branches: [{ var: "", op: "eq", value: "" }] };
    case "set":
      return { ...base, var: "", value: "" };
    case "http":
      return { ...base, method: "GET", url: "https://", map: [] };
    case "catalog":
      return { ...base, query: "", text: "", save: "producto", max: 5 };
    case "slots":
      return { ...base, date: "mañana", text: "", service: "", save: "cita", max: 6 };
    case "options":
      return { ...base, sku: "{{producto_sku}}", text: "", extrasText: "", save: "eleccion" };
    case "cart_add":
      return { ...base, sku: "{{producto_sku}}", quantity: "1" };
    case "cart":
      return { ...base, text: "" };
    case "checkout":
      return { ...base, payment: "cash" };
    case "agent":
      return { ...base, agentId: "", goal: "" };
    case "handoff":
      return { ...base, text: "" };
    case "ticket":
      return { ...base, subject: "", description: "" };
    case "wait":
      return { ...base, minutes: 60 };
    case "goto":
      return { ...base, flowId: "" };
    default:
      return base;
  }
}

/** The graph as the API takes it: empty optional fields left out. */
function clean(g: Graph): Graph {
  const drop = (o: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(o).filter(([k, v]) => !(v === "" && k !== "value" && k !== "text") && v !== undefined),
    );
  return {
    start: g.start,
    nodes: g.nodes.map((n) => {
      const c = drop(n) as Node;
      if (Array.isArray(c.options)) c.options = (c.options as Record<string, unknown>[]).map(drop);
      if (Array.isArray(c.branches)) c.branches = (c.branches as Record<string, unknown>[]).map(drop);
      if (c.type === "condition" && !c.else) delete c.else;
      if (c.x !== undefined) c.x = Math.round(c.x as number);
      if (c.y !== undefined) c.y = Math.round(c.y as number);
      return c;
    }),
  };
}

function App({ data }: { data: Data }) {
  const t = (k: string, vars: Record<string, string> = {}) =>
    (data.texts[k] ?? k).replace(/\{(\w+)\}/g, (_m, v: string) => vars[v] ?? "");
  const [graph, setGraph] = useState<Graph>(() => ({
    start: data.flow.draft.start,
    nodes: data.flow.draft.nodes.map((n, i) => ({
      ...n,
      x: n.x ?? 40 + (i % 4) * 260,
      y: n.y ?? 40 + Math.floor(i / 4) * 160,
    })),
  }));
  const [name, setName] = useState(data.flow.name);
  const [keywords, setKeywords] = useState(data.flow.keywords.join(", "));
  const [sel, setSel] = useState<string>(graph.start);
  const [zoom, setZoom] = useState(1);
  const [connect, setConnect] = useState<string | null>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [problems, setProblems] = useState<Problem[] | null>(null);
  const [dirty, setDirty] = useState(false);
  const [said, setSaid] = useState<Said[]>([]);
  const [emu, setEmu] = useState<EmuState | null>(null);
  const [typed, setTyped] = useState("");
  const drag = useRef<{ id: string; dx: number; dy: number } | null>(null);

  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const lit = new Set(emu?.path ?? []);
  const change = (g: Graph) => {
    setGraph(g);
    setDirty(true);
  };
  const patchNode = (id: string, p: Record<string, unknown>) =>
    change({ ...graph, nodes: graph.nodes.map((n) => (n.id === id ? { ...n, ...p } : n)) });
  const selected = byId.get(sel);

  const addNode = (type: string) => {
    let i = graph.nodes.length + 1;
    while (byId.has(`${type}${i}`)) i++;
    const id = `${type}${i}`;
    const last = selected ?? graph.nodes[graph.nodes.length - 1];
    const n = blank(type, id, (last?.x ?? 0) + W + 40, last?.y ?? 40);
    const nodes = [...graph.nodes, n];
    // a new node follows the selected one when that one has no next yet
    const prev = selected;
    const linked =
      prev && HAS_NEXT.has(prev.type) && !prev.next && !(prev.options as unknown[] | undefined)?.length
        ? nodes.map((x) => (x.id === prev.id ? { ...x, next: id } : x))
        : nodes;
    change({ ...graph, nodes: linked });
    setSel(id);
  };
  const removeNode = (id: string) => {
    const unlink = (n: Node): Node => {
      const c: Node = { ...n };
      for (const k of ["next", "fail", "else", "error", "empty"]) if (c[k] === id) delete c[k];
      if (Array.isArray(c.options))
        c.options = (c.options as Record<string, unknown>[]).map((o) =>
          o.next === id ? { ...o, next: undefined } : o,
        );
      if (Array.isArray(c.branches))
        c.branches = (c.branches as Record<string, unknown>[]).map((b) =>
          b.next === id ? { ...b, next: undefined } : b,
        );
      return c;
    };
    const nodes = graph.nodes.filter((n) => n.id !== id).map(unlink);
    change({ start: graph.start === id ? (nodes[0]?.id ?? "") : graph.start, nodes });
    setSel(nodes[0]?.id ?? "");
  };
  const tapNode = (id: string) => {
    if (connect && connect !== id) {
      patchNode(connect, { next: id });
      setConnect(null);
      setSel(connect);
      return;
    }
    setSel(id);
  };

  /** Saves the draft; `quiet` when publishing or trying it (their own outcome is what is said). */
  const save = async (quiet = false) => {
    if (!quiet) setStatus(null);
    try {
      await call("PATCH", `/api/v1/flows/${data.flow.id}`, {
        name: name.trim(),
        keywords: keywords
          .split(",")
          .map((k) => k.trim())
          .filter(Boolean),
        graph: clean(graph),
      });
      const f = (await call("GET", `/api/v1/flows/${data.flow.id}`)) as { problems: Problem[] };
      setProblems(f.problems);
      setDirty(false);
      if (!quiet) setStatus({ ok: true, text: t("flow.saved") });
      return true;
    } catch (e) {
      setStatus({ ok: false, text: (e as Error).message });
      return false;
    }
  };
  const publish = async () => {
    setStatus(null);
    if (!(await save(true))) return;
    try {
      const r = (await call("POST", `/api/v1/flows/${data.flow.id}/publish`)) as { version: number };
      setStatus({ ok: true, text: t("flow.publishedNow", { v: String(r.version) }) });
    } catch (e) {
      const d = (e as Error & { details?: { problems?: Problem[] } }).details;
      if (d?.problems) setProblems(d.problems);
      setStatus({ ok: false, text: (e as Error).message });
    }
  };

  const emulate = async (body: Record<string, unknown>, you?: string) => {
    try {
      if (dirty) await save(true);
      const r = (await call("POST", `/api/v1/flows/${data.flow.id}/emulator`, body)) as {
        messages: Said[];
        state: EmuState;
        done: boolean;
      };
      setSaid((cur) => [
        ...(body.state ? cur : []),
        ...(you ? [{ from: "you" as const, text: you }] : []),
        ...r.messages,
      ]);
      setEmu(r.state);
    } catch (e) {
      setStatus({ ok: false, text: (e as Error).message });
    }
  };
  const restart = () => emulate({});
  const answer = (text: string, choiceId?: string) => {
    if (!emu || emu.done) return restart();
    setTyped("");
    return emulate({ state: emu, text, ...(choiceId ? { choiceId } : {}) }, text);
  };

  const problemText = (p: Problem) =>
    `${p.node ? `${p.node}: ` : ""}${t(`flow.problem.${p.code}`) === `flow.problem.${p.code}` ? p.message : t(`flow.problem.${p.code}`)}`;

  // ---- the canvas: nodes where they were put, edges from a node's right side to the next's left side
  const onDown = (e: PointerEvent, n: Node) => {
    if ((e.target as HTMLElement).closest("button")) return;
    const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
    drag.current = { id: n.id, dx: (e.clientX - box.left) / zoom, dy: (e.clientY - box.top) / zoom };
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
  };
  const onMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const area = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const scroll = e.currentTarget as HTMLElement;
    const x = Math.max(0, (e.clientX - area.left + scroll.scrollLeft) / zoom - d.dx);
    const y = Math.max(0, (e.clientY - area.top + scroll.scrollTop) / zoom - d.dy);
    setGraph((g) => ({ ...g, nodes: g.nodes.map((n) => (n.id === d.id ? { ...n, x, y } : n)) }));
    setDirty(true);
  };
  const onUp = () => {
    drag.current = null;
  };
  const H = 96;
  const width = Math.max(...graph.nodes.map((n) => (n.x ?? 0) + W)) + 80;
  const height = Math.max(...graph.nodes.map((n) => (n.y ?? 0) + H)) + 80;
  const preview = (n: Node) =>
    String(n.text ?? n.subject ?? n.url ?? n.goal ?? (n.type === "wait" ? `${n.minutes} min` : "")).slice(0, 60);

  const canvas = html`<div class="flow-canvas" id="flow-canvas" onPointerMove=${onMove} onPointerUp=${onUp} onPointerCancel=${onUp}>
    <div class="flow-plane" style=${`width:${width * zoom}px;height:${height * zoom}px`}>
      <div class="flow-scale" style=${`transform:scale(${zoom});width:${width}px;height:${height}px`}>
        <svg class="flow-edges" width=${width} height=${height} aria-hidden="true">${graph.nodes.flatMap((n) =>
          edges(n)
            .filter((e) => byId.has(e.to))
            .map((e) => {
              const to = byId.get(e.to)!;
              const x1 = (n.x ?? 0) + W,
                y1 = (n.y ?? 0) + 40,
                x2 = to.x ?? 0,
                y2 = (to.y ?? 0) + 40;
              const mid = Math.max(40, Math.abs(x2 - x1) / 2);
              return html`<path data-edge=${`${n.id}>${e.to}`} class=${lit.has(n.id) && lit.has(e.to) ? "lit" : ""} d=${`M${x1},${y1} C${x1 + mid},${y1} ${x2 - mid},${y2} ${x2},${y2}`} />`;
            }),
        )}</svg>
        ${graph.nodes.map(
          (
            n,
          ) => html`<div class=${`flow-node t-${n.type}${n.id === sel ? " sel" : ""}${lit.has(n.id) ? " lit" : ""}${connect && connect !== n.id ? " target" : ""}`}
            data-node=${n.id} style=${`left:${n.x ?? 0}px;top:${n.y ?? 0}px;width:${W}px`} onPointerDown=${(e: PointerEvent) => onDown(e, n)} onClick=${() => tapNode(n.id)}>
            <div class="fn-head"><b>${n.id}</b> <small>${t(`flow.type.${n.type}`)}${graph.start === n.id ? ` · ${t("flow.start")}` : ""}</small></div>
            <div class="fn-body">${preview(n)}</div>
            ${
              HAS_NEXT.has(n.type)
                ? html`<button type="button" class="port" data-port=${n.id} aria-label=${t("flow.connect")} title=${t("flow.connect")} onClick=${(
                    e: Event,
                  ) => {
                    e.stopPropagation();
                    setConnect(connect === n.id ? null : n.id);
                  }}>○</button>`
                : null
            }</div>`,
        )}
      </div></div></div>`;

  const outline = html`<ol class="flow-outline" id="flow-outline">${graph.nodes.map(
    (n) => html`<li class=${`${n.id === sel ? "sel" : ""}${lit.has(n.id) ? " lit" : ""}`} data-node=${n.id}>
      <button type="button" class="linkish" onClick=${() => tapNode(n.id)}><b>${n.id}</b> · ${t(`flow.type.${n.type}`)}${graph.start === n.id ? ` · ${t("flow.start")}` : ""}</button>
      <small>${preview(n)}</small>${
        edges(n).length
          ? html`<small class="to"> → ${edges(n)
              .map((e) => e.to)
              .join(", ")}</small>`
          : null
      }</li>`,
  )}</ol>`;

  return html`<div class="flow-work">
    <div class="card flow-meta">
      <label>${t("flow.nameLabel")}<input id="flow-name" value=${name} maxlength="120" onInput=${(e: Event) => {
        setName((e.target as HTMLInputElement).value);
        setDirty(true);
      }} /></label>
      <label>${t("flow.keywordsLabel")}<input id="flow-keywords" value=${keywords} onInput=${(e: Event) => {
        setKeywords((e.target as HTMLInputElement).value);
        setDirty(true);
      }} /></label>
      <div class="flow-tools">
        <label>${t("flow.add")}<select id="add-type">${TYPES.map((x) => html`<option value=${x}>${t(`flow.type.${x}`)}</option>`)}</select></label>
        <button type="button" id="add-node" onClick=${() => addNode((document.getElementById("add-type") as HTMLSelectElement).value)}>${t("flow.add")}</button>
        <button type="button" class="secondary zoom" id="zoom-out" aria-label=${t("flow.zoomOut")} onClick=${() => setZoom((z) => Math.max(0.4, +(z - 0.2).toFixed(1)))}>−</button>
        <button type="button" class="secondary zoom" id="zoom-in" aria-label=${t("flow.zoomIn")} onClick=${() => setZoom((z) => Math.min(1.6, +(z + 0.2).toFixed(1)))}>+</button>
        <button type="button" id="save-flow" onClick=${() => save()}>${t("flow.save")}</button>
        <button type="button" class="primary" id="publish-flow" onClick=${publish}>${t("flow.publish")}</button>
      </div>
      ${status ? html`<p class=${`flash${status.ok ? "" : " err"}`} role="status" id="flow-status">${status.text}</p>` : dirty ? html`<p class="meta">${t("flow.unsaved")}</p>` : null}
      ${connect ? html`<p class="meta" id="connect-hint">${t("flow.connectHint", { node: connect })}</p>` : null}
      ${problems ? html`<div id="flow-problems">${problems.length ? html`<p><b>${t("flow.problems")}</b></p><ul>${problems.map((p) => html`<li class="error" data-code=${p.code}>${problemText(p)}</li>`)}</ul>` : html`<p class="meta">${t("flow.noProblems")}</p>`}</div>` : null}
    </div>
    <div class="flow-main">
      <div class="flow-views">${canvas}${outline}</div>
      ${
        selected
          ? html`<${NodeForm} key=${selected.id} n=${selected} graph=${graph} refs=${data.refs} t=${t} patch=${(p: Record<string, unknown>) => patchNode(selected.id, p)}
        remove=${() => removeNode(selected.id)} makeStart=${() => change({ ...graph, start: selected.id })} />`
          : null
      }
    </div>
    <div class="card flow-emulator" id="flow-emulator"><h2>${t("flow.emulator")}</h2><p class="meta">${t("flow.emulatorHelp")}</p>
      <ol class="emu-chat" id="emu-chat">${said.map(
        (m) =>
          html`<li class=${`emu-${m.from}`}>${m.files?.map((f) => html`<span class="emu-file">📎 ${f}</span>`)}${m.text}${m.options?.length && emu && !emu.done ? html`<div class="emu-options">${m.options.map((o) => html`<button type="button" class="secondary" onClick=${() => answer(o.title, o.id)}>${o.title}</button>`)}</div>` : null}</li>`,
      )}${emu?.done ? html`<li class="emu-note">${t("flow.ended")}</li>` : null}</ol>
      <form class="emu-say" onSubmit=${(e: Event) => {
        e.preventDefault();
        if (typed.trim()) void answer(typed.trim());
      }}><input id="emu-text" value=${typed} aria-label=${t("flow.you")} placeholder=${t("flow.you")} onInput=${(e: Event) => setTyped((e.target as HTMLInputElement).value)} />
        <button type="submit" id="emu-send">${t("flow.send")}</button><button type="button" class="secondary" id="emu-restart" onClick=${restart}>${t("flow.restart")}</button></form>
      ${emu && Object.keys(emu.vars).length ? html`<table class="list" id="emu-vars"><caption>${t("flow.vars")}</caption><tbody>${Object.entries(emu.vars).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>` : null}
    </div></div>`;
}

function NextSelect({
  label,
  value,
  graph,
  self,
  set,
  t,
}: {
  label: string;
  value: unknown;
  graph: Graph;
  self: string;
  set: (v: string | undefined) => void;
  t: (k: string) => string;
}) {
  return html`<label>${label}<select value=${String(value ?? "")} onChange=${(e: Event) => set((e.target as HTMLSelectElement).value || undefined)}>
    <option value="">${t("flow.none")}</option>${graph.nodes.filter((n) => n.id !== self).map((n) => html`<option value=${n.id} selected=${n.id === value}>${n.id}</option>`)}</select></label>`;
}

function NodeForm({
  n,
  graph,
  refs,
  t,
  patch,
  remove,
  makeStart,
}: {
  n: Node;
  graph: Graph;
  refs: Data["refs"];
  t: (k: string) => string;
  patch: (p: Record<string, unknown>) => void;
  remove: () => void;
  makeStart: () => void;
}) {
  const input = (field: string, label: string, type = "text") =>
    html`<label>${label}<input name=${field} type=${type} value=${String(n[field] ?? "")} onInput=${(e: Event) => {
      const v = (e.target as HTMLInputElement).value;
      patch({ [field]: type === "number" ? (v === "" ? undefined : Number(v)) : v });
    }} /></label>`;
  const area = (field: string, label: string) =>
    html`<label>${label}<textarea name=${field} rows="3" onInput=${(e: Event) => patch({ [field]: (e.target as HTMLTextAreaElement).value })}>${String(n[field] ?? "")}</textarea></label>`;
  const pickOf = (field: string, label: string, list: Opt[]) =>
    html`<label>${label}<select name=${field} onChange=${(e: Event) => patch({ [field]: (e.target as HTMLSelectElement).value || undefined })}><option value="">${t("flow.none")}</option>${list.map((o) => html`<option value=${o.id} selected=${o.id === n[field]}>${o.name}</option>`)}</select></label>`;
  const next = (field: string, label = t("flow.next")) =>
    html`<${NextSelect} label=${label} value=${n[field]} graph=${graph} self=${n.id} t=${t} set=${(v: string | undefined) => patch({ [field]: v })} />`;
  const options = (n.options as { title: string; next?: string }[] | undefined) ?? [];
  const setOption = (i: number, p: Record<string, unknown>) =>
    patch({ options: options.map((o, j) => (j === i ? { ...o, ...p } : o)) });
  const optionRows = html`<fieldset class="fn-options"><legend>${t("flow.options")}</legend>${options.map(
    (
      o,
      i,
    ) => html`<div class="fn-row" data-option=${i}><input name=${`option-${i}`} aria-label=${`${t("flow.options")} ${i + 1}`} value=${o.title} maxlength="24" onInput=${(e: Event) => setOption(i, { title: (e.target as HTMLInputElement).value })} />
      <${NextSelect} label=${t("flow.next")} value=${o.next} graph=${graph} self=${n.id} t=${t} set=${(v: string | undefined) => setOption(i, { next: v })} />
      <button type="button" class="secondary" aria-label=${t("common.delete")} onClick=${() => patch({ options: options.filter((_, j) => j !== i) })}>×</button></div>`,
  )}${options.length < 10 ? html`<button type="button" class="secondary" id="add-option" onClick=${() => patch({ options: [...options, { title: "" }] })}>${t("flow.addOption")}</button>` : null}</fieldset>`;
  const branches = (n.branches as { var: string; op: string; value: string; next?: string }[] | undefined) ?? [];
  const setBranch = (i: number, p: Record<string, unknown>) =>
    patch({ branches: branches.map((b, j) => (j === i ? { ...b, ...p } : b)) });
  let fields: unknown = null;
  switch (n.type) {
    case "message":
      fields = html`${area("text", t("flow.text"))}<label>${t("lib.pick")}<select name="media" onChange=${(
        e: Event,
      ) => {
        const v = (e.target as HTMLSelectElement).value;
        patch({ media: v ? [v] : undefined });
      }}><option value="">${t("flow.none")}</option>${refs.media.map((o) => html`<option value=${o.id} selected=${o.id === (n.media as string[] | undefined)?.[0]}>${o.name}</option>`)}</select></label>${optionRows}${options.length ? null : next("next")}`;
      break;
    case "ask":
      fields = html`${area("text", t("flow.text"))}<label>${t("flow.kind")}<select name="kind" onChange=${(e: Event) => patch({ kind: (e.target as HTMLSelectElement).value })}>${KINDS.map((k) => html`<option value=${k} selected=${k === n.kind}>${t(`flow.kind.${k}`)}</option>`)}</select></label>
        ${n.kind === "choice" ? optionRows : null}${input("save", t("flow.save_to"))}${input("retries", t("flow.retries"), "number")}${input("invalid", t("flow.invalid"))}${next("next")}${next("fail", t("flow.fail"))}`;
      break;
    case "condition":
      fields = html`<fieldset><legend>${t("flow.branch")}</legend>${branches.map(
        (
          b,
          i,
        ) => html`<div class="fn-row" data-branch=${i}><input aria-label=${t("flow.var")} placeholder=${t("flow.var")} value=${b.var} onInput=${(e: Event) => setBranch(i, { var: (e.target as HTMLInputElement).value })} />
          <select aria-label=${t("flow.op")} onChange=${(e: Event) => setBranch(i, { op: (e.target as HTMLSelectElement).value })}>${OPS.map((o) => html`<option value=${o} selected=${o === b.op}>${t(`auto.op.${o}`)}</option>`)}</select>
          <input aria-label=${t("flow.value")} placeholder=${t("flow.value")} value=${b.value} onInput=${(e: Event) => setBranch(i, { value: (e.target as HTMLInputElement).value })} />
          <${NextSelect} label=${t("flow.next")} value=${b.next} graph=${graph} self=${n.id} t=${t} set=${(v: string | undefined) => setBranch(i, { next: v })} /></div>`,
      )}<button type="button" class="secondary" onClick=${() => patch({ branches: [...branches, { var: "", op: "eq", value: "" }] })}>${t("flow.addBranch")}</button></fieldset>${next("else", t("flow.else"))}`;
      break;
    case "set":
      fields = html`${input("var", t("flow.var"))}${input("value", t("flow.value"))}${pickOf("tagId", t("flow.tag"), refs.tags)}${input("field", t("flow.field"))}${next("next")}`;
      break;
    case "http":
      fields = html`<label>${t("flow.method")}<select name="method" onChange=${(e: Event) => patch({ method: (e.target as HTMLSelectElement).value })}>${["GET", "POST"].map((m) => html`<option selected=${m === n.method}>${m}</option>`)}</select></label>
        ${input("url", t("flow.url"))}${area("body", t("flow.body"))}
        <label>${t("flow.map")}<textarea name="map" rows="2" onInput=${(e: Event) =>
          patch({
            map: (e.target as HTMLTextAreaElement).value
              .split("\n")
              .map((l) => l.split("="))
              .filter((p) => p.length === 2 && p[0].trim())
              .map(([v, p]) => ({ var: v.trim(), path: p.trim() })),
          })}>${((n.map as { var: string; path: string }[]) ?? []).map((m) => `${m.var}=${m.path}`).join("\n")}</textarea></label>
        ${next("next")}${next("error", t("flow.error"))}`;
      break;
    case "catalog":
      fields = html`${input("query", t("flow.query"))}${area("text", t("flow.text"))}${input("save", t("flow.catalog_save"))}${input("max", t("flow.catalog_max"), "number")}${next("next")}${next("empty", t("flow.catalog_empty"))}`;
      break;
    case "slots":
      fields = html`${input("date", t("flow.slots_date"))}${area("text", t("flow.text"))}${input("service", t("flow.service"))}${input("save", t("flow.slots_save"))}${input("max", t("flow.slots_max"), "number")}${next("next")}${next("empty", t("flow.slots_empty"))}`;
      break;
    case "options":
      fields = html`${input("sku", t("flow.cart_sku"))}${area("text", t("flow.options_text"))}${area("extrasText", t("flow.options_extras"))}${input("save", t("flow.options_save"))}${next("next")}`;
      break;
    case "cart_add":
      fields = html`${input("sku", t("flow.cart_sku"))}${input("quantity", t("flow.cart_quantity"))}${input("variant", t("flow.cart_variant"))}${input("extras", t("flow.cart_extras"))}${next("next")}${next("error", t("flow.cart_error"))}`;
      break;
    case "cart":
      fields = html`${area("text", t("flow.text"))}${next("next")}${next("empty", t("flow.cart_empty"))}`;
      break;
    case "checkout":
      fields = html`<label>${t("flow.payment")}<select name="payment" onChange=${(e: Event) => patch({ payment: (e.target as HTMLSelectElement).value })}>${["cash", "transfer", "card", "link"].map((m) => html`<option value=${m} selected=${m === n.payment}>${t(`orders.method.${m}`)}</option>`)}</select></label>${next("next")}${next("error", t("flow.cart_error"))}`;
      break;
    case "agent":
      fields = html`${pickOf("agentId", t("flow.agent"), refs.agents)}${area("goal", t("flow.goal"))}${next("next", t("flow.agent_back"))}`;
      break;
    case "handoff":
      fields = html`${area("text", t("flow.text"))}${pickOf("departmentId", t("flow.department"), refs.departments)}`;
      break;
    case "ticket":
      fields = html`${input("subject", t("flow.subject"))}${area("description", t("flow.description"))}${next("next")}`;
      break;
    case "wait":
      fields = html`${input("minutes", t("flow.minutes"), "number")}${next("next")}`;
      break;
    case "goto":
      fields = pickOf("flowId", t("flow.flow"), refs.flows);
      break;
  }
  return html`<div class="card flow-form" id="node-form" data-node=${n.id}><h2>${t("flow.node")} ${n.id} · ${t(`flow.type.${n.type}`)}</h2>${fields}
    <p class="fn-actions">${graph.start === n.id ? html`<span class="meta">${t("flow.start")}</span>` : html`<button type="button" class="secondary" id="make-start" onClick=${makeStart}>${t("flow.makeStart")}</button>`}
      <button type="button" class="danger" id="delete-node" onClick=${remove}>${t("flow.deleteNode")}</button></p></div>`;
}

if (root && dataEl) {
  const data = JSON.parse(dataEl.textContent || "{}") as Data;
  root.textContent = "";
  render(h(App, { data }), root);
}
