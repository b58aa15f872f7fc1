import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import { WebSocket, type RawData } from 'ws';
import { FeedClientMessage, FeedCloseCode, type FeedFilters, type FeedServerMessage, type SubscribeMessage } from '../../schema/feed.ts';
import type { Signal } from '../../schema/signal.ts';
import type { Logger } from '../logger.ts';
import { compareIds, decodeCursor, encodeCursor, maxPosition, type Position } from './cursor.ts';
import type { FeedMetrics } from './metrics.ts';
import type { FeedItem } from './reader.ts';
import { replay, trimmedSince } from './replay.ts';

/** Limits of one connection; see `FeedOptions` for what each bounds. */
export interface ConnectionLimits {
  maxBufferedBytes: number;
  maxQueued: number;
  replayPageSize: number;
  heartbeatMs: number;
}

export interface ConnectionContext {
  redis: Redis;
  streams: readonly string[];
  /** The reader's position: every item up to it has been offered to live connections. */
  readerPos: () => Position;
  replaySlots: Slots;
  limits: ConnectionLimits;
  metrics: FeedMetrics;
  log: Logger;
}

/** A counting semaphore: bounds the replays (and their pages in memory) running at once. */
export class Slots {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** Whether a signal passes a subscriber's filters. */
export function matches(filters: FeedFilters, signal: Signal): boolean {
  if (filters.kinds && !filters.kinds.includes(signal.kind)) return false;
  if (filters.minScore !== undefined && signal.score < filters.minScore) return false;
  if (filters.segments && (signal.segment === undefined || !filters.segments.includes(signal.segment))) return false;
  return true;
}

const CORK_FLUSH_BYTES = 64 * 1024;

type State = 'idle' | 'replaying' | 'live' | 'closed';

/**
 * One feed socket of a workspace. Live items arrive through `offer` (from the process's reader); a
 * subscription with `since` replays the gap first while live items wait in a bounded queue, then the
 * queue drains: items at or before the connection's `floor` were already sent (by the replay, or by
 * another process before a reconnect) and are skipped, so replay and live neither overlap nor leave a gap.
 */
export class FeedConnection {
  alive = true;
  private state: State = 'idle';
  private filters: FeedFilters = {};
  /** Per partition, the last id this client has been given (or declared seen by its cursor). */
  private floor: Position = [];
  /** True while the floor may be ahead of the reader somewhere, so cursors need a merge. */
  private floorAhead = false;
  private queue: FeedItem[] = [];
  private generation = 0;

  private corked = false;

  constructor(
    readonly ws: WebSocket,
    /** The TCP socket under `ws`: corked while a batch of items is offered, so a batch costs one write. */
    private readonly socket: Duplex,
    readonly workspaceId: string,
    private readonly ctx: ConnectionContext,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  get phase(): State {
    return this.state;
  }

  /** Holds writes until `uncork`: the reader offers items in batches. */
  cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  /** A live item of this connection's workspace. */
  offer(item: FeedItem): void {
    if (this.state === 'live') this.deliver(item);
    else if (this.state === 'replaying') {
      this.queue.push(item);
      if (this.queue.length > this.ctx.limits.maxQueued) this.slow(`more than ${this.ctx.limits.maxQueued} signals waiting while replaying`);
    }
  }

  /** The position a resume from now should start at, once live. */
  cursor(): string | undefined {
    if (this.state !== 'live') return undefined;
    return encodeCursor(this.floorAhead ? maxPosition(this.floor, this.ctx.readerPos()) : this.ctx.readerPos());
  }

  heartbeat(): void {
    const cursor = this.cursor();
    this.send({ type: 'heartbeat', at: new Date().toISOString(), ...(cursor ? { cursor } : {}) });
  }

  closed(): void {
    this.setState('closed');
    this.queue = [];
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.alive = true;
    let json: unknown;
    try {
      json = isBinary ? undefined : JSON.parse(rawText(data));
    } catch {
      json = undefined;
    }
    const parsed = FeedClientMessage.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      this.send({ type: 'error', code: 'bad_message', message: json === undefined ? 'send JSON text frames' : `${where}${issue?.message ?? 'invalid message'}` });
      return;
    }
    if (parsed.data.type === 'ping') this.heartbeat();
    else {
      const generation = ++this.generation;
      this.subscribe(parsed.data, generation).catch((err: unknown) => {
        if (generation !== this.generation || this.state === 'closed') return;
        this.ctx.log.warn({ err }, 'feed: subscription failed');
        this.setState('idle');
        this.queue = [];
        this.send({ type: 'error', code: 'unavailable', message: 'could not read the signals streams; subscribe again later' });
      });
    }
  }

