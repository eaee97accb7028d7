// A small in-memory rate limiter for anonymous traffic (the web chat's sessions and messages per address). Token
// buckets per key; the map is bounded (the least recently used keys go first), so a flood of addresses cannot
// grow memory without end. Per process: a single DigyBot serves one business.
import { isIP } from "node:net";
import { AppError } from "./errors.ts";

/**
 * The key an address is counted under: an IPv4 address itself, an IPv6 address by its /64 (one customer's
 * network gets a whole /64, so counting each address would let one visitor take millions of keys).
 */
export function addressKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head, tail = ""] = ip.toLowerCase().split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  /** `burst` requests at once, refilled at `perMinute` a minute. */
  constructor(
    private perMinute: number,
    private burst: number,
    private now: () => number = Date.now,
    private maxKeys = 50_000,
  ) {}

  /** Takes one request for `key`; returns 0 when allowed, or the seconds until one is. */
  take(key: string): number {
    const now = this.now();
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.delete(key); // re-inserted last: the map's order is least recently used first
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.buckets.set(key, b);
      return 0;
    }
    this.buckets.set(key, b);
    return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
  }

  /** take(), or a 429 rate_limited with Retry-After. */
  check(key: string) {
    const wait = this.take(key);
    if (wait)
      throw new AppError(429, "rate_limited", `Too many requests; try again in ${wait} s`, { retryAfter: wait }, wait);
  }
}
