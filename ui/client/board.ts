// A board's island: cards dragged between and within columns (SortableJS; on a touch screen a short press picks a
// card up, so a swipe still scrolls), each drop sent as a move and the board read again; another console's move
// (or any change of what the board shows) refreshes it live; "más" loads a column's next cards.
import Sortable from "sortablejs";
import { errorText, type ApiError } from "./error-text.ts";

const root = document.querySelector<HTMLElement>(".page.board");
const boardId = root?.dataset.board ?? "";
const csrf = () => document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
const showError = (text: string) => {
  const e = document.getElementById("board-error");
  if (!e) return;
  e.textContent = text;
  e.hidden = !text;
};

let sortables: Sortable[] = [];
let busy = false;
let dragging = false;
/** Someone is using the board (a drag, a card's "move to" control): a live refresh waits for them. */
const inUse = () => dragging || !!document.activeElement?.closest("#board-columns form");
function bind() {
  for (const s of sortables) s.destroy();
  sortables = [...document.querySelectorAll<HTMLElement>("#board-columns ul.board-cards")].map((list) =>
    Sortable.create(list, {
      group: `board-${boardId}`,
      animation: 120,
      // its own pointer dragging for a mouse too, the same as for a finger (the browser's drag-and-drop differs by browser)
      forceFallback: true,
      delay: 180,
      delayOnTouchOnly: true,
      touchStartThreshold: 5,
      filter: "select, button, input, label",
      preventOnFilter: false,
      onStart: () => {
        dragging = true;
      },
      onEnd: (ev) => {
        dragging = false;
        const to = ev.to as HTMLElement;
        if (ev.from === ev.to && ev.oldIndex === ev.newIndex) return;
        const itemId = (ev.item as HTMLElement).dataset.item!;
        const order = [...to.querySelectorAll<HTMLElement>("li.board-card")].map((li) => li.dataset.item!);
        void move(itemId, to.dataset.column!, order);
      },
    }),
  );
  for (const b of document.querySelectorAll<HTMLButtonElement>("button.more-cards"))
    b.addEventListener("click", () => more(b));
}

async function move(itemId: string, columnId: string, order: string[]) {
  busy = true;
  try {
    const r = await fetch(`/api/v1/boards/${boardId}/moves`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf() },
      body: JSON.stringify({ itemId, columnId, order }),
    });
    const j = (await r.json().catch(() => ({}))) as ApiError;
    showError(r.ok ? "" : errorText(j, r.status));
  } finally {
    busy = false;
    // the board as the server has it (a refused move goes back where it was)
    await refresh();
  }
}

async function more(b: HTMLButtonElement) {
  const col = b.dataset.column!;
  const offset = Number(b.dataset.offset);
  const q = new URLSearchParams(location.search);
  q.set("offset", String(offset));
  const r = await fetch(`/partials/board/${boardId}/column/${encodeURIComponent(col)}?${q}`);
  if (!r.ok) return;
  const list = document.querySelector<HTMLElement>(`#board-columns ul.board-cards[data-column="${col}"]`);
  const tmp = document.createElement("ul");
  tmp.innerHTML = await r.text();
  const added = [...tmp.children];
  list?.append(...added);
  const next = offset + added.length;
  const total = Number(b.dataset.count);
  if (!added.length || next >= total) b.remove();
  else {
    b.dataset.offset = String(next);
    b.textContent = (b.dataset.label ?? "").replace("{n}", String(total - next));
  }
}

let timer: ReturnType<typeof setTimeout> | null = null;
async function refresh() {
  const r = await fetch(`/partials/board/${boardId}${location.search}`);
  if (!r.ok) return;
  const box = document.getElementById("board-columns");
  if (!box) return;
  const tmp = document.createElement("div");
  tmp.innerHTML = await r.text();
  const fresh = tmp.querySelector("#board-columns");
  if (fresh) box.replaceWith(fresh);
  bind();
  document.body.dataset.boardRefreshed = String(Date.now());
}

if (root) {
  bind();
  // live: a move on this board, or a change of the conversations or tickets it shows
  document.addEventListener("digybot:inbox", (ev) => {
    const batch = (ev as CustomEvent<{ event: string; boardId?: string }[]>).detail;
    const relevant = batch.some(
      (e) =>
        (e.event === "boards.card_moved" && e.boardId === boardId) ||
        e.event.startsWith("tickets.") ||
        e.event.startsWith("commerce.order_") ||
        e.event === "inbox.conversation_updated" ||
        e.event === "inbox.conversation_created",
    );
    if (!relevant || busy) return;
    if (timer) clearTimeout(timer);
    const later = () => {
      timer = setTimeout(() => (inUse() ? later() : void refresh()), inUse() ? 1000 : 200);
    };
    later();
  });
}
