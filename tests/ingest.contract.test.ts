import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { testConfig } from './helpers/env.ts';
import { partitionOf } from '../server/log/keys.ts';
import { basic, readLog, useInProcessCollector, SECRET_KEY, WRITE_KEY, WORKSPACE } from './helpers/collector.ts';
import { collectorDeps, createCollectorApp } from '../server/collector.ts';
import { createRedis } from '../server/redis.ts';
import { createLogger } from '../server/logger.ts';
import { Metrics } from '../server/metrics.ts';

const config = testConfig();
const t = useInProcessCollector(config);
beforeEach(async () => {
  for (const s of t.deps.logKeys.streams()) await t.redis.del(s);
});

let seq = 0;
const track = (extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Product Viewed',
  userId: `user-${seq}`,
  messageId: `msg-${Date.now()}-${seq++}`,
  properties: { sku: 'A-1', price: 12.5 },
  ...extra,
});

const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: basic(WRITE_KEY) }) =>
  t.app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });

describe('paths', () => {
  const single: [string, Record<string, unknown>][] = [
    ['track', { event: 'Signed Up', userId: 'u1' }],
    ['page', { name: 'Pricing', anonymousId: 'a1', properties: { path: '/pricing' } }],
    ['screen', { name: 'Home', userId: 'u1' }],
    ['identify', { userId: 'u1', traits: { email: 'x@example.com', title: 'CTO' } }],
    ['group', { userId: 'u1', groupId: 'acme', traits: { employees: 300 } }],
    ['alias', { userId: 'u1', previousId: 'a1' }],
  ];
  for (const [type, body] of single) {
    for (const path of [type, type[0]!]) {
      it(`POST /v1/${path} stores one ${type} event`, async () => {
        const res = await post(`/v1/${path}`, body);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ success: true });
        const { events } = await readLog(t.redis, t.deps);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ type, workspaceId: WORKSPACE, v: 1 });
        expect(events[0]!.event).toMatchObject(body);
      });
    }
  }

  for (const path of ['/v1/batch', '/v1/b']) {
    it(`POST ${path} stores every event of the batch`, async () => {
      const batch = [track(), track({ type: 'page', name: 'Home' }), track({ type: 'identify', traits: { plan: 'pro' } })];
      const res = await post(path, { batch });
      expect(res.status).toBe(200);
      const { events } = await readLog(t.redis, t.deps);
      expect(events.map((e) => e.messageId).sort()).toEqual(batch.map((e) => e.messageId).sort());
    });
  }

  it('POST /v1/m is accepted and counted', async () => {
    const res = await post('/v1/m', { series: [{ type: 'Counter', metric: 'x', value: 1 }] });
    expect(res.status).toBe(200);
    const metrics = await (await t.app.request('/metrics')).text();
    expect(metrics).toMatch(/warmline_tracker_metrics_total 1/);
  });

  it('answers CORS preflight on every ingest path', async () => {
    for (const path of ['batch', 'b', 'track', 't', 'page', 'p', 'screen', 's', 'identify', 'i', 'group', 'g', 'alias', 'a', 'm']) {
      const res = await t.app.request(`/v1/${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,x-retry-count' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
      expect(res.headers.get('access-control-allow-headers')).toMatch(/X-Retry-Count/);
    }
  });
});

describe('bodies and auth', () => {
  it('takes text/plain bodies (analytics-next)', async () => {
    const res = await post('/v1/t', JSON.stringify(track()), { authorization: basic(WRITE_KEY), 'content-type': 'text/plain' });
    expect(res.status).toBe(200);
    expect((await readLog(t.redis, t.deps)).events).toHaveLength(1);
  });

  it('takes gzip-encoded bodies', async () => {
    const res = await post('/v1/batch', gzipSync(JSON.stringify({ batch: [track(), track()] })), {
      authorization: basic(WRITE_KEY),
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect((await readLog(t.redis, t.deps)).events).toHaveLength(2);
  });

  it('takes the write key from the body', async () => {
    const res = await post('/v1/batch', { writeKey: WRITE_KEY, batch: [track()] }, {});
    expect(res.status).toBe(200);
  });

  it('refuses missing, unknown, malformed and secret keys with 401', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'missing_write_key'],
      [{ authorization: basic('wk_nope') }, 'unknown_write_key'],
      [{ authorization: 'Bearer abc' }, 'bad_auth'],
      [{ authorization: basic(SECRET_KEY) }, 'not_a_write_key'],
    ];
    for (const [headers, code] of cases) {
      const res = await post('/v1/t', track(), headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ success: false, error: code });
    }
    expect((await readLog(t.redis, t.deps)).entries).toBe(0);
  });
});

describe('enrichment', () => {
  it('sets receivedAt, corrects the timestamp for clock skew and anonymises the IP', async () => {
    const before = Date.now();
    // The client's clock is a day ahead; it sent 2 s after the event.
    const res = await post('/v1/t', {
      ...track(),
      timestamp: '2030-01-02T00:00:00.000Z',
      sentAt: '2030-01-02T00:00:02.000Z',
      context: { ip: '203.0.113.77', userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' },
    });
    expect(res.status).toBe(200);
    const [e] = (await readLog(t.redis, t.deps)).events;
    const received = Date.parse(e!.receivedAt);
    expect(received).toBeGreaterThanOrEqual(before);
    expect(Date.parse(e!.timestamp)).toBe(received - 2_000);
    expect(e!.originalTimestamp).toBe('2030-01-02T00:00:00.000Z');
    expect(e!.ip).toBe('203.0.113.0');
    expect((e!.event.context as { ip: string }).ip).toBe('203.0.113.0');
    expect(e!.ua.isBot).toBe(true);
  });

  it('assigns a messageId when the client sent none', async () => {
    const { messageId: _omit, ...withoutId } = track();
    expect((await post('/v1/t', withoutId)).status).toBe(200);
    const [e] = (await readLog(t.redis, t.deps)).events;
    expect(e!.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('dedupe', () => {
  it('answers a resent event 200 but appends it once', async () => {
    const event = track();
    expect((await post('/v1/t', event)).status).toBe(200);
    expect((await post('/v1/t', event)).status).toBe(200);
    expect((await post('/v1/batch', { batch: [event, event, track()] })).status).toBe(200);
    const { events } = await readLog(t.redis, t.deps);
    expect(events.filter((e) => e.messageId === event.messageId)).toHaveLength(1);
    expect(events).toHaveLength(2);
  });
});

describe('partial batches', () => {
  it('keeps valid neighbours, stores the invalid ones as rejects and lists them', async () => {
    const good = [track(), track()];
    const res = await post('/v1/batch', {
      batch: [good[0], { type: 'track', userId: 'u' }, { type: 'track', event: 'X' }, good[1], { type: 'nope', userId: 'u' }],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rejected: { index: number; reason: string }[] };
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 4]);
    expect(body.rejected[0]!.reason).toMatch(/^event:/);
    expect(body.rejected[1]!.reason).toMatch(/userId or anonymousId is required/);
    expect(body.rejected[2]!.reason).toMatch(/^type:/);
    const { events, rejects } = await readLog(t.redis, t.deps);
    expect(events).toHaveLength(2);
    expect(rejects).toHaveLength(3);
    expect(rejects[0]).toMatchObject({ workspaceId: WORKSPACE, raw: JSON.stringify({ type: 'track', userId: 'u' }) });
  });
});

describe('back-pressure', () => {
  it('answers 503 with Retry-After when Redis is unreachable, and stores nothing', async () => {
    const dead = createRedis('redis://127.0.0.1:1', { name: 'dead' });
    const deadApp = createCollectorApp(collectorDeps(config, dead, createLogger('silent'), new Metrics()));
    const res = await deadApp.request('/v1/t', { method: 'POST', headers: { authorization: basic(WRITE_KEY) }, body: JSON.stringify(track()) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    dead.disconnect();
  });
});

describe('load shedding', () => {
  const appWith = (overrides: Record<string, string>) =>
    createCollectorApp(collectorDeps(testConfig({ WARMLINE_REDIS_PREFIX: config.WARMLINE_REDIS_PREFIX, WARMLINE_PARTITIONS: String(config.WARMLINE_PARTITIONS), ...overrides }), t.redis, createLogger('silent'), new Metrics()));

  it('answers 503 log_full with Retry-After when a partition holds its bound, and appends nothing', async () => {
    const small = appWith({ WARMLINE_LOG_MAX_ENTRIES: '100' });
    const event = track();
    const stream = t.deps.logKeys.stream(partitionOf(event.userId, config.WARMLINE_PARTITIONS));
    for (let i = 0; i < 100; i++) await t.redis.xadd(stream, '*', 'ev', '{}');
    const res = await small.request('/v1/t', { method: 'POST', headers: { authorization: basic(WRITE_KEY) }, body: JSON.stringify(event) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await t.redis.xlen(stream)).toBe(100);
    // Once consumers catch up (entries trimmed), the same event is taken: the refused attempt left no dedupe mark.
    await t.redis.xtrim(stream, 'MAXLEN', 0);
    expect((await small.request('/v1/t', { method: 'POST', headers: { authorization: basic(WRITE_KEY) }, body: JSON.stringify(event) })).status).toBe(200);
    expect(await t.redis.xlen(stream)).toBe(1);
  });

  it('answers 429 with Retry-After when a write key exceeds its rate', async () => {
    const limited = appWith({ WARMLINE_RATE_LIMIT_EPS: '1', WARMLINE_RATE_LIMIT_BURST: '20' });
    const send = (n: number) =>
      limited.request('/v1/batch', { method: 'POST', headers: { authorization: basic(WRITE_KEY) }, body: JSON.stringify({ batch: Array.from({ length: n }, () => track()) }) });
    expect((await send(15)).status).toBe(200);
    const res = await send(15);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
