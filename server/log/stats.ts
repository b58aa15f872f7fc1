import type { Redis } from 'ioredis';
import type { LogKeys } from './keys.ts';

export interface GroupStats {
  /** Entries not yet delivered to the group (Redis' own `lag`; null when Redis cannot tell). */
  lag: number | null;
  pending: number;
}

export interface LogStats {
  lengths: number[];
  groups: Map<string, GroupStats>;
}

/** Length of every partition and, per consumer group, lag and pending summed over partitions. */
export async function logStats(redis: Redis, keys: LogKeys): Promise<LogStats> {
  const pipeline = redis.pipeline();
  for (const stream of keys.streams()) {
    pipeline.xlen(stream);
    pipeline.call('XINFO', 'GROUPS', stream);
  }
  const replies = (await pipeline.exec()) ?? [];
  const lengths: number[] = [];
  const groups = new Map<string, GroupStats>();
  for (let p = 0; p < keys.partitions; p++) {
    const [lenErr, len] = replies[2 * p] ?? [];
    lengths.push(lenErr ? 0 : Number(len));
    const [infoErr, info] = replies[2 * p + 1] ?? [];
    if (infoErr || !Array.isArray(info)) continue; // no stream yet
    for (const raw of info as unknown[][]) {
      const fields = new Map<string, unknown>();
      for (let i = 0; i + 1 < raw.length; i += 2) fields.set(String(raw[i]), raw[i + 1]);
      const name = String(fields.get('name'));
      const g = groups.get(name) ?? { lag: 0, pending: 0 };
      const lag = fields.get('lag');
      g.lag = g.lag === null || lag === null || lag === undefined ? null : g.lag + Number(lag);
      g.pending += Number(fields.get('pending') ?? 0);
      groups.set(name, g);
    }
  }
  return { lengths, groups };
}
