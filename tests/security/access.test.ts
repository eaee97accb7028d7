import { describe, test, expect, beforeEach, afterEach } from "bun:test";
import { makeTestApp, seedBusiness, sessionHeaders, type TestApp } from "../support/app.ts";
import { createChannel } from "../../src/channels/service.ts";

let t: TestApp;
let s: Awaited<ReturnType<typeof seedBusiness>>;
let apiChannel: string;
const bearer = () => ({ authorization: `Bearer ${s.apiKey}` });

beforeEach(async () => {
  t = await makeTestApp();
  s = await seedBusiness(t.ctx);
  apiChannel = (await createChannel(t.ctx, { kind: "system" }, { type: "api", name: "CRM", config: {} })).id;
});
afterEach(() => t.close());

/** A customer conversation in a department. */
async function conversationIn(departmentId: string, who: string) {
  const r = await t.req("POST", "/api/v1/inbound", { headers: bearer(), json: { channelId: apiChannel, from: { externalId: who }, body: "hola" } });
  const { conversationId } = (await r.json()).data;
  await t.req("PATCH", `/api/v1/conversations/${conversationId}`, { headers: bearer(), json: { departmentId } });
  return conversationId as string;
}

describe("idempotency keys are scoped to the conversation", () => {
  test("a key used in another department returns nothing of it and does not drop the reply", async () => {
    const soporteConv = await conversationIn(s.soporte.id, "c-soporte");
    const ventasConv = await conversationIn(s.ventas.id, "c-ventas");
    const beto = await sessionHeaders(t.ctx, "beto@test.mx", "agent-pass-123");
    const ana = await sessionHeaders(t.ctx, "ana@test.mx", "agent-pass-123");
    const secret = await t.req("POST", `/api/v1/conversations/${soporteConv}/messages`, { headers: beto, json: { body: "Su NIP es 4455", idempotencyKey: "shared-key-1" } });
    expect(secret.status).toBe(202);
    const mine = await t.req("POST", `/api/v1/conversations/${ventasConv}/messages`, { headers: ana, json: { body: "Hola, soy Ana", idempotencyKey: "shared-key-1" } });
    expect(mine.status).toBe(202);
    const j = await mine.json();
    expect(j.data.body).toBe("Hola, soy Ana");
    expect(j.data.conversationId).toBe(ventasConv);
    expect(JSON.stringify(j)).not.toContain("4455");
    // and a repeat in her own conversation is still a no-op returning her own message
    const again = await t.req("POST", `/api/v1/conversations/${ventasConv}/messages`, { headers: ana, json: { body: "Hola, soy Ana", idempotencyKey: "shared-key-1" } });
    expect(again.status).toBe(200);
    expect((await again.json()).data.id).toBe(j.data.id);
    // an agent cannot probe a conversation she cannot see with a known key
    const probe = await t.req("POST", `/api/v1/conversations/${soporteConv}/messages`, { headers: ana, json: { body: "x", idempotencyKey: "shared-key-1" } });
    expect(probe.status).toBe(404);
    expect(JSON.stringify(await probe.json())).not.toContain("4455");
  });
});
