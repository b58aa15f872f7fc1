import type { AnalyticsQuery } from '../../schema/dashboard.ts';

/** A dashboard query's time window, `[from, to)`. */
export interface Window {
  from: Date;
  to: Date;
}

export const DEFAULT_WINDOW_DAYS = 30;
/** Longest window served: a year of days keeps the per-day series and the scans bounded. */
export const MAX_WINDOW_DAYS = 366;
const DAY_MS = 86_400_000;

/**
 * The window of a query: `to` defaults to now, `from` to 30 days before `to`. Refuses an empty or
 * reversed window and one longer than {@link MAX_WINDOW_DAYS}, with a message naming the problem.
 */
export function resolveWindow(q: Pick<AnalyticsQuery, 'from' | 'to'>, now = Date.now()): { ok: true; window: Window } | { ok: false; reason: string } {
  const to = q.to === undefined ? now : Date.parse(q.to);
  const from = q.from === undefined ? to - DEFAULT_WINDOW_DAYS * DAY_MS : Date.parse(q.from);
  if (!(from < to)) return { ok: false, reason: 'from must be before to' };
  if (to - from > MAX_WINDOW_DAYS * DAY_MS) return { ok: false, reason: `the window may span at most ${MAX_WINDOW_DAYS} days` };
  return { ok: true, window: { from: new Date(from), to: new Date(to) } };
}

/** A ClickHouse `DateTime64(3, 'UTC')` parameter value. */
export const chTime = (t: Date | number) => new Date(t).toISOString().replace('T', ' ').replace('Z', '');
