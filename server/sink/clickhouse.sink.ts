import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { LogKeys } from '../log/keys.ts';
import { trimStreams } from '../log/trim.ts';
import type { Logger } from '../logger.ts';
import { waitReady } from '../redis.ts';
import { backoffMs, sleep } from '../log/backoff.ts';
import { ack, claimIdle, deadLetter, ensureGroups, readNew, touch } from '../log/consumer.ts';
import { parseEntry } from './entries.ts';
import type { LogEntry } from '../log/replies.ts';
import { insertTables } from './insert.ts';
import { groupBy, planSources, readCount, type EntrySize } from './plan.ts';
import { logSource, type SinkSource } from './source.ts';

export { SINK_GROUP, type SinkSource } from './source.ts';

/** Hooks for metrics; called synchronously, must not throw. */
export interface SinkObserver {
  /**
   * A batch was stored and acknowledged: its rows, the time from its first read to its ack, and the
   * part of it spent waiting for ClickHouse's inserts.
   */
  batch(rows: number, ms: number, insertMs: number): void;
  /** Entries moved to a dead-letter stream. */
  deadLettered(n: number): void;
  /** An insert failed for a reason other than its data; the batch is retried after a backoff. */
  retrying?(attempt: number, err: unknown): void;
}

export interface SinkOptions {
  redis: Redis;
  /** A dedicated connection for XREADGROUP BLOCK (see createRedis `blocking`). */
  blocking: Redis;
  clickhouse: ClickHouseClient;
  /** The log's layout; drained as `logSource(keys)` unless `sources` says otherwise. */
  keys: LogKeys;
  /** The streams to drain (default: the log alone). One batch holds entries of all of them. */
  sources?: readonly SinkSource[];
  log: Logger;
  config: Pick<
    Config,
    'WARMLINE_SINK_BATCH_ROWS' | 'WARMLINE_SINK_MAX_AGE_MS' | 'WARMLINE_CLAIM_IDLE_MS' | 'WARMLINE_MAX_DELIVERIES'
  >;
  observer?: SinkObserver;
  /** Unique per process by default. */
  consumer?: string;
  /** How often to trim consumed entries from every source's streams; 0 disables. */
  trimEveryMs?: number;
  /** A batch is also handed over once its lines reach this many characters (default 32 Mi). */
  batchChars?: number;
}

export interface ClickHouseSink {
  readonly consumer: string;
  /** Creates the consumer groups and starts consuming in the background. */
  start(): Promise<void>;
  /**
   * Stops reading, stores and acknowledges what is buffered, resolves. If ClickHouse stays down past
   * `deadlineMs`, gives up retrying: those entries stay pending and a peer (or the next start) claims them.
   */
  stop(deadlineMs?: number): Promise<void>;
}

interface Held {
  entry: LogEntry;
  source: SinkSource;
  /** Staging table → the entry's lines for it, as the producer wrote them. */
  lines: Map<string, string>;
}


interface Batch {
  held: Held[];
  rows: number;
  chars: number;
  startedAt: number;
}

const emptyBatch = (): Batch => ({ held: [], rows: 0, chars: 0, startedAt: 0 });
const key = (e: LogEntry) => `${e.stream}\u0000${e.id}`;

/**
 * Moves per-partition NDJSON streams into ClickHouse (the log by default; see {@link SinkSource}):
 * reads every partition of every source through the source's consumer group, batches rows up to
 * `WARMLINE_SINK_BATCH_ROWS`, `batchChars` or `WARMLINE_SINK_MAX_AGE_MS`, hands their lines to
 * ClickHouse untouched, one insert per staging table (it parses and maps them: see `insertTables`),
 * and acknowledges only after the inserts returned, so a crash loses nothing (entries stay pending
 * and are claimed back).
 *
 * Memory is bounded to two batches over all sources: one being inserted while the next fills; a
 * full batch stops reading until the insert before it is done. While ClickHouse is down the batch is
 * retried with backoff (its entries kept from looking idle to peers). Poison entries — without a
 * known field, refused by ClickHouse for their data (bad JSON, wrong shape, unstorable values: the
 * batch is bisected down to them), or delivered more than `WARMLINE_MAX_DELIVERIES` times — go to
 * their partition's dead-letter stream instead of blocking it. Also trims consumed entries.
 * @example createClickHouseSink({ redis, blocking, clickhouse, keys, sources: sinkSources(keys), log, config })
 */
