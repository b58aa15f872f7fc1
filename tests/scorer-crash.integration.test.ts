import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../schema/stored-event.ts';
import { logKeys, partitionOf, type LogKeys } from '../server/log/keys.ts';
import { createRedis, waitReady } from '../server/redis.ts';
import { loadActiveModel, type ActiveModel } from '../server/roles/scorer.role.ts';
import { loadConfig } from '../server/config.ts';
import { applyEvent, explain, type ScoreState } from '../scoring/engine/index.ts';
import { scorerKeys } from '../scoring/runtime/keys.ts';
import { SCORER_GROUP } from '../scoring/runtime/scorer.ts';
import { loadProfiles } from '../scoring/runtime/store.ts';
import { killAll, startRole } from './helpers/child.ts';
import { cleanupPrefix, drained, testPrefix } from './helpers/redis.ts';
import { lines, storedEvent } from './helpers/stored-events.ts';
import { waitFor } from './helpers/wait.ts';

const N = 6_000;
const USERS = 150;
const PARTITIONS = 4;
const ws = 'ws-scorer-crash';
const prefixes: string[] = [];
const children: ChildProcess[] = [];
let redis: Redis;
let model: ActiveModel;

beforeAll(async () => {
  redis = createRedis('redis://127.0.0.1:6379', { name: 'scorer-crash-test' });
  await waitReady(redis);
  model = await loadActiveModel(loadConfig({}));
});
afterAll(async () => {
  killAll(children);
  for (const p of prefixes) await cleanupPrefix(redis, p);
  redis.disconnect();
});

const PAGES = ['/pricing', '/docs/start', '/integrations', '/careers', '/customers/acme', '/support'];
const TRACKS = ['Demo Requested', 'Invite Sent', 'Webinar Registered', 'Trial Started', 'Unsubscribed'];

/** A reproducible stream of scoring events over USERS users, 2 s apart, ending now. */
function events(): StoredEvent[] {
  const start = Date.now() - N * 2_000;
  return Array.from({ length: N }, (_, i) => {
    const userKey = `u${(i * 7) % USERS}`;
    const at = new Date(start + i * 2_000).toISOString();
    const page = i % 3 !== 0;
    const event = page
      ? { type: 'page', name: 'Page', userId: userKey, messageId: `s${i}`, properties: { path: PAGES[i % PAGES.length] } }
      : { type: 'track', event: TRACKS[i % TRACKS.length], userId: userKey, messageId: `s${i}` };
    return storedEvent({ workspaceId: ws, messageId: `s${i}`, userKey, type: page ? 'page' : 'track', timestamp: at, receivedAt: at, event });
  });
}

/** The states the pure engine reaches applying each user's events in order: the expected result. */
function reference(list: StoredEvent[]): Map<string, ScoreState> {
  const out = new Map<string, ScoreState>();
  for (const e of list) out.set(e.userKey, applyEvent(model.compiled, out.get(e.userKey), e, Date.now()).state);
  return out;
}

/** Appends events as the collector would: entries of 1-20 events per partition, in order. */
async function feed(keys: LogKeys, list: StoredEvent[]): Promise<void> {
  const pipe = redis.pipeline();
  for (let i = 0; i < list.length; ) {
    const size = 1 + (i % 20);
    const byPartition = new Map<number, StoredEvent[]>();
    for (const e of list.slice(i, i + size)) {
      const p = partitionOf(e.userKey, PARTITIONS);
      byPartition.set(p, [...(byPartition.get(p) ?? []), e]);
    }
    for (const [p, evs] of byPartition) pipe.xadd(keys.stream(p), '*', 'ev', lines(evs));
    i += size;
  }
  const failed = ((await pipe.exec()) ?? []).find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}

function scorerEnv(prefix: string): Record<string, string> {
  return { WARMLINE_REDIS_PREFIX: prefix, WARMLINE_PARTITIONS: String(PARTITIONS), WARMLINE_LEASE_TTL_MS: '1500', LOG_LEVEL: 'warn' };
}

