import type { CompiledModel } from './compile.ts';
import { crossingTime, round4 } from './decay.ts';
import type { View } from './segments.ts';
import { nextTimer } from './sequence.ts';
import type { ScoreState } from './state.ts';

/** Points a rule awarded (or would have, had its cap allowed: `capped`), at event time `at`. */
export interface Award {
  rule: string;
  points: number;
  at: number;
  capped?: true;
}

export interface Crossing {
  threshold: string;
  score: number;
  direction: 'up' | 'down';
}

/** One line of an explanation: a rule's share of the score now (behaviour decayed; fit as is). */
export interface Contribution {
  rule: string;
  kind: 'behaviour' | 'fit';
  points: number;
  description?: string;
}

/** What one engine call changed: enough to write signals, history rows and the next timer. */
export interface ScoreChanges {
  /** The messageId was already applied: nothing changed and the state need not be written. */
  duplicate: boolean;
  /** Set when the event was skipped on purpose (bot traffic). */
  ignored?: 'bot';
  /** The state's clock after the call (epoch ms). */
  at: number;
  /** Score of the previous state at the new clock (decay applied), and after the call. */
  scoreBefore: number;
  scoreAfter: number;
  awards: Award[];
  entered: string[];
  exited: string[];
  crossings: Crossing[];
  /** Top contributors after the call, largest |points| first (at most {@link TOP}). */
  top: Contribution[];
  /** When `applyDue` must next run for this user (a timer, or decay/recency changing a segment); null: never. */
  nextDueAt: number | null;
}

export const TOP = 5;

export function viewOf(cm: CompiledModel, s: ScoreState): View {
  let behaviour = 0;
  for (const k in s.c) behaviour += s.c[k]!;
  return { s, now: s.t, behaviour, fit: s.fit, halfLife: cm.halfLife, windows: cm.counterWindows };
}

export function contributions(cm: CompiledModel, s: ScoreState, limit = Infinity): Contribution[] {
  const out: Contribution[] = [];
  for (const rule in s.c) {
    const c: Contribution = { rule, kind: 'behaviour', points: round4(s.c[rule]!) };
    const description = cm.rules.get(rule)?.description;
    if (description) c.description = description;
    out.push(c);
  }
  for (const f of cm.fit) {
    if (f.points === 0 || !f.test(s.tr[f.trait])) continue;
    const c: Contribution = { rule: f.id, kind: 'fit', points: f.points };
    if (f.description) c.description = f.description;
    out.push(c);
  }
  out.sort((a, b) => Math.abs(b.points) - Math.abs(a.points) || (a.rule < b.rule ? -1 : 1));
  return out.length > limit ? out.slice(0, limit) : out;
}

/**
 * Re-evaluates segments and thresholds on a state whose clock is current, updates membership and
 * level in place, and describes the result.
 */
export function settle(cm: CompiledModel, s: ScoreState, scoreBefore: number, awards: Award[]): ScoreChanges {
  const view = viewOf(cm, s);
  const entered: string[] = [];
  const exited: string[] = [];
  let next = nextTimer(cm, s);
  for (const seg of cm.segments) {
    let member = s.seg.includes(seg.id);
    if (member) {
      if (seg.exit ? seg.exit.test(view) : !seg.enter.test(view)) {
        member = false;
        exited.push(seg.id);
      }
    } else if (seg.enter.test(view)) {
      member = true;
      entered.push(seg.id);
    }
    const t = (member ? (seg.exit ?? seg.enter) : seg.enter).next(view);
    if (t < next) next = t;
  }
  if (exited.length > 0) s.seg = s.seg.filter((id) => !exited.includes(id));
  if (entered.length > 0) s.seg = [...s.seg, ...entered];

  const exact = view.behaviour + view.fit;
  const score = round4(exact);
  const crossings: { threshold: string; score: number; direction: 'up' | 'down' }[] = [];
  let lvl = 0;
  for (const t of cm.thresholds) {
    if (exact >= t.score) lvl++;
    next = Math.min(next, crossingTime(view.behaviour, s.t, view.fit, t.score, cm.halfLife));
  }
  for (let i = s.lvl; i < lvl; i++) crossings.push({ threshold: cm.thresholds[i]!.id, score, direction: 'up' });
  for (let i = s.lvl - 1; i >= lvl; i--) crossings.push({ threshold: cm.thresholds[i]!.id, score, direction: 'down' });
  s.lvl = lvl;

  return {
    duplicate: false,
    at: s.t,
    scoreBefore: round4(scoreBefore),
    scoreAfter: score,
    awards,
    entered,
    exited,
    crossings,
    top: contributions(cm, s, TOP),
    nextDueAt: next === Infinity ? null : next,
  };
}
