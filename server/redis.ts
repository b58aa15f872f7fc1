import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection that fails fast instead of queueing while Redis is away: the collector must
 * answer 503 at once rather than hold requests (and memory) for a server that may not come back.
 * `blocking` connections (XREADGROUP BLOCK) get no command timeout.
 */
export function createRedis(url: string, opts: { name: string; blocking?: boolean }): Redis {
  const options: RedisOptions = {
    connectionName: `warmline:${opts.name}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    ...(opts.blocking ? {} : { commandTimeout: 5_000 }),
  };
  const redis = new Redis(url, options);
  // Connection errors surface on each command; the 'error' event only needs a listener so they do not crash.
  redis.on('error', () => undefined);
  return redis;
}

/** Resolves once the connection is ready (or rejects after `timeoutMs`). */
export async function waitReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/** A Lua script with its SHA-1, run by EVALSHA and loaded on first use (or after a Redis restart). */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** EVALSHA, falling back to EVAL once when Redis does not know the script (NOSCRIPT). */
export async function runScript(redis: Redis, lua: LuaScript, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
  try {
    return await redis.evalsha(lua.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return redis.eval(lua.source, keys.length, ...keys, ...args);
    throw err;
  }
}

/** Extends a key's expiry only while it holds our token (locks, leases, pauses). */
export const RENEW_IF_OWNER = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);
/** Deletes a key only if it holds our token (compare-and-delete). */
export const RELEASE_IF_OWNER = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);
