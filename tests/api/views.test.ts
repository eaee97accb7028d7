// Bot and human work apart (issue #10): inbox views Bot / En espera / Mías / Todas with counts, a bot's
// conversation not unread for people until it is handed over, and an API reply taking the conversation from the
// bot unless it says otherwise.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { eq } from "drizzle-orm";
import { makeTestApp, seedBusiness, sessionHeaders, apiPost, type TestApp } from "../support/app.ts";
import { conversations } from "../../src/inbox/schema.ts";
import { handOffToPeople } from "../../src/inbox/service.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>, ch: { id: string };
const key = () => ({ authorization: `Bearer ${s.apiKey}` });
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  ch = await apiPost(t, s.apiKey, "/channels", { type: "api", name: "CRM", config: {} });
});
afterEach(() => t.close());

/** An AI agent on no channel: it answers only the conversations the test gives it. */
const anAgent = async () =>
  (
    await (
      await import("../../src/agents/service.ts")
    ).createAgent(t.ctx, { kind: "system" }, { name: "Sofía", channelIds: [] })
  ).id;
const say = async (who: string, body = "hola") =>
  (await apiPost(t, s.apiKey, "/inbound", { channelId: ch.id, from: { externalId: who, name: who }, body }))
    .conversationId as string;
const set = (id: string, patch: Partial<typeof conversations.$inferInsert>) =>
  t.ctx.database.write((tx) => tx.update(conversations).set(patch).where(eq(conversations.id, id)));
const conv = async (id: string) => (await t.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get())!;
const ids = async (view: string, headers: Record<string, string> = key()) =>
  (await (await t.req("GET", `/api/v1/conversations?view=${view}`, { headers })).json()).data
    .map((x: { id: string }) => x.id)
    .sort();

test("the views and their counts: bot, waiting for a person, mine, all", async () => {
  const bot = await say("c-bot"),
    waiting = await say("c-wait"),
    anas = await say("c-ana");
  await set(bot, { ownerType: "bot", departmentId: s.ventas.id });
  await set(waiting, { departmentId: s.ventas.id });
  await set(anas, { ownerType: "agent", assigneeId: s.ana.id, departmentId: s.ventas.id });
  expect(await ids("bot")).toEqual([bot]);
  expect(await ids("queue")).toEqual([waiting]);
  expect(await ids("all")).toEqual([bot, waiting, anas].sort());
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  expect(await ids("mine", ana)).toEqual([anas]);
  const { countViews } = await import("../../src/inbox/service.ts");
  expect(
    await countViews(t.ctx, {
      kind: "user",
      id: s.ana.id,
      name: "Ana",
      role: "agent",
      locale: "es",
      departmentIds: [s.ventas.id],
    }),
  ).toEqual({ all: 3, bot: 1, queue: 1, mine: 1 });
  // one of hers in another department counts too (she sees it because it is hers), once
  const elsewhere = await say("c-ana-soporte");
  await set(elsewhere, { ownerType: "agent", assigneeId: s.ana.id, departmentId: s.soporte.id });
  expect(
    await countViews(t.ctx, {
      kind: "user",
      id: s.ana.id,
      name: "Ana",
      role: "agent",
      locale: "es",
      departmentIds: [s.ventas.id],
    }),
  ).toEqual({ all: 4, bot: 1, queue: 1, mine: 2 });
  await set(elsewhere, { status: "resolved" });
  // another department's agent counts nothing of these
  expect(
    await countViews(t.ctx, {
      kind: "user",
      id: s.beto.id,
      name: "Beto",
      role: "agent",
      locale: "es",
      departmentIds: [s.soporte.id],
    }),
  ).toEqual({ all: 0, bot: 0, queue: 0, mine: 0 });
  // the console's tabs show the counts; an agent starts on "Mías"
  const page = await (await t.req("GET", "/inbox", { headers: ana })).text();
  expect(page).toMatch(/data-view="bot">Bot <span class="count">1<\/span>/);
  expect(page).toMatch(/data-view="queue">En espera <span class="count">1<\/span>/);
  expect(page).toMatch(/class="on" data-view="mine"/);
  const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  expect(await (await t.req("GET", "/inbox", { headers: admin })).text()).toMatch(/class="on" data-view="all"/);
});

test("a bot's conversation is not unread for people until it is handed over", async () => {
  const id = await say("c-bot");
  const agentId = await anAgent();
  await set(id, { ownerType: "bot", agentId, unreadCount: 0 });
  await say("c-bot", "¿tienen envío?");
  await say("c-bot", "¿y a Puebla?");
  expect((await conv(id)).unreadCount).toBe(0);
  await handOffToPeople(t.ctx, id, agentId, { reason: "asked_for_human", agentName: "Sofía" });
  expect(await conv(id)).toMatchObject({ ownerType: "queue", unreadCount: 1 });
  await say("c-bot", "¿hola?");
  expect((await conv(id)).unreadCount).toBe(2);
});

