import { bodyLimit } from 'hono/body-limit';
import { Hono, type Context } from 'hono';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { WebhookEndpointCreate, WebhookEndpointUpdate } from '../../schema/webhook.ts';
import type { ApiEnv } from '../api/auth.ts';
import { HttpError, badRequest } from '../http/errors.ts';
import { describe } from '../ingest/normalize.ts';
import { EndpointStore } from '../webhooks/endpoints.store.ts';
import { webhookKeys } from '../webhooks/keys.ts';
import { DeliveryQueue } from '../webhooks/queue.ts';

export interface WebhookRouteDeps {
  redis: Redis;
  /** WARMLINE_REDIS_PREFIX. */
  prefix: string;
  /** How long finished deliveries are kept (ms); only used for what replays keep. */
  retentionMs: number;
}

/** Subscription bodies are small; anything larger is refused before it is read whole. */
const MAX_BODY_BYTES = 64 * 1024;

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
const ReplaySince = z.object({ since: z.iso.datetime({ offset: true }) }).strict();

/** Reads a JSON body as text and parses it with `schema`: precise 400s, never a silent `{}`. */
export async function body<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  let json: unknown;
  try {
    json = JSON.parse(await c.req.text());
  } catch {
    throw badRequest('invalid_json', 'the body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw badRequest('invalid_body', describe(parsed.error));
  return parsed.data;
}

function page(c: Context): z.infer<typeof Page> {
  const parsed = Page.safeParse(c.req.query());
  if (!parsed.success) throw badRequest('invalid_query', describe(parsed.error));
  return parsed.data;
}

const notFound = () => new HttpError(404, 'webhook_not_found', 'no such webhook endpoint in this workspace');

/**
 * Webhook subscriptions, their deliveries and the attempt log (`/api/webhooks…`, behind a secret-key check,
 * scoped to the key's workspace). The signing secret is returned once, by create.
 * - `POST /webhooks` → 201 `{ endpoint, secret }`; `GET /webhooks`; `GET|PATCH|DELETE /webhooks/:id`
 * - `GET /webhooks/:id/deliveries?limit&cursor`, `GET /webhooks/:id/deliveries/:deliveryId`
 * - `POST /webhooks/:id/deliveries/:deliveryId/replay`, `POST /webhooks/:id/replay {"since": ISO}`
 * - `GET /webhooks/:id/attempts?limit&cursor`: every attempt (status, latency, error), newest first
 */
export function webhookRoutes(deps: WebhookRouteDeps): Hono<ApiEnv> {
  const wk = webhookKeys(deps.prefix);
  const store = new EndpointStore(deps.redis, wk);
  // Replays and reads only: the notifier's failure policy does not apply here.
  const queue = new DeliveryQueue(deps.redis, wk, { disableAfterFailures: 0, disableAfterMs: 0, retentionMs: deps.retentionMs });
  const app = new Hono<ApiEnv>();
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new HttpError(413, 'body_too_large', `request body exceeds ${MAX_BODY_BYTES / 1024} KB`);
    },
  });
  app.use('/webhooks', limit);
  app.use('/webhooks/*', limit);

  /** The endpoint id in the path, checked against the caller's workspace. */
  async function owned(c: Context<ApiEnv>): Promise<string> {
    const id = c.req.param('id') ?? '';
    if (!(await store.get(c.get('workspaceId'), id))) throw notFound();
    return id;
  }

  app.post('/webhooks', async (c) => {
    const input = await body(c, WebhookEndpointCreate);
    const created = await store.create(c.get('workspaceId'), input);
    return c.json(created, 201);
  });
  app.get('/webhooks', async (c) => c.json({ endpoints: await store.list(c.get('workspaceId')) }));
  app.get('/webhooks/:id', async (c) => {
    const endpoint = await store.get(c.get('workspaceId'), c.req.param('id'));
    if (!endpoint) throw notFound();
    return c.json(endpoint);
  });
  app.patch('/webhooks/:id', async (c) => {
    const patch = await body(c, WebhookEndpointUpdate);
    const endpoint = await store.update(c.get('workspaceId'), c.req.param('id'), patch);
    if (!endpoint) throw notFound();
    return c.json(endpoint);
  });
  app.delete('/webhooks/:id', async (c) => {
    if (!(await store.delete(c.get('workspaceId'), c.req.param('id')))) throw notFound();
    return c.body(null, 204);
  });

  app.get('/webhooks/:id/deliveries', async (c) => {
    const id = await owned(c);
    const { limit, cursor } = page(c);
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const result = await queue.list(id, limit, before);
    return c.json({ deliveries: result.deliveries, next: result.next ? encodeCursor(result.next) : null });
  });
  app.get('/webhooks/:id/deliveries/:deliveryId', async (c) => {
    const delivery = await queue.get(await owned(c), c.req.param('deliveryId'));
    if (!delivery) throw new HttpError(404, 'delivery_not_found', 'no such delivery (or it expired)');
    return c.json(delivery);
  });
  app.post('/webhooks/:id/deliveries/:deliveryId/replay', async (c) => {
    const result = await queue.replay(await owned(c), c.req.param('deliveryId'));
    if (result === 'not_found') throw new HttpError(404, 'delivery_not_found', 'no such delivery (or it expired)');
    if (result === 'waiting') throw new HttpError(409, 'delivery_waiting', 'the delivery waits for an earlier one of the same user; it goes out after it');
    return c.json({ replayed: 1 }, 202);
  });
  app.post('/webhooks/:id/replay', async (c) => {
    const id = await owned(c);
    const { since } = await body(c, ReplaySince);
    return c.json({ replayed: await queue.replaySince(id, Date.parse(since)) }, 202);
  });
  app.get('/webhooks/:id/attempts', async (c) => {
    const id = await owned(c);
    const { limit, cursor } = page(c);
    if (cursor !== undefined && !/^\d+-\d+$/.test(cursor)) throw badRequest('invalid_cursor', 'cursor is not one this API returned');
    return c.json(await queue.attempts(id, limit, cursor));
  });
  return app;
}

function encodeCursor(at: { ms: number; id: string }): string {
  return `${at.ms}.${at.id}`;
}

function decodeCursor(cursor: string): { ms: number; id: string } {
  const m = /^(\d{1,15})\.(msg_[0-9a-f]{32})$/.exec(cursor);
  if (!m) throw badRequest('invalid_cursor', 'cursor is not one this API returned');
  return { ms: Number(m[1]), id: m[2]! };
}
