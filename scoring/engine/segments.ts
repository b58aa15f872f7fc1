import type { Condition, NumberPredicate } from '../../schema/model.ts';
import { crossingTime } from './decay.ts';
import { boundaries, compileNumberPredicate, compilePredicate } from './rules/predicate.ts';
import type { ScoreState } from './state.ts';
import { countWithin, nextExpiry } from './windows.ts';

/** A state seen at `now`, with the scores worked out once for every condition. */
export interface View {
  s: ScoreState;
  now: number;
  /** Behaviour points at `now`, the state's clock (`s.t === now` during evaluation). */
  behaviour: number;
  fit: number;
  halfLife: number;
  /** Counter windows by id (undefined: lifetime). */
  windows: ReadonlyMap<string, number | undefined>;
}

/**
 * A compiled condition: its answer at a view, and the earliest later time its answer could change
 * without any event (decay crossing a bound, a window or recency expiring) — Infinity if never.
 * `next` is conservative: at that time the caller re-evaluates and may find nothing changed.
 */
export interface CompiledCondition {
  test: (v: View) => boolean;
  next: (v: View) => number;
}

const never = (): number => Infinity;

function earliest(parts: readonly { next: (v: View) => number }[]): (v: View) => number {
  if (parts.length === 1) return parts[0]!.next;
  return (v) => {
    let t = Infinity;
    for (const p of parts) {
      const n = p.next(v);
      if (n < t) t = n;
    }
    return t;
  };
}

export function compileCondition(c: Condition): CompiledCondition {
  if (c.all || c.any) {
    const parts = (c.all ?? c.any ?? []).map(compileCondition);
    const every = c.all !== undefined;
    return { test: every ? (v) => parts.every((p) => p.test(v)) : (v) => parts.some((p) => p.test(v)), next: earliest(parts) };
  }
  if (c.not) {
    const inner = compileCondition(c.not);
    return { test: (v) => !inner.test(v), next: inner.next };
  }
  if (c.score) return scoreCondition(c.score, (v) => v.fit);
  if (c.behaviour) return scoreCondition(c.behaviour, () => 0);
  if (c.fit) {
    const test = compileNumberPredicate(c.fit);
    return { test: (v) => test(v.fit), next: never };
  }
  if (c.trait) {
    const tests = Object.entries(c.trait).map(([key, p]) => ({ key, test: compilePredicate(p) }));
    return { test: (v) => tests.every((t) => t.test(v.s.tr[t.key])), next: never };
  }
  if (c.counter) {
    const tests = Object.entries(c.counter).map(([id, p]) => ({ id, test: compileNumberPredicate(p) }));
    return {
      test: (v) => tests.every((t) => t.test(counterValue(v, t.id))),
      next: earliest(tests.map((t) => ({ next: (v: View) => counterExpiry(v, t.id) }))),
    };
  }
  if (c.lastSeen) return recency(c.lastSeen, (s) => s.last);
  if (c.firstSeen) return recency(c.firstSeen, (s) => s.first);
  if (c.rule) {
    const parts = Object.entries(c.rule).map(([id, r]) =>
      r.active !== undefined
        ? { test: (v: View) => (v.s.act[id] !== undefined) === r.active, next: never }
        : recency({ within: r.firedWithin }, (s) => s.fired[id] ?? null),
    );
    return { test: (v) => parts.every((p) => p.test(v)), next: earliest(parts) };
  }
  throw new Error('empty condition (the model schema should have refused it)');
}

function scoreCondition(p: NumberPredicate, offset: (v: View) => number): CompiledCondition {
  const test = compileNumberPredicate(p);
  const bounds = boundaries(p);
  return {
    test: (v) => test(v.behaviour + offset(v)),
    next: (v) => {
      let t = Infinity;
      for (const b of bounds) t = Math.min(t, crossingTime(v.behaviour, v.now, offset(v), b, v.halfLife));
      return t;
    },
  };
}

function recency(r: { within?: number | undefined; notWithin?: number | undefined }, at: (s: ScoreState) => number | null): CompiledCondition {
  const w = r.within ?? r.notWithin ?? 0;
  const wantWithin = r.within !== undefined;
  return {
    test: (v) => {
      const t = at(v.s);
      const inside = t !== null && v.now - t < w;
      return inside === wantWithin;
    },
    next: (v) => {
      const t = at(v.s);
      return t !== null && t + w > v.now ? t + w : Infinity;
    },
  };
}

/** A counter's value at the view's time (windowed counters count only what is inside the window). */
export function counterValue(v: View, id: string): number {
  const raw = v.s.n[id];
  if (raw === undefined) return 0;
  if (typeof raw === 'number') return raw;
  return countWithin(raw, v.now, v.windows.get(id) ?? Infinity);
}

function counterExpiry(v: View, id: string): number {
  const raw = v.s.n[id];
  const w = v.windows.get(id);
  return Array.isArray(raw) && w !== undefined ? nextExpiry(raw, v.now, w) : Infinity;
}
