import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../server/config.ts';
import { createRedis, waitReady } from '../../server/redis.ts';
import { testPrefix } from './redis.ts';

/** A config for one test file: its own Redis key prefix (`t…`) and data dir, quiet logs. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    WARMLINE_REDIS_PREFIX: testPrefix(),
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
