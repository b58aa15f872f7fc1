import { afterAll, beforeAll } from 'vitest';
import { testRedis } from './env.ts';
import { cleanupPrefix } from './redis.ts';
import type { Redis } from 'ioredis';
import type { Hono } from 'hono';
import type { Config } from '../../server/config.ts';
import { collectorDeps, createCollectorApp, type CollectorDeps } from '../../server/collector.ts';
import { createLogger } from '../../server/logger.ts';
import { Metrics } from '../../server/metrics.ts';
import { ENTRY_EVENTS, ENTRY_REJECTS } from '../../server/log/keys.ts';
import type { RejectedEvent, StoredEvent } from '../../schema/stored-event.ts';

export const WRITE_KEY = 'wk_test_write_key_0001';
export const SECRET_KEY = 'sk_test_secret_key_0001';
export const WORKSPACE = 'ws_test';

/** A collector app driven in process, with a workspace holding WRITE_KEY and SECRET_KEY. */
export async function inProcessCollector(config: Config, redis: Redis): Promise<{ app: Hono; deps: CollectorDeps }> {
  const deps = collectorDeps(config, redis, createLogger('silent'), new Metrics());
  await deps.keys.ensureWorkspace(WORKSPACE, 'Test');
  await deps.keys.addKey(WORKSPACE, 'write', WRITE_KEY);
  await deps.keys.addKey(WORKSPACE, 'secret', SECRET_KEY);
  return { app: createCollectorApp(deps), deps };
}

export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** Every stored event and reject currently in the log, across partitions. */
export async function readLog(redis: Redis, deps: CollectorDeps): Promise<{ events: StoredEvent[]; rejects: RejectedEvent[]; entries: number }> {
  const events: StoredEvent[] = [];
  const rejects: RejectedEvent[] = [];
  let entries = 0;
  for (const stream of deps.logKeys.streams()) {
    for (const [, fields] of await redis.xrange(stream, '-', '+')) {
      entries++;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const lines = (fields[i + 1] ?? '').split('\n');
        if (fields[i] === ENTRY_EVENTS) events.push(...lines.map((l) => JSON.parse(l) as StoredEvent));
        if (fields[i] === ENTRY_REJECTS) rejects.push(...lines.map((l) => JSON.parse(l) as RejectedEvent));
      }
    }
  }
  return { events, rejects, entries };
}

/** Handles to a file's in-process collector, filled before its tests run. */
export interface CollectorContext {
  redis: Redis;
  app: Hono;
  deps: CollectorDeps;
}

/** Registers the hooks that start an in-process collector for a test file and drop its Redis keys after. */
export function useInProcessCollector(config: Config): CollectorContext {
  const ctx: Partial<CollectorContext> = {};
  beforeAll(async () => {
    ctx.redis = await testRedis(config);
    Object.assign(ctx, await inProcessCollector(config, ctx.redis));
  });
  afterAll(async () => {
    if (!ctx.redis) return;
    await cleanupPrefix(ctx.redis, config.WARMLINE_REDIS_PREFIX);
    ctx.redis.disconnect();
  });
  // Read only inside tests, after beforeAll filled every field.
  return ctx as CollectorContext;
}
