import type { Redis } from 'ioredis';
import { DeliveryAttempt, DeliveryStatus, WebhookPayload, type WebhookDelivery } from '../../schema/webhook.ts';
import { runScript } from '../redis.ts';
import type { WebhookKeys } from './keys.ts';
import { CLAIM, ENQUEUE, REPLAY, SETTLE } from './queue.lua.ts';

/** A delivery to put on an endpoint's queue. */
export interface NewDelivery {
  id: string;
  endpointId: string;
  ordered: boolean;
  signalId: string;
  userKey: string;
  payload: string;
}

/** A delivery claimed for one attempt: `token` fences its settle. */
export interface Claimed {
  id: string;
  endpointId: string;
  payload: string;
  /** Attempts before this one. */
  attempts: number;
  token: string;
}

export interface SettleInput {
  claimed: Claimed;
  outcome: 'delivered' | 'retry' | 'dead';
  nextMs: number;
  attempt: DeliveryAttempt;
  countsAsFailure: boolean;
  lastError: string;
}

export interface QueuePolicy {
  disableAfterFailures: number;
  disableAfterMs: number;
  retentionMs: number;
  /** Attempt-log entries kept per endpoint (approximate). */
  logMax?: number;
}

/**
 * Per-endpoint delivery queues in Redis: a ZSET of due deliveries per endpoint and a hash per
 * delivery, so endpoints never wait on each other, plus the attempt log and the failure streak.
 */
export class DeliveryQueue {
  constructor(
    private readonly redis: Redis,
    private readonly keys: WebhookKeys,
    private readonly policy: QueuePolicy,
  ) {}

  /**
   * Enqueues deliveries durably, in order (one round trip); a delivery already known is skipped.
   * Resolves once Redis holds them all (the caller may then acknowledge their signals).
   */
  async enqueue(deliveries: readonly NewDelivery[], now = Date.now()): Promise<number> {
    if (deliveries.length === 0) return 0;
    const k = this.keys;
    const keepFrom = now - this.policy.retentionMs;
    const pipe = this.redis.pipeline();
    for (const d of deliveries) {
      const keys = [k.delivery(d.endpointId, d.id), k.due(d.endpointId), k.index(d.endpointId), k.heads(d.endpointId), k.userQueue(d.endpointId, d.userKey)];
      pipe.evalsha(ENQUEUE.sha, keys.length, ...keys, d.id, d.endpointId, d.signalId, d.userKey, d.payload, now, d.ordered ? '1' : '0', now, keepFrom);
    }
    let results = (await pipe.exec()) ?? [];
    if (results.some(([err]) => err instanceof Error && err.message.startsWith('NOSCRIPT'))) {
      // First use since Redis started: load it, then run the batch again (ENQUEUE is idempotent).
      await this.redis.script('LOAD', ENQUEUE.source);
      return this.enqueue(deliveries, now);
    }
    const failed = results.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
    results = results.filter(([, added]) => Number(added) === 1);
    return results.length;
  }

  /**
   * Claims up to `limit` due deliveries of an endpoint for one attempt each, locked for `leaseMs`.
   * `nextDueMs` is when the earliest remaining one is due (null: queue empty).
   */
  async claim(endpointId: string, limit: number, leaseMs: number, tokenBase: string, now = Date.now()): Promise<{ claimed: Claimed[]; nextDueMs: number | null }> {
    const reply = (await runScript(this.redis, CLAIM, [this.keys.due(endpointId)], [now, limit, leaseMs, tokenBase, this.keys.tag(endpointId)])) as unknown[];
    const next = Number(reply[0]);
    const claimed: Claimed[] = [];
    for (let i = 1; i + 2 < reply.length; i += 3) {
      const id = String(reply[i]);
      claimed.push({ id, endpointId, payload: String(reply[i + 1]), attempts: Number(reply[i + 2] ?? 0), token: tokenBase });
    }
    return { claimed, nextDueMs: next < 0 ? null : next };
  }

  /** Records an attempt; `disabled` when this failure turned the endpoint off, `fenced` when a peer owns the delivery now. */
  async settle(input: SettleInput, now = Date.now()): Promise<'ok' | 'disabled' | 'fenced'> {
    const { claimed: c } = input;
    const k = this.keys;
    const keys = [
      k.delivery(c.endpointId, c.id),
      k.due(c.endpointId),
      k.lock(c.endpointId, c.id),
      k.attempts(c.endpointId),
      k.health(c.endpointId),
      k.endpoint(c.endpointId),
      k.heads(c.endpointId),
      historyKey(k, c.endpointId, c.id),
    ];
    const reply = await runScript(this.redis, SETTLE, keys, [
      c.id,
      c.token,
      input.outcome,
      input.nextMs,
      input.attempt.attempt,
      JSON.stringify(input.attempt),
      now,
      new Date(now).toISOString(),
      input.countsAsFailure ? '1' : '0',
      this.policy.disableAfterFailures,
      this.policy.disableAfterMs,
      this.policy.retentionMs,
      k.tag(c.endpointId),
      this.policy.logMax ?? 10_000,
      input.lastError,
    ]);
    const n = Number(reply);
    return n === 2 ? 'disabled' : n === -1 ? 'fenced' : 'ok';
  }

