/**
 * Live-feed benchmark (`npm run bench:feed`), on loopback with a throw-away key prefix:
 * a feed server runs in its own process (listen + attachFeed, as the collector will); this process opens
 * CLIENTS feed sockets (spread over WORKSPACES workspaces, each client seeing its workspace's signals),
 * XADDs signals straight to the signals streams at RATE/s for SECONDS, and measures for every delivery
 * the delay from just before the XADD to the message's receipt at the client (p50/p99/max).
 * Then, end to end (`endToEnd`): `warmline collector` (ingest + feed) and `warmline scorer` run as child
 * processes (load-tests/lib/target.ts), CLIENTS feed sockets subscribe (one workspace), and this process posts events
 * (`/v1/batch` every 10 ms, keep-alive) designed so most trigger a signal, aiming at RATE signals/s for
 * SECONDS; for every signal at every client, the delay from the collector's 200 for its triggering event
 * (signal.trigger.messageId) to its receipt (p50/p99/max), the signal rate achieved, and whether every
 * client got every signal.
 *   node --import tsx load-tests/bench-feed.ts [CLIENTS=200] [RATE=1000] [SECONDS=10] [WORKSPACES=1] [STAGES=xadd,e2e]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request, type Server } from 'node:http';
import { once } from 'node:events';
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
import { listen } from '../server/roles/http.ts';
import { killAll } from '../tests/helpers/child.ts';
import { cleanupPrefix, testPrefix } from '../tests/helpers/redis.ts';
import { isMain } from './lib/cli.ts';
import { procCpu, quantile } from './lib/proc.ts';
import { startWarmline, type Target } from './lib/target.ts';

const PARTITIONS = 8;
const now = () => performance.timeOrigin + performance.now();
const pct = quantile;
const SENT_AT = Buffer.from('"sentAt":');
const keyOf = (w: number) => `sk_bench_feed_${w}`;
const cpuOf = (pid: number) => procCpu(pid).seconds;

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

/** Runs this file in `mode` as a child process and resolves with the port it prints. */
async function spawnServer(mode: 'serve', prefix: string): Promise<{ child: ChildProcess; port: number }> {
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
  if (STAGES.includes('e2e')) {
    const target = await startWarmline({ collectors: 1, scorers: 1 }, { WARMLINE_PARTITIONS: String(PARTITIONS) });
    try {
      printEndToEnd(await endToEnd(target, { clients: CLIENTS, rate: RATE, seconds: SECONDS }), CLIENTS);
    } finally {
      await target.stop();
    }
  }
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

/** Users in flight at once: a user's four events are this many events apart. */
const INTERLEAVE = 50;
const TRIGGER = Buffer.from('"messageId":"');

/**
 * Event `j` of a run tagged `tag` (`w` warm-up, `e` measured) in run `run`: users come in groups of
 * INTERLEAVE, each viewing /pricing three times and then requesting a demo (thresholds warm and hot,
 * segments entered on the way). The run id keeps users and messageIds new on a reused target.
 */
function funnelEvent(tag: 'w' | 'e', run: string, j: number): Record<string, unknown> {
  const group = Math.floor(j / (4 * INTERLEAVE));
  const within = j % (4 * INTERLEAVE);
  const userId = `${tag}${run}-u${group * INTERLEAVE + (within % INTERLEAVE)}`;
  const step = Math.floor(within / INTERLEAVE);
  const messageId = `${tag}${run}-${j}`;
  const timestamp = new Date().toISOString();
  return step < 3
    ? { type: 'page', name: 'Pricing', userId, messageId, timestamp, properties: { path: '/pricing', title: 'Pricing' } }
    : { type: 'track', event: 'Demo Requested', userId, messageId, timestamp, properties: { source: 'pricing' } };
}

/** Background users: each views a blog post now and then, which scores (decay, counters) but signals nothing once they are warm. */
const BACKGROUND_USERS = 2_000;

/** Background event `j` of run `run`: a page view by one of BACKGROUND_USERS already-seen users. */
function backgroundEvent(run: string, j: number): Record<string, unknown> {
  const userId = `b${run}-u${j % BACKGROUND_USERS}`;
  return { type: 'page', name: 'Blog', userId, messageId: `b${run}-${j}`, timestamp: new Date().toISOString(), properties: { path: '/blog/post', title: 'Blog' } };
}

/** Parent → clients process. */
type ToClients = { type: 'ok'; ids: string[]; at: number } | { type: 'counts' } | { type: 'reset' } | { type: 'measure' } | { type: 'report' };
interface ClientsReport { type: 'report'; n: number; p50: number; p99: number; max: number; counts: number[]; early: number; negative: number; cutOff: number }

/**
 * Child mode: CLIENTS feed sockets on `port`, in a process of their own so the poster reads its 200s
 * on time. The parent sends each batch's 200 time; a signal is matched to its trigger's 200 on receipt
 * (or at the report, when it beat the parent's message).
 */
async function serveClients(url: string, CLIENTS: number, secretKey: string): Promise<void> {
  const send = (m: unknown) => process.send!(m);
  const okAt = new Map<string, number>();
  const delays: number[] = [];
  const early: [string, number][] = [];
  const counts = new Array<number>(CLIENTS).fill(0);
  let cutOff = 0;
  let measuring = false;
  const sockets: WebSocket[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/feed`, { headers: { authorization: `Bearer ${secretKey}` } });
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
    else if (m.type === 'reset') counts.fill(0);
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

/** What one end-to-end run measured (see `endToEnd`). */
export interface EndToEndResult {
  clients: number;
  /** Every event posted in the window: funnel events and background events. */
  eventsPosted: number;
  /** Of those, background events (score, never signal). */
  backgroundPosted: number;
  seconds: number;
  failedPosts: number;
  signalsPerEvent: number;
  /** Signals written to the signals streams during the measured window. */
  signals: number;
  /** Signal frames measured at clients, and those expected (signals x clients). */
  deliveries: number;
  /** Frames some client never got: expected minus received, summed over clients. */
  lost: number;
  completeClients: number;
  cutOff: number;
  early: number;
  negative: number;
  drainedSeconds: number;
  /** CPU seconds during the window, per process. */
  cpu: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
}

/**
 * End to end on `target` (collector with the feed, scorer): CLIENTS feed sockets in a process of their
 * own subscribe, this process posts funnel events (`/v1/batch` every 10 ms, keep-alive) aiming at RATE
 * signals/s for SECONDS; for every signal at every client, the delay from the collector's 200 for its
 * triggering event to the frame's receipt, and whether every client got every signal.
 */
export async function endToEnd(target: Target, o: { clients: number; rate: number; seconds: number; eventsRate?: number }): Promise<EndToEndResult> {
  const { redis } = target;
  const sk = scorerKeys(target.logKeys);
  const run = Date.now().toString(36);
  const children: ChildProcess[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const signalsWritten = async () => {
    const pipe = redis.pipeline();
    for (let p = 0; p < target.logKeys.partitions; p++) pipe.xlen(sk.signals(p));
    return ((await pipe.exec()) ?? []).reduce((sum, [, n]) => sum + Number(n), 0);
  };
  const collector = new URL(target.url);
  try {
    const clients = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, 'serve-clients', target.url, String(o.clients), target.secretKey], {
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

    const authorization = `Basic ${Buffer.from(`${target.writeKey}:`).toString('base64')}`;
    let failedPosts = 0;
    const post = (batch: Record<string, unknown>[]) =>
      new Promise<void>((resolve) => {
        const body = JSON.stringify({ batch });
        const req = request(
          { host: collector.hostname, port: collector.port, path: '/v1/batch', method: 'POST', agent, headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
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

    // Background users are seen once first (their entry into activity segments signals); once every
    // client has those signals, the clients' counts start again from zero.
    if (o.eventsRate !== undefined) {
      const base = await signalsWritten();
      for (let j = 0; j < BACKGROUND_USERS; j += 100) await post(Array.from({ length: Math.min(100, BACKGROUND_USERS - j) }, (_, k) => backgroundEvent(run, j + k)));
      const deadline = Date.now() + 60_000;
      for (let last = -1; ; ) {
        if (Date.now() > deadline) throw new Error('the background users’ first signals did not settle within 60 s (is a scorer running?)');
        await new Promise((r) => setTimeout(r, 500));
        const written = (await signalsWritten()) - base;
        if (written > 0 && written === last && (await counts()).every((x) => x === written)) break;
        last = written;
      }
      toClients({ type: 'reset' });
    }

    // Warm-up (scorer start-up, JIT) and calibration: signals per event of this funnel.
    const signalsBefore = await signalsWritten();
    const WARM = 8 * INTERLEAVE;
    const warmDeadline = Date.now() + 60_000;
    for (let j = 0; j < WARM; j += 100) await post(Array.from({ length: Math.min(100, WARM - j) }, (_, k) => funnelEvent('w', run, j + k)));
    let warmSignals = -1;
    for (;;) {
      if (Date.now() > warmDeadline) throw new Error('no signals within 60 s of warm-up (is a scorer running?)');
      await new Promise((r) => setTimeout(r, 500));
      const written = (await signalsWritten()) - signalsBefore;
      if (written > 0 && written === warmSignals && (await counts()).every((x) => x === written)) break;
      warmSignals = written;
    }
    const perEvent = warmSignals / WARM;
    const EVENT_RATE = o.rate / perEvent;
    // Background events fill up to the asked total rate: most real events signal nothing.
    const BACKGROUND_RATE = Math.max(0, (o.eventsRate ?? 0) - EVENT_RATE);
    toClients({ type: 'measure' });

    // Measured window: every 10 ms, one batch of the events due by then (not awaited: keep-alive sockets).
    const total = Math.round(EVENT_RATE * o.seconds);
    const backgroundTotal = Math.round(BACKGROUND_RATE * o.seconds);
    const pids: Record<string, number> = { ...Object.fromEntries(target.processes.map((p) => [p.name, p.pid])), clients: clients.pid!, poster: process.pid };
    const cpuAtStart = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
    const inflight = new Set<Promise<void>>();
    const start = now();
    let sent = 0;
    let background = 0;
    while (sent < total || background < backgroundTotal) {
      const since = (now() - start) / 1000;
      const due = Math.min(total, Math.floor(since * EVENT_RATE));
      const backgroundDue = Math.min(backgroundTotal, Math.floor(since * BACKGROUND_RATE));
      if (due > sent || backgroundDue > background) {
        const batch: Record<string, unknown>[] = [];
        for (; sent < due; sent++) batch.push(funnelEvent('e', run, sent));
        for (; background < backgroundDue; background++) batch.push(backgroundEvent(run, BACKGROUND_USERS + background));
        const p = post(batch).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inflight);
    const elapsed = (now() - start) / 1000;
    const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid) - cpuAtStart[k]!]));

    // Drain: until every client holds every signal written since the warm-up and no more are coming.
    const deadline = Date.now() + 10_000;
    let expected = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const written = (await signalsWritten()) - signalsBefore - warmSignals;
      const settled = written === expected && (await counts()).every((x) => x === written);
      expected = written;
      if (settled || Date.now() > deadline) break;
    }
    const drainedIn = (now() - start) / 1000 - elapsed;
    toClients({ type: 'report' });
    const r = await fromClients<ClientsReport>('report');
    return {
      clients: o.clients,
      eventsPosted: total + backgroundTotal,
      backgroundPosted: backgroundTotal,
      seconds: elapsed,
      failedPosts,
      signalsPerEvent: perEvent,
      signals: expected,
      deliveries: r.n,
      lost: r.counts.reduce((sum, x) => sum + Math.max(0, expected - x), 0),
      completeClients: r.counts.filter((x) => x === expected).length,
      cutOff: r.cutOff,
      early: r.early,
      negative: r.negative,
      drainedSeconds: drainedIn,
      cpu,
      p50: r.p50,
      p99: r.p99,
      max: r.max,
    };
  } finally {
    agent.destroy();
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill('SIGTERM');
    await Promise.race([Promise.all(running.map((c) => once(c, 'exit'))), new Promise((r) => setTimeout(r, 3_000))]);
    killAll(children);
  }
}

/** The end-to-end stage's lines, as `npm run bench:feed` prints them. */
export function printEndToEnd(r: EndToEndResult, clients: number): void {
  const fmt = (x: number) => x.toFixed(1);
  console.log(
    `e2e: ${clients} clients; ${Object.keys(r.cpu).join(', ')} in separate processes; ${r.eventsPosted} events posted in ${fmt(r.seconds)} s ` +
      `(${Math.round(r.eventsPosted / r.seconds)}/s, ${r.backgroundPosted} of them background; one /v1/batch every 10 ms, ${r.failedPosts} failed), ` +
      `${r.signalsPerEvent.toFixed(2)} signals per funnel event in warm-up`,
  );
  console.log(
    `  ${r.signals} signals written (${Math.round(r.signals / r.seconds)}/s achieved); ${r.deliveries} deliveries measured of ${r.signals * clients} expected; ` +
      `${r.completeClients}/${clients} clients got every signal (${r.lost} frames lost), ${r.cutOff} cut off as slow; ` +
      `${r.early} arrived before the clients process had heard of their 200 (${r.negative} before the 200 itself); drained ${fmt(r.drainedSeconds)} s after the last 200`,
  );
  console.log(`  CPU during the run: ${Object.entries(r.cpu).map(([k, s]) => `${k} ${fmt(s)} s`).join(', ')} (of ${fmt(r.seconds)} s, ${cpus().length} cores)`);
  console.log(`  collector 200 → signal at client: p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  max ${fmt(r.max)} ms`);
}

if (process.argv[2] === 'serve') await serve(process.argv[3]!);
else if (process.argv[2] === 'serve-clients') await serveClients(process.argv[3]!, Number(process.argv[4]), process.argv[5]!);
else if (isMain(import.meta.url)) await main();
