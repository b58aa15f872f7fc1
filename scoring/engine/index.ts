/**
 * The scoring engine: pure functions over a compact per-user state, shared by the live scorer and
 * `rescore`. No I/O; the caller loads the state, calls one function, writes the state back
 * (compare-and-set) and turns `changes` into signals.
 */
export { applyDue, applyEvent, type ScoreResult } from './apply.ts';
export type { Award, Contribution, Crossing, ScoreChanges } from './changes.ts';
export { compileModel, type CompiledModel } from './compile.ts';
export { eventTime, type ScorableEvent } from './event.ts';
export { explain, type Explanation } from './explain.ts';
export { mergeProfiles } from './merge.ts';
export { freshState } from './reconcile.ts';
export { STATE_VERSION, type ScoreState } from './state.ts';
