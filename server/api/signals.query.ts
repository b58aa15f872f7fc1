import type { Redis } from 'ioredis';
import type { RecentSignalsResponse } from '../../schema/dashboard.ts';
import type { Signal } from '../../schema/signal.ts';
import { compareIds, encodeCursor } from '../feed/cursor.ts';
import { parseSignalEntry } from '../feed/reader.ts';

/** Entries read per XREVRANGE page, and pages at most per partition (other workspaces' signals are skipped). */
const PAGE = 200;
const MAX_PAGES = 25;

/**
 * The workspace's latest `limit` signals across every signals partition, newest first, and the feed
 * cursor of the read: per partition its newest entry id at read time (`0-0` when empty). Every
 * returned signal is at or before the cursor and every later one after it, so `/ws/feed` subscribed
 * with `since: cursor` continues without gap or duplicate.
 */
export async function recentSignals(redis: Redis, streams: readonly string[], workspaceId: string, limit: number): Promise<RecentSignalsResponse> {
  const perPartition = await Promise.all(
    streams.map(async (stream) => {
      const found: { id: string; signal: Signal }[] = [];
      let newest = '0-0';
      let end = '+';
      for (let page = 0; page < MAX_PAGES && found.length < limit; page++) {
        const entries = await redis.xrevrange(stream, end, '-', 'COUNT', PAGE);
        if (page === 0) newest = entries[0]?.[0] ?? '0-0';
        for (const [id, fields] of entries) {
          const signal = parseSignalEntry(fields);
          if (signal?.workspaceId === workspaceId) found.push({ id, signal });
        }
        const last = entries.at(-1);
        if (entries.length < PAGE || !last) break;
        end = `(${last[0]}`;
      }
      return { newest, found };
    }),
  );
  const merged = perPartition.flatMap((p) => p.found).sort((a, b) => compareIds(b.id, a.id));
  return { signals: merged.slice(0, limit).map((x) => x.signal), cursor: encodeCursor(perPartition.map((p) => p.newest)) };
}
