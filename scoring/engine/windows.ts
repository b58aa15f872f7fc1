/**
 * Sliding windows over ascending timestamp lists. A timestamp `ts` is inside a window of length
 * `w` at time `now` iff `now − w < ts ≤ now`: exactly `w` old is already out (half-open window).
 */

/** Inserts `t` keeping the list ascending (late events land in place), then keeps the last `keep`. */
export function insert(list: number[], t: number, keep: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1]! > t) i--;
  list.splice(i, 0, t);
  if (list.length > keep) list.splice(0, list.length - keep);
}

/** Drops timestamps that have left the window at `now` (mutates). */
export function prune(list: number[], now: number, w: number): void {
  let i = 0;
  while (i < list.length && list[i]! <= now - w) i++;
  if (i > 0) list.splice(0, i);
}

/** Timestamps inside the window at `now`. */
export function countWithin(list: readonly number[], now: number, w: number): number {
  let n = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    const ts = list[i]!;
    if (ts <= now - w) break;
    if (ts <= now) n++;
  }
  return n;
}

/** When the oldest timestamp inside the window leaves it (the count's next change without events). */
export function nextExpiry(list: readonly number[], now: number, w: number): number {
  for (const ts of list) if (ts > now - w) return ts + w;
  return Infinity;
}

/** Merges two ascending lists, keeping the last `keep`. */
export function mergeLists(a: readonly number[], b: readonly number[], keep: number): number[] {
  const out = [...a, ...b].sort((x, y) => x - y);
  return out.length > keep ? out.slice(out.length - keep) : out;
}
