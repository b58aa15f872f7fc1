import { Hono } from 'hono';
import { z } from 'zod';
import type { ClickHouseClient } from '../clickhouse/client.ts';
import { HttpError, badRequest } from '../http/errors.ts';
import type { Redis } from 'ioredis';
import type { ActiveModel, ActiveScoring } from '../../scoring/runtime/active.ts';
import { readActiveProfile } from '../../scoring/runtime/profile.ts';
import type { ApiEnv } from '../api/auth.ts';
import { decodeCursor, userEvents } from '../api/events.query.ts';
import { describe } from '../ingest/normalize.ts';

const EventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2_000).optional(),
});

export interface ApiDeps {
  /** Timelines need ClickHouse. */
  clickhouse?: ClickHouseClient;
  /**
   * Profiles need the scorer's state in Redis and the active generation's model (to explain it);
   * `fallback` (WARMLINE_MODEL) seeds the active record when no scorer has yet.
   */
  profiles?: { redis: Redis; active: ActiveScoring; fallback: ActiveModel };
}

/** The profile read API (under `/api`, behind the collector's one secret-key check). */
export function apiRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  const profiles = deps.profiles;
  if (profiles) {
    app.get('/profiles/:userId', async (c) => {
      const profile = await readActiveProfile(profiles.redis, profiles.active, profiles.fallback, c.get('workspaceId'), c.req.param('userId'));
      if (!profile) throw new HttpError(404, 'profile_not_found', 'no profile for this user (yet)');
      return c.json(profile);
    });
  }
  const clickhouse = deps.clickhouse;
  if (!clickhouse) return app;

  app.get('/profiles/:userId/events', async (c) => {
    const query = EventsQuery.safeParse(c.req.query());
    if (!query.success) throw badRequest('invalid_query', describe(query.error));
    const cursor = query.data.cursor === undefined ? undefined : decodeCursor(query.data.cursor);
    if (query.data.cursor !== undefined && !cursor) throw badRequest('invalid_cursor', 'cursor is not one this API returned');
    const workspaceId = c.get('workspaceId');
    const userId = c.req.param('userId');
    // The profile names every key the person's events are stored under (its own, stitched anonymous ids).
    const profile = profiles ? await readActiveProfile(profiles.redis, profiles.active, profiles.fallback, workspaceId, userId) : undefined;
    const page = await userEvents(clickhouse, {
      workspaceId,
      userKeys: profile ? [profile.userKey, ...profile.anonymousIds] : [userId],
      limit: query.data.limit,
      ...(cursor ? { cursor } : {}),
    });
    return c.json(page);
  });
  return app;
}
