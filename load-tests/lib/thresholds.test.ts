import { describe, expect, it } from 'vitest';
import { evaluate, printSummary, withOverrides, type Threshold } from './thresholds.ts';

const DEFAULTS: Threshold[] = [
  { metric: 'http_non_2xx', op: '==', limit: 0 },
  { metric: 'p99_ms', op: '<=', limit: 250 },
  { metric: 'events_per_s', op: '>=', limit: 1_000 },
];

describe('thresholds', () => {
  it('passes and fails each comparator on the measured value', () => {
    const r = evaluate(DEFAULTS, { http_non_2xx: 0, p99_ms: 251, events_per_s: 1_000 });
    expect(r.map((x) => [x.metric, x.value, x.ok])).toEqual([
      ['http_non_2xx', 0, true],
      ['p99_ms', 251, false],
      ['events_per_s', 1_000, true],
    ]);
    expect(evaluate([{ metric: 'a', op: '<', limit: 2 }, { metric: 'b', op: '>', limit: 2 }], { a: 2, b: 3 }).map((x) => x.ok)).toEqual([false, true]);
  });

  it('fails a threshold whose metric was not measured or is not a number', () => {
    const r = evaluate(DEFAULTS, { http_non_2xx: 0, p99_ms: NaN });
    expect(r.map((x) => x.ok)).toEqual([true, false, false]);
    expect(r[2]?.value).toBeUndefined();
  });

  it('applies --threshold overrides and names the known metrics on a typo', () => {
    const t = withOverrides(DEFAULTS, ['p99_ms<1', 'events_per_s >= 2.5e3']);
    expect(t[1]).toMatchObject({ metric: 'p99_ms', op: '<', limit: 1 });
    expect(t[2]).toMatchObject({ op: '>=', limit: 2_500 });
    expect(DEFAULTS[1]?.limit).toBe(250);
    expect(() => withOverrides(DEFAULTS, ['p90_ms<1'])).toThrow('no threshold on "p90_ms" here (known: http_non_2xx, p99_ms, events_per_s)');
    expect(() => withOverrides(DEFAULTS, ['p99_ms=1'])).toThrow('expected <metric><op><number>');
  });

  it('prints every metric and a ✓/✗ line per threshold, returning whether all passed', () => {
    const lines: string[] = [];
    const ok = printSummary('ingest', { http_non_2xx: 3, p99_ms: 12.5, events_per_s: 4_000 }, evaluate(DEFAULTS, { http_non_2xx: 3, p99_ms: 12.5, events_per_s: 4_000 }), (l) => lines.push(l));
    expect(ok).toBe(false);
    const text = lines.join('\n');
    expect(text).toContain('✗ http_non_2xx');
    expect(text).toContain('✓ p99_ms');
    expect(text).toContain('FAIL: 1 of 3 thresholds crossed: http_non_2xx');
  });
});
