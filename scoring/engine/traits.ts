import type { CompiledModel } from './compile.ts';
import { MAX_TRAIT_CHARS, type ScoreState } from './state.ts';

/**
 * Copies the traits the model reads from an identify or group call into the state (a `null` trait
 * clears it, as in Segment) and refreshes the fit points when one changed. Returns whether any did.
 */
export function applyTraits(cm: CompiledModel, s: ScoreState, from: 'identify' | 'group', traits: Record<string, unknown>): boolean {
  let changed = false;
  for (const src of cm.traits) {
    if (src.from !== from) continue;
    const v = src.get(traits);
    if (v === undefined) continue;
    if (v === null) {
      if (src.key in s.tr) {
        delete s.tr[src.key];
        changed = true;
      }
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      const value = typeof v === 'string' && v.length > MAX_TRAIT_CHARS ? v.slice(0, MAX_TRAIT_CHARS) : v;
      if (s.tr[src.key] !== value) {
        s.tr[src.key] = value;
        changed = true;
      }
    }
  }
  if (changed) s.fit = fitPoints(cm, s);
  return changed;
}

/** Sum of the fit rules the current traits satisfy. */
export function fitPoints(cm: CompiledModel, s: ScoreState): number {
  let sum = 0;
  for (const f of cm.fit) if (f.test(s.tr[f.trait])) sum += f.points;
  return sum;
}
