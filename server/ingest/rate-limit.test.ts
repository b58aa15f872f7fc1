import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

describe('RateLimiter', () => {
  it('allows the burst, then refills at the rate', () => {
    const limiter = new RateLimiter(100, 200);
    expect(limiter.take('ws', 200, 0)).toBe(0);
    expect(limiter.take('ws', 50, 0)).toBe(1);
    expect(limiter.take('ws', 50, 500)).toBe(0); // 0.5 s refilled 50 tokens
    expect(limiter.take('other', 200, 500)).toBe(0); // buckets are per workspace
  });
  it('says how long to wait for a large request', () => {
    const limiter = new RateLimiter(100, 1000);
    limiter.take('ws', 1000, 0);
    expect(limiter.take('ws', 500, 0)).toBe(5);
  });
  it('is off at rate 0', () => {
    expect(new RateLimiter(0, 1).take('ws', 1e9)).toBe(0);
  });
});
