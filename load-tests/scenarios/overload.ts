/**
 * `npm run load:overload`: measures capacity (closed loop, `--measure` seconds), then offers `--factor`
 * (2) times that request rate open loop for `--duration` seconds from 512 sockets, then a normal rate
 * (`--recovery-rate` of capacity) for `--recovery` seconds. Thresholds: during the burst only 200, 429
 * and 503 (never another 5xx on good input), every 429/503 with Retry-After, RSS bounded; after it, the
 * normal-rate phase all 200 and the log lag drained.
 *
 * @example npm run load:overload -- --measure 8 --duration 10 --recovery 8
 */
import { OVERLOAD_SOCKETS, openLoop } from '../bench-ingest.ts';
import { flags, isMain, positive, runScenario } from '../lib/cli.ts';
import { peak, startSampler, waitDrained } from '../lib/sampler.ts';
import { statusMetrics } from '../lib/statuses.ts';
import { targetFrom } from '../lib/target.ts';
import type { Threshold } from '../lib/thresholds.ts';
import { GeneratedTraffic } from '../lib/traffic.ts';
import { ingestLoad } from './ingest.ts';

export const THRESHOLDS: Threshold[] = [
  { metric: 'burst_unexpected_statuses', op: '==', limit: 0, why: 'only 200, 429 or 503 under overload' },
  { metric: 'burst_shed_without_retry_after', op: '==', limit: 0, why: 'every 429/503 says when to retry' },
  { metric: 'burst_rss_over_steady_mb', op: '<=', limit: 512, why: 'memory bounded: peak of the worst process over its steady peak' },
  { metric: 'recovery_non_200', op: '==', limit: 0, why: 'after the burst, a normal rate is all accepted' },
  { metric: 'log_lag_after_drain', op: '==', limit: 0, why: 'the backlog drains within 60 s' },
];

async function main(): Promise<void> {
  const args = flags({ measure: '8', duration: '10', recovery: '8', factor: '2', 'recovery-rate': '0.3', connections: '32', seed: String(Date.now() % 1_000_000) });
  await runScenario('overload', THRESHOLDS, args.threshold, async () => {
    const target = await targetFrom(args, { collectors: 1, scorers: 1, sinks: 1 });
    try {
      const port = Number(new URL(target.url).port);
      const sampler = startSampler(target, 250);
      const steady = await ingestLoad(target, { connections: positive('connections', args.connections), seconds: positive('measure', args.measure), warmupSeconds: 2, seed: Number(args.seed) });
      const steadyRss = peak(sampler.samples, 'rss');
      const capacity = Object.values(steady.r.statuses).reduce((a, b) => a + b, 0) / steady.r.seconds;
      const burstFrom = sampler.samples.length;
      const traffic = new GeneratedTraffic({ writeKey: target.writeKey, seed: Number(args.seed) + 1_000 });
      const burst = await openLoop(port, traffic, positive('factor', args.factor) * capacity, OVERLOAD_SOCKETS, positive('duration', args.duration));
      const burstRss = peak(sampler.samples.slice(burstFrom), 'rss');
      const recovery = await openLoop(port, traffic, positive('recovery-rate', args['recovery-rate']) * capacity, 64, positive('recovery', args.recovery));
      await sampler.stop();
      const drain = await waitDrained(target, 60_000);
      const unexpected = Object.entries(burst.statuses).reduce((n, [s, c]) => (['200', '429', '503'].includes(s) ? n : n + c), 0);
      const over = Object.entries(burstRss).map(([k, v]) => v - (steadyRss[k] ?? v));
      const prefixed = (p: string, m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [`${p}_${k}`, v]));
      return {
        capacity_reqs_per_s: capacity,
        burst_offered_reqs_per_s: burst.offered ?? 0,
        burst_ok_reqs_per_s: burst.ok / burst.seconds,
        burst_p99_ms: burst.p99,
        ...prefixed('burst', statusMetrics(burst)),
        burst_unexpected_statuses: unexpected,
        burst_shed_without_retry_after: burst.noRetryAfter ?? 0,
        ...prefixed('rss_steady_mb', steadyRss),
        ...prefixed('rss_burst_mb', burstRss),
        burst_rss_over_steady_mb: Math.max(0, ...over),
        recovery_offered_reqs_per_s: recovery.offered ?? 0,
        recovery_p99_ms: recovery.p99,
        ...prefixed('recovery', statusMetrics(recovery)),
        recovery_non_200: Object.entries(recovery.statuses).reduce((n, [s, c]) => (s === '200' ? n : n + c), 0) + recovery.errors + recovery.timeouts,
        log_lag_after_drain: drain.lagLeft,
        drain_s: drain.seconds,
      };
    } finally {
      await target.stop();
    }
  });
}

if (isMain(import.meta.url)) await main();
