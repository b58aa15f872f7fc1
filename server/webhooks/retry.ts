/** What one HTTP attempt produced: a response's status (and Retry-After), or no response at all. */
export type AttemptResult =
  | { kind: 'response'; status: number; retryAfter?: string | null }
  | { kind: 'timeout' }
  | { kind: 'network'; error: string }
  /** Not sent at all: the target is one we refuse (e.g. it resolves to a private address). */
  | { kind: 'refused'; reason: string };

/** What to do next, decided by cause. */
export type Decision =
  | { kind: 'delivered' }
  | { kind: 'retry'; delayMs: number; reason: string; countsAsFailure: boolean }
  | { kind: 'dead'; reason: string; countsAsFailure: boolean };

export interface RetryPolicy {
  /** Delay after attempt n (1-based) is `schedule[n-1]`; past the end: dead letter. */
  schedule: readonly number[];
  /** Longest Retry-After honoured (a larger one is capped, not ignored). */
  maxRetryAfterMs?: number;
}

/**
 * Retry by cause: 2xx delivered; 5xx, 408, 409, timeouts and network errors back off (jittered
 * schedule); 429 waits what Retry-After asks (else the schedule); any other status (3xx, 4xx) goes to
 * the dead letter at once — the receiver said the request is wrong, repeating it will not help.
 * A 429 is a live receiver pacing us, so it does not count towards auto-disable.
 * @example decide({ kind: 'response', status: 503 }, 1, { schedule: [5000] }, now, () => 0.5) // retry in 5 s
 */
export function decide(result: AttemptResult, attempt: number, policy: RetryPolicy, nowMs: number, random: () => number = Math.random): Decision {
  const next = policy.schedule[attempt - 1];
  const retry = (reason: string, countsAsFailure: boolean, delayMs?: number): Decision =>
    next === undefined
      ? { kind: 'dead', reason: `retries exhausted after ${attempt} attempts (last: ${reason})`, countsAsFailure }
      : { kind: 'retry', delayMs: delayMs ?? jitter(next, random), reason, countsAsFailure };

  if (result.kind === 'refused') return { kind: 'dead', reason: `not sent: ${result.reason}`, countsAsFailure: true };
  if (result.kind === 'timeout') return retry('timeout', true);
  if (result.kind === 'network') return retry(`network error: ${result.error}`, true);
  const { status } = result;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 429) {
    const asked = retryAfterMs(result.retryAfter, nowMs);
    const capped = asked === undefined ? undefined : Math.min(asked, policy.maxRetryAfterMs ?? 3_600_000);
    return retry('HTTP 429', false, capped);
  }
  if (status >= 500 || status === 408 || status === 409) return retry(`HTTP ${status}`, true);
  return { kind: 'dead', reason: `HTTP ${status}: not retried`, countsAsFailure: true };
}

/** ±20% around `ms`, so deliveries failing together do not retry together. */
export function jitter(ms: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(ms * (0.8 + 0.4 * random())));
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
