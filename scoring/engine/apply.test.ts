import { describe, expect, it } from 'vitest';
import { applyDue, applyEvent } from './apply.ts';
import { explain } from './explain.ts';
import { DAY, group, HOUR, identify, MIN, model, page, run, T0, track } from './testing.ts';

const cm = model(
  `
thresholds:
  - { id: warm, score: 30 }
  - { id: hot, score: 60 }
rules:
  - { id: demo, description: Requested a demo, when: { event: Demo Requested }, points: 50 }
  - { id: pricing, when: { path: '/pricing*' }, points: 10 }
  - { id: careers, when: { path: '/careers*' }, points: -15 }
  - { id: returning, when: { type: page }, idleFor: 30m, points: 5 }
fit:
  - { id: vp, trait: title, match: { regex: '\\bvp\\b', flags: i }, points: 20 }
  - { id: mid-size, trait: group.employees, match: { gte: 50, lt: 1000 }, points: 10 }
  - { id: no-company, trait: group.employees, match: { exists: false }, points: -5 }
segments:
  - { id: high-intent, enter: { score: { gte: 60 } }, exit: { score: { lt: 45 } } }
  - { id: vp-visitors, enter: { all: [{ trait: { title: { regex: vp, flags: i } } }, { lastSeen: { within: 7d } }] } }
`,
  '14d',
);

describe('applyEvent', () => {
  it('awards points, explains them and reports threshold crossings', () => {
    const r = run(cm, [page('/pricing', T0), track('Demo Requested', T0 + MIN)]);
    const last = r.changes[1]!;
    expect(last.scoreBefore).toBeCloseTo(5, 2); // 10 − 5 (no company yet)
    expect(last.scoreAfter).toBeCloseTo(55, 2);
    expect(last.crossings).toEqual([{ threshold: 'warm', score: last.scoreAfter, direction: 'up' }]);
    expect(last.top[0]).toEqual({ rule: 'demo', kind: 'behaviour', points: 50, description: 'Requested a demo' });
    expect(last.top.find((c) => c.kind === 'fit')).toEqual({ rule: 'no-company', kind: 'fit', points: -5 });
  });

  it('keeps fit and behaviour apart; fit follows traits and does not decay', () => {
    const r = run(cm, [identify({ title: 'VP Engineering' }, T0), group({ employees: 200 }, T0 + 1), page('/pricing', T0 + 2)]);
    const e = explain(cm, r.state!, T0 + 28 * DAY);
    expect(e.fit).toBe(30);
    expect(e.behaviour).toBeCloseTo(2.5, 2);
    // Traits alone are not a visit: the lead enters once seen active (lastSeen within 7 d).
    expect(r.changes[0]!.entered).toEqual([]);
    expect(r.changes[2]!.entered).toEqual(['vp-visitors']);
    const cleared = run(cm, [identify({ title: null }, T0 + 3)], r.state);
    expect(cleared.state!.tr.title).toBeUndefined();
    expect(cleared.changes[0]!.exited).toEqual(['vp-visitors']);
    expect(cleared.changes[0]!.scoreAfter - cleared.changes[0]!.scoreBefore).toBe(-20);
  });

  it('allows negative totals', () => {
    const r = run(cm, [page('/careers', T0), page('/careers/eng', T0 + MIN)]);
    expect(r.changes[1]!.scoreAfter).toBeCloseTo(-35, 2);
    expect(explain(cm, r.state!, T0 + 14 * DAY + MIN).score).toBeCloseTo(-20, 2);
  });

  it('awards returning visits only after the idle gap', () => {
    const r = run(cm, [page('/a', T0), page('/b', T0 + 29 * MIN), page('/c', T0 + 59 * MIN)]);
    expect(r.changes.map((c) => c.awards.map((a) => a.rule))).toEqual([[], [], ['returning']]);
  });

  it('enters and exits with hysteresis, exit driven by decay at nextDueAt', () => {
    const r = run(cm, [track('Demo Requested', T0), page('/pricing', T0 + MIN), page('/pricing', T0 + 2 * MIN)]);
    expect(r.changes[2]!.entered).toEqual(['high-intent']);
    expect(r.changes[2]!.crossings.map((c) => `${c.threshold}:${c.direction}`)).toEqual(['hot:up']);
    // 65 decays below 60 (threshold down) before it goes below 45 (segment exit)
    const due1 = r.changes[2]!.nextDueAt!;
    const d1 = applyDue(cm, r.state!, due1);
    expect(d1.changes.crossings.map((c) => `${c.threshold}:${c.direction}`)).toEqual(['hot:down']);
    expect(d1.changes.exited).toEqual([]);
    const d2 = applyDue(cm, d1.state, d1.changes.nextDueAt!);
    expect(d2.changes.exited).toEqual(['high-intent']);
    // the exit runs the first millisecond the score is below 45: no polling, no lag
    expect(d2.changes.scoreAfter).toBeCloseTo(45, 3);
    expect(explain(cm, d2.state, d2.changes.at - 1).score).toBeCloseTo(45, 3);
  });

  it('is idempotent per messageId', () => {
    const e = track('Demo Requested', T0, {}, 'same-id');
    const first = applyEvent(cm, undefined, e, T0);
    const again = applyEvent(cm, first.state, e, T0 + HOUR);
    expect(again.changes.duplicate).toBe(true);
    expect(again.state).toBe(first.state);
    expect(again.changes.awards).toEqual([]);
  });

  it('never mutates the state it is given', () => {
    const first = applyEvent(cm, undefined, page('/pricing', T0), T0);
    const frozen = JSON.stringify(first.state);
    applyEvent(cm, first.state, track('Demo Requested', T0 + MIN), T0 + MIN);
    applyDue(cm, first.state, T0 + 30 * DAY);
    expect(JSON.stringify(first.state)).toBe(frozen);
  });

  it('ignores bots and caps event time at now', () => {
    const bot = { ...page('/pricing', T0), ua: { isBot: true } };
    expect(applyEvent(cm, undefined, bot, T0).changes.ignored).toBe('bot');
    const future = applyEvent(cm, undefined, page('/pricing', T0 + DAY), T0);
    expect(future.state.t).toBe(T0);
    expect(future.state.last).toBe(T0);
  });

  it('prunes what a changed model no longer defines', () => {
    const { state } = run(cm, [track('Demo Requested', T0), identify({ title: 'VP' }, T0)]);
    const other = model(`rules:\n  - { id: pricing, when: { path: '/pricing*' }, points: 10 }\n`, '14d');
    const r = applyEvent(other, state, page('/pricing', T0 + MIN), T0 + MIN);
    expect(Object.keys(r.state.c)).toEqual(['pricing']);
    expect(r.state.tr).toEqual({});
    expect(r.state.seg).toEqual([]);
    expect(r.state.m).toBe(other.key);
  });
});

