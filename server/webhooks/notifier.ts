import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { LogKeys } from '../log/keys.ts';
import type { Logger } from '../logger.ts';
import { EndpointDirectory } from './directory.ts';
import { createDispatcher, type DispatchObserver } from './dispatcher.ts';
import { EndpointStore } from './endpoints.store.ts';
import { createFanout } from './fanout.ts';
import { webhookKeys } from './keys.ts';
import { DeliveryQueue } from './queue.ts';
import { WebhookSender } from './sender.ts';

export interface NotifierOptions {
  redis: Redis;
  /** A dedicated connection for XREADGROUP BLOCK. */
  blocking: Redis;
  keys: LogKeys;
  log: Logger;
  /** Delays between attempts (ms); after the last, dead letter. */
  retrySchedule: readonly number[];
  timeoutMs: number;
  /** Attempts in flight per endpoint in this process. */
  concurrency: number;
  disableAfterFailures: number;
  disableAfterMs: number;
  retentionMs: number;
  leaseTtlMs: number;
  member?: string;
  pollMs?: number;
  /** Directory reload period (the API's changes reload at once; auto-disable after this long). */
  directoryMaxAgeMs?: number;
  observer?: DispatchObserver;
}

/**
 * The webhook notifier: fan-out (signals → per-endpoint queues) and dispatch (queues → receivers) in
 * one process. Any number of notifiers may run: fan-out splits partitions by lease, dispatch claims
 * each delivery under its own lock.
 */
export function createNotifier(opts: NotifierOptions) {
  const member = opts.member ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const wk = webhookKeys(opts.keys.prefix);
  const store = new EndpointStore(opts.redis, wk);
  const directory = new EndpointDirectory(opts.redis, wk, store, opts.directoryMaxAgeMs);
  const queue = new DeliveryQueue(opts.redis, wk, {
    disableAfterFailures: opts.disableAfterFailures,
    disableAfterMs: opts.disableAfterMs,
    retentionMs: opts.retentionMs,
  });
  const sender = new WebhookSender(opts.timeoutMs);
  const dispatcher = createDispatcher({
    directory,
    queue,
    sender,
    log: opts.log,
    member,
    policy: { schedule: opts.retrySchedule },
    concurrency: opts.concurrency,
    timeoutMs: opts.timeoutMs,
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    ...(opts.observer ? { observer: opts.observer } : {}),
  });
  const fanout = createFanout({
    redis: opts.redis,
    blocking: opts.blocking,
    keys: opts.keys,
    directory,
    queue,
    log: opts.log,
    member,
    leaseTtlMs: opts.leaseTtlMs,
    enqueued: (ids) => dispatcher.nudge(ids),
  });
  return {
    member,
    async start(): Promise<void> {
      await fanout.start();
      dispatcher.start();
    },
    /** Stops reading signals, then lets attempts in flight finish (bounded by the timeout). */
    async stop(): Promise<void> {
      await fanout.stop();
      await dispatcher.stop();
      await sender.close();
    },
    partitions: () => fanout.partitions(),
  };
}
export type Notifier = ReturnType<typeof createNotifier>;
