import { generateUsers, type GeneratedEvent, type GenerateOptions } from './generator.ts';

/** What to send, and where: a running Warmline's collector and a write key of its workspace. */
export interface HttpSeedOptions extends GenerateOptions {
  url: string;
  writeKey: string;
  /** Stop after this many events (the last user's are cut). */
  maxEvents?: number;
  /** Events per `/v1/batch` request (≤ 500 KB: the generator's events are ~1 KB). */
  batchSize?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  onProgress?: (events: number) => void;
}

export interface HttpSeedResult {
  events: number;
  users: number;
  requests: number;
  /** Requests answered 429/503 and sent again after their Retry-After. */
  retried: number;
}

/** A request the collector refused for good (4xx other than 429): seeding stops with its answer. */
export class SeedRefused extends Error {}

const MAX_RETRY_WAIT_MS = 30_000;

/**
 * Sends generated history through a running Warmline, as a server SDK would (`/v1/batch`, the events'
 * own historical `timestamp`s, no `sentAt`): the collector stores it, the scorer scores it live (profiles,
 * segments and signals, so the dashboards have something to show) and the sink moves it to ClickHouse.
 * Same seed: same messageIds, so sending twice is deduplicated by the collector. A 429/503 is retried
 * after its Retry-After; any other refusal stops with the collector's message.
 */
export async function seedOverHttp(o: HttpSeedOptions): Promise<HttpSeedResult> {
  const batchSize = o.batchSize ?? 100;
  const concurrency = o.concurrency ?? 4;
  const maxEvents = o.maxEvents ?? Infinity;
  const endpoint = new URL('/v1/batch', o.url);
  const authorization = `Basic ${Buffer.from(`${o.writeKey}:`).toString('base64')}`;
  const result: HttpSeedResult = { events: 0, users: 0, requests: 0, retried: 0 };
  const inflight = new Set<Promise<void>>();

  const post = async (batch: GeneratedEvent[]): Promise<void> => {
    for (;;) {
      result.requests++;
      const res = await fetch(endpoint, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
      const text = await res.text();
      if (res.ok) return;
      if (res.status !== 429 && res.status !== 503) throw new SeedRefused(`${endpoint.href} answered ${res.status}: ${text.slice(0, 300)}`);
      result.retried++;
      const wait = Math.min(MAX_RETRY_WAIT_MS, Number(res.headers.get('retry-after') ?? '1') * 1000 || 1000);
      await new Promise((r) => setTimeout(r, wait));
    }
  };
  const send = async (batch: GeneratedEvent[]) => {
    while (inflight.size >= concurrency) await Promise.race(inflight);
    const p: Promise<void> = post(batch).finally(() => inflight.delete(p));
    inflight.add(p);
    // A refusal surfaces at the next send or at the end, not as an unhandled rejection.
    p.catch(() => undefined);
  };

  let batch: GeneratedEvent[] = [];
  for (const { events } of generateUsers(o)) {
    const take = events.slice(0, Math.max(0, maxEvents - result.events));
    for (const e of take) {
      batch.push(e);
      if (batch.length === batchSize) {
        await send(batch);
        batch = [];
      }
    }
    result.events += take.length;
    result.users++;
    o.onProgress?.(result.events);
    if (result.events >= maxEvents) break;
  }
  if (batch.length > 0) await send(batch);
  await Promise.all(inflight);
  return result;
}
