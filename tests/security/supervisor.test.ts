// The supervisor role (issue #12): everything in their departments — their conversations, the team's presence and
// queue, reassigning over the rules, setting their people's presence — and nothing of the settings or of other
// departments, in every API call, page and live update; like the department isolation of agents.
import { test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, sessionHeaders, startServer, type TestApp } from "../support/app.ts";
import { readEvents } from "../support/sse.ts";
import { createChannel } from "../../src/channels/service.ts";
import { createUser } from "../../src/auth/service.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
let apiChannel: string;
let sofiaId: string;
const bearer = () => ({ authorization: `Bearer ${s.apiKey}` });

beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  apiChannel = (await createChannel(t.ctx, { kind: "system" }, { type: "api", name: "CRM", config: {} })).id;
  sofiaId = (
    await createUser(t.ctx, {
      name: "Sofía",
      email: "sofia@test.mx",
      password: "agent-pass-123",
      role: "supervisor",
      departmentIds: [s.ventas.id],
    })
  ).id;
});
afterEach(() => t.close());

async function conversationIn(departmentId: string, who: string) {
  const r = await t.req("POST", "/api/v1/inbound", {
    headers: bearer(),
    json: { channelId: apiChannel, from: { externalId: who }, body: "hola" },
  });
  const { conversationId } = (await r.json()).data;
  await t.req("PATCH", `/api/v1/conversations/${conversationId}`, { headers: bearer(), json: { departmentId } });
  return conversationId as string;
}

test("a supervisor sees and reassigns her department's conversations, and not another's", async () => {
  const ventas = await conversationIn(s.ventas.id, "c-ventas");
  const soporte = await conversationIn(s.soporte.id, "c-soporte");
  const sofia = await sessionHeaders(t.ctx, "sofia@test.mx", "agent-pass-123");
  const list = (await (await t.req("GET", "/api/v1/conversations", { headers: sofia })).json()).data as {
    id: string;
  }[];
  expect(list.map((c) => c.id)).toEqual([ventas]);
  expect((await t.req("GET", `/api/v1/conversations/${soporte}`, { headers: sofia })).status).toBe(404);
  // over the rules: Ana has no console open (offline), and the supervisor gives it to her all the same
  const r = await t.req("PATCH", `/api/v1/conversations/${ventas}`, {
    headers: sofia,
    json: { assigneeId: s.ana.id },
  });
  expect(r.status).toBe(200);
  // an agent cannot do the same (Beto, offline, for Ana's conversation)
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const refused = await t.req("PATCH", `/api/v1/conversations/${ventas}`, {
    headers: ana,
    json: { assigneeId: s.beto.id },
  });
  expect(refused.status).toBe(409);
  expect((await refused.json()).error).toMatchObject({ code: "assignee_unavailable", details: { name: "Beto" } });
  expect((await t.req("PATCH", `/api/v1/conversations/${soporte}`, { headers: sofia, json: {} })).status).toBe(404);
});

test("the team overview and presence: her departments only; she sets her people's presence, not others'", async () => {
  const sofia = await sessionHeaders(t.ctx, "sofia@test.mx", "agent-pass-123");
  const team = (await (await t.req("GET", "/api/v1/team", { headers: sofia })).json()).data;
  expect(team.departments.map((d: { name: string; leads: boolean }) => [d.name, d.leads])).toEqual([["Ventas", true]]);
  expect(team.departments[0].people.map((p: { name: string }) => p.name).sort()).toEqual(["Admin", "Ana", "Sofía"]);
  const ok = await t.req("PUT", `/api/v1/users/${s.ana.id}/availability`, {
    headers: sofia,
    json: { availability: "away" },
  });
  expect(ok.status).toBe(200);
  const no = await t.req("PUT", `/api/v1/users/${s.beto.id}/availability`, {
    headers: sofia,
    json: { availability: "offline" },
  });
  expect(no.status).toBe(403);
  expect((await no.json()).error.code).toBe("not_your_team");
  const bad = await t.req("PUT", `/api/v1/users/${s.ana.id}/availability`, {
    headers: sofia,
    json: { availability: "busy" },
  });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.code).toBe("validation_failed");
  // an agent's overview leads nothing
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  const hers = (await (await t.req("GET", "/api/v1/team", { headers: ana })).json()).data;
  expect(hers.departments.map((d: { name: string; leads: boolean }) => [d.name, d.leads])).toEqual([["Ventas", false]]);
  // a read key sees the overview and changes nothing
  const { createApiKey } = await import("../../src/auth/service.ts");
  const read = (await createApiKey(t.ctx, { kind: "system" }, { name: "r", scope: "read" })).key;
  expect((await t.req("GET", "/api/v1/team", { headers: { authorization: `Bearer ${read}` } })).status).toBe(200);
  const readPut = await t.req("PUT", `/api/v1/users/${s.ana.id}/availability`, {
    headers: { authorization: `Bearer ${read}` },
    json: { availability: "online" },
  });
  expect(readPut.status).toBe(403);
});

