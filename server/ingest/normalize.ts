import { createHash, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  BatchEnvelope,
  MAX_EVENT_BYTES,
  MAX_EVENT_DEPTH,
  SegmentEvent,
  type EventType,
} from '../../schema/events.ts';
import type { RejectedEvent, StoredEvent } from '../../schema/stored-event.ts';
import { partitionOf } from '../log/keys.ts';
import { badRequest } from '../http/errors.ts';
import { nestsDeeperThan } from './body.ts';
import { anonymizeIp, correctedTimestamp, normalizeIp, parseTime, type UserAgentParser } from './enrich.ts';

/** What the request knows about where and when the events came from. */
export interface RequestMeta {
  workspaceId: string;
  receivedAt: number;
  ip: string;
  userAgent: string;
  anonymizeIp: boolean;
  partitions: number;
}

/** One accepted event, serialised for the log. */
export interface AcceptedEvent {
  messageId: string;
  line: string;
}

export interface RejectedItem {
  index: number;
  messageId?: string;
  /** A short, bounded label (for metrics): `schema:<field>`, `oversize`, `too_deep`, `timestamp`. */
  code: string;
  reason: string;
}

/** A request's events, ready to append: grouped by partition, plus what was refused and why. */
export interface NormalizedRequest {
  byPartition: Map<number, AcceptedEvent[]>;
  accepted: number;
  rejected: RejectedItem[];
  /** RejectedEvent lines for the `rejected_events` table. */
  rejectLines: string[];
}

const MIN_TIME = Date.UTC(1900, 0, 1);
const MAX_TIME = Date.UTC(2299, 11, 31);

/** The events of a body: a batch envelope's items, or the single event a `/v1/<type>` path carries. */
export function eventsOf(kind: EventType | 'batch', body: unknown): { items: unknown[]; sentAt?: string; context?: Record<string, unknown> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('invalid_body', 'request body must be a JSON object');
  }
  if (kind !== 'batch') return { items: [{ ...body, type: kind }] };
  const env = BatchEnvelope.safeParse(body);
  if (!env.success) throw badRequest('invalid_batch', describe(env.error));
  return { items: env.data.batch, sentAt: env.data.sentAt, context: env.data.context };
}

/**
 * Validates and enriches each event on its own, so one bad event never sinks its valid neighbours,
 * and serialises the good ones exactly once (re-serialising dominates the collector's CPU).
 */
export function normalize(
  kind: EventType | 'batch',
  body: unknown,
  meta: RequestMeta,
  uaParser: UserAgentParser,
): NormalizedRequest {
  const { items, sentAt: batchSentAt, context: batchContext } = eventsOf(kind, body);
  const out: NormalizedRequest = { byPartition: new Map(), accepted: 0, rejected: [], rejectLines: [] };
  const receivedAtIso = new Date(meta.receivedAt).toISOString();
  const reject = (index: number, item: unknown, code: string, reason: string, messageId?: string) => {
    out.rejected.push(messageId === undefined ? { index, code, reason } : { index, messageId, code, reason });
    const raw = rawOf(item);
    // Derived from the payload, so a resent request's rejects collapse into one row.
    const id = createHash('sha1').update(meta.workspaceId).update('\n').update(raw).digest('hex');
    const rejected: RejectedEvent = { v: 1, id, workspaceId: meta.workspaceId, receivedAt: receivedAtIso, reason, raw };
    out.rejectLines.push(JSON.stringify(rejected));
  };

  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const parsed = SegmentEvent.safeParse(item);
    if (!parsed.success) {
      reject(index, item, `schema:${String(parsed.error.issues[0]?.path[0] ?? 'root')}`, describe(parsed.error), messageIdOf(item));
      continue;
    }
    const e = parsed.data;
    const messageId = e.messageId ?? randomUUID();
    e.messageId = messageId;
    delete e.writeKey;
    if (batchContext) e.context = { ...batchContext, ...e.context };
    const ip = chooseIp(e.context?.ip, meta);
    if (e.context && 'ip' in e.context) e.context.ip = ip;

    const original = parseTime(e.originalTimestamp ?? e.timestamp);
    const sentAt = parseTime(e.sentAt ?? batchSentAt);
    const timestamp = correctedTimestamp(meta.receivedAt, sentAt, original);
    if (timestamp < MIN_TIME || timestamp > MAX_TIME) {
      reject(index, item, 'timestamp', 'timestamp: outside 1900-2299 after clock-skew correction', messageId);
      continue;
    }

    const eventJson = JSON.stringify(e);
    // A UTF-16 unit is at most 3 UTF-8 bytes: only long strings need their bytes counted.
    const bytes = eventJson.length * 3 <= MAX_EVENT_BYTES ? 0 : Buffer.byteLength(eventJson);
    if (bytes > MAX_EVENT_BYTES) {
      reject(index, item, 'oversize', `event is ${bytes} bytes, over the ${MAX_EVENT_BYTES / 1024} KB limit`, messageId);
      continue;
    }
    if (nestsDeeperThan(eventJson, MAX_EVENT_DEPTH)) {
      reject(index, item, 'too_deep', `event nests deeper than ${MAX_EVENT_DEPTH} levels`, messageId);
      continue;
    }

    const userKey = String(e.userId ?? e.anonymousId);
    const ua = typeof e.context?.userAgent === 'string' ? e.context.userAgent : meta.userAgent;
    const stored: Omit<StoredEvent, 'event'> = {
      v: 1,
      workspaceId: meta.workspaceId,
      messageId,
      type: e.type,
      userKey,
      receivedAt: receivedAtIso,
      timestamp: new Date(timestamp).toISOString(),
      originalTimestamp: original === undefined ? null : new Date(original).toISOString(),
      sentAt: sentAt === undefined ? null : new Date(sentAt).toISOString(),
      ip,
      userAgent: ua,
      ua: uaParser.parse(ua),
    };
    // Splice the already-serialised event in rather than serialising it a second time.
    const line = `${JSON.stringify(stored).slice(0, -1)},"event":${eventJson}}`;
    const partition = partitionOf(userKey, meta.partitions);
    let group = out.byPartition.get(partition);
    if (!group) out.byPartition.set(partition, (group = []));
    group.push({ messageId, line });
    out.accepted++;
  }
  return out;
}

/** An event's own `context.ip` (server SDKs send the end user's) wins over the request's address. */
function chooseIp(contextIp: unknown, meta: RequestMeta): string {
  const candidate = typeof contextIp === 'string' && contextIp ? contextIp : meta.ip;
  return meta.anonymizeIp ? anonymizeIp(candidate) : normalizeIp(candidate);
}

function messageIdOf(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const id = (item as { messageId?: unknown }).messageId;
  return typeof id === 'string' ? id.slice(0, 512) : undefined;
}

/** The raw payload of a refused event, kept for inspection but never more than one event's limit. */
function rawOf(item: unknown): string {
  let raw: string;
  try {
    raw = JSON.stringify(item) ?? String(item);
  } catch {
    raw = '[unserialisable]';
  }
  return raw.length > MAX_EVENT_BYTES ? raw.slice(0, MAX_EVENT_BYTES) : raw;
}

/** One line naming every problem: `event: Invalid input: expected string; userId: userId or anonymousId is required`. */
export function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
