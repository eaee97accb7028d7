// kill -9 in the middle of a burst of WhatsApp replies: after a restart every message reaches Meta exactly once.
import { test, expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAdmin, spawnServe, adminSession } from "../support/process.ts";
import { startGraphDouble, sign } from "../support/graph-double.ts";

const SECRET = "crash-app-secret",
  TOKEN = "EAAG-crash-token",
  PHONE_ID = "555000111";
const N = 600;

test("a burst of replies, the process killed mid-way (kill -9) and restarted: each reaches the provider exactly once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "digybot-crash-"));
  // Meta answers each send after 40 ms but has the message from the moment it arrives, so the kill finds sends
  // in flight whose outcome the server never learned, as well as claimed rows not yet sent
  const graph = startGraphDouble({ token: TOKEN, appSecret: SECRET, latencyMs: 40 });
  createAdmin(dir);
  let srv = await spawnServe(dir);
  try {
    const { key } = await adminSession(srv.url);
    const api = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const ch = await (
      await fetch(`${srv.url}/api/v1/channels`, {
        method: "POST",
        headers: api,
        body: JSON.stringify({
          type: "whatsapp_cloud",
          name: "Ventas",
          config: {
            phoneNumberId: PHONE_ID,
            accessToken: TOKEN,
            appSecret: SECRET,
            verifyToken: "crash-verify-token",
            graphUrl: graph.url,
            ratePerSecond: 300,
            reportGraceMs: 2000,
          },
        }),
      })
    ).json();
    expect(ch.data.id).toBeString();
    graph.setWebhook(`${srv.url}/webhooks/whatsapp-cloud`);
    // N customers write (signed webhooks, as Meta sends them), so N conversations have an open 24-hour window
    const now = String(Math.floor(Date.now() / 1000));
    for (let i = 0; i < N; i += 50) {
      const messages = Array.from({ length: 50 }, (_, j) => ({
        from: String(5215500000000 + i + j),
        id: `wamid.in-${i + j}`,
        timestamp: now,
        type: "text",
        text: { body: "Hola" },
      }));
      const body = JSON.stringify({
        object: "whatsapp_business_account",
        entry: [
          {
            id: "WABA",
            changes: [
              {
                field: "messages",
                value: {
                  messaging_product: "whatsapp",
                  metadata: { display_phone_number: "15550001111", phone_number_id: PHONE_ID },
                  contacts: messages.map((m) => ({ profile: { name: `Cliente ${m.from}` }, wa_id: m.from })),
                  messages,
                },
              },
            ],
          },
        ],
      });
      const r = await fetch(`${srv.url}/webhooks/whatsapp-cloud`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-hub-signature-256": sign(body, SECRET) },
        body,
      });
      expect(r.status).toBe(200);
    }
    const convs: { id: string }[] = [];
    for (let before = ""; convs.length < N; ) {
      const page = await (
        await fetch(`${srv.url}/api/v1/conversations?limit=100${before ? `&before=${before}` : ""}`, { headers: api })
      ).json();
      convs.push(...page.data);
      if (!page.next) break;
      before = page.next;
    }
    expect(convs).toHaveLength(N);
    // the burst: one reply per conversation, enqueued as fast as the API takes them
    const ids = await Promise.all(
      convs.map(async (c, i) => {
        const r = await fetch(`${srv.url}/api/v1/conversations/${c.id}/messages`, {
          method: "POST",
          headers: api,
          body: JSON.stringify({ body: `Tu pedido ${i} va en camino` }),
        });
        return (await r.json()).data.id as string;
      }),
    );
    const ours = new Set(ids);
    expect(ours.size).toBe(N);
    // kill -9 a third of the way through
    while (graph.sent.length < N / 3) await Bun.sleep(5);
    await srv.stop("SIGKILL");
    const atKill = graph.sent.length;
    expect(atKill).toBeLessThan(N);

    srv = await spawnServe(dir);
    graph.setWebhook(`${srv.url}/webhooks/whatsapp-cloud`);
    const delivered = () => graph.trackers.size;
    const end = Date.now() + 45_000;
    while (delivered() < N && Date.now() < end) await Bun.sleep(50);
    // a little longer than the report grace, so a wrong second send would have happened
    await Bun.sleep(3000);
    const count = new Map<string, number>();
    for (const s of graph.sent)
      count.set(s.body.biz_opaque_callback_data, (count.get(s.body.biz_opaque_callback_data) ?? 0) + 1);
    const dup = [...count].filter(([, n]) => n > 1);
    const lost = ids.filter((id) => !count.has(id));
    expect({ lost: lost.length, duplicated: dup.length }).toEqual({ lost: 0, duplicated: 0 });
    expect(graph.sent).toHaveLength(N);
    expect([...count.keys()].every((k) => ours.has(k))).toBe(true);
    // the restart found sends it had to settle (the case this test is about)
    expect(srv.log()).toContain("sends interrupted by a stop were found");
    // and every reply ends up delivered in the inbox, ticked by Meta's webhooks
    await Bun.sleep(500);
    let notDelivered = -1;
    for (let k = 0; k < 40 && notDelivered !== 0; k++) {
      notDelivered = 0;
      for (const c of convs.slice(0, 100)) {
        const msgs = (await (await fetch(`${srv.url}/api/v1/conversations/${c.id}/messages`, { headers: api })).json())
          .data as { direction: string; status: string }[];
        notDelivered += msgs.filter((m) => m.direction === "out" && m.status !== "delivered").length;
      }
      if (notDelivered) await Bun.sleep(250);
    }
    expect(notDelivered).toBe(0);
  } finally {
    await srv.stop("SIGKILL").catch(() => {});
    graph.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
