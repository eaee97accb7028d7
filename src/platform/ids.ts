// Time-ordered ids (UUID v7 layout). Monotonic within the process even inside one millisecond, so
// `id > after` pagination and catch-up over messages never skips or repeats one.
let lastMs = 0;
let counter = 0;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
// Ids are not secrets: their random part is cut from a pool refilled 4 KiB at a time (one call per 512 ids).
let pool = new Uint8Array(0);
let poolAt = 0;

export function newId(now = Date.now()): string {
  if (now <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
    now = lastMs;
  } else {
    lastMs = now;
    counter = Math.floor(Math.random() * 0x7ff);
  }
  if (poolAt + 8 > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(4096));
    poolAt = 0;
  }
  let ts = "";
  for (let i = 0, t = now; i < 6; i++, t = Math.floor(t / 256)) ts = HEX[t % 256] + ts;
  const r = pool;
  const o = poolAt;
  poolAt += 8;
  return `${ts.slice(0, 8)}-${ts.slice(8)}-${HEX[0x70 | ((counter >> 8) & 0x0f)]}${HEX[counter & 0xff]}-${HEX[(r[o] & 0x3f) | 0x80]}${HEX[r[o + 1]]}-${HEX[r[o + 2]]}${HEX[r[o + 3]]}${HEX[r[o + 4]]}${HEX[r[o + 5]]}${HEX[r[o + 6]]}${HEX[r[o + 7]]}`;
}

/** A random secret for tokens (sessions, visitors, API keys): 32 bytes, url-safe. */
export function newSecret(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

/** Hash of a secret as stored at rest (sessions, API keys, visitor tokens). */
export function hashSecret(secret: string): string {
  return new Bun.CryptoHasher("sha256").update(secret).digest("hex");
}
