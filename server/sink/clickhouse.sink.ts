import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { LogKeys } from '../log/keys.ts';
import { trimLog } from '../log/trim.ts';
import type { Logger } from '../logger.ts';
import { waitReady } from '../redis.ts';
import { backoffMs, sleep } from './backoff.ts';
import { ack, claimIdle, deadLetter, ensureGroups, readNew, touch } from './consumer.ts';
import { parseEntry, type LogEntry } from './entries.ts';
import { insertLines } from './insert.ts';

/** The consumer group of the ClickHouse sink on every partition stream. */
export const SINK_GROUP = 'sink';

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
  keys: LogKeys;
  log: Logger;
  config: Pick<
    Config,
    'WARMLINE_SINK_BATCH_ROWS' | 'WARMLINE_SINK_MAX_AGE_MS' | 'WARMLINE_CLAIM_IDLE_MS' | 'WARMLINE_MAX_DELIVERIES'
  >;
  observer?: SinkObserver;
  /** Unique per process by default. */
  consumer?: string;
  /** How often to trim consumed entries from the log; 0 disables. */
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
  /** The entry's lines, as the collector wrote them. */
  events: string;
  rejects: string;
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
 * Moves the log into ClickHouse: reads every partition through the consumer group `sink`, batches
 * rows up to `WARMLINE_SINK_BATCH_ROWS`, `batchChars` or `WARMLINE_SINK_MAX_AGE_MS`, hands their lines
 * to ClickHouse untouched (it parses and maps them: see `insertLines`), and acknowledges only
 * after the insert returned, so a crash loses nothing (entries stay pending and are claimed back).
 *
 * Memory is bounded to two batches: one being inserted while the next fills; a full batch stops
 * reading until the insert before it is done. While ClickHouse is down the batch is retried with
 * backoff (its entries kept from looking idle to peers). Poison entries — without lines, refused by
 * ClickHouse for their data (bad JSON, wrong shape, unstorable values: the batch is bisected down to
 * them), or delivered more than `WARMLINE_MAX_DELIVERIES` times — go to the partition's dead-letter
 * stream instead of blocking it. Also trims consumed entries from the log.
 */
