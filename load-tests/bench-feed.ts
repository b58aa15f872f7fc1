/**
 * Live-feed benchmark (`npm run bench:feed`), on loopback with a throw-away key prefix:
 * a feed server runs in its own process (listen + attachFeed, as the collector will); this process opens
 * CLIENTS feed sockets (spread over WORKSPACES workspaces, each client seeing its workspace's signals),
 * XADDs signals straight to the signals streams at RATE/s for SECONDS, and measures for every delivery
 * the delay from just before the XADD to the message's receipt at the client (p50/p99/max).
 *   node --import tsx load-tests/bench-feed.ts [CLIENTS=200] [RATE=1000] [SECONDS=10] [WORKSPACES=1]
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { WebSocket } from 'ws';
import type { Signal } from '../schema/signal.ts';
import { scorerKeys } from '../scoring/runtime/keys.ts';
import { loadConfig } from '../server/config.ts';
import { attachFeed } from '../server/feed/feed.ts';
import { KeyStore } from '../server/keys/workspaces.ts';
import { logKeys } from '../server/log/keys.ts';
import { createLogger } from '../server/logger.ts';
import { createRedis, waitReady } from '../server/redis.ts';
import { listen } from '../server/roles/http.ts';
import { cleanupPrefix, testPrefix } from '../tests/helpers/redis.ts';

const PARTITIONS = 8;
const now = () => performance.timeOrigin + performance.now();
const pct = (xs: Float64Array, q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const SENT_AT = Buffer.from('"sentAt":');
const keyOf = (w: number) => `sk_bench_feed_${w}`;

/** Child mode: serve the feed for `prefix` and print the port. */
async function serve(prefix: string): Promise<void> {
  const config = loadConfig({ WARMLINE_REDIS_PREFIX: prefix, WARMLINE_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'silent' });
  const redis = createRedis(config.REDIS_URL, { name: 'bench-feed-server' });
  await waitReady(redis);
  const lk = logKeys(prefix, PARTITIONS);
  const http = await listen(new Hono(), '127.0.0.1', 0);
  const feed = await attachFeed(http.server as Server, { redis, keys: new KeyStore(redis, prefix), logKeys: lk, log: createLogger('warn') });
  process.stdout.write(`PORT ${http.port}\n`);
  process.on('SIGTERM', () => {
    void feed.close().then(() => process.exit(0));
  });
}

async function main(): Promise<void> {
  const CLIENTS = Number(process.argv[2] ?? 200);
  const RATE = Number(process.argv[3] ?? 1_000);
  const SECONDS = Number(process.argv[4] ?? 10);
  const WORKSPACES = Number(process.argv[5] ?? 1);
  const prefix = testPrefix();
  const config = loadConfig({ WARMLINE_REDIS_PREFIX: prefix, WARMLINE_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'silent' });
  const redis = createRedis(config.REDIS_URL, { name: 'bench-feed' });
  await waitReady(redis);
  const lk = logKeys(prefix, PARTITIONS);
  const sk = scorerKeys(lk);
  const store = new KeyStore(redis, prefix);
  for (let w = 0; w < WORKSPACES; w++) {
    await store.ensureWorkspace(`ws-${w}`, `bench ${w}`);
    await store.addKey(`ws-${w}`, 'secret', keyOf(w));
  }
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, 'serve', prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /PORT (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`feed server exited with ${code}`)));
    });

    const delays = new Float64Array(Math.ceil(CLIENTS * RATE * SECONDS * 1.1 / WORKSPACES) + 1_000);
    let n = 0;
    let cutOff = 0;
    const sockets: WebSocket[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/feed`, { headers: { authorization: `Bearer ${keyOf(c % WORKSPACES)}` } });
      ws.on('message', (data: Buffer) => {
        const at = now();
        // Clients run on the same cores as the server here: read the send time without parsing the message.
        const i = data.indexOf(SENT_AT);
        if (i >= 0 && n < delays.length) delays[n++] = at - parseFloat(data.toString('latin1', i + SENT_AT.length, i + SENT_AT.length + 24));
      });
      ws.on('close', (code) => code === 4008 && cutOff++);
      await once(ws, 'open');
      ws.send(JSON.stringify({ type: 'subscribe' }));
      sockets.push(ws);
    }
    await new Promise((r) => setTimeout(r, 500));

    // Produce: every 10 ms, the signals due by then, one pipeline per tick.
    const total = RATE * SECONDS;
    const cpuOf = (pid: number) => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    };
    const cpuAtStart = { server: cpuOf(child.pid!), clients: cpuOf(process.pid) };
    const start = now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - start) / 1000) * RATE));
      if (due > sent) {
        const pipe = redis.pipeline();
        for (; sent < due; sent++) {
          const userKey = `u${sent}`;
          const signal: Signal = {
            v: 1, id: `b${sent}`, kind: 'segment.entered', workspaceId: `ws-${sent % WORKSPACES}`, userKey, segment: 'high-intent', score: 80,
            reasons: [{ rule: 'pricing-page', kind: 'behaviour', points: 30 }, { rule: 'demo-requested', kind: 'behaviour', points: 40 }],
            traits: { title: 'VP Engineering', company: 'Acme', sentAt: now() }, at: new Date().toISOString(),
          };
          pipe.xadd(sk.signals(sk.partitionOf(userKey)), '*', 'sg', JSON.stringify(signal));
        }
        await pipe.exec();
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = (now() - start) / 1000;
    const cpuAtEnd = { server: cpuOf(child.pid!), clients: cpuOf(process.pid) };
    const expected = CLIENTS * total / WORKSPACES;
    const deadline = Date.now() + 10_000;
    while (n < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    const got = delays.subarray(0, n).sort();
    console.log(`feed: ${CLIENTS} clients over ${WORKSPACES} workspace(s), ${total} signals in ${elapsed.toFixed(1)} s (${Math.round(total / elapsed)}/s), ${n}/${expected} deliveries, ${cutOff} cut off as slow`);
    console.log(`CPU during the run: feed server ${(cpuAtEnd.server - cpuAtStart.server).toFixed(1)} s, clients+producer ${(cpuAtEnd.clients - cpuAtStart.clients).toFixed(1)} s (of ${elapsed.toFixed(1)} s)`);
    console.log(`XADD → client receipt: p50 ${pct(got, 0.5).toFixed(1)} ms  p99 ${pct(got, 0.99).toFixed(1)} ms  max ${(got[got.length - 1] ?? NaN).toFixed(1)} ms`);
    for (const ws of sockets) ws.terminate();
  } finally {
    child.kill('SIGTERM');
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  }
}

if (process.argv[2] === 'serve') await serve(process.argv[3]!);
else await main();
