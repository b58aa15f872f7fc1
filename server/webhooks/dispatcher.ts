import type { StoredWebhookEndpoint } from '../../schema/webhook.ts';
import type { Logger } from '../logger.ts';
import { sleep } from '../log/backoff.ts';
import type { EndpointDirectory } from './directory.ts';
import type { Claimed, DeliveryQueue } from './queue.ts';
import { decide, type RetryPolicy } from './retry.ts';
import type { WebhookSender } from './sender.ts';

/** What the dispatcher reports, per endpoint (wire it to Prometheus with `webhookMetrics`). */
export interface DispatchObserver {
  /** One HTTP attempt: `outcome` is delivered, retry or dead; `status` the HTTP status or timeout/network. */
  attempt(endpointId: string, outcome: 'delivered' | 'retry' | 'dead', status: string, latencyMs: number): void;
  disabled(endpointId: string): void;
}

export interface DispatcherOptions {
  directory: EndpointDirectory;
  queue: DeliveryQueue;
  sender: WebhookSender;
  log: Logger;
  member: string;
  policy: RetryPolicy;
  /** Attempts in flight per endpoint in this process. */
  concurrency: number;
  timeoutMs: number;
  /** How often queues are looked at when nothing woke the loop (another process may have enqueued). */
  pollMs?: number;
  observer?: DispatchObserver;
}

/**
 * The delivery loop: for every enabled endpoint with a free slot, claims due deliveries (one round
 * trip for all endpoints) and starts their attempts without waiting for them — a black-holing
 * endpoint holds only its own slots until its timeouts fire, never the loop or another endpoint.
 * Each attempt is signed afresh, sent with a timeout, and settled (fenced by its lock token).
 */
export function createDispatcher(opts: DispatcherOptions) {
  const { directory, queue, sender, member, policy, concurrency } = opts;
  const log = opts.log.child({ module: 'notifier-dispatch', member });
  const pollMs = opts.pollMs ?? 100;
  // The lock outlives the attempt's timeout, its body read and its settle.
  const leaseMs = opts.timeoutMs + 10_000;
  const inflight = new Map<string, number>();
  const running = new Set<Promise<void>>();
  /** Endpoint → when its queue next has something due (skipped until then unless nudged). */
  const idleUntil = new Map<string, number>();
  let seq = 0;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let wake = new AbortController();

  const nudge = (endpointIds?: Iterable<string>) => {
    for (const id of endpointIds ?? []) idleUntil.delete(id);
    wake.abort();
  };

  async function attempt(endpoint: StoredWebhookEndpoint, c: Claimed): Promise<void> {
    const started = performance.now();
    const at = new Date();
    const { result, detail } = await sender.send(endpoint.url, endpoint.secret, c.id, c.payload, at);
    const latencyMs = Math.round(performance.now() - started);
    const n = c.attempts + 1;
    const now = Date.now();
    const decision = decide(result, n, policy, now);
    const status = result.kind === 'response' ? String(result.status) : result.kind;
    const error =
      decision.kind === 'delivered' ? '' : [decision.reason, detail].filter(Boolean).join(': ').slice(0, 500);
    const outcome = decision.kind;
    const settled = await queue.settle({
      claimed: c,
      outcome,
      nextMs: decision.kind === 'retry' ? now + decision.delayMs : 0,
      attempt: {
        deliveryId: c.id,
        attempt: n,
        at: at.toISOString(),
        ...(result.kind === 'response' ? { status: result.status } : {}),
        latencyMs,
        outcome,
        ...(error ? { error } : {}),
      },
      countsAsFailure: decision.kind !== 'delivered' && decision.countsAsFailure,
      lastError: error,
    });
    opts.observer?.attempt(endpoint.id, outcome, status, latencyMs);
    if (settled === 'fenced') log.warn({ endpoint: endpoint.id, delivery: c.id }, 'attempt outlived its lock; a peer owns the delivery now');
    if (outcome === 'dead') log.warn({ endpoint: endpoint.id, delivery: c.id, error }, 'delivery dead-lettered');
    if (settled === 'disabled') {
      log.warn({ endpoint: endpoint.id, error }, 'endpoint auto-disabled after a long failure streak');
      opts.observer?.disabled(endpoint.id);
    }
  }

  function launch(endpoint: StoredWebhookEndpoint, c: Claimed): void {
    inflight.set(endpoint.id, (inflight.get(endpoint.id) ?? 0) + 1);
    const p = attempt(endpoint, c)
      .catch((err: unknown) => log.error({ err, endpoint: endpoint.id, delivery: c.id }, 'attempt failed to settle; it runs again after its lease'))
      .finally(() => {
        inflight.set(endpoint.id, (inflight.get(endpoint.id) ?? 1) - 1);
        idleUntil.delete(endpoint.id);
        running.delete(p);
        wake.abort();
      });
    running.add(p);
  }

  /** One round: claim for every endpoint with free slots and something (maybe) due; returns how many started. */
  async function round(): Promise<number> {
    const now = Date.now();
    const endpoints = (await directory.fresh(now)).filter(
      (e) => e.enabled && (inflight.get(e.id) ?? 0) < concurrency && (idleUntil.get(e.id) ?? 0) <= now,
    );
    const claims = await Promise.all(
      endpoints.map(async (e) => ({ e, r: await queue.claim(e.id, concurrency - (inflight.get(e.id) ?? 0), leaseMs, `${member}:${++seq}`, now) })),
    );
    let started = 0;
    for (const { e, r } of claims) {
      for (const c of r.claimed) launch(e, c);
      started += r.claimed.length;
      // Nothing claimable now: look again when the earliest is due, or after a poll (another process may enqueue).
      if (r.claimed.length === 0) idleUntil.set(e.id, Math.min(r.nextDueMs ?? Infinity, now + 1_000));
    }
    return started;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        wake = new AbortController();
        const started = await round();
        failures = 0;
        if (started === 0) await sleep(pollMs, wake.signal);
      } catch (err) {
        failures++;
        log.error({ err, failures }, 'dispatch round failed; retrying');
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  return {
    start(): void {
      loop = run();
    },
    /** Wakes the loop now (new deliveries for these endpoints). */
    nudge,
    /** Stops claiming and waits for attempts in flight (each bounded by its timeout). */
    async stop(): Promise<void> {
      stopping = true;
      wake.abort();
      await loop;
      await Promise.allSettled([...running]);
    },
    inflight: () => [...inflight.values()].reduce((a, b) => a + b, 0),
  };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
