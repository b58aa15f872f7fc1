/**
 * `npm run load:ingest`: many virtual browsers sending analytics-next-shaped events — single events
 * (`/v1/t`, `/v1/p`, `/v1/i`, `/v1/g`, text/plain) and, one request in ten, a server SDK's `/v1/batch` —
 * drawn from generator.ts's users, sessions and intent paths. Closed loop: `--connections` browsers,
 * each sending its next event as soon as the last one is answered, for `--duration` seconds.
 * Thresholds: no non-2xx on this good input, p99 latency bound, throughput floor.
 *
 * @example npm run load:ingest -- --duration 20 --connections 50
 * @example npm run load:ingest -- --url http://127.0.0.1:8080 --write-key wk_… --secret-key sk_…
 */
import { ingestCounts, load } from '../bench-ingest.ts';
import { flags, isMain, positive, runScenario } from '../lib/cli.ts';
import { non2xx, statusMetrics } from '../lib/statuses.ts';
import { targetFrom, type Target } from '../lib/target.ts';
import type { Threshold } from '../lib/thresholds.ts';
import { GeneratedTraffic } from '../lib/traffic.ts';

export const THRESHOLDS: Threshold[] = [
  { metric: 'http_non_2xx', op: '==', limit: 0, why: 'good input is never refused' },
  { metric: 'http_req_duration_p99_ms', op: '<=', limit: 2_000, why: 'answers stay prompt at full closed-loop load' },
  { metric: 'events_per_s', op: '>=', limit: 500, why: 'throughput floor, low enough for a shared 2-core box' },
];

/**
 * Drives `target` closed loop with generated traffic; the events/s are what the collector itself
 * counted as accepted over the measured window (warm-up excluded).
 */
export async function ingestLoad(target: Target, o: { connections: number; seconds: number; warmupSeconds: number; seed: number }) {
  const port = Number(new URL(target.url).port);
  const traffic = new GeneratedTraffic({ writeKey: target.writeKey, seed: o.seed });
  const server = { port, pid: target.processes[0]?.pid };
  const base = { server, redisPid: undefined, pool: traffic, connections: o.connections, warmupSeconds: 0 };
  if (o.warmupSeconds > 0) await load({ ...base, stage: 'warm-up', seconds: o.warmupSeconds });
  const before = await ingestCounts(port);
  const r = await load({ ...base, stage: 'ingest', seconds: o.seconds });
  const after = await ingestCounts(port);
  const accepted = (after.accepted ?? 0) - (before.accepted ?? 0);
  return { r, accepted, eventsPerRequest: traffic.eventsPerRequest };
}

async function main(): Promise<void> {
  const args = flags({ duration: '20', connections: '50', warmup: '3', seed: String(Date.now() % 1_000_000) });
  await runScenario('ingest', THRESHOLDS, args.threshold, async () => {
    const target = await targetFrom(args, { start: true });
    try {
      const { r, accepted } = await ingestLoad(target, {
        connections: positive('connections', args.connections),
        seconds: positive('duration', args.duration),
        warmupSeconds: Number(args.warmup),
        seed: Number(args.seed),
      });
      const requests = Object.values(r.statuses).reduce((a, b) => a + b, 0);
      return {
        virtual_browsers: r.connections,
        http_reqs: requests,
        http_reqs_per_s: requests / r.seconds,
        http_req_duration_p50_ms: r.p50,
        http_req_duration_p99_ms: r.p99,
        http_non_2xx: non2xx(r),
        ...statusMetrics(r),
        events_accepted: accepted,
        events_per_s: accepted / r.seconds,
        server_cpu_cores: r.serverCpu,
        server_rss_max_mb: r.maxRssMb,
      };
    } finally {
      await target.stop();
    }
  });
}

if (isMain(import.meta.url)) await main();
