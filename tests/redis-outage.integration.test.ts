import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { testConfig } from './helpers/env.ts';
import { waitFor } from './helpers/wait.ts';
import { basic, inProcessCollector, readLog, WRITE_KEY } from './helpers/collector.ts';
import { createRedis, waitReady } from '../server/redis.ts';
import type { CollectorDeps } from '../server/collector.ts';

// Our own redis-server (never the machine's): persistent with fsync on every write, so what it
// acknowledged survives being killed, as a production Redis configured for durability would.
const port = 16_000 + Math.floor(Math.random() * 4_000);
const dir = mkdtempSync(join(tmpdir(), 'warmline-redis-'));
let server: ChildProcess | undefined;
let running = false;
const startRedis = async () => {
  running = true;
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], { stdio: 'ignore' });
  const probe = createRedis(`redis://127.0.0.1:${port}`, { name: 'probe' });
  await waitReady(probe, 10_000);
  probe.disconnect();
};
const killRedis = async () => {
  const s = server!;
  const exited = new Promise((r) => s.once('exit', r));
  s.kill('SIGKILL');
  await exited;
  running = false;
};

const config = testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` });
let redis: Redis;
let app: Hono;
let deps: CollectorDeps;

beforeAll(async () => {
  await startRedis();
  redis = createRedis(config.REDIS_URL, { name: 'collector' });
  await waitReady(redis);
  ({ app, deps } = await inProcessCollector(config, redis));
});
afterAll(async () => {
  redis?.disconnect();
  if (running) await killRedis();
});

/** One event; its user derives from its id, so a retry is the same event. */
const send = (id: string) =>
  app.request('/v1/t', {
    method: 'POST',
    headers: { authorization: basic(WRITE_KEY) },
    body: JSON.stringify({ event: 'Load', userId: `u${id.length % 7}`, messageId: id }),
  });

describe('Redis outage under load', () => {
  it('answers 503 (never 200 without storing) while Redis is down, and recovers when it returns', async () => {
    const statuses = new Map<string, number>();
    let n = 0;
    const sendOne = async () => {
      const id = `outage-${n++}`;
      const res = await send(id);
      statuses.set(id, res.status);
      if (res.status === 503) expect(res.headers.get('retry-after')).toBeTruthy();
      return res.status;
    };
    const load = async (count: number) => Promise.all(Array.from({ length: count }, sendOne));

    await load(200); // healthy
    const outage = killRedis();
    const during: number[] = [];
    while (running) during.push(...(await load(10)));
    await outage;
    during.push(...(await load(100))); // Redis is gone
    expect(during.filter((s) => s === 503).length).toBeGreaterThan(50);

    await startRedis();
    await waitFor(async () => (await sendOne()) === 200, { timeoutMs: 15_000, what: 'collector recovery' });
    await load(100);

    const codes = [...statuses.values()];
    expect(codes.every((s) => s === 200 || s === 503)).toBe(true);
    // Every event answered 200 is durable in the log, exactly once.
    const stored = (await readLog(redis, deps)).events.map((e) => e.messageId);
    expect(new Set(stored).size).toBe(stored.length);
    const ok = [...statuses].filter(([, s]) => s === 200).map(([id]) => id);
    expect(stored).toEqual(expect.arrayContaining(ok));

    // Clients retry what got 503: each lands exactly once.
    const refused = [...statuses].filter(([, s]) => s === 503).map(([id]) => id);
    for (const id of refused) expect((await send(id)).status).toBe(200);
    const after = (await readLog(redis, deps)).events.map((e) => e.messageId);
    expect(new Set(after).size).toBe(after.length);
    expect(after.length).toBe(statuses.size);
  });
});
