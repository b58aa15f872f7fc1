import { Command, InvalidArgumentError } from 'commander';
import { ModelError } from '../scoring/model/load.ts';
import { ClickHouseLockedError, createClickHouse, type ClickHouseClient } from './clickhouse/client.ts';
import { migrate } from './clickhouse/migrate.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { startCollector } from './roles/collector.role.ts';
import { startSink } from './roles/sink.role.ts';
import { startNotifier } from './roles/notifier.role.ts';
import { loadActiveModel, startScorer } from './roles/scorer.role.ts';
import { gracefulShutdown, type ShutdownStep } from './shutdown.ts';
import { seedDevWorkspace } from './keys/dev.ts';
import { KeyStore, generateKey } from './keys/workspaces.ts';
import { createRedis, waitReady } from './redis.ts';
import { logKeys } from './log/keys.ts';
import { progressBar } from './progress.ts';
import { rescore, RescoreError, type RescoreProgress } from '../scoring/rescore/rescore.ts';

/** Everything a role needs from the process: config, logger, metrics registry. */
interface Runtime {
  config: Config;
  log: Logger;
  metrics: Metrics;
}

function runtime(): Runtime {
  const config = loadConfig();
  return { config, log: createLogger(config.LOG_LEVEL), metrics: new Metrics() };
}

async function openClickHouse({ config, log }: Runtime): Promise<ClickHouseClient> {
  const clickhouse = createClickHouse(config);
  const applied = await migrate(clickhouse, log);
  if (applied.length) log.info({ applied }, 'migrations applied');
  return clickhouse;
}

/** Runs until SIGTERM/SIGINT, then the steps in order, then exits. */
function untilSignal(log: Logger, steps: ShutdownStep[]): void {
  const shutdown = gracefulShutdown(log, steps);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(signal).then(() => process.exit(0)));
  }
}

async function start(rt: Runtime): Promise<void> {
  const model = await loadActiveModel(rt.config);
  const clickhouse = await openClickHouse(rt);
  const collector = await startCollector(rt.config, rt.log, rt.metrics, { clickhouse, model });
  const sink = await startSink(rt.config, rt.log, rt.metrics, clickhouse);
  const scorer = await startScorer(rt.config, rt.log, rt.metrics, model);
  const notifier = await startNotifier(rt.config, rt.log, rt.metrics);
  const dev = await seedDevWorkspace(collector.deps.keys, rt.config);
  untilSignal(rt.log, [...collector.steps, ...notifier.steps, ...scorer.steps, ...sink.steps, { name: 'clickhouse', run: () => clickhouse.close() }]);
  const url = `http://127.0.0.1:${collector.http.port}`;
  process.stdout.write(
    [
      '',
      `Warmline is running on ${url} (collector + sink + scorer + notifier, model ${model.name}, embedded ClickHouse: ${rt.config.CLICKHOUSE_URL ? 'no' : 'yes'})`,
      `  dev write key:  ${dev.writeKey}${dev.generated ? '   (generated; set WARMLINE_DEV_WRITE_KEY to choose)' : ''}`,
      `  dev secret key: ${dev.secretKey}`,
      '',
      'Send a first event:',
      `  curl -u '${dev.writeKey}:' -H 'Content-Type: application/json' \\`,
      `    -d '{"userId":"user-1","event":"Signed Up","properties":{"plan":"trial"}}' ${url}/v1/track`,
      '',
      `Browser tracker: see events flow from the demo site at ${url}/demo/`,
      `  the snippet for your site: ${url}/tracker/snippet?writeKey=${dev.writeKey}`,
      '',
      `Dashboards (live feed of hot leads, profiles, segments): ${url}/app/  (sign in with the dev secret key)`,
      '',
    ].join('\n') + '\n',
  );
}

/** The collector alone; with CLICKHOUSE_URL it also serves the read API (the embedded engine belongs to the sink). */
async function collector(rt: Runtime): Promise<void> {
  const model = await loadActiveModel(rt.config);
  const clickhouse = rt.config.CLICKHOUSE_URL ? createClickHouse(rt.config) : undefined;
  const role = await startCollector(rt.config, rt.log, rt.metrics, { model, ...(clickhouse ? { clickhouse } : {}) });
  untilSignal(rt.log, [...role.steps, ...(clickhouse ? [{ name: 'clickhouse', run: () => clickhouse.close() }] : [])]);
}

async function sink(rt: Runtime): Promise<void> {
  const clickhouse = await openClickHouse(rt);
  const role = await startSink(rt.config, rt.log, rt.metrics, clickhouse);
  untilSignal(rt.log, [...role.steps, { name: 'clickhouse', run: () => clickhouse.close() }]);
}

async function scorer(rt: Runtime): Promise<void> {
  const role = await startScorer(rt.config, rt.log, rt.metrics, await loadActiveModel(rt.config));
  untilSignal(rt.log, role.steps);
}

