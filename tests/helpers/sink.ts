import type { Redis } from 'ioredis';
import { migrate } from '../../server/clickhouse/migrate.ts';
import type { Logger } from '../../server/logger.ts';
import { createRedis, waitReady } from '../../server/redis.ts';
import { rows, tempClickHouse } from './clickhouse.ts';
import { cleanupPrefix } from './redis.ts';

export interface SinkTestEnv {
  redis: Redis;
  /** For the sink's blocking reads. */
  blocking: Redis;
  ch: ReturnType<typeof tempClickHouse>;
  /** Removes the file's Redis keys, disconnects, drops the ClickHouse dir. */
  close(): Promise<void>;
}

/** What a sink test file needs: Redis (plain and blocking) and a migrated embedded ClickHouse of its own. */
export async function openSinkTestEnv(prefix: string, log: Logger): Promise<SinkTestEnv> {
  const redis = createRedis('redis://127.0.0.1:6379', { name: 'test' });
  const blocking = createRedis('redis://127.0.0.1:6379', { name: 'test-blocking', blocking: true });
  await Promise.all([waitReady(redis), waitReady(blocking)]);
  const ch = tempClickHouse();
  await migrate(ch.client, log);
  return {
    redis,
    blocking,
    ch,
    async close() {
      await cleanupPrefix(redis, prefix);
      redis.disconnect();
      blocking.disconnect();
      await ch.dispose();
    },
  };
}

const COUNT_QUERIES = {
  events: 'SELECT count() AS c FROM events WHERE workspace_id = {ws:String}',
  rejected_events: 'SELECT count() AS c FROM rejected_events WHERE workspace_id = {ws:String}',
  score_changes: 'SELECT count() AS c FROM score_changes WHERE workspace_id = {ws:String}',
  segment_changes: 'SELECT count() AS c FROM segment_changes WHERE workspace_id = {ws:String}',
} as const;

/** Rows of a workspace in a table; `final` collapses redeliveries (ReplacingMergeTree), without it they show. */
export async function countRows(env: SinkTestEnv, table: keyof typeof COUNT_QUERIES, ws: string, final = true): Promise<number> {
  const query = final ? COUNT_QUERIES[table].replace(` FROM ${table} `, ` FROM ${table} FINAL `) : COUNT_QUERIES[table];
  const [r] = await rows<{ c: string }>(env.ch.client, query, { ws });
  return Number(r?.c);
}
