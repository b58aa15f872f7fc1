import { contributions, type Contribution } from './changes.ts';
import type { CompiledModel } from './compile.ts';
import { advance, round4 } from './decay.ts';
import { reconcile } from './reconcile.ts';
import { counterValue } from './segments.ts';
import { cloneState, type ScoreState } from './state.ts';
import { viewOf } from './changes.ts';

export interface Explanation {
  at: number;
  score: number;
  behaviour: number;
  fit: number;
  /** Every contributing rule, largest |points| first, behaviour decayed to `at`. */
  rules: Contribution[];
  /** Membership as last settled (run `applyDue` at `nextDueAt` to keep it current). */
  segments: string[];
  counters: Record<string, number>;
  traits: ScoreState['tr'];
  firstSeen: number | null;
  lastSeen: number | null;
}

/** Why a user has their score at `now`: the breakdown by rule with decay applied. Pure. */
export function explain(cm: CompiledModel, state: ScoreState, now: number): Explanation {
  const s = cloneState(state);
  reconcile(cm, s);
  advance(s, Math.max(now, s.t), cm.halfLife);
  const view = viewOf(cm, s);
  const counters: Record<string, number> = {};
  for (const id of cm.counters.keys()) counters[id] = counterValue(view, id);
  return {
    at: s.t,
    score: round4(view.behaviour + view.fit),
    behaviour: round4(view.behaviour),
    fit: round4(view.fit),
    rules: contributions(cm, s),
    segments: s.seg,
    counters,
    traits: s.tr,
    firstSeen: s.first,
    lastSeen: s.last,
  };
}
