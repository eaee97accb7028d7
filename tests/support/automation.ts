// What the automation tests share: the API with the seeded key, letting the engine catch up, a customer writing on
// the web chat, and the replies a conversation got. `env` is read at each call (each test builds its own app).
import { and, eq } from "drizzle-orm";
import type { TestApp, seedBusiness } from "./app.ts";
import { ingestInbound } from "../../src/inbox/service.ts";
import { messages } from "../../src/schema.ts";
import { automationIdle, kickAutomation } from "../../src/automation/index.ts";

type Env = () => { t: TestApp; s: Awaited<ReturnType<typeof seedBusiness>> };

export function automationKit(env: Env) {
  const api = (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) =>
    env().t.req(method, `/api/v1${path}`, { headers: { authorization: `Bearer ${env().s.apiKey}`, ...headers }, json });
  /** POSTs and returns `data`; anything but the expected status throws with the body (test setup). */
  const create = async <R = { id: string }>(path: string, body: unknown, status = 201) => {
    const r = await api("POST", path, body);
    const j = await r.json();
    if (r.status !== status) throw new Error(`${path}: ${r.status} ${JSON.stringify(j)}`);
    return j.data as R;
  };
  /** Lets the engine read what was recorded and act on it, `rounds` times (what one round starts, the next sees). */
  const settle = async (rounds = 3) => {
    for (let i = 0; i < rounds; i++) {
      await Bun.sleep(1);
      await kickAutomation(env().t.ctx);
      await automationIdle(env().t.ctx);
    }
  };
  /** A web-chat customer's message, stored as the channel stores it. */
  const ingest = (body: string, who = "v1", name = "María López") =>
    ingestInbound(env().t.ctx, { channelId: env().s.webchat.id, from: { externalId: who, name }, body });
  /** The texts sent to the customer in a conversation, oldest first (private notes left out when `publicOnly`). */
  const outBodies = async (conversationId: string, publicOnly = false) =>
    (
      await env()
        .t.ctx.db.select()
        .from(messages)
        .where(
          and(
            eq(messages.conversationId, conversationId),
            eq(messages.direction, "out"),
            publicOnly ? eq(messages.private, false) : undefined,
          ),
        )
        .orderBy(messages.id)
    ).map((m) => m.body);
  return { api, create, settle, ingest, outBodies };
}