  /** Schedules one delivery again now; `waiting` when it is parked behind an earlier one of its user. */
  async replay(endpointId: string, id: string, now = Date.now()): Promise<'ok' | 'not_found' | 'waiting'> {
    const k = this.keys;
    const n = Number(await runScript(this.redis, REPLAY, [k.delivery(endpointId, id), k.due(endpointId), historyKey(k, endpointId, id)], [id, now]));
    return n === 1 ? 'ok' : n === -2 ? 'waiting' : 'not_found';
  }

  /** Replays every kept delivery created at or after `sinceMs`; returns how many were scheduled. */
  async replaySince(endpointId: string, sinceMs: number, now = Date.now()): Promise<number> {
    let replayed = 0;
    let from = String(sinceMs);
    for (;;) {
      const page = await this.redis.zrangebyscore(this.keys.index(endpointId), from, '+inf', 'WITHSCORES', 'LIMIT', 0, 500);
      if (page.length === 0) return replayed;
      for (let i = 0; i < page.length; i += 2) if ((await this.replay(endpointId, page[i]!, now)) === 'ok') replayed++;
      if (page.length < 1_000) return replayed;
      from = `(${page.at(-1)}`;
    }
  }

  /** One delivery with its last attempts, or null. */
  async get(endpointId: string, id: string): Promise<WebhookDelivery | null> {
    const [[, h], [, hist]] = (await this.redis
      .pipeline()
      .hgetall(this.keys.delivery(endpointId, id))
      .lrange(historyKey(this.keys, endpointId, id), 0, -1)
      .exec()) as [[unknown, Record<string, string>], [unknown, string[]]];
    if (!h?.id) return null;
    return {
      id: h.id,
      endpointId,
      signalId: h.sig ?? '',
      userKey: h.user ?? '',
      status: DeliveryStatus.catch('pending').parse(h.status),
      attempts: Number(h.attempts ?? 0),
      createdAt: new Date(Number(h.created)).toISOString(),
      ...(h.next ? { nextAttemptAt: new Date(Number(h.next)).toISOString() } : {}),
      ...(h.lastError ? { lastError: h.lastError } : {}),
      payload: WebhookPayload.parse(JSON.parse(h.payload ?? 'null')),
      history: (hist ?? []).map((line) => DeliveryAttempt.parse(JSON.parse(line))),
    };
  }

  /** Deliveries newest first, `limit` per page; `before` is the previous page's cursor. */
  async list(endpointId: string, limit: number, before?: { ms: number; id: string }): Promise<{ deliveries: WebhookDelivery[]; next: { ms: number; id: string } | null }> {
    const max = before ? String(before.ms) : '+inf';
    // Ties on the same millisecond come in descending member order; skip those already shown.
    const raw = await this.redis.zrevrangebyscore(this.keys.index(endpointId), max, '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 100);
    const rows: Array<{ id: string; ms: number }> = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const row = { id: raw[i]!, ms: Number(raw[i + 1]) };
      if (before && row.ms === before.ms && row.id >= before.id) continue;
      rows.push(row);
    }
    const page = rows.slice(0, limit);
    const deliveries = (await Promise.all(page.map((r) => this.get(endpointId, r.id)))).filter((d): d is WebhookDelivery => d !== null);
    const last = page.at(-1);
    return { deliveries, next: page.length === limit && last ? last : null };
  }

  /** The attempt log, newest first, `limit` per page; `before` is a stream id from the previous page. */
  async attempts(endpointId: string, limit: number, before?: string): Promise<{ attempts: DeliveryAttempt[]; next: string | null }> {
    const raw = await this.redis.xrevrange(this.keys.attempts(endpointId), before ? `(${before}` : '+', '-', 'COUNT', limit);
    const attempts = raw.map(([, fields]) => DeliveryAttempt.parse(JSON.parse(fields[1] ?? 'null')));
    return { attempts, next: raw.length === limit ? (raw.at(-1)?.[0] ?? null) : null };
  }
}

/** The last attempts of one delivery (a capped list), expiring with it. */
const historyKey = (k: WebhookKeys, endpointId: string, id: string) => `${k.tag(endpointId)}:h:${id}`;
