import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { logKeys } from '../log/keys.ts';
import { createRedis, waitReady } from '../redis.ts';
import type { ShutdownStep } from '../shutdown.ts';
import { compileModel } from '../../scoring/engine/index.ts';
import { readModelFile } from '../../scoring/model/load.ts';
import type { ActiveModel } from '../../scoring/runtime/active.ts';
import { createScorer, type Scorer } from '../../scoring/runtime/scorer.ts';

export type { ActiveModel };

/**
 * Loads and compiles a model file (by default WARMLINE_MODEL: the model a first start makes active);
 * a bad file throws a ModelError naming file, line and path.
 */
export async function loadActiveModel(config: Pick<Config, 'WARMLINE_MODEL'>, file = config.WARMLINE_MODEL): Promise<ActiveModel> {
  const { model, text } = await readModelFile(file);
  return { name: model.name, file, source: text, compiled: compileModel(model) };
}

export interface ScorerRole {
  scorer: Scorer;
  steps: ShutdownStep[];
}

/** Starts a scorer process's share of the partitions. */
export async function startScorer(config: Config, log: Logger, metrics: Metrics, model: ActiveModel): Promise<ScorerRole> {
  const redis = createRedis(config.REDIS_URL, { name: 'scorer' });
  const blocking = createRedis(config.REDIS_URL, { name: 'scorer-read', blocking: true });
  await Promise.all([waitReady(redis), waitReady(blocking)]);
  const scorer = createScorer({
    redis,
    blocking,
    keys: logKeys(config.WARMLINE_REDIS_PREFIX, config.WARMLINE_PARTITIONS),
    model,
    log,
    leaseTtlMs: config.WARMLINE_LEASE_TTL_MS,
    observer: {
      scored: (n, latencies) => {
        metrics.scorerEvents.inc(n);
        for (const ms of latencies) metrics.scorerLatency.observe(ms / 1000);
      },
      signals: (n) => metrics.signals.inc(n),
    },
  });
  await scorer.start();
  log.info({ member: scorer.member, generation: scorer.generation() }, 'scorer started');
  return {
    scorer,
    steps: [
      { name: 'scorer', run: () => scorer.stop() },
      { name: 'scorer redis', run: async () => void (await Promise.all([redis.quit(), blocking.quit()])) },
    ],
  };
}