/** Every user's stored score and segments equal the reference's, at one instant. */
async function expectExactlyOnce(keys: LogKeys, expected: Map<string, ScoreState>): Promise<void> {
  const sk = scorerKeys(keys);
  const users = [...expected.keys()];
  const stored = await loadProfiles(redis, users.map((u) => sk.profile(sk.partitionOf(u), ws, u)));
  const now = Date.now();
  // The stream exercises the model: many users score well above zero.
  expect(users.filter((u) => explain(model.compiled, expected.get(u)!, now).score > 20).length).toBeGreaterThan(USERS / 10);
  users.forEach((u, i) => {
    const got = stored[i]!.state;
    expect(got, `profile ${u}`).toBeDefined();
    const a = explain(model.compiled, got!, now);
    const b = explain(model.compiled, expected.get(u)!, now);
    expect(a.score, `score of ${u}`).toBeCloseTo(b.score, 6);
    expect(a.rules, `breakdown of ${u}`).toEqual(b.rules);
    expect(a.segments, `segments of ${u}`).toEqual(b.segments);
  });
}

describe('scorer crash safety and scale-out', () => {
  it('applies every event exactly once across a SIGKILL and a restart', { timeout: 180_000 }, async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const keys = logKeys(prefix, PARTITIONS);
    const list = events();
    const half = N / 2;

    const first = startRole('scorer', scorerEnv(prefix), children);
    await waitFor(() => redis.exists(`${prefix}:members:${SCORER_GROUP}`).then((n) => n === 1), { what: `scorer up\n${first.output()}` });
    await feed(keys, list.slice(0, half));
    // Kill it mid-stream, while it holds delivered but unacknowledged entries if we can catch it.
    await waitFor(async () => {
      for (const s of keys.streams()) {
        const [pending] = (await redis.call('XPENDING', s, SCORER_GROUP)) as [number];
        if (Number(pending) > 0) return true;
      }
      return false;
    }, { timeoutMs: 60_000, intervalMs: 1, what: `first scorer reading\n${first.output()}` });
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');

    await feed(keys, list.slice(half));
    const second = startRole('scorer', scorerEnv(prefix), children);
    await waitFor(() => drained(redis, keys.streams(), SCORER_GROUP), { timeoutMs: 120_000, intervalMs: 100, what: `drained after restart\n${second.output()}` });
    second.child.kill('SIGTERM');
    const [code] = (await once(second.child, 'exit')) as [number | null];
    expect(code, second.output()).toBe(0);

    await expectExactlyOnce(keys, reference(list));
  });

  it('two scorer processes split the partitions and reach the same result as one', { timeout: 180_000 }, async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const keys = logKeys(prefix, PARTITIONS);
    const list = events();
    const a = startRole('scorer', scorerEnv(prefix), children);
    const b = startRole('scorer', scorerEnv(prefix), children);
    const leaseKeys = Array.from({ length: PARTITIONS }, (_, p) => `${prefix}:{p${p}}:lease:${SCORER_GROUP}`);
    // Both hold a share, and every partition is held, before the events arrive (rebalancing settles).
    await waitFor(
      async () => {
        const owners = await redis.mget(...leaseKeys);
        return owners.every(Boolean) && new Set(owners).size === 2;
      },
      { timeoutMs: 30_000, what: `two owners of every partition\n${a.output()}\n${b.output()}` },
    );
    await feed(keys, list);
    await waitFor(() => drained(redis, keys.streams(), SCORER_GROUP), { timeoutMs: 120_000, intervalMs: 100, what: 'drained by two scorers' });
    for (const c of [a, b]) c.child.kill('SIGTERM');
    await Promise.all([once(a.child, 'exit'), once(b.child, 'exit')]);
    await expectExactlyOnce(keys, reference(list));
  });
});
