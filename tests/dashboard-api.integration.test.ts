import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type {
  CompareResponse,
  CreatedKeyResponse,
  KeysResponse,
  ModelResponse,
  ProfileHistoryResponse,
  RecentSignalsResponse,
  SegmentDetailResponse,
  SegmentsResponse,
  WorkspaceResponse,
} from '../schema/dashboard.ts';
import type { Signal } from '../schema/signal.ts';
import type { StoredEvent } from '../schema/stored-event.ts';
import { modelFromSource } from '../scoring/runtime/active.ts';
import { scorerKeys } from '../scoring/runtime/keys.ts';
import { migrate } from '../server/clickhouse/migrate.ts';
import { collectorDeps, createCollectorApp, type CollectorDeps } from '../server/collector.ts';
import { connectFeed } from '../server/feed/client.ts';
import { createLogger } from '../server/logger.ts';
import { Metrics } from '../server/metrics.ts';
import { insertTables } from '../server/sink/insert.ts';
import { tempClickHouse } from './helpers/clickhouse.ts';
import { SECRET_KEY, WORKSPACE, WRITE_KEY } from './helpers/collector.ts';
import { testConfig, testRedis } from './helpers/env.ts';
import { addSignal, signal, startFeedServer, type FeedServer } from './helpers/feed.ts';
import { cleanupPrefix } from './helpers/redis.ts';
import { lines, storedEvent } from './helpers/stored-events.ts';
import { waitFor } from './helpers/wait.ts';

const config = testConfig();
const ch = tempClickHouse();
const log = createLogger('silent');
const MODEL = modelFromSource(readFileSync('scoring/models/b2b-saas.yaml', 'utf8'), 'scoring/models/b2b-saas.yaml');
const XSS = '<img src=x onerror=alert(1)>';
let redis: Redis;
let deps: CollectorDeps;
let app: Hono;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t = (iso: string) => Date.parse(iso);
const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** A score_changes_in row as the scorer writes it (scoring/runtime/outputs.ts scoreRowOf). */
function scoreRow(userKey: string, at: number, score: number, change: { entered?: string[]; exited?: string[] } = {}, messageId = `m-${userKey}-${at}`) {
  return {
    workspace_id: WORKSPACE,
    user_key: userKey,
    at: chTime(at),
    message_id: messageId,
    model: MODEL.compiled.key,
    score_before: 0,
    score_after: score,
    awards: '[]',
    entered: change.entered ?? [],
    exited: change.exited ?? [],
  };
}

let seq = 0;
/** A stored event (the sink's `events_in` line) of `userKey` at `at`. */
function ev(userKey: string, at: number, e: { type?: StoredEvent['type']; event?: string; path?: string; properties?: object; traits?: object }, messageId = `e-${seq++}`): StoredEvent {
  const type = e.type ?? 'track';
  const iso = new Date(at).toISOString();
  return storedEvent({
    workspaceId: WORKSPACE,
    messageId,
    type,
    userKey,
    timestamp: iso,
    receivedAt: iso,
    originalTimestamp: iso,
    sentAt: iso,
    event: {
      type,
      messageId,
      userId: userKey,
      ...(e.event !== undefined ? { event: e.event } : {}),
      properties: e.properties ?? (e.path !== undefined ? { path: e.path } : {}),
      ...(e.traits ? { traits: e.traits } : {}),
      context: e.path !== undefined ? { page: { path: e.path } } : {},
    },
  });
}

// The window of the scenario: three UTC days.
const FROM = '2026-03-01T00:00:00.000Z';
const TO = '2026-03-04T00:00:00.000Z';
const W = `from=${FROM}&to=${TO}`;

