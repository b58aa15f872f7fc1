import { z } from 'zod';
import { parseDuration } from '../../schema/model.ts';

/**
 * Parses a duration list like `5s,30s,2m,1h` (each item as in the scoring model: ms, s, m, h, d, w);
 * null when any item is not one.
 * @example parseDurations('5s,2m') // [5000, 120000]
 */
export function parseDurations(text: string): number[] | null {
  const out = text.split(',').map((item) => parseDuration(item));
  return out.every((ms) => ms !== undefined) ? out : null;
}

/** Default retry delays after attempts 1, 2, …: 11 attempts over about 23.6 h, then dead letter. */
export const DEFAULT_RETRY_SCHEDULE = '5s,30s,2m,10m,30m,1h,2h,4h,8h,8h';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The notifier's settings, as entries of `ConfigSchema` in server/config.ts (spread it there:
 * `...webhookConfigShape`), so they are parsed with the rest of the environment at start-up.
 */
export const webhookConfigShape = {
  /** Delays between attempts of a delivery (5xx, timeouts, network errors), jittered ±20%; after the last, dead letter. */
  WARMLINE_WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_RETRY_SCHEDULE)
    .transform((v, ctx) => {
      const list = parseDurations(v);
      if (!list || list.length === 0 || list.length > 50) {
        ctx.addIssue({ code: 'custom', message: 'a comma-separated list of 1-50 durations like 5s,30s,2m,1h' });
        return z.NEVER;
      }
      return list;
    }),
  /** Time allowed for a receiver to answer one attempt. */
  WARMLINE_WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** Requests in flight to one endpoint, per notifier process. */
  WARMLINE_WEBHOOK_CONCURRENCY: int(1, 256).default(8),
  /** Auto-disable an endpoint after this many consecutive failed attempts… */
  WARMLINE_WEBHOOK_DISABLE_AFTER_FAILURES: int(1, 1_000_000).default(50),
  /** …spanning at least this long (first failure of the streak to now). */
  WARMLINE_WEBHOOK_DISABLE_AFTER_MS: int(0, 30 * 86_400_000).default(86_400_000),
  /** How long finished deliveries and the attempt log are kept (queryable, replayable). */
  WARMLINE_WEBHOOK_RETENTION_HOURS: int(1, 24 * 90).default(24 * 7),
};
export const WebhookConfig = z.object(webhookConfigShape);
export type WebhookConfig = z.infer<typeof WebhookConfig>;
