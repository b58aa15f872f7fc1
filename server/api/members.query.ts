/**
 * The members of segments over a window, as a CTE `members(segment, user_key, since)` for the
 * dashboard queries. Parameters: `ws`, `segments` (Array(String)), `from`, `to` (DateTime64(3, 'UTC')).
 *
 * A member is a user in the segment at any time within `[from, to)`: in it at `from` (its last change
 * before `from` is an entry) or entering within the window. `since` is when it became a member: the
 * entry it was in at `from`, else its first entry within the window.
 *
 * No FINAL: a duplicate `segment_changes` row (a re-run scorer call) is identical to its original,
 * and min, max and argMax do not change with duplicates.
 */
export const MEMBERS_CTE = `
  members AS (
    SELECT segment, user_key,
      countIf(at < {from:DateTime64(3, 'UTC')}) > 0
        AND argMaxIf(change, at, at < {from:DateTime64(3, 'UTC')}) = 'entered' AS member_at_start,
      if(member_at_start,
        maxIf(at, change = 'entered' AND at < {from:DateTime64(3, 'UTC')}),
        minIf(at, change = 'entered' AND at >= {from:DateTime64(3, 'UTC')})) AS since
    FROM segment_changes
    WHERE workspace_id = {ws:String} AND segment IN {segments:Array(String)} AND at < {to:DateTime64(3, 'UTC')}
    GROUP BY segment, user_key
    HAVING member_at_start OR countIf(change = 'entered' AND at >= {from:DateTime64(3, 'UTC')}) > 0
  )`;