const HI = 'high-intent';
const PR = 'pricing-researchers';
const SCORES = [
  scoreRow('u1', t('2026-02-20T10:00:00Z'), 70, { entered: [HI] }),
  scoreRow('u2', t('2026-03-01T10:00:00Z'), 65, { entered: [HI] }),
  scoreRow('u2', t('2026-03-01T10:00:00Z'), 65, { entered: [HI] }), // a re-run scorer call: an identical row
  scoreRow('u3', t('2026-03-02T11:00:00Z'), 50),
  scoreRow('u3', t('2026-03-02T12:00:00Z'), 65, { entered: [HI] }),
  scoreRow('u3', t('2026-03-03T08:00:00Z'), 40, { exited: [HI] }),
  scoreRow('u4', t('2026-02-10T10:00:00Z'), 61, { entered: [HI] }),
  scoreRow('u4', t('2026-02-15T10:00:00Z'), 30, { exited: [HI] }),
  scoreRow('u5', t('2026-03-05T10:00:00Z'), 62, { entered: [HI] }),
  scoreRow('u2', t('2026-03-01T09:00:00Z'), 20, { entered: [PR] }),
  scoreRow('u6', t('2026-03-02T09:00:00Z'), 20, { entered: [PR] }),
  scoreRow('u7', t('2026-03-02T10:00:00Z'), 20, { entered: [PR] }),
  scoreRow('u8', t('2026-03-03T10:00:00Z'), 20, { entered: [PR] }),
];
const docs = ev('u2', t('2026-03-01T11:00:00Z'), { type: 'page', path: '/docs' }, 'u2-docs');
const EVENTS = [
  ev('u1', t('2026-02-25T00:00:00Z'), { type: 'identify', traits: { plan: 'pro', email: 'u1@x.io', seats: 5 } }),
  ev('u1', t('2026-03-01T08:00:00Z'), { type: 'page', path: '/pricing' }),
  ev('u1', t('2026-03-01T08:10:00Z'), { type: 'page', path: '/pricing' }),
  ev('u1', t('2026-03-01T09:00:00Z'), { event: 'Subscription Started', properties: { revenue: 100 } }),
  ev('u2', t('2026-02-20T00:00:00Z'), { type: 'identify', traits: { plan: 'free' } }),
  ev('u2', t('2026-02-25T00:00:00Z'), { type: 'identify', traits: { plan: 'pro', email: 'u2@x.io' } }),
  ev('u2', t('2026-03-01T09:30:00Z'), { event: 'Subscription Started', properties: { total: 50 } }),
  docs,
  { ...docs }, // a redelivered message the table has not merged yet
  ev('u2', t('2026-03-01T11:05:00Z'), { event: XSS }),
  ev('u2', t('2026-03-01T12:00:00Z'), { event: 'Subscription Started', properties: { value: 30 } }),
  ev('u3', t('2026-03-02T12:30:00Z'), { type: 'identify', traits: { plan: 'pro', email: 'u3@x.io' } }),
  ev('u3', t('2026-03-02T13:00:00Z'), { type: 'page', path: '/pricing' }), // exactly 30 min later: same session
  ev('u6', t('2026-03-02T09:30:00Z'), { type: 'page', path: '/pricing' }),
  ev('u6', t('2026-03-02T09:35:00Z'), { type: 'identify', traits: { plan: 'free', email: 'u6@x.io' } }),
  ev('u7', t('2026-02-25T00:00:00Z'), { type: 'identify', traits: { plan: 'free', email: 'u7@x.io', beta: true } }),
  ev('u7', t('2026-03-02T10:30:00Z'), { event: 'Subscription Started', properties: { revenue: 200 } }),
  ev('u9', t('2026-03-03T15:00:00Z'), { type: 'page', path: '/pricing' }),
  ev('u10', t('2026-02-25T00:00:00Z'), { type: 'page', path: '/pricing' }),
];

// History of one user, relative to now (the endpoint reads the last `days` days).
const NOW = Date.now();
const HISTORY = [
  scoreRow('hist-user', NOW - 40 * DAY, 10),
  scoreRow('hist-user', NOW - 2 * DAY, 30),
  scoreRow('hist-user', NOW - DAY, 65, { entered: ['active-this-week'] }),
];

beforeAll(async () => {
  redis = await testRedis(config);
  await migrate(ch.client, log);
  deps = collectorDeps(config, redis, log, new Metrics());
  await deps.keys.ensureWorkspace(WORKSPACE, 'Test');
  await deps.keys.addKey(WORKSPACE, 'write', WRITE_KEY);
  await deps.keys.addKey(WORKSPACE, 'secret', SECRET_KEY, { label: 'tests' });
  app = createCollectorApp(deps, { clickhouse: ch.client, model: MODEL });
  const outcome = await insertTables(ch.client, [
    ['events_in', lines(EVENTS)],
    ['score_changes_in', lines([...SCORES, ...HISTORY])],
  ]);
  expect(outcome).toEqual({ kind: 'ok' });
});
afterAll(async () => {
  await cleanupPrefix(redis, config.WARMLINE_REDIS_PREFIX);
  redis.disconnect();
  await ch.dispose();
});

async function get<T>(path: string, key = SECRET_KEY): Promise<{ status: number; body: T }> {
  const res = await app.request(path, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as T };
}

