/**
 * Realistic ingest traffic for the scenarios: the users, sessions and intent paths of
 * `load-tests/generator.ts` (personas browsing, identifying, requesting demos, converting), sent the
 * way analytics-next sends them — each event alone as text/plain to `/v1/t|p|i|g` — with, every
 * `singlesPerBatch` requests, a `/v1/batch` of `batchSize` events as a server SDK sends. Endless: when
 * the generated users run out, the next seed's users follow (new users, new messageIds).
 */
import { generate, type GeneratedEvent } from '../generator.ts';
import type { RequestSource } from '../payloads.ts';

const PATHS: Record<GeneratedEvent['type'], string> = { track: '/v1/t', page: '/v1/p', identify: '/v1/i', group: '/v1/g' };

export interface TrafficOptions {
  writeKey: string;
  seed: number;
  /** Users generated per round (their events come user after user). */
  users?: number;
  /** Days of history those users' events spread over. */
  days?: number;
  singlesPerBatch?: number;
  batchSize?: number;
}

export class GeneratedTraffic implements RequestSource {
  private events: Iterator<GeneratedEvent>;
  private round = 0;
  private requests = 0;
  private readonly singlesPerBatch: number;
  private readonly batchSize: number;

  constructor(private readonly o: TrafficOptions) {
    this.singlesPerBatch = o.singlesPerBatch ?? 9;
    this.batchSize = o.batchSize ?? 20;
    this.events = this.rounds();
  }

  /** Mean events per request: what turns requests/s into events/s. */
  get eventsPerRequest(): number {
    return (this.singlesPerBatch + this.batchSize) / (this.singlesPerBatch + 1);
  }

  private rounds(): Iterator<GeneratedEvent> {
    return generate({ seed: this.o.seed + this.round++, users: this.o.users ?? 20_000, days: this.o.days ?? 7 })[Symbol.iterator]();
  }

  private nextEvent(): GeneratedEvent {
    let r = this.events.next();
    if (r.done) {
      this.events = this.rounds();
      r = this.events.next();
    }
    return r.value as GeneratedEvent;
  }

  nextRequest(): { path: string; body: Buffer } {
    const sentAt = new Date().toISOString();
    if (this.requests++ % (this.singlesPerBatch + 1) === this.singlesPerBatch) {
      const batch = Array.from({ length: this.batchSize }, () => this.nextEvent());
      return { path: '/v1/batch', body: Buffer.from(JSON.stringify({ batch, sentAt, writeKey: this.o.writeKey })) };
    }
    const e = this.nextEvent();
    return { path: PATHS[e.type], body: Buffer.from(JSON.stringify({ ...e, sentAt, writeKey: this.o.writeKey })) };
  }
}
