/**
 * Times the dashboards' read queries against a seeded embedded ClickHouse: segments list, segment
 * detail, compare of 2 and 3 segments, profile history and a timeline page, `--runs` times each, and
 * prints p50/p95/max per query against the 500 ms p95 target, with the row count of `events`.
 * {@link dashboardQueryP95} is the same measurement for `npm run bench`'s table.
 *
 *   npm run bench:dashboard -- [--data-dir .tmp-bench/seed10m] [--workspace ws_seed] [--runs 20]
 *   npm run bench:dashboard -- --data-dir .tmp-bench/dash --seed-events 1000000   # seed first (load-tests/seed.ts)
 *   --json prints `{ events, queries }` (the function's answer) alone, whatever the timings.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { analyticsOf } from '../schema/model.ts';
import { modelFromSource } from '../scoring/runtime/active.ts';
import { compareCounts } from '../server/api/compare.query.ts';
import { userEvents } from '../server/api/events.query.ts';
import { profileHistory } from '../server/api/history.query.ts';
import { segmentKpis } from '../server/api/kpis.query.ts';
import { recentChanges, segmentCounts, segmentDayChanges } from '../server/api/segments.query.ts';
import type { Window } from '../server/api/window.ts';
import { createClickHouse, type ClickHouseClient } from '../server/clickhouse/client.ts';
import { migrate } from '../server/clickhouse/migrate.ts';
import { createLogger } from '../server/logger.ts';
import { DEFAULT_MODEL, seedClickHouse } from './seed.ts';

const DAY_MS = 86_400_000;

async function one<T>(ch: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONEachRow' });
  const [row] = await rs.json<T>();
  if (row === undefined) throw new Error('no row');
  return row;
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

/** One query's latencies over the runs (after one warm-up run). */
export interface QueryTiming {
  name: string;
  p50: number;
  p95: number;
  max: number;
}

/** The dashboards' p95 target per query. */
export const TARGET_P95_MS = 500;

/**
 * Times each dashboard query `runs` times (after a warm-up) on a migrated ClickHouse holding the
 * workspace's events and score history, over the 30 days ending at its last event.
 * @returns the row count of `events` (all workspaces) and p50/p95/max per query, in ms.
 */
export async function dashboardQueryP95(ch: ClickHouseClient, o: { workspaceId: string; runs: number }): Promise<{ events: number; queries: QueryTiming[] }> {
  const ws = o.workspaceId;
  const counts = await one<{ n: string; last: string }>(ch, 'SELECT count() AS n, max(timestamp) AS last FROM events WHERE workspace_id = {ws:String}', { ws });
  const total = await one<{ n: string }>(ch, 'SELECT count() AS n FROM events', {});
  if (Number(counts.n) === 0) throw new Error(`no events of workspace ${ws}; seed it or pass another workspace`);
  const to = new Date(Date.parse(counts.last) + 1);
  const window: Window = { from: new Date(to.getTime() - 30 * DAY_MS), to };

  const model = modelFromSource(readFileSync(DEFAULT_MODEL, 'utf8'), DEFAULT_MODEL).compiled.model;
  const spec = analyticsOf(model);
  const ids = model.segments.map((s) => s.id);
  const bySize = await segmentCounts(ch, { workspaceId: ws, window, segments: ids });
  const largest = [...bySize.entries()].sort((a, b) => b[1].size - a[1].size).map(([id]) => id);
  const [a = ids[0]!, b = ids[1]!, c = ids[2]!] = largest;
  const busy = await one<{ user_key: string }>(
    ch,
    'SELECT user_key FROM score_changes WHERE workspace_id = {ws:String} GROUP BY user_key ORDER BY count() DESC LIMIT 1',
    { ws },
  );

  const queries: [name: string, run: () => Promise<unknown>][] = [
    ['segments list', () => Promise.all([segmentCounts(ch, { workspaceId: ws, window, segments: ids }), segmentKpis(ch, { workspaceId: ws, window, segments: ids, everyone: true, spec })])],
    [
      `segment detail (${a})`,
      () =>
        Promise.all([
          segmentCounts(ch, { workspaceId: ws, window, segments: [a] }),
          segmentKpis(ch, { workspaceId: ws, window, segments: [a], everyone: false, spec }),
          segmentDayChanges(ch, { workspaceId: ws, segment: a, to: window.to }),
          recentChanges(ch, { workspaceId: ws, segment: a, window, limit: 50 }),
        ]),
    ],
    [`compare 2 (${a},${b})`, () => Promise.all([segmentKpis(ch, { workspaceId: ws, window, segments: [a, b], everyone: false, spec }), compareCounts(ch, { workspaceId: ws, window, segments: [a, b] })])],
    [
      `compare 3 (+${c})`,
      () => Promise.all([segmentKpis(ch, { workspaceId: ws, window, segments: [a, b, c], everyone: false, spec }), compareCounts(ch, { workspaceId: ws, window, segments: [a, b, c] })]),
    ],
    ['profile history', () => profileHistory(ch, { workspaceId: ws, userKey: busy.user_key, since: new Date(to.getTime() - 30 * DAY_MS) })],
    ['timeline page', () => userEvents(ch, { workspaceId: ws, userKeys: [busy.user_key], limit: 50 })],
  ];
  const timings: QueryTiming[] = [];
  for (const [name, run] of queries) {
    await run(); // warm-up: first-read caches and compiled expressions
    const ms: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const started = performance.now();
      await run();
      ms.push(performance.now() - started);
    }
    ms.sort((x, y) => x - y);
    timings.push({ name, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), max: ms.at(-1) ?? 0 });
  }
  return { events: Number(total.n), queries: timings };
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: {
      'data-dir': { type: 'string', default: '.tmp-bench/seed10m' },
      workspace: { type: 'string', default: 'ws_seed' },
      runs: { type: 'string', default: '20' },
      'seed-events': { type: 'string' },
      'seed-days': { type: 'string', default: '30' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const runs = Number(o.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive whole number (got "${o.runs}")`);
  const ch = createClickHouse({ WARMLINE_DATA_DIR: o['data-dir'], WARMLINE_CLICKHOUSE_MAX_MEMORY_MB: 2048 });
  await migrate(ch, createLogger('silent'));
  const ws = o.workspace;
  if (o['seed-events'] !== undefined) {
    const events = Number(o['seed-events']);
    const started = Date.now();
    // As the seed CLI: enough users (each makes at least one event), cut at `events`.
    const r = await seedClickHouse(ch, { workspaceId: ws, users: events, days: Number(o['seed-days']), seed: 1, maxEvents: events });
    process.stdout.write(`seeded ${r.events} events, ${r.scoreRows} score rows in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  try {
    const result = await dashboardQueryP95(ch, { workspaceId: ws, runs });
    if (o.json) {
      // For npm run bench (load-tests/bench.ts), which runs this in its own process: one engine per process.
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const { events, queries } = result;
    process.stdout.write(`events: ${events} rows; ${ws}, 30 days ending at its last event; ${runs} runs each\n`);
    for (const q of queries) {
      const ok = q.p95 <= TARGET_P95_MS;
      process.stdout.write(
        `${q.name.padEnd(44)} p50 ${q.p50.toFixed(0).padStart(6)} ms  p95 ${q.p95.toFixed(0).padStart(6)} ms  max ${q.max.toFixed(0).padStart(6)} ms  ${ok ? 'ok' : `MISSES ${TARGET_P95_MS} ms p95`}\n`,
      );
    }
    process.exitCode = queries.some((q) => q.p95 > TARGET_P95_MS) ? 1 : 0;
  } finally {
    await ch.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench-dashboard: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  });
}