describe('GET /api/segments', () => {
  it('lists the model segments with sizes, window entries/exits and KPIs, and the everyone baseline', async () => {
    const { status, body } = await get<SegmentsResponse>(`/api/segments?${W}`);
    expect(status).toBe(200);
    expect(body.from).toBe(FROM);
    expect(body.conversionEvent).toBe('Subscription Started');
    expect(body.segments.map((s) => s.id)).toEqual(MODEL.compiled.model.segments.map((s) => s.id));
    const hi = body.segments.find((s) => s.id === HI)!;
    expect(hi).toMatchObject({ name: 'High intent', size: 3, entered: 2, exited: 1 });
    expect(hi.kpis).toEqual({
      users: 3,
      converted: 2,
      conversionRate: 2 / 3,
      medianSecondsToConvert: (774_000 + 7_200) / 2, // u1: 8 d 23 h after its entry before the window; u2: 2 h
      eventsPerUser: 9 / 3,
      sessionsPerUser: 6 / 3,
      revenuePerUser: 130 / 3,
    });
    const pr = body.segments.find((s) => s.id === PR)!;
    expect(pr).toMatchObject({ size: 4, entered: 4, exited: 0 });
    expect(pr.kpis).toEqual({ users: 4, converted: 2, conversionRate: 0.5, medianSecondsToConvert: 1_800, eventsPerUser: 7 / 4, sessionsPerUser: 5 / 4, revenuePerUser: 280 / 4 });
    expect(body.segments.find((s) => s.id === 'ideal-customer')).toMatchObject({ size: 0, kpis: { users: 0, medianSecondsToConvert: null } });
    expect(body.everyone).toEqual({
      users: 6,
      converted: 3,
      conversionRate: 0.5,
      medianSecondsToConvert: null, // no entry to measure from
      eventsPerUser: 13 / 6,
      sessionsPerUser: 9 / 6,
      revenuePerUser: 380 / 6,
    });
  });

  it('counts another conversion event when asked, attacker-controlled names included', async () => {
    const { status, body } = await get<SegmentsResponse>(`/api/segments?${W}&conversion=${encodeURIComponent(XSS)}`);
    expect(status).toBe(200);
    expect(body.conversionEvent).toBe(XSS);
    expect(body.segments.find((s) => s.id === HI)!.kpis).toMatchObject({ converted: 1, medianSecondsToConvert: 3_900, revenuePerUser: 0 });
  });

  it('refuses bad windows and write keys', async () => {
    expect((await get(`/api/segments?from=yesterday`)).status).toBe(400);
    const reversed = await get<{ error: string; message: string }>(`/api/segments?from=${TO}&to=${FROM}`);
    expect(reversed).toMatchObject({ status: 400, body: { error: 'invalid_window', message: 'from must be before to' } });
    expect((await get(`/api/segments?from=2024-01-01T00:00:00Z&to=${TO}`)).status).toBe(400);
    expect((await get(`/api/segments`, WRITE_KEY)).status).toBe(403);
    expect((await app.request('/api/segments')).status).toBe(401);
  });
});

describe('GET /api/segments/:id', () => {
  it('answers the definition, per-day sizes and the recent changes without duplicates', async () => {
    const { status, body } = await get<SegmentDetailResponse>(`/api/segments/${HI}?${W}`);
    expect(status).toBe(200);
    expect(body.segment).toMatchObject({ id: HI, size: 3, entered: 2, exited: 1, definition: { enter: { score: { gte: 60 } }, exit: { score: { lt: 45 } } } });
    expect(body.segment.kpis.users).toBe(3);
    expect(body.days).toEqual([
      { day: '2026-03-01', size: 2, entered: 1, exited: 0 },
      { day: '2026-03-02', size: 3, entered: 1, exited: 0 },
      { day: '2026-03-03', size: 2, entered: 0, exited: 1 },
    ]);
    expect(body.recent).toEqual([
      { userKey: 'u3', change: 'exited', at: '2026-03-03T08:00:00.000Z', score: 40 },
      { userKey: 'u3', change: 'entered', at: '2026-03-02T12:00:00.000Z', score: 65 },
      { userKey: 'u2', change: 'entered', at: '2026-03-01T10:00:00.000Z', score: 65 },
    ]);
  });

  it('is 404 for a segment the model lacks', async () => {
    const res = await get<{ error: string; message: string }>(`/api/segments/${encodeURIComponent(XSS)}?${W}`);
    expect(res).toEqual({ status: 404, body: { success: false, error: 'segment_not_found', message: `the active model has no segment '${XSS}'` } });
  });
});

