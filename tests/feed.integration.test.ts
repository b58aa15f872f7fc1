import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { WebSocket } from 'ws';
import { FeedServerMessage, type FeedServerMessage as ServerMessage } from '../schema/feed.ts';
import type { Signal } from '../schema/signal.ts';
import { connectFeed, type FeedClient, type FeedClientOptions } from '../server/feed/client.ts';
import { KeyStore } from '../server/keys/workspaces.ts';
import { logKeys } from '../server/log/keys.ts';
import { testConfig, testRedis } from './helpers/env.ts';
import { addSignal, clientTextFrame, rawFeedSocket, signal, startFeedServer, type FeedServer } from './helpers/feed.ts';
import { cleanupPrefix } from './helpers/redis.ts';
import { waitFor } from './helpers/wait.ts';

const config = testConfig();
const keys = logKeys(config.WARMLINE_REDIS_PREFIX, config.WARMLINE_PARTITIONS);
const SECRET = 'sk_feed_test_secret_0001';
const WRITE = 'wk_feed_test_write_0001';
const OTHER_SECRET = 'sk_feed_test_secret_0002';
let redis: Redis;
let server: FeedServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await testRedis(config);
  const store = new KeyStore(redis, config.WARMLINE_REDIS_PREFIX);
  await store.ensureWorkspace('ws_test', 'Test');
  await store.addKey('ws_test', 'secret', SECRET);
  await store.addKey('ws_test', 'write', WRITE);
  await store.ensureWorkspace('ws_other', 'Other');
  await store.addKey('ws_other', 'secret', OTHER_SECRET);
  server = await startFeedServer(redis, keys);
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await server.close();
  await cleanupPrefix(redis, config.WARMLINE_REDIS_PREFIX);
  redis.disconnect();
});

/** A feed client collecting what it receives, closed after the test. */
function collect(opts: Partial<FeedClientOptions> & { url: string }): { client: FeedClient; got: { signal: Signal; cursor: string }[] } {
  const got: { signal: Signal; cursor: string }[] = [];
  const client = connectFeed({ key: SECRET, onSignal: (s, cursor) => got.push({ signal: s, cursor }), backoff: { initialMs: 50, maxMs: 200 }, ...opts });
  cleanups.push(() => client.close());
  return { client, got };
}

/** Opens a raw `ws` socket and resolves with how the server closed it. */
async function closedWith(url: string, headers: Record<string, string> = {}): Promise<{ code: number; reason: string }> {
  const ws = new WebSocket(url, { headers });
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}

/** A raw `ws` socket whose parsed server messages are collected. */
async function rawClient(url: string, key: string | null = SECRET): Promise<{ ws: WebSocket; messages: ServerMessage[] }> {
  const ws = new WebSocket(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const messages: ServerMessage[] = [];
  ws.on('message', (data: Buffer) => messages.push(FeedServerMessage.parse(JSON.parse(data.toString()))));
  await once(ws, 'open');
  cleanups.push(() => ws.terminate());
  return { ws, messages };
}

describe('live feed: authentication', () => {
  it('refuses a missing, unknown or write key with a clear close code and reason', async () => {
    expect(await closedWith(server.url)).toEqual({ code: 4401, reason: 'missing_secret_key' });
    expect(await closedWith(server.url, { authorization: 'Bearer sk_nope' })).toEqual({ code: 4401, reason: 'unknown_secret_key' });
    expect(await closedWith(server.url, { authorization: `Bearer ${WRITE}` })).toEqual({ code: 4403, reason: 'write_key_cannot_read' });
    expect(await closedWith(`${server.url}?key=${WRITE}`)).toEqual({ code: 4403, reason: 'write_key_cannot_read' });
  });

  it('accepts a secret key in the query (browsers) and leaves other paths alone', async () => {
    const { ws, messages } = await rawClient(`${server.url}?key=${SECRET}`, null);
    ws.send(JSON.stringify({ type: 'subscribe' }));
    await waitFor(() => messages.some((m) => m.type === 'subscribed'), { what: 'subscribed' });

    const other = new WebSocket(`ws://127.0.0.1:${server.port}/ws/other`);
    other.on('error', () => undefined);
    const [, res] = (await once(other, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(404);
  });

  it('answers a bad message with an error and keeps the connection; refuses oversize frames', async () => {
    const { ws, messages } = await rawClient(server.url);
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'subscribe', minScore: 'high' }));
    ws.send(JSON.stringify({ type: 'subscribe', since: 'AAAA' }));
    ws.send(JSON.stringify({ type: 'ping' }));
    await waitFor(() => messages.length >= 4, { what: 'four answers' });
    expect(messages.slice(0, 4).map((m) => (m.type === 'error' ? m.code : m.type))).toEqual(['bad_message', 'bad_message', 'bad_cursor', 'heartbeat']);

    ws.send(JSON.stringify({ type: 'subscribe', segments: ['x'.repeat(20_000)] }));
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1009);
  });
});

