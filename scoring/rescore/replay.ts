import type { Redis } from 'ioredis';
import type { LogKeys } from '../../server/log/keys.ts';
import type { StoredEvent } from '../../schema/stored-event.ts';
import { applyDue } from '../engine/index.ts';
import type { ActiveModel } from '../runtime/active.ts';
import { planBatch, writeGroups, type Fence, type SourcedEvent } from '../runtime/batch.ts';
import { idsOf } from '../runtime/identity.ts';
import { parseDueMember, scorerKeys, type ScorerKeys } from '../runtime/keys.ts';
import { loadProfiles, writeProfiles, type ProfileUpdate } from '../runtime/store.ts';

/**
 * Builds a state generation from replayed events with the live code (planBatch → scoreGroup →
 * writeProfiles: routing, stitching, compare-and-set), minus outputs: replayed history emits no
 * signals and no score-history rows. Writes are fenced on a per-partition key holding the rescore's
 * token, the way live writes are fenced on leases.
 */
export class GenerationBuilder {
  readonly sk: ScorerKeys;
  private batch: SourcedEvent[] = [];
  /** `ws\nuserId` → the anonymous id it links in this batch (one merge per profile and batch). */
  private linking = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: LogKeys,
    readonly gen: number,
    private readonly model: ActiveModel,
    private readonly token: string,
    private readonly batchSize = 1_000,
  ) {
    this.sk = scorerKeys(keys, gen);
  }

  private fenceKey(p: number): string {
    return `${this.keys.prefix}:{p${p}}:rescore`;
  }

  async open(): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (let p = 0; p < this.keys.partitions; p++) pipeline.set(this.fenceKey(p), this.token);
    await pipeline.exec();
  }

  async close(): Promise<void> {
    await this.redis.del(...Array.from({ length: this.keys.partitions }, (_, p) => this.fenceKey(p)));
  }

  private readonly fence: Fence = (_source, partition, updates) => ({
    leaseKey: this.fenceKey(partition),
    token: this.token,
    signalsKey: this.sk.signals(partition),
    scoresKey: this.sk.scores(partition),
    dueKey: this.sk.due(partition),
    updates: updates.map((u): ProfileUpdate => ({ ...u, signals: [], scoreRows: [] })),
  });

  /** Queues an event; writes the batch when full (or before a second stitch of one profile). */
  async add(e: StoredEvent): Promise<number> {
    const { userId, anonymousId } = idsOf(e);
    const key = userId && anonymousId ? `${e.workspaceId}\n${userId}` : undefined;
    // The live path stitches one anonymous id per profile and batch (the rest wait for the next
    // batch); history has them back to back, so the batch ends before a second one.
    let written = 0;
    if (key && this.linking.has(key) && this.linking.get(key) !== anonymousId) written = await this.flush();
    if (key && anonymousId && !this.linking.has(key)) this.linking.set(key, anonymousId);
    this.batch.push({ e, source: 0 });
    if (this.batch.length >= this.batchSize) written += await this.flush();
    return written;
  }

  /** Writes what is queued; returns how many events that was. */
  async flush(): Promise<number> {
    const events = this.batch;
    this.batch = [];
    this.linking.clear();
    if (events.length === 0) return 0;
    const groups = await planBatch(this.redis, this.sk, events);
    // Fenced per profile partition (same hash tag as the profile, as on a cluster).
    for (const g of groups) g.sourcePartition = g.partition;
    if (!(await writeGroups(this.redis, this.sk, this.model.compiled, this.model.name, groups, this.fence))) {
      throw new Error('rescore fence lost: another rescore took over');
    }
    return events.length;
  }

  /**
   * Runs the timers history left due (absence rules, segment exits by decay) so the swap does not
   * make scorers fire them as news; what remains due later is left to the scorers.
   */
  async settleTimers(now = Date.now()): Promise<void> {
    for (let p = 0; p < this.keys.partitions; p++) {
      for (;;) {
        const members = await this.redis.zrangebyscore(this.sk.due(p), '-inf', now, 'LIMIT', 0, 500);
        if (members.length === 0) break;
        const ids = members.map(parseDueMember);
        const loaded = await loadProfiles(this.redis, ids.map((m) => this.sk.profile(p, m.workspaceId, m.userKey)));
        const updates: ProfileUpdate[] = [];
        ids.forEach(({ workspaceId, userKey }, i) => {
          const current = loaded[i]!;
          if (!current.state) return;
          const { state, changes } = applyDue(this.model.compiled, current.state, now);
          // Never due at or before `now` again, or this loop would not end.
          const dueAt = changes.nextDueAt !== null && changes.nextDueAt <= now ? now + 1 : changes.nextDueAt;
          updates.push({ profileKey: this.sk.profile(p, workspaceId, userKey), expectedVersion: current.version, state, dueMember: members[i]!, dueAt, scoreRows: [], signals: [] });
        });
        const gone = members.filter((_, i) => !loaded[i]!.state);
        if (gone.length) await this.redis.zrem(this.sk.due(p), ...gone);
        if (updates.length && (await writeProfiles(this.redis, this.fence(p, p, updates))) === 'lease_lost') {
          throw new Error('rescore fence lost: another rescore took over');
        }
      }
    }
  }
}
