import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { MAX_BATCH_BYTES, MAX_EVENT_BYTES, type EventType } from '../../schema/events.ts';
import { HttpError, badRequest, unavailable } from '../http/errors.ts';
import { checkSize, parseBody, readBody } from '../ingest/body.ts';
import { EventLoopLag } from '../ingest/overload.ts';
import { clientIp } from '../ingest/enrich.ts';
import { normalize, type NormalizedRequest } from '../ingest/normalize.ts';
import { partitionOf } from '../log/keys.ts';
import type { CollectorDeps } from '../collector.ts';

const SINGLE: Record<string, EventType> = {
  track: 'track', t: 'track',
  page: 'page', p: 'page',
  screen: 'screen', s: 'screen',
  identify: 'identify', i: 'identify',
  group: 'group', g: 'group',
  alias: 'alias', a: 'alias',
};

/**
 * The Segment HTTP Tracking API: `/v1/batch` (`/v1/b`), `/v1/<type>` and one-letter forms, `/v1/m`.
 * An event is answered 200 only once it is durable in the log.
 */
export function ingestRoutes(deps: CollectorDeps): Hono {
  const { config, metrics } = deps;
  const app = new Hono();
  let inflight = 0;
  const loop = new EventLoopLag();

  app.use(
    '*',
    cors({
      origin: (origin) => origin || '*',
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['Content-Type', 'Content-Encoding', 'Authorization', 'X-Retry-Count'],
      maxAge: 86_400,
    }),
  );
  // Past the lag bound, a request from a socket is refused before its body is read, and again
  // (still cheaply) once its body is whole, before it is parsed: bodies that finish arriving in one
  // long loop iteration would otherwise all be processed in it. Requests driven in process
  // (`app.request`) are never shed this way: they have no socket backlog to bound, and refusing
  // them without any I/O can spin the loop on microtasks, starving the very timer that measures it.
  const shedIfBehind = (c: { env: unknown }) => {
    if (incomingOf(c) && config.WARMLINE_MAX_EVENT_LOOP_LAG_MS > 0 && loop.lagMs() > config.WARMLINE_MAX_EVENT_LOOP_LAG_MS) {
      metrics.ingestShed.inc({ reason: 'event_loop_lag' });
      throw new HttpError(429, 'overloaded', 'collector is at capacity; retry later', { retryAfterSeconds: 1 });
    }
  };
  // Bound the requests (and so the memory) in flight, and the work queued behind a busy CPU:
  // past either, clients are told to come back.
  app.use('*', async (c, next) => {
    shedIfBehind(c);
    if (inflight >= config.WARMLINE_MAX_INFLIGHT) {
      metrics.ingestShed.inc({ reason: 'inflight' });
      throw new HttpError(429, 'overloaded', 'collector is at capacity; retry later', { retryAfterSeconds: 1 });
    }
    inflight++;
    try {
      await next();
    } finally {
      inflight--;
      metrics.ingestRequests.inc({ status: String(c.res.status) });
    }
  });

  app.post('/m', async (c) => {
    // Counted only; still read under a limit, so the one unauthenticated body cannot grow memory.
    await rawBody(c, MAX_EVENT_BYTES, shedIfBehind);
    metrics.trackerMetrics.inc();
    return c.json({ success: true });
  });
  for (const path of ['/batch', '/b']) app.post(path, (c) => ingest(c, 'batch', MAX_BATCH_BYTES, deps, shedIfBehind));
  for (const [path, type] of Object.entries(SINGLE)) {
    app.post(`/${path}`, (c) => ingest(c, type, MAX_EVENT_BYTES, deps, shedIfBehind));
  }
  return app;
}

async function ingest(c: Context, kind: EventType | 'batch', limitBytes: number, deps: CollectorDeps, shedIfBehind: (c: { env: unknown }) => void): Promise<Response> {
  const { config, metrics } = deps;
  const body = await parseBody(await rawBody(c, limitBytes, shedIfBehind), c.req.header('content-encoding'), limitBytes);
  const workspaceId = await authenticate(c.req.header('authorization'), body, deps);
  const receivedAt = Date.now();
  const normalized = normalize(
    kind,
    body,
    {
      workspaceId,
      receivedAt,
      ip: clientIp(socketAddress(c), c.req.header('x-forwarded-for'), config.WARMLINE_TRUSTED_PROXIES),
      userAgent: c.req.header('user-agent') ?? '',
      anonymizeIp: config.WARMLINE_ANONYMIZE_IP,
      partitions: config.WARMLINE_PARTITIONS,
    },
    deps.uaParser,
  );
  const wait = deps.limiter.take(workspaceId, normalized.accepted + normalized.rejected.length, receivedAt);
  if (wait > 0) {
    metrics.ingestShed.inc({ reason: 'rate_limit' });
    throw new HttpError(429, 'rate_limited', 'write key is over its event rate; retry later', { retryAfterSeconds: wait });
  }
  const duplicates = await append(normalized, workspaceId, deps);

  metrics.ingestEvents.inc({ outcome: 'accepted' }, normalized.accepted - duplicates);
  if (duplicates > 0) metrics.ingestEvents.inc({ outcome: 'duplicate' }, duplicates);
  for (const r of normalized.rejected) {
    metrics.ingestEvents.inc({ outcome: 'rejected' });
    metrics.ingestRejects.inc({ reason: r.code });
  }
  if (normalized.rejected.length === 0) return c.json({ success: true });
  const rejected = normalized.rejected.map(({ index, messageId, reason }) => ({ index, messageId, reason }));
  if (normalized.accepted === 0) {
    const message = kind === 'batch' ? `every event in the batch is invalid (first: ${rejected[0]?.reason})` : `invalid event: ${rejected[0]?.reason}`;
    throw badRequest('invalid_events', message, { rejected });
  }
  return c.json({ success: true, accepted: normalized.accepted, rejected });
}

