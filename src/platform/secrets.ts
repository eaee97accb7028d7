// Secrets at rest: channel tokens and app secrets, the AI service's key and the WhatsApp QR session are stored in
// the database sealed with AES-256-GCM under a key kept outside it (a key file beside the config, 0600, created at
// first start). A leaked database or backup then holds no credential in clear. A sealed value reads
// "enc:v1:<key id>:<base64 of iv, tag and ciphertext>"; a value without that prefix is an older clear one, read as
// it is and sealed on its next write.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const PREFIX = "enc:v1:";
/** Keys by id: the current one seals, any known one opens (tests run several apps in one process). */
const keyring = new Map<string, Buffer>();
let current: string | null = null;

const keyId = (key: Buffer) => createHash("sha256").update(key).digest("hex").slice(0, 8);

export class SecretKeyError extends Error {}

/**
 * Reads the key file, or creates it (32 random bytes, base64, mode 0600, its folder 0700) when missing.
 * Refuses a file that is not a 32-byte key. Returns the key's id and whether it was created.
 */
export function loadSecretKey(file: string): { id: string; created: boolean; file: string } {
  let created = false;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    created = true;
  }
  const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== 32) throw new SecretKeyError(`secret key file ${file} does not hold a 32-byte base64 key`);
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    /* not ours to change */
  }
  const id = keyId(key);
  keyring.set(id, key);
  current = id;
  return { id, created, file };
}

export const isSealed = (v: unknown): v is string => typeof v === "string" && v.startsWith(PREFIX);

/** Seals a string with the current key. Without a key loaded (a bare migration) it is an error, never clear text. */
export function seal(plain: string): string {
  if (!current) throw new SecretKeyError("no secret key loaded");
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", keyring.get(current)!, iv);
  const body = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  return `${PREFIX}${current}:${Buffer.concat([iv, c.getAuthTag(), body]).toString("base64")}`;
}

/** Opens a sealed string (a clear one is returned as it is). A value sealed under an unknown key is an error. */
export function open(value: string): string {
  if (!isSealed(value)) return value;
  const rest = value.slice(PREFIX.length);
  const at = rest.indexOf(":");
  const key = keyring.get(rest.slice(0, at));
  if (!key)
    throw new SecretKeyError(
      `a secret in the database was sealed with another key (${rest.slice(0, at)}): restore that key file`,
    );
  const raw = Buffer.from(rest.slice(at + 1), "base64");
  const d = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
  d.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString("utf8");
}

/** The given fields of an object sealed (strings only; empty strings stay empty). */
export function sealFields<T extends Record<string, unknown>>(obj: T, fields: ReadonlySet<string>): T {
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k, fields.has(k) && typeof v === "string" && v && !isSealed(v) ? seal(v) : v]),
  ) as T;
}

/** The given fields of an object opened. */
export function openFields<T extends Record<string, unknown>>(obj: T, fields: ReadonlySet<string>): T {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fields.has(k) && isSealed(v) ? open(v) : v])) as T;
}

/** The names of channel settings that are secrets (sealed at rest, shown back only by their last 4 characters). */
export const CHANNEL_SECRET_KEYS: ReadonlySet<string> = new Set(["accessToken", "appSecret", "secret", "verifyToken"]);

/** A secret as a person may see it again: its last four characters (empty stays empty). */
export const maskSecret = (v: string) => (v ? `••••${v.slice(-4)}` : "");

/** Whether a value sent for a secret means "leave it as it is": nothing, empty, or the masked value sent back as shown. */
export const keepsSecret = (v: unknown) =>
  v === undefined || v === "" || (typeof v === "string" && v.startsWith("••••"));

/** The given fields of an object masked (strings only), for showing settings back. */
export function maskFields<T extends Record<string, unknown>>(obj: T, fields: ReadonlySet<string>): T {
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k, fields.has(k) && typeof v === "string" && v ? maskSecret(v) : v]),
  ) as T;
}

/** `next` over `now`, but a secret field that `next` leaves as it is (see keepsSecret) keeps `now`'s value. */
export function mergeSecrets(
  now: Record<string, unknown>,
  next: Record<string, unknown> | undefined,
  fields: ReadonlySet<string>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries({ ...now, ...(next ?? {}) }).map(([k, v]) => [k, fields.has(k) && keepsSecret(v) ? now[k] : v]),
  );
}
