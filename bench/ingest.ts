#!/usr/bin/env bun
// bench/ingest: inbound messages from many distinct contacts through the whole pipeline
// (HTTP POST /api/v1/inbound → commit → event → realtime push to a connected console over SSE),
// against a real `digybot serve` process on loopback. Run: bun bench/ingest.ts [--messages N] [--concurrency C]
import { parseArgs } from "node:util";
import { startDigybot, adminSession, pct, fmt, machine } from "./lib.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    messages: { type: "string", default: "50000" },
    concurrency: { type: "string", default: "64" },
    contacts: { type: "string", default: "1000,100000" },
  },
});
const N = Number(values.messages),
  C = Number(values.concurrency);

async function run(contacts: number) {
  const srv = await startDigybot({ bin: process.env.DIGYBOT_BIN });
  try {
    const s = await adminSession(srv.url);
    const auth = { authorization: `Bearer ${s.key}`, "content-type": "application/json" };
    const channelId = (
      await (
        await fetch(`${srv.url}/api/v1/channels`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ type: "api", name: "bench" }),
        })
      ).json()
    ).data.id;

    // a console listening live; we time when each message's push arrives
    const pushed = new Map<string, number>();
    const ctrl = new AbortController();
    const sse = await fetch(`${srv.url}/console/events`, { headers: { cookie: s.cookie }, signal: ctrl.signal });
    const reader = sse.body!.getReader();
    void (async () => {
      let buf = "";
      const dec = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block
              .split("\n")
              .filter((l) => l.startsWith("data:"))
              .map((l) => l.slice(5).trim())
              .join("");
            if (!block.includes("event: inbox") || !data) continue;
            const now = performance.now();
            for (const e of JSON.parse(data) as { event: string; messageId?: string }[])
              if (e.event === "inbox.message_received" && e.messageId) pushed.set(e.messageId, now);
          }
        }
      } catch {
        /* aborted */
      }
    })();

    const sendOne = async (i: number) => {
      const t0 = performance.now();
      const r = await fetch(`${srv.url}/api/v1/inbound`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({
          channelId,
          externalId: `m-${contacts}-${i}`,
          from: { externalId: `contact-${i % contacts}`, name: `Cliente ${i % contacts}` },
          body: `Hola, quiero información del producto ${i}`,
        }),
      });
      const j = (await r.json()) as { data: { messageId: string } };
      if (r.status !== 201) throw new Error(`HTTP ${r.status} ${JSON.stringify(j)}`);
      return { t0, t1: performance.now(), id: j.data.messageId };
    };
    const drive = async (from: number, to: number) => {
      const out: { t0: number; t1: number; id: string }[] = [];
      let next = from;
      await Promise.all(
        Array.from({ length: C }, async () => {
          while (next < to) out.push(await sendOne(next++));
        }),
      );
      return out;
    };
    // Warm-up: every contact exists before the measured part (both runs measure the same mix: known contacts with
    // an open conversation), and at least 20k requests have run, so the JIT is as warm in the 1k run as in the 100k.
    const warm = Math.max(contacts, 20_000);
    await drive(0, warm);
    const start = performance.now();
    const res = await drive(warm, warm + N);
    const secs = (performance.now() - start) / 1000;
    await Bun.sleep(500);
    ctrl.abort();
    const http = res.map((r) => r.t1 - r.t0).sort((a, b) => a - b);
    const push = res
      .filter((r) => pushed.has(r.id))
      .map((r) => pushed.get(r.id)! - r.t0)
      .sort((a, b) => a - b);
    return {
      contacts,
      rate: N / secs,
      p50: pct(http, 50),
      p99: pct(http, 99),
      push50: pct(push, 50),
      push99: pct(push, 99),
      pushed: push.length,
    };
  } finally {
    await srv.stop();
  }
}

console.log(`bench/ingest — ${N} messages, ${C} in flight, ${machine()}`);
const results = [];
for (const c of values.contacts!.split(",").map(Number)) {
  const r = await run(c);
  results.push(r);
  console.log(
    `contacts=${String(c).padStart(6)}  ${fmt(r.rate, 0).padStart(6)} msg/s  http p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  push p50 ${fmt(r.push50)} ms  p99 ${fmt(r.push99)} ms  pushed ${r.pushed}/${N}`,
  );
}
if (results.length >= 2)
  console.log(
    `throughput at ${results[1].contacts} contacts / at ${results[0].contacts}: ${fmt((results[1].rate / results[0].rate) * 100, 0)}% (target ≥ 90%)`,
  );
console.log(
  `target: ≥ 5000 msg/s sustained, p99 < 50 ms → ${results.every((r) => r.rate >= 5000 && r.p99 < 50) ? "met" : "NOT met"}`,
);
