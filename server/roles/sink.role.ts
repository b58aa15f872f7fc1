import type { ClickHouseClient } from '../clickhouse/client.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { logKeys } from '../log/keys.ts';
import { createRedis, waitReady } from '../redis.ts';
import { createClickHouseSink, type ClickHouseSink } from '../sink/clickhouse.sink.ts';
import { sinkSources } from '../sink/source.ts';
import type { ShutdownStep } from '../shutdown.ts';

export interface SinkRole {
  sink: ClickHouseSink;
  /** Shutdown steps, in order: flush and acknowledge what is buffered, then close Redis. */
  steps: ShutdownStep[];
}

/** Starts the ClickHouse sink (the log and the scorer's score history) on an already migrated client, reporting to `metrics`. */
export async function startSink(config: Config, log: Logger, metrics: Metrics, clickhouse: ClickHouseClient): Promise<SinkRole> {
  const redis = createRedis(config.REDIS_URL, { name: 'sink' });
  const blocking = createRedis(config.REDIS_URL, { name: 'sink-read', blocking: true });
  await Promise.all([waitReady(redis), waitReady(blocking)]);
  const keys = logKeys(config.WARMLINE_REDIS_PREFIX, config.WARMLINE_PARTITIONS);
  const sink = createClickHouseSink({
    redis,
    blocking,
    clickhouse,
    keys,
    sources: sinkSources(keys),
    log,
    config,
    observer: {
      batch: (rows, ms) => {
        metrics.sinkBatchRows.observe(rows);
        metrics.sinkBatchSeconds.observe(ms / 1000);
      },
      deadLettered: (n) => metrics.sinkDeadLettered.inc(n),
    },
  });
  await sink.start();
  log.info({ consumer: sink.consumer }, 'sink consuming the log and score history');
  return {
    sink,
    steps: [
      { name: 'sink flush', run: () => sink.stop(10_000) },
      { name: 'sink redis', run: async () => void (await Promise.all([redis.quit(), blocking.quit()])) },
    ],
  };
}