describe('key traits', () => {
  it('keeps the traits a model lists as key even when no rule reads them, and only those', () => {
    const cm = model(`
keyTraits: [company, group.name]
rules:
  - { id: demo, when: { event: Demo Requested }, points: 50 }
`);
    const r = run(cm, [identify({ company: 'Acme', title: 'VP', email: 'a@acme.io' }, T0), group({ name: 'Acme Inc' }, T0 + 1)]);
    expect(r.state!.tr).toEqual({ company: 'Acme', 'group.name': 'Acme Inc' });
  });
});

describe('sessions', () => {
  it('counts the first event and each return after the idle gap', () => {
    const cm = model(`
counters:
  - { id: visits, when: { type: page }, idleFor: 30m }
segments:
  - { id: one-time, enter: { all: [{ counter: { visits: { equals: 1 } } }, { lastSeen: { notWithin: 7d } }] } }
`);
    const r = run(cm, [page('/a', T0), page('/b', T0 + 10 * MIN)]);
    expect(r.state!.n.visits).toBe(1);
    expect(r.changes[1]!.nextDueAt).toBe(T0 + 10 * MIN + 7 * DAY);
    expect(applyDue(cm, r.state!, T0 + 10 * MIN + 7 * DAY).changes.entered).toEqual(['one-time']);
    const back = run(cm, [page('/c', T0 + 2 * HOUR)], r.state);
    expect(back.state!.n.visits).toBe(2);
  });

  it('does not let an identify call at the start of a visit hide it, nor count it as being seen', () => {
    const cm = model(`
counters:
  - { id: visits, when: { type: page }, idleFor: 30m }
`);
    const r = run(cm, [identify({ title: 'VP' }, T0), page('/a', T0 + 1_000), identify({ title: 'CEO' }, T0 + 2 * HOUR), page('/b', T0 + 2 * HOUR + 1_000)]);
    expect(r.state!.n.visits).toBe(2);
    expect(r.state!.last).toBe(T0 + 2 * HOUR + 1_000);
    expect(run(cm, [identify({ title: 'VP' }, T0 + 3 * HOUR)], r.state).state!.last).toBe(T0 + 2 * HOUR + 1_000);
  });
});
