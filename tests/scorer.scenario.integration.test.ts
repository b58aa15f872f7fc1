import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Hono } from 'hono';
import { testConfig, testRedis } from './helpers/env.ts';
import { cleanupPrefix } from './helpers/redis.ts';
import { waitFor } from './helpers/wait.ts';
import { basic, SECRET_KEY, WRITE_KEY, WORKSPACE } from './helpers/collector.ts';
import { collectorDeps, createCollectorApp, type CollectorDeps } from '../server/collector.ts';
import { createLogger } from '../server/logger.ts';
import { Metrics } from '../server/metrics.ts';
import { createRedis, waitReady } from '../server/redis.ts';
import { loadActiveModel } from '../server/roles/scorer.role.ts';
import { createScorer, type Scorer } from '../scoring/runtime/scorer.ts';
import { scorerKeys } from '../scoring/runtime/keys.ts';
import type { Signal } from '../schema/signal.ts';
import type { Profile } from '../scoring/runtime/profile.ts';

const config = testConfig();
let redis: Redis;
let blocking: Redis;
let app: Hono;
let deps: CollectorDeps;
let scorer: Scorer;

beforeAll(async () => {
  redis = await testRedis(config);
  blocking = createRedis(config.REDIS_URL, { name: 'test-scorer-read', blocking: true });
  await waitReady(blocking);
  const model = await loadActiveModel(config);
  deps = collectorDeps(config, redis, createLogger('silent'), new Metrics());
  await deps.keys.ensureWorkspace(WORKSPACE, 'Test');
  await deps.keys.addKey(WORKSPACE, 'write', WRITE_KEY);
  await deps.keys.addKey(WORKSPACE, 'secret', SECRET_KEY);
  app = createCollectorApp(deps, { model });
  scorer = createScorer({ redis, blocking, keys: deps.logKeys, model, log: createLogger('silent'), leaseTtlMs: 3_000 });
  await scorer.start();
});
afterAll(async () => {
  await scorer.stop();
  await cleanupPrefix(redis, config.WARMLINE_REDIS_PREFIX);
  redis.disconnect();
  blocking.disconnect();
});

let n = 0;
const send = async (path: string, body: Record<string, unknown>) => {
  const res = await app.request(path, {
    method: 'POST',
    // Sent the way a backend or curl would: such agents relay for users and are never taken for bots.
    headers: { authorization: basic(WRITE_KEY), 'user-agent': 'curl/8.5.0' },
    body: JSON.stringify({ messageId: `scn-${n++}`, timestamp: new Date().toISOString(), ...body }),
  });
  expect(res.status).toBe(200);
};
const profile = async (id: string) => {
  const res = await app.request(`/api/profiles/${id}`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
  return { status: res.status, body: (await res.json()) as Profile };
};
const signals = async (): Promise<Signal[]> => {
  const sk = scorerKeys(deps.logKeys);
  const out: Signal[] = [];
  for (let p = 0; p < config.WARMLINE_PARTITIONS; p++) {
    for (const [, fields] of await redis.xrange(sk.signals(p), '-', '+')) out.push(JSON.parse(fields[1]!) as Signal);
  }
  return out;
};
const points = (p: Profile) => Object.fromEntries(p.rules.map((r) => [r.rule, Math.round(r.points * 100) / 100]));

describe('scoring scenario through the collector', () => {
  it('scores an anonymous visitor, stitches them on identify, explains the score and signals entry', async () => {
    for (let i = 0; i < 3; i++) await send('/v1/p', { anonymousId: 'anon-42', name: 'Pricing', properties: { path: '/pricing' } });
    const anon = await waitFor(async () => {
      const p = await profile('anon-42');
      return p.status === 200 && p.body.rules.length >= 2 && p.body;
    }, { what: 'anonymous profile scored' });
    expect(points(anon)).toMatchObject({ 'pricing-page': 30, 'pricing-repeat': 15 });
    expect(anon.score).toBeCloseTo(45, 1);
    expect(anon.segments).toContain('pricing-researchers');
    expect(anon.segments).not.toContain('high-intent');

    await send('/v1/i', { userId: 'lead-1', anonymousId: 'anon-42', traits: { title: 'VP Engineering', country: 'US' } });
    const known = await waitFor(async () => {
      const p = await profile('lead-1');
      return p.status === 200 && p.body.anonymousIds.length === 1 && p.body;
    }, { what: 'stitched profile' });
    expect(known.anonymousIds).toEqual(['anon-42']);
    expect(points(known)).toMatchObject({ 'pricing-page': 30, 'pricing-repeat': 15, 'title-exec': 15, 'country-served': 5 });
    expect(known.score).toBeCloseTo(65, 1);
    expect(known.segments).toEqual(expect.arrayContaining(['high-intent', 'pricing-researchers']));
    // The anonymous id now resolves to the known profile.
    expect((await profile('anon-42')).body.userKey).toBe('lead-1');

    // A later event with only the anonymous id lands on the same profile.
    await send('/v1/t', { anonymousId: 'anon-42', event: 'Demo Requested' });
    const after = await waitFor(async () => {
      const p = await profile('lead-1');
      return p.body.rules.some((r) => r.rule === 'demo-requested') && p.body;
    }, { what: 'demo scored on the stitched profile' });
    expect(after.score).toBeCloseTo(105, 1);

    const sigs = (await signals()).filter((s) => s.userKey === 'lead-1');
    const entered = sigs.find((s) => s.kind === 'segment.entered' && s.segment === 'high-intent');
    expect(entered).toBeDefined();
    expect(entered!.reasons[0]).toMatchObject({ rule: 'pricing-page', kind: 'behaviour' });
    expect(entered!.trigger).toMatchObject({ type: 'identify' });
    expect(entered!.traits).toMatchObject({ title: 'VP Engineering' });
    expect(sigs.filter((s) => s.kind === 'threshold.crossed').map((s) => s.threshold).sort()).toEqual(['hot', 'warm']);
  });

  it('applies a redelivered event once', async () => {
    const sk = scorerKeys(deps.logKeys);
    await send('/v1/t', { userId: 'lead-1', event: 'Invite Sent' });
    const before = await waitFor(async () => {
      const x = await profile('lead-1');
      return x.body.rules.some((r) => r.rule === 'invited-teammate') && x.body;
    }, { what: 'invite scored' });
    const stream = deps.logKeys.stream(sk.partitionOf('lead-1'));
    const [[, fields]] = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1)) as [[string, string[]]];
    expect(fields[1]).toContain('Invite Sent');
    // The same entry appended again, as a crashed consumer's redelivery would replay it.
    await redis.xadd(stream, '*', ...fields);
    await send('/v1/t', { userId: 'lead-1', event: 'Webinar Registered' });
    const after = await waitFor(async () => {
      const x = await profile('lead-1');
      return x.body.rules.some((r) => r.rule === 'webinar') && x.body;
    }, { what: 'webinar scored' });
    // Only the webinar's 8 points: the replayed invite (10 points, cap 20) changed nothing.
    expect(after.score - before.score).toBeCloseTo(8, 1);
  });

  it('answers 404 for an unknown profile and 403 to a write key', async () => {
    expect((await profile('nobody')).status).toBe(404);
    const res = await app.request('/api/profiles/lead-1', { headers: { authorization: `Bearer ${WRITE_KEY}` } });
    expect(res.status).toBe(403);
  });
});
