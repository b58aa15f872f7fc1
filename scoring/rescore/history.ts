import type { Redis } from 'ioredis';
import type { ClickHouseClient } from '../../server/clickhouse/client.ts';
import type { LogKeys } from '../../server/log/keys.ts';
import type { LogEntry } from '../../server/log/replies.ts';
import { SINK_GROUP } from '../../server/sink/source.ts';
import type { EventType } from '../../schema/events.ts';
import type { StoredEvent } from '../../schema/stored-event.ts';

/**
 * The first link of each anonymous id to a userId (alias, or any event carrying both ids), as the
 * live scorer makes it: the earliest wins. Events are grouped under the profile they end up in, so a
 * visitor's anonymous events come right before and among their user's, in time order, and the
 * replay stitches them with the live code (route, merge) exactly when the live path did.
 */
const LINKS = `
  SELECT workspace_id, anon, argMin(user_id, (timestamp, message_id)) AS target
  FROM (
    SELECT workspace_id, user_id, if(type = 'alias', previous_id, anonymous_id) AS anon, timestamp, message_id
    FROM events FINAL
    WHERE user_id != ''
  )
  WHERE anon != '' AND anon != user_id
  GROUP BY workspace_id, anon`;

/**
 * Every stored event, ordered by (workspace, profile it lands in, time, message id). Sorting spills
 * to disk beyond 256 MB; the link table (one row per stitched anonymous id) is held in memory.
 */
const HISTORY = `
  SELECT e.workspace_id AS workspace_id, e.message_id AS message_id, e.type AS type, e.event AS event, e.name AS name,
         e.user_id AS user_id, e.anonymous_id AS anonymous_id, e.user_key AS user_key, e.group_id AS group_id,
         e.previous_id AS previous_id, e.timestamp AS timestamp, e.received_at AS received_at, e.is_bot AS is_bot,
         e.properties AS properties, e.traits AS traits, e.context AS context
  FROM events AS e FINAL
  LEFT JOIN (${LINKS}) AS l ON l.workspace_id = e.workspace_id AND l.anon = e.user_key
  ORDER BY e.workspace_id, if(l.target = '', e.user_key, l.target), e.timestamp, e.message_id
  SETTINGS max_bytes_before_external_sort = 268435456, join_use_nulls = 0`;

interface HistoryRow {
  workspace_id: string;
  message_id: string;
  type: EventType;
  event: string;
  name: string;
  user_id: string;
  anonymous_id: string;
  user_key: string;
  group_id: string;
  previous_id: string;
  timestamp: string;
  received_at: string;
  is_bot: boolean;
  properties: string;
  traits: string;
  context: string;
}

/** Events stored in ClickHouse (FINAL: redeliveries collapsed). */
export async function countHistory(clickhouse: ClickHouseClient): Promise<number> {
  const rs = await clickhouse.query({ query: 'SELECT count() AS n FROM events FINAL', format: 'JSONEachRow' });
  const [row] = await rs.json<{ n: string }>();
  return Number(row?.n ?? 0);
}

/** Streams the stored history in replay order as the scorer's event shape; memory stays bounded. */
export async function* readHistory(clickhouse: ClickHouseClient): AsyncGenerator<StoredEvent> {
  const rs = await clickhouse.query({ query: HISTORY, format: 'JSONEachRow' });
  for await (const rows of rs.stream<HistoryRow>()) {
    for (const row of rows) yield toStoredEvent(row.json());
  }
}

/**
 * A row back to the client's event as the engine reads it (ids, names, properties, traits,
 * context); what the engine never reads (ip, user agent text) stays empty.
 */
export function toStoredEvent(r: HistoryRow): StoredEvent {
  const event: Record<string, unknown> = {
    type: r.type,
    messageId: r.message_id,
    properties: JSON.parse(r.properties) as unknown,
    traits: JSON.parse(r.traits) as unknown,
    context: JSON.parse(r.context) as unknown,
  };
  if (r.type === 'track') event.event = r.event;
  if ((r.type === 'page' || r.type === 'screen') && r.name) event.name = r.name;
  const ids = { userId: r.user_id, anonymousId: r.anonymous_id, previousId: r.previous_id, groupId: r.group_id };
  for (const [k, v] of Object.entries(ids)) if (v) event[k] = v;
  return {
    v: 1,
    workspaceId: r.workspace_id,
    messageId: r.message_id,
    type: r.type,
    userKey: r.user_key,
    receivedAt: r.received_at,
    timestamp: r.timestamp,
    originalTimestamp: null,
    sentAt: null,
    ip: '',
    userAgent: '',
    ua: { browser: '', browserVersion: '', os: '', osVersion: '', deviceType: '', isBot: r.is_bot },
    event,
  };
}

/** Where the log part of a replay starts and ends in one partition (XRANGE bounds). */
export interface TailRange {
  partition: number;
  from: string;
  to: string;
}

/**
 * The log entries the sink may not have stored in ClickHouse yet: from its oldest pending entry (or
 * after the last one it read) to the end of the partition now. Scorers are paused, so everything
 * they acknowledged is either in ClickHouse or in these ranges; the log keeps entries until the
 * sink acknowledged them, so none is trimmed away.
 */
export async function logTail(redis: Redis, keys: LogKeys): Promise<TailRange[]> {
  const out: TailRange[] = [];
  for (let p = 0; p < keys.partitions; p++) {
    const stream = keys.stream(p);
    const [last] = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
    if (!last) continue;
    const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
    const sink = groups.find((g) => g[g.indexOf('name') + 1] === SINK_GROUP);
    let from = '-';
    if (sink) {
      const [pending, oldest] = (await redis.xpending(stream, SINK_GROUP)) as [number, string | null];
      from = Number(pending) > 0 && oldest ? oldest : `(${String(sink[sink.indexOf('last-delivered-id') + 1])}`;
    }
    out.push({ partition: p, from, to: last[0] });
  }
  return out;
}

/** The entries of a tail range, a page at a time. */
export async function* readTail(redis: Redis, keys: LogKeys, range: TailRange, page = 500): AsyncGenerator<LogEntry[]> {
  const stream = keys.stream(range.partition);
  let from = range.from;
  for (;;) {
    const found = await redis.xrange(stream, from, range.to, 'COUNT', page);
    if (found.length === 0) return;
    yield found.map(([id, fields]) => ({ stream, partition: range.partition, id, fields }));
    if (found.length < page) return;
    from = `(${found[found.length - 1]![0]}`;
  }
}
