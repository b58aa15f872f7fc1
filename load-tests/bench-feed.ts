/**
 * Live-feed benchmark (`npm run bench:feed`), on loopback with a throw-away key prefix:
 * a feed server runs in its own process (listen + attachFeed, as the collector will); this process opens
 * CLIENTS feed sockets (spread over WORKSPACES workspaces, each client seeing its workspace's signals),
 * XADDs signals straight to the signals streams at RATE/s for SECONDS, and measures for every delivery
 * the delay from just before the XADD to the message's receipt at the client (p50/p99/max).
 * Then, end to end: a collector (`startCollector`: ingest + feed) runs in its own process, a `warmline scorer`
 * child scores its log, CLIENTS feed sockets subscribe (one workspace), and this process posts events
 * (`/v1/batch` every 10 ms, keep-alive) designed so most trigger a signal, aiming at RATE signals/s for
 * SECONDS; for every signal at every client, the delay from the collector's 200 for its triggering event
 * (signal.trigger.messageId) to its receipt (p50/p99/max), the signal rate achieved, and whether every
 * client got every signal.
 *   node --import tsx load-tests/bench-feed.ts [CLIENTS=200] [RATE=1000] [SECONDS=10] [WORKSPACES=1] [STAGES=xadd,e2e]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request, type Server } from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
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
import { Metrics } from '../server/metrics.ts';
import { startCollector } from '../server/roles/collector.role.ts';
import { listen } from '../server/roles/http.ts';
import { killAll, startRole } from '../tests/helpers/child.ts';
import { cleanupPrefix, testPrefix } from '../tests/helpers/redis.ts';

const PARTITIONS = 8;
const now = () => performance.timeOrigin + performance.now();
const pct = (xs: Float64Array, q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const SENT_AT = Buffer.from('"sentAt":');
const keyOf = (w: number) => `sk_bench_feed_${w}`;
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

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

/** Child mode: run the collector role (ingest + live feed) for `prefix` on a free loopback port and print it. */
async function serveCollector(prefix: string): Promise<void> {
  const config = loadConfig({
    WARMLINE_REDIS_PREFIX: prefix, WARMLINE_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'silent',
    HOST: '127.0.0.1', PORT: '0', WARMLINE_RATE_LIMIT_EPS: '0',
  });
  const role = await startCollector(config, createLogger('warn'), new Metrics());
  process.stdout.write(`PORT ${role.http.port}\n`);
  process.on('SIGTERM', () => {
    void (async () => {
      for (const step of role.steps) {
        try {
          await step.run();
        } catch {
          // best effort
        }
      }
      process.exit(0);
    })();
  });
}

/** Runs this file in `mode` as a child process and resolves with the port it prints. */
async function spawnServer(mode: string, prefix: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, mode, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { child, port };
}

async function main(): Promise<void> {
  const CLIENTS = Number(process.argv[2] ?? 200);
  const RATE = Number(process.argv[3] ?? 1_000);
  const SECONDS = Number(process.argv[4] ?? 10);
  const WORKSPACES = Number(process.argv[5] ?? 1);
  const STAGES = (process.argv[6] ?? 'xadd,e2e').split(',');
  if (STAGES.includes('xadd')) await xaddStage(CLIENTS, RATE, SECONDS, WORKSPACES);
  if (STAGES.includes('e2e')) await endToEndStage(CLIENTS, RATE, SECONDS);
}

