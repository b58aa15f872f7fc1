import { z } from 'zod';
import { FeedCursor } from './feed.ts';
import { Signal } from './signal.ts';

/**
 * Wire format of the dashboards' read API (`/api/*`, secret keys only): the server builds these, the
 * front end (dashboards/) is typed against them. Every string that comes from events (event names,
 * paths, trait keys and values, user ids) is attacker-controlled: the front end renders it as text only.
 *
 * Time ranges are `from`/`to` ISO instants (UTC); days are UTC calendar days as `YYYY-MM-DD`, which the
 * front end labels in the viewer's zone.
 */

const IsoTime = z.string();
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

// ── query strings ─────────────────────────────────────────────────────────────────────────────

/** Shared analytics query: a time window (default: the last 30 days) and the conversion event. */
export const AnalyticsQuery = z.object({
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  /** The track event counted as a conversion (default: the model's `analytics.conversionEvent`). */
  conversion: z.string().min(1).max(200).optional(),
});
export type AnalyticsQuery = z.infer<typeof AnalyticsQuery>;

/** `GET /api/compare?segments=a,b[,c]` plus the analytics query. */
export const CompareQuery = AnalyticsQuery.extend({
  segments: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(1).max(200)).min(2, 'pick 2 or 3 segments').max(3, 'pick 2 or 3 segments')),
});
export type CompareQuery = z.infer<typeof CompareQuery>;

// ── segments ──────────────────────────────────────────────────────────────────────────────────

/**
 * KPIs of a set of users over the window. Members are the users in the segment at any time within
 * the window; conversions count the conversion event after the user's (first) entry in the window.
 */
export const SegmentKpis = z.object({
  /** Users counted (members in the window). */
  users: z.number().int().nonnegative(),
  /** Members with at least one conversion event after entering. */
  converted: z.number().int().nonnegative(),
  /** converted / users, 0..1 (0 when no users). */
  conversionRate: z.number(),
  /** Median time from entering to the first conversion after it, in seconds; null when none converted (and for the everyone baseline, which has no entry). */
  medianSecondsToConvert: z.number().nullable(),
  /** Events per member in the window. */
  eventsPerUser: z.number(),
  /** Sessions (30 minutes of silence starts a new one) per member in the window. */
  sessionsPerUser: z.number(),
  /** Sum of the conversion events' `revenue` (else `total`, else `value`) property per member. */
  revenuePerUser: z.number(),
});
export type SegmentKpis = z.infer<typeof SegmentKpis>;

/** A segment as the model defines it, with its size now and activity in the window. */
export const SegmentSummary = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  /** Members now (last change per user is an entry). */
  size: z.number().int().nonnegative(),
  entered: z.number().int().nonnegative(),
  exited: z.number().int().nonnegative(),
  kpis: SegmentKpis,
});
export type SegmentSummary = z.infer<typeof SegmentSummary>;

/** What every analytics answer starts with: the window it covers and the conversion event it counted. */
const AnalyticsAnswer = z.object({ from: IsoTime, to: IsoTime, conversionEvent: z.string() });

/** `GET /api/segments` */
export const SegmentsResponse = AnalyticsAnswer.extend({
  segments: z.array(SegmentSummary),
  /** The same KPIs over every user seen in the window, as the baseline. */
  everyone: SegmentKpis,
});
export type SegmentsResponse = z.infer<typeof SegmentsResponse>;

/** `GET /api/segments/:id` */
export const SegmentDetailResponse = AnalyticsAnswer.extend({
  segment: SegmentSummary.extend({
    /** The model's definition (enter / exit conditions) as JSON, for display. */
    definition: z.unknown(),
  }),
  /** One point per UTC day of the window: members at the end of the day, entries and exits that day. */
  days: z.array(z.object({ day: Day, size: z.number().int(), entered: z.number().int(), exited: z.number().int() })),
  /** Most recent entries and exits, newest first (at most 50). */
  recent: z.array(z.object({ userKey: z.string(), change: z.enum(['entered', 'exited']), at: IsoTime, score: z.number() })),
});
export type SegmentDetailResponse = z.infer<typeof SegmentDetailResponse>;

// ── compare ───────────────────────────────────────────────────────────────────────────────────

