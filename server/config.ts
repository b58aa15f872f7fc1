import { z } from 'zod';
import { webhookConfigShape } from './webhooks/settings.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Every setting Warmline reads from its environment; nothing else reads `process.env`. */
export const ConfigSchema = z.object({
  PORT: int(0, 65_535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  CLICKHOUSE_URL: z.url({ protocol: /^https?$/ }).optional(),
  WARMLINE_DATA_DIR: z.string().min(1).default('./.warmline'),
  /** Cap for the embedded engine's memory; it would otherwise take 90% of RAM. */
  WARMLINE_CLICKHOUSE_MAX_MEMORY_MB: int(256, 1_000_000).default(2048),
  WARMLINE_REDIS_PREFIX: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lowercase letters, digits, - and _ only').default('wl'),
  WARMLINE_PARTITIONS: int(1, 1024).default(8),
  /** Entries (one per request and partition) a partition's stream may hold unconsumed before the collector sheds. */
  WARMLINE_LOG_MAX_ENTRIES: int(100, 100_000_000).default(200_000),
  WARMLINE_DEDUPE_HOURS: int(24, 24 * 30).default(25),
  WARMLINE_DEV_WRITE_KEY: z.string().min(8).optional(),
  WARMLINE_DEV_SECRET_KEY: z.string().min(8).optional(),
  /** Proxy hops in front of the collector whose X-Forwarded-For entries are trusted (0: use the socket address). */
  WARMLINE_TRUSTED_PROXIES: int(0, 10).default(0),
  WARMLINE_ANONYMIZE_IP: bool.default(true),
  /** Requests being processed at once before the collector answers 429: bounds memory under overload. */
  WARMLINE_MAX_INFLIGHT: int(1, 100_000).default(256),
  /** Event-loop lag (ms) past which requests from sockets are shed with 429 before their body is read (0 disables). */
  WARMLINE_MAX_EVENT_LOOP_LAG_MS: int(0, 60_000).default(200),
  /** Per write key, per process: sustained events/s and burst (0 disables). */
  WARMLINE_RATE_LIMIT_EPS: int(0, 10_000_000).default(50_000),
  WARMLINE_RATE_LIMIT_BURST: int(1, 100_000_000).default(200_000),
  WARMLINE_SINK_BATCH_ROWS: int(1, 1_000_000).default(20_000),
  WARMLINE_SINK_MAX_AGE_MS: int(10, 600_000).default(1_000),
  /** Entries left pending this long by a consumer are claimed by another (the owner is presumed dead). */
  WARMLINE_CLAIM_IDLE_MS: int(1_000, 86_400_000).default(30_000),
  /** Deliveries of one log entry before it is dead-lettered. */
  WARMLINE_MAX_DELIVERIES: int(1, 1_000).default(10),
  /** Partition leases of the scorer: a dead scorer's partitions move to the others after this long. */
  WARMLINE_LEASE_TTL_MS: int(500, 600_000).default(10_000),
  /** The scoring model file (YAML or JSON, validated at start: a bad one stops the process). */
  WARMLINE_MODEL: z.string().min(1).default('scoring/models/b2b-saas.yaml'),
  ...webhookConfigShape,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type Config = z.infer<typeof ConfigSchema>;

/** A configuration error: names each bad variable and why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses the environment once at start-up.
 * @example const config = loadConfig(); // throws ConfigError naming e.g. "PORT: Too big: expected number to be <=65535"
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(ConfigSchema.shape).flatMap((k) => (env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]])),
  );
  const parsed = ConfigSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
