import type { Award, ScoreChanges } from './changes.ts';
import { contributions, settle, TOP, viewOf } from './changes.ts';
import type { CompiledModel } from './compile.ts';
import { advance, behaviourAt, round4 } from './decay.ts';
import { EventView, eventTime, type ScorableEvent } from './event.ts';
import { idToken, ringAdd, ringHas } from './hash.ts';
import { reconcile, freshState } from './reconcile.ts';
import { count, countTowards } from './rules/award.ts';
import { fireDue, onAfter, onMissing } from './sequence.ts';
import { cloneState, RECENT_IDS, type ScoreState } from './state.ts';
import { applyTraits } from './traits.ts';

/** Events that show the person active (last seen, idle time); identify, group and alias calls do not. */
const ACTIVITY: ReadonlySet<string> = new Set(['page', 'screen', 'track']);

export interface ScoreResult {
  state: ScoreState;
  changes: ScoreChanges;
}

/**
 * Applies one event to a user's state (undefined: a new user) and says what changed. Pure: the
 * input state is not modified. Time is the event's (skew-corrected) time, capped at `now`; events
 * arriving late are scored at their own time (points decayed accordingly). A messageId already
 * among the user's recent ones is a duplicate: the input state is returned as is.
 *
 * @example
 * const cm = compileModel(await loadModelFile('scoring/models/b2b-saas.yaml'));
 * const { state, changes } = applyEvent(cm, stored, logEntry, Date.now());
 * if (!changes.duplicate) await casWrite(state); // then signals from changes.entered/exited/crossings
 */
export function applyEvent(cm: CompiledModel, state: ScoreState | undefined, e: ScorableEvent, now: number): ScoreResult {
  const at = eventTime(e, now);
  if (cm.model.ignoreBots && e.ua?.isBot) return unchanged(cm, state ?? freshState(cm, at), { ignored: 'bot' });
  const id = idToken(e.messageId);
  if (state && ringHas(state.ids, id)) return unchanged(cm, state, { duplicate: true });

  const s = state ? cloneState(state) : freshState(cm, at);
  const { clock, before, awards } = catchUp(cm, s, at);

  const ev = new EventView(e);
  if (e.type === 'identify' || e.type === 'group') applyTraits(cm, s, e.type, ev.traits);
  // Idle time is since the last activity (page, screen, track): an identify or group call sent at
  // the start of a visit must not hide that visit from `idleFor` rules and counters.
  const prevLast = s.last;
  const idle = prevLast === null ? -1 : at - prevLast;
  for (const hook of cm.hooksFor(e.type, ev.name)) {
    if (!hook.match.test(ev)) continue;
    switch (hook.kind) {
      case 'award':
        if (hook.rule.idleFor === undefined || idle >= hook.rule.idleFor) countTowards(cm, s, hook.rule, at, awards);
        break;
      case 'after':
        onAfter(s, hook.rule, at);
        break;
      case 'missing':
        onMissing(s, hook.rule, at);
        break;
      case 'count':
        if (hook.counter.idleFor === undefined || prevLast === null || idle >= hook.counter.idleFor) count(s, hook.counter, at);
        break;
    }
  }
  // A late `after` event may already be past its timer.
  fireDue(cm, s, clock, awards);

  if (s.first === null || at < s.first) s.first = at;
  if (ACTIVITY.has(e.type) && (s.last === null || at > s.last)) s.last = at;
  s.ids = ringAdd(s.ids, id, RECENT_IDS);
  return { state: s, changes: settle(cm, s, before, awards) };
}

/**
 * Runs what time alone changes for a user at `now`: absence timers that came due, and segment
 * exits or threshold crossings caused by decay or expiring windows. Call it at `changes.nextDueAt`.
 */
export function applyDue(cm: CompiledModel, state: ScoreState, now: number): ScoreResult {
  const s = cloneState(state);
  const { before, awards } = catchUp(cm, s, now);
  return { state: s, changes: settle(cm, s, before, awards) };
}

/**
 * Brings a (cloned) state to time `to`: prunes what the model no longer knows, decays it and fires
 * the timers that fell due on the way. Returns the clock, the score just before, and the awards so far.
 */
function catchUp(cm: CompiledModel, s: ScoreState, to: number): { clock: number; before: number; awards: Award[] } {
  reconcile(cm, s);
  const clock = Math.max(s.t, to);
  const before = behaviourAt(s, clock, cm.halfLife) + s.fit;
  advance(s, clock, cm.halfLife);
  const awards: Award[] = [];
  fireDue(cm, s, clock, awards);
  return { clock, before, awards };
}

function unchanged(cm: CompiledModel, s: ScoreState, why: { duplicate: true } | { ignored: 'bot' }): ScoreResult {
  const score = round4(viewOf(cm, s).behaviour + s.fit);
  return {
    state: s,
    changes: {
      duplicate: 'duplicate' in why,
      ...('ignored' in why ? { ignored: why.ignored } : {}),
      at: s.t,
      scoreBefore: score,
      scoreAfter: score,
      awards: [],
      entered: [],
      exited: [],
      crossings: [],
      top: contributions(cm, s, TOP),
      nextDueAt: null,
    },
  };
}
