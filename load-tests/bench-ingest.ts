/**
 * `npm run bench:ingest`: how close the collector gets to the machine's ceiling, per core.
 *
 * Stages, side by side in one run, on loopback only, each bounded in time, per payload scenario
 * (`browser`: one analytics-next visitor per batch; `server`: a server SDK's mixed users — see payloads.ts):
 * 1. ceiling   — a bare `node:http` server that reads the body, `JSON.parse`s it and answers 200;
 * 2. collector — `startCollector` with full validation, dedupe and durable append to Redis;
 * 3. overload  — (first scenario only) the same collector offered ~2x the rate it just sustained,
 *    open loop: its peak RSS and status mix (429s expected, no other errors).
 * Each server is a child process pinned to core 0 (`taskset -c 0`); this process, the load generator
 * (autocannon), pins itself to core 1. Redis is shared (it may run on core 0 too), so every stage
 * reports the CPU the server process really used (from /proc) and events per CPU-second: compare
 * those ratios, not events/s, when the machine is not quiet.
 *
 * `--profile` runs only the collector stage under `--cpu-prof` and prints its top self-time functions.
 *
 * @example node --import tsx load-tests/bench-ingest.ts --seconds 12 --connections 32 --scenario both
 * @example node --import tsx load-tests/bench-ingest.ts --profile --scenario server
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { loadConfig, type Config } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { Metrics } from '../server/metrics.ts';
import { createRedis, waitReady } from '../server/redis.ts';
import { startCollector } from '../server/roles/collector.role.ts';
import { gracefulShutdown } from '../server/shutdown.ts';
import { KeyStore, generateKey } from '../server/keys/workspaces.ts';
import { cleanupPrefix } from '../tests/helpers/redis.ts';
import { isMain } from './lib/cli.ts';
import { procCpu, rssMb } from './lib/proc.ts';
import { BodyPool, SCENARIOS, type RequestSource, type Scenario } from './payloads.ts';

const SELF = fileURLToPath(import.meta.url);
const SERVER_CORE = '0';
const LOADGEN_CORE = '1';
/** The collector runs with the flags `npm start` gives it (a larger young generation: less GC). */
const COLLECTOR_FLAGS = ['--max-semi-space-size=64'];
/** Sockets the overload stage spreads its open-loop requests over: more than the collector admits at once. */
export const OVERLOAD_SOCKETS = 512;

// ---------------------------------------------------------------- server children

/** A child's entry point: `serve bare` or `serve collector`; reports its port over IPC. */
async function serve(kind: string | undefined): Promise<void> {
  const ready = (port: number) => process.send?.({ port });
  if (kind === 'bare') {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
      });
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
    const stop = () => server.close(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('disconnect', stop);
    return;
  }
  if (kind === 'collector') {
    const config = loadConfig();
    const log = createLogger(config.LOG_LEVEL);
    const role = await startCollector(config, log, new Metrics());
    const shutdown = gracefulShutdown(log, role.steps, 5_000);
    // Exit normally (not by signal) so `--cpu-prof` gets to write its profile.
    const stop = () => void shutdown('bench done').finally(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('disconnect', stop);
    ready(role.http.port);
    return;
  }
  throw new Error(`unknown server kind "${kind}"`);
}

/** A server child of this bench: its process, pid and loopback port. */
export interface Child {
  proc: ChildProcess;
  pid: number;
  port: number;
}

const children = new Set<ChildProcess>();

/**
 * Starts a server child (`bare`: node:http + JSON.parse, the ceiling; `collector`: the real collector),
 * pinned to the server core unless `pin` is false; resolves with its port once it listens.
 */
export function startChild(kind: 'bare' | 'collector', env: Record<string, string>, nodeFlags: string[] = [], pin = true): Promise<Child> {
  const args = [...nodeFlags, '--import', 'tsx', SELF, 'serve', kind];
  const options = { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] } satisfies SpawnOptions;
  const proc = pin ? spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...args], options) : spawn(process.execPath, args, options);
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} server did not start within 30 s`)), 30_000);
    proc.once('message', (m: { port: number }) => {
      clearTimeout(timer);
      // taskset execs node in place, so the pid is the server's own.
      resolve({ proc, pid: proc.pid as number, port: m.port });
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited with ${code} before listening`));
    });
  });
}

/** SIGTERM, then SIGKILL after 10 s; only ever a child this process started. */
export async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------- /proc sampling