/** Stage 1: signals XADDed straight to the signals streams, feed server alone in its process. */
async function xaddStage(CLIENTS: number, RATE: number, SECONDS: number, WORKSPACES: number): Promise<void> {
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
  const { child, port } = await spawnServer('serve', prefix);
  try {

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

const E2E_WORKSPACE = 'ws-e2e';
const E2E_SECRET = 'sk_bench_feed_e2e';
const E2E_WRITE = 'wk_bench_feed_e2e';
/** Users in flight at once: a user's four events are this many events apart. */
const INTERLEAVE = 50;
const TRIGGER = Buffer.from('"messageId":"');

/**
 * Event `j` of a run tagged `tag`: users come in groups of INTERLEAVE, each viewing /pricing three
 * times and then requesting a demo (thresholds warm and hot, segments entered on the way).
 */
function funnelEvent(tag: string, j: number): Record<string, unknown> {
  const group = Math.floor(j / (4 * INTERLEAVE));
  const within = j % (4 * INTERLEAVE);
  const userId = `${tag}-u${group * INTERLEAVE + (within % INTERLEAVE)}`;
  const step = Math.floor(within / INTERLEAVE);
  const messageId = `${tag}${j}`;
  const timestamp = new Date().toISOString();
  return step < 3
    ? { type: 'page', name: 'Pricing', userId, messageId, timestamp, properties: { path: '/pricing', title: 'Pricing' } }
    : { type: 'track', event: 'Demo Requested', userId, messageId, timestamp, properties: { source: 'pricing' } };
}

/** Parent → clients process. */
type ToClients = { type: 'ok'; ids: string[]; at: number } | { type: 'counts' } | { type: 'measure' } | { type: 'report' };
interface ClientsReport { type: 'report'; n: number; p50: number; p99: number; max: number; counts: number[]; early: number; negative: number; cutOff: number }

/**
 * Child mode: CLIENTS feed sockets on `port`, in a process of their own so the poster reads its 200s
 * on time. The parent sends each batch's 200 time; a signal is matched to its trigger's 200 on receipt
 * (or at the report, when it beat the parent's message).
 */
async function serveClients(port: number, CLIENTS: number): Promise<void> {
  const send = (m: unknown) => process.send!(m);
  const okAt = new Map<string, number>();
  const delays: number[] = [];
  const early: [string, number][] = [];
  const counts = new Array<number>(CLIENTS).fill(0);
  let cutOff = 0;
  let measuring = false;
  const sockets: WebSocket[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/feed`, { headers: { authorization: `Bearer ${E2E_SECRET}` } });
    let subscribed!: () => void;
    const ready = new Promise<void>((r) => (subscribed = r));
    ws.on('message', (data: Buffer) => {
      const at = now();
      // Read the trigger's messageId without parsing: the clients share the box's two cores with everything else.
      if (data.indexOf('"type":"signal"') < 0) {
        if (data.indexOf('"type":"subscribed"') >= 0) subscribed();
        return;
      }
      counts[c]!++;
      const i = data.indexOf(TRIGGER);
      if (!measuring || i < 0 || data[i + TRIGGER.length] !== 0x65 /* 'e': a measured event */) return;
      const from = i + TRIGGER.length;
      const id = data.toString('latin1', from, data.indexOf(0x22, from));
      const ok = okAt.get(id);
      if (ok === undefined) early.push([id, at]);
      else delays.push(at - ok);
    });
    ws.on('close', (code) => code === 4008 && cutOff++);
    await once(ws, 'open');
    ws.send(JSON.stringify({ type: 'subscribe' }));
    await ready;
    sockets.push(ws);
  }
  process.on('message', (m: ToClients) => {
    if (m.type === 'ok') for (const id of m.ids) okAt.set(id, m.at);
    else if (m.type === 'counts') send({ type: 'counts', counts });
    else if (m.type === 'measure') {
      counts.fill(0);
      measuring = true;
    } else {
      let negative = 0;
      for (const [id, at] of early) {
        const ok = okAt.get(id);
        if (ok === undefined) continue;
        delays.push(at - ok);
        if (at < ok) negative++;
      }
      const got = Float64Array.from(delays).sort();
      const report: ClientsReport = { type: 'report', n: got.length, p50: pct(got, 0.5), p99: pct(got, 0.99), max: got[got.length - 1] ?? NaN, counts, early: early.length, negative, cutOff };
      for (const ws of sockets) ws.terminate();
      process.send!(report, undefined, undefined, () => process.exit(0));
    }
  });
  send({ type: 'ready' });
}

/**
 * Stage 2, end to end: collector (ingest + feed), scorer and the CLIENTS feed sockets each in a process
 * of their own; this one posts the events. Delay = receipt at a client − the collector's 200 for the trigger.
 */
async function endToEndStage(CLIENTS: number, RATE: number, SECONDS: number): Promise<void> {
  const prefix = testPrefix();
  const config = loadConfig({ WARMLINE_REDIS_PREFIX: prefix, WARMLINE_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'silent' });
  const redis = createRedis(config.REDIS_URL, { name: 'bench-feed-e2e' });
  await waitReady(redis);
  const sk = scorerKeys(logKeys(prefix, PARTITIONS));
  const store = new KeyStore(redis, prefix);
  await store.ensureWorkspace(E2E_WORKSPACE, 'bench e2e');
  await store.addKey(E2E_WORKSPACE, 'secret', E2E_SECRET);
  await store.addKey(E2E_WORKSPACE, 'write', E2E_WRITE);
  const children: ChildProcess[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const signalsWritten = async () => {
    const pipe = redis.pipeline();
    for (let p = 0; p < PARTITIONS; p++) pipe.xlen(sk.signals(p));
    return ((await pipe.exec()) ?? []).reduce((sum, [, n]) => sum + Number(n), 0);
  };
  try {
    const collector = await spawnServer('serve-collector', prefix);
    children.push(collector.child);
    const scorer = startRole('scorer', { WARMLINE_REDIS_PREFIX: prefix, WARMLINE_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'warn' }, children);
    const clients = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, 'serve-clients', String(collector.port), String(CLIENTS)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(clients);
    const fromClients = <T>(type: string) =>
      new Promise<T>((resolve, reject) => {
        const on = (m: { type: string }) => {
          if (m.type !== type) return;
          clients.off('message', on);
          resolve(m as T);
        };
        clients.on('message', on);
        clients.once('exit', (code) => reject(new Error(`the clients process exited with ${code}`)));
      });
    const toClients = (m: ToClients) => clients.send(m);
    await fromClients('ready');
    const counts = async () => (await (toClients({ type: 'counts' }), fromClients<{ counts: number[] }>('counts'))).counts;

    const authorization = `Basic ${Buffer.from(`${E2E_WRITE}:`).toString('base64')}`;
    let failedPosts = 0;
    const post = (batch: Record<string, unknown>[]) =>
      new Promise<void>((resolve) => {
        const body = JSON.stringify({ batch });
        const req = request(
          { host: '127.0.0.1', port: collector.port, path: '/v1/batch', method: 'POST', agent, headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            const at = now();
            if (res.statusCode === 200) toClients({ type: 'ok', ids: batch.map((e) => e.messageId as string), at });
            else failedPosts++;
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', () => {
          failedPosts++;
          resolve();
        });
        req.end(body);
      });

    // Warm-up (scorer start-up, JIT) and calibration: signals per event of this funnel.
    const WARM = 8 * INTERLEAVE;
    const warmDeadline = Date.now() + 60_000;
    for (let j = 0; j < WARM; j += 100) await post(Array.from({ length: Math.min(100, WARM - j) }, (_, k) => funnelEvent('w', j + k)));
    let warmSignals = -1;
    for (;;) {
      if (scorer.child.exitCode !== null) throw new Error(`the scorer exited early:\n${scorer.output()}`);
      if (Date.now() > warmDeadline) throw new Error(`no signals within 60 s of warm-up:\n${scorer.output()}`);
      await new Promise((r) => setTimeout(r, 500));
      const written = await signalsWritten();
      if (written > 0 && written === warmSignals && (await counts()).every((x) => x === written)) break;
      warmSignals = written;
    }
    const perEvent = warmSignals / WARM;
    const EVENT_RATE = RATE / perEvent;
    toClients({ type: 'measure' });

    // Measured window: every 10 ms, one batch of the events due by then (not awaited: keep-alive sockets).
    const total = Math.round(EVENT_RATE * SECONDS);
    const pids = { collector: collector.child.pid!, scorer: scorer.child.pid!, clients: clients.pid!, poster: process.pid };
    const cpuAtStart = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
    const inflight = new Set<Promise<void>>();
    const start = now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - start) / 1000) * EVENT_RATE));
      if (due > sent) {
        const batch: Record<string, unknown>[] = [];
        for (; sent < due; sent++) batch.push(funnelEvent('e', sent));
        const p = post(batch).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inflight);
    const elapsed = (now() - start) / 1000;
    const cpu = Object.entries(pids).map(([k, pid]) => `${k} ${(cpuOf(pid) - cpuAtStart[k]!).toFixed(1)} s`).join(', ');

    // Drain: until every client holds every signal written since the warm-up and no more are coming.
    const deadline = Date.now() + 10_000;
    let expected = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const written = (await signalsWritten()) - warmSignals;
      const settled = written === expected && (await counts()).every((x) => x === written);
      expected = written;
      if (settled || Date.now() > deadline) break;
    }
    const drainedIn = (now() - start) / 1000 - elapsed;
    toClients({ type: 'report' });
    const r = await fromClients<ClientsReport>('report');

    const complete = r.counts.filter((x) => x === expected).length;
    const fmt = (x: number) => x.toFixed(1);
    console.log(
      `e2e: ${CLIENTS} clients; collector (ingest + feed), scorer, clients and poster in separate processes; ${total} events posted in ${fmt(elapsed)} s ` +
        `(${Math.round(total / elapsed)}/s, one /v1/batch every 10 ms, ${failedPosts} failed), ${perEvent.toFixed(2)} signals/event in warm-up`,
    );
    console.log(
      `  ${expected} signals written (${Math.round(expected / elapsed)}/s achieved, target ${RATE}/s); ${r.n} deliveries measured of ${expected * CLIENTS} expected; ` +
        `${complete}/${CLIENTS} clients got every signal (min ${Math.min(...r.counts)}, max ${Math.max(...r.counts)}), ${r.cutOff} cut off as slow; ` +
        `${r.early} arrived before the clients process had heard of their 200 (${r.negative} before the 200 itself); drained ${fmt(drainedIn)} s after the last 200`,
    );
    console.log(`  CPU during the run: ${cpu} (of ${fmt(elapsed)} s, ${cpus().length} cores)`);
    console.log(`  collector 200 → signal at client: p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  max ${fmt(r.max)} ms`);
  } finally {
    agent.destroy();
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill('SIGTERM');
    await Promise.race([Promise.all(running.map((c) => once(c, 'exit'))), new Promise((r) => setTimeout(r, 3_000))]);
    killAll(children);
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  }
}

if (process.argv[2] === 'serve') await serve(process.argv[3]!);
else if (process.argv[2] === 'serve-collector') await serveCollector(process.argv[3]!);
else if (process.argv[2] === 'serve-clients') await serveClients(Number(process.argv[3]), Number(process.argv[4]));
else await main();
