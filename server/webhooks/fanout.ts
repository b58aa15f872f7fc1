import type { Redis } from 'ioredis';
import { Signal } from '../../schema/signal.ts';
import { scorerKeys } from '../../scoring/runtime/keys.ts';
import type { LogKeys } from '../log/keys.ts';
import type { Logger } from '../logger.ts';
import { ack } from '../log/consumer.ts';
import { leasedConsumer } from '../log/leased-consumer.ts';
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

  const consumer = leasedConsumer({
    redis,
    blocking,
    keys,
    stream: signals,
    group: NOTIFIER_GROUP,
    member,
    ttlMs: opts.leaseTtlMs,
    count: opts.count ?? 500,
    log,
    process,
  });
  return { start: () => consumer.start(), stop: () => consumer.stop(), partitions: () => consumer.partitions() };
}
export type Fanout = ReturnType<typeof createFanout>;
