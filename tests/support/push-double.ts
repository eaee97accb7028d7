// A push service double (what FCM, Mozilla autopush or Apple's web push service do with our requests), on 127.0.0.1.
// Each POST to /push/<id> must carry a VAPID Authorization (RFC 8292: an ES256 JWT whose aud is this origin, exp
// within 24 h, a sub, signed by the k= key the subscription was made with) and an aes128gcm body (RFC 8291), which
// the double decrypts with the browser's side of the keys, written here apart from the product's code (node:crypto).
import { createECDH, createDecipheriv, createHmac, createPublicKey, randomBytes, verify } from "node:crypto";

const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const unb64u = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));
const hmac = (key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac("sha256", key).update(data).digest());
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const text = (s: string) => new TextEncoder().encode(s);
/** HKDF (RFC 5869) with SHA-256, one block of output at most. */
const hkdf = (salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, len: number) =>
  hmac(hmac(salt, ikm), cat(info, new Uint8Array([1]))).slice(0, len);

/** A browser's push subscription keys: the private half stays with the double. */
export function browserKeys(privateKey?: string, authSecret?: string) {
  const ecdh = createECDH("prime256v1");
  if (privateKey) ecdh.setPrivateKey(Buffer.from(privateKey, "base64url"));
  else ecdh.generateKeys();
  const auth = authSecret ? unb64u(authSecret) : new Uint8Array(randomBytes(16));
  return { ecdh, p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) };
}
export type BrowserKeys = ReturnType<typeof browserKeys>;

/** RFC 8291 §3.4 + RFC 8188: one aes128gcm record, decrypted as the user agent does. Throws when it does not open. */
export function decryptAes128gcm(body: Uint8Array, ua: BrowserKeys): string {
  const salt = body.slice(0, 16);
  const rs = new DataView(body.buffer, body.byteOffset).getUint32(16);
  const idlen = body[20];
  const asPublic = body.slice(21, 21 + idlen);
  const record = body.slice(21 + idlen);
  if (idlen !== 65 || rs < 18 || record.length > rs)
    throw new Error(`bad aes128gcm header (idlen ${idlen}, rs ${rs}, record ${record.length})`);
  const ecdhSecret = new Uint8Array(ua.ecdh.computeSecret(asPublic));
  const uaPublic = new Uint8Array(ua.ecdh.getPublicKey());
  const ikm = hkdf(unb64u(ua.auth), ecdhSecret, cat(text("WebPush: info\0"), uaPublic, asPublic), 32);
  const cek = hkdf(salt, ikm, text("Content-Encoding: aes128gcm\0"), 16);
  const nonce = hkdf(salt, ikm, text("Content-Encoding: nonce\0"), 12);
  const d = createDecipheriv("aes-128-gcm", cek, nonce);
  d.setAuthTag(record.slice(record.length - 16));
  const plain = new Uint8Array(Buffer.concat([d.update(record.slice(0, record.length - 16)), d.final()]));
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  if (end < 0 || plain[end] !== 2) throw new Error("bad padding delimiter (a single record ends with 0x02)");
  return new TextDecoder().decode(plain.slice(0, end));
}

