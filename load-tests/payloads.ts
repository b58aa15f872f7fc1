import type { EventType } from '../schema/events.ts';
import { LIBRARY, LOCALES, prng, REFERRERS, TIMEZONES, USER_AGENTS } from './generator.ts';

/** The PRNG lives with the shared generator; re-exported for the benchmarks that import it from here. */
export { prng };

/**
 * Request bodies shaped like `{ batch, sentAt, writeKey }` holding track/page/identify events (~800 B each)
 * with page context, user agent, library and locale, in two scenarios:
 * - `browser` (the default): what analytics-next's batched dispatcher sends — ONE visitor's events per
 *   batch, a browsing session of page views each followed by the clicks on that page;
 * - `server`: a server SDK relaying many users' events, so a batch spreads over every log partition.
 * Everything comes from a seeded PRNG, so a run is reproducible; `BodyPool.next()` stamps fresh
 * messageIds into a pre-built body for every request, because a resent messageId is a duplicate and
 * the collector's dedupe would make the benchmark trivially cheap.
 */

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const hex = (rand: Rand, n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
/** A version-4 UUID drawn from `rand`. */
const uuid = (rand: Rand) => `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-${pick(rand, ['8', '9', 'a', 'b'])}${hex(rand, 3)}-${hex(rand, 12)}`;

const PAGES = [
  { path: '/', title: 'Warmline - Real-time intent scoring for B2B teams' },
  { path: '/pricing', title: 'Pricing | Warmline' },
  { path: '/docs/getting-started', title: 'Getting started - Warmline Docs' },
  { path: '/blog/intent-signals-that-matter', title: 'Intent signals that actually matter | Warmline Blog' },
  { path: '/customers', title: 'Customers | Warmline' },
  { path: '/integrations/salesforce', title: 'Salesforce integration | Warmline' },
  { path: '/signup', title: 'Start your free trial | Warmline' },
] as const;
const TRACKS = ['Button Clicked', 'Signup Started', 'Pricing Plan Viewed', 'Demo Requested', 'Docs Searched', 'Video Played', 'Form Submitted'] as const;
const PLANS = ['free', 'starter', 'growth', 'enterprise'] as const;
const COMPANIES = ['Acme Corp', 'Globex', 'Initech', 'Umbrella Group', 'Hooli', 'Stark Industries', 'Wayne Enterprises'] as const;

interface Visitor {
  anonymousId: string;
  userId: string | null;
  userAgent: string;
  locale: string;
  timezone: string;
  company: string;
}

export type Scenario = 'browser' | 'server';
export const SCENARIOS: readonly Scenario[] = ['browser', 'server'];

/** Where each request goes and what it carries: what the load generators draw from. */
export interface RequestSource {
  nextRequest(): { path: string; body: Buffer };
}

export interface PayloadOptions {
  /** `browser` (one visitor per batch, the default) or `server` (many users per batch). */
  scenario?: Scenario;
  seed?: number;
  /** Events per batch (analytics-next flushes up to 100 at a time here). */
  batchSize?: number;
  /** Distinct pre-built bodies to cycle through. */
  poolSize?: number;
  writeKey: string;
  /** Distinct visitors the events come from. */
  visitors?: number;
  /** Wall-clock time the events pretend to be from (ms). */
  now?: number;
}

/** A page view's `context.page`, with a campaign query one time in five. */
function pageInfoOf(rand: Rand, referrer: string) {
  const page = pick(rand, PAGES);
  const search = rand() < 0.2 ? `?utm_source=${pick(rand, ['google', 'linkedin', 'newsletter'])}&utm_medium=cpc&utm_campaign=q3-launch` : '';
  return { path: page.path, referrer, search, title: page.title, url: `https://www.warmline.example${page.path}${search}` };
}

/** The envelope analytics-next gives every event of a visitor at time `at` on a page. */
function envelope(rand: Rand, v: Visitor, at: number, type: EventType, pageInfo: ReturnType<typeof pageInfoOf>): Record<string, unknown> {
  return {
    timestamp: new Date(at).toISOString(),
    integrations: {},
    type,
    messageId: `ajs-next-${at}-${uuid(rand)}`,
    context: {
      page: pageInfo,
      userAgent: v.userAgent,
      locale: v.locale,
      library: LIBRARY,
      timezone: v.timezone,
      ...(pageInfo.search ? { campaign: { source: 'google', medium: 'cpc', name: 'q3-launch' } } : {}),
    },
    anonymousId: v.anonymousId,
    userId: v.userId,
  };
}

/** One event of a mixed server-SDK batch; its messageId is `ajs-next-<ms>-<uuid>`. */
function event(rand: Rand, v: Visitor, at: number): Record<string, unknown> {
  const pageInfo = pageInfoOf(rand, pick(rand, REFERRERS));
  const roll = rand();
  const type: EventType = roll < 0.55 ? 'track' : roll < 0.9 ? 'page' : 'identify';
  return withBody(rand, v, envelope(rand, v, at, type, pageInfo), pageInfo);
}

/** The type-specific part of an event (track properties, page properties, identify traits). */
function withBody(rand: Rand, v: Visitor, e: Record<string, unknown>, pageInfo: ReturnType<typeof pageInfoOf>): Record<string, unknown> {
  if (e.type === 'page') e.properties = { ...pageInfo };
  else if (e.type === 'identify') e.traits = { email: `${v.anonymousId.slice(0, 8)}@${v.company.toLowerCase().replace(/\s+/g, '')}.example`, company: v.company, plan: pick(rand, PLANS) };
  else {
    e.event = pick(rand, TRACKS);
    e.properties = { label: `cta-${Math.floor(rand() * 40)}`, section: pick(rand, ['hero', 'nav', 'footer', 'pricing-table']), plan: pick(rand, PLANS), value: Math.round(rand() * 10_000) / 100 };
  }
  e._metadata = { bundled: ['Segment.io'], unbundled: [], bundledIds: [] };
  return e;
}

/** One visitor's page views, each followed by the clicks on that page (identify once, if known). */
function session(rand: Rand, v: Visitor, size: number, at: number): { batch: Record<string, unknown>[]; end: number } {
  const batch: Record<string, unknown>[] = [];
  let referrer: string = pick(rand, REFERRERS);
  while (batch.length < size) {
    const pageInfo = pageInfoOf(rand, referrer);
    const clicks = Math.floor(rand() * 8);
    for (let i = 0; i <= clicks && batch.length < size; i++) {
      const type: EventType = i === 0 ? 'page' : batch.length === 1 && v.userId ? 'identify' : 'track';
      at += 200 + Math.floor(rand() * 4_000);
      batch.push(withBody(rand, v, envelope(rand, v, at, type, pageInfo), pageInfo));
    }
    referrer = pageInfo.url;
  }
  return { batch, end: at };
}

const HEX_DIGITS = Buffer.from('0123456789abcdef');
const HEX_STAMP = Buffer.alloc(8);

/** A messageId's uuid starts 22 characters after the opening quote of `"ajs-next-<13 digits>-`. */
const UUID_OFFSET = '"ajs-next-'.length + 13 + 1;

/**
 * A pool of pre-built batch bodies. `next()` returns a new Buffer whose messageIds have their first
 * 8 uuid hex digits overwritten with a per-request counter, so no two requests share a messageId.
 */
export class BodyPool implements RequestSource {
  readonly bodies: Buffer[] = [];
  /** Per body, the byte offsets of each messageId's uuid. */
  private readonly idOffsets: number[][] = [];
  readonly batchSize: number;
  readonly scenario: Scenario;
  private sent = 0;

  constructor(opts: PayloadOptions) {
    const rand = prng(opts.seed ?? 42);
    this.batchSize = opts.batchSize ?? 100;
    this.scenario = opts.scenario ?? 'browser';
    const now = opts.now ?? Date.now();
    const visitors: Visitor[] = Array.from({ length: opts.visitors ?? 5_000 }, () => ({
      anonymousId: uuid(rand),
      userId: rand() < 0.4 ? `usr_${hex(rand, 12)}` : null,
      userAgent: pick(rand, USER_AGENTS),
      locale: pick(rand, LOCALES),
      timezone: pick(rand, TIMEZONES),
      company: pick(rand, COMPANIES),
    }));
    for (let b = 0; b < (opts.poolSize ?? 64); b++) {
      let at = now - Math.floor(rand() * 30_000);
      let batch: Record<string, unknown>[];
      if (this.scenario === 'server') {
        batch = Array.from({ length: this.batchSize }, () => event(rand, pick(rand, visitors), (at += Math.floor(rand() * 50))));
      } else {
        // A session of `batchSize` events spans minutes: it starts that long before `now`.
        ({ batch, end: at } = session(rand, pick(rand, visitors), this.batchSize, now - this.batchSize * 2_500));
      }
      const body = Buffer.from(JSON.stringify({ batch, sentAt: new Date(at + 20).toISOString(), writeKey: opts.writeKey }));
      const offsets: number[] = [];
      for (let from = 0; ; ) {
        const i = body.indexOf('"ajs-next-', from);
        if (i < 0) break;
        offsets.push(i + UUID_OFFSET);
        from = i + 1;
      }
      this.bodies.push(body);
      this.idOffsets.push(offsets);
    }
  }

  /** Average body size in bytes. */
  get bodyBytes(): number {
    return this.bodies.reduce((n, b) => n + b.length, 0) / this.bodies.length;
  }

  /** A body with messageIds no earlier call returned (up to 2^32 requests). */
  next(): Buffer {
    const n = this.sent++;
    const i = n % this.bodies.length;
    const src = this.bodies[i] as Buffer;
    const body = Buffer.allocUnsafe(src.length);
    src.copy(body);
    for (let d = 0; d < 8; d++) HEX_STAMP[d] = HEX_DIGITS[(n >>> (28 - 4 * d)) & 15] as number;
    for (const at of this.idOffsets[i] as number[]) for (let d = 0; d < 8; d++) body[at + d] = HEX_STAMP[d] as number;
    return body;
  }

  /** `next()` as a request to `/v1/batch`. */
  nextRequest(): { path: string; body: Buffer } {
    return { path: '/v1/batch', body: this.next() };
  }
}
