import { describe, expect, it } from 'vitest';
import { applyDue } from './apply.ts';
import { explain } from './explain.ts';
import { DAY, HOUR, model, run, T0, track } from './testing.ts';
import { countWithin, insert, nextExpiry } from './windows.ts';

describe('windows', () => {
  it('is half-open: a timestamp exactly one window old is out', () => {
    const list = [T0];
    expect(countWithin(list, T0 + DAY - 1, DAY)).toBe(1);
    expect(countWithin(list, T0 + DAY, DAY)).toBe(0);
    expect(nextExpiry(list, T0, DAY)).toBe(T0 + DAY);
  });

  it('keeps lists sorted and bounded', () => {
    const list: number[] = [];
    for (const t of [5, 1, 3, 9, 7]) insert(list, t, 3);
    expect(list).toEqual([5, 7, 9]);
  });

  const cm = model(`
rules:
  - { id: repeat, when: { event: Product Viewed }, frequency: { count: 3, within: 24h }, points: 15 }
counters:
  - { id: views-24h, when: { event: Product Viewed }, window: 24h }
segments:
  - { id: browsing, enter: { counter: { views-24h: { gte: 2 } } } }
`);

  it('frequency: 3 events spanning exactly 24 h do not fire; 1 ms less does', () => {
    const at = [T0, T0 + 12 * HOUR, T0 + 24 * HOUR];
    expect(run(cm, at.map((t) => track('Product Viewed', t))).state!.c.repeat).toBeUndefined();
    const inside = [T0, T0 + 12 * HOUR, T0 + 24 * HOUR - 1];
    const r = run(cm, inside.map((t) => track('Product Viewed', t)));
    expect(r.state!.c.repeat).toBeCloseTo(15, 3);
    expect(r.changes[2]!.awards).toEqual([{ rule: 'repeat', points: 15, at: T0 + 24 * HOUR - 1 }]);
  });

  it('frequency uses up the counted events: the 4th view alone does not fire again', () => {
    const r = run(cm, [0, 1, 2, 3].map((i) => track('Product Viewed', T0 + i * HOUR)));
    expect(r.changes.map((c) => c.awards.length)).toEqual([0, 0, 1, 0]);
    const more = run(cm, [4, 5].map((i) => track('Product Viewed', T0 + i * HOUR)), r.state);
    expect(more.changes.map((c) => c.awards.length)).toEqual([0, 1]);
  });

  it('windowed counters expire exactly at the boundary and drive segment exit', () => {
    const r = run(cm, [track('Product Viewed', T0), track('Product Viewed', T0 + HOUR)]);
    expect(r.changes[1]!.entered).toEqual(['browsing']);
    expect(r.changes[1]!.nextDueAt).toBe(T0 + DAY);
    expect(explain(cm, r.state!, T0 + DAY - 1).counters['views-24h']).toBe(2);
    expect(explain(cm, r.state!, T0 + DAY).counters['views-24h']).toBe(1);
    const early = applyDue(cm, r.state!, T0 + DAY - 1);
    expect(early.changes.exited).toEqual([]);
    const due = applyDue(cm, r.state!, T0 + DAY);
    expect(due.changes.exited).toEqual(['browsing']);
    expect(due.state.seg).toEqual([]);
  });

  it('windowed counters keep only what their comparisons need', () => {
    const r = run(cm, Array.from({ length: 50 }, (_, i) => track('Product Viewed', T0 + i * 1000)));
    expect(r.state!.n['views-24h']).toHaveLength(3); // largest compared value + 1
    expect(r.state!.fq.repeat?.length ?? 0).toBeLessThan(3);
  });

  it('caps bound a rule within a sliding window', () => {
    const capped = model(`
rules:
  - { id: pricing, when: { path: '/pricing*' }, points: 10, cap: { points: 30, window: 24h } }
`, '3650d');
    const views = [0, 1, 2, 3, 4].map((i) => ({ messageId: `p${i}`, type: 'page' as const, timestamp: new Date(T0 + i * HOUR).toISOString(), event: { properties: { path: '/pricing' } } }));
    const r = run(capped, views);
    expect(r.changes.map((c) => c.awards[0]?.points)).toEqual([10, 10, 10, 0, 0]);
    expect(r.changes[3]!.awards[0]!.capped).toBe(true);
    expect(r.state!.cap.pricing).toHaveLength(3);
    // the first award leaves the window exactly 24 h later: room for one more
    const next = run(capped, [{ ...views[0]!, messageId: 'p9', timestamp: new Date(T0 + DAY).toISOString() }], r.state);
    expect(next.changes[0]!.awards[0]!.points).toBe(10);
    expect(explain(capped, next.state!, T0 + DAY).score).toBeCloseTo(40, 1);
  });
});
