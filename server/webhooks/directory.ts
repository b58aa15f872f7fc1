import type { Redis } from 'ioredis';
import type { StoredWebhookEndpoint } from '../../schema/webhook.ts';
import type { EndpointStore } from './endpoints.store.ts';
import type { WebhookKeys } from './keys.ts';

/**
 * The notifier's in-process view of every endpoint. `fresh()` reloads when the API bumped the
 * version (one GET) or the view is older than `maxAgeMs` (the notifier's own auto-disable does not
 * bump it). Reading the version after reading signals guarantees an endpoint created before a
 * signal was written is in the view that signal is matched against.
 */
export class EndpointDirectory {
  private endpoints: StoredWebhookEndpoint[] = [];
  private byId = new Map<string, StoredWebhookEndpoint>();
  private version: string | null = null;
  private loadedAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: WebhookKeys,
    private readonly store: EndpointStore,
    private readonly maxAgeMs = 1_000,
  ) {}

  async fresh(now = Date.now()): Promise<StoredWebhookEndpoint[]> {
    const version = await this.redis.get(this.keys.version());
    if (version !== this.version || now - this.loadedAt >= this.maxAgeMs) {
      this.endpoints = await this.store.all();
      this.byId = new Map(this.endpoints.map((e) => [e.id, e]));
      this.version = version;
      this.loadedAt = now;
    }
    return this.endpoints;
  }

  /** The last loaded view, without a round trip. */
  current(): readonly StoredWebhookEndpoint[] {
    return this.endpoints;
  }

  get(id: string): StoredWebhookEndpoint | undefined {
    return this.byId.get(id);
  }
}
