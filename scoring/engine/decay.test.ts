import { describe, expect, it } from 'vitest';
import { crossingTime, decayFactor } from './decay.ts';
import { explain } from './explain.ts';
import { DAY, model, run, T0, track } from './testing.ts';

const cm = model(
  `
rules:
  - { id: demo, when: { event: Demo Requested }, points: 40 }
  - { id: viewed, when: { event: Product Viewed }, points: 10 }
`,
  '14d',
);

describe('decay', () => {
  it('halves a score every half-life, computed lazily at read time', () => {
    const { state } = run(cm, [track('Demo Requested', T0)]);
    expect(explain(cm, state!, T0).score).toBe(40);
    expect(explain(cm, state!, T0 + 14 * DAY).score).toBeCloseTo(20, 3);
    expect(explain(cm, state!, T0 + 28 * DAY).score).toBeCloseTo(10, 3);
    // the state itself is untouched by reads
    expect(state!.t).toBe(T0);
  });

  it('decays over months down to nothing, dropping spent contributions', () => {
    const { state } = run(cm, [track('Demo Requested', T0), track('Product Viewed', T0 + 120 * DAY)]);
    // 40 · 0.5^(120/14) ≈ 0.1073 is still there; after a year it is gone
    const mid = explain(cm, state!, T0 + 120 * DAY);
    expect(mid.rules.find((r) => r.rule === 'demo')?.points).toBeCloseTo(40 * Math.pow(0.5, 120 / 14), 3);
    const year = run(cm, [track('Product Viewed', T0 + 400 * DAY)], state).state!;
    expect(year.c.demo).toBeUndefined();
    expect(Object.keys(year.c)).toEqual(['viewed']);
  });

  it('keeps per-rule contributions decayed consistently with the total', () => {
    const { state } = run(cm, [track('Demo Requested', T0), track('Product Viewed', T0 + 7 * DAY)]);
    const e = explain(cm, state!, T0 + 21 * DAY);
    const sum = e.rules.reduce((a, r) => a + r.points, 0);
    expect(e.score).toBeCloseTo(sum, 3);
    expect(e.rules.map((r) => r.rule)).toEqual(['demo', 'viewed']);
    expect(e.score).toBeCloseTo(40 * 0.5 ** 1.5 + 10 * 0.5, 2);
  });

  it('scores a late event at its own time', () => {
    const { state } = run(cm, [track('Demo Requested', T0 + 14 * DAY)]);
    const late = run(cm, [track('Product Viewed', T0)], state).state!;
    expect(late.t).toBe(T0 + 14 * DAY);
    expect(late.c.viewed).toBeCloseTo(5, 3);
  });

  it('finds when a decaying score crosses a bound', () => {
    expect(decayFactor(-5, 1000)).toBe(1);
    const t = crossingTime(80, 0, 0, 40, 14 * DAY);
    expect(t).toBe(14 * DAY + 1);
    expect(crossingTime(80, 0, 30, 40, 14 * DAY)).toBeGreaterThan(14 * DAY * 2); // needs 80 → 10
    expect(crossingTime(30, 0, 0, 40, DAY)).toBe(Infinity); // already below
    expect(crossingTime(-20, 0, 0, -10, DAY)).toBe(DAY + 1); // negative scores rise towards 0
  });
});
