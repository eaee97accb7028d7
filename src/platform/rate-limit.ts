// A small in-memory rate limiter for anonymous traffic (the web chat's sessions and messages per address). Token
// buckets per key; the map is bounded (the least recently used keys go first), so a flood of addresses cannot
// grow memory without end. Per process: a single DigyBot serves one business.
import { AppError } from "./errors.ts";

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  /** `burst` requests at once, refilled at `perMinute` a minute. */
  constructor(private perMinute: number, private burst: number, private now: () => number = Date.now, private maxKeys = 50_000) {}

  /** Takes one request for `key`; returns 0 when allowed, or the seconds until one is. */
  take(key: string): number {
    const now = this.now();
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.delete(key); // re-inserted last: the map's order is least recently used first
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens >= 1) { b.tokens -= 1; this.buckets.set(key, b); return 0; }
    this.buckets.set(key, b);
    return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
  }

  /** take(), or a 429 rate_limited with Retry-After. */
  check(key: string) {
    const wait = this.take(key);
    if (wait) throw new AppError(429, "rate_limited", `Too many requests; try again in ${wait} s`, { retryAfter: wait }, wait);
  }
}
