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