test("an API reply takes the conversation from the bot unless it says takeOver: false", async () => {
  const a = await say("c-a"),
    b = await say("c-b");
  const agentId = await anAgent();
  await set(a, { ownerType: "bot", agentId });
  await set(b, { ownerType: "bot", agentId });
  expect(
    (
      await t.req("POST", `/api/v1/conversations/${a}/messages`, {
        headers: key(),
        json: { body: "Le atiende una persona." },
      })
    ).status,
  ).toBe(202);
  expect((await conv(a)).ownerType).toBe("queue");
  expect(
    (
      await t.req("POST", `/api/v1/conversations/${b}/messages`, {
        headers: key(),
        json: { body: "Su pedido salió.", takeOver: false },
      })
    ).status,
  ).toBe(202);
  expect((await conv(b)).ownerType).toBe("bot");
  const doc = await (await t.req("GET", "/api/v1/openapi.json")).json();
  expect(JSON.stringify(doc.paths["/api/v1/conversations/{id}/messages"])).toContain("takeOver");
});

test("counts stop at 1,000 and the tab says 999+", async () => {
  const { VIEW_COUNT_CAP, countViews } = await import("../../src/inbox/service.ts");
  const first = await say("c-0");
  const row = await conv(first);
  await t.ctx.database.write(async (tx) => {
    for (let i = 1; i <= VIEW_COUNT_CAP + 5; i++)
      await tx.insert(conversations).values({ ...row, id: `cv-many-${i}`, lastMessageAt: row.lastMessageAt + i });
  });
  expect((await countViews(t.ctx, { kind: "system" })).all).toBe(VIEW_COUNT_CAP);
  const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  expect(await (await t.req("GET", "/inbox", { headers: admin })).text()).toMatch(
    /data-view="all">Todas <span class="count">999\+<\/span>/,
  );
});

test("a bot's conversation the customer left idle is resolved by its agent, and reopens on their next message", async () => {
  let now = Date.now();
  const idle = await makeTestApp({}, { clock: { now: () => now } });
  try {
    const is = await seedBusiness(idle.ctx);
    const ich = await apiPost(idle, is.apiKey, "/channels", { type: "api", name: "CRM", config: {} });
    const { createAgent } = await import("../../src/agents/service.ts");
    const { resolveIdleBotConversations, listMessages } = await import("../../src/inbox/service.ts");
    const soon = await createAgent(
      idle.ctx,
      { kind: "system" },
      { name: "Sofía", channelIds: [], handoff: { idleResolveHours: 2 } },
    );
    const never = await createAgent(
      idle.ctx,
      { kind: "system" },
      { name: "Toño", channelIds: [], handoff: { idleResolveHours: 0 } },
    );
    const speak = async (who: string) =>
      (await apiPost(idle, is.apiKey, "/inbound", { channelId: ich.id, from: { externalId: who }, body: "hola" }))
        .conversationId as string;
    const a = await speak("c-a"),
      b = await speak("c-b"),
      c = await speak("c-c");
    const put = (id: string, patch: Partial<typeof conversations.$inferInsert>) =>
      idle.ctx.database.write((tx) => tx.update(conversations).set(patch).where(eq(conversations.id, id)));
    await put(a, { ownerType: "bot", agentId: soon.id });
    await put(b, { ownerType: "bot", agentId: never.id });
    await put(c, { ownerType: "bot", agentId: soon.id });
    const row = async (id: string) =>
      (await idle.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get())!;
    now += 90 * 60_000;
    expect(await resolveIdleBotConversations(idle.ctx)).toBe(0);
    await speak("c-c"); // c's customer is still talking
    now += 60 * 60_000;
    expect(await resolveIdleBotConversations(idle.ctx)).toBe(1);
    expect((await row(a)).status).toBe("resolved");
    expect((await row(b)).status).toBe("open"); // its agent never resolves
    expect((await row(c)).status).toBe("open");
    const lines = (await listMessages(idle.ctx, { kind: "system" }, a, {}))
      .filter((m) => m.direction === "activity")
      .map((m) => JSON.parse(m.body));
    expect(lines.at(-1)).toEqual({ key: "idleResolved", params: { agent: "Sofía", hours: "2" } });
    const page = await (
      await idle.req("GET", `/inbox?status=any&c=${a}`, {
        headers: await sessionHeaders(idle.ctx, "admin@test.mx", "admin-pass-123"),
      })
    ).text();
    expect(page).toContain("Sofía resolvió la conversación: el cliente no escribió en 2 h");
    // the customer comes back: the same conversation reopens, still the bot's
    expect(await speak("c-a")).toBe(a);
    expect(await row(a)).toMatchObject({ status: "open", ownerType: "bot", resolvedAt: null });
    // a conversation a person resolved stays resolved: the next message opens a new one
    await put(b, { ownerType: "agent", agentId: null, status: "resolved" });
    expect(await speak("c-b")).not.toBe(b);
  } finally {
    await idle.close();
  }
});
