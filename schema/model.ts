import { z } from 'zod';
import { EVENT_TYPES } from './events.ts';

/**
 * The scoring model file (`scoring/models/*.yaml|json`), version 1.
 *
 * Durations are strings (`'30m'`, `'24h'`, `'7d'`) parsed here into milliseconds, so the engine
 * never re-parses them. Everything the engine would otherwise discover at run time (bad regexes,
 * unknown rule or counter references, caps smaller than one award) is refused here, at load.
 *
 * @example
 * version: 1
 * name: b2b-saas
 * decay: { halfLife: 14d }
 * rules:
 *   - id: pricing-page
 *     when: { path: '/pricing*' }
 *     points: 10
 *     cap: { points: 30, window: 24h }
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;

/** `'90s'`, `'30m'`, `'24h'`, `'7d'`, `'2w'` → milliseconds; `undefined` when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNITS[m[2] ?? ''] ?? Number.NaN);
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

/** A duration string, as milliseconds once parsed. Up to ten years. */
export const Duration = z
  .string({ error: "expected a duration like '30m', '24h' or '7d'" })
  .refine((s) => {
    const ms = parseDuration(s);
    return ms !== undefined && ms <= 10 * 365 * 86_400_000;
  }, "expected a duration like '30m', '24h' or '7d' (units ms, s, m, h, d, w; at most 10 years)")
  .transform((s) => parseDuration(s) ?? 0);

const Id = z
  .string({ error: 'expected an id (string)' })
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/i, 'ids are 1–64 letters, digits, _ . - (starting with a letter or digit)');

export type Scalar = string | number | boolean;
const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const ScalarValue = z.custom<Scalar>(isScalar, { message: 'expected a string, number or boolean' });

const OPERATORS = ['equals', 'notEquals', 'in', 'notIn', 'gt', 'gte', 'lt', 'lte', 'exists', 'regex'] as const;

const PredicateObject = z
  .strictObject({
    equals: ScalarValue.optional(),
    notEquals: ScalarValue.optional(),
    in: z.array(ScalarValue).min(1).max(1_000).optional(),
    notIn: z.array(ScalarValue).min(1).max(1_000).optional(),
    gt: z.number().finite().optional(),
    gte: z.number().finite().optional(),
    lt: z.number().finite().optional(),
    lte: z.number().finite().optional(),
    exists: z.boolean().optional(),
    regex: z.string().max(1_000).optional(),
    /** Regex flags: i, m, s, u only (never g/y: they make `test` stateful). */
    flags: z.string().regex(/^[imsu]*$/, 'regex flags may only be i, m, s, u').optional(),
  })
  .superRefine((p, ctx) => {
    if (!OPERATORS.some((op) => p[op] !== undefined)) {
      ctx.addIssue({ code: 'custom', message: `expected at least one of ${OPERATORS.join(', ')}` });
    }
    if (p.flags !== undefined && p.regex === undefined) {
      ctx.addIssue({ code: 'custom', path: ['flags'], message: 'flags only apply to regex' });
    }
    if (p.regex !== undefined) {
      try {
        new RegExp(p.regex, p.flags);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['regex'], message: `invalid regex: ${(err as Error).message}` });
      }
    }
  });

/**
 * A test on one value. A bare scalar is shorthand for `{ equals: scalar }`; several operators
 * in one object must all hold. Numeric operators accept numeric strings (`"19.99"`).
 */
export const Predicate = z.preprocess((v) => (isScalar(v) ? { equals: v } : v), PredicateObject);
export type Predicate = z.infer<typeof Predicate>;

