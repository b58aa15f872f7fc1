/**
 * `npm run load:feed`: `--clients` WebSocket clients subscribed on `/ws/feed` while funnel events are
 * posted (pricing views, then a demo request: most trigger a signal), aiming at `--rate` signals/s for
 * `--duration` seconds. For every signal frame at every client: the delay from the collector's 200 for
 * its triggering event to the frame's receipt. Thresholds: p99 delay bound, no lost signal (every
 * client got every signal written), no client cut off as slow, no failed post.
 * Measured by bench-feed.ts's `endToEnd` (collector, scorer, clients and poster in separate processes).
 *
 * @example npm run load:feed -- --clients 50 --rate 200 --duration 10
 */
import { endToEnd } from '../bench-feed.ts';
import { flags, isMain, positive, runScenario } from '../lib/cli.ts';
import { targetFrom } from '../lib/target.ts';
import type { Threshold } from '../lib/thresholds.ts';

async function main(): Promise<void> {
  const args = flags({ clients: '50', rate: '200', duration: '10' });
  await runScenario('feed', THRESHOLDS, args.threshold, async () => {
    const target = await targetFrom(args, { collectors: 1, scorers: 1 });
    try {
      const r = await endToEnd(target, { clients: positive('clients', args.clients), rate: positive('rate', args.rate), seconds: positive('duration', args.duration) });
      return {
        ws_clients: r.clients,
        events_posted: r.eventsPosted,
        posts_failed: r.failedPosts,
        signals: r.signals,
        signals_per_s: r.signals / r.seconds,
        frames_received: r.deliveries,
        signals_lost: r.lost,
        clients_complete: r.completeClients,
        clients_cut_off: r.cutOff,
        signal_delay_p50_ms: r.p50,
        signal_delay_p99_ms: r.p99,
        signal_delay_max_ms: r.max,
        ...Object.fromEntries(Object.entries(r.cpu).map(([name, s]) => [`cpu_s_${name.replace(/\W/g, '')}`, s])),
      };
    } finally {
      await target.stop();
    }
  });
}

/** Declared after `main` (which runs last), read when it runs. */
export const THRESHOLDS: Threshold[] = [
  { metric: 'signal_delay_p99_ms', op: '<=', limit: 250, why: 'collector 200 → frame at the client, every client' },
  { metric: 'signals_lost', op: '==', limit: 0, why: 'every client gets every signal' },
  { metric: 'clients_cut_off', op: '==', limit: 0, why: 'no client judged a slow consumer at this rate' },
  { metric: 'posts_failed', op: '==', limit: 0, why: 'good input is never refused' },
];

if (isMain(import.meta.url)) await main();
