import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { testConfig, testRedis } from './helpers/env.ts';
import { cleanupPrefix, drained } from './helpers/redis.ts';
import { waitFor } from './helpers/wait.ts';
import { tempClickHouse } from './helpers/clickhouse.ts';
import { SECRET_KEY, WRITE_KEY, WORKSPACE, basic } from './helpers/collector.ts';
import { migrate } from '../server/clickhouse/migrate.ts';
import { createLogger } from '../server/logger.ts';
import { Metrics } from '../server/metrics.ts';
import { createRedis, waitReady } from '../server/redis.ts';
import { startCollector, type CollectorRole } from '../server/roles/collector.role.ts';
import { startSink, type SinkRole } from '../server/roles/sink.role.ts';
import { loadActiveModel, type ActiveModel } from '../server/roles/scorer.role.ts';
import { ModelError } from '../scoring/model/load.ts';
import { controlKeys } from '../scoring/runtime/active.ts';
import { createScorer, SCORER_GROUP, type Scorer } from '../scoring/runtime/scorer.ts';
import type { Profile } from '../scoring/runtime/profile.ts';
import { rescore, type RescoreProgress } from '../scoring/rescore/rescore.ts';

const config = testConfig({ PORT: '0', HOST: '127.0.0.1', WARMLINE_SINK_MAX_AGE_MS: '100' });
const ch = tempClickHouse();
const log = createLogger('silent');
const dir = mkdtempSync(join(tmpdir(), 'warmline-models-'));
const USERS = 24;
let redis: Redis;
let blocking: Redis;
let collector: CollectorRole;
let sink: SinkRole;
let scorer: Scorer;
let modelA: ActiveModel;
let modelB: ActiveModel;
let base: string;

/** The default model with every points value (rules, caps, fit) doubled: scores exactly double. */
function writeDoubledModel(): string {
  const text = readFileSync(config.WARMLINE_MODEL, 'utf8')
    .replace(/^name: .*$/m, 'name: b2b-doubled')
    .replace(/points: (-?\d+)/g, (_, n: string) => `points: ${Number(n) * 2}`);
  const file = join(dir, 'doubled.yaml');
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  redis = await testRedis(config);
  blocking = createRedis(config.REDIS_URL, { name: 'test-scorer-read', blocking: true });
  await waitReady(blocking);
  await migrate(ch.client, log);
  modelA = await loadActiveModel(config);
  modelB = await loadActiveModel(config, writeDoubledModel());
  const metrics = new Metrics();
  collector = await startCollector(config, log, metrics, { clickhouse: ch.client, model: modelA });
  sink = await startSink(config, log, metrics, ch.client);
  scorer = createScorer({ redis, blocking, keys: collector.deps.logKeys, model: modelA, log, leaseTtlMs: 3_000 });
  await scorer.start();
  await collector.deps.keys.ensureWorkspace(WORKSPACE, 'Test');
  await collector.deps.keys.addKey(WORKSPACE, 'write', WRITE_KEY);
  await collector.deps.keys.addKey(WORKSPACE, 'secret', SECRET_KEY);
  base = `http://127.0.0.1:${collector.http.port}`;
});
afterAll(async () => {
  await scorer.stop();
  for (const step of [...collector.steps, ...sink.steps]) await step.run();
  await cleanupPrefix(redis, config.WARMLINE_REDIS_PREFIX);
  redis.disconnect();
  blocking.disconnect();
  await ch.dispose();
});

let n = 0;
async function send(path: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: basic(WRITE_KEY), 'user-agent': 'curl/8.5.0', 'content-type': 'application/json' },
    body: JSON.stringify({ messageId: `rs-${n++}`, timestamp: new Date().toISOString(), ...body }),
  });
  expect(res.status).toBe(200);
}
async function profile(id: string): Promise<Profile | undefined> {
  const res = await fetch(`${base}/api/profiles/${id}`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
  return res.status === 200 ? ((await res.json()) as Profile) : undefined;
}
const points = (p: Profile) => Object.fromEntries(p.rules.map((r) => [r.rule, r.points]));
const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);
const settled = async () => {
  const streams = collector.deps.logKeys.streams();
  return (await drained(redis, streams, SCORER_GROUP)) && (await drained(redis, streams, 'sink'));
};

/** Each profile is read whole from one generation: all A, or all B (exactly double A). */
function assertWhole(p: Profile, a: Profile): 'A' | 'B' {
  const factor = p.model === modelA.name ? 1 : 2;
  expect([modelA.name, modelB.name]).toContain(p.model);
  expect(Object.keys(points(p)).sort()).toEqual(Object.keys(points(a)).sort());
  for (const [rule, pts] of Object.entries(points(a))) expect(points(p)[rule]).toBeCloseTo(pts * factor, 2);
  expect(p.score).toBeCloseTo(a.score * factor, 2);
  return factor === 1 ? 'A' : 'B';
}

