import type { ClickHouseClient } from '../clickhouse/client.ts';
import type { SegmentDetailResponse } from '../../schema/dashboard.ts';
import type { DayChanges } from './series.ts';
import { chTime, type Window } from './window.ts';

/** A segment's size now and its entries and exits within a window. */
export interface SegmentCounts {
  size: number;
  entered: number;
  exited: number;
}

/**
 * Size now (users whose latest change is an entry) and entries/exits within `window`, per segment,
 * from `segment_members` (migration 0004: per segment and user, the set of its changes; FINAL unions
 * rows not merged yet). A duplicate change (a re-run scorer call) is the same element of the set.
 */
export async function segmentCounts(
  ch: ClickHouseClient,
  q: { workspaceId: string; window: Window; segments: readonly string[] },
): Promise<Map<string, SegmentCounts>> {
  const rs = await ch.query({
    query: `
      SELECT segment,
        countIf(tupleElement(arrayLast(c -> true, arraySort(changes)), 2) = 'entered') AS size,
        sum(arrayCount(c -> tupleElement(c, 2) = 'entered' AND tupleElement(c, 1) >= {from:DateTime64(3, 'UTC')} AND tupleElement(c, 1) < {to:DateTime64(3, 'UTC')}, changes)) AS entered,
        sum(arrayCount(c -> tupleElement(c, 2) = 'exited' AND tupleElement(c, 1) >= {from:DateTime64(3, 'UTC')} AND tupleElement(c, 1) < {to:DateTime64(3, 'UTC')}, changes)) AS exited
      FROM segment_members FINAL
      WHERE workspace_id = {ws:String} AND segment IN {segments:Array(String)}
      GROUP BY segment`,
    query_params: { ws: q.workspaceId, segments: q.segments, from: chTime(q.window.from), to: chTime(q.window.to) },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ segment: string; size: string; entered: string; exited: string }>();
  return new Map(rows.map((r) => [r.segment, { size: Number(r.size), entered: Number(r.entered), exited: Number(r.exited) }]));
}

/**
 * Entries and exits of a segment per UTC day, every day up to the window's end (for cumulative sizes),
 * from the sets of `segment_members` (so a duplicate change counts once).
 */
export async function segmentDayChanges(ch: ClickHouseClient, q: { workspaceId: string; segment: string; to: Date }): Promise<DayChanges[]> {
  const rs = await ch.query({
    query: `
      SELECT toString(toDate(tupleElement(c, 1))) AS day,
        countIf(tupleElement(c, 2) = 'entered') AS entered,
        countIf(tupleElement(c, 2) = 'exited') AS exited
      FROM segment_members FINAL ARRAY JOIN changes AS c
      WHERE workspace_id = {ws:String} AND segment = {segment:String} AND tupleElement(c, 1) < {to:DateTime64(3, 'UTC')}
      GROUP BY day
      ORDER BY day`,
    query_params: { ws: q.workspaceId, segment: q.segment, to: chTime(q.to) },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ day: string; entered: string; exited: string }>();
  return rows.map((r) => ({ day: r.day, entered: Number(r.entered), exited: Number(r.exited) }));
}

/** A segment's latest entries and exits within the window, newest first; `LIMIT 1 BY` drops duplicate rows. */
export async function recentChanges(
  ch: ClickHouseClient,
  q: { workspaceId: string; segment: string; window: Window; limit: number },
): Promise<SegmentDetailResponse['recent']> {
  const rs = await ch.query({
    query: `
      SELECT user_key, toString(change) AS change, at, score
      FROM segment_changes
      WHERE workspace_id = {ws:String} AND segment = {segment:String}
        AND at >= {from:DateTime64(3, 'UTC')} AND at < {to:DateTime64(3, 'UTC')}
      ORDER BY at DESC, user_key, change
      LIMIT 1 BY user_key, at, change
      LIMIT {limit:UInt32}`,
    query_params: { ws: q.workspaceId, segment: q.segment, from: chTime(q.window.from), to: chTime(q.window.to), limit: q.limit },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ user_key: string; change: 'entered' | 'exited'; at: string; score: number }>();
  return rows.map((r) => ({ userKey: r.user_key, change: r.change, at: r.at, score: r.score }));
}
