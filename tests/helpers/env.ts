import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../server/config.ts';
import { createRedis, waitReady } from '../../server/redis.ts';

/** A config for one test file: its own Redis key prefix (`t…`) and data dir, quiet logs. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    WARMLINE_REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`,
    WARMLINE_DATA_DIR: mkdtempSync(join(tmpdir(), 'warmline-test-')),
    WARMLINE_PARTITIONS: '4',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

export async function testRedis(config: Config): Promise<Redis> {
  const redis = createRedis(config.REDIS_URL, { name: 'test' });
  await waitReady(redis);
  return redis;
}

/**
 * Deletes every key under a test prefix. Refuses any prefix that is not a test one, so a mistake
 * can never wipe a real deployment's keys.
 */
export async function dropTestKeys(redis: Redis, prefix: string): Promise<void> {
  if (!/^t[0-9a-f]{8}$/.test(prefix)) throw new Error(`refusing to delete keys of non-test prefix "${prefix}"`);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
