import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { collectorDeps, createCollectorApp, type CollectorDeps } from '../collector.ts';
import type { Server } from 'node:http';
import { createRedis, waitReady } from '../redis.ts';
import { attachFeed } from '../feed/feed.ts';
import { LOG_GROUPS } from '../log/keys.ts';
import { ensureGroups } from '../log/consumer.ts';
import type { ClickHouseClient } from '../clickhouse/client.ts';
import type { ActiveModel } from './scorer.role.ts';
import { listen, type RunningServer } from './http.ts';
import type { ShutdownStep } from '../shutdown.ts';

export interface CollectorRole {
  deps: CollectorDeps;
  http: RunningServer;
  /** Shutdown steps, in order: stop accepting (finishing in-flight requests), then close Redis. */
  steps: ShutdownStep[];
}

/** Starts the collector on `config.PORT`: the Segment HTTP API, operations and (given ClickHouse) the read API. */
export async function startCollector(
  config: Config,
  log: Logger,
  metrics: Metrics,
  extras: { clickhouse?: ClickHouseClient; model?: ActiveModel } = {},
): Promise<CollectorRole> {
  const redis = createRedis(config.REDIS_URL, { name: 'collector' });
  await waitReady(redis);
  const deps = collectorDeps(config, redis, log, metrics);
  // Every consumer group exists before the first event: the log keeps entries until all have read them.
  for (const group of LOG_GROUPS) await ensureGroups(redis, deps.logKeys.streams(), group);
  const http = await listen(createCollectorApp(deps, extras), config.HOST, config.PORT);
  const feed = await attachFeed(http.server as Server, { redis, keys: deps.keys, logKeys: deps.logKeys, log, metrics });
  log.info({ port: http.port }, 'collector listening (live feed on /ws/feed)');
  return {
    deps,
    http,
    steps: [
      { name: 'feed', run: () => feed.close() },
      { name: 'http', run: () => http.close() },
      { name: 'collector redis', run: async () => void (await redis.quit()) },
    ],
  };
}
