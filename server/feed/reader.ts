import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { Signal } from '../../schema/signal.ts';
import type { Logger } from '../logger.ts';
import { compareIds, encodeCursor, type Position } from './cursor.ts';

/** The field of a signals entry holding the Signal JSON (scoring/runtime writes it). */
export const SIGNAL_FIELD = 'sg';

/** One signal read from a partition, with the feed position right after it. */
export interface FeedItem {
  partition: number;
  id: string;
  signal: Signal;
  /** Position after this item: every partition's last id read up to and including it. */
  pos: Position;
  cursor: string;
  /** The `signal` message with `cursor`, encoded once for every connection that shares it. */
  frame?: Buffer;
}

/** Parses one stream entry; null (logged by the caller) when the entry holds no valid signal. */
export function parseSignalEntry(fields: readonly string[]): Signal | null {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== SIGNAL_FIELD) continue;
    try {
      const parsed = Signal.safeParse(JSON.parse(fields[i + 1]!));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
  return null;
}

type XReadReply = [stream: string, entries: [id: string, fields: string[]][]][] | null;

/**
 * The process's one reader of the signals streams: XREAD BLOCK over every partition on a dedicated
 * connection, starting at the streams' ends, handing items in id order to `dispatch`. Each process
 * serving the feed runs its own, so nothing depends on which process a client reaches.
 */
export class SignalReader {
  private position: Position = [];
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly blocking: Redis,
    private readonly streams: readonly string[],
    private readonly dispatch: (items: FeedItem[]) => void,
    private readonly log: Logger,
    private readonly opts: { blockMs: number; count: number },
  ) {}

  /** Where the reader stands: everything up to it has been dispatched. */
  get pos(): Position {
    return this.position;
  }

  /** Positions the reader at the current end of every stream and starts reading. */
  async start(): Promise<void> {
    const last = await Promise.all(this.streams.map((s) => this.blocking.xrevrange(s, '+', '-', 'COUNT', 1)));
    this.position = last.map((entries) => entries[0]?.[0] ?? '0-0');
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    // The blocking read returns within blockMs; disconnecting cuts it short.
    this.blocking.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let reply: XReadReply;
      try {
        reply = (await this.blocking.xread('COUNT', this.opts.count, 'BLOCK', this.opts.blockMs, 'STREAMS', ...this.streams, ...this.position));
        failures = 0;
      } catch (err) {
        if (!this.running) return;
        failures++;
        if (failures === 1 || failures % 20 === 0) this.log.warn({ err, failures }, 'feed: reading the signals streams failed; retrying');
        await sleep(Math.min(100 * 2 ** Math.min(failures, 5), 2_000));
        continue;
      }
      if (!reply || !this.running) continue;
      this.dispatch(this.itemsOf(reply));
    }
  }

  /** Turns a reply into items merged in id order, advancing the position one item at a time. */
  private itemsOf(reply: NonNullable<XReadReply>): FeedItem[] {
    const raw: { partition: number; id: string; fields: string[] }[] = [];
    for (const [stream, entries] of reply) {
      const partition = this.streams.indexOf(stream);
      for (const [id, fields] of entries) raw.push({ partition, id, fields });
    }
    // Stable: ids of one partition keep their order; partitions interleave by time.
    raw.sort((a, b) => compareIds(a.id, b.id));
    const items: FeedItem[] = [];
    let pos = this.position;
    for (const { partition, id, fields } of raw) {
      const next = pos.slice();
      next[partition] = id;
      pos = next;
      const signal = parseSignalEntry(fields);
      if (!signal) {
        this.log.warn({ partition, id }, 'feed: skipping a signals entry without a valid signal');
        continue;
      }
      items.push({ partition, id, signal, pos, cursor: encodeCursor(pos) });
    }
    this.position = pos;
    return items;
  }
}