export function createClickHouseSink(opts: SinkOptions): ClickHouseSink {
  const { redis, blocking, clickhouse, keys, config, observer } = opts;
  const consumer = opts.consumer ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const log = opts.log.child({ module: 'sink.clickhouse', consumer });
  const batchRows = config.WARMLINE_SINK_BATCH_ROWS;
  const maxAgeMs = config.WARMLINE_SINK_MAX_AGE_MS;
  const claimEveryMs = Math.min(10_000, Math.max(500, Math.floor(config.WARMLINE_CLAIM_IDLE_MS / 2)));
  const trimEveryMs = opts.trimEveryMs ?? 5_000;
  const batchChars = opts.batchChars ?? 32 * 1024 * 1024;

  const held = new Set<string>();
  const giveUp = new AbortController();
  const cursors = keys.streams().map(() => '0-0');
  let buffer = emptyBatch();
  let inflight: Promise<void> = Promise.resolve();
  let stopping = false;
  let insertMs = 0; // of the batch being flushed
  let loop: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  let trimTimer: NodeJS.Timeout | undefined;
  let nextClaimAt = 0;
  // Entries hold many rows (one request's events for a partition): reads are sized by the observed
  // rows and characters per entry, so a batch overshoots its targets by about one read's worth at most.
  let rowsPerEntry = 10;
  let charsPerEntry = 10_000;

  const full = () => buffer.rows >= batchRows || buffer.chars >= batchChars;

  async function toDeadLetter(entry: LogEntry, error: string): Promise<void> {
    try {
      await deadLetter(redis, keys, SINK_GROUP, entry, error);
      observer?.deadLettered(1);
      log.warn({ stream: entry.stream, id: entry.id, error }, 'entry dead-lettered');
    } catch (err) {
      // Still pending: claimed again after the idle time, and dead-lettered then.
      log.error({ err, stream: entry.stream, id: entry.id }, 'dead-lettering failed');
    }
  }

  async function accept(entry: LogEntry): Promise<void> {
    const parsed = parseEntry(entry.fields);
    if (parsed.kind === 'dlq') return toDeadLetter(entry, parsed.reason);
    if (buffer.held.length === 0) buffer.startedAt = Date.now();
    buffer.held.push({ entry, events: parsed.events, rejects: parsed.rejects });
    buffer.rows += parsed.rows;
    buffer.chars += parsed.chars;
    held.add(key(entry));
  }

  /** Acks with retries; on give-up the entries stay pending (a later claim re-inserts: deduped). */
  async function ackWithRetry(list: Held[]): Promise<void> {
    const entries = list.map((h) => h.entry);
    for (let attempt = 1; ; attempt++) {
      try {
        await ack(redis, SINK_GROUP, entries);
        return;
      } catch (err) {
        log.warn({ err, attempt }, 'ack failed, retrying');
        if (giveUp.signal.aborted) return;
        await sleep(backoffMs(attempt), giveUp.signal);
      }
    }
  }

  /** Inserts the lines of `list` as one insert of each table. */
  async function insert(list: readonly Held[]) {
    const join = (pick: (h: Held) => string) =>
      list
        .map(pick)
        .filter((t) => t.length > 0)
        .join('\n');
    const t0 = performance.now();
    const outcome = await insertLines(clickhouse, { events: join((h) => h.events), rejects: join((h) => h.rejects) });
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
      await toDeadLetter((list[0] as Held).entry, `clickhouse refused: ${errorText(err)}`);
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
        await touch(redis, SINK_GROUP, consumer, list.map((h) => h.entry)).catch(() => undefined);
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
    for (let p = 0; p < keys.partitions && !full(); p++) {
      const { next, entries } = await claimIdle(redis, keys, p, SINK_GROUP, consumer, {
        minIdleMs: config.WARMLINE_CLAIM_IDLE_MS,
        cursor: cursors[p] ?? '0-0',
        count: Math.max(1, Math.min(1_000, batchRows - buffer.rows)),
      });
      cursors[p] = next;
      if (next !== '0-0') more = true;
      for (const entry of entries) {
        if (held.has(key(entry))) continue; // ours, buffered or being retried
        if (entry.deliveries > config.WARMLINE_MAX_DELIVERIES) {
          await toDeadLetter(entry, `delivered ${entry.deliveries} times without being stored`);
        } else {
          await accept(entry);
        }
      }
      if (entries.length > 0) log.info({ partition: p, entries: entries.length }, 'claimed idle entries');
    }
    nextClaimAt = more ? Date.now() : Date.now() + claimEveryMs;
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
        const entries = await readNew(blocking, keys, SINK_GROUP, consumer, {
          count: Math.max(
            1,
            Math.min(
              10_000,
              Math.floor((batchRows - buffer.rows) / keys.partitions / rowsPerEntry),
              Math.floor((batchChars - buffer.chars) / keys.partitions / charsPerEntry),
            ),
          ),
          blockMs: Math.min(Math.max(1, blockMs), 2_000, Math.max(1, nextClaimAt - now)),
        });
        const [rowsBefore, charsBefore] = [buffer.rows, buffer.chars];
        for (const entry of entries) await accept(entry);
        if (entries.length > 0 && buffer.rows > rowsBefore) {
          rowsPerEntry = Math.max(1, 0.8 * rowsPerEntry + 0.2 * ((buffer.rows - rowsBefore) / entries.length));
          charsPerEntry = Math.max(1, 0.8 * charsPerEntry + 0.2 * ((buffer.chars - charsBefore) / entries.length));
        }
        failures = 0;
      } catch (err) {
        failures++;
        log.error({ err, failures }, 'reading the log failed');
        await sleep(backoffMs(failures, 100, 5_000));
      }
    }
    await handOff();
    await inflight;
  }

  async function trimOnce(): Promise<void> {
    try {
      const removed = await trimLog(redis, keys);
      if (removed > 0) log.debug({ removed }, 'log trimmed');
    } catch (err) {
      log.warn({ err }, 'log trim failed');
    } finally {
      if (!stopping && trimEveryMs > 0) trimTimer = setTimeout(() => void trimOnce(), trimEveryMs);
    }
  }

  return {
    consumer,
    async start() {
      await Promise.all([waitReady(redis), waitReady(blocking)]);
      await ensureGroups(redis, keys.streams(), SINK_GROUP);
      log.info({ partitions: keys.partitions, batchRows, maxAgeMs }, 'sink started');
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
