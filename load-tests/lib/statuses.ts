/** Reading a load stage's answers: the status breakdown the summaries print and the non-2xx count. */
import type { StageResult } from '../bench-ingest.ts';

/** `status_<code>` per status answered, plus errors and timeouts: the summary's breakdown. */
export const statusMetrics = (r: Pick<StageResult, 'statuses' | 'errors' | 'timeouts'>): Record<string, number> => ({
  ...Object.fromEntries(Object.entries(r.statuses).map(([s, n]) => [`status_${s}`, n])),
  http_errors: r.errors,
  http_timeouts: r.timeouts,
});

/** Requests answered with anything but 2xx, plus connection errors and timeouts. */
export const non2xx = (r: Pick<StageResult, 'statuses' | 'errors' | 'timeouts'>) =>
  Object.entries(r.statuses).reduce((n, [s, c]) => (s.startsWith('2') ? n : n + c), 0) + r.errors + r.timeouts;