/** A test on a number (score, counter): comparisons only. */
export const NumberPredicate = z
  .strictObject({
    equals: z.number().finite().optional(),
    in: z.array(z.number().finite()).min(1).max(1_000).optional(),
    gt: z.number().finite().optional(),
    gte: z.number().finite().optional(),
    lt: z.number().finite().optional(),
    lte: z.number().finite().optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'expected at least one of equals, in, gt, gte, lt, lte');
export type NumberPredicate = z.infer<typeof NumberPredicate>;

const EventTypeName = z.enum(EVENT_TYPES);
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (Array.isArray(v) ? v : v === undefined ? v : [v]), z.array(item).min(1).max(500));
const Name = z.string().min(1).max(512);
const PathGlob = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[/*]/, "page path patterns start with '/' or '*' (e.g. '/pricing*')");

/**
 * Which events a rule or counter looks at. `event` (a track event name) implies `type: track`;
 * `path` (a page path glob: `*` any characters, `?` one) implies `type: page`; `name` (a page or
 * screen name) implies `type: [page, screen]`. Property keys may be dot paths (`product.price`).
 */
export const EventMatch = z
  .strictObject({
    type: oneOrMany(EventTypeName).optional(),
    event: oneOrMany(Name).optional(),
    name: oneOrMany(Name).optional(),
    path: oneOrMany(PathGlob).optional(),
    properties: z.record(z.string().min(1).max(256), Predicate).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.event && m.name) ctx.addIssue({ code: 'custom', path: ['name'], message: 'use event (track) or name (page/screen), not both' });
    if (m.type && m.event && !m.type.includes('track')) {
      ctx.addIssue({ code: 'custom', path: ['event'], message: 'event names only apply to type track' });
    }
    if (m.type && m.name && !m.type.some((t) => t === 'page' || t === 'screen')) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'name only applies to type page or screen' });
    }
    if (m.type && m.path && !m.type.includes('page')) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'path only applies to type page' });
    }
  });
export type EventMatch = z.infer<typeof EventMatch>;

const Cap = z.strictObject({ points: z.number().positive().finite(), window: Duration });

/**
 * A behaviour rule: `points` (negative allowed) for each matching event (`when`), or for each
 * `frequency.count` matching events within `frequency.within` (the counted events are then used
 * up), or once `absence.within` passes after an `absence.after` event with no `absence.missing`
 * event (a timer: cart abandonment). `idleFor` awards only when the user had been seen before and
 * silent that long since (a returning visit). `cap` bounds the points the rule awards within any sliding window.
 */
export const Rule = z
  .strictObject({
    id: Id,
    description: z.string().max(500).optional(),
    points: z.number().finite().refine((p) => p !== 0, 'points must not be 0'),
    when: EventMatch.optional(),
    frequency: z.strictObject({ count: z.int().min(2).max(100), within: Duration }).optional(),
    absence: z.strictObject({ after: EventMatch, missing: EventMatch, within: Duration }).optional(),
    idleFor: Duration.optional(),
    cap: Cap.optional(),
  })
  .superRefine((r, ctx) => {
    if (!r.when === !r.absence) ctx.addIssue({ code: 'custom', message: 'a rule needs exactly one of when or absence' });
    if (r.frequency && !r.when) ctx.addIssue({ code: 'custom', path: ['frequency'], message: 'frequency needs when' });
    if (r.idleFor !== undefined && !r.when) ctx.addIssue({ code: 'custom', path: ['idleFor'], message: 'idleFor needs when' });
    if (r.cap) {
      const awards = r.cap.points / Math.abs(r.points);
      if (awards < 1) ctx.addIssue({ code: 'custom', path: ['cap', 'points'], message: `cap must be at least |points| (${Math.abs(r.points)})` });
      if (awards > 1_000) ctx.addIssue({ code: 'custom', path: ['cap', 'points'], message: 'cap allows over 1000 awards per window; use a shorter window or no cap' });
    }
  });
export type Rule = z.infer<typeof Rule>;

/**
 * A fit rule: points while a trait matches. Traits come from identify (`title`, `company.size`,
 * survey answers such as `survey.timeline`) and, prefixed `group.`, from group calls
 * (`group.industry`). Fit points do not decay; they are reported apart from behaviour.
 */
export const FitRule = z.strictObject({
  id: Id,
  description: z.string().max(500).optional(),
  trait: z.string().min(1).max(256),
  match: Predicate,
  points: z.number().finite(),
});
export type FitRule = z.infer<typeof FitRule>;