  private async subscribe(msg: SubscribeMessage, generation: number): Promise<void> {
    const { since, type: _type, ...filters } = msg;
    let from: Position | undefined;
    if (since) {
      const decoded = decodeCursor(since, this.ctx.streams.length);
      if (!decoded.ok) return void this.send({ type: 'error', code: 'bad_cursor', message: decoded.reason });
      from = decoded.pos;
    }
    this.filters = filters;
    // Taken synchronously with the state change: live items after `to` are queued from here on.
    const to = this.ctx.readerPos();
    if (!from) {
      // Re-subscribing to change filters keeps what this client was already given.
      const start = this.state === 'live' ? maxPosition(this.floor, to) : to;
      this.goLive(start);
      this.send({ type: 'subscribed', cursor: encodeCursor(start), missed: false, heartbeatMs: this.ctx.limits.heartbeatMs });
      return;
    }
    this.setState('replaying');
    this.queue = [];
    const missed = await trimmedSince(this.ctx.redis, this.ctx.streams, from);
    if (generation !== this.generation || this.state === 'closed') return;
    const start = maxPosition(from, to);
    this.send({ type: 'subscribed', cursor: encodeCursor(start), missed, heartbeatMs: this.ctx.limits.heartbeatMs });
    const release = await this.ctx.replaySlots.acquire();
    try {
      const at = from.slice();
      for await (const item of replay(this.ctx.redis, this.ctx.streams, from, to, this.ctx.limits.replayPageSize)) {
        if (generation !== this.generation || this.state !== 'replaying') return;
        at[item.partition] = item.id;
        if (item.signal?.workspaceId === this.workspaceId && matches(this.filters, item.signal)) {
          this.send({ type: 'signal', cursor: encodeCursor(at), signal: item.signal });
          if (!(await this.drained())) return this.slow('the client did not read its replay');
        }
      }
    } finally {
      release();
    }
    if (generation !== this.generation || this.state !== 'replaying') return;
    const queued = this.queue;
    this.queue = [];
    this.goLive(start);
    for (const item of queued) this.deliver(item);
  }

  private goLive(floor: Position): void {
    this.floor = floor;
    this.floorAhead = true;
    this.queue = [];
    this.setState('live');
  }

  private setState(state: State): void {
    if (this.state === 'replaying' || this.state === 'live') this.ctx.metrics.connections.dec({ state: this.state });
    if (state === 'replaying' || state === 'live') this.ctx.metrics.connections.inc({ state });
    this.state = state;
  }

  private deliver(item: FeedItem): void {
    if (compareIds(item.id, this.floor[item.partition] ?? '0-0') <= 0) return;
    if (!matches(this.filters, item.signal)) return;
    if (this.floorAhead) {
      if (this.floor.some((id, p) => compareIds(id, item.pos[p] ?? '0-0') > 0)) {
        return this.send({ type: 'signal', cursor: encodeCursor(maxPosition(this.floor, item.pos)), signal: item.signal });
      }
      this.floorAhead = false; // the reader has passed the floor everywhere: it never falls behind again
    }
    // The common case: every live connection of the workspace shares one serialized frame.
    item.frame ??= Buffer.from(JSON.stringify({ type: 'signal', cursor: item.cursor, signal: item.signal } satisfies FeedServerMessage));
    this.sendFrame(item.frame, true);
  }

  private send(msg: FeedServerMessage): void {
    this.sendFrame(Buffer.from(JSON.stringify(msg)), msg.type === 'signal');
  }

  /** Sends unless the socket's buffer is past its bound, in which case the client is cut off. */
  private sendFrame(frame: Buffer, isSignal: boolean): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.state === 'closed') return;
    if (this.ws.bufferedAmount > this.ctx.limits.maxBufferedBytes) return this.slow(`more than ${this.ctx.limits.maxBufferedBytes} bytes unsent`);
    this.ws.send(frame, { binary: false });
    if (isSignal) this.ctx.metrics.sent.inc();
    // Corked bytes count as unsent: flush a large batch early rather than take it for a slow client.
    if (this.corked && this.ws.bufferedAmount > CORK_FLUSH_BYTES) {
      this.socket.uncork();
      this.socket.cork();
    }
  }

  /** Replay paces itself: waits while the socket holds over half its bound (false after 10 s of no progress). */
  private async drained(): Promise<boolean> {
    const limit = this.ctx.limits.maxBufferedBytes / 2;
    const deadline = Date.now() + 10_000;
    while (this.ws.bufferedAmount > limit) {
      if (Date.now() > deadline || this.ws.readyState !== WebSocket.OPEN) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  private slow(why: string): void {
    if (this.state === 'closed') return;
    this.setState('closed');
    this.queue = [];
    this.ctx.metrics.disconnects.inc({ reason: 'slow_consumer' });
    this.ctx.log.info({ workspaceId: this.workspaceId, why }, 'feed: cutting off a slow consumer');
    // Best effort: the client may never read it. Nothing else is queued after the close frame, and a
    // peer that does not answer the close is destroyed, so the buffer is released either way.
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'slow_consumer', message: why } satisfies FeedServerMessage));
    this.ws.close(FeedCloseCode.slowConsumer, 'slow consumer');
    setTimeout(() => this.ws.terminate(), 2_000).unref();
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
