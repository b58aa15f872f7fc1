import type { ClickHouseClient } from '../clickhouse/client.ts';
import type { ProfileHistoryResponse } from '../../schema/dashboard.ts';
import { thinPoints } from './series.ts';
import { chTime } from './window.ts';

/** Score points returned at most (older ones thinned). */
export const MAX_SCORE_POINTS = 2_000;
/** Rows read at most per list: a bound on a very busy profile's history. */
const MAX_ROWS = 20_000;

/**
 * A user's score and segment history since `since`, oldest first. `LIMIT 1 BY` the rows' keys drops
 * duplicates of a re-run scorer call (cheaper than FINAL for one user's rows).
 */
export async function profileHistory(
  ch: ClickHouseClient,
  q: { workspaceId: string; userKey: string; since: Date },
): Promise<ProfileHistoryResponse> {
  const params = { ws: q.workspaceId, user: q.userKey, since: chTime(q.since), max: MAX_ROWS };
  const [scores, segments] = await Promise.all([
    ch.query({
      query: `
        SELECT at, score_after AS score FROM score_changes
        WHERE workspace_id = {ws:String} AND user_key = {user:String} AND at >= {since:DateTime64(3, 'UTC')}
        ORDER BY at DESC, message_id DESC
        LIMIT 1 BY at, message_id
        LIMIT {max:UInt32}`,
      query_params: params,
      format: 'JSONEachRow',
    }),
    ch.query({
      query: `
        SELECT CAST(segment AS String) AS segment, toString(change) AS change, at, score FROM segment_changes
        WHERE workspace_id = {ws:String} AND user_key = {user:String} AND at >= {since:DateTime64(3, 'UTC')}
        ORDER BY at DESC, segment, change
        LIMIT 1 BY segment, at, change
        LIMIT {max:UInt32}`,
      query_params: params,
      format: 'JSONEachRow',
    }),
  ]);
  const scoreRows = (await scores.json<{ at: string; score: number }>()).reverse();
  const segmentRows = (await segments.json<{ segment: string; change: 'entered' | 'exited'; at: string; score: number }>()).reverse();
  return { userKey: q.userKey, scores: thinPoints(scoreRows, MAX_SCORE_POINTS), segments: segmentRows };
}