/** A named count of matching events, lifetime or within a sliding `window`, for segment conditions. */
export const Counter = z.strictObject({
  id: Id,
  description: z.string().max(500).optional(),
  when: EventMatch,
  /** Count only a user's first event and events after this much silence (sessions/visits). */
  idleFor: Duration.optional(),
  window: Duration.optional(),
});
export type Counter = z.infer<typeof Counter>;

const Recency = z
  .strictObject({ within: Duration.optional(), notWithin: Duration.optional() })
  .refine((r) => (r.within === undefined) !== (r.notWithin === undefined), 'expected exactly one of within, notWithin');
const RuleState = z
  .strictObject({ firedWithin: Duration.optional(), active: z.boolean().optional() })
  .refine((r) => (r.firedWithin === undefined) !== (r.active === undefined), 'expected exactly one of firedWithin, active');

/** A segment condition: one key per object; combine with all / any / not. */
export interface Condition {
  all?: Condition[] | undefined;
  any?: Condition[] | undefined;
  not?: Condition | undefined;
  /** Total score (behaviour with decay + fit). */
  score?: NumberPredicate | undefined;
  behaviour?: NumberPredicate | undefined;
  fit?: NumberPredicate | undefined;
  trait?: Record<string, Predicate> | undefined;
  counter?: Record<string, NumberPredicate> | undefined;
  lastSeen?: { within?: number | undefined; notWithin?: number | undefined } | undefined;
  firstSeen?: { within?: number | undefined; notWithin?: number | undefined } | undefined;
  /** `firedWithin`: the rule awarded (or was capped) that recently; `active`: an absence rule fired and was not resolved since. */
  rule?: Record<string, { firedWithin?: number | undefined; active?: boolean | undefined }> | undefined;
}
const CONDITION_KEYS = ['all', 'any', 'not', 'score', 'behaviour', 'fit', 'trait', 'counter', 'lastSeen', 'firstSeen', 'rule'] as const;

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z
    .strictObject({
      all: z.array(Condition).min(1).optional(),
      any: z.array(Condition).min(1).optional(),
      not: Condition.optional(),
      score: NumberPredicate.optional(),
      behaviour: NumberPredicate.optional(),
      fit: NumberPredicate.optional(),
      trait: z.record(z.string().min(1).max(256), Predicate).optional(),
      counter: z.record(Id, NumberPredicate).optional(),
      lastSeen: Recency.optional(),
      firstSeen: Recency.optional(),
      rule: z.record(Id, RuleState).optional(),
    })
    .refine((c) => CONDITION_KEYS.filter((k) => c[k] !== undefined).length === 1, `expected exactly one of ${CONDITION_KEYS.join(', ')}`),
);

/** A segment: users enter when `enter` holds and leave when `exit` holds (default: when `enter` no longer holds). */
export const Segment = z.strictObject({
  id: Id,
  name: z.string().max(200).optional(),
  description: z.string().max(500).optional(),
  enter: Condition,
  exit: Condition.optional(),
});
export type Segment = z.infer<typeof Segment>;

/** Crossing a threshold's score, up or down, produces a signal. */
export const Threshold = z.strictObject({ id: Id, score: z.number().finite(), description: z.string().max(500).optional() });
export type Threshold = z.infer<typeof Threshold>;

/**
 * How the dashboards read the data (not scoring): the track event that counts as a conversion and the
 * properties holding its revenue, first present wins. Optional so model files without it still load;
 * read it through {@link analyticsOf}, which fills the defaults.
 */
export const Analytics = z.strictObject({
  conversionEvent: Name.default('Subscription Started'),
  revenueProperties: z.array(z.string().min(1).max(256)).min(1).max(10).default(['revenue', 'total', 'value']),
});
export type Analytics = z.infer<typeof Analytics>;

export const DEFAULT_ANALYTICS: Analytics = { conversionEvent: 'Subscription Started', revenueProperties: ['revenue', 'total', 'value'] };

/**
 * The model's analytics settings, defaults filled. The block stays `undefined` when absent (rather than
 * defaulted by the schema) so a model without it compiles to the same model key as before it existed.
 */
export const analyticsOf = (model: Pick<ScoringModel, 'analytics'>): Analytics => model.analytics ?? DEFAULT_ANALYTICS;

export const MODEL_VERSION = 1;

