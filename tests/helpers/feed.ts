import { randomUUID } from 'node:crypto';
import { request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Signal } from '../../schema/signal.ts';
import { scorerKeys } from '../../scoring/runtime/keys.ts';
import { attachFeed, type Feed, type FeedOptions } from '../../server/feed/feed.ts';
import { KeyStore } from '../../server/keys/workspaces.ts';
import type { LogKeys } from '../../server/log/keys.ts';
import { createLogger } from '../../server/logger.ts';
import { listen } from '../../server/roles/http.ts';

export interface FeedServer {
  port: number;
  url: string;
  feed: Feed;
  close(): Promise<void>;
}

/** An HTTP server on loopback (port 0 unless given) serving only the feed. */
export async function startFeedServer(
  redis: Redis,
  logKeys: LogKeys,
  opts: Partial<FeedOptions> = {},
  extras: { port?: number; registry?: Registry; keys?: KeyStore } = {},
): Promise<FeedServer> {
  const http = await listen(new Hono(), '127.0.0.1', extras.port ?? 0);
  const feed = await attachFeed(http.server as Server, {
    redis,
    keys: extras.keys ?? new KeyStore(redis, logKeys.prefix),
    logKeys,
    log: createLogger('silent'),
    ...(extras.registry ? { metrics: { registry: extras.registry } } : {}),
    opts,
  });
  return {
    port: http.port,
    url: `ws://127.0.0.1:${http.port}/ws/feed`,
    feed,
    close: async () => {
      await feed.close();
      await http.close();
    },
  };
}

/** A signal as the scorer would write it, with overrides. */
export function signal(overrides: Partial<Signal> = {}): Signal {
  return {
    v: 1,
    id: randomUUID(),
    kind: 'segment.entered',
    workspaceId: 'ws_test',
    userKey: 'lead-1',
    segment: 'high-intent',
    score: 80,
    reasons: [{ rule: 'pricing-page', kind: 'behaviour', points: 30 }],
    traits: { title: 'VP Engineering' },
    at: new Date().toISOString(),
    ...overrides,
  };
}

/** XADDs a signal to its user's partition, as the scorer does; returns the entry id. */
export async function addSignal(redis: Redis, logKeys: LogKeys, s: Signal): Promise<string> {
  const sk = scorerKeys(logKeys);
  return (await redis.xadd(sk.signals(sk.partitionOf(s.userKey)), '*', 'sg', JSON.stringify(s)))!;
}

/**
 * A WebSocket handshake done by hand, leaving the raw socket to the test: a peer that never reads
 * and never answers pings (what `ws` would not let a client be).
 */
export async function rawFeedSocket(port: number, key: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/ws/feed',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from(randomUUID().slice(0, 16)).toString('base64'),
        authorization: `Bearer ${key}`,
      },
    });
    req.on('upgrade', (_res, socket) => resolve(socket));
    req.on('response', (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

/** A masked text frame, as clients must send them (payload under 64 KiB). */
export function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([header, mask, masked]);
}
