import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { FeedCloseCode } from '../../schema/feed.ts';
import { scorerKeys } from '../../scoring/runtime/keys.ts';
import type { KeyStore } from '../keys/workspaces.ts';
import type { LogKeys } from '../log/keys.ts';
import type { Logger } from '../logger.ts';
import { authorizeFeed, feedKeyOf } from './auth.ts';
import { FeedConnection, Slots } from './connection.ts';
import { FeedMetrics } from './metrics.ts';
import { SignalReader, type FeedItem } from './reader.ts';

export interface FeedOptions {
  /** The upgrade path served; other paths are left to other listeners. */
  path: string;
  /** Server heartbeat and protocol-ping period; a peer that misses a whole period's pong is dropped. */
  heartbeatMs: number;
  /** Bytes a socket may hold unsent before its client is cut off as a slow consumer. */
  maxBufferedBytes: number;
  /** Live signals a socket may hold back while its replay runs. */
  maxQueued: number;
  /** Largest client frame accepted (client messages are small). */
  maxPayload: number;
  maxConnections: number;
  /** Replays running at once (each holds a page per partition); more wait, their live signals queued. */
  maxConcurrentReplays: number;
  /** XREAD BLOCK timeout and COUNT of the reader. */
  blockMs: number;
  readCount: number;
  replayPageSize: number;
}

export const DEFAULT_FEED_OPTIONS: FeedOptions = {
  path: '/ws/feed',
  heartbeatMs: 15_000,
  maxBufferedBytes: 256 * 1024,
  maxQueued: 1_000,
  maxPayload: 16 * 1024,
  maxConnections: 10_000,
  maxConcurrentReplays: 16,
  blockMs: 1_000,
  readCount: 500,
  replayPageSize: 100,
};

export interface FeedDeps {
  /** For key lookups and replays; the reader's blocking connection is duplicated from it. */
  redis: Redis;
  keys: KeyStore;
  logKeys: LogKeys;
  log: Logger;
  metrics?: { registry: Registry };
  opts?: Partial<FeedOptions>;
}

