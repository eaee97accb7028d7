// GET never changes state: every GET route of the app (console pages, fragments, the REST API, the web chat's
// public routes), called with real ids by an administrator, an agent, an API key and a visitor, leaves the database
// as it was. Opening a conversation used to mark it read (and send WhatsApp read receipts) on GET.
import { test, expect } from "bun:test";
import LibsqlDatabase from "libsql";
import { makeTestApp, seedBusiness, sessionHeaders, apiPost } from "../support/app.ts";

test("no GET route writes to the database, whoever calls it", async () => {
  const t = await makeTestApp();
  const s = await seedBusiness(t.ctx);
  const key = { authorization: `Bearer ${s.apiKey}` };
  const apiCh = await apiPost(t, s.apiKey, "/channels", { type: "api", name: "CRM", config: {} });
  const inbound = await apiPost(t, s.apiKey, "/inbound", {
    channelId: apiCh.id,
    from: { externalId: "c1", name: "Rosa" },
    body: "hola",
  });
  await t.req("PATCH", `/api/v1/conversations/${inbound.conversationId}`, {
    headers: key,
    json: { departmentId: s.ventas.id },
  });
  await apiPost(t, s.apiKey, "/inbound", { channelId: apiCh.id, from: { externalId: "c1" }, body: "¿siguen ahí?" });
  const conv = (await (await t.req("GET", `/api/v1/conversations/${inbound.conversationId}`, { headers: key })).json())
    .data;
  expect(conv.unreadCount).toBeGreaterThan(0);
  const agent = (await (await t.req("GET", "/api/v1/agents", { headers: key })).json()).data[0];
  const visitor = (
    await (
      await t.req("POST", `/webchat/${s.webchat.id}/sessions`, {
        headers: { "content-type": "application/json" },
        body: "{}",
      })
    ).json()
  ).data;
  const admin = await sessionHeaders(t.ctx, "admin@test.mx", "admin-pass-123");
  const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
  await t.req("GET", "/api/v1/me", { headers: key }); // a key's last use is recorded at most once a minute: done now
  const ids: Record<string, string> = { id: conv.id, channelId: s.webchat.id, fileId: "nope", name: "console.css" };
  const routeIds: Record<string, string> = {
    "/api/v1/agents/:id": agent?.id ?? "nope",
    "/settings/agents/:id": agent?.id ?? "nope",
    "/api/v1/contacts/:id": conv.contactId,
    "/api/v1/contacts/:id/conversations": conv.contactId,
    "/api/v1/channels/:id/templates": apiCh.id,
    "/api/v1/channels/:id/whatsapp": apiCh.id,
    "/partials/channel-qr/:id": apiCh.id,
  };

  const watcher = new LibsqlDatabase(t.ctx.database.path);
  const version = async () => {
    await t.ctx.database.flush();
    return Number((watcher.prepare("PRAGMA data_version").get() as { data_version: number }).data_version);
  };
  const streams = new Set(["/console/events", "/webchat/:channelId/stream"]);
  const paths = [
    ...new Set(
      t.app.routes
        .filter((r) => r.method === "GET" && !streams.has(r.path) && !r.path.includes("*"))
        .map((r) => r.path),
    ),
  ];
  expect(paths.length).toBeGreaterThan(50);
  const changed: string[] = [];
  let calls = 0;
  const before = await version();
  for (const path of paths) {
    const url = routeIds[path] ?? path.replace(/:(\w+)/g, (_, k) => ids[k] ?? "nope");
    const withQuery =
      path === "/inbox" ? `${url}?c=${conv.id}` : path === "/partials/messages/:id" ? `${url}?after=` : url;
    for (const headers of [admin, ana, key, { authorization: `Bearer ${visitor.token}` }, {}]) {
      const v0 = await version();
      const r = await t.app.request(withQuery, { headers });
      await r.arrayBuffer();
      calls++;
      expect(r.status).toBeLessThan(500);
      if ((await version()) !== v0)
        changed.push(`GET ${withQuery} as ${Object.keys(headers).join(",") || "anonymous"} (${r.status})`);
    }
  }
  expect(changed).toEqual([]);
  expect(await version()).toBe(before);
  // the conversation is still unread: reading is POST /conversations/:id/read
  expect(
    (await (await t.req("GET", `/api/v1/conversations/${conv.id}`, { headers: key })).json()).data.unreadCount,
  ).toBe(conv.unreadCount);
  const read = await t.req("POST", `/api/v1/conversations/${conv.id}/read`, { headers: ana });
  expect(read.status).toBe(200);
  expect(
    (await (await t.req("GET", `/api/v1/conversations/${conv.id}`, { headers: key })).json()).data.unreadCount,
  ).toBe(0);
  expect(calls).toBe(paths.length * 5);
  watcher.close();
  await t.close();
}, 60_000);
