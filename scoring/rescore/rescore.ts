import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ClickHouseClient } from '../../server/clickhouse/client.ts';
import type { Logger } from '../../server/logger.ts';
import type { LogKeys } from '../../server/log/keys.ts';
import { ActiveScoring, controlKeys, type ActiveModel } from '../runtime/active.ts';
import { parseEvents } from '../runtime/batch.ts';
import { scorerKeys, type ScorerKeys } from '../runtime/keys.ts';
import { countHistory, logTail, readHistory, readTail } from './history.ts';
import { ScoringPause } from './pause.ts';
import { GenerationBuilder } from './replay.ts';

export { RescoreError } from './pause.ts';

export interface RescoreProgress {
  phase: 'history' | 'log';
  done: number;
  total: number;
}

export interface RescoreOptions {
  redis: Redis;
  clickhouse: ClickHouseClient;
  keys: LogKeys;
  /** The new model, already validated. */
  model: ActiveModel;
  log: Logger;
  /** The scorers' lease TTL: how long a dead scorer keeps a partition. */
  leaseTtlMs: number;
  /** How long to wait for scorers to pause; default twice the lease TTL plus 5 s. */
  pauseTimeoutMs?: number;
  batchSize?: number;
  onProgress?: (p: RescoreProgress) => void;
}

export interface RescoreResult {
  previous: number;
  generation: number;
  /** Events replayed from ClickHouse, and from the log (not yet in ClickHouse). */
  history: number;
  logEvents: number;
}

/**
 * `warmline rescore`: rebuilds every profile with a new model from the stored history and swaps
 * it in at once.
 *
 * 1. Pause scoring (scorers finish their batch, acknowledge, wait; leases stay theirs).
 * 2. Replay ClickHouse's `events FINAL`, grouped by the profile events land in and in time order,
 *    through the live code into generation n+1; then the log entries the sink has not stored yet
 *    (scorers may have scored them already). Readers keep seeing generation n, whole.
 * 3. One atomic step: generation n+1 and its model become active, the pause is lifted.
 * 4. Generation n's keys are dropped.
 *
 * Events still in the log that no scorer had scored when the pause began are scored after the swap
 * against generation n+1; those the replay already applied are duplicates there (the per-profile
 * memory of recent messageIds) and change nothing. Replayed history emits no signals.
 */
export async function rescore(o: RescoreOptions): Promise<RescoreResult> {
  const { redis, keys, log } = o;
  const token = randomUUID();
  const pause = new ScoringPause(redis, keys, token, Math.max(10_000, o.leaseTtlMs * 3), log);
  await pause.acquire();
  let builder: GenerationBuilder | undefined;
  let swapped = false;
  try {
    // No active record: nothing was ever scored with generations, generation 1 is the live one.
    const previous = Number((await redis.hget(controlKeys(keys.prefix).active, 'gen')) ?? 1);
    await pause.waitForScorers(o.pauseTimeoutMs ?? o.leaseTtlMs * 2 + 5_000);
    log.info({ previous }, 'scorers paused');
    // Taken before reading ClickHouse: whatever the sink stores meanwhile is in these ranges too.
    const tail = await logTail(redis, keys);
    builder = new GenerationBuilder(redis, keys, previous + 1, o.model, token, o.batchSize);
    await dropGeneration(redis, builder.sk); // leftovers of an interrupted rescore
    await builder.open();

    const total = await countHistory(o.clickhouse);
    let history = 0;
    o.onProgress?.({ phase: 'history', done: 0, total });
    for await (const e of readHistory(o.clickhouse)) {
      const written = await builder.add(e);
      if (written) o.onProgress?.({ phase: 'history', done: (history += written), total });
    }
    history += await builder.flush();
    o.onProgress?.({ phase: 'history', done: history, total: Math.max(total, history) });

    let logEvents = 0;
    for (const range of tail) {
      for await (const entries of readTail(redis, keys, range)) {
        for (const { e } of parseEvents(entries, log)) logEvents += await builder.add(e);
        o.onProgress?.({ phase: 'log', done: logEvents, total: logEvents });
      }
    }
    logEvents += await builder.flush();
    await builder.settleTimers();

    if (pause.isLost() || !(await new ActiveScoring(redis, keys).swap(token, builder.gen, o.model))) {
      throw new Error('the scoring pause expired during the rescore (scorers may have resumed on the old state); nothing was swapped, run it again');
    }
    swapped = true;
    log.info({ generation: builder.gen, model: o.model.name, history, logEvents }, 'rescore swapped in');
    await dropGeneration(redis, scorerKeys(keys, previous));
    return { previous, generation: builder.gen, history, logEvents };
  } finally {
    await pause.end(!swapped);
    if (builder) {
      await builder.close();
      if (!swapped) await dropGeneration(redis, builder.sk);
    }
  }
}

/** UNLINKs every key of a generation (SCAN by its patterns; UNLINK frees memory in the background). */
export async function dropGeneration(redis: Redis, sk: ScorerKeys): Promise<number> {
  let dropped = 0;
  for (const pattern of sk.statePatterns()) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
      cursor = next;
      if (found.length) dropped += await redis.unlink(...found);
    } while (cursor !== '0');
  }
  return dropped;
}