export function createClickHouseSink(opts: SinkOptions): ClickHouseSink {
  const { redis, blocking, clickhouse, keys, config, observer } = opts;
  const sources = opts.sources ?? [logSource(keys)];
  const consumer = opts.consumer ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const log = opts.log.child({ module: 'sink.clickhouse', consumer });
  const batchRows = config.WARMLINE_SINK_BATCH_ROWS;
  const maxAgeMs = config.WARMLINE_SINK_MAX_AGE_MS;
  const claimEveryMs = Math.min(10_000, Math.max(500, Math.floor(config.WARMLINE_CLAIM_IDLE_MS / 2)));
  const trimEveryMs = opts.trimEveryMs ?? 5_000;
  const batchChars = opts.batchChars ?? 32 * 1024 * 1024;

  const { lanes, sourceOf, reads, tables } = planSources(sources);
  // Entries hold many rows (a log entry: one request's events for a partition): reads are sized by
  // the observed rows and characters per entry of each source, so a batch overshoots its targets by
  // about one read's worth at most.
  const sizes = new Map<SinkSource, EntrySize>(sources.map((s) => [s, { rows: 10, chars: 10_000 }]));

  const held = new Set<string>();
  const giveUp = new AbortController();
  let buffer = emptyBatch();
  let inflight: Promise<void> = Promise.resolve();
  let stopping = false;
  let insertMs = 0; // of the batch being flushed
  let loop: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  let trimTimer: NodeJS.Timeout | undefined;
  let nextClaimAt = 0;

  const full = () => buffer.rows >= batchRows || buffer.chars >= batchChars;

  async function toDeadLetter(source: SinkSource, entry: LogEntry, error: string): Promise<void> {
    try {
      await deadLetter(redis, source, source.group, entry, error);
      observer?.deadLettered(1);
      log.warn({ source: source.name, stream: entry.stream, id: entry.id, error }, 'entry dead-lettered');
    } catch (err) {
      // Still pending: claimed again after the idle time, and dead-lettered then.
      log.error({ err, stream: entry.stream, id: entry.id }, 'dead-lettering failed');
    }
  }

  /** Buffers an entry of `source`, or dead-letters it; returns the rows it added. */
  async function accept(source: SinkSource, entry: LogEntry): Promise<number> {
    const parsed = parseEntry(entry.fields, source.fields);
    if (parsed.kind === 'dlq') {
      await toDeadLetter(source, entry, parsed.reason);
      return 0;
    }
    if (buffer.held.length === 0) buffer.startedAt = Date.now();
    buffer.held.push({ entry, source, lines: parsed.lines });
    buffer.rows += parsed.rows;
    buffer.chars += parsed.chars;
    held.add(key(entry));
    return parsed.rows;
  }

  /** Runs `op` on the entries of `list` grouped by consumer group, concurrently (one call per group). */
  async function perGroup(list: readonly Held[], op: (group: string, entries: LogEntry[]) => Promise<void>): Promise<void> {
    const byGroup = groupBy(list, (h) => h.source.group);
    await Promise.all([...byGroup].map(([group, hs]) => op(group, hs.map((h) => h.entry))));
  }

  /** Acks with retries; on give-up the entries stay pending (a later claim re-inserts: deduped). */
  async function ackWithRetry(list: Held[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await perGroup(list, (group, entries) => ack(redis, group, entries));
        return;
      } catch (err) {
        log.warn({ err, attempt }, 'ack failed, retrying');
        if (giveUp.signal.aborted) return;
        await sleep(backoffMs(attempt), giveUp.signal);
      }
    }
  }

  /** Inserts the lines of `list` as one insert of each staging table. */
  async function insert(list: readonly Held[]) {
    const join = (table: string) =>
      list
        .map((h) => h.lines.get(table) ?? '')
        .filter((t) => t.length > 0)
        .join('\n');
    const t0 = performance.now();
    const outcome = await insertTables(
      clickhouse,
      tables.map((t) => [t, join(t)] as const),
    );
    insertMs += performance.now() - t0;
    return outcome;
  }

  /**
   * Singles out the entries at fault in a list ClickHouse refused (`err`) for its data, by bisection:
   * halves that insert are acknowledged, a refused single entry is dead-lettered with the engine's
   * error (~2·log2(n) inserts for one bad entry among n). Returns the entries not yet stored when
   * ClickHouse went down meanwhile.
   */
  async function bisect(list: Held[], err: unknown): Promise<Held[]> {
    if (list.length === 1) {
      const [only] = list as [Held];
      await toDeadLetter(only.source, only.entry, `clickhouse refused: ${errorText(err)}`);
      return [];
    }
    const halves = [list.slice(0, Math.ceil(list.length / 2)), list.slice(Math.ceil(list.length / 2))] as const;
    for (const [i, half] of halves.entries()) {
      const outcome = await insert(half);
      if (outcome.kind === 'ok') await ackWithRetry(half);
      const left = outcome.kind === 'down' ? half : outcome.kind === 'data' ? await bisect(half, outcome.err) : [];
      if (left.length > 0) return i === 0 ? [...left, ...halves[1]] : left;
    }
    return [];
  }

  async function flush(batch: Batch): Promise<void> {
    let list = batch.held;
    let abandoned = false;
    insertMs = 0;
    try {
      for (let attempt = 1; list.length > 0; ) {
        const outcome = await insert(list);
        if (outcome.kind === 'ok') {
          await ackWithRetry(list);
          break;
        }
        if (outcome.kind === 'data') {
          log.warn({ err: outcome.err, entries: list.length }, 'clickhouse refused a batch; bisecting it to find the entries at fault');
          list = await bisect(list, outcome.err);
          if (list.length === 0) break;
        }
        observer?.retrying?.(attempt, outcome.err);
        log.warn({ err: outcome.err, attempt, rows: batch.rows }, 'clickhouse insert failed, retrying');
        if (giveUp.signal.aborted) {
          log.error({ entries: list.length }, 'stop deadline passed; leaving entries pending');
          abandoned = true;
          break;
        }
        await perGroup(list, (group, entries) => touch(redis, group, consumer, entries)).catch(() => undefined);
        await sleep(backoffMs(attempt++), giveUp.signal);
      }
      if (!abandoned) observer?.batch(batch.rows, Date.now() - batch.startedAt, Math.round(insertMs));
    } finally {
      for (const h of batch.held) held.delete(key(h.entry));
    }
  }

  /** Hands the buffer to the inserter once the previous insert is done (at most one in flight). */
  async function handOff(): Promise<void> {
    await inflight;
    const batch = buffer;
    buffer = emptyBatch();
    inflight =
      batch.held.length === 0
        ? Promise.resolve()
        : flush(batch).catch((err: unknown) => log.error({ err }, 'flush failed; entries stay pending'));
  }

  async function claim(): Promise<void> {
    let more = false;
    for (const lane of lanes) {
      if (full()) break;
      const { source, partition } = lane;
      const { next, entries } = await claimIdle(redis, source, partition, source.group, consumer, {
        minIdleMs: config.WARMLINE_CLAIM_IDLE_MS,
        cursor: lane.cursor,
        count: Math.max(1, Math.min(1_000, batchRows - buffer.rows)),
      });
      lane.cursor = next;
      if (next !== '0-0') more = true;
      for (const entry of entries) {
        if (held.has(key(entry))) continue; // ours, buffered or being retried
        if (entry.deliveries > config.WARMLINE_MAX_DELIVERIES) {
          await toDeadLetter(source, entry, `delivered ${entry.deliveries} times without being stored`);
        } else {
          await accept(source, entry);
        }
      }
      if (entries.length > 0) log.info({ source: source.name, partition, entries: entries.length }, 'claimed idle entries');
    }
    nextClaimAt = more ? Date.now() : Date.now() + claimEveryMs;
  }

  /** Buffers what a read returned, learning each source's entry size. */
  async function acceptRead(entries: readonly LogEntry[]): Promise<void> {
    const seen = new Map<SinkSource, { entries: number; rows: number; chars: number }>();
    for (const entry of entries) {
      const source = sourceOf.get(entry.stream);
      if (!source) continue;
      const charsBefore = buffer.chars;
      const rows = await accept(source, entry);
      const s = seen.get(source) ?? { entries: 0, rows: 0, chars: 0 };
      seen.set(source, { entries: s.entries + 1, rows: s.rows + rows, chars: s.chars + buffer.chars - charsBefore });
    }
    for (const [source, s] of seen) {
      const size = sizes.get(source);
      if (!size || s.rows === 0) continue;
      size.rows = Math.max(1, 0.8 * size.rows + 0.2 * (s.rows / s.entries));
      size.chars = Math.max(1, 0.8 * size.chars + 0.2 * (s.chars / s.entries));
    }
  }

  async function run(): Promise<void> {
    for (let failures = 0; !stopping; ) {
      try {
        const now = Date.now();
        if (full() || (buffer.held.length > 0 && now - buffer.startedAt >= maxAgeMs)) {
          await handOff();
          continue;
        }
        if (now >= nextClaimAt) await claim();
        if (full()) continue;
        const blockMs = buffer.held.length > 0 ? buffer.startedAt + maxAgeMs - now : Math.min(maxAgeMs, 2_000);
        // With several groups, all but the last are polled and the last blocks only when nothing came.
        let got = 0;
        for (const [i, read] of reads.entries()) {
          const entries = await readNew(blocking, read.partitions, read.group, consumer, {
            count: readCount(
              read.sources.map((s) => sizes.get(s) ?? { rows: 1, chars: 1 }),
              { rows: batchRows - buffer.rows, chars: batchChars - buffer.chars },
              lanes.length,
            ),
            ...(i === reads.length - 1 && got === 0 ? { blockMs: Math.min(Math.max(1, blockMs), 2_000, Math.max(1, nextClaimAt - now)) } : {}),
          });
          got += entries.length;
          await acceptRead(entries);
        }
        failures = 0;
      } catch (err) {
        failures++;
        log.error({ err, failures }, 'reading the streams failed');
        await sleep(backoffMs(failures, 100, 5_000));
      }
    }
    await handOff();
    await inflight;
  }

  async function trimOnce(): Promise<void> {
    try {
      for (const source of sources) {
        const streams = lanes.filter((l) => l.source === source).map((l) => l.stream);
        const removed = await trimStreams(redis, streams, source.trimAfter ?? [source.group]);
        if (removed > 0) log.debug({ source: source.name, removed }, 'consumed entries trimmed');
      }
    } catch (err) {
      log.warn({ err }, 'trim failed');
    } finally {
      if (!stopping && trimEveryMs > 0) trimTimer = setTimeout(() => void trimOnce(), trimEveryMs);
    }
  }

  return {
    consumer,
    async start() {
      await Promise.all([waitReady(redis), waitReady(blocking)]);
      for (const read of reads) await ensureGroups(redis, [...read.partitions.keys()], read.group);
      log.info({ sources: sources.map((s) => s.name), streams: lanes.length, batchRows, maxAgeMs }, 'sink started');
      loop = run();
      if (trimEveryMs > 0) trimTimer = setTimeout(() => void trimOnce(), trimEveryMs);
    },
    stop(deadlineMs = 10_000) {
      stopped ??= (async () => {
        stopping = true;
        if (trimTimer) clearTimeout(trimTimer);
        const deadline = setTimeout(() => giveUp.abort(), deadlineMs);
        deadline.unref();
        try {
          await loop;
        } finally {
          clearTimeout(deadline);
          if (trimTimer) clearTimeout(trimTimer);
          log.info('sink stopped');
        }
      })();
      return stopped;
    },
  };
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 1_000);
}
