import type { CompiledModel } from './compile.ts';
import { emptyState, type ScoreState } from './state.ts';
import { fitPoints } from './traits.ts';

/**
 * A state written under another model (or none): drops what the current model no longer defines,
 * so a model change never leaves stale rules in explanations. Mutates; call on a copy.
 */
export function reconcile(cm: CompiledModel, s: ScoreState): void {
  if (s.m === cm.key) return;
  const keep = <T>(r: Record<string, T>, has: (k: string) => boolean) => {
    for (const k of Object.keys(r)) if (!has(k)) delete r[k];
  };
  const isRule = (k: string) => cm.rules.has(k);
  keep(s.c, isRule);
  keep(s.fired, isRule);
  keep(s.cap, (k) => cm.rules.get(k)?.cap !== undefined);
  keep(s.fq, (k) => cm.rules.get(k)?.frequency !== undefined);
  keep(s.sq, (k) => cm.rules.get(k)?.absence !== undefined);
  keep(s.act, (k) => cm.rules.get(k)?.absence !== undefined);
  for (const k of Object.keys(s.n)) {
    const c = cm.counters.get(k);
    if (!c || (c.window === undefined) !== (typeof s.n[k] === 'number')) delete s.n[k];
  }
  const traits = new Set(cm.traits.map((t) => t.key));
  keep(s.tr, (k) => traits.has(k));
  const segments = new Set(cm.segments.map((x) => x.id));
  s.seg = s.seg.filter((id) => segments.has(id));
  s.lvl = Math.min(s.lvl, cm.thresholds.length);
  s.fit = fitPoints(cm, s);
  s.m = cm.key;
}

/** A fresh state for the model: fit rules on absent traits (`exists: false`) count from the start. */
export function freshState(cm: CompiledModel, now: number): ScoreState {
  const s = emptyState(cm.key, now);
  s.fit = fitPoints(cm, s);
  return s;
}
