// A real `digybot serve` process (from source, or a built executable) for tests and benchmarks that need one:
// crash tests kill it, benchmarks load it from outside.
import { join } from "node:path";

const repo = join(import.meta.dir, "..", "..");

export function digybotCommand(bin?: string) {
  // BENCH_BUN_FLAGS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" profiles the server when it runs from source
  const flags = (process.env.BENCH_BUN_FLAGS ?? "").split(" ").filter(Boolean);
  return bin ? [bin] : ["bun", ...flags, join(repo, "src/main.ts")];
}

export function createAdmin(dataDir: string, bin?: string) {
  const r = Bun.spawnSync(
    [
      ...digybotCommand(bin),
      "admin",
      "create",
      "--email",
      "bench@digybot.local",
      "--password",
      "bench-password",
      "--name",
      "Bench",
      "--data-dir",
      dataDir,
    ],
    { env: { ...process.env, DIGYBOT_LOG_LEVEL: "warn" } },
  );
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
}

/** Starts `digybot serve` on a free port; resolves once it listens. Its stderr is collected in `log()`. */
export async function spawnServe(dataDir: string, opts: { bin?: string; env?: Record<string, string> } = {}) {
  const p = Bun.spawn([...digybotCommand(opts.bin), "serve", "--port", "0", "--data-dir", dataDir], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, DIGYBOT_LOG_LEVEL: "warn", ...opts.env },
  });
  let err = "";
  void (async () => {
    for await (const chunk of p.stderr) err += new TextDecoder().decode(chunk);
  })();
  const reader = p.stdout.getReader();
  let text = "";
  while (!/listening on (http:\/\/\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${text} ${err}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const url = text.match(/listening on (http:\/\/\S+)/)![1];
  return {
    url,
    proc: p,
    log: () => err,
    async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM") {
      p.kill(signal);
      await p.exited;
    },
  };
}

/** Posts the login form as a browser does: with the form cookie and token the login page handed out. */
export async function postLogin(url: string, email: string, password: string) {
  const page = await fetch(`${url}/login`);
  const form = page.headers.get("set-cookie")!.match(/digybot_form=[^;]+/)![0];
  const token = (await page.text()).match(/name="_csrf" value="([^"]+)"/)![1];
  return fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: form },
    body: new URLSearchParams({ email, password, _csrf: token }),
  });
}

/** Logs in as the admin of createAdmin(); returns the cookie, the CSRF token and a fresh API key. */
export async function adminSession(url: string) {
  const login = await postLogin(url, "bench@digybot.local", "bench-password");
  const cookie = login.headers.get("set-cookie")!.match(/digybot_session=[^;]+/)![0];
  const page = await (await fetch(`${url}/profile`, { headers: { cookie } })).text();
  const csrf = page.match(/name="csrf-token" content="([^"]+)"/)![1];
  const key = (
    await (
      await fetch(`${url}/api/v1/api-keys`, {
        method: "POST",
        headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
        body: JSON.stringify({ name: "bench", scope: "admin" }),
      })
    ).json()
  ).data.key as string;
  return { cookie, csrf, key };
}
