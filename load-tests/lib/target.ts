/**
 * The Warmline a scenario drives: either started here, each role a child process (`bin/warmline.mjs`)
 * on loopback with its own WARMLINE_DATA_DIR and WARMLINE_REDIS_PREFIX (so a run never touches the dev
 * data), or a running one given by `--url` (loopback only). Stopping a started target ends only the
 * processes it started (by PID), deletes its keys and its data dir.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../server/config.ts';
import { KeyStore, generateKey } from '../../server/keys/workspaces.ts';
import { leaseKey } from '../../server/log/leases.ts';
import { logKeys, type LogKeys } from '../../server/log/keys.ts';
import { createRedis, waitReady } from '../../server/redis.ts';
import { SCORER_GROUP } from '../../scoring/runtime/scorer.ts';
import { killAll, startRole, type RoleProcess } from '../../tests/helpers/child.ts';
import { cleanupPrefix, testPrefix } from '../../tests/helpers/redis.ts';
import { waitFor } from '../../tests/helpers/wait.ts';

export interface Target {
  /** Base URL of the first HTTP process (collector or `start`). */
  url: string;
  /** Every HTTP process's base URL. */
  urls: string[];
  writeKey: string;
  secretKey: string;
  /** The workspace the keys belong to. */
  workspaceId: string;
  logKeys: LogKeys;
  /** A connection to the target's Redis (for lag and signal counts). */
  redis: Redis;
  /** Processes this run started, named by role (`collector#1`…): the ones to sample. Empty with `--url`. */
  processes: { name: string; pid: number }[];
  stop(): Promise<void>;
}

/** Roles to run, each its own process. `start` runs every role in one process (embedded ClickHouse). */
export interface Topology {
  start?: boolean;
  collectors?: number;
  scorers?: number;
  sinks?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** A free loopback port (the kernel's pick; released before the role binds it). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts Warmline on loopback: the roles of `topology` as child processes sharing one Redis under a
 * fresh `t…` prefix, a workspace with a write and a secret key; resolves once every HTTP process
 * answers /readyz and every scorer holds its share of the partitions.
 */
export async function startWarmline(topology: Topology, env: Record<string, string> = {}): Promise<Target> {
  const prefix = testPrefix();
  const dataDir = mkdtempSync(join(tmpdir(), 'warmline-load-'));
  const partitions = env.WARMLINE_PARTITIONS ?? '8';
  const config = loadConfig({ ...process.env, WARMLINE_REDIS_PREFIX: prefix, WARMLINE_PARTITIONS: partitions });
  const redis = createRedis(config.REDIS_URL, { name: 'load-test' });
  await waitReady(redis);
  const workspaceId = 'ws_load';
  const writeKey = generateKey('write');
  const secretKey = generateKey('secret');
  const keys = new KeyStore(redis, prefix);
  await keys.ensureWorkspace(workspaceId, 'Load test');
  await keys.addKey(workspaceId, 'write', writeKey);
  await keys.addKey(workspaceId, 'secret', secretKey);

  const children: ChildProcess[] = [];
  const roles: (RoleProcess & { name: string; url?: string })[] = [];
  const base = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', WARMLINE_RATE_LIMIT_EPS: '0', ...env, WARMLINE_REDIS_PREFIX: prefix, WARMLINE_PARTITIONS: partitions, WARMLINE_DATA_DIR: dataDir };
  const lk = logKeys(prefix, Number(partitions));
  const stop = async () => {
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill('SIGTERM');
    await Promise.race([Promise.all(running.map((c) => once(c, 'exit'))), new Promise((r) => setTimeout(r, 15_000).unref())]);
    killAll(children);
    await cleanupPrefix(redis, prefix);
    await redis.quit();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const http = async (role: string, name: string) => {
      const port = String(await freePort());
      roles.push({ ...startRole(role, { ...base, PORT: port }, children), name, url: `http://127.0.0.1:${port}` });
    };
    if (topology.start) await http('start', 'start');
    for (let i = 1; i <= (topology.collectors ?? 0); i++) await http('collector', `collector#${i}`);
    for (let i = 1; i <= (topology.scorers ?? 0); i++) roles.push({ ...startRole('scorer', base, children), name: `scorer#${i}` });
    for (let i = 1; i <= (topology.sinks ?? 0); i++) roles.push({ ...startRole('sink', base, children), name: `sink#${i}` });
    const alive = () => {
      const dead = roles.find((r) => r.child.exitCode !== null);
      if (dead) throw new Error(`${dead.name} exited with ${dead.child.exitCode}:\n${dead.output()}`);
    };
    for (const r of roles.filter((x) => x.url)) {
      await waitFor(async () => (alive(), (await fetch(`${r.url}/readyz`).catch(() => undefined))?.ok), { timeoutMs: 60_000, intervalMs: 200, what: `${r.name} /readyz` });
    }
    const scorers = (topology.scorers ?? 0) + (topology.start ? 1 : 0);
    if (scorers > 0) {
      // Every partition leased, by as many distinct scorers as were started.
      await waitFor(
        async () => {
          alive();
          const owners = await redis.mget(...Array.from({ length: lk.partitions }, (_, p) => leaseKey(prefix, SCORER_GROUP, p)));
          return owners.every((o) => o !== null) && new Set(owners).size === Math.min(scorers, lk.partitions);
        },
        { timeoutMs: 60_000, intervalMs: 200, what: 'scorer leases on every partition' },
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const urls = roles.flatMap((r) => (r.url ? [r.url] : []));
  return {
    url: urls[0] as string,
    urls,
    writeKey,
    secretKey,
    workspaceId,
    logKeys: lk,
    redis,
    processes: roles.map((r) => ({ name: r.name, pid: r.child.pid as number })),
    stop,
  };
}

/** A running Warmline at `url` (loopback only), with its keys, Redis prefix and partitions. */
export async function attachWarmline(o: { url: string; writeKey?: string; secretKey?: string; prefix: string; partitions: string }): Promise<Target> {
  const url = new URL(o.url);
  if (!LOOPBACK.has(url.hostname)) throw new Error(`--url must be on loopback (127.0.0.1, localhost, [::1]); got ${url.hostname}`);
  if (!o.writeKey || !o.secretKey) throw new Error('--url needs --write-key and --secret-key (npm start prints the dev keys)');
  const config = loadConfig({ ...process.env, WARMLINE_REDIS_PREFIX: o.prefix, WARMLINE_PARTITIONS: o.partitions });
  const redis = createRedis(config.REDIS_URL, { name: 'load-test' });
  await waitReady(redis);
  const grant = await new KeyStore(redis, o.prefix).resolve(o.writeKey);
  if (!grant) throw new Error(`--write-key is not a key of prefix "${o.prefix}" (set --prefix to the instance's WARMLINE_REDIS_PREFIX)`);
  const base = url.origin;
  return {
    url: base,
    urls: [base],
    writeKey: o.writeKey,
    secretKey: o.secretKey,
    workspaceId: grant.workspaceId,
    logKeys: logKeys(o.prefix, config.WARMLINE_PARTITIONS),
    redis,
    processes: [],
    stop: async () => void (await redis.quit()),
  };
}

/** The target the flags name: `--url` attaches, otherwise `topology` is started. */
export function targetFrom(values: { url?: string; 'write-key'?: string; 'secret-key'?: string; prefix: string; partitions: string }, topology: Topology, env: Record<string, string> = {}): Promise<Target> {
  return values.url
    ? attachWarmline({ url: values.url, writeKey: values['write-key'], secretKey: values['secret-key'], prefix: values.prefix, partitions: values.partitions })
    : startWarmline(topology, env);
}
