import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const TEST_PREFIX = /^t[0-9a-f]{8}$/;

/** A key prefix unique to one test file; only such prefixes may be cleaned up. */
export function testPrefix(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `prefix` (and prefixes derived from it); refuses a non-test prefix. */
export async function cleanupPrefix(redis: Redis, prefix: string): Promise<void> {
  if (!TEST_PREFIX.test(prefix)) throw new Error(`refusing to delete keys of non-test prefix "${prefix}"`);
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
}

/**
 * True when every stream's group has been delivered everything and holds nothing pending. Delivery
 * is checked before pending: checked the other way round, a read landing in between looks drained.
 */
export async function drained(redis: Redis, streams: readonly string[], group: string): Promise<boolean> {
  for (const stream of streams) {
    const info = (await redis.call('XINFO', 'STREAM', stream)) as unknown[];
    const lastId = info[info.indexOf('last-generated-id') + 1];
    const groups = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
    const g = groups.find((x) => x[x.indexOf('name') + 1] === group);
    if (!g || g[g.indexOf('last-delivered-id') + 1] !== lastId) return false;
    const [pending] = (await redis.call('XPENDING', stream, group)) as [number, ...unknown[]];
    if (Number(pending) > 0) return false;
  }
  return true;
}
