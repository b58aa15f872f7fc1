import { describe, expect, it } from 'vitest';
import { applyDue } from './apply.ts';
import { HOUR, MIN, model, run, T0, track } from './testing.ts';

const cm = model(`
rules:
  - id: cart-abandoned
    absence: { after: { event: Product Added }, missing: { event: Order Completed }, within: 1h }
    points: 15
segments:
  - { id: abandoners, enter: { rule: { cart-abandoned: { active: true } } } }
`);

describe('absence rules (timers)', () => {
  it('fires at after + within via applyDue, and enters the segment', () => {
    const r = run(cm, [track('Product Added', T0)]);
    expect(r.changes[0]!.nextDueAt).toBe(T0 + HOUR);
    expect(applyDue(cm, r.state!, T0 + HOUR - 1).changes.awards).toEqual([]);
    const due = applyDue(cm, r.state!, T0 + HOUR);
    expect(due.changes.awards).toEqual([{ rule: 'cart-abandoned', points: 15, at: T0 + HOUR }]);
    expect(due.changes.entered).toEqual(['abandoners']);
    expect(due.changes.nextDueAt).toBeNull();
    // firing again is impossible: the timer is gone
    expect(applyDue(cm, due.state, T0 + 5 * HOUR).changes.awards).toEqual([]);
  });

  it('is cancelled by the missing event within the window', () => {
    const r = run(cm, [track('Product Added', T0), track('Order Completed', T0 + HOUR - 1)]);
    expect(r.changes[1]!.nextDueAt).toBeNull();
    expect(applyDue(cm, r.state!, T0 + 2 * HOUR).changes.awards).toEqual([]);
  });

  it('treats the missing event exactly at the boundary as too late', () => {
    const r = run(cm, [track('Product Added', T0), track('Order Completed', T0 + HOUR)]);
    expect(r.changes[1]!.awards.map((a) => a.rule)).toEqual(['cart-abandoned']);
    // …and that same order resolves the abandonment: entered and left at once, so no membership
    expect(r.state!.act).toEqual({});
    expect(r.state!.seg).toEqual([]);
  });

  it('restarts the timer on a later add, and fires on the next event when overdue', () => {
    const r = run(cm, [track('Product Added', T0), track('Product Added', T0 + 30 * MIN)]);
    expect(r.changes[1]!.nextDueAt).toBe(T0 + 90 * MIN);
    const later = run(cm, [track('Page Scrolled', T0 + 3 * HOUR)], r.state);
    expect(later.changes[0]!.awards).toEqual([{ rule: 'cart-abandoned', points: 15, at: T0 + 90 * MIN }]);
    expect(later.changes[0]!.entered).toEqual(['abandoners']);
    const bought = run(cm, [track('Order Completed', T0 + 4 * HOUR)], later.state);
    expect(bought.changes[0]!.exited).toEqual(['abandoners']);
  });
});
