import type { Redis } from 'ioredis';
import type { Signal } from '../../schema/signal.ts';
import { compareIds, type Position } from './cursor.ts';
import { parseSignalEntry } from './reader.ts';

export interface ReplayItem {
  partition: number;
  id: string;
  /** Null for an entry without a valid signal: it still advances the position. */
  signal: Signal | null;
}

/**
 * The signals after `from` up to and including `to`, partition by partition, merged in id order
 * (a k-way merge over pages, so memory stays at one page per partition whatever the gap).
 */
export async function* replay(redis: Redis, streams: readonly string[], from: Position, to: Position, pageSize: number): AsyncGenerator<ReplayItem> {
  const pages: ReplayItem[][] = streams.map(() => []);
  const after = from.slice();
  const done = streams.map((_, p) => compareIds(from[p] ?? '0-0', to[p] ?? '0-0') >= 0);
  const fill = async (p: number) => {
    const entries = await redis.xrange(streams[p]!, `(${after[p]}`, to[p]!, 'COUNT', pageSize);
    if (entries.length < pageSize) done[p] = true;
    const last = entries.at(-1);
    if (last) after[p] = last[0];
    pages[p] = entries.map(([id, fields]) => ({ partition: p, id, signal: parseSignalEntry(fields) }));
  };
  await Promise.all(streams.flatMap((_, p) => (done[p] ? [] : [fill(p)])));
  for (;;) {
    let best = -1;
    for (let p = 0; p < streams.length; p++) {
      const head = pages[p]![0];
      if (head && (best < 0 || compareIds(head.id, pages[best]![0]!.id) < 0)) best = p;
    }
    if (best < 0) return;
    const item = pages[best]!.shift()!;
    if (pages[best]!.length === 0 && !done[best]) await fill(best);
    yield item;
  }
}

/**
 * True when entries after `from` were already trimmed from some partition (Redis 7's
 * `max-deleted-entry-id`), i.e. a resuming client has lost signals to the retention window.
 */
export async function trimmedSince(redis: Redis, streams: readonly string[], from: Position): Promise<boolean> {
  const infos = await Promise.all(
    streams.map(async (s) => {
      try {
        return (await redis.call('XINFO', 'STREAM', s)) as unknown[];
      } catch {
        return null; // no such stream yet: nothing trimmed
      }
    }),
  );
  return infos.some((info, p) => {
    if (!info) return false;
    const i = info.indexOf('max-deleted-entry-id');
    const deleted = i >= 0 ? info[i + 1] : undefined;
    return typeof deleted === 'string' && compareIds(deleted, from[p] ?? '0-0') > 0;
  });
}
