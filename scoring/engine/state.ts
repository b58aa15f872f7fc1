import type { Scalar } from '../../schema/model.ts';

/** Current layout of {@link ScoreState}; a new layout comes with a migration in `state.ts`. */
export const STATE_VERSION = 1;
/** Recent messageId hashes kept per user for idempotency. */
export const RECENT_IDS = 128;
/** Anonymous profiles remembered as merged into this one (merge happens once). */
export const MERGED_IDS = 16;
/** Longest trait string kept. */
export const MAX_TRAIT_CHARS = 200;

/**
 * One user's scoring state: JSON-serialisable, compact, bounded by the model (never by the number
 * of events). All times are epoch milliseconds of event time; behaviour points are stored as of `t`
 * and decayed lazily when read or updated. Keys are short because the blob travels to Redis on
 * every event.
 *
 * Size bound (JSON): ~60 B + 40 B per rule (`c`, `fired`) + 14 B per timestamp kept
 * (cap: ≤ cap/|points| per rule; frequency: < count per rule; windowed counter: ≤ its largest
 * compared value + 1) + ≤ 210 B per referenced trait + 128 × 8 B recent ids + 16 × 8 B merged ids.
 * The default models stay under 3 KB with a 200-character trait (see `state.test.ts`).
 */
export interface ScoreState {
  v: typeof STATE_VERSION;
  /** Key of the model that wrote this state; a different model prunes what it no longer knows. */
  m: string;
  /** Clock: time the contributions in `c` are valid at. */
  t: number;
  first: number | null;
  /** Last activity (page, screen, track): last seen, and where idle time starts. */
  last: number | null;
  /** Behaviour points per rule as of `t` (decay not yet applied beyond `t`). */
  c: Record<string, number>;
  /** Fit points from current traits (no decay). */
  fit: number;
  /** Traits the model refers to (fit rules, segment conditions) and nothing else. */
  tr: Record<string, Scalar>;
  /** Counters: lifetime count, or ascending timestamps (the latest few) for windowed counters. */
  n: Record<string, number | number[]>;
  /** Per capped rule: ascending timestamps of awards inside the cap window. */
  cap: Record<string, number[]>;
  /** Per frequency rule: ascending timestamps of matching events not yet used by an award. */
  fq: Record<string, number[]>;
  /** Per absence rule: time of the pending `after` event (timer due at that + within). */
  sq: Record<string, number>;
  /** Per absence rule: when it fired, while unresolved by a `missing` event. */
  act: Record<string, number>;
  /** Last time each rule fired (awarded or capped). */
  fired: Record<string, number>;
  /** Segments the user is in. */
  seg: string[];
  /** How many thresholds (ascending) the score is at or above. */
  lvl: number;
  /** The last {@link RECENT_IDS} messageIds applied, as concatenated 8-character hash tokens. */
  ids: string;
  /** Anonymous profile keys merged into this one, as hash tokens (as `ids`). */
  mg: string;
}

export function emptyState(modelKey: string, now: number): ScoreState {
  return { v: STATE_VERSION, m: modelKey, t: now, first: null, last: null, c: {}, fit: 0, tr: {}, n: {}, cap: {}, fq: {}, sq: {}, act: {}, fired: {}, seg: [], lvl: 0, ids: '', mg: '' };
}

const copyLists = (r: Record<string, number[]>): Record<string, number[]> => {
  const out: Record<string, number[]> = {};
  for (const k in r) out[k] = r[k]!.slice();
  return out;
};

/** A deep copy, written out by hand: the engine never mutates its caller's state and this is hot. */
export function cloneState(s: ScoreState): ScoreState {
  const n: Record<string, number | number[]> = {};
  for (const k in s.n) {
    const v = s.n[k]!;
    n[k] = typeof v === 'number' ? v : v.slice();
  }
  return {
    v: s.v, m: s.m, t: s.t, first: s.first, last: s.last, c: { ...s.c }, fit: s.fit, tr: { ...s.tr }, n,
    cap: copyLists(s.cap), fq: copyLists(s.fq), sq: { ...s.sq }, act: { ...s.act }, fired: { ...s.fired },
    seg: s.seg.slice(), lvl: s.lvl, ids: s.ids, mg: s.mg,
  };
}
