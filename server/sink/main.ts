import { createClickHouse } from '../clickhouse/client.ts';
import { migrate } from '../clickhouse/migrate.ts';
import { loadConfig } from '../config.ts';
import { logKeys } from '../log/keys.ts';
import { createLogger } from '../logger.ts';
import { createRedis } from '../redis.ts';
import { createClickHouseSink } from './clickhouse.sink.ts';

/**
 * Runs the ClickHouse sink alone (`node --import tsx server/sink/main.ts`): migrates, consumes the log
 * until SIGTERM/SIGINT, then flushes, acknowledges and closes. With the embedded engine this process
 * owns the data directory, so nothing else may run it at the same time.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL).child({ module: 'sink.main' });
  const redis = createRedis(config.REDIS_URL, { name: 'sink' });
  const blocking = createRedis(config.REDIS_URL, { name: 'sink-read', blocking: true });
  const clickhouse = createClickHouse(config);
  await migrate(clickhouse, log);
  const sink = createClickHouseSink({
    redis,
    blocking,
    clickhouse,
    keys: logKeys(config.WARMLINE_REDIS_PREFIX, config.WARMLINE_PARTITIONS),
    log,
    config,
  });
  await sink.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 20_000).unref();
    let code = 0;
    for (const [step, fn] of [
      ['sink', () => sink.stop(15_000)],
      ['clickhouse', () => clickhouse.close()],
      ['redis', () => Promise.all([redis.quit(), blocking.quit()])],
    ] as const) {
      try {
        await fn();
      } catch (err) {
        code = 1;
        log.error({ err, step }, 'shutdown step failed');
      }
    }
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`sink failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
