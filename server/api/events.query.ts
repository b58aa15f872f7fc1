import { z } from 'zod';
import type { ClickHouseClient } from '../clickhouse/client.ts';

/** Where a page of a user's timeline ends: the last row's time and message id. */
export const EventCursor = z.object({ t: z.iso.datetime(), m: z.string() });
export type EventCursor = z.infer<typeof EventCursor>;

export const encodeCursor = (c: EventCursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

/** Parses an opaque cursor; undefined when it is not one of ours. */
export function decodeCursor(raw: string): EventCursor | undefined {
  try {
    const parsed = EventCursor.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

interface EventRowOut {
  message_id: string;
  type: string;
  event: string;
  name: string;
  user_id: string;
  anonymous_id: string;
  timestamp: string;
  received_at: string;
  page_path: string;
  properties: string;
  traits: string;
  context: string;
}

export interface TimelineEvent {
  messageId: string;
  type: string;
  event: string | null;
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  timestamp: string;
  receivedAt: string;
  pagePath: string | null;
  properties: unknown;
  traits: unknown;
  context: unknown;
}

const orNull = (s: string) => (s === '' ? null : s);
const parseJson = (s: string): unknown => (s === '' ? {} : JSON.parse(s));

/**
 * A user's events, newest first, `limit` per page, after `cursor`: the events stored under any of
 * `userKeys` — the profile's key and the anonymous ids stitched into it. Matching on the sort key's
 * `user_key` lets ClickHouse read only those users' granules.
 */
export async function userEvents(
  ch: ClickHouseClient,
  q: { workspaceId: string; userKeys: readonly string[]; limit: number; cursor?: EventCursor },
): Promise<{ events: TimelineEvent[]; nextCursor: string | null }> {
  const result = await ch.query({
    query: `
      SELECT message_id, type, event, name, user_id, anonymous_id, timestamp, received_at, page_path, properties, traits, context
      FROM events FINAL
      WHERE workspace_id = {ws:String}
        AND user_key IN {keys:Array(String)}
        AND (NOT {paged:Bool} OR (timestamp, message_id) < ({t:DateTime64(3, 'UTC')}, {m:String}))
      ORDER BY timestamp DESC, message_id DESC
      LIMIT {limit:UInt32}`,
    query_params: {
      ws: q.workspaceId,
      keys: q.userKeys,
      paged: q.cursor !== undefined,
      t: (q.cursor?.t ?? '1970-01-01T00:00:00.000Z').replace('T', ' ').replace('Z', ''),
      m: q.cursor?.m ?? '',
      limit: q.limit + 1,
    },
    format: 'JSONEachRow',
  });
  const rows = await result.json<EventRowOut>();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    events: page.map((r) => ({
      messageId: r.message_id,
      type: r.type,
      event: orNull(r.event),
      name: orNull(r.name),
      userId: orNull(r.user_id),
      anonymousId: orNull(r.anonymous_id),
      timestamp: r.timestamp,
      receivedAt: r.received_at,
      pagePath: orNull(r.page_path),
      properties: parseJson(r.properties),
      traits: parseJson(r.traits),
      context: parseJson(r.context),
    })),
    nextCursor: rows.length > q.limit && last ? encodeCursor({ t: last.timestamp, m: last.message_id }) : null,
  };
}
