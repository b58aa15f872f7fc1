import type { EventType } from '../../schema/events.ts';
import { parseModel } from '../model/load.ts';
import { compileModel, type CompiledModel } from './compile.ts';
import type { ScorableEvent } from './event.ts';
import { applyEvent } from './apply.ts';
import type { ScoreChanges } from './changes.ts';
import type { ScoreState } from './state.ts';

/** Test helpers: a fixed epoch and builders for models and events. */
export const T0 = Date.parse('2026-01-05T09:00:00.000Z');
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** Compiles a model from YAML; `version`, `name` and `decay` default for brevity. */
export function model(yaml: string, halfLife = '7d'): CompiledModel {
  const body = /^version:/m.test(yaml) ? yaml : `version: 1\nname: test\ndecay: { halfLife: ${halfLife} }\n${yaml}`;
  return compileModel(parseModel(body, 'test.yaml'));
}

let seq = 0;
function ev(type: EventType, at: number, event: Record<string, unknown>, messageId?: string): ScorableEvent {
  return { messageId: messageId ?? `m-${++seq}`, type, timestamp: new Date(at).toISOString(), event: { type, ...event } };
}

export const track = (name: string, at: number, properties: Record<string, unknown> = {}, messageId?: string) =>
  ev('track', at, { event: name, properties }, messageId);
export const page = (path: string, at: number, properties: Record<string, unknown> = {}) => ev('page', at, { properties: { path, ...properties } });
export const identify = (traits: Record<string, unknown>, at: number) => ev('identify', at, { traits });
export const group = (traits: Record<string, unknown>, at: number) => ev('group', at, { groupId: 'g1', traits });

/** Applies events in order, each at its own time as `now` (a live scorer keeping up). */
export function run(cm: CompiledModel, events: ScorableEvent[], state?: ScoreState): { state: ScoreState | undefined; changes: ScoreChanges[] } {
  const changes: ScoreChanges[] = [];
  let s = state;
  for (const e of events) {
    const r = applyEvent(cm, s, e, Date.parse(e.timestamp));
    s = r.state;
    changes.push(r.changes);
  }
  return { state: s, changes };
}
