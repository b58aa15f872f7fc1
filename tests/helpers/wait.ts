import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it returns a value other than false/undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | false | undefined> | T | false | undefined,
  { timeoutMs = 30_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== false && v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    await sleep(intervalMs);
  }
}
