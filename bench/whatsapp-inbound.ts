#!/usr/bin/env bun
// bench/whatsapp-inbound: signed WhatsApp Cloud API webhooks (one customer message each, as Meta sends them) end to
// end into the inbox of a real `digybot serve`: signature check, parsing, commit, then 200. Messages/s and latency.
// Run: bun bench/whatsapp-inbound.ts [--messages N] [--concurrency C] [--contacts K]
import { parseArgs } from "node:util";
import { startDigybot, adminSession, pct, fmt, machine } from "./lib.ts";
import { sign } from "../tests/support/graph-double.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    messages: { type: "string", default: "30000" },
    concurrency: { type: "string", default: "64" },
    contacts: { type: "string", default: "10000" },
  },
});
const N = Number(values.messages),
  C = Number(values.concurrency),
  K = Number(values.contacts);
const SECRET = "bench-app-secret",
  PHONE_ID = "106540352242922";

const srv = await startDigybot({ bin: process.env.DIGYBOT_BIN });
try {
  const { key } = await adminSession(srv.url);
  const r = await fetch(`${srv.url}/api/v1/channels`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      type: "whatsapp_cloud",
      name: "bench",
      config: {
        phoneNumberId: PHONE_ID,
        accessToken: "unused-token",
        appSecret: SECRET,
        verifyToken: "bench-verify-token",
        graphUrl: "http://127.0.0.1:9",
      },
    }),
  });
  if (r.status !== 201) throw new Error(await r.text());

  const webhook = (i: number) => {
    const from = String(5215500000000 + (i % K));
    return JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: "102290129340398",
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: { display_phone_number: "15550783881", phone_number_id: PHONE_ID },
                contacts: [{ profile: { name: `Cliente ${i % K}` }, wa_id: from }],
                messages: [
                  {
                    from,
                    id: `wamid.bench-${i}`,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: "text",
                    text: { body: `Hola, ¿tienen disponible el producto ${i}?` },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
  };
  const post = async (i: number) => {
    const body = webhook(i);
    const t0 = performance.now();
    const res = await fetch(`${srv.url}/webhooks/whatsapp-cloud`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": sign(body, SECRET) },
      body,
    });
    await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return performance.now() - t0;
  };
  const drive = async (from: number, to: number) => {
    const lat: number[] = [];
    let next = from;
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < to) lat.push(await post(next++));
      }),
    );
    return lat;
  };
  console.log(`bench/whatsapp-inbound — ${N} signed webhooks, ${C} in flight, ${K} customers, ${machine()}`);
  await drive(0, Math.max(K, 10_000)); // every customer known, the JIT warm
  const start = performance.now();
  const lat = (await drive(1_000_000, 1_000_000 + N)).sort((a, b) => a - b);
  const rate = N / ((performance.now() - start) / 1000);
  console.log(
    `${fmt(rate, 0)} messages/s   p50 ${fmt(pct(lat, 50))} ms   p99 ${fmt(pct(lat, 99))} ms   max ${fmt(lat.at(-1)!)} ms`,
  );
  console.log(`target: ≥ 3000 messages/s → ${rate >= 3000 ? "met" : "NOT met"}`);
} finally {
  await srv.stop();
}
