/**
 * Scorer benchmark (`npm run bench:score`), two stages, on loopback with a throw-away key prefix:
 * 1. Throughput: the log is prefilled with N scoring events (pages and intent events over many users,
 *    entries of 1-20 events as the collector writes them) and one scorer process (`warmline scorer`,
 *    started first and holding every partition) drains it: events/s and the scorer's CPU-seconds.
 * 2. Latency: events are posted to an in-process collector at a steady RATE events/s while the same
 *    scorer process runs; for every signal that appears on the signals streams, the time from the
 *    collector's 200 for its triggering event to the signal being readable (p50/p99).
 *   node --import tsx load-tests/bench-score.ts [N=100000] [RATE=5000] [SECONDS=10]
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import type { StoredEvent } from '../schema/stored-event.ts';
import type { Signal } from '../schema/signal.ts';
import { collectorDeps, createCollectorApp } from '../server/collector.ts';
import { loadConfig } from '../server/config.ts';
import { logKeys, partitionOf } from '../server/log/keys.ts';
import { createLogger } from '../server/logger.ts';
import { Metrics } from '../server/metrics.ts';
import { createRedis, waitReady } from '../server/redis.ts';
import { scorerKeys } from '../scoring/runtime/keys.ts';
import { SCORER_GROUP } from '../scoring/runtime/scorer.ts';
import { startRole, killAll, type RoleProcess } from '../tests/helpers/child.ts';
import { waitFor } from '../tests/helpers/wait.ts';
import { leaseKey } from '../server/log/leases.ts';
import { cleanupPrefix, drained, testPrefix } from '../tests/helpers/redis.ts';
import { lines, storedEvent } from '../tests/helpers/stored-events.ts';
import { isMain } from './lib/cli.ts';
import { procCpu, quantile } from './lib/proc.ts';

const N = Number(process.argv[2] ?? 100_000);
const RATE = Number(process.argv[3] ?? 5_000);
const SECONDS = Number(process.argv[4] ?? 10);
const PARTITIONS = 8;
const WRITE_KEY = 'wk_bench_score_0001';
const PAGES = ['/pricing', '/docs/start', '/integrations', '/customers/acme', '/support', '/blog/post'];
const TRACKS = ['Demo Requested', 'Invite Sent', 'Webinar Registered', 'Trial Started'];

const cpuSeconds = (pid: number) => procCpu(pid).seconds;
/** Redis' own CPU seconds (INFO cpu): whether Redis or the scorer bounds the drain. */
const redisCpuSeconds = async (redis: Redis) => {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
};
const pct = (xs: number[], q: number) => quantile([...xs].sort((a, b) => a - b), q);

function scoringEvent(i: number, users: number, at: number): StoredEvent {
  const userKey = `u${(i * 7919) % users}`;
  const page = i % 3 !== 0;
  const iso = new Date(at).toISOString();
  const event = page
    ? { type: 'page', name: 'Page', userId: userKey, messageId: `b${i}`, properties: { path: PAGES[i % PAGES.length] } }
    : { type: 'track', event: TRACKS[i % TRACKS.length], userId: userKey, messageId: `b${i}` };
  return storedEvent({ workspaceId: 'ws-bench', messageId: `b${i}`, userKey, type: page ? 'page' : 'track', timestamp: iso, receivedAt: iso, event });
}

/**
 * Stage 1: prefills `prefix`'s log with `n` scoring events and times one `warmline scorer` process
 * draining it. The scorer is left running (in `children`) for stage 2.
 */
