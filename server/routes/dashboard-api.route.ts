import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import {
  AnalyticsQuery,
  CompareQuery,
  CreateKeyRequest,
  HistoryQuery,
  SignalsQuery,
  type CompareResponse,
  type CreatedKeyResponse,
  type KeysResponse,
  type ModelResponse,
  type ProfileHistoryResponse,
  type RecentSignalsResponse,
  type SegmentDetailResponse,
  type SegmentsResponse,
  type SegmentSummary,
  type WorkspaceResponse,
} from '../../schema/dashboard.ts';
import { analyticsOf } from '../../schema/model.ts';
import type { ActiveModel, ActiveScoring, Generation } from '../../scoring/runtime/active.ts';
import { scorerKeys } from '../../scoring/runtime/keys.ts';
import type { ClickHouseClient } from '../clickhouse/client.ts';
import { HttpError, badRequest, unavailable } from '../http/errors.ts';
import { describe } from '../ingest/normalize.ts';
import { generateKey, keyIdOf, type KeyStore } from '../keys/workspaces.ts';
import type { LogKeys } from '../log/keys.ts';
import { bearerToken, type ApiEnv } from '../api/auth.ts';
import { compareCounts } from '../api/compare.query.ts';
import { profileHistory } from '../api/history.query.ts';
import { EMPTY_KPIS, EVERYONE, segmentKpis, type KpiSpec } from '../api/kpis.query.ts';
import { compareItems } from '../api/lift.ts';
import { recentChanges, segmentCounts, segmentDayChanges } from '../api/segments.query.ts';
import { dailySizes, utcDays } from '../api/series.ts';
import { recentSignals } from '../api/signals.query.ts';
import { resolveWindow, type Window } from '../api/window.ts';
import { body } from './webhooks.route.ts';

export interface DashboardApiDeps {
  keys: KeyStore;
  redis: Redis;
  logKeys: LogKeys;
  /** The active model: segment definitions and the conversion event. */
  active: ActiveScoring;
  /** Seeds the active model when no scorer has yet (WARMLINE_MODEL). */
  fallback?: ActiveModel;
  /** Segments, compare and history need ClickHouse. */
  clickhouse?: ClickHouseClient;
}

const MAX_BODY_BYTES = 64 * 1024;
const RECENT_CHANGES = 50;
const DAY_MS = 86_400_000;

function query<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw badRequest('invalid_query', describe(parsed.error));
  return parsed.data;
}

function windowOf(q: AnalyticsQuery): Window {
  const w = resolveWindow(q);
  if (!w.ok) throw badRequest('invalid_window', w.reason);
  return w.window;
}

const notFound = (id: string) => new HttpError(404, 'segment_not_found', `the active model has no segment '${id}'`);

/**
 * The dashboards' read API under `/api` (behind the collector's one secret-key check): segments with sizes and KPIs, one
 * segment's history, segment comparison, a profile's score history, the latest signals with a feed
 * cursor, workspace keys and the active model. Wire format: schema/dashboard.ts.
 */
