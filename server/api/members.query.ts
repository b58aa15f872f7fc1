import type { ClickHouseSettings } from '@clickhouse/client';

/**
 * The members of segments over a window, as a CTE `members(segment, user_key, since)` for the
 * dashboard queries. Parameters: `ws`, `segments` (Array(String)), `from`, `to` (DateTime64(3, 'UTC')).
 *
 * A member is a user in the segment at any time within `[from, to)`: in it at `from` (its last change
 * before `from` is an entry) or entering within the window. `since` is when it became a member: the
 * entry it was in at `from`, else its first entry within the window.
 *
 * Read from `segment_members` (migration 0004: one row per segment and user holding the set of its
 * changes), not from every change. FINAL unions the rows not merged yet (cheap on merged parts, and
 * cheaper than a GROUP BY of arrays); a duplicate change (a re-run scorer call) is the same element of
 * the set. MATERIALIZED: computed once per query however often it is read ({@link DASHBOARD_SETTINGS}).
 */
export const MEMBERS_CTE = `
  members AS MATERIALIZED (
    SELECT segment, user_key, since FROM (
      SELECT segment, user_key,
        arraySort(arrayFilter(c -> tupleElement(c, 1) < {to:DateTime64(3, 'UTC')}, changes)) AS cs,
        arrayFilter(c -> tupleElement(c, 1) < {from:DateTime64(3, 'UTC')}, cs) AS before,
        notEmpty(before) AND tupleElement(arrayLast(c -> true, before), 2) = 'entered' AS member_at_start,
        arrayMap(c -> tupleElement(c, 1), arrayFilter(c -> tupleElement(c, 2) = 'entered' AND tupleElement(c, 1) >= {from:DateTime64(3, 'UTC')}, cs)) AS entries,
        if(member_at_start,
          arrayMax(arrayMap(c -> tupleElement(c, 1), arrayFilter(c -> tupleElement(c, 2) = 'entered', before))),
          arrayMin(entries)) AS since
      FROM segment_members FINAL
      WHERE workspace_id = {ws:String} AND segment IN {segments:Array(String)}
        AND (member_at_start OR notEmpty(entries))
    )
  )`;

/**
 * Settings of the queries using {@link MEMBERS_CTE}: materialized CTEs. (Aggregation in order of the
 * sort key was measured slower here: the rollups are read with FINAL, leaving one stream to aggregate.)
 */
export const DASHBOARD_SETTINGS: ClickHouseSettings = { enable_materialized_cte: 1 };
