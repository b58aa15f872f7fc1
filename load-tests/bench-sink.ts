/**
 * Sink throughput into the embedded engine (and, as the anchor, a raw insert of the same rows into it):
 * prefills the log with N realistic stored events (entries
 * of 1-40 events, as the collector writes them), then times the sink draining it into ClickHouse, with
 * a breakdown: time spent waiting for ClickHouse's inserts, and the busy time of the JS thread
 * (event-loop utilisation) over the drain.
 *   node --import tsx load-tests/bench-sink.ts [N=200000] [batchRows=20000]
 * Needs Redis on REDIS_URL (default 127.0.0.1:6379); uses a throw-away key prefix and data dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '../schema/stored-event.ts';
import { createClickHouse } from '../server/clickhouse/client.ts';
import { migrate } from '../server/clickhouse/migrate.ts';
import { logKeys, partitionOf } from '../server/log/keys.ts';
import { createLogger } from '../server/logger.ts';
import { createRedis, waitReady } from '../server/redis.ts';
import { createClickHouseSink, SINK_GROUP } from '../server/sink/clickhouse.sink.ts';
import { insertLines } from '../server/sink/insert.ts';
import { cleanupPrefix, drained, testPrefix } from '../tests/helpers/redis.ts';
import { lines, storedEvent } from '../tests/helpers/stored-events.ts';
import { isMain } from './lib/cli.ts';

const PARTITIONS = 8;
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NAMES = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed', 'Signed Up', 'Pricing Viewed'];

/** Stored event `i` of a deterministic, realistic stream (3 workspaces, 10k users, product pages and commerce events). */
export function realistic(i: number): StoredEvent {
  const userKey = `user-${i % 10_000}`;
  const t = new Date(Date.UTC(2024, 4, 1) + i * 1_000).toISOString();
  const path = `/products/${i % 300}`;
  const page = i % 4 === 0;
  return storedEvent({
    workspaceId: `ws-${i % 3}`,
    messageId: `bench-${i}`,
    userKey,
    type: page ? 'page' : 'track',
    timestamp: t,
    receivedAt: t,
    originalTimestamp: t,
    sentAt: t,
    event: {
      type: page ? 'page' : 'track',
      ...(page ? { name: 'Product' } : { event: NAMES[i % NAMES.length] }),
      messageId: `bench-${i}`,
      userId: i % 3 === 0 ? null : userKey,
      anonymousId: `anon-${i % 20_000}`,
      properties: { product_id: `sku-${i % 1_000}`, price: (i % 100) + 0.99, currency: 'USD', quantity: i % 5, [`k${i % 50}`]: i % 2 ? 'x' : i },
      context: {
        page: { path, url: `https://shop.example${path}`, referrer: 'https://www.google.com/', title: `Product ${i % 300}`, search: '' },
        library: { name: 'analytics.js', version: 'npm:next-1.70.0' },
        locale: 'en-US',
        campaign: { source: 'newsletter', medium: 'email', name: `spring-${i % 7}` },
      },
      integrations: {},
    },
  });
}

/** What `sinkThroughput` measured. */
export interface SinkResult {
  rows: number;
  rowsPerS: number;
  /** The anchor: the same rows inserted straight into the engine (no Redis, no sink), batch by batch. */
  rawRowsPerS: number;
  stored: number;
  bytesPerEvent: number;
  insertMs: number;
  jsBusyMs: number;
  jsUtilisation: number;
  cpuMs: number;
}

/**
 * Prefills a throw-away log with `N` realistic events, times the sink draining it into a fresh
 * embedded engine, then times a raw insert of the same rows into the same engine as the anchor.
 */