describe('live feed: delivery', () => {
  it('delivers only the workspace signals that pass the filters', async () => {
    const { client, got } = collect({ url: server.url, filters: { segments: ['high-intent', 'pricing'], minScore: 50, kinds: ['segment.entered'] } });
    const { client: other, got: otherGot } = collect({ url: server.url, key: OTHER_SECRET });
    await Promise.all([client.ready, other.ready]);
    const sent = [
      signal({ userKey: 'a', segment: 'high-intent', score: 80 }), // passes
      signal({ userKey: 'b', segment: 'high-intent', score: 40 }), // score too low
      signal({ userKey: 'c', segment: 'churn-risk', score: 90 }), // other segment
      signal({ userKey: 'd', kind: 'segment.exited', segment: 'pricing', score: 90 }), // other kind
      signal({ userKey: 'e', kind: 'threshold.crossed', segment: undefined, threshold: 'hot', score: 95 }), // no segment
      signal({ userKey: 'f', segment: 'pricing', score: 50, workspaceId: 'ws_other' }), // other workspace
      signal({ userKey: 'g', segment: 'pricing', score: 50 }), // passes
    ];
    for (const s of sent) await addSignal(redis, keys, s);
    await waitFor(() => got.length >= 2 && otherGot.length >= 1, { what: 'filtered signals' });
    await new Promise((r) => setTimeout(r, 200)); // nothing else trickles in
    expect(got.map((g) => g.signal.userKey)).toEqual(['a', 'g']);
    expect(otherGot.map((g) => g.signal.userKey)).toEqual(['f']);
  });

  it('resumes after a disconnect with nothing lost or duplicated, replay then live', async () => {
    const users = Array.from({ length: 40 }, (_, i) => `resume-${i}`);
    const first = collect({ url: server.url });
    await first.client.ready;
    for (const u of users.slice(0, 5)) await addSignal(redis, keys, signal({ userKey: u }));
    await waitFor(() => first.got.length >= 5, { what: 'first five' });
    first.client.close();
    const cursor = first.client.cursor!;

    // Missed while away; then signals keep arriving while the second client replays.
    for (const u of users.slice(5, 20)) await addSignal(redis, keys, signal({ userKey: u }));
    const second = collect({ url: server.url, since: cursor });
    for (const u of users.slice(20)) await addSignal(redis, keys, signal({ userKey: u }));
    await waitFor(() => second.got.length >= 35, { what: 'missed and live signals' });
    await new Promise((r) => setTimeout(r, 200));
    expect(second.got.map((g) => g.signal.userKey).sort()).toEqual(users.slice(5).sort());
    // Every cursor resumes exactly after its signal: resuming from the 10th yields the last 25.
    const third = collect({ url: server.url, since: second.got[9]!.cursor });
    await waitFor(() => third.got.length >= 25, { what: 'resume from the middle' });
    await new Promise((r) => setTimeout(r, 200));
    // (Order across partitions within one millisecond is not defined, so compare as sets.)
    expect(third.got.map((g) => g.signal.id).sort()).toEqual(second.got.slice(10).map((g) => g.signal.id).sort());
  });

  it('hands over from replay to live exactly while signals keep arriving (replays queued behind one slot)', async () => {
    const own = await startFeedServer(redis, keys, { maxConcurrentReplays: 1, replayPageSize: 7 });
    cleanups.push(() => own.close());
    const base = collect({ url: own.url });
    await base.client.ready;
    const ids: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing || i < 300; i++) {
        const s = signal({ userKey: `stream-${i}` });
        ids.push(s.id);
        await addSignal(redis, keys, s);
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // Subscribers joining mid-stream, each from a cursor the first client was given at that point.
    const joiners: { from: number; got: { signal: Signal }[] }[] = [];
    for (const at of [10, 60, 120, 180]) {
      await waitFor(() => base.got.length > at, { what: `signal ${at}` });
      const { got } = collect({ url: own.url, since: base.got[at]!.cursor });
      joiners.push({ from: at + 1, got });
    }
    writing = false;
    await writer;
    await waitFor(() => base.got.length >= ids.length && joiners.every((j) => j.got.length >= ids.length - j.from), { what: 'every subscriber caught up' });
    await new Promise((r) => setTimeout(r, 200));
    const delivered = base.got.map((g) => g.signal.id);
    expect(new Set(delivered).size).toBe(ids.length);
    for (const j of joiners) {
      // Exactly the signals after its cursor: none missing, none twice.
      expect(j.got.map((g) => g.signal.id).sort()).toEqual(delivered.slice(j.from).sort());
    }
  });

  it('stops for good when the key is refused', async () => {
    const events: string[] = [];
    const client = connectFeed({ url: server.url, key: WRITE, onSignal: () => undefined, onEvent: (e) => events.push(e.type), backoff: { initialMs: 10 } });
    await expect(client.ready).rejects.toThrow(/4403/);
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual(['closed', 'refused']);
  });

  it('reconnects by itself after a server restart and resumes from its cursor', async () => {
    const own = await startFeedServer(redis, keys);
    const port = own.port;
    const events: string[] = [];
    const { client, got } = collect({ url: own.url, onEvent: (e) => events.push(e.type) });
    await client.ready;
    await addSignal(redis, keys, signal({ userKey: 'restart-0' }));
    await waitFor(() => got.length >= 1, { what: 'first signal' });
    await own.close();
    for (let i = 1; i <= 10; i++) await addSignal(redis, keys, signal({ userKey: `restart-${i}` }));
    const again = await startFeedServer(redis, keys, {}, { port });
    cleanups.push(() => again.close());
    await addSignal(redis, keys, signal({ userKey: 'restart-11' }));
    await waitFor(() => got.length >= 12, { what: 'resumed signals' });
    await new Promise((r) => setTimeout(r, 200));
    expect(got.map((g) => g.signal.userKey).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `restart-${i}`).sort());
    expect(events).toContain('reconnecting');
    expect(events.filter((e) => e === 'subscribed').length).toBeGreaterThanOrEqual(2);
  });

  it('fans out from every process: two servers both deliver the same signal', async () => {
    const second = await startFeedServer(redis, keys);
    cleanups.push(() => second.close());
    const a = collect({ url: server.url });
    const b = collect({ url: second.url });
    await Promise.all([a.client.ready, b.client.ready]);
    const s = signal({ userKey: 'fanout-1' });
    await addSignal(redis, keys, s);
    await waitFor(() => a.got.length >= 1 && b.got.length >= 1, { what: 'both deliveries' });
    expect(a.got[0]!.signal.id).toBe(s.id);
    expect(b.got[0]!.signal.id).toBe(s.id);
    // A cursor from one process resumes on the other.
    await addSignal(redis, keys, signal({ userKey: 'fanout-2' }));
    await waitFor(() => a.got.length >= 2, { what: 'second signal' });
    const c = collect({ url: second.url, since: a.got[0]!.cursor });
    await waitFor(() => c.got.length >= 1, { what: 'cross-process resume' });
    await new Promise((r) => setTimeout(r, 100));
    expect(c.got.map((g) => g.signal.userKey)).toEqual(['fanout-2']);
  });
});

