import type { Award } from './changes.ts';
import { settle } from './changes.ts';
import type { CompiledModel } from './compile.ts';
import { advance, behaviourAt, NEGLIGIBLE } from './decay.ts';
import { idToken, ringAdd, ringHas, ringTokens } from './hash.ts';
import { freshState, reconcile } from './reconcile.ts';
import { fireDue } from './sequence.ts';
import { cloneState, MERGED_IDS, RECENT_IDS, type ScoreState } from './state.ts';
import { fitPoints } from './traits.ts';
import { mergeLists } from './windows.ts';
import type { ScoreResult } from './apply.ts';

const later = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

/**
 * Identity stitching: folds an anonymous profile into the known one at `now` (both decayed to the
 * same clock first). Points, counters, windows and timers add up; the known profile's traits win;
 * segment entries/exits and crossings are reported relative to the known profile. With
 * `anonymousKey`, a second merge of the same anonymous profile is a duplicate (merge happens once).
 */
export function mergeProfiles(
  cm: CompiledModel,
  known: ScoreState | undefined,
  anonymous: ScoreState,
  now: number,
  opts: { anonymousKey?: string } = {},
): ScoreResult {
  const k = known ? cloneState(known) : freshState(cm, Math.min(now, anonymous.t));
  const a = cloneState(anonymous);
  reconcile(cm, k);
  reconcile(cm, a);
  const mergeId = opts.anonymousKey === undefined ? undefined : idToken(opts.anonymousKey);
  const clock = Math.max(now, k.t, a.t);
  const before = behaviourAt(k, clock, cm.halfLife) + k.fit;
  if (mergeId !== undefined && ringHas(k.mg, mergeId)) {
    const r = { state: known ?? k, changes: settle(cm, cloneState(k), before, []) };
    r.changes.duplicate = true;
    return r;
  }
  advance(k, clock, cm.halfLife);
  advance(a, clock, cm.halfLife);

  for (const rule in a.c) {
    const v = (k.c[rule] ?? 0) + a.c[rule]!;
    if (Math.abs(v) < NEGLIGIBLE) delete k.c[rule];
    else k.c[rule] = v;
  }
  for (const rule in a.fired) k.fired[rule] = later(k.fired[rule], a.fired[rule])!;
  for (const rule in a.act) k.act[rule] = later(k.act[rule], a.act[rule])!;
  for (const rule in a.sq) k.sq[rule] = later(k.sq[rule], a.sq[rule])!;
  for (const rule in a.cap) k.cap[rule] = mergeLists(k.cap[rule] ?? [], a.cap[rule]!, cm.rules.get(rule)?.cap?.maxAwards ?? 0);
  for (const rule in a.fq) k.fq[rule] = mergeLists(k.fq[rule] ?? [], a.fq[rule]!, cm.rules.get(rule)?.frequency?.count ?? 0);
  for (const id in a.n) {
    const x = a.n[id]!;
    const y = k.n[id];
    if (typeof x === 'number') k.n[id] = (typeof y === 'number' ? y : 0) + x;
    else k.n[id] = mergeLists(Array.isArray(y) ? y : [], x, cm.counters.get(id)?.keep ?? 0);
  }
  k.tr = { ...a.tr, ...k.tr };
  k.fit = fitPoints(cm, k);
  if (a.first !== null && (k.first === null || a.first < k.first)) k.first = a.first;
  k.last = later(k.last ?? undefined, a.last ?? undefined) ?? null;
  for (const id of ringTokens(a.ids)) if (!ringHas(k.ids, id)) k.ids = ringAdd(k.ids, id, RECENT_IDS);
  for (const id of [...ringTokens(a.mg), ...(mergeId === undefined ? [] : [mergeId])]) k.mg = ringAdd(k.mg, id, MERGED_IDS);

  const awards: Award[] = [];
  fireDue(cm, k, clock, awards);
  return { state: k, changes: settle(cm, k, before, awards) };
}
