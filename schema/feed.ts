import { z } from 'zod';
import { Signal, SignalKind } from './signal.ts';

/**
 * Wire format of the live feed (`GET /ws/feed`): JSON text frames, each a message discriminated on `type`.
 *
 * A cursor is opaque to clients: the position of the feed in every signals partition. Every `signal`
 * (and every `heartbeat` once live) carries the cursor after it; subscribing with `since` set to the last
 * one seen resumes without gap or duplicate, within the streams' retention window.
 */
export const FeedCursor = z
  .string()
  .min(1)
  .max(2_048)
  .regex(/^[A-Za-z0-9_-]+$/, 'a cursor is base64url');
export type FeedCursor = z.infer<typeof FeedCursor>;

/** Which signals a subscriber wants; every given filter must pass (absent = no restriction). */
export const FeedFilters = z.object({
  /** Only signals about these segments (so threshold crossings, which name none, are left out). */
  segments: z.array(z.string().min(1).max(200)).min(1).max(100).optional(),
  /** Only signals whose score is at least this. */
  minScore: z.number().finite().optional(),
  kinds: z.array(SignalKind).min(1).optional(),
});
export type FeedFilters = z.infer<typeof FeedFilters>;

// ── client → server ─────────────────────────────────────────────────────────────────────────────

/** Starts (or replaces) the subscription; with `since`, first replays what was missed after that cursor. */
export const SubscribeMessage = FeedFilters.extend({
  type: z.literal('subscribe'),
  since: FeedCursor.optional(),
});
export type SubscribeMessage = z.infer<typeof SubscribeMessage>;

/** Application-level ping (browsers cannot send protocol pings); answered with a `heartbeat`. */
export const PingMessage = z.object({ type: z.literal('ping') });
export type PingMessage = z.infer<typeof PingMessage>;

export const FeedClientMessage = z.discriminatedUnion('type', [SubscribeMessage, PingMessage]);
export type FeedClientMessage = z.infer<typeof FeedClientMessage>;

// ── server → client ─────────────────────────────────────────────────────────────────────────────

export const SignalMessage = z.object({ type: z.literal('signal'), cursor: FeedCursor, signal: Signal });
export type SignalMessage = z.infer<typeof SignalMessage>;

export const HeartbeatMessage = z.object({
  type: z.literal('heartbeat'),
  at: z.string(),
  /** The position once live: resuming from it skips signals the filters left out anyway. */
  cursor: FeedCursor.optional(),
});
export type HeartbeatMessage = z.infer<typeof HeartbeatMessage>;

export const SubscribedMessage = z.object({
  type: z.literal('subscribed'),
  /** Where live delivery starts (replayed signals, if any, come first and end there). */
  cursor: FeedCursor,
  /** True when signals after `since` were already trimmed from the streams: some are lost to this client. */
  missed: z.boolean(),
  /** How often the server sends a heartbeat; a client hearing nothing for a few periods should reconnect. */
  heartbeatMs: z.number().int().positive(),
});
export type SubscribedMessage = z.infer<typeof SubscribedMessage>;

export const FeedErrorCode = z.enum(['bad_message', 'bad_cursor', 'unavailable']);
export type FeedErrorCode = z.infer<typeof FeedErrorCode>;

/** A refused message; the connection stays open. */
export const ErrorMessage = z.object({ type: z.literal('error'), code: FeedErrorCode, message: z.string() });
export type ErrorMessage = z.infer<typeof ErrorMessage>;

/** Sent just before the server closes a connection (code 4008) whose client does not keep up. */
export const SlowConsumerMessage = z.object({ type: z.literal('slow_consumer'), message: z.string() });
export type SlowConsumerMessage = z.infer<typeof SlowConsumerMessage>;

export const FeedServerMessage = z.discriminatedUnion('type', [SignalMessage, HeartbeatMessage, SubscribedMessage, ErrorMessage, SlowConsumerMessage]);
export type FeedServerMessage = z.infer<typeof FeedServerMessage>;

/** WebSocket close codes of the feed (4000-4999 are the application's). */
export const FeedCloseCode = {
  /** No key, or an unknown one. */
  unauthorized: 4401,
  /** A write key: those ship in web pages and can never read. */
  forbidden: 4403,
  /** The client did not keep up with its signals. */
  slowConsumer: 4008,
  /** The key store (Redis) or the process is at capacity / unavailable: retry later. */
  tryAgainLater: 1013,
  goingAway: 1001,
} as const;
