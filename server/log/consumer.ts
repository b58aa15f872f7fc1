import type { Redis } from 'ioredis';
import type { LogKeys } from '../log/keys.ts';
import { parseAutoclaimReply, parseReadReply, type LogEntry } from './replies.ts';

/** Dead-letter streams keep at most about this many entries each (oldest dropped first). */
const DEAD_LETTER_MAX = 100_000;

/** Creates `group` on every stream (and the stream itself), reading from the start; idempotent. */
export async function ensureGroups(redis: Redis, streams: readonly string[], group: string): Promise<void> {
  for (const stream of streams) {
    try {
      await redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    }
  }
}

/**
 * Reads entries never delivered to the group from every stream of `partitions` (stream → its
 * partition) at once, `count` per stream; waits up to `blockMs` for one when given, else returns at once.
 */
export async function readNew(
  blocking: Redis,
  partitions: ReadonlyMap<string, number>,
  group: string,
  consumer: string,
  opts: { count: number; blockMs?: number },
): Promise<LogEntry[]> {
  const streams = [...partitions.keys()];
  const block = opts.blockMs === undefined ? [] : ['BLOCK', String(Math.max(1, Math.round(opts.blockMs)))];
  const reply = await blocking.call(
    'XREADGROUP',
    'GROUP',
    group,
    consumer,
    'COUNT',
    String(opts.count),
    ...block,
    'STREAMS',
    ...streams,
    ...streams.map(() => '>'),
  );
  return parseReadReply(reply, partitions);
}

/**
 * Takes over entries another consumer left pending longer than `minIdleMs` (a crashed peer), from
 * `cursor` on. Returns the next cursor (`0-0` when the stream was scanned to its end) and the entries
 * with their delivery counts, so entries that keep failing can be dead-lettered.
 */
export async function claimIdle(
  redis: Redis,
  keys: Pick<LogKeys, 'stream'>,
  partition: number,
  group: string,
  consumer: string,
  opts: { minIdleMs: number; cursor: string; count: number },
): Promise<{ next: string; entries: Array<LogEntry & { deliveries: number }> }> {
  const stream = keys.stream(partition);
  const reply = await redis.call(
    'XAUTOCLAIM',
    stream,
    group,
    consumer,
    String(opts.minIdleMs),
    opts.cursor,
    'COUNT',
    String(opts.count),
  );
  const { next, entries } = parseAutoclaimReply(reply);
  if (entries.length === 0) return { next, entries: [] };
  const deliveries = await deliveryCounts(redis, stream, group, consumer, entries[0]?.[0] ?? '-', entries.at(-1)?.[0] ?? '+');
  return {
    next,
    entries: entries.map(([id, fields]) => ({ stream, partition, id, fields, deliveries: deliveries.get(id) ?? 1 })),
  };
}

async function deliveryCounts(
  redis: Redis,
  stream: string,
  group: string,
  consumer: string,
  from: string,
  to: string,
): Promise<Map<string, number>> {
  const reply = await redis.call('XPENDING', stream, group, from, to, '100000', consumer);
  const out = new Map<string, number>();
  if (!Array.isArray(reply)) return out;
  for (const row of reply as unknown[]) {
    if (Array.isArray(row) && typeof row[0] === 'string') out.set(row[0], Number(row[3]));
  }
  return out;
}

/**
 * Takes over every entry of `group` pending on a partition, whoever held it: for a consumer that was
 * just given the partition (its previous owner can no longer write, being fenced by its lease).
 */
export async function claimAllPending(
  redis: Redis,
  keys: Pick<LogKeys, 'stream'>,
  partition: number,
  group: string,
  consumer: string,
): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  let cursor = '0-0';
  do {
    const claimed = await claimIdle(redis, keys, partition, group, consumer, { minIdleMs: 0, cursor, count: 1_000 });
    out.push(...claimed.entries);
    cursor = claimed.next;
  } while (cursor !== '0-0');
  return out;
}

/** Acknowledges entries, one XACK per stream, in one round trip. */
export async function ack(redis: Redis, group: string, entries: readonly LogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const byStream = groupByStream(entries);
  const pipe = redis.pipeline();
  for (const [stream, ids] of byStream) pipe.call('XACK', stream, group, ...ids);
  const results = (await pipe.exec()) ?? [];
  const failed = results.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}

/**
 * Keeps entries we hold (buffered, or being retried while ClickHouse is down) from looking idle, so
 * no peer claims and inserts them a second time. Does not count as a delivery.
 */
export async function touch(redis: Redis, group: string, consumer: string, entries: readonly LogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const pipe = redis.pipeline();
  for (const [stream, ids] of groupByStream(entries)) pipe.call('XCLAIM', stream, group, consumer, '0', ...ids, 'JUSTID');
  await pipe.exec();
}

/**
 * Moves a poison entry to its partition's dead-letter stream (original fields + `error` + `source_id`)
 * and acknowledges it, atomically (both keys share the partition's hash tag), so the partition moves on.
 */
export async function deadLetter(redis: Redis, keys: Pick<LogKeys, 'deadLetter'>, group: string, entry: LogEntry, error: string): Promise<void> {
  const fields = entry.fields.length % 2 === 0 ? entry.fields : entry.fields.slice(0, -1);
  const results = await redis
    .multi()
    .call('XADD', keys.deadLetter(entry.partition), 'MAXLEN', '~', String(DEAD_LETTER_MAX), '*', ...fields, 'error', error.slice(0, 2000), 'source_id', entry.id)
    .call('XACK', entry.stream, group, entry.id)
    .exec();
  const failed = (results ?? []).find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}

function groupByStream(entries: readonly LogEntry[]): Map<string, string[]> {
  const byStream = new Map<string, string[]>();
  for (const e of entries) {
    const ids = byStream.get(e.stream);
    if (ids) ids.push(e.id);
    else byStream.set(e.stream, [e.id]);
  }
  return byStream;
}
