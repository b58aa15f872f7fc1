import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { testConfig, testRedis } from '../../tests/helpers/env.ts';
import { cleanupPrefix } from '../../tests/helpers/redis.ts';
import { logKeys } from './keys.ts';
import { PartitionLeases } from './leases.ts';

const config = testConfig({ WARMLINE_PARTITIONS: '8' });
const keys = logKeys(config.WARMLINE_REDIS_PREFIX, 8);
let redis: Redis;

beforeAll(async () => {
  redis = await testRedis(config);
});
afterAll(async () => {
  await cleanupPrefix(redis, config.WARMLINE_REDIS_PREFIX);
  redis.disconnect();
});

const member = (name: string) => new PartitionLeases(redis, keys, { role: 'scorer', member: name, ttlMs: 1_000 });

describe('PartitionLeases', () => {
  it('splits partitions fairly and exclusively, and hands a dead member’s partitions over', async () => {
    const a = member('a');
    const b = member('b');
    expect((await a.tick()).gained).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await b.tick(); // b registers; a still holds everything
    await a.tick(); // a sees two members: gives back half
    expect(a.partitions()).toEqual([0, 1, 2, 3]);
    await b.tick();
    expect(b.partitions()).toEqual([4, 5, 6, 7]);
    // No partition is held twice.
    for (let p = 0; p < 8; p++) expect(await redis.get(a.leaseKey(p))).toBe(p < 4 ? 'a' : 'b');

    // a dies (stops renewing): once its leases and membership expire, b takes everything.
    const later = Date.now() + 1_500;
    await new Promise((r) => setTimeout(r, 1_100));
    await b.tick(later);
    expect(b.partitions()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // a comes back from a pause: its renewals fail, it learns it lost its partitions.
    const back = await a.tick(later);
    expect(back.lost).toEqual([0, 1, 2, 3]);
    expect(a.partitions()).toEqual([]);
    await b.releaseAll();
    await a.releaseAll();
    expect(await redis.get(b.leaseKey(0))).toBeNull();
  });
});
