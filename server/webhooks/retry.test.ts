import { describe, expect, it } from 'vitest';
import { decide, jitter, retryAfterMs } from './retry.ts';

const policy = { schedule: [1_000, 10_000] };
const now = Date.parse('2024-05-01T12:00:00Z');
const half = () => 0.5;

describe('decide (retry by cause)', () => {
  it('delivers on 2xx', () => {
    expect(decide({ kind: 'response', status: 204 }, 1, policy, now)).toEqual({ kind: 'delivered' });
  });
  it('backs off on 5xx, 408, 409, timeouts and network errors, following the schedule', () => {
    for (const status of [500, 502, 503, 408, 409]) {
      expect(decide({ kind: 'response', status }, 1, policy, now, half)).toMatchObject({ kind: 'retry', delayMs: 1_000, countsAsFailure: true });
    }
    expect(decide({ kind: 'timeout' }, 2, policy, now, half)).toMatchObject({ kind: 'retry', delayMs: 10_000, reason: 'timeout' });
    expect(decide({ kind: 'network', error: 'ECONNREFUSED' }, 1, policy, now, half)).toMatchObject({ kind: 'retry', reason: 'network error: ECONNREFUSED' });
  });
  it('dead-letters once the schedule is exhausted', () => {
    expect(decide({ kind: 'response', status: 503 }, 3, policy, now)).toMatchObject({ kind: 'dead', reason: 'retries exhausted after 3 attempts (last: HTTP 503)' });
  });
  it('dead-letters other 4xx and 3xx at once', () => {
    for (const status of [400, 401, 403, 404, 410, 422, 301]) {
      expect(decide({ kind: 'response', status }, 1, policy, now)).toMatchObject({ kind: 'dead', reason: `HTTP ${status}: not retried` });
    }
  });
  it('honours Retry-After on 429 (seconds or date, capped), without counting towards auto-disable', () => {
    expect(decide({ kind: 'response', status: 429, retryAfter: '7' }, 1, policy, now)).toEqual({ kind: 'retry', delayMs: 7_000, reason: 'HTTP 429', countsAsFailure: false });
    expect(decide({ kind: 'response', status: 429, retryAfter: 'Wed, 01 May 2024 12:00:30 GMT' }, 1, policy, now)).toMatchObject({ delayMs: 30_000 });
    expect(decide({ kind: 'response', status: 429, retryAfter: '999999' }, 1, policy, now)).toMatchObject({ delayMs: 3_600_000 });
    expect(decide({ kind: 'response', status: 429 }, 1, policy, now, half)).toMatchObject({ kind: 'retry', delayMs: 1_000 });
  });
});

describe('jitter and Retry-After parsing', () => {
  it('stays within ±20%', () => {
    expect(jitter(1_000, () => 0)).toBe(800);
    expect(jitter(1_000, () => 1)).toBe(1_200);
  });
  it('reads delay-seconds and HTTP dates, ignores junk', () => {
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Wed, 01 May 2024 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
