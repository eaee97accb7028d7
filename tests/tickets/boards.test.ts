// Tracking boards (issue #12 item 5) through the API: columns by status or a board's own stage, moves that change
// the item through its own rules, WIP limits, saved filters, figures, visibility, and the move as an event.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { automationKit } from "../support/automation.ts";
import { ingestInbound, forgetChannels } from "../../src/inbox/service.ts";
import { createUser } from "../../src/auth/service.ts";
import { channels, conversations, messages } from "../../src/inbox/schema.ts";
import { tickets } from "../../src/tickets/schema.ts";
import { events } from "../../src/platform/schema.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
const key = () => ({ authorization: `Bearer ${s.apiKey}` });
const api = async (method: string, path: string, json?: unknown, headers: Record<string, string> = key()) => {
  const r = await t.req(method, `/api/v1${path}`, { headers, json });
  return { status: r.status, body: await r.json() };
};

beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  await t.ctx.database.write((tx) => tx.update(channels).set({ departmentId: s.ventas.id }));
  forgetChannels(t.ctx);
});
afterEach(() => t.close());

const customer = async (i: number) =>
  (
    await ingestInbound(t.ctx, {
      channelId: s.webchat.id,
      from: { externalId: `b-${i}`, name: `Cliente ${i}` },
      body: `consulta ${i}`,
    })
  ).conversationId;
const columnsOf = async (boardId: string, q = "", h: Record<string, string> = key()) =>
  (await api("GET", `/boards/${boardId}${q}`, undefined, h)).body.data.columns.map(
    (c: { name: string; count: number; cards: { id: string }[] }) => [c.name, c.count, c.cards.map((x) => x.id)],
  );

test("a conversations board: its statuses as columns; a move changes the status, keeps the order, is an event", async () => {
  const [a, b, c] = [await customer(1), await customer(2), await customer(3)];
  const board = (await api("POST", "/boards", { name: "Ventas hoy", kind: "conversations" })).body.data;
  expect(board.columns.map((x: { name: string; status: string }) => [x.name, x.status])).toEqual([
    ["Abierta", "open"],
    ["Pendiente", "pending"],
    ["Resuelta", "resolved"],
  ]);
  expect(await columnsOf(board.id)).toEqual([
    ["Abierta", 3, [c, b, a]],
    ["Pendiente", 0, []],
    ["Resuelta", 0, []],
  ]);
  const pending = board.columns[1].id;
  const r = await api("POST", `/boards/${board.id}/moves`, { itemId: a, columnId: pending });
  expect(r.body.data).toEqual({ itemId: a, columnId: pending, status: "pending" });
  await api("POST", `/boards/${board.id}/moves`, { itemId: b, columnId: pending, order: [a, b] });
  expect(await columnsOf(board.id)).toEqual([
    ["Abierta", 1, [c]],
    ["Pendiente", 2, [a, b]],
    ["Resuelta", 0, []],
  ]);
  // the conversation changed through its own rules: an activity line says so
  const conv = await t.ctx.db.select().from(conversations).where(eq(conversations.id, a)).get();
  expect(conv?.status).toBe("pending");
  const lines = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, a))).filter(
    (m) => m.direction === "activity",
  );
  expect(JSON.parse(lines.at(-1)!.body).key).toBe("pending");
  const moved = (await t.ctx.db.select().from(events)).filter((e) => e.type === "boards.card_moved");
  expect(moved.map((e) => (e.data as { itemId: string; to: string }).itemId)).toEqual([a, b]);
  // bad input: a column the board does not have, an item that does not exist
  expect((await api("POST", `/boards/${board.id}/moves`, { itemId: a, columnId: "nope" })).body.error.code).toBe(
    "unknown_column",
  );
  expect((await api("POST", `/boards/${board.id}/moves`, { itemId: "nope", columnId: pending })).status).toBe(404);
});

test("a stage of the board's own holds a card while its status stays; a status change takes it to its column", async () => {
  const [a, b] = [await customer(1), await customer(2)];
  const board = (
    await api("POST", "/boards", {
      name: "Seguimiento",
      kind: "conversations",
      columns: [
        { name: "Por atender", status: "open" },
        { name: "En revisión" },
        { name: "Resuelta", status: "resolved" },
      ],
    })
  ).body.data;
  const review = board.columns[1].id;
  await api("POST", `/boards/${board.id}/moves`, { itemId: a, columnId: review });
  expect((await t.ctx.db.select().from(conversations).where(eq(conversations.id, a)).get())?.status).toBe("open");
  expect(await columnsOf(board.id)).toEqual([
    ["Por atender", 1, [b]],
    ["En revisión", 1, [a]],
    ["Resuelta", 0, []],
  ]);
  await api("PATCH", `/conversations/${a}`, { status: "resolved" });
  expect(await columnsOf(board.id)).toEqual([
    ["Por atender", 1, [b]],
    ["En revisión", 0, []],
    ["Resuelta", 1, [a]],
  ]);
  // a column with a status the kind does not have, or twice the same status, is refused
  const bad = await api("PATCH", `/boards/${board.id}`, { columns: [{ name: "X", status: "solved" }] });
  expect([bad.status, bad.body.error.code]).toEqual([400, "bad_column_status"]);
  const twice = await api("PATCH", `/boards/${board.id}`, {
    columns: [
      { name: "A", status: "open" },
      { name: "B", status: "open" },
    ],
  });
  expect(twice.body.error.code).toBe("duplicate_column_status");
});

