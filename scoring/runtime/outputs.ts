import { createHash } from 'node:crypto';
import type { Signal } from '../../schema/signal.ts';
import type { ScoreChanges, ScoreState } from '../engine/index.ts';

/** The event behind a change; absent for timers. */
export interface Trigger {
  messageId: string;
  type: string;
  name: string | null;
  timestamp: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** ClickHouse DateTime64(3) text in UTC. */
const chTime = (ms: number) => {
  const t = iso(ms);
  return `${t.slice(0, 10)} ${t.slice(11, 23)}`;
};

/** A signal's id: derived from what caused it, so a replay re-emits the same one. */
const signalId = (ws: string, userKey: string, cause: string, ...parts: string[]) =>
  createHash('sha1').update([ws, userKey, cause, ...parts].join('\n')).digest('hex');

/**
 * Signals for one engine call: every segment entry/exit and threshold crossing. Ids derive from
 * what caused them, so a re-run after a crash re-emits the same ids (receivers dedupe on them).
 * Most calls change no segment and cross no threshold: they return at once, allocating nothing.
 */
export function signalsOf(ws: string, userKey: string, changes: ScoreChanges, state: ScoreState, trigger: Trigger | undefined): Signal[] {
  if (changes.entered.length === 0 && changes.exited.length === 0 && changes.crossings.length === 0) return [];
  const cause = trigger?.messageId ?? `due:${changes.at}`;
  const base = {
    v: 1 as const,
    workspaceId: ws,
    userKey,
    score: changes.scoreAfter,
    reasons: changes.top,
    traits: state.tr,
    ...(trigger ? { trigger } : {}),
    at: iso(changes.at),
  };
  const out: Signal[] = [];
  for (const segment of changes.entered) out.push({ ...base, id: signalId(ws, userKey, cause, 'in', segment), kind: 'segment.entered', segment });
  for (const segment of changes.exited) out.push({ ...base, id: signalId(ws, userKey, cause, 'out', segment), kind: 'segment.exited', segment });
  for (const c of changes.crossings) {
    out.push({ ...base, id: signalId(ws, userKey, cause, 'x', c.threshold, c.direction), kind: 'threshold.crossed', threshold: c.threshold, direction: c.direction, score: c.score });
  }
  return out;
}

/** One `score_changes` row (JSONEachRow) when the call moved the score or awarded points. */
export function scoreRowOf(ws: string, userKey: string, changes: ScoreChanges, trigger: Trigger | undefined, model: string): string | undefined {
  if (changes.awards.length === 0 && changes.entered.length === 0 && changes.exited.length === 0 && changes.scoreAfter === changes.scoreBefore) {
    return undefined;
  }
  return JSON.stringify({
    workspace_id: ws,
    user_key: userKey,
    at: chTime(changes.at),
    message_id: trigger?.messageId ?? '',
    model,
    score_before: changes.scoreBefore,
    score_after: changes.scoreAfter,
    awards: JSON.stringify(changes.awards.map(({ rule, points, capped }) => (capped ? { rule, points, capped } : { rule, points }))),
    entered: changes.entered,
    exited: changes.exited,
  });
}
