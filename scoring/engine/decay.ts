import type { ScoreState } from './state.ts';

/** Contributions smaller than this are dropped: they no longer matter and would grow the state. */
export const NEGLIGIBLE = 0.001;

/** 0.5^(dt / halfLife); 1 for dt ≤ 0. Over months it reaches 0 smoothly (no nightly job). */
export function decayFactor(dtMs: number, halfLifeMs: number): number {
  return dtMs <= 0 ? 1 : Math.pow(0.5, dtMs / halfLifeMs);
}

/** Rounds to 4 decimals for reports. Stored points keep full precision, so timers computed from decay land exactly. */
export function round4(n: number): number {
  return Math.round(n * 1e4) / 1e4;
}

/** Behaviour points of `s` at `now` (no mutation). */
export function behaviourAt(s: ScoreState, now: number, halfLifeMs: number): number {
  let sum = 0;
  for (const k in s.c) sum += s.c[k]!;
  return sum * decayFactor(now - s.t, halfLifeMs);
}

/** Moves the state's clock forward to `t`, decaying every rule's contribution (mutates). */
export function advance(s: ScoreState, t: number, halfLifeMs: number): void {
  if (t <= s.t) return;
  const f = decayFactor(t - s.t, halfLifeMs);
  for (const k in s.c) {
    const v = s.c[k]! * f;
    if (Math.abs(v) < NEGLIGIBLE) delete s.c[k];
    else s.c[k] = v;
  }
  s.t = t;
}

/** Adds points earned at `at` to a state whose clock is `s.t` ≥ `at` (late events arrive decayed). */
export function addPoints(s: ScoreState, ruleId: string, points: number, at: number, halfLifeMs: number): void {
  const v = (s.c[ruleId] ?? 0) + points * decayFactor(s.t - at, halfLifeMs);
  if (Math.abs(v) < NEGLIGIBLE) delete s.c[ruleId];
  else s.c[ruleId] = v;
}

/**
 * When will `b0 · 0.5^((t − t0)/h)` + `offset` cross `value`? The first whole millisecond strictly
 * past the crossing (decay is monotonic, so the answer is then settled), or Infinity.
 */
export function crossingTime(b0: number, t0: number, offset: number, value: number, halfLifeMs: number): number {
  const target = value - offset;
  if (b0 === 0 || target === 0 || Math.sign(target) !== Math.sign(b0) || Math.abs(target) >= Math.abs(b0)) return Infinity;
  return t0 + Math.ceil(halfLifeMs * Math.log2(b0 / target)) + 1;
}
