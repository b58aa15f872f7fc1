import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { errorHandler } from './http/errors.ts';
import { UserAgentParser } from './ingest/enrich.ts';
import { RateLimiter } from './ingest/rate-limit.ts';
import { KeyStore } from './keys/workspaces.ts';
import { LogAppender } from './log/append.ts';
import { logKeys, type LogKeys } from './log/keys.ts';
import { logStats } from './log/stats.ts';
import { ingestRoutes } from './routes/ingest.route.ts';
import { opsRoutes, type ReadinessCheck } from './routes/ops.route.ts';
import { apiRoutes } from './routes/api.route.ts';
import { secretKeyAuth, type ApiEnv } from './api/auth.ts';
import { dashboardApiRoutes } from './routes/dashboard-api.route.ts';
import { webhookRoutes } from './routes/webhooks.route.ts';
import { trackerRoutes } from './routes/tracker.route.ts';
import { dashboardRoutes } from './routes/dashboard.route.ts';
import type { ClickHouseClient } from './clickhouse/client.ts';
import type { ActiveModel } from './roles/scorer.role.ts';
import { ActiveScoring } from '../scoring/runtime/active.ts';

/** What the collector's routes need; built once per process by `collectorDeps`. */
export interface CollectorDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  redis: Redis;
  logKeys: LogKeys;
  keys: KeyStore;
  appender: LogAppender;
  uaParser: UserAgentParser;
  limiter: RateLimiter;
}

export function collectorDeps(config: Config, redis: Redis, log: Logger, metrics: Metrics): CollectorDeps {
  const keys = logKeys(config.WARMLINE_REDIS_PREFIX, config.WARMLINE_PARTITIONS);
  return {
    config,
    log: log.child({ module: 'collector' }),
    metrics,
    redis,
    logKeys: keys,
    keys: new KeyStore(redis, config.WARMLINE_REDIS_PREFIX),
    appender: new LogAppender(redis, keys, {
      maxEntries: config.WARMLINE_LOG_MAX_ENTRIES,
      dedupeSeconds: config.WARMLINE_DEDUPE_HOURS * 3600,
    }),
    uaParser: new UserAgentParser(),
    limiter: new RateLimiter(config.WARMLINE_RATE_LIMIT_EPS, config.WARMLINE_RATE_LIMIT_BURST),
  };
}

/**
 * The HTTP app of a collector: ingest under `/v1`, the browser tracker under `/tracker` (and its demo
 * under `/demo`), operations at the root and, when the process reaches ClickHouse, the read API under
 * `/api` (and ClickHouse in `/readyz`).
 */
export function createCollectorApp(deps: CollectorDeps, extras: { clickhouse?: ClickHouseClient; model?: ActiveModel } = {}): Hono {
  const { clickhouse, model } = extras;
  const active = new ActiveScoring(deps.redis, deps.logKeys);
  const app = new Hono();
  app.onError(errorHandler(deps.log));
  app.notFound((c) => c.json({ success: false, error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.route('/v1', ingestRoutes(deps));
  app.route('/', trackerRoutes(deps.config));
  app.route('/', dashboardRoutes());
  // One secret-key check for everything under /api (write keys can never read), then the route groups.
  const api = new Hono<ApiEnv>();
  api.use('*', secretKeyAuth(deps.keys));
  api.route('/', apiRoutes({ ...(clickhouse ? { clickhouse } : {}), ...(model ? { profiles: { redis: deps.redis, active, fallback: model } } : {}) }));
  api.route(
    '/',
    dashboardApiRoutes({
      keys: deps.keys,
      redis: deps.redis,
      logKeys: deps.logKeys,
      active,
      ...(model ? { fallback: model } : {}),
      ...(clickhouse ? { clickhouse } : {}),
    }),
  );
  api.route(
    '/',
    webhookRoutes({
      redis: deps.redis,
      prefix: deps.config.WARMLINE_REDIS_PREFIX,
      retentionMs: deps.config.WARMLINE_WEBHOOK_RETENTION_HOURS * 3_600_000,
    }),
  );
  app.route('/api', api);
  const updateLogGauges = async () => {
    const stats = await logStats(deps.redis, deps.logKeys);
    stats.lengths.forEach((len, p) => deps.metrics.logLength.set({ partition: String(p) }, len));
    for (const [group, g] of stats.groups) {
      if (g.lag !== null) deps.metrics.logLag.set({ group }, g.lag);
      deps.metrics.logPending.set({ group }, g.pending);
    }
  };
  const checks: ReadinessCheck[] = [
    {
      name: 'redis',
      check: async () => {
        await deps.redis.ping();
      },
    },
    {
      name: 'log',
      check: async () => {
        const stats = await logStats(deps.redis, deps.logKeys);
        const fullest = Math.max(0, ...stats.lengths);
        if (fullest >= deps.config.WARMLINE_LOG_MAX_ENTRIES * 0.9) {
          throw new Error(`a log partition holds ${fullest} entries, over 90% of its bound`);
        }
      },
    },
  ];
  if (clickhouse) {
    checks.push({
      name: 'clickhouse',
      check: async () => {
        const r = await clickhouse.ping();
        if (!r.success) throw r.error;
      },
    });
  }
  app.route('/', opsRoutes({ metrics: deps.metrics, checks, beforeScrape: updateLogGauges, log: deps.log }));
  return app;
}