/** Samples a server child's RSS and Redis's core every 100 ms during a stage. */
function sampler(serverPid: number | undefined, redisPid: number | undefined) {
  let maxRss = 0;
  const cores = new Map<number, number>();
  const tick = () => {
    try {
      if (serverPid) maxRss = Math.max(maxRss, rssMb(serverPid));
      if (redisPid) {
        const { core } = procCpu(redisPid);
        cores.set(core, (cores.get(core) ?? 0) + 1);
      }
    } catch {
      /* the process is gone: keep what was sampled */
    }
  };
  tick();
  const timer = setInterval(tick, 100);
  return {
    stop: () => {
      clearInterval(timer);
      const total = [...cores.values()].reduce((a, b) => a + b, 0);
      const where = [...cores.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `cpu${c} ${Math.round((100 * n) / total)}%`);
      return { maxRss, redisCores: where.join(' / ') };
    },
  };
}

// ---------------------------------------------------------------- load

/** One measured stage: answers, latency, and what the server, Redis and the load generator used. */
export interface StageResult {
  stage: string;
  connections: number;
  seconds: number;
  ok: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  p50: number;
  p99: number;
  serverCpu: number;
  loadgenCpu: number;
  redisCpu: number | undefined;
  redisCores: string;
  maxRssMb: number;
  startRssMb: number;
  /** Open loop only: requests/s started, whatever the answers. */
  offered?: number;
  /** Open loop only: 429/503 answers without a Retry-After header. */
  noRetryAfter?: number;
}

export interface LoadOptions {
  stage: string;
  /** Where to send; `pid` (a process on this machine) for its CPU and RSS. */
  server: { port: number; pid?: number };
  redisPid: number | undefined;
  pool: RequestSource;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** Offer `rate` requests/s whatever the answers (open loop) over at most `sockets` connections. */
  openLoop?: { rate: number; sockets: number };
}

type Measured = Pick<StageResult, 'seconds' | 'ok' | 'statuses' | 'errors' | 'timeouts' | 'p50' | 'p99' | 'offered' | 'noRetryAfter'>;

function fromAutocannon(r: autocannon.Result): Measured {
  const statuses = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count ?? 0]));
  return { seconds: r.duration, ok: statuses['200'] ?? 0, statuses, errors: r.errors, timeouts: r.timeouts, p50: r.latency.p50, p99: r.latency.p99 };
}

/**
 * An open-loop generator: starts `rate` requests/s on a schedule, however slowly the server answers,
 * so an overloaded server really is offered that rate (a closed loop would slow down with it).
 * Latency counts from the scheduled start, so time queued for a free socket is included.
 */
export async function openLoop(port: number, pool: RequestSource, rate: number, sockets: number, seconds: number): Promise<Measured> {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let errors = 0;
  let noRetryAfter = 0;
  let outstanding = 0;
  let drained: () => void = () => undefined;
  const send = () => {
    const { path, body } = pool.nextRequest();
    const started = performance.now();
    outstanding++;
    const done = () => {
      if (--outstanding === 0) drained();
    };
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path, agent, headers: { 'content-type': 'text/plain', 'content-length': body.length } },
      (res) => {
        if ((res.statusCode === 429 || res.statusCode === 503) && !res.headers['retry-after']) noRetryAfter++;
        res.resume();
        res.once('end', () => {
          const s = String(res.statusCode);
          statuses[s] = (statuses[s] ?? 0) + 1;
          latencies.push(performance.now() - started);
          done();
        });
      },
    );
    req.once('error', () => {
      errors++;
      done();
    });
    req.end(body);
  };
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - t0) / 1000;
      if (elapsed >= seconds) {
        clearInterval(timer);
        resolve();
        return;
      }
      for (const due = Math.floor(elapsed * rate); sent < due; sent++) send();
    }, 5);
  });
  // Let what was sent finish (bounded): their answers belong to the stage.
  if (outstanding > 0) await Promise.race([new Promise<void>((r) => (drained = r)), new Promise((r) => setTimeout(r, 30_000))]);
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { seconds: elapsed, ok: statuses['200'] ?? 0, statuses, errors, timeouts: outstanding, p50: at(0.5), p99: at(0.99), offered: sent / seconds, noRetryAfter };
}

/**
 * Drives the server with fresh bodies from `o.pool` (closed loop with autocannon, or open loop) and
 * measures the server, Redis and this process.
 */
