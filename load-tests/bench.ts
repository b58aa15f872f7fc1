/**
 * `npm run bench`: one table of every stage of the pipeline next to its ceiling or anchor, all measured
 * in the same run on loopback (each stage bounded in time; ~3-4 minutes with the defaults):
 * - HTTP + parse ceiling (bare node:http + JSON.parse of the same bodies) and the collector's ingest;
 * - Redis XADD ceiling (pipelined XADD of the same entries) and Warmline's log append (dedupe + XADD Lua);
 * - sink rows/s and the embedded engine's raw insert of the same rows;
 * - scorer events/s and the pure engine's events/s (scoring/bench/engine.bench.ts, state JSON included);
 * - collector 200 → signal frame at a feed client, p50 and p99, against the 50 ms target.
 * - the dashboard queries' worst p95 (load-tests/bench-dashboard.ts) against the 500 ms target, on a
 *   small data set seeded for the run (`--dashboard-events`), or on a seeded one (`--dashboard-data-dir`,
 *   `--dashboard-workspace`; `npm run bench:dashboard` gives every query).
 * `--record` appends the table to BENCHMARKS.md's History.
 *
 * @example npm run bench -- --seconds 5 --sink-rows 20000 --score-events 20000 --record
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LogAppender, joinLines } from '../server/log/append.ts';
import { logKeys, partitionOf } from '../server/log/keys.ts';
import { killAll } from '../tests/helpers/child.ts';
import { cleanupPrefix, testPrefix } from '../tests/helpers/redis.ts';
import { TARGET_P95_MS, type dashboardQueryP95 } from './bench-dashboard.ts';
import { endToEnd } from './bench-feed.ts';
import { load, startChild, stopChild } from './bench-ingest.ts';
import { scorerThroughput } from './bench-score.ts';
import { realistic, sinkThroughput } from './bench-sink.ts';
import { positive } from './lib/cli.ts';
import { describeMachine } from './lib/proc.ts';
import { startWarmline, type Target } from './lib/target.ts';
import { BodyPool } from './payloads.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCHMARKS = `${ROOT}BENCHMARKS.md`;

/** One row of the table: a stage's measured value next to its ceiling/anchor. */
export interface BenchRow {
  stage: string;
  unit: string;
  measured: number;
  anchorName: string;
  anchor: number;
  /** measured / anchor (for latencies: anchor / measured, so above 1 is within target). */
  ratio: number;
}

