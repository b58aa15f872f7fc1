import type { SinkSource } from './source.ts';

/** One stream the sink drains, with its claim cursor (XAUTOCLAIM's, advanced by the sink). */
export interface Lane {
  source: SinkSource;
  partition: number;
  stream: string;
  cursor: string;
}

/** One XREADGROUP: the streams of every source read through `group`, each with its partition. */
export interface GroupRead {
  group: string;
  partitions: Map<string, number>;
  sources: SinkSource[];
}

/** How the sink covers its sources: every stream, the reads over them, the staging tables in insert order. */
export interface SinkPlan {
  lanes: Lane[];
  sourceOf: Map<string, SinkSource>;
  reads: GroupRead[];
  tables: string[];
}

/** Lays out `sources`; refuses none at all, or two sources sharing a stream (an entry must have one source). */
export function planSources(sources: readonly SinkSource[]): SinkPlan {
  if (sources.length === 0) throw new Error('the sink needs at least one source');
  const lanes: Lane[] = sources.flatMap((source) =>
    Array.from({ length: source.partitions }, (_, partition) => ({ source, partition, stream: source.stream(partition), cursor: '0-0' })),
  );
  const sourceOf = new Map(lanes.map((l) => [l.stream, l.source]));
  if (sourceOf.size !== lanes.length) throw new Error('sink sources share a stream');
  const reads = [...groupBy(lanes, (l) => l.source.group)].map(([group, ls]) => ({
    group,
    partitions: new Map(ls.map((l) => [l.stream, l.partition])),
    sources: [...new Set(ls.map((l) => l.source))],
  }));
  const tables = [...new Set(sources.flatMap((s) => Object.values(s.fields)))];
  return { lanes, sourceOf, reads, tables };
}

/** Typical size of a source's entries, learnt from reads. */
export interface EntrySize {
  rows: number;
  chars: number;
}

/**
 * Entries per stream for a read: what fills the batch's `room`, spread over all `streams`, for the
 * largest entries among `sizes`, so the batch overshoots by about one read's worth at most.
 * @example readCount([{ rows: 10, chars: 1_000 }], { rows: 800, chars: 1e6 }, 8) // 10
 */
export function readCount(sizes: readonly EntrySize[], room: EntrySize, streams: number): number {
  let count = 10_000;
  for (const size of sizes) {
    count = Math.min(count, Math.floor(room.rows / streams / size.rows), Math.floor(room.chars / streams / size.chars));
  }
  return Math.max(1, count);
}

/** `Map.groupBy` (Node 21+), for Node 20. */
export function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
