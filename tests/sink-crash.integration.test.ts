import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../schema/stored-event.ts';
import { createClickHouse } from '../server/clickhouse/client.ts';
import { logKeys, partitionOf } from '../server/log/keys.ts';
import { createRedis, waitReady } from '../server/redis.ts';
import { SINK_GROUP } from '../server/sink/clickhouse.sink.ts';
import { rows } from './helpers/clickhouse.ts';
import { cleanupPrefix, drained, testPrefix } from './helpers/redis.ts';
import { lines, storedEvent } from './helpers/stored-events.ts';
import { waitFor } from './helpers/wait.ts';
import { killAll, startRole } from './helpers/child.ts';

const N = 20_000;
const PARTITIONS = 4;
const prefix = testPrefix();
const keys = logKeys(prefix, PARTITIONS);
const ws = `ws-${prefix}`;
let redis: Redis;
let dataDir: string;
const children: ChildProcess[] = [];

/** Starts the sink as its own process, owning the embedded ClickHouse under `dataDir`. */
const startSink = () =>
  startRole(
    'sink',
    {
      REDIS_URL: 'redis://127.0.0.1:6379',
      WARMLINE_REDIS_PREFIX: prefix,
      WARMLINE_PARTITIONS: String(PARTITIONS),
      WARMLINE_DATA_DIR: dataDir,
      WARMLINE_CLICKHOUSE_MAX_MEMORY_MB: '1024',
      WARMLINE_SINK_BATCH_ROWS: '2000',
      WARMLINE_SINK_MAX_AGE_MS: '200',
      WARMLINE_CLAIM_IDLE_MS: '1000',
      LOG_LEVEL: 'warn',
    },
    children,
  );

/** Log entries as the collector writes them: one per request and partition, 1-40 events each. */
function entries(events: StoredEvent[]): Array<{ partition: number; ev: string }> {
  const out: Array<{ partition: number; ev: string }> = [];
  const byPartition = new Map<number, StoredEvent[]>();
  for (const e of events) {
    const p = partitionOf(e.userKey, PARTITIONS);
    const list = byPartition.get(p) ?? [];
    list.push(e);
    if (list.length >= 1 + (out.length % 40)) {
      out.push({ partition: p, ev: lines(list) });
      byPartition.set(p, []);
    } else byPartition.set(p, list);
  }
  for (const [partition, list] of byPartition) if (list.length > 0) out.push({ partition, ev: lines(list) });
  return out;
}

async function feed(list: Array<{ partition: number; ev: string }>): Promise<void> {
  for (let i = 0; i < list.length; i += 50) {
    const pipe = redis.pipeline();
    for (const e of list.slice(i, i + 50)) pipe.xadd(keys.stream(e.partition), '*', 'ev', e.ev);
    const failed = ((await pipe.exec()) ?? []).find(([err]) => err);
    if (failed?.[0]) throw failed[0];
    await new Promise((r) => setImmediate(r)); // let the sink interleave
  }
}

async function pendingTotal(): Promise<number> {
  let total = 0;
  for (const s of keys.streams()) {
    try {
      const [count] = (await redis.call('XPENDING', s, SINK_GROUP)) as [number];
      total += Number(count);
    } catch {
      // group not created yet
    }
  }
  return total;
}

beforeAll(async () => {
  redis = createRedis('redis://127.0.0.1:6379', { name: 'crash-test' });
  await waitReady(redis);
  dataDir = mkdtempSync(join(tmpdir(), 'warmline-crash-'));
});
afterAll(async () => {
  killAll(children);
  await cleanupPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('sink crash safety', () => {
  it('ends with exactly the fed events after a SIGKILL mid-stream and a restart', { timeout: 180_000 }, async () => {
    const events = Array.from({ length: N }, (_, i) => storedEvent({ workspaceId: ws, messageId: `c${i}`, userKey: `u${i % 997}` }));
    const all = entries(events);
    const half = Math.floor(all.length / 2);

    const first = startSink();
    await feed(all.slice(0, half));
    // Kill while the sink holds read-but-unacknowledged entries: a batch buffered or being inserted.
    await waitFor(async () => (await pendingTotal()) > 0, { timeoutMs: 60_000, intervalMs: 2, what: `first sink reading\n${first.output()}` });
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const orphaned = await pendingTotal();

    await feed(all.slice(half));
    const second = startSink();
    await waitFor(() => drained(redis, keys.streams(), SINK_GROUP), {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: `log drained by the restarted sink\n${second.output()}`,
    });
    second.child.kill('SIGTERM');
    const [code] = (await once(second.child, 'exit')) as [number | null];
    expect(code, second.output()).toBe(0);

    // The sink process has exited, so this process may open its ClickHouse now.
    const ch = createClickHouse({ WARMLINE_DATA_DIR: dataDir, WARMLINE_CLICKHOUSE_MAX_MEMORY_MB: 1024 });
    try {
      const [stats] = await rows<{ final: string; ids: string }>(
        ch,
        'SELECT count() AS final, uniqExact(message_id) AS ids FROM events FINAL WHERE workspace_id = {ws:String}',
        { ws },
      );
      expect(stats).toEqual({ final: String(N), ids: String(N) });
      const stored = await rows<{ message_id: string }>(ch, 'SELECT message_id FROM events FINAL WHERE workspace_id = {ws:String}', { ws });
      expect(new Set(stored.map((r) => r.message_id))).toEqual(new Set(events.map((e) => e.messageId)));
    } finally {
      await ch.close();
    }
    for (let p = 0; p < PARTITIONS; p++) expect(await redis.xlen(keys.deadLetter(p))).toBe(0);
    expect(orphaned).toBeGreaterThan(0);
  });
});
