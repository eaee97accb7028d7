import { h, type VNode } from "preact";
import htm from "htm";
import { render } from "preact-render-to-string";

/** htm bound to Preact: the console's templates. Text is escaped by Preact, so customer text is never HTML. */
export const html = htm.bind(h) as (strings: TemplateStringsArray, ...values: unknown[]) => VNode;
export type { VNode };

export function renderPage(vnode: VNode) {
  return `<!doctype html>${render(vnode)}`;
}
export function renderFragment(vnode: VNode | VNode[]) {
  return render(Array.isArray(vnode) ? h("div", null, vnode) : vnode).replace(/^<div>|<\/div>$/g, (m) =>
    Array.isArray(vnode) ? "" : m,
  );
}

/** A time as <time data-ts>: formatted here (server zone) and re-formatted by the console island in the agent's own zone. */
export function fmtTime(ms: number, locale: string, tz?: string): VNode {
  return html`<time data-ts=${ms} datetime=${new Date(ms).toISOString()}>${fmtTimeText(ms, locale, tz)}</time>`;
}

export function fmtTimeText(ms: number, locale: string, tz?: string) {
  const d = new Date(ms);
  const now = Date.now();
  const sameDay = Math.abs(now - ms) < 86_400_000 && new Date(now).toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(
    locale === "en" ? "en-US" : "es-MX",
    sameDay
      ? { hour: "2-digit", minute: "2-digit", timeZone: tz }
      : { day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", timeZone: tz },
  ).format(d);
}

/** The hidden CSRF field every console form carries. */
export const Csrf = ({ csrf }: { csrf: string }) => html`<input type="hidden" name="_csrf" value=${csrf} />`;
