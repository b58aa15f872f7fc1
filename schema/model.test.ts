import { describe, expect, expectTypeOf, it } from 'vitest';
import { Duration, EventMatch, maxCompared, parseDuration, Predicate, Rule, ScoringModel } from './model.ts';

describe('model schema', () => {
  it('parses durations into milliseconds', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0s')).toBeUndefined();
    expect(parseDuration('7 days')).toBeUndefined();
    expect(Duration.safeParse('11000d').success).toBe(false);
    expectTypeOf(Duration.parse('1h')).toEqualTypeOf<number>();
  });

  it('treats a bare scalar predicate as equals and validates regexes at load', () => {
    expect(Predicate.parse('gold')).toEqual({ equals: 'gold' });
    expect(Predicate.safeParse({ regex: '[' }).error?.issues[0]?.path).toEqual(['regex']);
    expect(Predicate.safeParse({ regex: 'a', flags: 'g' }).success).toBe(false);
    expect(Predicate.safeParse({}).success).toBe(false);
    expect(Predicate.safeParse({ gt: 'x' }).success).toBe(false);
  });

  it('infers event types from the matcher and refuses contradictions', () => {
    expect(EventMatch.parse({ event: 'X' })).toEqual({ event: ['X'] });
    expect(EventMatch.safeParse({ type: 'page', event: 'X' }).success).toBe(false);
    expect(EventMatch.safeParse({ type: 'identify', path: '/x' }).success).toBe(false);
    expect(EventMatch.safeParse({ path: 'pricing' }).success).toBe(false);
  });

  it('checks rule shape and caps', () => {
    const base = { id: 'r', when: { event: 'X' }, points: 10 };
    expect(Rule.safeParse(base).success).toBe(true);
    expect(Rule.safeParse({ ...base, points: 0 }).success).toBe(false);
    expect(Rule.safeParse({ ...base, cap: { points: 5, window: '1d' } }).error?.issues[0]?.path).toEqual(['cap', 'points']);
    expect(Rule.safeParse({ id: 'r', points: 1, frequency: { count: 3, within: '1d' } }).success).toBe(false);
    expect(Rule.safeParse({ ...base, points: -5, cap: { points: 15, window: '7d' } }).success).toBe(true);
  });

  it('checks references and orders across the model', () => {
    const r = ScoringModel.safeParse({
      version: 1,
      name: 'm',
      decay: { halfLife: '7d' },
      rules: [{ id: 'plain', when: { event: 'X' }, points: 1 }],
      thresholds: [{ id: 'b', score: 60 }, { id: 'a', score: 30 }],
      segments: [{ id: 's', enter: { rule: { plain: { active: true } } } }, { id: 't', enter: { score: { gte: 1 }, fit: { gte: 1 } } }],
    });
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'segments.1.enter: expected exactly one of all, any, not, score, behaviour, fit, trait, counter, lastSeen, firstSeen, rule',
      'thresholds.1.score: thresholds must be in increasing score order',
      'segments.0.enter.rule.plain.active: active only applies to absence rules',
    ]);
  });

  it('needs counts exact up to the largest compared value', () => {
    expect(maxCompared({ gte: 3 })).toBe(4);
    expect(maxCompared({ in: [1, 7] })).toBe(8);
  });

  it('types the model for the engine', () => {
    type M = ScoringModel;
    expectTypeOf<M['decay']['halfLife']>().toEqualTypeOf<number>();
    expectTypeOf<M['rules'][number]['cap']>().toEqualTypeOf<{ points: number; window: number } | undefined>();
  });
});
