import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { backoffMs, sleep } from './backoff.ts';
import { claimAllPending, ensureGroups, readNew } from './consumer.ts';
import type { LogKeys } from './keys.ts';
import { PartitionLeases } from './leases.ts';
import type { LogEntry } from './replies.ts';

export interface LeasedConsumerOptions {
  redis: Redis;
  /** A dedicated connection for XREADGROUP BLOCK. */
  blocking: Redis;
  /** Partition count and key prefix (for the leases). */
  keys: LogKeys;
  /** The stream of a partition this consumer reads. */
  stream: (partition: number) => string;
  group: string;
  member: string;
  ttlMs: number;
  /** Entries read per round. */
  count: number;
  log: Logger;
  /** Handles a round's entries, in stream order per partition; throwing retries the round after a backoff. */
  process: (entries: LogEntry[]) => Promise<void>;
  /** Asked at the start of every round: true holds reading for now (e.g. paused for a rescore). */
  hold?: () => Promise<boolean>;
  /** Runs after every round with the owned partitions (timers and the like). */
  afterRound?: (owned: number[]) => Promise<void>;
}

/**
 * A consumer that owns a fair share of a set of per-partition streams (leases) and reads them through
 * a consumer group in order: each round renews or rebalances its leases when due, takes over what a
 * previous owner left pending, reads, and hands the entries of partitions it still owns to `process`.
 * The next read is sent before `process` runs (on the blocking connection), so Redis reads while the
 * process works; held (`hold`) or not, what was read ahead waits for the next round, pending.
 * The scorer and the notifier are both this loop with their own `process`.
 */
export function leasedConsumer(opts: LeasedConsumerOptions) {
  const { redis, blocking, keys, group, member, ttlMs, count } = opts;
  const leases = new PartitionLeases(redis, keys, { role: group, member, ttlMs });
  const backlog: LogEntry[] = [];
  /** The next read, sent before the current entries are processed so its round trip overlaps the work. */
  let ahead: Promise<{ entries: LogEntry[] } | { err: unknown }> | undefined;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let nextTick = 0;

  async function tickLeases(): Promise<void> {
    const { gained, lost } = await leases.tick();
    if (lost.length) opts.log.info({ lost }, 'partitions released or lost');
    // Whatever a previous owner left pending is ours now: it cannot write any more (fenced by its lease).
    for (const p of gained) backlog.push(...(await claimAllPending(redis, { stream: opts.stream }, p, group, member)));
    if (gained.length) opts.log.info({ gained, owned: leases.partitions() }, 'partitions acquired');
  }

  /** Settles at once into a value, so a read that fails while the round works is not an unhandled rejection. */
  function read(owned: number[]): Promise<{ entries: LogEntry[] } | { err: unknown }> {
    return readNew(blocking, new Map(owned.map((p) => [opts.stream(p), p])), group, member, { count, blockMs: 200 }).then(
      (entries) => ({ entries }),
      (err: unknown) => ({ err }),
    );
  }

  /** What a previous owner left comes first, then the read sent ahead (or a fresh one). */
  async function take(owned: number[]): Promise<LogEntry[]> {
    if (backlog.length) return backlog.splice(0, count);
    const got = await (ahead ?? read(owned));
    ahead = undefined;
    if ('err' in got) throw got.err;
    return got.entries;
  }

  async function round(): Promise<void> {
    if (Date.now() >= nextTick) {
      await tickLeases();
      nextTick = Date.now() + ttlMs / 3;
    }
    if (opts.hold && (await opts.hold())) return sleep(100);
    const owned = leases.partitions();
    if (owned.length === 0) return sleep(200);
    const entries = await take(owned);
    if (backlog.length === 0 && !stopping) ahead = read(owned);
    // Entries of partitions lost since they were read stay pending: their new owner claims them.
    const mine = entries.filter((e) => owned.includes(e.partition));
    if (mine.length) await opts.process(mine);
    await opts.afterRound?.(owned);
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        await round();
        failures = 0;
      } catch (err) {
        failures++;
        opts.log.error({ err, failures }, 'consumer round failed; retrying');
        await sleep(backoffMs(failures));
      }
    }
  }

  return {
    member,
    leaseKey: (partition: number) => leases.leaseKey(partition),
    partitions: () => leases.partitions(),
    /** Creates the group on every stream and starts the loop in the background. */
    async start(): Promise<void> {
      await ensureGroups(redis, Array.from({ length: keys.partitions }, (_, p) => opts.stream(p)), group);
      loop = run();
    },
    /** Finishes the round in hand, gives the partitions back. */
    async stop(): Promise<void> {
      stopping = true;
      await loop;
      // Entries read ahead stay pending: whoever takes the partitions next claims them.
      await ahead;
      await leases.releaseAll();
    },
  };
}
export type LeasedConsumer = ReturnType<typeof leasedConsumer>;