const fmt = (x: number) => (!Number.isFinite(x) ? '-' : x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** The table as Markdown (printed and recorded alike). */
export function tableOf(rows: readonly BenchRow[]): string {
  const lines = ['| stage | measured | ceiling / anchor | ratio |', '|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.stage} | ${fmt(r.measured)} ${r.unit} | ${r.anchorName}: ${fmt(r.anchor)} ${r.unit} | ${Number.isFinite(r.ratio) ? `${(r.ratio * 100).toFixed(0)}%` : '-'} |`);
  return lines.join('\n');
}

/** Events/s of the collector vs bare node:http + JSON.parse on the same 100-event browser bodies. */
async function ingestRows(o: { seconds: number; warmup: number; connections: number }): Promise<BenchRow> {
  const target = await startWarmline({ collectors: 1 });
  try {
    const pool = new BodyPool({ writeKey: target.writeKey, scenario: 'browser' });
    const common = { redisPid: undefined, pool, connections: o.connections, seconds: o.seconds, warmupSeconds: o.warmup };
    const bare = await startChild('bare', {}, [], false);
    const ceiling = await load({ ...common, stage: 'ceiling', server: bare }).finally(() => stopChild(bare.proc));
    const collector = await load({ ...common, stage: 'collector', server: { port: Number(new URL(target.url).port), pid: target.processes[0]?.pid } });
    const eps = (r: typeof ceiling) => (r.ok * pool.batchSize) / r.seconds;
    return { stage: 'collector ingest (100-event batches)', unit: 'events/s', measured: eps(collector), anchorName: 'node:http + JSON.parse', anchor: eps(ceiling), ratio: eps(collector) / eps(ceiling) };
  } finally {
    await target.stop();
  }
}

/**
 * Events/s of Warmline's log append (one Lua call per entry: dedupe keys + XADD) vs plain pipelined
 * XADD of the same entries (20 realistic events each), 32 calls in flight.
 */
async function appendRow(redis: Target['redis'], entries: number): Promise<BenchRow> {
  const prefix = testPrefix();
  const keys = logKeys(prefix, 8);
  const batches = Array.from({ length: entries }, (_, b) =>
    Array.from({ length: 20 }, (_, k) => realistic(b * 20 + k)).map((e) => ({ messageId: `${prefix}-${e.messageId}`, line: JSON.stringify(e), p: partitionOf(e.userKey, 8) })),
  );
  try {
    const t0 = performance.now();
    for (let b = 0; b < batches.length; b += 32) {
      const pipe = redis.pipeline();
      for (const batch of batches.slice(b, b + 32)) pipe.xadd(`${prefix}:xadd:{p${batch[0]?.p ?? 0}}`, '*', 'ev', joinLines(batch));
      await pipe.exec();
    }
    const xadd = (entries * 20) / ((performance.now() - t0) / 1000);
    const appender = new LogAppender(redis, keys, { maxEntries: 100_000_000, dedupeSeconds: 3_600 });
    const t1 = performance.now();
    for (let b = 0; b < batches.length; b += 32) await Promise.all(batches.slice(b, b + 32).map((batch) => appender.append(batch[0]?.p ?? 0, 'ws-bench', batch)));
    const append = (entries * 20) / ((performance.now() - t1) / 1000);
    return { stage: 'log append (dedupe + XADD, Lua)', unit: 'events/s', measured: append, anchorName: 'pipelined XADD', anchor: xadd, ratio: append / xadd };
  } finally {
    await cleanupPrefix(redis, prefix);
  }
}

/** The pure engine's events/s (b2b-saas, with the state's JSON round trip), from its own bench script. */
function engineEventsPerS(events: number): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'scoring/bench/engine.bench.ts', String(events)], { cwd: ROOT }).toString();
  const m = /^b2b-saas\s+applyEvent \+ state JSON[^\d]*([\d,]+) events\/s/m.exec(out);
  if (!m) throw new Error(`unexpected engine bench output:\n${out}`);
  return Number((m[1] as string).replace(/,/g, ''));
}

/**
 * The worst p95 of the dashboard queries vs the 500 ms target, measured by load-tests/bench-dashboard.ts
 * in a child process (the embedded engine binds one data path per process; the sink step holds another):
 * on `dataDir` as it is, or on `events` events seeded into a temporary one.
 */
