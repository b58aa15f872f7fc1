import { z } from 'zod';

/** Segment's limits: one event's JSON, and one batch request body. */
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
/** Deeper JSON than this is refused: nothing legitimate nests so far, and parsers downstream recurse. */
export const MAX_EVENT_DEPTH = 32;

const Id = z.union([z.string().min(1).max(512), z.number().finite()]).transform(String);
/** The id fields a client may send as numbers; the collector stores them as strings (`Id`'s transform). */
export const ID_FIELDS = ['userId', 'anonymousId', 'groupId', 'previousId'] as const;

/** A JSON object (not an array, not null). */
export const isJsonObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/**
 * Open objects (properties, traits, context…) are kept whole; only their shape as an object is checked
 * (no copy, no walk over their keys: the collector serialises the client's own object).
 */
const Bag = z.custom<Record<string, unknown>>(isJsonObject, { error: 'Invalid input: expected object' });
const Time = z.union([z.iso.datetime({ offset: true, local: true }), z.iso.date()]);

const Common = {
  messageId: z.string().min(1).max(512).optional(),
  userId: Id.nullish(),
  anonymousId: Id.nullish(),
  timestamp: Time.optional(),
  originalTimestamp: Time.optional(),
  sentAt: Time.optional(),
  context: Bag.optional(),
  integrations: Bag.optional(),
  writeKey: z.string().optional(),
};

export const TrackEvent = z.looseObject({
  ...Common,
  type: z.literal('track'),
  event: z.string().min(1).max(512),
  properties: Bag.optional(),
});
export type TrackEvent = z.infer<typeof TrackEvent>;

export const PageEvent = z.looseObject({
  ...Common,
  type: z.literal('page'),
  name: z.string().max(512).nullish(),
  category: z.string().max(512).nullish(),
  properties: Bag.optional(),
});
export type PageEvent = z.infer<typeof PageEvent>;

export const ScreenEvent = z.looseObject({
  ...Common,
  type: z.literal('screen'),
  name: z.string().max(512).nullish(),
  properties: Bag.optional(),
});
export type ScreenEvent = z.infer<typeof ScreenEvent>;

export const IdentifyEvent = z.looseObject({
  ...Common,
  type: z.literal('identify'),
  traits: Bag.optional(),
});
export type IdentifyEvent = z.infer<typeof IdentifyEvent>;

export const GroupEvent = z.looseObject({
  ...Common,
  type: z.literal('group'),
  groupId: Id,
  traits: Bag.optional(),
});
export type GroupEvent = z.infer<typeof GroupEvent>;

export const AliasEvent = z.looseObject({
  ...Common,
  type: z.literal('alias'),
  previousId: Id,
  userId: Id,
});
export type AliasEvent = z.infer<typeof AliasEvent>;

/**
 * One Segment event as the HTTP Tracking API accepts it. Every event also needs
 * `userId` or `anonymousId` (checked here, so the error names it).
 */
export const SegmentEvent = z
  .discriminatedUnion('type', [TrackEvent, PageEvent, ScreenEvent, IdentifyEvent, GroupEvent, AliasEvent])
  .refine((e) => e.userId != null || e.anonymousId != null, {
    message: 'userId or anonymousId is required',
    path: ['userId'],
  });
export type SegmentEvent = z.infer<typeof SegmentEvent>;
export type EventType = SegmentEvent['type'];

export const EVENT_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const satisfies readonly EventType[];

/**
 * The batch envelope of `POST /v1/batch`. Events stay `unknown` here: each is validated on its own
 * so that one bad event does not sink its valid neighbours.
 */
export const BatchEnvelope = z.looseObject({
  batch: z.array(z.unknown()).min(1, 'batch must hold at least one event').max(10_000),
  writeKey: z.string().optional(),
  sentAt: Time.optional(),
  context: Bag.optional(),
  integrations: Bag.optional(),
});
export type BatchEnvelope = z.infer<typeof BatchEnvelope>;

/** The body of a single-event path (`/v1/track` …): the event itself, its `type` implied by the path. */
export const SingleBody = z.looseObject({ writeKey: z.string().optional() });
