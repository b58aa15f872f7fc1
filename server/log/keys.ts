/**
 * Redis key layout of the log. Every key of a partition carries the hash tag `{p<n>}` so a partition's
 * stream, dedupe keys and dead letters live in one Redis Cluster slot (one Lua script can touch them
 * all) while different partitions spread over the cluster.
 */
export interface LogKeys {
  readonly prefix: string;
  readonly partitions: number;
  stream(partition: number): string;
  dedupe(partition: number, workspaceId: string, messageId: string): string;
  deadLetter(partition: number): string;
  /** Every partition's stream, in partition order. */
  streams(): string[];
}

export function logKeys(prefix: string, partitions: number): LogKeys {
  const tag = (p: number) => `${prefix}:{p${p}}`;
  return {
    prefix,
    partitions,
    stream: (p) => `${tag(p)}:log`,
    dedupe: (p, ws, id) => `${tag(p)}:dd:${ws}:${id}`,
    deadLetter: (p) => `${tag(p)}:dlq`,
    streams: () => Array.from({ length: partitions }, (_, p) => `${tag(p)}:log`),
  };
}

/** The partition of a user key: FNV-1a over its UTF-16 code units, so every process agrees. */
export function partitionOf(userKey: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userKey.length; i++) {
    h ^= userKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/**
 * Fields of one log entry. An entry holds the events of one request that fall in one partition,
 * so Redis work is paid per request and partition, not per event.
 * - `ev`: newline-delimited StoredEvent JSON (schema/stored-event.ts), at least one line, or absent;
 * - `rj`: newline-delimited RejectedEvent JSON, or absent.
 */
export const ENTRY_EVENTS = 'ev';
export const ENTRY_REJECTS = 'rj';

/**
 * Consumer groups that read the log; an entry is trimmed only once all of them acknowledged it (a
 * group missing on a stream holds its trimming back). The collector creates them at start, so
 * events wait for a consumer role that starts later.
 */
export const LOG_GROUPS = ['sink', 'scorer'] as const;
