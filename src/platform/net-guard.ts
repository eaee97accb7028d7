// The one guard for every server-side fetch that a person or a webhook can aim somewhere (a knowledge-base page, an
// API channel's callback, a model server, media URLs): http(s) only; the name resolved and every address checked
// against loopback, private, link-local, metadata and other special ranges unless that host is allowed; redirects
// followed by hand and each one checked again; the connection made to the address that was checked (no second
// lookup a DNS-rebinding name could answer differently); the body streamed with a byte limit.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/**
 * Why a guarded fetch did not give a body: `forbidden` (the policy: scheme, credentials, a local or private
 * address), `unresolved` (the name has no address), `redirects` (too many), `unreachable` (network, timeout) or
 * `too_large`. `reason` says it in words, for the log.
 */
export type RefusalKind = "forbidden" | "unresolved" | "redirects" | "unreachable" | "too_large";

export class FetchRefused extends Error {
  constructor(
    readonly kind: RefusalKind,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export type GuardPolicy = {
  /**
   * Hosts (names or addresses, exact, lower case) that may be on private or loopback addresses: the
   * administrator's explicit allowance (config `fetch_allow_hosts`, or the model server they configured).
   */
  allowHosts?: readonly string[];
};

export type GuardedInit = GuardPolicy & {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** headers sent only to the first URL's origin, never along a redirect to another (credentials) */
  originHeaders?: Record<string, string>;
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
  /** test seam and DNS override: name → addresses */
  resolve?: (host: string) => Promise<string[]>;
};

export type GuardedResponse = {
  status: number;
  ok: boolean;
  headers: Headers;
  url: string;
  body: Uint8Array;
  text(): string;
};

function v4ToInt(ip: string) {
  return ip.split(".").reduce((n, p) => n * 256 + Number(p), 0);
}
const V4_BLOCKED: [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];
function v4Blocked(ip: string) {
  const n = v4ToInt(ip);
  return V4_BLOCKED.some(
    ([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(v4ToInt(base) / 2 ** (32 - bits)),
  );
}

/** The 8 groups of an IPv6 address as numbers (handles ::, and a trailing dotted IPv4). */
function v6Groups(ip: string): number[] | null {
  let s = ip
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/%.*$/, "");
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const n = v4ToInt(dotted[1]);
    s = `${s.slice(0, -dotted[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined ? (tail ? tail.split(":") : []) : null;
  const groups = t === null ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8) return null;
  return groups.map((g) => parseInt(g, 16));
}

/** Whether an address is one a fetch aimed from outside must not reach (loopback, private, link-local, metadata…). */
export function isBlockedAddress(ip: string): boolean {
  if (isIP(ip) === 4) return v4Blocked(ip);
  const g = v6Groups(ip);
  if (!g || g.some((x) => Number.isNaN(x))) return true;
  const embeddedV4 = () => `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  if (g.slice(0, 7).every((x) => x === 0)) return true; // :: and ::1 (and the deprecated ::a.b.c.d)
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4Blocked(embeddedV4()); // IPv4-mapped
  if (g[0] === 0x64 && g[1] === 0xff9b) return v4Blocked(embeddedV4()); // NAT64
  if (g[0] === 0x2002) return v4Blocked(`${g[1] >> 8}.${g[1] & 255}.${g[2] >> 8}.${g[2] & 255}`); // 6to4
  if ((g[0] & 0xfe00) === 0xfc00) return true; // unique local (fd00:ec2::254, the cloud metadata service, too)
  if ((g[0] & 0xffc0) === 0xfe80 || (g[0] & 0xffc0) === 0xfec0) return true; // link-local, site-local
  if ((g[0] & 0xff00) === 0xff00) return true; // multicast
  if (g[0] === 0x100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return true; // discard
  if (g[0] === 0x2001 && g[1] === 0xdb8) return true; // documentation
  return false;
}

/**
 * Whether an address is link-local (169.254.0.0/16, fe80::/10, also written IPv4-mapped) or the cloud metadata
 * service's IPv6 address (fd00:ec2::254's /32): never a server a person may point DigyBot at, even one they allow.
 */
export function isLinkLocalAddress(ip: string): boolean {
  const v4 = (a: string) => a.startsWith("169.254.");
  if (isIP(ip) === 4) return v4(ip);
  const g = v6Groups(ip);
  if (!g || g.some((x) => Number.isNaN(x))) return false;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return v4(`${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`);
  return (g[0] & 0xffc0) === 0xfe80 || (g[0] === 0xfd00 && g[1] === 0x0ec2);
}

const defaultResolve = async (host: string) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Checks one URL against the policy: its scheme, and every address its host resolves to. Throws FetchRefused with
 * the reason (for the log; people get one generic error).
 */
export async function checkUrl(
  raw: string,
  policy: GuardPolicy & { resolve?: GuardedInit["resolve"] } = {},
): Promise<URL> {
  return (await vet(raw, policy)).url;
}

/** checkUrl, and the address to connect to: a checked one, IPv4 preferred (null for an address literal). */
async function vet(
  raw: string,
  policy: GuardPolicy & { resolve?: GuardedInit["resolve"] },
): Promise<{ url: URL; address: string | null }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchRefused("forbidden", "not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new FetchRefused("forbidden", `scheme ${url.protocol} is not allowed`);
  if (url.username || url.password) throw new FetchRefused("forbidden", "credentials in the URL are not allowed");
  // the WHATWG parser has already turned 2130706433, 0177.0.0.1 and 0x7f.1 into 127.0.0.1
  const host = url.hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
  const allowed = (policy.allowHosts ?? []).some((h) => h.toLowerCase().replace(/^\[|\]$/g, "") === host);
  if (!allowed && (!host || host === "localhost" || host.endsWith(".localhost")))
    throw new FetchRefused("forbidden", `host ${host} is local`);
  if (isIP(host)) {
    if (!allowed && isBlockedAddress(host))
      throw new FetchRefused("forbidden", `host ${host} is on a private or reserved address (${host})`);
    return { url, address: null };
  }
  let addresses: string[];
  try {
    addresses = await (policy.resolve ?? defaultResolve)(host);
  } catch {
    throw new FetchRefused("unresolved", `host ${host} does not resolve`);
  }
  if (!addresses.length) throw new FetchRefused("unresolved", `host ${host} does not resolve`);
  const bad = allowed ? undefined : addresses.find(isBlockedAddress);
  if (bad) throw new FetchRefused("forbidden", `host ${host} is on a private or reserved address (${bad})`);
  // IPv4 first: many small servers have no IPv6 route, and a name's AAAA answer would then never connect
  return { url, address: addresses.find((a) => isIP(a) === 4) ?? addresses[0] };
}

/**
 * The request for one hop, aimed at the checked address: the URL's host becomes that address, the Host header
 * and (for https) the TLS server name stay the name, so virtual hosts and certificates work as with the name.
 */
function pinned(url: URL, address: string | null): { href: string; host?: string; tls?: { serverName: string } } {
  if (!address) return { href: url.href };
  const target = new URL(url.href);
  target.hostname = isIP(address) === 6 ? `[${address}]` : address;
  return {
    href: target.href,
    host: url.host,
    ...(url.protocol === "https:" ? { tls: { serverName: url.hostname.replace(/\.$/, "") } } : {}),
  };
}

/**
 * A fetch whose every hop passes checkUrl, following at most `maxRedirects` redirects, reading at most
 * `maxBytes` of body (streamed: a larger body is cut off and refused, not buffered). Network errors, timeouts and
 * refusals are all FetchRefused. Credentials in `originHeaders` travel only to the first URL's origin.
 */
export async function guardedFetch(raw: string, init: GuardedInit): Promise<GuardedResponse> {
  const deadline = AbortSignal.timeout(init.timeoutMs);
  let { url, address } = await vet(raw, init);
  const origin = url.origin;
  let method = init.method ?? "GET";
  let body = init.body;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { ...init.headers, ...(url.origin === origin ? init.originHeaders : {}) };
    const to = pinned(url, address);
    if (to.host) headers.host = to.host;
    let res: Response;
    try {
      res = await fetch(to.href, {
        method,
        headers,
        body: body as BodyInit | undefined,
        redirect: "manual",
        signal: deadline,
        ...(to.tls ? { tls: to.tls } : {}),
      });
    } catch (e) {
      throw new FetchRefused("unreachable", deadline.aborted ? "timed out" : `unreachable: ${(e as Error).message}`);
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel().catch(() => {});
      if (hop >= (init.maxRedirects ?? 5)) throw new FetchRefused("redirects", "too many redirects");
      ({ url, address } = await vet(new URL(location, url).href, init));
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
      }
      continue;
    }
    const declared = Number(res.headers.get("content-length") ?? 0);
    if (declared > init.maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new FetchRefused("too_large", `body larger than ${init.maxBytes} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > init.maxBytes) {
            await reader.cancel().catch(() => {});
            throw new FetchRefused("too_large", `body larger than ${init.maxBytes} bytes`);
          }
          chunks.push(value);
        }
      } catch (e) {
        if (e instanceof FetchRefused) throw e;
        throw new FetchRefused("unreachable", deadline.aborted ? "timed out" : `read failed: ${(e as Error).message}`);
      }
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    return {
      status: res.status,
      ok: res.ok,
      headers: res.headers,
      url: url.href,
      body: bytes,
      text: () => new TextDecoder().decode(bytes),
    };
  }
}
