import { createHash, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  BatchEnvelope,
  ID_FIELDS,
  isJsonObject,
  MAX_EVENT_BYTES,
  MAX_EVENT_DEPTH,
  SegmentEvent,
  type EventType,
} from '../../schema/events.ts';
import type { RejectedEvent } from '../../schema/stored-event.ts';
import { partitionOf } from '../log/keys.ts';
import { badRequest } from '../http/errors.ts';
import { nestsDeeperThan } from './depth.ts';
import { anonymizeIp, correctedTimestamp, normalizeIp, parseTime, type UserAgentParser } from './enrich.ts';
import { surelyValid } from './fast-valid.ts';

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
  if (!isJsonObject(body)) throw badRequest('invalid_body', 'request body must be a JSON object');
  if (kind !== 'batch') return { items: [{ ...body, type: kind }] };
  const env = BatchEnvelope.safeParse(body);
  if (!env.success) throw badRequest('invalid_batch', describe(env.error));
  return { items: env.data.batch, sentAt: env.data.sentAt, context: env.data.context };
}

/**
 * Validates and enriches each event on its own, so one bad event never sinks its valid neighbours,
 * and serialises the good ones exactly once. zod only validates, and only the events a cheaper check
 * cannot vouch for (nearly every valid event passes that check): what is stored is the client's own
 * parsed object, enriched in place (messageId, ids as strings, batch context, IP), because
 * serialising zod's rebuilt copy costs twice as much. The enrichment shared by a request's events
 * (workspace, receivedAt, IP, user agent) is serialised once per request, not per event.
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
  const line = new StoredLine(meta, receivedAtIso, uaParser);
  const batchSent = parseTime(batchSentAt);
  // The batch context becomes each event's context (depth 2): too deep there, too deep in every event.
  const batchContextTooDeep = batchContext !== undefined && nestsDeeperThan(batchContext, MAX_EVENT_DEPTH - 1);

  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    if (!surelyValid(item)) {
      const parsed = SegmentEvent.safeParse(item);
      if (!parsed.success) {
        reject(index, item, `schema:${String(parsed.error.issues[0]?.path[0] ?? 'root')}`, describe(parsed.error), messageIdOf(item));
        continue;
      }
    }
    // Validated: the client's object is a SegmentEvent but for numeric ids, made strings here as zod's output has them.
    const e = item as SegmentEvent;
    for (const field of ID_FIELDS) {
      const value = (e as Record<string, unknown>)[field];
      if (typeof value === 'number') (e as Record<string, unknown>)[field] = String(value);
    }
    const messageId = e.messageId ?? randomUUID();

    const original = parseTime(e.originalTimestamp ?? e.timestamp);
    const sentAt = e.sentAt === undefined ? batchSent : parseTime(e.sentAt);
    const timestamp = correctedTimestamp(meta.receivedAt, sentAt, original);
    if (timestamp < MIN_TIME || timestamp > MAX_TIME) {
      reject(index, item, 'timestamp', 'timestamp: outside 1900-2299 after clock-skew correction', messageId);
      continue;
    }
    if (batchContextTooDeep || nestsDeeperThan(e, MAX_EVENT_DEPTH)) {
      reject(index, item, 'too_deep', `event nests deeper than ${MAX_EVENT_DEPTH} levels`, messageId);
      continue;
    }

    e.messageId = messageId;
    // JSON.stringify skips undefined: cheaper than `delete`, which de-optimises the object.
    if (e.writeKey !== undefined) e.writeKey = undefined;
    if (batchContext) e.context = { ...batchContext, ...e.context };
    const ip = line.ip(e.context?.ip);
    if (e.context && 'ip' in e.context) e.context.ip = ip;

    const eventJson = JSON.stringify(e);
    // A UTF-16 unit is at most 3 UTF-8 bytes: only long strings need their bytes counted.
    const bytes = eventJson.length * 3 <= MAX_EVENT_BYTES ? 0 : Buffer.byteLength(eventJson);
    if (bytes > MAX_EVENT_BYTES) {
      reject(index, item, 'oversize', `event is ${bytes} bytes, over the ${MAX_EVENT_BYTES / 1024} KB limit`, messageId);
      continue;
    }

    const userKey = String(e.userId ?? e.anonymousId);
    const ua = typeof e.context?.userAgent === 'string' ? e.context.userAgent : meta.userAgent;
    const partition = partitionOf(userKey, meta.partitions);
    let group = out.byPartition.get(partition);
    if (!group) out.byPartition.set(partition, (group = []));
    group.push({ messageId, line: line.build(messageId, e.type, userKey, timestamp, original, sentAt, ip, ua, eventJson) });
    out.accepted++;
  }
  return out;
}

const iso = (ms: number | undefined) => (ms === undefined ? 'null' : `"${new Date(ms).toISOString()}"`);

/**
 * Builds StoredEvent lines (schema/stored-event.ts) by hand: the request's constant fields are
 * serialised once, an event adds its few own scalars and its already-serialised JSON. The key order
 * differs from `JSON.stringify(stored)`, which no reader depends on.
 */
export class StoredLine {
  private readonly head: string;
  private readonly requestIp: string;
  private lastContextIp: string | undefined;
  private lastContextIpResult = '';
  private lastIp: string | undefined;
  private lastUa: string | undefined;
  private lastTail = '';
  private lastSentAt: number | undefined;
  private lastSentAtIso = 'null';

  constructor(
    private readonly meta: RequestMeta,
    receivedAtIso: string,
    private readonly uaParser: UserAgentParser,
  ) {
    this.head = `{"v":1,"workspaceId":${JSON.stringify(meta.workspaceId)},"receivedAt":"${receivedAtIso}","messageId":`;
    this.requestIp = cleanIp(meta.ip, meta);
  }

  /** An event's own `context.ip` (server SDKs send the end user's) wins over the request's address. */
  ip(contextIp: unknown): string {
    if (typeof contextIp !== 'string' || !contextIp) return this.requestIp;
    if (contextIp !== this.lastContextIp) {
      this.lastContextIp = contextIp;
      this.lastContextIpResult = cleanIp(contextIp, this.meta);
    }
    return this.lastContextIpResult;
  }

  build(
    messageId: string,
    type: EventType,
    userKey: string,
    timestamp: number,
    original: number | undefined,
    sentAt: number | undefined,
    ip: string,
    ua: string,
    eventJson: string,
  ): string {
    if (ip !== this.lastIp || ua !== this.lastUa) {
      this.lastIp = ip;
      this.lastUa = ua;
      this.lastTail = `"ip":${JSON.stringify(ip)},"userAgent":${JSON.stringify(ua)},"ua":${this.uaParser.json(ua)},"event":`;
    }
    if (sentAt !== this.lastSentAt) {
      this.lastSentAt = sentAt;
      this.lastSentAtIso = iso(sentAt);
    }
    return (
      `${this.head}${JSON.stringify(messageId)},"type":"${type}","userKey":${JSON.stringify(userKey)},` +
      `"timestamp":"${new Date(timestamp).toISOString()}","originalTimestamp":${iso(original)},"sentAt":${this.lastSentAtIso},` +
      `${this.lastTail}${eventJson}}`
    );
  }
}

function cleanIp(ip: string, meta: RequestMeta): string {
  return meta.anonymizeIp ? anonymizeIp(ip) : normalizeIp(ip);
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
