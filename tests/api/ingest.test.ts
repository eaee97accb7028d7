import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, type TestApp } from "../support/app.ts";
import { ingestInbound, updateConversation, getConversation } from "../../src/inbox/service.ts";

let t: TestApp, s: Awaited<ReturnType<typeof seedBusiness>>;
beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
});
afterEach(() => t.close());
const sys = { kind: "system" as const };
const say = (body: string, i: number, at?: number) =>
  ingestInbound(t.ctx, { channelId: s.webchat.id, externalId: `m-${i}`, from: { externalId: "visitor-1" }, body, at });

const cases: [string, Parameters<typeof updateConversation>[3]][] = [
  ["snoozed", { status: "snoozed", snoozedUntil: Date.now() + 86_400_000 }],
  ["pending", { status: "pending" }],
];
for (const [state, patch] of cases) {
  test(`a message on a ${state} conversation reopens it and counts as unread`, async () => {
    const a = await say("hola", 1);
    await updateConversation(t.ctx, sys, a.conversationId, patch);
    const b = await say("¿siguen ahí?", 2);
    expect(b.conversationId).toBe(a.conversationId);
    const c = await getConversation(t.ctx, sys, a.conversationId);
    expect(c).toMatchObject({ status: "open", snoozedUntil: null, unreadCount: 2, lastMessagePreview: "¿siguen ahí?" });
  });
}

test("an older message delivered late does not move the conversation's last activity back", async () => {
  const a = await say("nuevo", 1, 2_000_000_000_000);
  await say("viejo", 2, 1_000_000_000_000);
  expect((await getConversation(t.ctx, sys, a.conversationId)).lastMessageAt).toBe(2_000_000_000_000);
});

test("a resolved conversation stays resolved; the customer's next message opens a new one in the channel's department", async () => {
  const a = await say("hola", 1);
  await updateConversation(t.ctx, sys, a.conversationId, { status: "resolved" });
  const b = await say("otra cosa", 2);
  expect(b.conversationId).not.toBe(a.conversationId);
  expect((await getConversation(t.ctx, sys, a.conversationId)).status).toBe("resolved");
  expect(await getConversation(t.ctx, sys, b.conversationId)).toMatchObject({
    status: "open",
    unreadCount: 1,
    departmentId: s.ventas.id,
  });
});