describe('GET /api/compare', () => {
  it('answers shares and lifts of events, pages and traits', async () => {
    const { status, body } = await get<CompareResponse>(`/api/compare?segments=${HI},${PR}&${W}`);
    expect(status).toBe(200);
    expect(body.segments.map((s) => [s.id, s.kpis.users])).toEqual([[HI, 3], [PR, 4]]);
    expect(body.events).toEqual([
      { key: 'Subscription Started', share: [2 / 3, 0.5], lift: [(2 / 3) / 0.5, 0.5 / (2 / 3)] },
      { key: XSS, share: [1 / 3, 0.25], lift: [(1 / 3) / 0.25, 0.25 / (1 / 3)] },
    ]);
    expect(body.pages).toEqual([
      { key: '/pricing', share: [2 / 3, 0.25], lift: [(2 / 3) / 0.25, 0.25 / (2 / 3)] },
      { key: '/docs', share: [1 / 3, 0.25], lift: [(1 / 3) / 0.25, 0.25 / (1 / 3)] },
    ]);
    expect(body.traits).toEqual([
      { key: 'plan=free', share: [0, 0.5], lift: [0, null] },
      { key: 'seats=5', share: [1 / 3, 0], lift: [null, 0] },
      { key: 'beta=true', share: [0, 0.25], lift: [0, null] },
      { key: 'plan=pro', share: [1, 0.25], lift: [4, 0.25] },
    ]);
  });

  it('compares three segments, one of them empty', async () => {
    const { status, body } = await get<CompareResponse>(`/api/compare?segments=${HI},${PR},ideal-customer&${W}`);
    expect(status).toBe(200);
    expect(body.segments.map((s) => s.kpis.users)).toEqual([3, 4, 0]);
    expect(body.pages.find((p) => p.key === '/pricing')).toEqual({ key: '/pricing', share: [2 / 3, 0.25, 0], lift: [(2 / 3) / 0.25, 0.25 / (2 / 3), 0] });
  });

  it('refuses 1 or 4 segments, repeats and unknown ones', async () => {
    const one = await get<{ message: string }>(`/api/compare?segments=${HI}&${W}`);
    expect(one).toMatchObject({ status: 400, body: { message: 'segments: pick 2 or 3 segments' } });
    expect((await get(`/api/compare?segments=a,b,c,d&${W}`)).status).toBe(400);
    expect((await get(`/api/compare?segments=${HI},${HI}&${W}`)).status).toBe(400);
    expect((await get(`/api/compare?segments=${HI},nope&${W}`)).status).toBe(404);
    expect((await get(`/api/compare?segments=${HI},${PR}`, WRITE_KEY)).status).toBe(403);
  });
});

describe('GET /api/profiles/:userId/history', () => {
  it('answers the last days of scores and segment changes, an anonymous id resolving to its user', async () => {
    const { status, body } = await get<ProfileHistoryResponse>('/api/profiles/hist-user/history?days=30');
    expect(status).toBe(200);
    expect(body.scores.map((s) => s.score)).toEqual([30, 65]);
    expect(body.segments).toEqual([{ segment: 'active-this-week', change: 'entered', at: new Date(NOW - DAY).toISOString(), score: 65 }]);
    expect((await get<ProfileHistoryResponse>('/api/profiles/hist-user/history?days=60')).body.scores).toHaveLength(3);

    await redis.set(scorerKeys(deps.logKeys).alias(WORKSPACE, 'anon-h'), 'hist-user');
    const stitched = await get<ProfileHistoryResponse>('/api/profiles/anon-h/history');
    expect(stitched.body.userKey).toBe('hist-user');
    expect(stitched.body.scores).toHaveLength(2);
    expect((await get('/api/profiles/hist-user/history?days=0')).status).toBe(400);
  });
});

describe('GET /api/workspace', () => {
  it("names the key's workspace", async () => {
    const { status, body } = await get<WorkspaceResponse>('/api/workspace');
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: WORKSPACE, name: 'Test' });
    expect(Date.parse(body.createdAt ?? '')).toBeGreaterThan(0);
  });
});