function dashboardRow(o: { dataDir: string | undefined; workspace: string; events: number; runs: number }): BenchRow {
  const tmp = o.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'warmline-dash-')) : undefined;
  try {
    const args = ['--import', 'tsx', 'load-tests/bench-dashboard.ts', '--json', '--runs', String(o.runs), '--data-dir', o.dataDir ?? tmp ?? ''];
    args.push(...(tmp === undefined ? ['--workspace', o.workspace] : ['--workspace', 'ws_bench', '--seed-events', String(o.events)]));
    const out = execFileSync(process.execPath, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).toString().trim().split('\n').at(-1) ?? '';
    const r = JSON.parse(out) as Awaited<ReturnType<typeof dashboardQueryP95>>;
    const worst = r.queries.reduce((w, q) => (q.p95 > w.p95 ? q : w));
    for (const q of r.queries) console.log(`    ${q.name}: p50 ${q.p50.toFixed(0)} ms, p95 ${q.p95.toFixed(0)} ms`);
    return { stage: `dashboard query p95, worst: ${worst.name} (${r.events} events)`, unit: 'ms', measured: worst.p95, anchorName: 'target', anchor: TARGET_P95_MS, ratio: TARGET_P95_MS / worst.p95 };
  } finally {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '32' },
      'append-entries': { type: 'string', default: '2000' },
      'sink-rows': { type: 'string', default: '50000' },
      'score-events': { type: 'string', default: '30000' },
      'feed-clients': { type: 'string', default: '20' },
      'feed-rate': { type: 'string', default: '200' },
      'feed-events-rate': { type: 'string', default: '5000' },
      'feed-seconds': { type: 'string', default: '8' },
      'dashboard-data-dir': { type: 'string' },
      'dashboard-workspace': { type: 'string', default: 'ws_seed' },
      'dashboard-events': { type: 'string', default: '100000' },
      'dashboard-runs': { type: 'string', default: '10' },
      record: { type: 'boolean', default: false },
    },
  });
  const machine = describeMachine();
  const started = new Date();
  console.log(`npm run bench — ${started.toISOString()}\nmachine: ${machine}`);
  const rows: BenchRow[] = [];
  const step = async (name: string, f: () => Promise<BenchRow | BenchRow[]>) => {
    const t = performance.now();
    const r = await f();
    rows.push(...(Array.isArray(r) ? r : [r]));
    console.log(`  ${name} done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  };

  await step('ingest', () => ingestRows({ seconds: positive('seconds', args.seconds), warmup: Number(args.warmup), connections: positive('connections', args.connections) }));
  const target = await startWarmline({ collectors: 1, scorers: 1 });
  try {
    await step('log append', () => appendRow(target.redis, positive('append-entries', args['append-entries'])));
    await step('sink', async () => {
      const s = await sinkThroughput(positive('sink-rows', args['sink-rows']), 20_000);
      return { stage: 'sink → embedded ClickHouse', unit: 'rows/s', measured: s.rowsPerS, anchorName: 'raw engine insert', anchor: s.rawRowsPerS, ratio: s.rowsPerS / s.rawRowsPerS };
    });
    await step('scorer', async () => {
      const children: ChildProcess[] = [];
      const prefix = testPrefix();
      try {
        const n = positive('score-events', args['score-events']);
        const s = await scorerThroughput(target.redis, prefix, n, children);
        const engine = engineEventsPerS(n);
        return { stage: 'scorer (one process, prefilled log)', unit: 'events/s', measured: s.eventsPerS, anchorName: 'pure engine + state JSON', anchor: engine, ratio: s.eventsPerS / engine };
      } finally {
        killAll(children);
        await cleanupPrefix(target.redis, prefix);
      }
    });
    await step('event → signal', async () => {
      const e = await endToEnd(target, {
        clients: positive('feed-clients', args['feed-clients']),
        rate: positive('feed-rate', args['feed-rate']),
        seconds: positive('feed-seconds', args['feed-seconds']),
        eventsRate: positive('feed-events-rate', args['feed-events-rate']),
      });
      const eventsPerS = Math.round(e.eventsPosted / e.seconds);
      console.log(`    ${e.eventsPosted} events (${eventsPerS}/s, ${e.backgroundPosted} signalling nothing), ${e.signals} signals to ${e.clients} clients, ${e.lost} frames lost`);
      const at = `${e.clients} clients, ${(eventsPerS / 1000).toFixed(1)}k events/s`;
      return [
        { stage: `event → signal frame p50 (${at})`, unit: 'ms', measured: e.p50, anchorName: 'target', anchor: 50, ratio: 50 / e.p50 },
        { stage: `event → signal frame p99 (${at})`, unit: 'ms', measured: e.p99, anchorName: 'target', anchor: 50, ratio: 50 / e.p99 },
      ];
    });
  } finally {
    await target.stop();
  }
  await step('dashboard queries', () =>
    Promise.resolve(
      dashboardRow({
        dataDir: args['dashboard-data-dir'],
        workspace: args['dashboard-workspace'],
        events: positive('dashboard-events', args['dashboard-events']),
        runs: positive('dashboard-runs', args['dashboard-runs']),
      }),
    ),
  );
  const table = tableOf(rows);
  console.log(`\n${table}\n\n(ratio: measured / anchor; for latencies target / measured, so ≥ 100% meets it.)`);
  if (args.record) {
    const md = readFileSync(BENCHMARKS, 'utf8');
    const entry = `\n### ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC — \`npm run bench\`\nMachine: ${machine}.\n\n${table}\n`;
    appendFileSync(BENCHMARKS, `${md.includes('\n## History\n') ? '' : '\n## History\n\nRows appended by `npm run bench -- --record`; earlier runs are kept.\n'}${entry}`);
    console.log(`recorded in ${BENCHMARKS}`);
  }
}

await main();