export const ScoringModel = z
  .strictObject({
    version: z.literal(MODEL_VERSION, { error: `unsupported model version; this build reads version ${MODEL_VERSION}` }),
    name: Id,
    description: z.string().max(2_000).optional(),
    decay: z.strictObject({ halfLife: Duration }),
    /** Events from user agents recognised as bots score nothing (default true). */
    ignoreBots: z.boolean().default(true),
    rules: z.array(Rule).max(500).default([]),
    fit: z.array(FitRule).max(500).default([]),
    counters: z.array(Counter).max(100).default([]),
    segments: z.array(Segment).max(200).default([]),
    thresholds: z.array(Threshold).max(20).default([]),
    analytics: Analytics.optional(),
    /**
     * Traits a sales rep needs beside a score (company, title, country…): kept in the score state and sent
     * with every signal even when no rule reads them. `group.` reads the group call's traits.
     */
    keyTraits: z.array(z.string().min(1).max(256)).max(20).optional(),
  })
  .superRefine((m, ctx) => {
    const unique = (key: 'rules' | 'fit' | 'counters' | 'segments' | 'thresholds', ids: string[]) => {
      const seen = new Set<string>();
      ids.forEach((id, i) => {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [key, i, 'id'], message: `duplicate id '${id}'` });
        seen.add(id);
      });
    };
    unique('rules', [...m.rules.map((r) => r.id)]);
    const ruleIds = new Set(m.rules.map((r) => r.id));
    m.fit.forEach((f, i) => {
      if (ruleIds.has(f.id)) ctx.addIssue({ code: 'custom', path: ['fit', i, 'id'], message: `id '${f.id}' is already a rule id` });
    });
    unique('fit', m.fit.map((r) => r.id));
    unique('counters', m.counters.map((c) => c.id));
    unique('segments', m.segments.map((s) => s.id));
    unique('thresholds', m.thresholds.map((t) => t.id));
    m.thresholds.forEach((t, i) => {
      const prev = m.thresholds[i - 1];
      if (prev && prev.score >= t.score) ctx.addIssue({ code: 'custom', path: ['thresholds', i, 'score'], message: 'thresholds must be in increasing score order' });
    });
    const counters = new Map(m.counters.map((c) => [c.id, c]));
    const rules = new Map(m.rules.map((r) => [r.id, r]));
    const check = (c: Condition, path: (string | number)[]): void => {
      c.all?.forEach((s, i) => check(s, [...path, 'all', i]));
      c.any?.forEach((s, i) => check(s, [...path, 'any', i]));
      if (c.not) check(c.not, [...path, 'not']);
      for (const [id, p] of Object.entries(c.counter ?? {})) {
        const counter = counters.get(id);
        if (!counter) ctx.addIssue({ code: 'custom', path: [...path, 'counter', id], message: `unknown counter '${id}'` });
        else if (counter.window !== undefined && maxCompared(p) > 1_000) {
          ctx.addIssue({ code: 'custom', path: [...path, 'counter', id], message: 'windowed counters compare against at most 1000' });
        }
      }
      for (const [id, s] of Object.entries(c.rule ?? {})) {
        const rule = rules.get(id);
        if (!rule) ctx.addIssue({ code: 'custom', path: [...path, 'rule', id], message: `unknown rule '${id}'` });
        else if (s.active !== undefined && !rule.absence) {
          ctx.addIssue({ code: 'custom', path: [...path, 'rule', id, 'active'], message: 'active only applies to absence rules' });
        }
      }
    };
    m.segments.forEach((s, i) => {
      check(s.enter, ['segments', i, 'enter']);
      if (s.exit) check(s.exit, ['segments', i, 'exit']);
    });
  });
export type ScoringModel = z.infer<typeof ScoringModel>;

/** The largest number a predicate compares with, plus one: how far a count must be exact to decide it. */
export function maxCompared(p: NumberPredicate): number {
  const values = [p.equals, p.gt, p.gte, p.lt, p.lte, ...(p.in ?? [])].filter((v): v is number => v !== undefined);
  return values.length === 0 ? 0 : Math.max(...values) + 1;
}