export async function sinkThroughput(N: number, BATCH: number): Promise<SinkResult> {
  const log = createLogger('warn');
  const prefix = testPrefix();
  const keys = logKeys(prefix, PARTITIONS);
  const dir = mkdtempSync(join(tmpdir(), 'warmline-bench-'));
  const redis = createRedis(url, { name: 'bench' });
  const blocking = createRedis(url, { name: 'bench-read', blocking: true });
  await Promise.all([waitReady(redis), waitReady(blocking)]);
  const ch = createClickHouse({ WARMLINE_DATA_DIR: dir, WARMLINE_CLICKHOUSE_MAX_MEMORY_MB: 2048 });
  try {
    await migrate(ch, log);
    const pending = new Map<number, StoredEvent[]>();
    let pipe = redis.pipeline();
    let queued = 0;
    let bytes = 0;
    for (let i = 0; i < N; i++) {
      const e = realistic(i);
      const p = partitionOf(e.userKey, PARTITIONS);
      const list = pending.get(p) ?? [];
      list.push(e);
      pending.set(p, list);
      if (list.length >= 1 + (i % 40) || i === N - 1) {
        for (const [q, l] of i === N - 1 ? pending : new Map([[p, list]])) {
          if (l.length === 0) continue;
          const ev = lines(l);
          bytes += ev.length;
          pipe.xadd(keys.stream(q), '*', 'ev', ev);
          pending.set(q, []);
          if (++queued % 500 === 0) {
            await pipe.exec();
            pipe = redis.pipeline();
          }
        }
      }
    }
    await pipe.exec();

    let rows = 0;
    let insertMs = 0;
    const sink = createClickHouseSink({
      redis,
      blocking,
      clickhouse: ch,
      keys,
      log,
      config: { WARMLINE_SINK_BATCH_ROWS: BATCH, WARMLINE_SINK_MAX_AGE_MS: 1_000, WARMLINE_CLAIM_IDLE_MS: 30_000, WARMLINE_MAX_DELIVERIES: 10 },
      trimEveryMs: 0,
      observer: {
        batch: (r, ms, ins) => {
          rows += r;
          insertMs += ins;
          if (process.env.BENCH_VERBOSE) process.stdout.write(`batch ${r} rows, ${ms} ms from first read to ack, ${ins} ms inserting\n`);
        },
        deadLettered: () => undefined,
      },
    });
    const t0 = performance.now();
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    await sink.start();
    while (!(await drained(redis, keys.streams(), SINK_GROUP))) await new Promise((r) => setTimeout(r, 20));
    const ms = performance.now() - t0;
    const js = performance.eventLoopUtilization(elu0);
    const cpu = process.cpuUsage(cpu0);
    await sink.stop();
    const rs = await ch.query({ query: 'SELECT count() AS c FROM events FINAL', format: 'JSONEachRow' });
    const [stored] = await rs.json<{ c: string }>();
    // The anchor: the same rows (same messageIds: merged away later), straight into the engine in sink-sized inserts.
    let rawMs = 0;
    for (let from = 0; from < N; from += BATCH) {
      const text = lines(Array.from({ length: Math.min(BATCH, N - from) }, (_, k) => realistic(from + k)));
      const t = performance.now();
      const outcome = await insertLines(ch, { events: text, rejects: '' });
      rawMs += performance.now() - t;
      if (outcome.kind !== 'ok') throw new Error(`raw insert failed: ${String(outcome.err)}`);
    }
    return {
      rows,
      rowsPerS: (rows / ms) * 1000,
      rawRowsPerS: (N / rawMs) * 1000,
      stored: Number(stored?.c),
      bytesPerEvent: bytes / N,
      insertMs,
      jsBusyMs: js.active,
      jsUtilisation: js.utilization,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    blocking.disconnect();
    await ch.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const N = Number(process.argv[2] ?? 200_000);
  const BATCH = Number(process.argv[3] ?? 20_000);
  const r = await sinkThroughput(N, BATCH);
  process.stdout.write(
    `prefilled ${N} events (${r.bytesPerEvent.toFixed(0)} B/event)\n` +
      `sink: ${r.rows} rows = ${Math.round(r.rowsPerS)} rows/s (batch ${BATCH}); events FINAL ${r.stored}; raw insert of the same rows ${Math.round(r.rawRowsPerS)} rows/s\n` +
      `  waiting for inserts ${Math.round(r.insertMs)} ms; JS thread busy ${Math.round(r.jsBusyMs)} ms (${(r.jsUtilisation * 100).toFixed(0)}%); ` +
      `process CPU ${Math.round(r.cpuMs)} ms (all threads, engine included)\n`,
  );
}

if (isMain(import.meta.url)) await main();
