import type { Redis } from 'ioredis';
import { RELEASE_IF_OWNER, RENEW_IF_OWNER, runScript } from '../redis.ts';
import type { LogKeys } from './keys.ts';


/** The lease of a partition for a role; its value is the holder's member id. */
export const leaseKey = (prefix: string, role: string, partition: number) => `${prefix}:{p${partition}}:lease:${role}`;

export interface LeaseOptions {
  /** The role whose consumers split the partitions (`scorer`…). */
  role: string;
  /** This process's unique member id; also the lease token (so writes can be fenced on it). */
  member: string;
  ttlMs: number;
}

/**
 * Exclusive ownership of log partitions among the processes of one role: every partition is owned
 * by at most one member at a time, and live members converge on a fair share each
 * (ceil(partitions / members)). A lease is `SET NX PX` on `{p<n>}:lease:<role>` (same cluster slot
 * as the partition's stream and state), renewed by compare-and-expire, released by compare-and-delete.
 * A member that dies stops renewing; its partitions are free after `ttlMs`.
 */
export class PartitionLeases {
  private readonly owned = new Set<number>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: LogKeys,
    private readonly opts: LeaseOptions,
  ) {}

  leaseKey(partition: number): string {
    return leaseKey(this.keys.prefix, this.opts.role, partition);
  }

  private membersKey(): string {
    return `${this.keys.prefix}:members:${this.opts.role}`;
  }

  /** Partitions held right now, ascending. */
  partitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  /**
   * One round of upkeep: heartbeat, renew what we hold (dropping what we lost), give back what
   * exceeds our fair share, take free partitions up to it. Returns what changed.
   */
  async tick(now = Date.now()): Promise<{ gained: number[]; lost: number[] }> {
    const { member, ttlMs } = this.opts;
    await this.redis.zadd(this.membersKey(), now + ttlMs, member);
    await this.redis.zremrangebyscore(this.membersKey(), '-inf', now);
    const members = Math.max(1, await this.redis.zcard(this.membersKey()));
    const fair = Math.ceil(this.keys.partitions / members);

    const lost: number[] = [];
    // Renewals go out together (one round trip), not one partition after another.
    const held = this.partitions();
    const renewed = await Promise.all(held.map((p) => runScript(this.redis, RENEW_IF_OWNER, [this.leaseKey(p)], [member, ttlMs])));
    held.forEach((p, i) => {
      if (Number(renewed[i]) !== 1) {
        this.owned.delete(p);
        lost.push(p);
      }
    });
    for (const p of this.partitions().slice(fair).reverse()) {
      await this.release(p);
      lost.push(p);
    }
    const gained: number[] = [];
    for (let p = 0; p < this.keys.partitions && this.owned.size < fair; p++) {
      if (this.owned.has(p)) continue;
      if ((await this.redis.set(this.leaseKey(p), member, 'PX', ttlMs, 'NX')) === 'OK') {
        this.owned.add(p);
        gained.push(p);
      }
    }
    return { gained, lost };
  }

  async release(partition: number): Promise<void> {
    this.owned.delete(partition);
    await runScript(this.redis, RELEASE_IF_OWNER, [this.leaseKey(partition)], [this.opts.member]);
  }

  /** Gives every partition back and leaves the member set (graceful shutdown). */
  async releaseAll(): Promise<void> {
    for (const p of this.partitions()) await this.release(p);
    await this.redis.zrem(this.membersKey(), this.opts.member);
  }
}
