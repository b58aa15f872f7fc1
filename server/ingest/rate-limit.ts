/**
 * Token buckets per workspace, in process: `rate` events/s sustained, `burst` at once. One tenant's
 * flood is answered 429 before it can crowd out the others' share of the log.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  /** Takes `n` tokens; returns 0 when allowed, else the seconds to wait before trying again. */
  take(id: string, n: number, now = Date.now()): number {
    if (this.rate === 0) return 0;
    const b = this.buckets.get(id) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    this.buckets.set(id, b);
    if (b.tokens >= n) {
      b.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil((n - b.tokens) / this.rate));
  }
}