export async function load(o: LoadOptions): Promise<StageResult> {
  const base: autocannon.Options = {
    url: `http://127.0.0.1:${o.server.port}`,
    connections: o.connections,
    pipelining: 1,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        setupRequest: (req) => ({ ...req, ...o.pool.nextRequest() }),
      },
    ],
  };
  if (o.warmupSeconds > 0) await autocannon({ ...base, duration: o.warmupSeconds });
  const pid = o.server.pid;
  const startRssMb = pid ? rssMb(pid) : NaN;
  const s0 = pid ? procCpu(pid) : undefined;
  const r0 = o.redisPid ? procCpu(o.redisPid) : undefined;
  const l0 = process.cpuUsage();
  const samples = sampler(pid, o.redisPid);
  const r: Measured = o.openLoop ? await openLoop(o.server.port, o.pool, o.openLoop.rate, o.openLoop.sockets, o.seconds) : fromAutocannon(await autocannon({ ...base, duration: o.seconds }));
  const { maxRss, redisCores } = samples.stop();
  const l1 = process.cpuUsage(l0);
  return {
    stage: o.stage,
    connections: o.openLoop?.sockets ?? o.connections,
    ...r,
    serverCpu: pid && s0 ? (procCpu(pid).seconds - s0.seconds) / r.seconds : NaN,
    loadgenCpu: (l1.user + l1.system) / 1e6 / r.seconds,
    redisCpu: o.redisPid && r0 ? (procCpu(o.redisPid).seconds - r0.seconds) / r.seconds : undefined,
    redisCores,
    maxRssMb: maxRss,
    startRssMb,
  };
}

/** Events the collector counted, by outcome, and requests it shed, by reason, from its own /metrics. */
export async function ingestCounts(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^warmline_ingest_events_total\{outcome="(\w+)"\} (\d+)/gm)) out[m[1] as string] = Number(m[2]);
  for (const m of text.matchAll(/^warmline_ingest_shed_total\{reason="(\w+)"\} (\d+)/gm)) out[`shed:${m[1] as string}`] = Number(m[2]);
  return out;
}

// ---------------------------------------------------------------- report

const pct = (x: number) => `${Math.round(x * 100)}%`;
const k = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));

/** Events answered 200 per second of wall time, and per CPU-second the server actually used. */
const rates = (r: StageResult, batchSize: number) => {
  const eps = (r.ok * batchSize) / r.seconds;
  return { eps, perCpu: r.serverCpu > 0 ? eps / r.serverCpu : 0, redisUs: r.redisCpu === undefined || eps === 0 ? undefined : (r.redisCpu * 1e6) / eps };
};

/**
 * One line per stage. `ev/CPU-s` divides by the CPU the server process really got (from /proc), so
 * the ratio to the ceiling holds even when Redis or a neighbour shares the server's core.
 */