export async function scorerThroughput(
  redis: Redis,
  prefix: string,
  N: number,
  children: ChildProcess[],
): Promise<{ eventsPerS: number; perCpuS: number; seconds: number; redisCpuS: number; scorer: RoleProcess }> {
  const keys = logKeys(prefix, PARTITIONS);
  const start = Date.now() - N * 10;
  const pipe = redis.pipeline();
  for (let i = 0; i < N; ) {
    const size = 1 + (i % 20);
    const byPartition = new Map<number, StoredEvent[]>();
    for (let j = i; j < Math.min(N, i + size); j++) {
      const e = scoringEvent(j, 20_000, start + j * 10);
      const p = partitionOf(e.userKey, PARTITIONS);
      byPartition.set(p, [...(byPartition.get(p) ?? []), e]);
    }
    for (const [p, evs] of byPartition) pipe.xadd(keys.stream(p), '*', 'ev', lines(evs));
    i += size;
  }
  // The scorer first, holding every partition: the timing starts when the entries land, not at start-up.
  const env = { WARMLINE_REDIS_PREFIX: prefix, WARMLINE_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'warn' };
  const scorer = startRole('scorer', env, children);
  await waitFor(async () => {
    if (scorer.child.exitCode !== null) throw new Error(`the scorer exited early:\n${scorer.output()}`);
    return (await redis.exists(...keys.streams().map((_, p) => leaseKey(prefix, SCORER_GROUP, p)))) === PARTITIONS;
  }, { timeoutMs: 60_000, what: 'the scorer to lease every partition' });
  const t0 = Date.now();
  const cpu0 = cpuSeconds(scorer.child.pid!);
  await pipe.exec();
  // After the prefill: Redis' share of the drain alone.
  const redis0 = await redisCpuSeconds(redis);
  for (;;) {
    if (await drained(redis, keys.streams(), SCORER_GROUP).catch(() => false)) break;
    if (scorer.child.exitCode !== null) throw new Error(`the scorer exited early:\n${scorer.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const secs = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds(scorer.child.pid!) - cpu0;
  return { eventsPerS: N / secs, perCpuS: N / cpu, seconds: secs, redisCpuS: (await redisCpuSeconds(redis)) - redis0, scorer };
}

async function main(): Promise<void> {
  const prefix = testPrefix();
  const config = loadConfig({ WARMLINE_REDIS_PREFIX: prefix, WARMLINE_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'silent', WARMLINE_RATE_LIMIT_EPS: '0' });
  const keys = logKeys(prefix, PARTITIONS);
  const redis = createRedis(config.REDIS_URL, { name: 'bench-score' });
  await waitReady(redis);
  const children: ChildProcess[] = [];
  try {
    // Stage 1: drain a prefilled log.
    const { eventsPerS, perCpuS, seconds: secs, redisCpuS, scorer } = await scorerThroughput(redis, prefix, N, children);
    console.log(
      `throughput: ${N} events in ${secs.toFixed(2)} s = ${Math.round(eventsPerS)} events/s (scorer CPU ${(N / perCpuS).toFixed(2)} s = ${Math.round(perCpuS)} events per CPU-second; ` +
        `Redis CPU ${redisCpuS.toFixed(2)} s, all clients; after start-up)`,
    );

    // Stage 2: steady RATE through the collector, latency to the signal.
    const deps = collectorDeps(config, redis, createLogger('silent'), new Metrics());
    await deps.keys.ensureWorkspace('ws-bench', 'Bench');
    await deps.keys.addKey('ws-bench', 'write', WRITE_KEY);
    const app = createCollectorApp(deps);
    const sk = scorerKeys(keys);
    const okAt = new Map<string, number>();
    const latencies: number[] = [];
    const reader = createRedis(config.REDIS_URL, { name: 'bench-signals', blocking: true });
    await waitReady(reader);
    const cursors = Array.from({ length: PARTITIONS }, () => '$');
    let reading = true;
    const readLoop = (async () => {
      while (reading) {
        const streams = cursors.map((_, p) => sk.signals(p));
        const reply = (await reader.xread('COUNT', 1000, 'BLOCK', 100, 'STREAMS', ...streams, ...cursors));
        const seen = Date.now();
        for (const [stream, entries] of reply ?? []) {
          const p = streams.indexOf(stream);
          for (const [id, fields] of entries) {
            cursors[p] = id;
            const s = JSON.parse(fields[1]!) as Signal;
            const sent = s.trigger && okAt.get(s.trigger.messageId);
            if (sent) latencies.push(seen - sent);
          }
        }
      }
    })();
    const perTick = Math.max(1, Math.round(RATE / 100)); // a request of `perTick` events every 10 ms
    const users = 2_000;
    let i = N;
    const end = Date.now() + SECONDS * 1000;
    let next = Date.now();
    let posted = 0;
    while (Date.now() < end) {
      const batch = Array.from({ length: perTick }, () => {
        const j = i++;
        const e = scoringEvent(j, users, Date.now()).event;
        return { ...e, messageId: `l${j}`, timestamp: new Date().toISOString() };
      });
      const res = await app.request('/v1/batch', { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` }, body: JSON.stringify({ batch }) });
      const now = Date.now();
      if (res.status === 200) for (const e of batch) okAt.set(e.messageId, now);
      posted += batch.length;
      next += 10;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    await new Promise((r) => setTimeout(r, 1_000));
    reading = false;
    await readLoop;
    reader.disconnect();
    console.log(
      `latency at ${Math.round(posted / SECONDS)} events/s offered: ${latencies.length} signals, collector 200 → signal readable p50 ${pct(latencies, 0.5)} ms, p99 ${pct(latencies, 0.99)} ms, max ${Math.max(...latencies)} ms`,
    );
    scorer.child.kill('SIGTERM');
    await once(scorer.child, 'exit');
  } finally {
    killAll(children);
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  }
}

if (isMain(import.meta.url)) await main();