describe('GET /api/model', () => {
  it('answers the active model and its conversion event', async () => {
    const { status, body } = await get<ModelResponse>('/api/model');
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: 'b2b-saas', generation: 1, conversionEvent: 'Subscription Started' });
    expect((body.model as { segments: unknown[] }).segments).toHaveLength(MODEL.compiled.model.segments.length);
  });
});

describe('/api/keys', () => {
  it('lists, creates and revokes keys, never the one in use', async () => {
    const listed = await get<KeysResponse>('/api/keys');
    expect(listed.body.keys.map((k) => [k.kind, k.display])).toEqual(
      expect.arrayContaining([['write', WRITE_KEY], ['secret', `${SECRET_KEY.slice(0, 7)}…`]]),
    );
    expect(listed.body.keys.find((k) => k.kind === 'secret')!.label).toBe('tests');

    const post = (body: string) =>
      app.request('/api/keys', { method: 'POST', headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/json' }, body });
    const created = await post(JSON.stringify({ kind: 'secret', label: XSS }));
    expect(created.status).toBe(201);
    const { key, info } = (await created.json()) as CreatedKeyResponse;
    expect(key).toMatch(/^sk_/);
    expect(info).toMatchObject({ kind: 'secret', display: `${key.slice(0, 7)}…`, label: XSS });
    expect((await get<KeysResponse>('/api/keys', key)).body.keys.map((k) => k.id)).toContain(info.id);

    expect((await post(JSON.stringify({ kind: 'admin' }))).status).toBe(400);
    expect((await post('{')).status).toBe(400);
    expect((await post(JSON.stringify({ kind: 'write', label: 'x'.repeat(70_000) }))).status).toBe(413);

    const del = (id: string, as: string) => app.request(`/api/keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${as}` } });
    const self = await del(info.id, key);
    expect(self.status).toBe(409);
    expect(((await self.json()) as { error: string }).error).toBe('key_in_use');
    expect((await del(info.id, SECRET_KEY)).status).toBe(204);
    expect((await get('/api/keys', key)).status).toBe(401);
    expect((await del(info.id, SECRET_KEY)).status).toBe(404);
  });
});

describe('GET /api/signals', () => {
  let feed: FeedServer;
  beforeAll(async () => {
    feed = await startFeedServer(redis, deps.logKeys);
  });
  afterAll(async () => {
    await feed.close();
  });

  it('answers the newest signals and a cursor the live feed continues from without gap or duplicate', async () => {
    // Explicit, increasing stream ids (in the past, so the live ones below come after): signals added
    // within one millisecond to different partitions would otherwise have no defined order.
    const sk = scorerKeys(deps.logKeys);
    const add = (s: Signal, id: string) => redis.xadd(sk.signals(sk.partitionOf(s.userKey)), id, 'sg', JSON.stringify(s));
    const base = Date.now() - 60_000;
    const before: Signal[] = [];
    for (let i = 0; i < 8; i++) {
      const s = signal({ workspaceId: WORKSPACE, userKey: `lead-${i}`, segment: i === 0 ? XSS : HI });
      await add(s, `${base + 2 * i}-0`);
      before.push(s);
      await add(signal({ workspaceId: 'ws_other', userKey: `other-${i}` }), `${base + 2 * i + 1}-0`);
    }
    const { status, body } = await get<RecentSignalsResponse>('/api/signals?limit=5');
    expect(status).toBe(200);
    expect(body.signals.map((s) => s.id)).toEqual(before.slice(3).reverse().map((s) => s.id));
    const all = await get<RecentSignalsResponse>('/api/signals?limit=50');
    expect(all.body.signals[7]!.segment).toBe(XSS);
    expect((await get('/api/signals?limit=0')).status).toBe(400);

    const got: Signal[] = [];
    const client = connectFeed({ url: feed.url, key: SECRET_KEY, since: body.cursor, onSignal: (s) => got.push(s), backoff: { initialMs: 50, maxMs: 200 } });
    try {
      const after: Signal[] = [];
      for (let i = 0; i < 6; i++) {
        const s = signal({ workspaceId: WORKSPACE, userKey: `late-${i}` });
        await addSignal(redis, deps.logKeys, s);
        after.push(s);
      }
      await waitFor(() => got.length >= after.length, { what: 'the live signals' });
      // Every later signal once and nothing before the cursor. (Signals added to different partitions
      // within one millisecond have no defined order between them, so compare as sets.)
      const ids = (list: Signal[]) => list.map((s) => s.id).sort();
      expect(ids(got)).toEqual(ids(after));
    } finally {
      client.close();
    }
  });
});