describe('warmline rescore', () => {
  const before = new Map<string, Profile>();

  it('scores a scenario with model A through the live path', async () => {
    for (const [i, u] of users.entries()) {
      const anon = `anon-${i}`;
      for (let k = 0; k <= i % 3; k++) await send('/v1/p', { anonymousId: anon, name: 'Pricing', properties: { path: '/pricing' } });
      if (i % 2 === 0) await send('/v1/identify', { userId: u, anonymousId: anon, traits: { title: i % 4 === 0 ? 'CTO' : 'Engineer' } });
      else await send('/v1/identify', { userId: u, traits: { title: 'Director of Ops' } });
      await send('/v1/p', { userId: u, name: 'Docs', properties: { path: '/docs/start' } });
      if (i % 5 === 0) await send('/v1/t', { userId: u, event: 'Demo Requested' });
    }
    await waitFor(settled, { what: 'scorer and sink drained', timeoutMs: 30_000 });
    for (const u of users) {
      const p = await profile(u);
      expect(p?.model).toBe(modelA.name);
      before.set(u, p!);
    }
    // Stitched: the anonymous pricing views count for the even users.
    expect(points(before.get('user-0')!)['pricing-page']).toBeCloseTo(10, 2);
    expect(before.get('user-0')!.anonymousIds).toEqual(['anon-0']);
  });

  it('refuses a bad model file with a precise error and changes nothing', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(config.WARMLINE_MODEL, 'utf8').replace('points: 10\n', 'points: ten\n'));
    await expect(loadActiveModel(config, bad)).rejects.toThrow(ModelError);
    const env = { ...process.env, WARMLINE_REDIS_PREFIX: config.WARMLINE_REDIS_PREFIX, WARMLINE_DATA_DIR: mkdtempSync(join(tmpdir(), 'warmline-cli-')), LOG_LEVEL: 'silent' };
    const run = spawnSync(process.execPath, ['bin/warmline.mjs', 'rescore', '--model', bad], { env, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/invalid scoring model .*bad\.yaml:\n {2}.*bad\.yaml:\d+:\d+ rules\[0\]\.points: expected number, received string/);
    expect(await redis.hget(controlKeys(config.WARMLINE_REDIS_PREFIX).active, 'gen')).toBe('1');
    expect(await redis.exists(controlKeys(config.WARMLINE_REDIS_PREFIX).pause)).toBe(0);
    expect((await profile('user-0'))?.model).toBe(modelA.name);
  });

  it('replays history with model B and swaps it in atomically; readers never see a mix', async () => {
    let reading = true;
    const seen = { A: 0, B: 0 };
    const reader = (async () => {
      while (reading) {
        for (const u of users) {
          const p = await profile(u);
          expect(p, `profile ${u} readable during the rescore`).toBeDefined();
          seen[assertWhole(p!, before.get(u)!)]++;
        }
      }
    })();
    const progress: RescoreProgress[] = [];
    const result = await rescore({
      redis,
      clickhouse: ch.client,
      keys: collector.deps.logKeys,
      model: modelB,
      log,
      leaseTtlMs: 3_000,
      batchSize: 7, // many batches: stitching across batch boundaries
      onProgress: (p) => progress.push(p),
    });
    // Keep reading across the swap for a moment, then stop.
    await new Promise((r) => setTimeout(r, 300));
    reading = false;
    await reader;
    expect(result).toMatchObject({ previous: 1, generation: 2 });
    expect(result.history).toBe(n);
    expect(progress.at(-1)).toMatchObject({ done: expect.any(Number) as number });
    expect(progress.filter((p) => p.phase === 'history').at(-1)).toMatchObject({ done: n, total: n });
    expect(seen.A).toBeGreaterThan(0);
    expect(seen.B).toBeGreaterThan(0);
    for (const u of users) expect(assertWhole((await profile(u))!, before.get(u)!)).toBe('B');
    expect((await profile('anon-0'))?.userKey).toBe('user-0');
    // The old generation is gone.
    expect(await redis.keys(`${config.WARMLINE_REDIS_PREFIX}:{p*}:prof:*`)).toEqual([]);
  });

  it('resumes scoring; new events are scored with model B', async () => {
    await waitFor(() => scorer.generation() === 2, { what: 'scorer on generation 2' });
    const demo = points(before.get('user-1')!)['demo-requested'] ?? 0;
    await send('/v1/t', { userId: 'user-1', event: 'Demo Requested' });
    const p = await waitFor(async () => {
      const got = await profile('user-1');
      return (got?.rules.find((r) => r.rule === 'demo-requested')?.points ?? 0) > demo && got;
    }, { what: 'new event scored' });
    expect(p.model).toBe(modelB.name);
    expect(points(p)['demo-requested']).toBeCloseTo(80, 2);
  });
});
