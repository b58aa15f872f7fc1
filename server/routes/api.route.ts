import { Hono } from 'hono';
import { z } from 'zod';
import type { ClickHouseClient } from '../clickhouse/client.ts';
import { badRequest } from '../http/errors.ts';
import type { KeyStore } from '../keys/workspaces.ts';
import { secretKeyAuth, type ApiEnv } from '../api/auth.ts';
import { decodeCursor, userEvents } from '../api/events.query.ts';
import { describe } from '../ingest/normalize.ts';

const EventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2_000).optional(),
});

/** The read API (`/api/*`, secret keys only), served by processes that reach ClickHouse. */
export function apiRoutes(deps: { keys: KeyStore; clickhouse: ClickHouseClient }): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use('*', secretKeyAuth(deps.keys));

  app.get('/profiles/:userId/events', async (c) => {
    const query = EventsQuery.safeParse(c.req.query());
    if (!query.success) throw badRequest('invalid_query', describe(query.error));
    const cursor = query.data.cursor === undefined ? undefined : decodeCursor(query.data.cursor);
    if (query.data.cursor !== undefined && !cursor) throw badRequest('invalid_cursor', 'cursor is not one this API returned');
    const page = await userEvents(deps.clickhouse, {
      workspaceId: c.get('workspaceId'),
      userId: c.req.param('userId'),
      limit: query.data.limit,
      ...(cursor ? { cursor } : {}),
    });
    return c.json(page);
  });
  return app;
}