test("no settings: the API refuses them and the console hides and refuses them", async () => {
  const sofia = await sessionHeaders(t.ctx, "sofia@test.mx", "agent-pass-123");
  const calls: [string, string, unknown?][] = [
    ["PATCH", `/api/v1/departments/${s.ventas.id}`, { assignment: "round_robin" }],
    ["POST", "/api/v1/users", { name: "X", email: "x@test.mx", password: "long-enough-1" }],
    ["PATCH", `/api/v1/users/${s.ana.id}`, { capacity: 3 }],
    ["PATCH", `/api/v1/users/${sofiaId}`, { role: "admin" }],
    ["GET", "/api/v1/api-keys"],
  ];
  for (const [method, path, json] of calls) {
    const r = await t.req(method, path, { headers: sofia, json });
    expect([path, r.status]).toEqual([path, 403]);
  }
  const page = await t.req("GET", "/settings/users", { headers: { ...sofia, accept: "text/html" } });
  expect(page.status).toBe(403);
  const inbox = await (await t.req("GET", "/inbox", { headers: { ...sofia, accept: "text/html" } })).text();
  expect(inbox).not.toContain('href="/settings"');
  expect(inbox).toContain('href="/team"');
});

test("her console stream carries her departments' conversations only, and makes her present", async () => {
  const running = await startServer(t.ctx);
  try {
    const sofia = await sessionHeaders(t.ctx, "sofia@test.mx", "agent-pass-123");
    const before = (await (await t.req("GET", "/api/v1/team", { headers: sofia })).json()).data;
    expect(before.departments[0].people.find((p: { id: string }) => p.id === sofiaId).presence).toBe("offline");
    const stream = readEvents(await fetch(`${running.url}/console/events`, { headers: { cookie: sofia.cookie } }));
    await stream.until((e) => e.some((x) => x.event === "ready"));
    const now = (await (await t.req("GET", "/api/v1/team", { headers: sofia })).json()).data;
    expect(now.departments[0].people.find((p: { id: string }) => p.id === sofiaId).presence).toBe("online");
    const soporte = await conversationIn(s.soporte.id, "c-soporte");
    const ventas = await conversationIn(s.ventas.id, "c-ventas");
    await stream.until((e) =>
      e
        .filter((x) => x.event === "inbox")
        .flatMap((x) => JSON.parse(x.data) as { conversationId: string }[])
        .some((x) => x.conversationId === ventas),
    );
    const seen = stream.events
      .filter((e) => e.event === "inbox")
      .flatMap((e) => JSON.parse(e.data) as { conversationId: string; event: string }[]);
    // nothing of the Soporte conversation, before or after its transfer; the Ventas one from its transfer on
    expect(seen.filter((x) => x.conversationId === soporte)).toEqual([]);
    expect(seen.filter((x) => x.conversationId === ventas).map((x) => x.event)).toContain("inbox.conversation_updated");
    stream.stop();
  } finally {
    await running.stop();
  }
});