function printTable(rows: { r: StageResult; ceiling?: StageResult }[], batchSize: number): void {
  const header = ['stage', 'conns', 'events/s', 'req/s (200)', 'p50 ms', 'p99 ms', 'server CPU', 'ev/CPU-s', 'vs ceiling (ev/s, ev/CPU-s)', 'loadgen CPU', 'redis CPU', 'redis µs/ev', 'RSS max MB', 'statuses'];
  const lines = rows.map(({ r, ceiling }) => {
    const rps = r.ok / r.seconds;
    const me = rates(r, batchSize);
    const c = ceiling && rates(ceiling, batchSize);
    const statuses = Object.entries(r.statuses).map(([s, n]) => `${s}:${n}`).join(' ') + (r.errors ? ` err:${r.errors}` : '') + (r.timeouts ? ` timeout:${r.timeouts}` : '');
    return [
      r.stage,
      String(r.connections),
      k(me.eps),
      r.offered === undefined ? k(rps) : `${k(rps)} of ${k(r.offered)} offered`,
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      pct(r.serverCpu),
      k(me.perCpu),
      c && c !== me ? `${pct(me.eps / c.eps)}, ${pct(me.perCpu / c.perCpu)}` : '-',
      pct(r.loadgenCpu),
      r.redisCpu === undefined ? '-' : pct(r.redisCpu),
      me.redisUs === undefined ? '-' : me.redisUs.toFixed(1),
      `${r.maxRssMb.toFixed(0)} (start ${r.startRssMb.toFixed(0)})`,
      statuses,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  console.log(`\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const l of lines) console.log(fmt(l));
}

/** Self time per function and per category, from a V8 .cpuprofile. */
function summariseProfile(file: string, top = 25): void {
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const cats = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = (byId.get(id) as Node).callFrame;
    const where = url.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/.*?\/(server|schema)\//, '$1/');
    const name = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    const cat = category(functionName, url);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
  }
  const show = (m: Map<string, number>, n: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).forEach(([name, us]) => console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`));
  console.log(`\nprofile ${file} (${(total / 1e6).toFixed(1)} s sampled)\nself time by category:`);
  show(cats, 30);
  console.log(`top ${top} functions by self time:`);
  show(fns, top);
}

function category(fn: string, url: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle (waiting: Redis/network)';
  if (fn === '(program)') return 'V8/native (program)';
  if (!url) return /^(parse|stringify)$/.test(fn) ? `JSON.${fn}` : `native: ${fn}`;
  if (url.includes('/zod/')) return 'zod';
  if (/\/(ioredis|redis-parser|@ioredis|denque|standard-as-callback)\//.test(url)) return 'ioredis';
  if (url.includes('/hono/') || url.includes('/@hono/')) return 'hono + node-server';
  if (/\/(ua-parser-js|isbot|ipaddr\.js)\//.test(url)) return 'enrich libs (ua/isbot/ip)';
  if (url.includes('/prom-client/')) return 'prom-client';
  if (url.includes('/pino')) return 'pino';
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  const m = /\/(server|schema)\/(.+)$/.exec(url);
  if (m) return `warmline ${m[1]}/${m[2]}`;
  return 'other';
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    args: process.argv.slice(2),
    options: {
      seconds: { type: 'string', default: '12' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '32' },
      seed: { type: 'string', default: '42' },
      scenario: { type: 'string', default: 'both' },
      /** WARMLINE_MAX_INFLIGHT for the collector (default: the config's). */
      inflight: { type: 'string' },
      overload: { type: 'boolean', default: true },
      profile: { type: 'boolean', default: false },
    },
    allowNegative: true,
  });
  const seconds = Number(args.seconds);
  const warmupSeconds = Number(args.warmup);
  const connections = Number(args.connections);
  const scenarios: Scenario[] = args.scenario === 'both' ? [...SCENARIOS] : SCENARIOS.filter((s) => s === args.scenario);
  if (scenarios.length === 0) throw new Error(`--scenario must be ${SCENARIOS.join(', ')} or both`);

  // This process (every thread) is the load generator: keep it off the server's core.
  execFileSync('taskset', ['-a', '-p', '-c', LOADGEN_CORE, String(process.pid)], { stdio: 'ignore' });

  const prefix = `t${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    WARMLINE_REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    WARMLINE_RATE_LIMIT_EPS: '0',
    WARMLINE_LOG_MAX_ENTRIES: '100000000',
    LOG_LEVEL: 'error',
    ...(args.inflight ? { WARMLINE_MAX_INFLIGHT: args.inflight } : {}),
  };
  const config: Config = loadConfig({ ...process.env, ...env });
  const redis = createRedis(config.REDIS_URL, { name: 'bench' });
  await waitReady(redis);
  const redisPidMatch = /process_id:(\d+)/.exec(await redis.info('server'));
  const redisPid = redisPidMatch && ['localhost', '127.0.0.1', '::1'].includes(new URL(config.REDIS_URL).hostname) ? Number(redisPidMatch[1]) : undefined;

  const writeKey = generateKey('write');
  const keys = new KeyStore(redis, prefix);
  const grant = async () => {
    await keys.ensureWorkspace('ws_bench', 'Benchmark');
    await keys.addKey('ws_bench', 'write', writeKey);
  };
  await grant();
  const pools = new Map(scenarios.map((scenario) => [scenario, new BodyPool({ writeKey, scenario, seed: Number(args.seed) })]));
  const batchSize = (pools.values().next().value as BodyPool).batchSize;
  console.log(
    `bench:ingest — ${batchSize}-event batches (${[...pools].map(([s, p]) => `${s}: ${(p.bodyBytes / 1024).toFixed(1)} KB, ${(p.bodyBytes / p.batchSize).toFixed(0)} B/event`).join('; ')}); ` +
      `servers on cpu${SERVER_CORE}, load generator on cpu${LOADGEN_CORE}; Redis pid ${redisPid ?? '?'} (affinity ${redisPid ? execFileSync('taskset', ['-c', '-p', String(redisPid)]).toString().split(': ')[1]?.trim() : '?'}); ` +
      `prefix ${prefix}; ${config.WARMLINE_PARTITIONS} partitions; ${seconds} s per stage after ${warmupSeconds} s warm-up; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  );

  const rows: { r: StageResult; ceiling?: StageResult }[] = [];
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    for (const c of children) c.kill('SIGTERM');
  };
  process.once('SIGINT', onSigint);
  try {
    if (args.profile) {
      const pool = pools.get(scenarios[0] as Scenario) as BodyPool;
      const dir = mkdtempSync(join(tmpdir(), 'warmline-prof-'));
      const collector = await startChild('collector', env, [...COLLECTOR_FLAGS, '--cpu-prof', `--cpu-prof-dir=${dir}`]);
      rows.push({ r: await load({ stage: `collector (profiled, ${pool.scenario})`, server: collector, redisPid, pool, connections, seconds, warmupSeconds }) });
      await stopChild(collector.proc);
      printTable(rows, batchSize);
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (1 is tsx's loader).
      for (const f of readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))) summariseProfile(join(dir, f));
      return;
    }

    const notes: string[] = [];
    let overload: { r: StageResult; capacity: number; steadyRss: number; counted: Record<string, number> } | undefined;
    for (const [scenario, pool] of pools) {
      const bare = await startChild('bare', {});
      const ceiling = await load({ stage: `${scenario}: ceiling (node:http)`, server: bare, redisPid: undefined, pool, connections, seconds, warmupSeconds });
      rows.push({ r: ceiling, ceiling });
      await stopChild(bare.proc);

      const collector = await startChild('collector', env, COLLECTOR_FLAGS);
      const steady = await load({ stage: `${scenario}: collector`, server: collector, redisPid, pool, connections, seconds, warmupSeconds });
      rows.push({ r: steady, ceiling });
      const counted = await ingestCounts(collector.port);
      notes.push(
        `${scenario}: collector counted (incl. warm-up) ${JSON.stringify(counted)}; answered 200 x ${batchSize} in the measured window = ${steady.ok * batchSize}; redis-server ran on ${steady.redisCores || '?'}`,
      );
      await cleanupPrefix(redis, prefix); // free the stage's log and dedupe keys (the workspace key goes too)
      await grant();

      // Offer twice the sustained rate, open loop, from more sockets than the collector admits at once.
      if (args.overload && !overload) {
        const capacity = steady.ok / steady.seconds;
        const r = await load({
          stage: `${scenario}: overload (open loop)`,
          server: collector,
          redisPid,
          pool,
          connections,
          seconds,
          warmupSeconds: 0,
          openLoop: { rate: 2 * capacity, sockets: OVERLOAD_SOCKETS },
        });
        rows.push({ r, ceiling });
        overload = { r, capacity, steadyRss: steady.maxRssMb, counted: await ingestCounts(collector.port) };
        await cleanupPrefix(redis, prefix);
        await grant();
      }
      await stopChild(collector.proc);
    }

    printTable(rows, batchSize);
    console.log(`\n${notes.join('\n')}`);
    if (overload) {
      const { r: over, capacity, steadyRss, counted } = overload;
      const bad = Object.keys(over.statuses).filter((s) => !['200', '429', '503'].includes(s));
      console.log(
        `overload: offered ${((over.offered ?? 0) / capacity).toFixed(2)}x capacity; 429 x ${over.statuses['429'] ?? 0}; collector counted (cumulative) ${JSON.stringify(counted)}; ` +
          `max RSS ${over.maxRssMb.toFixed(0)} MB (steady ${steadyRss.toFixed(0)} MB, max in-flight ${config.WARMLINE_MAX_INFLIGHT}, ${OVERLOAD_SOCKETS} sockets); ` +
          `p50/p99 ${over.p50.toFixed(0)}/${over.p99.toFixed(0)} ms; statuses ${bad.length === 0 && over.errors === 0 ? 'only 200/429/503: OK' : `UNEXPECTED ${bad.join(',')} errors=${over.errors}`}; redis-server ran on ${over.redisCores || '?'}`,
      );
      if (bad.length > 0 || over.errors > 0) process.exitCode = 1;
    }
  } finally {
    process.off('SIGINT', onSigint);
    await Promise.all([...children].map((c) => stopChild(c)));
    await cleanupPrefix(redis, prefix);
    await redis.quit();
    if (interrupted) process.exitCode = 130;
  }
}

if (process.argv[2] === 'serve') await serve(process.argv[3]);
else if (isMain(import.meta.url)) await main();
