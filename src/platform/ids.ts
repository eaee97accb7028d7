// Time-ordered ids (UUID v7 layout). Monotonic within the process even inside one millisecond, so
// `id > after` pagination and catch-up over messages never skips or repeats one.
let lastMs = 0;
let counter = 0;

export function newId(now = Date.now()): string {
  if (now <= lastMs) {
    counter++;
    if (counter > 0xfff) { lastMs++; counter = 0; }
    now = lastMs;
  } else {
    lastMs = now;
    counter = Math.floor(Math.random() * 0x7ff);
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const ms = BigInt(now);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const h = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A random secret for tokens (sessions, visitors, API keys): 32 bytes, url-safe. */
export function newSecret(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

/** Hash of a secret as stored at rest (sessions, API keys, visitor tokens). */
export function hashSecret(secret: string): string {
  return new Bun.CryptoHasher("sha256").update(secret).digest("hex");
}
