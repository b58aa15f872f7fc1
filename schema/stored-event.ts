import { z } from 'zod';
import type { EventType } from './events.ts';

/**
 * What the collector appends to the log for one accepted event: the client's event kept whole
 * (`event`, as sent, validated) wrapped in the server's enrichment. Consumers (sink, scorer)
 * read this shape; its `v` changes only with a migration path for entries still in the log.
 */
export interface StoredEvent {
  v: 1;
  workspaceId: string;
  messageId: string;
  type: EventType;
  /** userId, else anonymousId: the partitioning and ordering key. */
  userKey: string;
  receivedAt: string;
  /** Skew-corrected event time (Segment's formula), ISO-8601 UTC. */
  timestamp: string;
  originalTimestamp: string | null;
  sentAt: string | null;
  /** Client IP after anonymisation (empty when unknown). */
  ip: string;
  userAgent: string;
  ua: UserAgentInfo;
  event: Record<string, unknown>;
}

export interface UserAgentInfo {
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  deviceType: string;
  isBot: boolean;
}

/** One event the collector refused inside an otherwise valid request, kept for inspection. */
export interface RejectedEvent {
  v: 1;
  id: string;
  workspaceId: string;
  receivedAt: string;
  reason: string;
  raw: string;
}

/** Consumers parse log entries with these: the log is a boundary too (poison entries exist). */
export const StoredEventSchema = z.object({
  v: z.literal(1),
  workspaceId: z.string(),
  messageId: z.string(),
  type: z.enum(['track', 'page', 'screen', 'identify', 'group', 'alias']),
  userKey: z.string(),
  receivedAt: z.string(),
  timestamp: z.string(),
  originalTimestamp: z.string().nullable(),
  sentAt: z.string().nullable(),
  ip: z.string(),
  userAgent: z.string(),
  ua: z.object({
    browser: z.string(),
    browserVersion: z.string(),
    os: z.string(),
    osVersion: z.string(),
    deviceType: z.string(),
    isBot: z.boolean(),
  }),
  event: z.record(z.string(), z.unknown()),
}) satisfies z.ZodType<StoredEvent>;

export const RejectedEventSchema = z.object({
  v: z.literal(1),
  id: z.string(),
  workspaceId: z.string(),
  receivedAt: z.string(),
  reason: z.string(),
  raw: z.string(),
}) satisfies z.ZodType<RejectedEvent>;
