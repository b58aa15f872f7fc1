import type { Redis } from 'ioredis';
import { LOG_GROUPS, type LogKeys } from './keys.ts';

/** What trimming needs to know of one consumer group on one stream. */
export interface GroupProgress {
  name: string;
  lastDeliveredId: string;
  pending: number;
  /** Smallest id still pending (delivered, not acknowledged), null when none. */
  smallestPending: string | null;
}

/**
 * The id below which every entry has been acknowledged by every required group, or null when nothing
 * may be trimmed (a required group does not exist yet: it will want the stream from its start).
 * A group's floor is its smallest pending id, else the id just after the last one delivered to it.
 * @example trimPoint([{ name: 'sink', lastDeliveredId: '5-0', pending: 0, smallestPending: null }], ['sink']) // '5-1'
 */
export function trimPoint(groups: readonly GroupProgress[], required: readonly string[]): string | null {
  let min: string | null = null;
  for (const name of required) {
    const g = groups.find((x) => x.name === name);
    if (!g) return null;
    const floor = g.pending > 0 && g.smallestPending ? g.smallestPending : successor(g.lastDeliveredId);
    if (min === null || compareIds(floor, min) < 0) min = floor;
  }
  return min;
}

/** Compares two stream ids (`ms-seq`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = splitId(a);
  const [bm, bs] = splitId(b);
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

function successor(id: string): string {
  const [ms, seq] = splitId(id);
  return `${ms}-${seq + 1n}`;
}

function splitId(id: string): [bigint, bigint] {
  const [ms = '0', seq = '0'] = id.split('-');
  return [BigInt(ms), BigInt(seq)];
}

/** Reads the progress of every group of `stream` (XINFO GROUPS, then the XPENDING summary of each). */
export async function groupProgress(redis: Redis, stream: string): Promise<GroupProgress[]> {
  let info: unknown;
  try {
    info = await redis.call('XINFO', 'GROUPS', stream);
  } catch (err) {
    if (err instanceof Error && /no such key/i.test(err.message)) return [];
    throw err;
  }
  if (!Array.isArray(info)) return [];
  const out: GroupProgress[] = [];
  for (const raw of info as unknown[]) {
    if (!Array.isArray(raw)) continue;
    const g = new Map<string, unknown>();
    for (let i = 0; i + 1 < raw.length; i += 2) g.set(String(raw[i]), raw[i + 1]);
    const name = text(g.get('name'));
    const summary = await redis.call('XPENDING', stream, name);
    const [count, smallest] = Array.isArray(summary) ? (summary as unknown[]) : [];
    out.push({
      name,
      lastDeliveredId: text(g.get('last-delivered-id')) || '0-0',
      pending: Number(count ?? 0),
      smallestPending: typeof smallest === 'string' ? smallest : null,
    });
  }
  return out;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * Removes, from each partition's stream, the entries every consumer group of `groups` has
 * acknowledged (XTRIM MINID), so the log holds only unconsumed work. Unconsumed entries are never
 * trimmed; a stream lacking one of the groups is left whole.
 * @returns entries removed, over all partitions.
 */
export function trimLog(redis: Redis, keys: LogKeys, groups: readonly string[] = LOG_GROUPS): Promise<number> {
  return trimStreams(redis, keys.streams(), groups);
}

/** {@link trimLog} for any streams (the scorer's `scores` streams, say). */
export async function trimStreams(redis: Redis, streams: readonly string[], groups: readonly string[]): Promise<number> {
  let removed = 0;
  for (const stream of streams) {
    const point = trimPoint(await groupProgress(redis, stream), groups);
    if (point === null) continue;
    removed += Number(await redis.call('XTRIM', stream, 'MINID', point));
  }
  return removed;
}
