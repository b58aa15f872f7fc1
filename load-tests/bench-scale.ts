/**
 * `npm run bench:scale`: the same load on 1 collector + 1 scorer, then on 2 collectors + 2 scorers
 * (separate processes, one Redis, one sink process with the embedded engine). For each: ingest
 * throughput over every collector (closed loop, 100-event server-SDK batches over all partitions), the rate at which the pipeline
 * caught up (accepted events / time until every consumer group drained), collector 200 → signal frame
 * latency, and the CPU each process used during the ingest window.
 *
 * @example npm run bench:scale -- --seconds 10 --connections 32
 */
import { parseArgs } from 'node:util';
import { endToEnd } from './bench-feed.ts';
import { ingestCounts, load } from './bench-ingest.ts';
import { positive } from './lib/cli.ts';
import { describeMachine, procCpu } from './lib/proc.ts';
import { waitDrained } from './lib/sampler.ts';
import { startWarmline, type Topology } from './lib/target.ts';
import { BodyPool } from './payloads.ts';

interface ScaleResult {
  label: string;
  acceptedPerS: number;
  drainedPerS: number;
  p50: number;
  p99: number;
  cpu: Record<string, number>;
}

async function measure(label: string, topology: Topology, o: { seconds: number; connections: number; seed: number }): Promise<ScaleResult> {
  const target = await startWarmline(topology);
  try {
    const ports = target.urls.map((u) => Number(new URL(u).port));
    const before = await Promise.all(ports.map((p) => ingestCounts(p)));
    const cpu0 = new Map(target.processes.map((p) => [p.name, procCpu(p.pid).seconds]));
    const t0 = performance.now();
    const results = await Promise.all(
      ports.map((port, i) =>
        load({
          stage: `collector ${i + 1}`,
          server: { port },
          redisPid: undefined,
          pool: new BodyPool({ writeKey: target.writeKey, scenario: 'server', seed: o.seed + i * 7_919 }),
          connections: Math.ceil(o.connections / ports.length),
          seconds: o.seconds,
          warmupSeconds: 0,
        }),
      ),
    );
    const seconds = Math.max(...results.map((r) => r.seconds));
    for (const r of results) console.log(`  ${label}, ${r.stage}: ${JSON.stringify(r.statuses)} in ${r.seconds.toFixed(1)} s, p50/p99 ${r.p50}/${r.p99} ms`);
    const cpu = Object.fromEntries(target.processes.map((p) => [p.name, (procCpu(p.pid).seconds - (cpu0.get(p.name) ?? 0)) / seconds]));
    const after = await Promise.all(ports.map((p) => ingestCounts(p)));
    const accepted = after.reduce((n, c, i) => n + (c.accepted ?? 0) - (before[i]?.accepted ?? 0), 0);
    const drain = await waitDrained(target, 120_000);
    const caughtUp = (performance.now() - t0) / 1000;
    const e = await endToEnd(target, { clients: 10, rate: 150, seconds: 5 });
    return { label, acceptedPerS: accepted / seconds, drainedPerS: drain.lagLeft === 0 ? accepted / caughtUp : NaN, p50: e.p50, p99: e.p99, cpu };
  } finally {
    await target.stop();
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' }, seed: { type: 'string', default: '7' } } });
  const o = { seconds: positive('seconds', args.seconds), connections: positive('connections', args.connections), seed: Number(args.seed) };
  console.log(`npm run bench:scale — ${new Date().toISOString()}\nmachine: ${describeMachine()}`);
  const runs = [await measure('1 collector + 1 scorer', { collectors: 1, scorers: 1, sinks: 1 }, o), await measure('2 collectors + 2 scorers', { collectors: 2, scorers: 2, sinks: 1 }, o)];
  console.log('\n| topology | accepted events/s | pipeline drained events/s | event → signal p50 / p99 ms | CPU per process (cores) |\n|---|---|---|---|---|');
  for (const r of runs) {
    const cpu = Object.entries(r.cpu).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
    console.log(`| ${r.label} | ${r.acceptedPerS.toFixed(0)} | ${Number.isFinite(r.drainedPerS) ? r.drainedPerS.toFixed(0) : 'not drained in 120 s'} | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} | ${cpu} |`);
  }
}

await main();
