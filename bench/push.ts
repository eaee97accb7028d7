#!/usr/bin/env bun
// bench/push: one event notifies 1,000 subscribed devices (50 agents of one department, 20 devices each) of a real
// `digybot serve`; timed from the customer's inbound message until the push-service double has verified the VAPID
// JWT of and decrypted every one of them. Run: bun bench/push.ts [--agents 50] [--devices 20] [--rounds 5]
import { parseArgs } from "node:util";
import { startDigybot, adminSession, fmt, machine, pct } from "./lib.ts";
import { postLogin } from "../tests/support/process.ts";
import { startPushDouble } from "../tests/support/push-double.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    agents: { type: "string", default: "50" },
    devices: { type: "string", default: "20" },
    rounds: { type: "string", default: "5" },
  },
});
const AGENTS = Number(values.agents),
  DEVICES = Number(values.devices),
  ROUNDS = Number(values.rounds);
const TOTAL = AGENTS * DEVICES;

const push = startPushDouble();
const srv = await startDigybot({ bin: process.env.DIGYBOT_BIN, env: { DIGYBOT_FETCH_ALLOW_HOSTS: "127.0.0.1" } });
try {
  const { key } = await adminSession(srv.url);
  const api = async (path: string, body: unknown) => {
    const r = await fetch(`${srv.url}/api/v1${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return (await r.json()).data;
  };
  const dept = await api("/departments", { name: "Ventas" });
  const ch = await api("/channels", { type: "api", name: "bench", config: {}, departmentId: dept.id });
  for (let a = 0; a < AGENTS; a++) {
    const email = `agente${a}@bench.mx`;
    await api("/users", {
      name: `Agente ${a}`,
      email,
      password: "bench-agent-pass",
      role: "agent",
      departmentIds: [dept.id],
    });
    const login = await postLogin(srv.url, email, "bench-agent-pass");
    const cookie = login.headers.get("set-cookie")!.match(/digybot_session=[^;]+/)![0];
    const page = await (await fetch(`${srv.url}/profile/notifications`, { headers: { cookie } })).text();
    const csrf = page.match(/name="csrf-token" content="([^"]+)"/)![1];
    const serverKey = page.match(/data-vapid="([^"]+)"/)![1];
    for (let d = 0; d < DEVICES; d++) {
      const sub = push.subscribe(serverKey);
      const r = await fetch(`${srv.url}/push/subscriptions`, {
        method: "POST",
        headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
        body: JSON.stringify({ endpoint: sub.endpoint, keys: sub.keys }),
      });
      if (r.status !== 201) throw new Error(`subscribe: ${r.status} ${await r.text()}`);
    }
  }
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = push.delivered.length;
    const t0 = performance.now();
    await api("/inbound", {
      channelId: ch.id,
      from: { externalId: `cliente-${round}`, name: `Cliente ${round}` },
      body: "Hola, ¿tienen mesa para 4?",
    });
    await push.until(() => push.delivered.length - start >= TOTAL, 120_000);
    times.push(performance.now() - t0);
    await Bun.sleep(300);
    if (push.delivered.length - start !== TOTAL)
      throw new Error(`round ${round}: ${push.delivered.length - start} pushes, expected ${TOTAL}`);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`bench/push — ${machine()}`);
  console.log(`${TOTAL} devices (${AGENTS} agents × ${DEVICES}), one new conversation each round, ${ROUNDS} rounds`);
  console.log(
    `until the double decrypted all: p50 ${fmt(pct(sorted, 50), 0)} ms, max ${fmt(sorted[sorted.length - 1], 0)} ms; ${fmt((TOTAL / pct(sorted, 50)) * 1000, 0)} pushes/s`,
  );
  console.log(`refused by the double: ${push.refused.length}`);
} finally {
  await srv.stop();
  push.stop();
}
