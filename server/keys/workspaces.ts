import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export type KeyKind = 'write' | 'secret';

export interface KeyGrant {
  workspaceId: string;
  kind: KeyKind;
}

const PREFIX: Record<KeyKind, string> = { write: 'wk_', secret: 'sk_' };

/** A new random key: `wk_…` (write: ingest only, safe to embed in pages) or `sk_…` (secret: read APIs). */
export function generateKey(kind: KeyKind): string {
  return PREFIX[kind] + randomBytes(24).toString('base64url');
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Workspaces and their keys, kept in Redis. Keys are stored as SHA-256 digests only, so a dump of
 * Redis does not hand out working keys. Lookups are cached briefly in-process: every ingest request
 * needs one, and a revoked key stops working within `ttlMs`.
 */
export class KeyStore {
  private readonly cache = new Map<string, { grant: KeyGrant | null; expires: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = 10_000,
    private readonly capacity = 10_000,
  ) {}

  private wsKey = (id: string) => `${this.prefix}:ws:${id}`;
  private grantKey = (key: string) => `${this.prefix}:key:${hashKey(key)}`;

  /** Creates the workspace if missing (idempotent). */
  async ensureWorkspace(id: string, name: string): Promise<void> {
    await this.redis.hsetnx(this.wsKey(id), 'name', name);
    await this.redis.hsetnx(this.wsKey(id), 'createdAt', new Date().toISOString());
  }

  /** Grants `key` on a workspace; refuses to re-point a key that belongs to another workspace or kind. */
  async addKey(workspaceId: string, kind: KeyKind, key: string): Promise<void> {
    const set = await this.redis.hsetnx(this.grantKey(key), 'workspaceId', workspaceId);
    if (set === 0) {
      const existing = await this.redis.hgetall(this.grantKey(key));
      if (existing.workspaceId !== workspaceId || existing.kind !== kind) {
        throw new Error(`key is already granted to another workspace or kind`);
      }
      return;
    }
    await this.redis.hset(this.grantKey(key), 'kind', kind);
    await this.redis.sadd(`${this.wsKey(workspaceId)}:keys`, hashKey(key));
    this.cache.delete(key);
  }

  async revokeKey(key: string): Promise<void> {
    const grant = await this.redis.hgetall(this.grantKey(key));
    await this.redis.del(this.grantKey(key));
    if (grant.workspaceId) await this.redis.srem(`${this.wsKey(grant.workspaceId)}:keys`, hashKey(key));
    this.cache.delete(key);
  }

  /** The grant of a key, or null for an unknown one. Throws when Redis cannot be asked. */
  async resolve(key: string, now = Date.now()): Promise<KeyGrant | null> {
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) return hit.grant;
    const [workspaceId, kind] = await this.redis.hmget(this.grantKey(key), 'workspaceId', 'kind');
    const grant: KeyGrant | null = workspaceId && (kind === 'write' || kind === 'secret') ? { workspaceId, kind } : null;
    if (this.cache.size >= this.capacity) this.cache.clear();
    // Unknown keys are remembered for a shorter time, so a just-created key works quickly on every process.
    this.cache.set(key, { grant, expires: now + (grant ? this.ttlMs : Math.min(this.ttlMs, 2_000)) });
    return grant;
  }
}
