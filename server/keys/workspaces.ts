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

/** A key's public id: the start of its SHA-256 digest (names it in lists and revocations, never reveals it). */
export const keyIdOf = (key: string) => hashKey(key).slice(0, KEY_ID_LENGTH);
const KEY_ID_LENGTH = 16;

/** How a key is shown in lists: write keys whole (they are public), secret keys by their first characters. */
export const displayOf = (kind: KeyKind, key: string) => (kind === 'write' ? key : `${key.slice(0, 7)}…`);

/** A key as listed (schema/dashboard.ts KeyInfo). */
export interface KeyListing {
  id: string;
  kind: KeyKind;
  display: string;
  label: string | null;
  createdAt: string | null;
}

/**
 * Workspaces and their keys, kept in Redis. Keys are stored as SHA-256 digests only, so a dump of
 * Redis does not hand out working secret keys; beside the grant, each key's hash keeps how it is
 * listed (`display`: write keys whole, secret keys as a hint), an optional `label` and `createdAt`. Lookups are cached briefly in-process: every ingest request
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

  /** A workspace's name and creation time, or null when there is no such workspace. */
  async workspace(id: string): Promise<{ id: string; name: string; createdAt: string | null } | null> {
    const [name, createdAt] = await this.redis.hmget(this.wsKey(id), 'name', 'createdAt');
    return name ? { id, name, createdAt: createdAt ?? null } : null;
  }

  /**
   * Grants `key` on a workspace; refuses to re-point a key that belongs to another workspace or kind.
   * Granting a key again fills listing fields it lacks (keys granted before listings existed).
   */
  async addKey(workspaceId: string, kind: KeyKind, key: string, meta: { label?: string; now?: Date } = {}): Promise<KeyListing> {
    const grantKey = this.grantKey(key);
    const set = await this.redis.hsetnx(grantKey, 'workspaceId', workspaceId);
    if (set === 0) {
      const existing = await this.redis.hgetall(grantKey);
      if (existing.workspaceId !== workspaceId || existing.kind !== kind) {
        throw new Error(`key is already granted to another workspace or kind`);
      }
    } else {
      await this.redis.hset(grantKey, 'kind', kind);
      await this.redis.sadd(`${this.wsKey(workspaceId)}:keys`, hashKey(key));
      this.cache.delete(key);
    }
    const fill = this.redis.pipeline().hsetnx(grantKey, 'display', displayOf(kind, key)).hsetnx(grantKey, 'createdAt', (meta.now ?? new Date()).toISOString());
    if (meta.label !== undefined) fill.hsetnx(grantKey, 'label', meta.label);
    for (const [err] of (await fill.exec()) ?? []) if (err) throw err;
    const [display, label, createdAt] = await this.redis.hmget(grantKey, 'display', 'label', 'createdAt');
    return { id: keyIdOf(key), kind, display: display ?? displayOf(kind, key), label: label ?? null, createdAt: createdAt ?? null };
  }

  /** The workspace's keys, oldest first (keys without a creation time first). */
  async listKeys(workspaceId: string): Promise<KeyListing[]> {
    const digests = await this.redis.smembers(`${this.wsKey(workspaceId)}:keys`);
    const pipe = this.redis.pipeline();
    for (const d of digests) pipe.hmget(`${this.prefix}:key:${d}`, 'kind', 'display', 'label', 'createdAt');
    const replies = (await pipe.exec()) ?? [];
    const keys: KeyListing[] = [];
    replies.forEach(([err, fields], i) => {
      if (err) throw err;
      const [kind, display, label, createdAt] = fields as (string | null)[];
      if (kind !== 'write' && kind !== 'secret') return; // revoked meanwhile
      keys.push({ id: digests[i]!.slice(0, KEY_ID_LENGTH), kind, display: display ?? `${PREFIX[kind]}…`, label: label ?? null, createdAt: createdAt ?? null });
    });
    return keys.sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.id.localeCompare(b.id));
  }

  /**
   * Revokes the workspace's key with this id; false when the workspace has none. This process's
   * lookup cache is emptied (it is keyed by the key itself, unknown here); other processes stop
   * honouring the key within `ttlMs`.
   */
  async revokeById(workspaceId: string, id: string): Promise<boolean> {
    const digests = await this.redis.smembers(`${this.wsKey(workspaceId)}:keys`);
    const digest = digests.find((d) => d.slice(0, KEY_ID_LENGTH) === id);
    if (!digest) return false;
    await this.redis.del(`${this.prefix}:key:${digest}`);
    await this.redis.srem(`${this.wsKey(workspaceId)}:keys`, digest);
    this.cache.clear();
    return true;
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
