import { setTimeout as sleepFor } from 'node:timers/promises';

/**
 * Delay before retry `attempt` (1-based): exponential from `baseMs`, capped at `maxMs`, with "equal
 * jitter" (half fixed, half random) so many sinks retrying one ClickHouse do not stampede together.
 */
export function backoffMs(attempt: number, baseMs = 200, maxMs = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Sleeps `ms`, or less when `signal` aborts; never rejects. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleepFor(ms, undefined, signal ? { signal } : undefined);
  } catch {
    // aborted: the caller checks its own state
  }
}
