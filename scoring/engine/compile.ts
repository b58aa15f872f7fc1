import type { EventType } from '../../schema/events.ts';
import { maxCompared, type Condition, type ScoringModel } from '../../schema/model.ts';
import { compileGetter } from './event.ts';
import { idToken } from './hash.ts';
import { compileMatch, type CompiledMatch } from './rules/match.ts';
import { compilePredicate, type Test } from './rules/predicate.ts';
import { compileCondition, type CompiledCondition } from './segments.ts';

export interface CompiledRule {
  id: string;
  description: string | undefined;
  points: number;
  frequency: { count: number; within: number } | undefined;
  absence: { within: number } | undefined;
  idleFor: number | undefined;
  cap: { points: number; window: number; maxAwards: number } | undefined;
}

export interface CompiledCounter {
  id: string;
  idleFor: number | undefined;
  window: number | undefined;
  /** Windowed: timestamps kept, enough to decide every comparison the model makes on it. */
  keep: number;
}

export interface CompiledFit {
  id: string;
  description: string | undefined;
  trait: string;
  test: Test;
  points: number;
}

export interface CompiledSegment {
  id: string;
  enter: CompiledCondition;
  exit: CompiledCondition | undefined;
}

/** What an event can do to a rule or counter. */
export type Hook =
  | { kind: 'award'; order: number; match: CompiledMatch; rule: CompiledRule }
  | { kind: 'after' | 'missing'; order: number; match: CompiledMatch; rule: CompiledRule }
  | { kind: 'count'; order: number; match: CompiledMatch; counter: CompiledCounter };

/** A trait the model reads, and where it comes from. */
export interface TraitSource {
  key: string;
  from: 'identify' | 'group';
  get: (traits: Record<string, unknown>) => unknown;
}

/**
 * A model prepared for scoring: rules indexed by event type and name, regexes and globs compiled,
 * durations in ms. Build once per model (at start or on reload) and share.
 */
export interface CompiledModel {
  model: ScoringModel;
  /** `name@hash`: identifies the exact model that wrote a state. */
  key: string;
  halfLife: number;
  rules: ReadonlyMap<string, CompiledRule>;
  absenceRules: readonly CompiledRule[];
  counters: ReadonlyMap<string, CompiledCounter>;
  counterWindows: ReadonlyMap<string, number | undefined>;
  fit: readonly CompiledFit[];
  traits: readonly TraitSource[];
  segments: readonly CompiledSegment[];
  thresholds: readonly { id: string; score: number }[];
  /** The hooks an event of this type and name meets, in model order. */
  hooksFor(type: EventType, name: string | undefined): readonly Hook[];
}

/** Counter reads in segment conditions decide how many timestamps a windowed counter keeps. */
function counterNeeds(c: Condition, needs: Map<string, number>): void {
  for (const sub of [...(c.all ?? []), ...(c.any ?? []), ...(c.not ? [c.not] : [])]) counterNeeds(sub, needs);
  for (const [id, p] of Object.entries(c.counter ?? {})) needs.set(id, Math.max(needs.get(id) ?? 1, maxCompared(p)));
}

function traitKeys(c: Condition, keys: Set<string>): void {
  for (const sub of [...(c.all ?? []), ...(c.any ?? []), ...(c.not ? [c.not] : [])]) traitKeys(sub, keys);
  for (const key of Object.keys(c.trait ?? {})) keys.add(key);
}

export function compileModel(model: ScoringModel): CompiledModel {
  const rules = new Map<string, CompiledRule>();
  const hooks: Hook[] = [];
  let order = 0;
  for (const r of model.rules) {
    const rule: CompiledRule = {
      id: r.id,
      description: r.description,
      points: r.points,
      frequency: r.frequency,
      absence: r.absence ? { within: r.absence.within } : undefined,
      idleFor: r.idleFor,
      cap: r.cap ? { ...r.cap, maxAwards: Math.floor(r.cap.points / Math.abs(r.points)) } : undefined,
    };
    rules.set(r.id, rule);
    if (r.when) hooks.push({ kind: 'award', order: order++, match: compileMatch(r.when), rule });
    if (r.absence) {
      // A purchase cancels the timer before the same event could start another.
      hooks.push({ kind: 'missing', order: order++, match: compileMatch(r.absence.missing), rule });
      hooks.push({ kind: 'after', order: order++, match: compileMatch(r.absence.after), rule });
    }
  }
  const needs = new Map<string, number>();
  for (const s of model.segments) {
    counterNeeds(s.enter, needs);
    if (s.exit) counterNeeds(s.exit, needs);
  }
  const counters = new Map<string, CompiledCounter>();
  for (const c of model.counters) {
    const counter: CompiledCounter = { id: c.id, idleFor: c.idleFor, window: c.window, keep: needs.get(c.id) ?? 100 };
    counters.set(c.id, counter);
    hooks.push({ kind: 'count', order: order++, match: compileMatch(c.when), counter });
  }

  const keys = new Set([...(model.keyTraits ?? []), ...model.fit.map((f) => f.trait)]);
  for (const s of model.segments) {
    traitKeys(s.enter, keys);
    if (s.exit) traitKeys(s.exit, keys);
  }
  const traits: TraitSource[] = [...keys].map((key) =>
    key.startsWith('group.') ? { key, from: 'group', get: compileGetter(key.slice(6)) } : { key, from: 'identify', get: compileGetter(key) },
  );

  return {
    model,
    key: `${model.name}@${idToken(JSON.stringify(model))}`,
    halfLife: model.decay.halfLife,
    rules,
    absenceRules: [...rules.values()].filter((r) => r.absence),
    counters,
    counterWindows: new Map([...counters.values()].map((c) => [c.id, c.window])),
    fit: model.fit.map((f) => ({ id: f.id, description: f.description, trait: f.trait, test: compilePredicate(f.match), points: f.points })),
    traits,
    segments: model.segments.map((s) => ({ id: s.id, enter: compileCondition(s.enter), exit: s.exit ? compileCondition(s.exit) : undefined })),
    thresholds: model.thresholds.map((t) => ({ id: t.id, score: t.score })),
    hooksFor: buildIndex(hooks),
  };
}

/** type → (name → hooks incl. the type's name-less ones, and the name-less ones alone). */
function buildIndex(hooks: Hook[]): CompiledModel['hooksFor'] {
  const byType = new Map<EventType, { any: Hook[]; named: Map<string, Hook[]> }>();
  const slot = (t: EventType) => {
    let s = byType.get(t);
    if (!s) byType.set(t, (s = { any: [], named: new Map() }));
    return s;
  };
  for (const h of hooks) {
    for (const t of h.match.types) {
      const s = slot(t);
      if (h.match.names.length === 0) s.any.push(h);
      for (const n of h.match.names) s.named.set(n, [...(s.named.get(n) ?? []), h]);
    }
  }
  for (const s of byType.values()) {
    for (const [n, list] of s.named) s.named.set(n, [...list, ...s.any].sort((a, b) => a.order - b.order));
  }
  const none: Hook[] = [];
  return (type, name) => {
    const s = byType.get(type);
    if (!s) return none;
    return (name !== undefined && s.named.get(name)) || s.any;
  };
}
