import type { Redis } from 'ioredis';
import {
  StoredWebhookEndpoint,
  type WebhookEndpoint,
  type WebhookEndpointCreate,
  type WebhookEndpointUpdate,
} from '../../schema/webhook.ts';
import { newEndpointId, newSigningSecret } from './payload.ts';
import type { WebhookKeys } from './keys.ts';

/**
 * Webhook endpoints in Redis. An endpoint is a hash: `cfg` (JSON: what the API sets, and the secret)
 * and the switch `enabled` / `disabledReason` / `disabledAt`, kept apart so the notifier can turn an
 * endpoint off (in its settle script) without racing an API edit of the configuration.
 */
export class EndpointStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: WebhookKeys,
  ) {}

  /** Creates an endpoint with a fresh signing secret; the only time the secret leaves the store. */
  async create(workspaceId: string, input: WebhookEndpointCreate, now = new Date()): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const id = newEndpointId();
    const secret = newSigningSecret();
    const at = now.toISOString();
    const cfg = {
      id,
      workspaceId,
      url: input.url,
      ...(input.description !== undefined ? { description: input.description } : {}),
      filters: input.filters,
      orderedPerUser: input.orderedPerUser,
      createdAt: at,
      updatedAt: at,
      secret,
    };
    await this.redis
      .multi()
      .hset(this.keys.endpoint(id), 'cfg', JSON.stringify(cfg), 'enabled', input.enabled ? '1' : '0')
      .sadd(this.keys.workspace(workspaceId), id)
      .sadd(this.keys.all(), id)
      .incr(this.keys.version())
      .exec();
    return { endpoint: publicView({ ...cfg, enabled: input.enabled }), secret };
  }

  /** An endpoint with its secret (the notifier's view), or null. */
  async getStored(id: string): Promise<StoredWebhookEndpoint | null> {
    const [record] = await this.load([id]);
    return record ?? null;
  }

  /** An endpoint of `workspaceId`, without its secret, or null (also for another workspace's id). */
  async get(workspaceId: string, id: string): Promise<WebhookEndpoint | null> {
    const stored = await this.getStored(id);
    return stored && stored.workspaceId === workspaceId ? publicView(stored) : null;
  }

  async list(workspaceId: string): Promise<WebhookEndpoint[]> {
    const ids = (await this.redis.smembers(this.keys.workspace(workspaceId))).sort();
    return (await this.load(ids)).filter((e) => e.workspaceId === workspaceId).map(publicView);
  }

  /** Every endpoint, secrets included (the notifier's directory). */
  async all(): Promise<StoredWebhookEndpoint[]> {
    return this.load(await this.redis.smembers(this.keys.all()));
  }

  /** Applies a partial update; re-enabling clears the disable reason and the failure streak. */
  async update(workspaceId: string, id: string, patch: WebhookEndpointUpdate, now = new Date()): Promise<WebhookEndpoint | null> {
    const stored = await this.getStored(id);
    if (!stored || stored.workspaceId !== workspaceId) return null;
    const { enabled, ...cfgPatch } = patch;
    const { enabled: _e, disabledReason: _r, disabledAt: _a, ...cfg } = stored;
    const next = { ...cfg, ...cfgPatch, updatedAt: now.toISOString() };
    const tx = this.redis.multi().hset(this.keys.endpoint(id), 'cfg', JSON.stringify(next));
    if (enabled !== undefined) tx.hset(this.keys.endpoint(id), 'enabled', enabled ? '1' : '0');
    if (enabled === true) tx.hdel(this.keys.endpoint(id), 'disabledReason', 'disabledAt').del(this.keys.health(id));
    await tx.incr(this.keys.version()).exec();
    return this.get(workspaceId, id);
  }

  /** Deletes the endpoint and its queue, deliveries and log; false when it is not the workspace's. */
  async delete(workspaceId: string, id: string): Promise<boolean> {
    const stored = await this.getStored(id);
    if (!stored || stored.workspaceId !== workspaceId) return false;
    await this.redis.multi().srem(this.keys.all(), id).srem(this.keys.workspace(workspaceId), id).del(this.keys.endpoint(id)).incr(this.keys.version()).exec();
    // The notifier no longer sees it; now drop what it left behind, in batches.
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${this.keys.tag(id)}:*`, 'COUNT', 1_000);
      cursor = next;
      if (found.length) await this.redis.del(...found);
    } while (cursor !== '0');
    return true;
  }

  private async load(ids: readonly string[]): Promise<StoredWebhookEndpoint[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hmget(this.keys.endpoint(id), 'cfg', 'enabled', 'disabledReason', 'disabledAt');
    const out: StoredWebhookEndpoint[] = [];
    for (const [err, row] of (await pipe.exec()) ?? []) {
      if (err) throw err;
      const [cfg, enabled, disabledReason, disabledAt] = row as (string | null)[];
      if (!cfg) continue;
      const parsed = StoredWebhookEndpoint.safeParse({
        ...(JSON.parse(cfg) as object),
        enabled: enabled === '1',
        ...(disabledReason ? { disabledReason } : {}),
        ...(disabledAt ? { disabledAt } : {}),
      });
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }
}

/** The endpoint without its secret. */
export function publicView(e: StoredWebhookEndpoint | (Omit<StoredWebhookEndpoint, 'disabledReason' | 'disabledAt'>)): WebhookEndpoint {
  const { secret: _s, ...rest } = e;
  return rest;
}
