import type { ClickHouseClient } from '../clickhouse/client.ts';
import type { SegmentKpis } from '../../schema/dashboard.ts';
import { DASHBOARD_SETTINGS, MEMBERS_CTE } from './members.query.ts';
import { chTime, type Window } from './window.ts';

/** What the KPIs count: the conversion event and where its revenue is. */
export interface KpiSpec {
  conversionEvent: string;
  revenueProperties: readonly string[];
}

/** The key of the baseline in {@link segmentKpis}' answer: every user seen in the window. */
export const EVERYONE = '';

interface KpiRow {
  segment: string;
  users: string;
  converted: string;
  median_seconds: number | null;
  events: string;
  sessions: string;
  revenue: number;
}

/**
 * SegmentKpis (schema/dashboard.ts) of `segments` over `window`, and with `everyone` of every user
 * seen in the window (key {@link EVERYONE}, members since `from`).
 *
 * Per user of the window, from `user_days` (migration 0004: the user's distinct events per day as
 * (time, message hash), so a redelivered message counts once without FINAL): events and sessions (a
 * gap over 30 minutes starts one: 1 + the gaps of the sorted times within the window; a day's first
 * continues the previous day's last within 30 minutes). Conversions and their revenue (first present
 * of `revenueProperties`, 0 when none) from the window's rows of that event in `track_events` (0004),
 * distinct by (time, message id, revenue). CTEs read twice are MATERIALIZED (computed once). Per member: conversions at or after
 * `since`; the median interpolates between the two middle values.
 */
export async function segmentKpis(
  ch: ClickHouseClient,
  q: { workspaceId: string; window: Window; segments: readonly string[]; everyone: boolean; spec: KpiSpec },
): Promise<Map<string, SegmentKpis>> {
  const rs = await ch.query({
    query: `
      WITH ${MEMBERS_CTE},
      days AS (
        SELECT user_key, n, day_sessions, span FROM (SELECT user_key,
          arraySort(arrayFilter(
            t -> t >= toUnixTimestamp64Milli({from:DateTime64(3, 'UTC')}) AND t < toUnixTimestamp64Milli({to:DateTime64(3, 'UTC')}),
            arrayMap(m -> tupleElement(m, 1), messages))) AS ts,
          length(ts) AS n,
          1 + arrayCount(d -> d > 1800000, arrayDifference(ts)) AS day_sessions,
          (ts[1], ts[-1]) AS span
        FROM user_days FINAL
        WHERE workspace_id = {ws:String}
          AND day >= toDate({from:DateTime64(3, 'UTC')}) AND day <= toDate({to:DateTime64(3, 'UTC')} - toIntervalMillisecond(1))
          AND ({everyone:Bool} OR user_key IN (SELECT user_key FROM members))
        ) WHERE n > 0
      ),
      ev AS MATERIALIZED (
        -- A day's first session continues the previous active day's last one when 30 minutes or less apart.
        SELECT user_key, sum(n) AS events,
          sum(day_sessions) - arrayCount((a, b) -> tupleElement(b, 1) - tupleElement(a, 2) <= 1800000,
            arrayPopBack(arraySort(groupArray(span)) AS spans), arrayPopFront(spans)) AS sessions
        FROM days
        GROUP BY user_key
      ),
      conversions AS MATERIALIZED (
        SELECT user_key,
          arrayMap(c -> (tupleElement(c, 1), tupleElement(c, 3)), groupUniqArray((timestamp, message_id,
            ifNull(arrayFirst(v -> v IS NOT NULL, arrayMap(k -> JSONExtract(properties, k, 'Nullable(Float64)'), {revenue:Array(String)})), 0)))) AS conversions
        FROM track_events
        WHERE workspace_id = {ws:String} AND event = {conversion:String}
          AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}
          AND ({everyone:Bool} OR user_key IN (SELECT user_key FROM members))
        GROUP BY user_key
      ),
      per_member AS (
        SELECT CAST(segment AS String) AS segment, since, events, sessions, arrayFilter(c -> tupleElement(c, 1) >= since, conversions) AS conv
        FROM members LEFT JOIN ev USING user_key LEFT JOIN conversions USING user_key
        UNION ALL
        SELECT '' AS segment, {from:DateTime64(3, 'UTC')} AS since, events, sessions, conversions AS conv
        FROM ev LEFT JOIN conversions USING user_key
        WHERE {everyone:Bool}
      )
      SELECT segment,
        count() AS users,
        countIf(notEmpty(conv)) AS converted,
        quantileExactInclusiveIf(0.5)(dateDiff('millisecond', since, arrayMin(arrayMap(c -> tupleElement(c, 1), conv))) / 1000, notEmpty(conv)) AS median_seconds,
        sum(events) AS events,
        sum(sessions) AS sessions,
        sum(arraySum(arrayMap(c -> tupleElement(c, 2), conv))) AS revenue
      FROM per_member
      GROUP BY segment`,
    query_params: {
      ws: q.workspaceId,
      from: chTime(q.window.from),
      to: chTime(q.window.to),
      segments: q.segments,
      everyone: q.everyone,
      conversion: q.spec.conversionEvent,
      revenue: q.spec.revenueProperties,
    },
    clickhouse_settings: DASHBOARD_SETTINGS,
    format: 'JSONEachRow',
  });
  const out = new Map<string, SegmentKpis>();
  for (const r of await rs.json<KpiRow>()) {
    // The baseline has no entry to measure from (its `since` is only the window's start).
    out.set(r.segment, r.segment === EVERYONE ? { ...kpisOf(r), medianSecondsToConvert: null } : kpisOf(r));
  }
  return out;
}

/** KPIs of a set with no users. */
export const EMPTY_KPIS: SegmentKpis = {
  users: 0, converted: 0, conversionRate: 0, medianSecondsToConvert: null, eventsPerUser: 0, sessionsPerUser: 0, revenuePerUser: 0,
};

function kpisOf(r: KpiRow): SegmentKpis {
  const users = Number(r.users);
  const converted = Number(r.converted);
  const per = (n: number) => (users === 0 ? 0 : n / users);
  return {
    users,
    converted,
    conversionRate: per(converted),
    medianSecondsToConvert: converted === 0 || r.median_seconds === null ? null : Number(r.median_seconds),
    eventsPerUser: per(Number(r.events)),
    sessionsPerUser: per(Number(r.sessions)),
    revenuePerUser: per(Number(r.revenue)),
  };
}