async function notifier(rt: Runtime): Promise<void> {
  const role = await startNotifier(rt.config, rt.log, rt.metrics);
  untilSignal(rt.log, role.steps);
}

async function migrateOnly(rt: Runtime): Promise<void> {
  const clickhouse = await openClickHouse(rt);
  await clickhouse.close();
}

/**
 * Replays the stored history with a new model into a fresh state and swaps it in atomically. The
 * model is validated before anything is touched; with the embedded ClickHouse, run it while the
 * process owning the engine (`start` or `sink`) is stopped, or point CLICKHOUSE_URL at a server.
 */
async function rescoreCommand(rt: Runtime, file: string): Promise<void> {
  const model = await loadActiveModel(rt.config, file);
  const clickhouse = await openClickHouse(rt);
  const redis = createRedis(rt.config.REDIS_URL, { name: 'rescore' });
  try {
    await waitReady(redis);
    const bars = new Map<RescoreProgress['phase'], ReturnType<typeof progressBar>>();
    const labels = { history: 'history (ClickHouse)', log: 'log not yet stored  ' } as const;
    process.stderr.write(`rescoring with model ${model.name} (${file}); pausing scorers…\n`);
    const result = await rescore({
      redis,
      clickhouse,
      keys: logKeys(rt.config.WARMLINE_REDIS_PREFIX, rt.config.WARMLINE_PARTITIONS),
      model,
      log: rt.log,
      leaseTtlMs: rt.config.WARMLINE_LEASE_TTL_MS,
      onProgress: (p) => {
        for (const [phase, bar] of bars) if (phase !== p.phase) bar.done();
        const bar = bars.get(p.phase) ?? progressBar(process.stderr, labels[p.phase]);
        bars.set(p.phase, bar);
        bar.update(p.done, p.total);
      },
    });
    for (const bar of bars.values()) bar.done();
    process.stdout.write(
      `rescored ${result.history} stored events and ${result.logEvents} log events with ${model.name}: generation ${result.generation} is live (was ${result.previous})\n`,
    );
  } finally {
    redis.disconnect();
    await clickhouse.close();
  }
}

const KEY_KINDS = ['write', 'secret'] as const;

async function createKey(rt: Runtime, workspace: string, kind: (typeof KEY_KINDS)[number]): Promise<void> {
  const redis = createRedis(rt.config.REDIS_URL, { name: 'cli' });
  await waitReady(redis);
  const store = new KeyStore(redis, rt.config.WARMLINE_REDIS_PREFIX);
  const key = generateKey(kind);
  await store.ensureWorkspace(workspace, workspace);
  await store.addKey(workspace, kind, key, { label: 'warmline create-key' });
  process.stdout.write(`${key}\n`);
  await redis.quit();
}

const program = new Command('warmline').description('Real-time behavioural tracking and intent scoring');
const action = (fn: (rt: Runtime) => Promise<void>) => async () => fn(runtime());
program.command('start').description('every role in one process (collector, sink, scorer, notifier) with embedded ClickHouse by default').action(action(start));
program.command('collector').description('the Segment-compatible HTTP collector').action(action(collector));
program.command('sink').description('the ClickHouse sink: moves the log into ClickHouse').action(action(sink));
program.command('scorer').description('the streaming scorer: scores the log per user, emits signals').action(action(scorer));
program.command('notifier').description('webhooks: signals → signed deliveries with retries').action(action(notifier));
program.command('migrate').description('apply pending ClickHouse migrations and exit').action(action(migrateOnly));
program
  .command('rescore')
  .description('replay the stored history with a new model into a fresh state and swap it in atomically')
  .requiredOption('-m, --model <file>', 'the scoring model file (.yaml, .yml, .json)')
  .action(async (opts: { model: string }) => rescoreCommand(runtime(), opts.model));
program
  .command('create-key')
  .description('create a key for a workspace (creating the workspace if needed) and print it')
  .requiredOption('-w, --workspace <id>', 'workspace id', (v) => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(v)) throw new InvalidArgumentError('letters, digits, - and _ only (1-64)');
    return v;
  })
  .option('-k, --kind <kind>', 'write (ingest) or secret (read APIs)', (v) => {
    if (!(KEY_KINDS as readonly string[]).includes(v)) throw new InvalidArgumentError('write or secret');
    return v as (typeof KEY_KINDS)[number];
  }, 'write')
  .action(async (opts: { workspace: string; kind: (typeof KEY_KINDS)[number] }) => createKey(runtime(), opts.workspace, opts.kind));

program.parseAsync().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof ModelError || err instanceof RescoreError || err instanceof ClickHouseLockedError
      ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`warmline: ${message}\n`);
  process.exit(1);
});