/**
 * An item (event name, page path, trait value) and how over-represented it is in each compared
 * segment: `share[i]` = fraction of segment i's members who have it; `lift[i]` = share[i] divided by
 * the share among the members of the other compared segments (null when that share is 0).
 */
export const CompareItem = z.object({
  key: z.string(),
  share: z.array(z.number()),
  lift: z.array(z.number().nullable()),
});
export type CompareItem = z.infer<typeof CompareItem>;

/** `GET /api/compare` — items sorted by their highest lift, at most 20 per list per segment. */
export const CompareResponse = AnalyticsAnswer.extend({
  segments: z.array(z.object({ id: z.string(), name: z.string(), kpis: SegmentKpis })),
  events: z.array(CompareItem),
  pages: z.array(CompareItem),
  /** `key` is `trait=value` from the members' latest identify traits. */
  traits: z.array(CompareItem),
});
export type CompareResponse = z.infer<typeof CompareResponse>;

// ── profiles ──────────────────────────────────────────────────────────────────────────────────

/** `GET /api/profiles/:userId/history?days=30` query: the days of history (1-365). */
export const HistoryQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(30) });
export type HistoryQuery = z.infer<typeof HistoryQuery>;

/** `GET /api/profiles/:userId/history?days=30` — score and segment history from ClickHouse. */
export const ProfileHistoryResponse = z.object({
  userKey: z.string(),
  /** Score after each change, oldest first (at most 2,000 points; older ones thinned). */
  scores: z.array(z.object({ at: IsoTime, score: z.number() })),
  segments: z.array(z.object({ segment: z.string(), change: z.enum(['entered', 'exited']), at: IsoTime, score: z.number() })),
});
export type ProfileHistoryResponse = z.infer<typeof ProfileHistoryResponse>;

// ── setup ─────────────────────────────────────────────────────────────────────────────────────

/** A workspace key as listed. Write keys are public (they ship in pages) and shown whole; secret keys only by a hint. */
export const KeyInfo = z.object({
  id: z.string(),
  kind: z.enum(['write', 'secret']),
  /** The whole key for write keys; `sk_abcd…` for secret keys. */
  display: z.string(),
  label: z.string().nullable(),
  createdAt: IsoTime.nullable(),
});
export type KeyInfo = z.infer<typeof KeyInfo>;

/** `GET /api/keys` */
export const KeysResponse = z.object({ keys: z.array(KeyInfo) });
export type KeysResponse = z.infer<typeof KeysResponse>;

/** `POST /api/keys` body. */
export const CreateKeyRequest = z.strictObject({ kind: z.enum(['write', 'secret']), label: z.string().min(1).max(100).optional() });
export type CreateKeyRequest = z.infer<typeof CreateKeyRequest>;

/** `POST /api/keys` answer: the only time a secret key is shown whole. */
export const CreatedKeyResponse = z.object({ key: z.string(), info: KeyInfo });
export type CreatedKeyResponse = z.infer<typeof CreatedKeyResponse>;

/** `GET /api/workspace` — the workspace the secret key belongs to. */
export const WorkspaceResponse = z.object({ id: z.string(), name: z.string(), createdAt: IsoTime.nullable() });
export type WorkspaceResponse = z.infer<typeof WorkspaceResponse>;

/** `GET /api/model` — the active scoring model, read-only. */
export const ModelResponse = z.object({
  name: z.string(),
  generation: z.number().int(),
  conversionEvent: z.string(),
  /** The model file's content as parsed (rules, fit, counters, segments, thresholds, decay). */
  model: z.unknown(),
});
export type ModelResponse = z.infer<typeof ModelResponse>;

// ── live feed backlog ─────────────────────────────────────────────────────────────────────────

/**
 * `GET /api/signals?limit=50` — the latest signals, newest first, and the feed cursor just after the
 * newest one read: subscribing to `/ws/feed` with `since: cursor` continues without gap or duplicate.
 */
export const SignalsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
export type SignalsQuery = z.infer<typeof SignalsQuery>;

export const RecentSignalsResponse = z.object({ signals: z.array(Signal), cursor: FeedCursor });
export type RecentSignalsResponse = z.infer<typeof RecentSignalsResponse>;
