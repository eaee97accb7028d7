// Loaded before every test file (bunfig.toml).
import { setDefaultTimeout } from "bun:test";
// Browser and compiled-binary tests take seconds, not milliseconds.
setDefaultTimeout(60_000);
// Times render in a fixed zone, so expectations do not depend on the machine's.
process.env.TZ = "UTC";
// The CLI speaks the system's language; tests that read its English words get English wherever they run (a test
// of the Spanish CLI sets its own environment).
process.env.DIGYBOT_LANG = "en";
// Every test business has the same people with the same passwords: each one is hashed once per test file and the
// hash is reused (argon2id costs a quarter of a second a time, and seeding a business hashed three). Verifying a
// password, which the login tests time, is left as it is.
const hash = Bun.password.hash.bind(Bun.password);
const hashes = new Map<string, Promise<string>>();
Bun.password.hash = ((password: Parameters<typeof hash>[0], options?: unknown) => {
  if (typeof password !== "string") return hash(password, options as never);
  const key = `${JSON.stringify(options ?? null)}\u0000${password}`;
  let h = hashes.get(key);
  if (!h) hashes.set(key, (h = hash(password, options as never)));
  return h;
}) as typeof Bun.password.hash;
// A password once verified against a hash verifies again without paying argon2id a second time (every console
// test logs people in). Only successes are remembered: a wrong password or an unknown email (what the login tests
// time against each other) still costs what it costs.
const verify = Bun.password.verify.bind(Bun.password);
const verified = new Set<string>();
Bun.password.verify = (async (password: Parameters<typeof verify>[0], hashed: string, algorithm?: never) => {
  const key = typeof password === "string" ? `${hashed}\u0000${password}` : null;
  if (key && verified.has(key)) return true;
  const ok = await verify(password, hashed, algorithm);
  if (ok && key) verified.add(key);
  return ok;
}) as typeof Bun.password.verify;
