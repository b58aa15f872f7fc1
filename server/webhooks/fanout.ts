import type { Redis } from 'ioredis';
import { Signal } from '../../schema/signal.ts';
import { scorerKeys } from '../../scoring/runtime/keys.ts';
import type { LogKeys } from '../log/keys.ts';
import { PartitionLeases } from '../log/leases.ts';
import type { Logger } from '../logger.ts';
import { sleep } from '../log/backoff.ts';
import { ack, claimAllPending, ensureGroups, readNew } from '../log/consumer.ts';
import type { LogEntry } from '../log/replies.ts';
import type { EndpointDirectory } from './directory.ts';
import { deliveryId, payloadOf, targets } from './payload.ts';
import type { DeliveryQueue, NewDelivery } from './queue.ts';

/** The consumer group of the notifier on every signals stream. */
export const NOTIFIER_GROUP = 'notifier';

/** The field of a signals entry holding the Signal JSON (scoring/runtime/store.ts writes it). */
const SIGNAL_FIELD = 'sg';

/** A signals entry, parsed: the deliveries it makes, or why it is skipped. */
export type FanoutResult = { kind: 'ok'; deliveries: NewDelivery[] } | { kind: 'drop'; reason: string };

/**
 * Turns one signals entry into a delivery per matching endpoint (pure: the directory view is given).
 * @example fanoutEntry(entry, endpoints) // { kind: 'ok', deliveries: [{ id: 'msg_…', endpointId: 'ep_…', … }] }
 */
export function fanoutEntry(entry: LogEntry, endpoints: Parameters<typeof targets>[0]): FanoutResult {
  const i = entry.fields.indexOf(SIGNAL_FIELD);
  const text = i >= 0 && i % 2 === 0 ? entry.fields[i + 1] : undefined;
  if (text === undefined) return { kind: 'drop', reason: `entry has no "${SIGNAL_FIELD}" field` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'drop', reason: 'signal is not JSON' };
  }
  const parsed = Signal.safeParse(json);
  if (!parsed.success) return { kind: 'drop', reason: `not a Signal: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  const signal = parsed.data;
  const writtenAt = Number(entry.id.split('-')[0]);
  const payload = JSON.stringify(payloadOf(signal));
  return {
    kind: 'ok',
    deliveries: targets(endpoints, signal, writtenAt).map((e) => ({
      id: deliveryId(signal.id, e.id),
      endpointId: e.id,
      ordered: e.orderedPerUser,
      signalId: signal.id,
      userKey: signal.userKey,
      payload,
    })),
  };
}

export interface FanoutOptions {
  redis: Redis;
  blocking: Redis;
  keys: LogKeys;
  directory: EndpointDirectory;
  queue: DeliveryQueue;
  log: Logger;
  member: string;
  leaseTtlMs: number;
  count?: number;
  /** Called after deliveries were enqueued for these endpoints (wakes the local dispatcher). */
  enqueued?: (endpointIds: ReadonlySet<string>, n: number) => void;
}

/**
 * Reads the signals streams through the group `notifier` and enqueues deliveries. Partitions are
 * split among notifier processes by leases (like the scorer), so one process reads a user's signals
 * in order and ordered endpoints see them in order; entries are acknowledged only after their
 * deliveries are in Redis, so a crash in between re-reads them and the idempotent enqueue dedupes.
 */
export function createFanout(opts: FanoutOptions) {
  const { redis, blocking, keys, directory, queue, member } = opts;
  const log = opts.log.child({ module: 'notifier-fanout', member });
  const signals = scorerKeys(keys).signals;
  const leases = new PartitionLeases(redis, keys, { role: NOTIFIER_GROUP, member, ttlMs: opts.leaseTtlMs });
  const count = opts.count ?? 500;
  const backlog: LogEntry[] = [];
  let stopping = false;
  let loop: Promise<void> | undefined;
  let nextTick = 0;

  async function tickLeases(): Promise<void> {
    const { gained, lost } = await leases.tick();
    if (lost.length) log.info({ lost }, 'signal partitions released or lost');
    // A previous owner's unacknowledged entries are ours now; they go first, in order.
    for (const p of gained) backlog.push(...(await claimAllPending(redis, { stream: signals }, p, NOTIFIER_GROUP, member)));
    if (gained.length) log.info({ gained, owned: leases.partitions() }, 'signal partitions acquired');
  }

  async function process(entries: LogEntry[]): Promise<void> {
    const endpoints = await directory.fresh();
    const deliveries: NewDelivery[] = [];
    for (const entry of entries) {
      const r = fanoutEntry(entry, endpoints);
      if (r.kind === 'drop') log.warn({ stream: entry.stream, id: entry.id, reason: r.reason }, 'signal skipped');
      else deliveries.push(...r.deliveries);
    }
    const added = await queue.enqueue(deliveries);
    await ack(redis, NOTIFIER_GROUP, entries);
    if (deliveries.length) opts.enqueued?.(new Set(deliveries.map((d) => d.endpointId)), added);
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        if (Date.now() >= nextTick) {
          await tickLeases();
          nextTick = Date.now() + opts.leaseTtlMs / 3;
        }
        const owned = leases.partitions();
        if (owned.length === 0) {
          await sleep(200);
          continue;
        }
        const entries = backlog.length
          ? backlog.splice(0, count)
          : await readNew(blocking, new Map(owned.map((p) => [signals(p), p])), NOTIFIER_GROUP, member, { count, blockMs: 200 });
        const mine = entries.filter((e) => owned.includes(e.partition));
        if (mine.length) await process(mine);
        failures = 0;
      } catch (err) {
        failures++;
        log.error({ err, failures }, 'fan-out round failed; retrying');
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  return {
    async start(): Promise<void> {
      await ensureGroups(redis, Array.from({ length: keys.partitions }, (_, p) => signals(p)), NOTIFIER_GROUP);
      loop = run();
    },
    async stop(): Promise<void> {
      stopping = true;
      await loop;
      await leases.releaseAll();
    },
    partitions: () => leases.partitions(),
  };
}
export type Fanout = ReturnType<typeof createFanout>;