export function dashboardApiRoutes(deps: DashboardApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new HttpError(413, 'body_too_large', `request body exceeds ${MAX_BODY_BYTES / 1024} KB`);
    },
  });
  app.use('/keys', limit);

  async function generation(): Promise<Generation> {
    try {
      return await deps.active.current(deps.fallback);
    } catch {
      throw unavailable('no active scoring model yet; retry once a scorer has started');
    }
  }
  const specOf = (g: Generation, q: AnalyticsQuery): KpiSpec => {
    const analytics = analyticsOf(g.model.compiled.model);
    return { conversionEvent: q.conversion ?? analytics.conversionEvent, revenueProperties: analytics.revenueProperties };
  };

  app.get('/workspace', async (c) => {
    const ws = await deps.keys.workspace(c.get('workspaceId'));
    if (!ws) throw new HttpError(404, 'workspace_not_found', 'the key belongs to no workspace record');
    return c.json(ws satisfies WorkspaceResponse);
  });

  app.get('/model', async (c) => {
    const g = await generation();
    const model = g.model.compiled.model;
    return c.json({ name: model.name, generation: g.gen, conversionEvent: analyticsOf(model).conversionEvent, model } satisfies ModelResponse);
  });

  app.get('/signals', async (c) => {
    const q = query(c, SignalsQuery);
    const sk = scorerKeys(deps.logKeys);
    const streams = Array.from({ length: deps.logKeys.partitions }, (_, p) => sk.signals(p));
    return c.json((await recentSignals(deps.redis, streams, c.get('workspaceId'), q.limit)) satisfies RecentSignalsResponse);
  });

  app.get('/keys', async (c) => c.json({ keys: await deps.keys.listKeys(c.get('workspaceId')) } satisfies KeysResponse));
  app.post('/keys', async (c) => {
    const input = await body(c, CreateKeyRequest);
    const key = generateKey(input.kind);
    const info = await deps.keys.addKey(c.get('workspaceId'), input.kind, key, input.label === undefined ? {} : { label: input.label });
    return c.json({ key, info } satisfies CreatedKeyResponse, 201);
  });
  app.delete('/keys/:id', async (c) => {
    const id = c.req.param('id');
    const own = bearerToken(c.req.header('authorization'));
    if (own !== undefined && keyIdOf(own) === id) {
      throw new HttpError(409, 'key_in_use', 'this request is authenticated with that key; revoke it with another secret key');
    }
    if (!(await deps.keys.revokeById(c.get('workspaceId'), id))) throw new HttpError(404, 'key_not_found', `the workspace has no key '${id}'`);
    return c.body(null, 204);
  });

  const ch = deps.clickhouse;
  if (!ch) return app;

  app.get('/segments', async (c) => {
    const q = query(c, AnalyticsQuery);
    const window = windowOf(q);
    const g = await generation();
    const spec = specOf(g, q);
    const ws = c.get('workspaceId');
    const defs = g.model.compiled.model.segments;
    const ids = defs.map((s) => s.id);
    const counts = await segmentCounts(ch, { workspaceId: ws, window, segments: ids });
    const kpis = await segmentKpis(ch, { workspaceId: ws, window, segments: ids, everyone: true, spec });
    const segments = defs.map((s): SegmentSummary => ({
      id: s.id,
      name: s.name ?? s.id,
      description: s.description ?? null,
      ...(counts.get(s.id) ?? { size: 0, entered: 0, exited: 0 }),
      kpis: kpis.get(s.id) ?? EMPTY_KPIS,
    }));
    const res: SegmentsResponse = {
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      conversionEvent: spec.conversionEvent,
      segments,
      everyone: kpis.get(EVERYONE) ?? EMPTY_KPIS,
    };
    return c.json(res);
  });

  app.get('/segments/:id', async (c) => {
    const q = query(c, AnalyticsQuery);
    const window = windowOf(q);
    const g = await generation();
    const spec = specOf(g, q);
    const ws = c.get('workspaceId');
    const def = g.model.compiled.model.segments.find((s) => s.id === c.req.param('id'));
    if (!def) throw notFound(c.req.param('id'));
    const counts = await segmentCounts(ch, { workspaceId: ws, window, segments: [def.id] });
    const kpis = await segmentKpis(ch, { workspaceId: ws, window, segments: [def.id], everyone: false, spec });
    const dayChanges = await segmentDayChanges(ch, { workspaceId: ws, segment: def.id, to: window.to });
    const recent = await recentChanges(ch, { workspaceId: ws, segment: def.id, window, limit: RECENT_CHANGES });
    const res: SegmentDetailResponse = {
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      conversionEvent: spec.conversionEvent,
      segment: {
        id: def.id,
        name: def.name ?? def.id,
        description: def.description ?? null,
        ...(counts.get(def.id) ?? { size: 0, entered: 0, exited: 0 }),
        kpis: kpis.get(def.id) ?? EMPTY_KPIS,
        definition: { enter: def.enter, ...(def.exit ? { exit: def.exit } : {}) },
      },
      days: dailySizes(utcDays(window), dayChanges),
      recent,
    };
    return c.json(res);
  });

  app.get('/compare', async (c) => {
    const q = query(c, CompareQuery);
    const window = windowOf(q);
    const g = await generation();
    const spec = specOf(g, q);
    const ws = c.get('workspaceId');
    if (new Set(q.segments).size !== q.segments.length) throw badRequest('invalid_query', 'segments: pick 2 or 3 different segments');
    const defs = q.segments.map((id) => {
      const def = g.model.compiled.model.segments.find((s) => s.id === id);
      if (!def) throw notFound(id);
      return def;
    });
    const kpis = await segmentKpis(ch, { workspaceId: ws, window, segments: q.segments, everyone: false, spec });
    const { members, items } = await compareCounts(ch, { workspaceId: ws, window, segments: q.segments });
    const res: CompareResponse = {
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      conversionEvent: spec.conversionEvent,
      segments: defs.map((d) => ({ id: d.id, name: d.name ?? d.id, kpis: kpis.get(d.id) ?? EMPTY_KPIS })),
      events: compareItems(items.event, members),
      pages: compareItems(items.page, members),
      traits: compareItems(items.trait, members),
    };
    return c.json(res);
  });

  app.get('/profiles/:userId/history', async (c) => {
    const q = query(c, HistoryQuery);
    const ws = c.get('workspaceId');
    const id = c.req.param('userId');
    // An anonymous id stitched to a user reads that user's history, as the profile endpoint does.
    const g = await generation();
    const userKey = (await deps.redis.get(g.keys.alias(ws, id))) ?? id;
    const history = await profileHistory(ch, { workspaceId: ws, userKey, since: new Date(Date.now() - q.days * DAY_MS) });
    return c.json(history satisfies ProfileHistoryResponse);
  });
  return app;
}
