import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Signal } from '../../schema/signal.ts';
import type { WebhookEndpoint, WebhookEndpointCreate } from '../../schema/webhook.ts';
import type { Config } from '../../server/config.ts';
import { errorHandler } from '../../server/http/errors.ts';
import { KeyStore } from '../../server/keys/workspaces.ts';
import { createLogger } from '../../server/logger.ts';
import { logKeys, partitionOf } from '../../server/log/keys.ts';
import { createRedis, waitReady } from '../../server/redis.ts';
import { secretKeyAuth } from '../../server/api/auth.ts';
import { webhookRoutes } from '../../server/routes/webhooks.route.ts';
import { createNotifier, type Notifier, type NotifierOptions } from '../../server/webhooks/notifier.ts';
import { scorerKeys } from '../../scoring/runtime/keys.ts';
import { SECRET_KEY, WORKSPACE, WRITE_KEY } from './collector.ts';
import { testConfig, testRedis } from './env.ts';
import { cleanupPrefix } from './redis.ts';

export { SECRET_KEY, WORKSPACE, WRITE_KEY };

/** A Signal as the scorer writes it, with overrides. */
export function signal(overrides: Partial<Signal> = {}): Signal {
  return {
    v: 1,
    id: randomUUID(),
    kind: 'segment.entered',
    workspaceId: WORKSPACE,
    userKey: 'user-1',
    segment: 'hot',
    score: 42,
    reasons: [{ rule: 'pricing-page', kind: 'behaviour', points: 30 }],
    traits: { email: 'lead@acme.test', plan: 'trial' },
    trigger: { messageId: randomUUID(), type: 'page', name: 'Pricing', timestamp: new Date().toISOString() },
    at: new Date().toISOString(),
    ...overrides,
  };
}

/**
 * One isolated webhook world: its own key prefix, a workspace with WRITE_KEY/SECRET_KEY, the API
 * in process, and notifiers started on demand (small timings), all torn down by `dispose`.
 */
export async function webhookWorld(config: Config = testConfig()) {
  const redis = await testRedis(config);
  const keys = logKeys(config.WARMLINE_REDIS_PREFIX, config.WARMLINE_PARTITIONS);
  const store = new KeyStore(redis, config.WARMLINE_REDIS_PREFIX);
  await store.ensureWorkspace(WORKSPACE, 'Test');
  await store.addKey(WORKSPACE, 'write', WRITE_KEY);
  await store.addKey(WORKSPACE, 'secret', SECRET_KEY);
  const log = createLogger('silent');
  const app = new Hono();
  app.onError(errorHandler(log));
  app.use('/api/*', secretKeyAuth(store));
  app.route('/api', webhookRoutes({ redis, prefix: config.WARMLINE_REDIS_PREFIX, retentionMs: 3_600_000 }));
  const notifiers: Array<{ n: Notifier; conns: Redis[] }> = [];

  const api = async (method: string, path: string, body?: unknown, key = SECRET_KEY) =>
    app.request(`/api${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  return {
    config,
    redis,
    keys,
    app,
    api,
    async createEndpoint(input: Partial<WebhookEndpointCreate> & { url: string }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      const res = await api('POST', '/webhooks', input);
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as { endpoint: WebhookEndpoint; secret: string };
    },
    /** Writes signals to their partitions' signals streams, as the scorer does. */
    async emit(signals: readonly Signal[]): Promise<void> {
      const sk = scorerKeys(keys);
      const pipe = redis.pipeline();
      for (const s of signals) pipe.xadd(sk.signals(partitionOf(s.userKey, keys.partitions)), '*', 'sg', JSON.stringify(s));
      await pipe.exec();
    },
    async startNotifier(overrides: Partial<NotifierOptions> = {}): Promise<Notifier> {
      const r = createRedis(config.REDIS_URL, { name: 'test-notifier' });
      const b = createRedis(config.REDIS_URL, { name: 'test-notifier-read', blocking: true });
      await Promise.all([waitReady(r), waitReady(b)]);
      const n = createNotifier({
        redis: r,
        blocking: b,
        keys,
        log,
        retrySchedule: [100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000],
        timeoutMs: 1_000,
        concurrency: 4,
        disableAfterFailures: 1_000,
        disableAfterMs: 3_600_000,
        retentionMs: 3_600_000,
        leaseTtlMs: 1_000,
        pollMs: 20,
        directoryMaxAgeMs: 200,
        ...overrides,
      });
      await n.start();
      notifiers.push({ n, conns: [r, b] });
      return n;
    },
    async dispose(): Promise<void> {
      for (const { n, conns } of notifiers) {
        await n.stop();
        for (const c of conns) c.disconnect();
      }
      await cleanupPrefix(redis, config.WARMLINE_REDIS_PREFIX);
      redis.disconnect();
    },
  };
}
export type WebhookWorld = Awaited<ReturnType<typeof webhookWorld>>;
