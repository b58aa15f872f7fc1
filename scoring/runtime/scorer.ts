import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../server/logger.ts';
import type { LogKeys } from '../../server/log/keys.ts';
import type { LogEntry } from '../../server/log/replies.ts';
import { ack } from '../../server/log/consumer.ts';
import { leasedConsumer } from '../../server/log/leased-consumer.ts';
import { applyDue } from '../engine/index.ts';
import { dueMember, parseDueMember } from './keys.ts';
import { loadProfiles, writeProfiles, type PartitionWrite, type ProfileUpdate } from './store.ts';
import { parseEvents, planBatch, writeGroups } from './batch.ts';
import { ActiveScoring, type ActiveModel, type Generation } from './active.ts';
import { signalsOf, scoreRowOf } from './outputs.ts';

export const SCORER_GROUP = 'scorer';

export interface ScorerObserver {
  /** Events applied (not duplicates) and, per event, ms from the collector's receipt to the state write. */
  scored(events: number, latenciesMs: number[]): void;
  signals(n: number): void;
}

export interface ScorerOptions {
  redis: Redis;
  /** A dedicated connection for XREADGROUP BLOCK. */
  blocking: Redis;
  keys: LogKeys;
  /** WARMLINE_MODEL: becomes the active model when Redis has none yet; otherwise the active one wins. */
  model: ActiveModel;
  log: Logger;
  observer?: ScorerObserver;
  member?: string;
  leaseTtlMs?: number;
  /**
   * Entries read per partition per round (default 25: ~2k events over 8 partitions). Bigger rounds
   * do not save round trips worth having but keep more objects alive across scavenges (GC time).
   */
  count?: number;
}

export interface Scorer {
  readonly member: string;
  start(): Promise<void>;
  /** Finishes the batch in hand, gives the partitions back, resolves. */
  stop(): Promise<void>;
  partitions(): number[];
  /** The generation scored in now. */
  generation(): number;
}

/**
 * The streaming scorer: owns a fair share of the log's partitions (leases), reads them through the
 * consumer group `scorer` in order, scores each user's events with the pure engine and writes each
 * touched profile once per batch with one atomic, lease-fenced compare-and-set (state, timer, score
 * rows, signals), then acknowledges. A crash before the ack redelivers the batch; the engine's
 * per-user messageId memory makes the replay change nothing that was written.
 *
 * Once per round it reads the active generation and the pause flag (one round trip): a new
 * generation (after `rescore`) brings its model and keys; a pause makes it finish the batch in hand,
 * acknowledge, and take nothing more (leases still renewed) until the pause is lifted.
 */
export function createScorer(opts: ScorerOptions): Scorer {
  const { redis, blocking, keys, log: parentLog } = opts;
  const member = opts.member ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const log = parentLog.child({ module: 'scorer', member });
  const active = new ActiveScoring(redis, keys);
  /** Set by `start` (seed), refreshed every round. */
  let generation!: Generation;
  let pausedFor: string | null = null;
  let nextDue = 0;
  /** The partition-level part of a write: the lease fences it, the rest lives with the profiles. */
  const partitionWrite = (source: number, partition: number, updates: ProfileUpdate[]): PartitionWrite => ({
    leaseKey: consumer.leaseKey(source),
    token: member,
    signalsKey: generation.keys.signals(partition),
    scoresKey: generation.keys.scores(partition),
    dueKey: generation.keys.due(partition),
    updates,
  });

  async function processEntries(entries: LogEntry[]): Promise<void> {
    const events = parseEvents(entries, log);
    const { keys: sk, model } = generation;
    const groups = await planBatch(redis, sk, events);
    const ok = await writeGroups(redis, sk, model.compiled, model.name, groups, partitionWrite);
    if (!ok) {
      // Lost a lease mid-batch: the new owner claims and replays these entries.
      log.warn({ entries: entries.length }, 'lease lost during a batch; leaving it to the new owner');
      return;
    }
    await ack(redis, SCORER_GROUP, entries);
    const now = Date.now();
    let applied = 0;
    let signals = 0;
    const latencies: number[] = [];
    for (const g of groups) {
      applied += g.applied;
      signals += g.signalCount;
      for (const r of g.receivedAt) latencies.push(now - r);
    }
    opts.observer?.scored(applied, latencies);
    opts.observer?.signals(signals);
  }

  /** Runs timers that are due (absence rules, decay leaving a segment) for owned partitions. */
  async function processDue(owned: number[]): Promise<void> {
    const now = Date.now();
    const { keys: sk, model } = generation;
    // One round trip asks every owned partition; only those with due timers go further.
    const dueLists = await Promise.all(owned.map((p) => redis.zrangebyscore(sk.due(p), '-inf', now, 'LIMIT', 0, 200)));
    for (const [i, p] of owned.entries()) {
      const members = dueLists[i]!;
      if (members.length === 0) continue;
      const ids = members.map(parseDueMember);
      const loaded = await loadProfiles(redis, ids.map((m) => sk.profile(p, m.workspaceId, m.userKey)));
      const updates: ProfileUpdate[] = [];
      const gone: string[] = [];
      ids.forEach(({ workspaceId, userKey }, i) => {
        const current = loaded[i]!;
        const due = dueMember(workspaceId, userKey);
        if (!current.state) {
          gone.push(due);
          return;
        }
        const { state, changes } = applyDue(model.compiled, current.state, now);
        const signals = signalsOf(workspaceId, userKey, changes, state, undefined).map((s) => JSON.stringify(s));
        const row = scoreRowOf(workspaceId, userKey, changes, undefined, model.name);
        updates.push({ profileKey: sk.profile(p, workspaceId, userKey), expectedVersion: current.version, state, dueMember: due, dueAt: changes.nextDueAt, scoreRows: row ? [row] : [], signals });
        opts.observer?.signals(signals.length);
      });
      if (gone.length) await redis.zrem(sk.due(p), ...gone);
      // A conflict means an event just wrote that profile, and its write set the timer anew.
      if (updates.length) await writeProfiles(redis, partitionWrite(p, p, updates));
    }
  }

  /** Reads the control record; true while a rescore holds the pause (acknowledged once per pause). */
  async function paused(): Promise<boolean> {
    const control = await active.control();
    if (control.generation.gen !== generation.gen) {
      log.info({ from: generation.gen, to: control.generation.gen, model: control.generation.model.name }, 'scoring generation changed');
    }
    generation = control.generation;
    if (control.pause !== pausedFor) {
      pausedFor = control.pause;
      if (pausedFor) {
        await active.acknowledgePause(member, pausedFor);
        log.info('paused for a rescore');
      } else log.info('resumed');
    }
    return pausedFor !== null;
  }

  const consumer = leasedConsumer({
    redis,
    blocking,
    keys,
    stream: (p) => keys.stream(p),
    group: SCORER_GROUP,
    member,
    ttlMs: opts.leaseTtlMs ?? 10_000,
    count: opts.count ?? 25,
    log,
    hold: paused,
    process: processEntries,
    afterRound: async (owned) => {
      if (Date.now() < nextDue) return;
      await processDue(owned);
      nextDue = Date.now() + 1_000;
    },
  });

  return {
    member,
    partitions: () => consumer.partitions(),
    generation: () => generation.gen,
    async start() {
      generation = await active.seed(opts.model, log);
      await consumer.start();
    },
    stop: () => consumer.stop(),
  };
}
