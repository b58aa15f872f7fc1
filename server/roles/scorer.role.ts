import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { logKeys } from '../log/keys.ts';
import { createRedis, waitReady } from '../redis.ts';
import type { ShutdownStep } from '../shutdown.ts';
import { compileModel, type CompiledModel } from '../../scoring/engine/index.ts';
import { loadModelFile } from '../../scoring/model/load.ts';
import { createScorer, type Scorer } from '../../scoring/runtime/scorer.ts';

export interface ActiveModel {
  name: string;
  compiled: CompiledModel;
}

/** Loads and compiles the configured model; a bad file throws a ModelError naming file, line and path. */
export async function loadActiveModel(config: Config): Promise<ActiveModel> {
  const model = await loadModelFile(config.WARMLINE_MODEL);
  return { name: model.name, compiled: compileModel(model) };
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
    model: model.compiled,
    modelName: model.name,
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
  log.info({ member: scorer.member, model: model.name }, 'scorer started');
  return {
    scorer,
    steps: [
      { name: 'scorer', run: () => scorer.stop() },
      { name: 'scorer redis', run: async () => void (await Promise.all([redis.quit(), blocking.quit()])) },
    ],
  };
}
