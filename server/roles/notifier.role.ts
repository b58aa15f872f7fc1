import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { logKeys } from '../log/keys.ts';
import { createRedis, waitReady } from '../redis.ts';
import type { ShutdownStep } from '../shutdown.ts';
import { webhookMetrics } from '../webhooks/metrics.ts';
import { createNotifier, type Notifier } from '../webhooks/notifier.ts';
import type { WebhookConfig } from '../webhooks/settings.ts';

export interface NotifierRole {
  notifier: Notifier;
  steps: ShutdownStep[];
}

/** The settings the notifier reads: the process's and its own (`webhookConfigShape`, spread into ConfigSchema). */
export type NotifierConfig = Pick<Config, 'REDIS_URL' | 'WARMLINE_REDIS_PREFIX' | 'WARMLINE_PARTITIONS' | 'WARMLINE_LEASE_TTL_MS'> & WebhookConfig;

/** Starts the webhook notifier (signals → signed deliveries), reporting per-endpoint metrics on `metrics.registry`. */
export async function startNotifier(config: NotifierConfig, log: Logger, metrics: Metrics): Promise<NotifierRole> {
  const redis = createRedis(config.REDIS_URL, { name: 'notifier' });
  const blocking = createRedis(config.REDIS_URL, { name: 'notifier-read', blocking: true });
  await Promise.all([waitReady(redis), waitReady(blocking)]);
  const notifier = createNotifier({
    redis,
    blocking,
    keys: logKeys(config.WARMLINE_REDIS_PREFIX, config.WARMLINE_PARTITIONS),
    log,
    retrySchedule: config.WARMLINE_WEBHOOK_RETRY_SCHEDULE,
    timeoutMs: config.WARMLINE_WEBHOOK_TIMEOUT_MS,
    concurrency: config.WARMLINE_WEBHOOK_CONCURRENCY,
    disableAfterFailures: config.WARMLINE_WEBHOOK_DISABLE_AFTER_FAILURES,
    disableAfterMs: config.WARMLINE_WEBHOOK_DISABLE_AFTER_MS,
    retentionMs: config.WARMLINE_WEBHOOK_RETENTION_HOURS * 3_600_000,
    leaseTtlMs: config.WARMLINE_LEASE_TTL_MS,
    observer: webhookMetrics(metrics.registry),
  });
  await notifier.start();
  log.info({ member: notifier.member }, 'webhook notifier started');
  return {
    notifier,
    steps: [
      { name: 'notifier', run: () => notifier.stop() },
      { name: 'notifier redis', run: async () => void (await Promise.all([redis.quit(), blocking.quit()])) },
    ],
  };
}
