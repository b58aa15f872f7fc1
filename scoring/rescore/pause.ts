import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from '../../server/logger.ts';
import type { LogKeys } from '../../server/log/keys.ts';
import { leaseKey } from '../../server/log/leases.ts';
import { RELEASE_IF_OWNER, RENEW_IF_OWNER, runScript } from '../../server/redis.ts';
import { controlKeys } from '../runtime/active.ts';
import { SCORER_GROUP } from '../runtime/scorer.ts';


/** A rescore that cannot go on; nothing was changed (the message says why and what to do). */
export class RescoreError extends Error {
  override readonly name = 'RescoreError';
}

/**
 * The pause a rescore holds while it rebuilds state: scorers finish their batch, acknowledge and
 * wait. It doubles as the lock against a second rescore, and has a TTL renewed while the rescore
 * lives, so a crashed rescore lets scoring resume on the old generation by itself.
 */
export class ScoringPause {
  private readonly ck: ReturnType<typeof controlKeys>;
  private timer: NodeJS.Timeout | undefined;
  private lost = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: LogKeys,
    readonly token: string,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {
    this.ck = controlKeys(keys.prefix);
  }

  async acquire(): Promise<void> {
    if ((await this.redis.set(this.ck.pause, this.token, 'PX', this.ttlMs, 'NX')) !== 'OK') {
      throw new RescoreError(`another rescore is running (${this.ck.pause} is held); wait for it to finish (the hold expires ${this.ttlMs} ms after its process dies)`);
    }
    this.timer = setInterval(() => {
      runScript(this.redis, RENEW_IF_OWNER, [this.ck.pause], [this.token, this.ttlMs]).then(
        (r) => {
          if (Number(r) !== 1) this.lost = true;
        },
        (err: unknown) => this.log.warn({ err }, 'could not renew the scoring pause'),
      );
    }, this.ttlMs / 4);
    this.timer.unref();
  }

  /** True once a renewal found the pause gone (expired or taken): scorers may have resumed. */
  isLost(): boolean {
    return this.lost;
  }

  /**
   * Waits until the scorer holding each partition's lease has acknowledged this pause (a partition
   * whose lease expired has no live scorer). Throws a RescoreError naming the laggards on timeout.
   */
  async waitForScorers(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const holders = await this.redis.mget(Array.from({ length: this.keys.partitions }, (_, p) => leaseKey(this.keys.prefix, SCORER_GROUP, p)));
      const acks = await this.redis.hgetall(this.ck.acks);
      const waiting = [...new Set(holders.filter((h): h is string => h !== null && acks[h] !== this.token))];
      if (waiting.length === 0) return;
      if (Date.now() > deadline) {
        throw new RescoreError(`scorers did not pause within ${timeoutMs} ms: ${waiting.join(', ')}; nothing was changed (are they stuck? retry, or stop them)`);
      }
      await sleep(100);
    }
  }

  /** Stops renewing; with `lift`, removes the pause (after a failure: scorers resume on the old generation). */
  async end(lift: boolean): Promise<void> {
    clearInterval(this.timer);
    if (lift) await runScript(this.redis, RELEASE_IF_OWNER, [this.ck.pause], [this.token]);
  }
}
