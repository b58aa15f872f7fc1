/**
 * Samples a target over time: the resident memory of each of its processes (from /proc for the ones
 * this run started, from `/metrics` for a `--url` target) and the log lag of each consumer group (from
 * Redis, as `/readyz` and `/metrics` compute it). The soak and overload scenarios judge memory and lag
 * by these series.
 */
import { logStats } from '../../server/log/stats.ts';
import { rssMb } from './proc.ts';
import type { Target } from './target.ts';

export interface Sample {
  /** Seconds since the sampler started. */
  t: number;
  /** MB per process name. */
  rss: Record<string, number>;
  /** Entries not yet delivered (plus pending) per consumer group. */
  lag: Record<string, number>;
}

/** RSS in MB that a target's `/metrics` reports (prom-client's process_resident_memory_bytes). */
async function metricsRss(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^warmline_process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+?\d+)?)/m.exec(text);
  return m ? Number(m[1]) / 2 ** 20 : undefined;
}

/** One sample of every process's RSS and every group's lag + pending. */
export async function sampleOnce(target: Target, t: number): Promise<Sample> {
  const rss: Record<string, number> = {};
  for (const p of target.processes) {
    try {
      rss[p.name] = rssMb(p.pid);
    } catch {
      /* exited: its series ends */
    }
  }
  if (target.processes.length === 0) {
    const mb = await metricsRss(target.url).catch(() => undefined);
    if (mb !== undefined) rss.target = mb;
  }
  const lag: Record<string, number> = {};
  for (const [group, g] of (await logStats(target.redis, target.logKeys)).groups) lag[group] = (g.lag ?? 0) + g.pending;
  return { t, rss, lag };
}

/** Samples every `everyMs` until `stop()`, which resolves with the series. */
export function startSampler(target: Target, everyMs: number) {
  const samples: Sample[] = [];
  const t0 = performance.now();
  let busy: Promise<void> = Promise.resolve();
  const tick = () => {
    busy = busy.then(async () => void samples.push(await sampleOnce(target, (performance.now() - t0) / 1000))).catch(() => undefined);
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    samples,
    stop: async (): Promise<Sample[]> => {
      clearInterval(timer);
      tick();
      await busy;
      return samples;
    },
  };
}

/** Least-squares slope of `ys` over `xs` (units of y per unit of x); 0 with fewer than two points. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i] as number, y = ys[i] as number;
    sx += x; sy += y; sxx += x * x; sxy += x * y;
  }
  const d = n * sxx - sx * sx;
  return d === 0 ? 0 : (n * sxy - sx * sy) / d;
}

/**
 * Memory growth over the second half of a run, per process, in MB: the fitted slope over that half
 * times its length. A fit, not last-minus-first, so one GC's sawtooth does not decide a soak.
 */
export function rssGrowthLastHalf(samples: readonly Sample[]): Record<string, number> {
  const end = samples[samples.length - 1]?.t ?? 0;
  const half = samples.filter((s) => s.t >= end / 2);
  const names = new Set(half.flatMap((s) => Object.keys(s.rss)));
  const out: Record<string, number> = {};
  for (const name of names) {
    const pts = half.filter((s) => s.rss[name] !== undefined);
    out[name] = slope(pts.map((s) => s.t), pts.map((s) => s.rss[name] as number)) * (end / 2);
  }
  return out;
}

/** The largest value per key across samples (RSS per process, or lag per group). */
export function peak(samples: readonly Sample[], of: 'rss' | 'lag'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) for (const [k, v] of Object.entries(s[of])) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

/**
 * Waits (bounded by `timeoutMs`) until no consumer group has anything undelivered or pending; resolves
 * with the seconds it took, or with the lag still left when time ran out.
 */
export async function waitDrained(target: Target, timeoutMs: number): Promise<{ seconds: number; lagLeft: number }> {
  const t0 = performance.now();
  for (;;) {
    const { lag } = await sampleOnce(target, 0);
    const left = Object.values(lag).reduce((a, b) => a + b, 0);
    const seconds = (performance.now() - t0) / 1000;
    if (left === 0 || seconds * 1000 >= timeoutMs) return { seconds, lagLeft: left };
    await new Promise((r) => setTimeout(r, 250));
  }
}
