/**
 * Webhook delivery benchmark, on loopback with a throw-away key prefix: SIGNALS signals are written
 * to the signals streams, ENDPOINTS endpoints (all matching) point at one local receiver (a separate
 * `node:http` process answering 204), and an in-process notifier fans out and delivers them, signed,
 * CONCURRENCY requests in flight per endpoint. Prints signed deliveries/s (bounded by SECONDS) and
 * deliveries per notifier CPU-second.
 *   node --import tsx load-tests/bench-webhooks.ts [SIGNALS=5000] [ENDPOINTS=4] [CONCURRENCY=32] [SECONDS=30]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Signal } from '../schema/signal.ts';
import { logKeys, partitionOf } from '../server/log/keys.ts';
import { createLogger } from '../server/logger.ts';
import { createRedis, waitReady } from '../server/redis.ts';
import { EndpointStore } from '../server/webhooks/endpoints.store.ts';
import { webhookKeys } from '../server/webhooks/keys.ts';
import { createNotifier } from '../server/webhooks/notifier.ts';
import { scorerKeys } from '../scoring/runtime/keys.ts';
import { cleanupPrefix, testPrefix } from '../tests/helpers/redis.ts';

const SIGNALS = Number(process.argv[2] ?? 5_000);
const ENDPOINTS = Number(process.argv[3] ?? 4);
const CONCURRENCY = Number(process.argv[4] ?? 32);
const SECONDS = Number(process.argv[5] ?? 30);
const PARTITIONS = 8;

const RECEIVER = `
const http = require('node:http');
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(204); res.end(); }); });
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));`;

async function main(): Promise<void> {
  const prefix = testPrefix();
  const redis = createRedis('redis://127.0.0.1:6379', { name: 'bench-webhooks' });
  const blocking = createRedis('redis://127.0.0.1:6379', { name: 'bench-webhooks-read', blocking: true });
  await Promise.all([waitReady(redis), waitReady(blocking)]);
  const receiver = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [chunk] = (await once(receiver.stdout, 'data')) as [Buffer];
    const url = `http://127.0.0.1:${chunk.toString().trim()}/hook`;
    const keys = logKeys(prefix, PARTITIONS);
    const store = new EndpointStore(redis, webhookKeys(prefix));
    for (let i = 0; i < ENDPOINTS; i++) await store.create('ws-bench', { url, filters: {}, enabled: true, orderedPerUser: false }, new Date(Date.now() - 1_000));

    const sk = scorerKeys(keys);
    for (let from = 0; from < SIGNALS; from += 1_000) {
      const pipe = redis.pipeline();
      for (let i = from; i < Math.min(SIGNALS, from + 1_000); i++) {
        const userKey = `u${i % 2_000}`;
        const s: Signal = {
          v: 1, id: randomUUID(), kind: 'segment.entered', workspaceId: 'ws-bench', userKey, segment: 'hot', score: 40 + (i % 30),
          reasons: [{ rule: 'pricing-page', kind: 'behaviour', points: 25 }, { rule: 'demo', kind: 'behaviour', points: 15 }],
          traits: { email: `${userKey}@acme.test`, plan: 'trial', company: 'Acme' },
          trigger: { messageId: randomUUID(), type: 'page', name: 'Pricing', timestamp: new Date().toISOString() },
          at: new Date().toISOString(),
        };
        pipe.xadd(sk.signals(partitionOf(userKey, PARTITIONS)), '*', 'sg', JSON.stringify(s));
      }
      await pipe.exec();
    }

    const target = SIGNALS * ENDPOINTS;
    let delivered = 0;
    let failed = 0;
    const latencies: number[] = [];
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const notifier = createNotifier({
      redis, blocking, keys, log: createLogger('warn'),
      retrySchedule: [1_000, 5_000], timeoutMs: 10_000, concurrency: CONCURRENCY,
      disableAfterFailures: 1_000_000, disableAfterMs: 86_400_000, retentionMs: 3_600_000, leaseTtlMs: 5_000,
      observer: {
        attempt: (_e, outcome, _s, ms) => {
          if (outcome === 'delivered') delivered++;
          else failed++;
          latencies.push(ms);
          if (delivered >= target) done();
        },
        disabled: () => undefined,
      },
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await notifier.start();
    const timer = setTimeout(done, SECONDS * 1_000);
    await finished;
    clearTimeout(timer);
    const seconds = (performance.now() - t0) / 1_000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    await notifier.stop();
    latencies.sort((a, b) => a - b);
    const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    process.stdout.write(
      [
        `webhooks: ${SIGNALS} signals × ${ENDPOINTS} endpoints, concurrency ${CONCURRENCY}/endpoint, ${PARTITIONS} partitions`,
        `  delivered ${delivered}/${target} (${failed} failed attempts) in ${seconds.toFixed(2)} s${delivered < target ? ` (stopped at the ${SECONDS} s bound)` : ''}`,
        `  ${Math.round(delivered / seconds)} deliveries/s (signed, fan-out included), ${Math.round(delivered / cpuSeconds)} per notifier CPU-s`,
        `  attempt latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`,
      ].join('\n') + '\n',
    );
  } finally {
    receiver.kill();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    blocking.disconnect();
  }
}

await main();
