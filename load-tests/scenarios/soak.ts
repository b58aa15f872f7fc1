/**
 * `npm run load:soak`: steady open-loop load (`--rate` events/s of generated traffic) for `--duration`
 * seconds, sampling every `--sample` seconds the RSS of each Warmline process and the log lag of each
 * consumer group. Thresholds: memory flat over the second half (fitted growth per process), lag
 * bounded while loaded and drained after, no non-2xx.
 *
 * @example npm run load:soak -- --duration 600 --rate 1000
 */
import { openLoop } from '../bench-ingest.ts';
import { flags, isMain, positive, runScenario } from '../lib/cli.ts';
import { peak, rssGrowthLastHalf, startSampler, waitDrained } from '../lib/sampler.ts';
import { targetFrom } from '../lib/target.ts';
import type { Threshold } from '../lib/thresholds.ts';
import { GeneratedTraffic } from '../lib/traffic.ts';
import { non2xx, statusMetrics } from '../lib/statuses.ts';

export const THRESHOLDS: Threshold[] = [
  { metric: 'rss_growth_last_half_mb', op: '<=', limit: 64, why: 'flat memory: fitted growth of the worst process over the second half' },
  { metric: 'log_lag_max', op: '<=', limit: 20_000, why: 'consumers keep up: entries behind, any group, any sample' },
  { metric: 'log_lag_after_drain', op: '==', limit: 0, why: 'everything consumed within 60 s of the end' },
  { metric: 'http_non_2xx', op: '==', limit: 0, why: 'a steady rate below capacity is never refused' },
];

async function main(): Promise<void> {
  const args = flags({ duration: '180', rate: '1000', sample: '2', seed: String(Date.now() % 1_000_000) });
  await runScenario('soak', THRESHOLDS, args.threshold, async () => {
    const seconds = positive('duration', args.duration);
    const target = await targetFrom(args, { collectors: 1, scorers: 1, sinks: 1 });
    try {
      const traffic = new GeneratedTraffic({ writeKey: target.writeKey, seed: Number(args.seed) });
      const sampler = startSampler(target, positive('sample', args.sample) * 1000);
      const r = await openLoop(Number(new URL(target.url).port), traffic, positive('rate', args.rate) / traffic.eventsPerRequest, 64, seconds);
      const samples = await sampler.stop();
      const drain = await waitDrained(target, 60_000);
      const growth = rssGrowthLastHalf(samples);
      const rss = peak(samples, 'rss');
      const lag = peak(samples, 'lag');
      console.log(`  ${samples.length} samples; RSS MB at the end: ${JSON.stringify(samples.at(-1)?.rss)}`);
      return {
        duration_s: r.seconds,
        http_reqs_per_s: (r.offered ?? 0),
        events_per_s: (r.ok * traffic.eventsPerRequest) / r.seconds,
        http_req_duration_p99_ms: r.p99,
        http_non_2xx: non2xx(r),
        ...statusMetrics(r),
        rss_growth_last_half_mb: Math.max(...Object.values(growth)),
        ...Object.fromEntries(Object.entries(growth).map(([k, v]) => [`rss_growth_mb_${k.replace(/\W/g, '')}`, v])),
        ...Object.fromEntries(Object.entries(rss).map(([k, v]) => [`rss_max_mb_${k.replace(/\W/g, '')}`, v])),
        log_lag_max: Math.max(0, ...Object.values(lag)),
        ...Object.fromEntries(Object.entries(lag).map(([k, v]) => [`log_lag_max_${k}`, v])),
        log_lag_after_drain: drain.lagLeft,
        drain_s: drain.seconds,
      };
    } finally {
      await target.stop();
    }
  });
}

if (isMain(import.meta.url)) await main();
