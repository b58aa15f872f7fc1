import type { ClickHouseClient } from '../clickhouse/client.ts';
import type { SegmentKpis } from '../../schema/dashboard.ts';
import { MEMBERS_CTE } from './members.query.ts';
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
 * seen in the window (key {@link EVERYONE}, members since `from`), in one scan of the window's events.
 *
 * Per user of the window: events, sessions (a gap over 30 minutes starts one: 1 + the gaps of the
 * sorted timestamps, an array pass per user; a lagInFrame window would sort every row — not yet
 * measured against it) and conversions with their revenue (first present of `revenueProperties`, 0 when none).
 * Per member: conversions at or after `since`; the median interpolates between the two middle values. `events FINAL`: a redelivered message not merged yet
 * would count twice in events and revenue.
 */
export async function segmentKpis(
  ch: ClickHouseClient,
  q: { workspaceId: string; window: Window; segments: readonly string[]; everyone: boolean; spec: KpiSpec },
): Promise<Map<string, SegmentKpis>> {
  const rs = await ch.query({
    query: `
      WITH ${MEMBERS_CTE},
      ev AS (
        SELECT user_key,
          count() AS events,
          1 + arrayCount(d -> d > 1800000, arrayDifference(arraySort(groupArray(toUnixTimestamp64Milli(timestamp))))) AS sessions,
          -- Short-circuit if: properties are parsed for conversions only, not for every event.
          groupArrayIf(
            (timestamp, if(is_conversion, ifNull(arrayFirst(v -> v IS NOT NULL, arrayMap(k -> JSONExtract(properties, k, 'Nullable(Float64)'), {revenue:Array(String)})), 0), 0)),
            (type = 'track' AND event = {conversion:String}) AS is_conversion) AS conversions
        FROM events FINAL
        WHERE workspace_id = {ws:String}
          AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}
          AND ({everyone:Bool} OR user_key IN (SELECT user_key FROM members))
        GROUP BY user_key
      ),
      memberships AS (
        SELECT user_key, groupArray((CAST(segment AS String), since)) AS ms FROM members GROUP BY user_key
      ),
      per_member AS (
        SELECT tupleElement(m, 1) AS segment, tupleElement(m, 2) AS since, events, sessions,
          arrayFilter(c -> tupleElement(c, 1) >= since, conversions) AS conv
        FROM ev FULL OUTER JOIN memberships USING user_key
        ARRAY JOIN arrayConcat(
          if({everyone:Bool} AND events > 0, [(toString(''), {from:DateTime64(3, 'UTC')})], []),
          ms) AS m
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