describe('live feed: protection', () => {
  it('cuts off a consumer that never reads, with the server buffer bounded', async () => {
    const registry = new Registry();
    const maxBufferedBytes = 256 * 1024;
    const own = await startFeedServer(redis, keys, { maxBufferedBytes, heartbeatMs: 60_000 }, { registry });
    cleanups.push(() => own.close());
    const socket = await rawFeedSocket(own.port, SECRET);
    let received = 0;
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => {
      received += d.length;
      if (chunks.length < 4 || d.includes('slow_consumer')) chunks.push(d);
    });
    socket.write(clientTextFrame(JSON.stringify({ type: 'subscribe' })));
    await waitFor(() => received > 0, { what: 'subscribed' });
    socket.pause(); // a laptop gone to sleep: nothing is read any more

    const rssBefore = process.memoryUsage().rss;
    const big = 'x'.repeat(20_000);
    const total = 2_000; // 40 MB of signals
    for (let i = 0; i < total; i += 100) {
      const pipe = redis.pipeline();
      for (let j = i; j < i + 100; j++) pipe.xadd(`${keys.prefix}:{p${j % keys.partitions}}:signals`, '*', 'sg', JSON.stringify(signal({ userKey: `slow-${j}`, traits: { note: big } })));
      await pipe.exec();
    }
    const slowCuts = async () => (await registry.getSingleMetric('warmline_feed_disconnects_total')!.get()).values.find((v) => v.labels.reason === 'slow_consumer')?.value;
    await waitFor(async () => (await slowCuts()) === 1, { what: 'slow consumer cut off', intervalMs: 20 });
    const rssGrowth = process.memoryUsage().rss - rssBefore;

    // The client wakes up: it reads what was buffered, ending with the notice and the close.
    socket.resume();
    await waitFor(() => own.feed.connections === 0, { what: 'slow consumer disconnected' });
    await new Promise((r) => setTimeout(r, 100));
    // What the server ever wrote: its bound plus what the kernel buffers held, far from the 40 MB sent.
    expect(received).toBeLessThan(16 * 1024 * 1024);
    expect(Buffer.concat(chunks).includes('"slow_consumer"')).toBe(true);
    expect(rssGrowth).toBeLessThan(150 * 1024 * 1024);
    socket.destroy();
  });

  it('closes the sockets of a revoked key at the next heartbeat (4401 key_revoked), leaving other keys open', async () => {
    const store = new KeyStore(redis, config.WARMLINE_REDIS_PREFIX);
    const revocable = 'sk_feed_test_revocable_0003';
    await store.addKey('ws_test', 'secret', revocable);
    const own = await startFeedServer(redis, keys, { heartbeatMs: 100 }, { keys: store });
    cleanups.push(() => own.close());
    const kept = await rawClient(own.url);
    const doomed = await rawClient(own.url, revocable);
    const closed = once(doomed.ws, 'close') as Promise<[number, Buffer]>;
    await waitFor(() => own.feed.connections === 2, { what: 'two connections' });
    await store.revokeKey(revocable);
    const [code, reason] = await closed;
    expect({ code, reason: reason.toString() }).toEqual({ code: 4401, reason: 'key_revoked' });
    await waitFor(() => own.feed.connections === 1, { what: 'the revoked socket gone' });
    expect(kept.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('sends heartbeats and drops a peer that stops answering pings', async () => {
    const own = await startFeedServer(redis, keys, { heartbeatMs: 150 });
    cleanups.push(() => own.close());
    const { ws, messages } = await rawClient(own.url);
    ws.send(JSON.stringify({ type: 'subscribe' }));
    await waitFor(() => messages.filter((m) => m.type === 'heartbeat').length >= 2, { what: 'heartbeats' });
    const hb = messages.find((m) => m.type === 'heartbeat');
    expect(hb).toMatchObject({ type: 'heartbeat', cursor: expect.any(String) as string });

    const silent = await rawFeedSocket(own.port, SECRET); // never answers pings
    cleanups.push(() => void silent.destroy());
    await waitFor(() => own.feed.connections === 2, { what: 'two connections' });
    await waitFor(() => own.feed.connections === 1, { what: 'dead peer dropped' });
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });
});
