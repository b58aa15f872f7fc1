import type { CompiledCounter, CompiledModel, CompiledRule } from '../compile.ts';
import type { Award } from '../changes.ts';
import { addPoints } from '../decay.ts';
import type { ScoreState } from '../state.ts';
import { insert, prune } from '../windows.ts';

/**
 * A rule fires at `at`: its points are added (decayed to the state's clock if `at` is earlier)
 * unless its cap is reached within the sliding cap window, in which case the firing is still
 * recorded (segments may ask whether the rule fired) but awards nothing.
 */
export function award(cm: CompiledModel, s: ScoreState, rule: CompiledRule, at: number, awards: Award[]): void {
  const prev = s.fired[rule.id];
  if (prev === undefined || at > prev) s.fired[rule.id] = at;
  if (rule.cap) {
    const list = (s.cap[rule.id] ??= []);
    prune(list, s.t, rule.cap.window);
    if (list.length >= rule.cap.maxAwards) {
      awards.push({ rule: rule.id, points: 0, at, capped: true });
      return;
    }
    insert(list, at, rule.cap.maxAwards);
  }
  addPoints(s, rule.id, rule.points, at, cm.halfLife);
  awards.push({ rule: rule.id, points: rule.points, at });
}

/**
 * Frequency rules: fires when `count` matching events fall within `within` of each other (the
 * newest minus the oldest strictly less than `within`); those events are then used up, so the next
 * award needs `count` more.
 */
export function countTowards(cm: CompiledModel, s: ScoreState, rule: CompiledRule, at: number, awards: Award[]): void {
  const f = rule.frequency;
  if (!f) return award(cm, s, rule, at, awards);
  const list = (s.fq[rule.id] ??= []);
  insert(list, at, f.count);
  if (list.length === f.count && list[f.count - 1]! - list[0]! < f.within) {
    delete s.fq[rule.id];
    award(cm, s, rule, at, awards);
    return;
  }
  prune(list, s.t, f.within);
  if (list.length === 0) delete s.fq[rule.id];
}

/** Counts an event in a counter: lifetime total, or the latest `keep` timestamps of a window. */
export function count(s: ScoreState, c: CompiledCounter, at: number): void {
  const cur = s.n[c.id];
  if (c.window === undefined) {
    s.n[c.id] = (typeof cur === 'number' ? cur : 0) + 1;
    return;
  }
  const list = Array.isArray(cur) ? cur : (s.n[c.id] = []);
  insert(list, at, c.keep);
  prune(list, s.t, c.window);
  if (list.length === 0) delete s.n[c.id];
}
