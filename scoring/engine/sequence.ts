import type { CompiledModel, CompiledRule } from './compile.ts';
import type { Award } from './changes.ts';
import { award } from './rules/award.ts';
import type { ScoreState } from './state.ts';

/**
 * Absence rules ("Product Added, then no Order Completed within 1 h"): an `after` event (re)starts
 * the timer, a `missing` event at or after it cancels the timer and resolves a fired rule, and the
 * timer fires at `after + within` — on the first event or `applyDue` at or past that time.
 * A `missing` event exactly `within` after is too late (windows are half-open).
 */
export function onAfter(s: ScoreState, rule: CompiledRule, at: number): void {
  const pending = s.sq[rule.id];
  if (pending === undefined || at > pending) s.sq[rule.id] = at;
}

export function onMissing(s: ScoreState, rule: CompiledRule, at: number): void {
  const pending = s.sq[rule.id];
  if (pending !== undefined && at >= pending) delete s.sq[rule.id];
  const fired = s.act[rule.id];
  if (fired !== undefined && at >= fired) delete s.act[rule.id];
}

/** Fires every absence timer due at or before `now` (the state's clock), in due order. */
export function fireDue(cm: CompiledModel, s: ScoreState, now: number, awards: Award[]): void {
  for (const rule of cm.absenceRules) {
    const since = s.sq[rule.id];
    if (since === undefined || rule.absence === undefined) continue;
    const due = since + rule.absence.within;
    if (due > now) continue;
    delete s.sq[rule.id];
    s.act[rule.id] = due;
    award(cm, s, rule, due, awards);
  }
  if (awards.length > 1) awards.sort((a, b) => a.at - b.at);
}

/** The earliest pending absence timer, or Infinity. */
export function nextTimer(cm: CompiledModel, s: ScoreState): number {
  let next = Infinity;
  for (const rule of cm.absenceRules) {
    const since = s.sq[rule.id];
    if (since !== undefined && rule.absence) next = Math.min(next, since + rule.absence.within);
  }
  return next;
}