test("a WIP limit refuses a move into a full column, and nothing changes", async () => {
  const [a, b] = [await customer(1), await customer(2)];
  const board = (
    await api("POST", "/boards", {
      name: "Limitado",
      kind: "conversations",
      columns: [
        { name: "Abiertas", status: "open" },
        { name: "Pendientes", status: "pending", wip: 1 },
      ],
    })
  ).body.data;
  const col = board.columns[1].id;
  expect((await api("POST", `/boards/${board.id}/moves`, { itemId: a, columnId: col })).status).toBe(200);
  const full = await api("POST", `/boards/${board.id}/moves`, { itemId: b, columnId: col });
  expect([full.status, full.body.error]).toEqual([
    409,
    { code: "wip_limit", message: "The column Pendientes is full (1)", details: { column: "Pendientes", wip: 1 } },
  ]);
  expect((await t.ctx.db.select().from(conversations).where(eq(conversations.id, b)).get())?.status).toBe("open");
  // reordering inside the full column is still a move that goes through
  expect((await api("POST", `/boards/${board.id}/moves`, { itemId: a, columnId: col, order: [a] })).status).toBe(200);
});

test("cards are what the person may see; boards of a department are its people's; only leaders change boards", async () => {
  const mine = await customer(1);
  const other = await customer(2);
  await api("PATCH", `/conversations/${other}`, { departmentId: s.soporte.id });
  const board = (await api("POST", "/boards", { name: "Todo", kind: "conversations" })).body.data;
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  expect((await columnsOf(board.id, "", ana))[0]).toEqual(["Abierta", 1, [mine]]);
  expect(
    (await api("POST", `/boards/${board.id}/moves`, { itemId: other, columnId: board.columns[1].id }, ana)).status,
  ).toBe(404);
  // an agent makes no boards; a supervisor makes her department's, not another's
  expect((await api("POST", "/boards", { name: "Mío", kind: "tickets" }, ana)).status).toBe(403);
  await createUser(t.ctx, {
    name: "Sofía",
    email: "sofia@test.mx",
    password: "agent-pass-123",
    role: "supervisor",
    departmentIds: [s.soporte.id],
  });
  const sofia = await sessionHeaders(t.ctx, "sofia@test.mx", "agent-pass-123");
  const sup = await api("POST", "/boards", { name: "Soporte", kind: "tickets", departmentId: s.soporte.id }, sofia);
  expect(sup.status).toBe(201);
  expect(
    (await api("POST", "/boards", { name: "Ventas", kind: "tickets", departmentId: s.ventas.id }, sofia)).status,
  ).toBe(403);
  // Ana (Ventas) does not see Soporte's board
  expect((await api("GET", "/boards", undefined, ana)).body.data.map((x: { name: string }) => x.name)).toEqual([
    "Todo",
  ]);
  expect((await api("GET", `/boards/${sup.body.data.id}`, undefined, ana)).status).toBe(404);
});

test("a tickets board: a move to Resuelto solves the ticket with its history; filters saved with the board; figures", async () => {
  const conv = await customer(1);
  const one = (await api("POST", "/tickets", { subject: "Uno", priority: "high", conversationId: conv })).body.data;
  const two = (await api("POST", "/tickets", { subject: "Dos", priority: "low", departmentId: s.ventas.id })).body.data;
  await api("PATCH", `/tickets/${one.id}`, { assigneeId: s.ana.id });
  const board = (await api("POST", "/boards", { name: "Tickets", kind: "tickets" })).body.data;
  expect(board.columns.map((c: { status: string }) => c.status)).toEqual([
    "new",
    "open",
    "pending",
    "on_hold",
    "solved",
  ]);
  const solved = board.columns[4].id;
  await api("POST", `/boards/${board.id}/moves`, { itemId: two.id, columnId: solved });
  const t2 = await t.ctx.db.select().from(tickets).where(eq(tickets.id, two.id)).get();
  expect(t2?.status).toBe("solved");
  const data = (await api("GET", `/boards/${board.id}`)).body.data;
  expect(data.kpis.load).toEqual([{ id: s.ana.id, name: "Ana", open: 1 }]);
  expect(typeof data.kpis.avgResolutionMs).toBe("number");
  expect(data.columns.find((c: { status: string }) => c.status === "new").cards[0].title).toBe(`#${one.number} Uno`);
  // filters saved with the board: only high priority
  await api("PATCH", `/boards/${board.id}`, { filters: { priority: "high" } });
  const filtered = (await api("GET", `/boards/${board.id}`)).body.data.columns.flatMap(
    (c: { cards: { id: string }[] }) => c.cards.map((x) => x.id),
  );
  expect(filtered).toEqual([one.id]);
  // and asked for on the spot (the saved ones hold unless overridden)
  const low = (await api("GET", `/boards/${board.id}?priority=low`)).body.data.columns.flatMap(
    (c: { cards: { id: string }[] }) => c.cards.map((x) => x.id),
  );
  expect(low).toEqual([two.id]);
});

test("a move is an automation trigger: a rule on a column adds a note", async () => {
  const { startAutomation } = await import("../../src/automation/index.ts");
  const kit = automationKit(() => ({ t, s }));
  startAutomation(t.ctx);
  const a = await customer(1);
  const board = (await api("POST", "/boards", { name: "Ventas", kind: "conversations" })).body.data;
  await kit.create("/automations", {
    name: "Pendiente avisado",
    trigger: { type: "board_card_moved", boardId: board.id, columnIds: [board.columns[1].id] },
    actions: [{ type: "add_note", body: "Pasó a pendiente en el tablero" }],
  });
  await api("POST", `/boards/${board.id}/moves`, { itemId: a, columnId: board.columns[1].id });
  await kit.settle();
  const notes = (await t.ctx.db.select().from(messages).where(eq(messages.conversationId, a))).filter(
    (m) => m.private && m.direction === "out",
  );
  expect(notes.map((n) => n.body)).toEqual(["Pasó a pendiente en el tablero"]);
});