/** RFC 8292: checks `vapid t=<jwt>, k=<key>` for this origin; returns the claims, or a reason it is refused. */
export function checkVapid(
  header: string | null,
  origin: string,
  now = Date.now(),
): { ok: true; k: string; claims: Record<string, unknown> } | { ok: false; why: string } {
  const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? "");
  if (!m) return { ok: false, why: "no vapid authorization" };
  const [h, p, s] = m[1].split(".");
  const head = JSON.parse(Buffer.from(h, "base64url").toString());
  if (head.alg !== "ES256") return { ok: false, why: `alg ${head.alg}` };
  const k = unb64u(m[2]);
  if (k.length !== 65 || k[0] !== 4) return { ok: false, why: "k is not an uncompressed P-256 point" };
  const key = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: b64u(k.slice(1, 33)), y: b64u(k.slice(33)) },
    format: "jwk",
  });
  if (!verify("sha256", Buffer.from(`${h}.${p}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(s, "base64url")))
    return { ok: false, why: "bad signature" };
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  if (claims.aud !== origin) return { ok: false, why: `aud ${claims.aud} is not ${origin}` };
  const exp = Number(claims.exp);
  if (!(exp * 1000 > now) || exp * 1000 > now + 24 * 3600_000 + 60_000)
    return { ok: false, why: "exp is past or more than 24 h ahead" };
  if (typeof claims.sub !== "string" || !/^(mailto:|https:)/.test(claims.sub))
    return { ok: false, why: "sub is not mailto: or https:" };
  return { ok: true, k: m[2], claims };
}

export type Delivered = {
  endpointId: string;
  payload: unknown;
  ttl: number;
  urgency: string | null;
  topic: string | null;
  at: number;
};

/** The push service: subscriptions made by `subscribe()`, deliveries decrypted into `delivered`. */
export function startPushDouble() {
  const devices = new Map<string, { keys: BrowserKeys; vapidKey: string | null; gone: boolean }>();
  const delivered: Delivered[] = [];
  const refused: { endpointId: string; status: number; why: string }[] = [];
  const waiters: (() => void)[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const id = url.pathname.match(/^\/push\/([\w-]+)$/)?.[1];
      const dev = id ? devices.get(id) : undefined;
      const refuse = (status: number, why: string) => {
        refused.push({ endpointId: id ?? url.pathname, status, why });
        for (const w of waiters.splice(0)) w();
        return Response.json({ code: status, errno: 0, error: why }, { status });
      };
      if (req.method !== "POST" || !id || !dev) return refuse(404, "no such subscription");
      if (dev.gone) return refuse(410, "subscription expired");
      const v = checkVapid(req.headers.get("authorization"), url.origin);
      if (!v.ok) return refuse(401, v.why);
      if (dev.vapidKey && dev.vapidKey !== v.k) return refuse(403, "k is not the key the subscription was made with");
      if (req.headers.get("content-encoding") !== "aes128gcm")
        return refuse(400, `content-encoding ${req.headers.get("content-encoding")}`);
      const ttl = Number(req.headers.get("ttl"));
      if (!Number.isInteger(ttl) || ttl < 0) return refuse(400, "TTL header missing");
      const body = new Uint8Array(await req.arrayBuffer());
      if (body.length > 4096) return refuse(413, "payload over 4096 bytes");
      let payload: unknown;
      try {
        payload = JSON.parse(decryptAes128gcm(body, dev.keys));
      } catch (e) {
        return refuse(400, `does not decrypt: ${(e as Error).message}`);
      }
      delivered.push({
        endpointId: id,
        payload,
        ttl,
        urgency: req.headers.get("urgency"),
        topic: req.headers.get("topic"),
        at: Date.now(),
      });
      for (const w of waiters.splice(0)) w();
      return new Response(null, { status: 201, headers: { location: `${url.origin}/message/${delivered.length}` } });
    },
  });
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    origin,
    delivered,
    refused,
    /** A browser subscribing with the server's VAPID public key: what PushManager.subscribe() gives the page. */
    subscribe(vapidKey: string | null = null) {
      const id = b64u(randomBytes(12));
      const keys = browserKeys();
      devices.set(id, { keys, vapidKey, gone: false });
      return { id, endpoint: `${origin}/push/${id}`, keys: { p256dh: keys.p256dh, auth: keys.auth } };
    },
    /** The browser unsubscribed or the service dropped it: further pushes get 410 Gone. */
    expire(id: string) {
      const d = devices.get(id);
      if (d) d.gone = true;
    },
    /** Resolves once `check()` holds, re-checked on every request; rejects after `ms`. */
    async until(check: () => boolean, ms = 10_000) {
      const end = Date.now() + ms;
      while (!check()) {
        if (Date.now() > end)
          throw new Error(
            `push double: condition not met in ${ms} ms (delivered ${delivered.length}, refused ${JSON.stringify(refused.slice(-3))})`,
          );
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
    stop: () => server.stop(true),
  };
}