export interface Feed {
  /** Open feed sockets (authenticated). */
  readonly connections: number;
  /** Stops accepting, closes every socket (1001) and the reader. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Serves the live feed on `server`'s `GET /ws/feed` upgrades: authenticates the secret key, then
 * streams the workspace's signals from the process's one reader of the signals streams.
 *
 * @example
 *   const http = await listen(app, host, port);
 *   const feed = await attachFeed(http.server as Server, { redis, keys, logKeys, log, metrics });
 *   // shutdown: await feed.close() before http.close()
 */
export async function attachFeed(server: Server, deps: FeedDeps): Promise<Feed> {
  const opts = { ...DEFAULT_FEED_OPTIONS, ...deps.opts };
  const log = deps.log.child({ module: 'feed' });
  const metrics = new FeedMetrics(deps.metrics?.registry);
  const streams = Array.from({ length: deps.logKeys.partitions }, (_, p) => scorerKeys(deps.logKeys).signals(p));
  const byWorkspace = new Map<string, Set<FeedConnection>>();
  const all = new Set<FeedConnection>();

  const dispatch = (items: FeedItem[]) => {
    const touched = new Set<FeedConnection>();
    for (const item of items) {
      const conns = byWorkspace.get(item.signal.workspaceId);
      if (!conns) continue;
      for (const c of conns) {
        if (!touched.has(c)) {
          touched.add(c);
          c.cork();
        }
        c.offer(item);
      }
    }
    for (const c of touched) c.uncork();
  };
  const blocking = deps.redis.duplicate({ connectionName: 'warmline:feed-read', commandTimeout: undefined, enableOfflineQueue: true });
  blocking.on('error', () => undefined);
  const reader = new SignalReader(blocking, streams, dispatch, log, { blockMs: opts.blockMs, count: opts.readCount });
  await reader.start();

  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload, clientTracking: false });
  const ctx = {
    redis: deps.redis,
    streams,
    readerPos: () => reader.pos,
    replaySlots: new Slots(opts.maxConcurrentReplays),
    limits: { maxBufferedBytes: opts.maxBufferedBytes, maxQueued: opts.maxQueued, replayPageSize: opts.replayPageSize, heartbeatMs: opts.heartbeatMs },
    metrics,
    log,
  };

  /** The key each socket opened with: checked again every heartbeat, so a revoked key stops reading. */
  const keyOf = new Map<FeedConnection, string>();
  const accept = (ws: WebSocket, socket: Duplex, workspaceId: string, key: string) => {
    const conn = new FeedConnection(ws, socket, workspaceId, ctx);
    all.add(conn);
    keyOf.set(conn, key);
    let set = byWorkspace.get(workspaceId);
    if (!set) byWorkspace.set(workspaceId, (set = new Set()));
    set.add(conn);
    ws.on('pong', () => (conn.alive = true));
    ws.on('error', (err) => log.debug({ err }, 'feed: socket error'));
    ws.on('close', () => {
      conn.closed();
      all.delete(conn);
      keyOf.delete(conn);
      set.delete(conn);
      if (set.size === 0 && byWorkspace.get(workspaceId) === set) byWorkspace.delete(workspaceId);
    });
  };

  const refuse = (req: IncomingMessage, socket: Duplex, head: Buffer, code: number, reason: string) => {
    metrics.refused.inc({ reason });
    // Completing the handshake and closing gives browsers the code and reason (a bare HTTP 401 reaches them as a nameless error).
    wss.handleUpgrade(req, socket, head, (ws) => ws.close(code, reason));
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://feed.invalid');
    if (url.pathname !== opts.path) {
      // Left to other upgrade listeners; alone, answer rather than leave the socket hanging.
      if (server.listenerCount('upgrade') === 1) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
      return;
    }
    socket.on('error', () => undefined);
    if (all.size >= opts.maxConnections) return refuse(req, socket, head, FeedCloseCode.tryAgainLater, 'too_many_connections');
    const key = feedKeyOf(req, url);
    authorizeFeed(deps.keys, key).then(
      (auth) => {
        if (socket.destroyed) return;
        if (!auth.ok) return refuse(req, socket, head, auth.code, auth.reason);
        wss.handleUpgrade(req, socket, head, (ws) => accept(ws, socket, auth.workspaceId, key ?? ''));
      },
      (err: unknown) => {
        log.error({ err }, 'feed: handshake failed');
        socket.destroy();
      },
    );
  };
  server.on('upgrade', onUpgrade);

  /**
   * Closes (4401) the sockets whose key was revoked or now grants another workspace. A key store that
   * cannot be asked leaves them open: an outage of Redis is not a revocation.
   */
  const recheckKeys = async () => {
    const grants = new Map<string, Awaited<ReturnType<typeof authorizeFeed>>>();
    for (const key of new Set(keyOf.values())) grants.set(key, await authorizeFeed(deps.keys, key));
    for (const [conn, key] of keyOf) {
      const grant = grants.get(key);
      if (!grant || (grant.ok ? grant.workspaceId === conn.workspaceId : grant.reason === 'key_store_unavailable')) continue;
      metrics.disconnects.inc({ reason: 'key_revoked' });
      conn.ws.close(FeedCloseCode.unauthorized, 'key_revoked');
    }
  };

  const heartbeat = setInterval(() => {
    recheckKeys().catch((err: unknown) => log.warn({ err }, 'feed: re-checking keys failed'));
    for (const conn of all) {
      if (!conn.alive) {
        metrics.disconnects.inc({ reason: 'dead_peer' });
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
      conn.heartbeat();
    }
  }, opts.heartbeatMs);
  heartbeat.unref();

  let closing: Promise<void> | null = null;
  return {
    get connections() {
      return all.size;
    },
    close: () =>
      (closing ??= (async () => {
        server.off('upgrade', onUpgrade);
        clearInterval(heartbeat);
        for (const conn of all) {
          metrics.disconnects.inc({ reason: 'shutdown' });
          conn.ws.close(FeedCloseCode.goingAway, 'server shutting down');
        }
        // Peers get a moment to answer the close; the rest are cut.
        const deadline = Date.now() + 1_000;
        while (all.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        for (const conn of all) conn.ws.terminate();
        try {
          await reader.stop();
        } catch (err) {
          log.warn({ err }, 'feed: stopping the reader failed');
        }
        wss.close();
      })()),
  };
}
