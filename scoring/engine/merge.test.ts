import { describe, expect, it } from 'vitest';
import { explain } from './explain.ts';
import { mergeProfiles } from './merge.ts';
import { DAY, HOUR, identify, model, page, run, T0, track } from './testing.ts';

const cm = model(
  `
thresholds: [{ id: hot, score: 60 }]
rules:
  - { id: pricing, when: { path: '/pricing*' }, points: 20 }
  - { id: demo, when: { event: Demo Requested }, points: 30 }
  - id: cart-abandoned
    absence: { after: { event: Product Added }, missing: { event: Order Completed }, within: 1h }
    points: 5
fit:
  - { id: vp, trait: title, match: { regex: vp, flags: i }, points: 10 }
counters:
  - { id: visits, when: { type: page } }
  - { id: views-7d, when: { type: page }, window: 7d }
segments:
  - { id: high-intent, enter: { score: { gte: 60 } } }
  - { id: researchers, enter: { counter: { views-7d: { gte: 3 } } } }
`,
  '14d',
);

describe('mergeProfiles', () => {
  const anon = run(cm, [page('/pricing', T0), page('/pricing', T0 + HOUR), track('Product Added', T0 + 90 * 60_000)]).state!;
  const known = run(cm, [identify({ title: 'VP Sales' }, T0 + 2 * HOUR), page('/docs', T0 + 2 * HOUR), track('Demo Requested', T0 + 2 * HOUR)]).state!;

  it('adds up points, counters and windows; known traits win; segments are re-evaluated once', () => {
    const now = T0 + 2 * HOUR;
    const r = mergeProfiles(cm, known, anon, now, { anonymousKey: 'anon-1' });
    const e = explain(cm, r.state, now);
    expect(e.counters).toEqual({ visits: 3, 'views-7d': 3 });
    expect(e.rules.find((x) => x.rule === 'pricing')?.points).toBeCloseTo(40 * 0.5 ** (1 / (14 * 24)), 1);
    expect(e.fit).toBe(10);
    expect(r.changes.entered.sort()).toEqual(['high-intent', 'researchers']);
    expect(r.changes.crossings.map((c) => c.threshold)).toEqual(['hot']);
    expect(r.state.first).toBe(T0);
    // the anonymous timer came along
    expect(r.changes.nextDueAt).toBe(T0 + 150 * 60_000);
  });

  it('happens once per anonymous profile', () => {
    const now = T0 + 2 * HOUR;
    const once = mergeProfiles(cm, known, anon, now, { anonymousKey: 'anon-1' });
    const twice = mergeProfiles(cm, once.state, anon, now + 1, { anonymousKey: 'anon-1' });
    expect(twice.changes.duplicate).toBe(true);
    expect(twice.state).toBe(once.state);
  });

  it('carries recent messageIds, so a redelivered anonymous event stays a duplicate', () => {
    const e = page('/pricing', T0 + 3 * DAY);
    const a = run(cm, [e]).state!;
    const merged = mergeProfiles(cm, known, a, T0 + 3 * DAY).state;
    expect(run(cm, [e], merged).changes[0]!.duplicate).toBe(true);
  });

  it('makes a profile from the anonymous one when the user is new', () => {
    const r = mergeProfiles(cm, undefined, anon, T0 + HOUR);
    expect(explain(cm, r.state, T0 + HOUR).score).toBeCloseTo(explain(cm, anon, T0 + HOUR).score, 6);
  });
});
