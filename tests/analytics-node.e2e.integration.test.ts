import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analytics } from '@segment/analytics-node';
import type { Redis } from 'ioredis';
import { testConfig, testRedis } from './helpers/env.ts';
import { cleanupPrefix } from './helpers/redis.ts';
import { waitFor } from './helpers/wait.ts';
import { tempClickHouse, rows } from './helpers/clickhouse.ts';
import { SECRET_KEY, WRITE_KEY, WORKSPACE } from './helpers/collector.ts';
import { migrate } from '../server/clickhouse/migrate.ts';
import { createLogger } from '../server/logger.ts';
import { Metrics } from '../server/metrics.ts';
import { startCollector, type CollectorRole } from '../server/roles/collector.role.ts';
import { startSink, type SinkRole } from '../server/roles/sink.role.ts';

const config = testConfig({ PORT: '0', HOST: '127.0.0.1', WARMLINE_SINK_MAX_AGE_MS: '200' });
const ch = tempClickHouse();
const log = createLogger('silent');
let redis: Redis;
let collector: CollectorRole;
let sink: SinkRole;
let base: string;

beforeAll(async () => {
  redis = await testRedis(config);
  await migrate(ch.client, log);
  const metrics = new Metrics();
  collector = await startCollector(config, log, metrics, { clickhouse: ch.client });
  sink = await startSink(config, log, metrics, ch.client);
  await collector.deps.keys.ensureWorkspace(WORKSPACE, 'Test');
  await collector.deps.keys.addKey(WORKSPACE, 'write', WRITE_KEY);
  await collector.deps.keys.addKey(WORKSPACE, 'secret', SECRET_KEY);
  base = `http://127.0.0.1:${collector.http.port}`;
});
afterAll(async () => {
  for (const step of [...collector.steps, ...sink.steps]) await step.run();
  await cleanupPrefix(redis, config.WARMLINE_REDIS_PREFIX);
  redis.disconnect();
  await ch.dispose();
});

const N = 10_000;
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;

/** Event i of the run: a reproducible mix of every type over 250 users. */
function send(analytics: Analytics, i: number): void {
  const type = TYPES[i % TYPES.length]!;
  const common = { userId: `user-${i % 250}`, messageId: `e2e-${i}`, timestamp: new Date(T0 + i * 1000) };
  switch (type) {
    case 'track':
      return analytics.track({ ...common, event: i % 4 === 0 ? 'Product Viewed' : 'Pricing Viewed', properties: { i, price: i / 10 } });
    case 'page':
      return analytics.page({ ...common, name: 'Pricing', properties: { path: '/pricing', i } });
    case 'screen':
      return analytics.screen({ ...common, name: 'Home', properties: { i } });
    case 'identify':
      return analytics.identify({ ...common, traits: { title: 'CTO', i } });
    case 'group':
      return analytics.group({ ...common, groupId: `acct-${i % 40}`, traits: { employees: i } });
    case 'alias':
      return analytics.alias({ userId: common.userId, previousId: `anon-${i}`, messageId: common.messageId, timestamp: common.timestamp });
  }
}

describe('10,000 events from @segment/analytics-node', () => {
  it('land in ClickHouse exactly once, with their types and timestamps, resends included', async () => {
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: base, maxEventsInBatch: 100, flushInterval: 100 });
    const failures: unknown[] = [];
    analytics.on('error', (err) => failures.push(err));
    for (let i = 0; i < N; i++) send(analytics, i);
    // A client retrying: 1,000 events sent again with the same messageIds.
    for (let i = 0; i < N; i += 10) send(analytics, i);
    await analytics.closeAndFlush({ timeout: 60_000 });
    expect(failures).toEqual([]);

    const count = await waitFor(
      async () => {
        const [r] = await rows<{ n: string }>(ch.client, 'SELECT count() AS n FROM events FINAL WHERE workspace_id = {ws:String}', { ws: WORKSPACE });
        return Number(r!.n) >= N && Number(r!.n);
      },
      { timeoutMs: 60_000, what: 'all events in ClickHouse' },
    );
    expect(count).toBe(N);
    const [distinct] = await rows<{ n: string; raw: string }>(ch.client, 'SELECT uniqExact(message_id) AS n, count() AS raw FROM events WHERE workspace_id = {ws:String}', { ws: WORKSPACE });
    expect(Number(distinct!.n)).toBe(N);
    expect(Number(distinct!.raw)).toBe(N); // the collector deduped the resends: not even an unmerged duplicate row

    const byType = await rows<{ type: string; n: string }>(ch.client, 'SELECT type, count() AS n FROM events FINAL GROUP BY type ORDER BY type');
    expect(Object.fromEntries(byType.map((r) => [r.type, Number(r.n)]))).toEqual(
      Object.fromEntries(TYPES.map((t, k) => [t, Math.floor((N - 1 - k) / TYPES.length) + 1])),
    );

    // Timestamps: the client's clock is ours, so skew correction moves them by at most the transit time.
    const times = await rows<{ message_id: string; timestamp: string; original_timestamp: string }>(
      ch.client,
      'SELECT message_id, timestamp, original_timestamp FROM events FINAL WHERE message_id IN {ids:Array(String)}',
      { ids: ['e2e-0', 'e2e-1', 'e2e-4242', 'e2e-9999'] },
    );
    expect(times).toHaveLength(4);
    for (const t of times) {
      const i = Number(t.message_id.split('-')[1]);
      expect(Date.parse(t.original_timestamp)).toBe(T0 + i * 1000);
      expect(Math.abs(Date.parse(t.timestamp) - (T0 + i * 1000))).toBeLessThan(10_000);
    }

    const [track] = await rows<Record<string, string>>(ch.client, "SELECT * FROM events FINAL WHERE message_id = 'e2e-0'");
    expect(track).toMatchObject({ type: 'track', event: 'Product Viewed', user_id: 'user-0', user_key: 'user-0', library_name: '@segment/analytics-node' });
    expect(JSON.parse(track!.properties!)).toEqual({ i: 0, price: 0 });
    const [group] = await rows<Record<string, string>>(ch.client, "SELECT group_id, traits FROM events FINAL WHERE message_id = 'e2e-4'");
    expect(group).toEqual({ group_id: 'acct-4', traits: JSON.stringify({ employees: 4 }) });
    const [alias] = await rows<Record<string, string>>(ch.client, "SELECT previous_id FROM events FINAL WHERE message_id = 'e2e-5'");
    expect(alias!.previous_id).toBe('anon-5');
  });

  it('serves a user timeline newest first, paged, to secret keys only', async () => {
    const get = (path: string, key: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    expect((await get('/api/profiles/user-1/events', WRITE_KEY)).status).toBe(403);
    expect((await fetch(`${base}/api/profiles/user-1/events`)).status).toBe(401);

    const first = (await (await get('/api/profiles/user-1/events?limit=15', SECRET_KEY)).json()) as {
      events: { messageId: string; timestamp: string }[];
      nextCursor: string;
    };
    expect(first.events).toHaveLength(15);
    const times = first.events.map((e) => Date.parse(e.timestamp));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const second = (await (await get(`/api/profiles/user-1/events?limit=500&cursor=${first.nextCursor}`, SECRET_KEY)).json()) as {
      events: { messageId: string }[];
      nextCursor: string | null;
    };
    // user-1 got every 250th event from 1: 40 in all.
    expect(first.events.length + second.events.length).toBe(40);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.events, ...second.events].map((e) => e.messageId)).size).toBe(40);
    expect((await get('/api/profiles/user-1/events?cursor=garbage', SECRET_KEY)).status).toBe(400);
  });
});