/** The write key from HTTP Basic (`base64(writeKey:)`) or the body's `writeKey`; resolves its workspace. */
async function authenticate(header: string | undefined, body: unknown, deps: CollectorDeps): Promise<string> {
  let key: string | undefined;
  if (header) {
    const m = /^Basic\s+([A-Za-z0-9+/=_-]+)$/i.exec(header.trim());
    if (!m?.[1]) throw new HttpError(401, 'bad_auth', 'Authorization must be "Basic base64(writeKey:)"');
    key = Buffer.from(m[1], 'base64').toString('utf8').split(':')[0];
  } else if (typeof body === 'object' && body !== null && typeof (body as { writeKey?: unknown }).writeKey === 'string') {
    key = (body as { writeKey: string }).writeKey;
  }
  if (!key) throw new HttpError(401, 'missing_write_key', 'no write key: send HTTP Basic auth or "writeKey" in the body');
  let grant;
  try {
    grant = await deps.keys.resolve(key);
  } catch (err) {
    deps.metrics.ingestShed.inc({ reason: 'redis_down' });
    deps.log.error({ err }, 'key lookup failed: redis unavailable');
    throw unavailable('event log unavailable; retry later');
  }
  if (!grant) throw new HttpError(401, 'unknown_write_key', 'unknown write key');
  if (grant.kind !== 'write') throw new HttpError(401, 'not_a_write_key', 'ingest takes a write key; never embed a secret key');
  return grant.workspaceId;
}

/**
 * Appends every partition's share in parallel (ioredis pipelines them on one connection). Any
 * failure answers 503 — a retry is safe, the dedupe absorbs the events that did land.
 * Returns the number of duplicates (resends) among the accepted events.
 */
async function append(n: NormalizedRequest, workspaceId: string, deps: CollectorDeps): Promise<number> {
  const groups = [...n.byPartition.entries()];
  // Rejects ride along with the first partition's entry (or get one of their own).
  const rejectPartition = groups[0]?.[0] ?? partitionOf(n.rejectLines[0] ?? '', deps.config.WARMLINE_PARTITIONS);
  if (groups.length === 0 && n.rejectLines.length > 0) groups.push([rejectPartition, []]);
  let outcomes;
  try {
    outcomes = await Promise.all(
      groups.map(([p, events]) => deps.appender.append(p, workspaceId, events, p === rejectPartition ? n.rejectLines : [])),
    );
  } catch (err) {
    deps.metrics.ingestShed.inc({ reason: 'redis_down' });
    deps.log.error({ err }, 'append to the log failed');
    throw unavailable('event log unavailable; retry later');
  }
  let duplicates = 0;
  for (const o of outcomes) {
    if (o.kind === 'full') {
      deps.metrics.ingestShed.inc({ reason: 'log_full' });
      deps.log.warn({ length: o.length }, 'log partition full: shedding load');
      throw new HttpError(503, 'log_full', 'event log is full while consumers catch up; retry later', { retryAfterSeconds: 5 });
    }
    duplicates += o.duplicates;
  }
  return duplicates;
}

/**
 * The body bytes, capped at `limit`: straight from the Node request when served by @hono/node-server,
 * else (the app driven in process by `app.request`) through the Fetch API. A socket's body arrives
 * over later loop iterations than its headers, so the lag is checked again once it is whole.
 */
async function rawBody(c: Context, limit: number, shedIfBehind: (c: { env: unknown }) => void): Promise<Uint8Array> {
  const incoming = incomingOf(c);
  if (!incoming) return checkSize(new Uint8Array(await c.req.arrayBuffer()), limit);
  const bytes = await readBody(incoming, limit);
  shedIfBehind(c);
  return bytes;
}

/** The Node request under @hono/node-server; absent when the app is driven in process. */
const incomingOf = (c: { env: unknown }): IncomingMessage | undefined => (c.env as Partial<HttpBindings> | undefined)?.incoming;

/** The peer address; absent when the app is driven in process (`app.request`) rather than by a socket. */
function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}
