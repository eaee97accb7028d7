#!/usr/bin/env bun
// bench/outbox: queued WhatsApp replies drained by a real `digybot serve` to the Graph API double. With the
// number's limit at 1,000/s (the double refuses more with error 130429, as Meta does): achieved rate, duplicates,
// lost. With the limit off: the ceiling. Run: bun bench/outbox.ts [--messages N] [--conversations K]
import { parseArgs } from "node:util";
import { startDigybot, adminSession, fmt, machine } from "./lib.ts";
import { startGraphDouble, sign } from "../tests/support/graph-double.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    messages: { type: "string", default: "100000" },
    conversations: { type: "string", default: "10000" },
    "only-open": { type: "boolean", default: false },
  },
});
const N = Number(values.messages),
  K = Number(values.conversations);
const SECRET = "bench-app-secret",
  TOKEN = "EAAG-bench",
  PHONE_ID = "106540352242922";

async function run(limit: number | null) {
  const graph = startGraphDouble({ token: TOKEN, appSecret: SECRET, ratePerSecond: limit, webhookUrl: null });
  const srv = await startDigybot({ bin: process.env.DIGYBOT_BIN });
  try {
    const { key } = await adminSession(srv.url);
    const api = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    // the connection starts paused: everything is queued first, then the drain alone is timed
    const ch = (
      await (
        await fetch(`${srv.url}/api/v1/channels`, {
          method: "POST",
          headers: api,
          body: JSON.stringify({
            type: "whatsapp_cloud",
            name: "bench",
            active: false,
            config: {
              phoneNumberId: PHONE_ID,
              accessToken: TOKEN,
              appSecret: SECRET,
              verifyToken: "bench-verify-token",
              graphUrl: graph.url,
              ratePerSecond: limit ?? 100_000,
            },
          }),
        })
      ).json()
    ).data;
    // K customers write first (their 24-hour windows open)
    const now = String(Math.floor(Date.now() / 1000));
    for (let i = 0; i < K; i += 100) {
      const messages = Array.from({ length: Math.min(100, K - i) }, (_, j) => ({
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
                  contacts: messages.map((m) => ({ profile: { name: "Cliente" }, wa_id: m.from })),
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
      if (r.status !== 200) throw new Error(`webhook ${r.status}`);
    }
    const convs: string[] = [];
    for (let before = ""; ; ) {
      const page = await (
        await fetch(`${srv.url}/api/v1/conversations?limit=100${before ? `&before=${before}` : ""}`, { headers: api })
      ).json();
      convs.push(...page.data.map((c: { id: string }) => c.id));
      if (!page.next) break;
      before = page.next;
    }
    // N replies, spread over the conversations, enqueued through the API
    const ids: string[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < N) {
          const i = next++;
          const r = await fetch(`${srv.url}/api/v1/conversations/${convs[i % convs.length]}/messages`, {
            method: "POST",
            headers: api,
            body: JSON.stringify({ body: `Promoción ${i}: 2x1 en tacos hoy` }),
          });
          if (r.status !== 202) throw new Error(`send ${r.status} ${await r.text()}`);
          ids.push((await r.json()).data.id);
        }
      }),
    );
    const enqueueRate = N / ((performance.now() - t0) / 1000);
    await fetch(`${srv.url}/api/v1/channels/${ch.id}`, {
      method: "PATCH",
      headers: api,
      body: JSON.stringify({ active: true }),
    });
    const end = Date.now() + N * 5 + 60_000;
    while (graph.trackers.size < N && Date.now() < end) await Bun.sleep(200);
    await Bun.sleep(1000);
    const seen = graph.trackers;
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    const lost = ids.filter((id) => !seen.has(id)).length;
    // steady state: from the 1st to the last accepted send
    const times = graph.sent.map((s) => s.at).sort((a, b) => a - b);
    const rate = (times.length - 1) / ((times.at(-1)! - times[0]) / 1000);
    if (process.env.BENCH_VERBOSE) {
      const perSecond = new Map<number, number>();
      for (const t of times)
        perSecond.set(Math.floor((t - times[0]) / 1000), (perSecond.get(Math.floor((t - times[0]) / 1000)) ?? 0) + 1);
      console.log("sends per second:", [...perSecond.values()].join(" "));
    }
    return { limit, rate, duplicates, lost, enqueueRate, refused: graph.refused };
  } finally {
    await srv.stop();
    graph.stop();
  }
}

console.log(`bench/outbox — ${N} replies over ${K} conversations to the Graph API double, ${machine()}`);
const limited = values["only-open"]
  ? { rate: 1000, duplicates: 0, lost: 0, refused: 0, enqueueRate: 0 }
  : await run(1000);
if (!values["only-open"])
  console.log(
    `limit 1,000/s: achieved ${fmt(limited.rate, 0)}/s (${fmt((limited.rate / 1000) * 100, 1)}% of the limit; target within 2%)   duplicates ${limited.duplicates}   lost ${limited.lost}   refused by the limit ${limited.refused}   (enqueued through the API at ${fmt(limited.enqueueRate, 0)}/s)`,
  );
const open = await run(null);
console.log(`limit off: ceiling ${fmt(open.rate, 0)}/s   duplicates ${open.duplicates}   lost ${open.lost}`);
const ok =
  Math.abs(limited.rate - 1000) <= 20 && !limited.duplicates && !limited.lost && !open.duplicates && !open.lost;
console.log(`target: within 2% of 1,000/s, no duplicate, nothing lost → ${ok ? "met" : "NOT met"}`);
