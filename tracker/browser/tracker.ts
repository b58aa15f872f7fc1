import { AnalyticsBrowser, type Analytics } from '@segment/analytics-next';
import { consentStatus, recordConsent } from './consent.ts';
import { intentHelpers, isIntentHelper } from './intent.ts';
import { pageContext, type PageContext } from './page-context.ts';
import { watchRoutes } from './spa.ts';
import { JOURNAL_STORAGE_PREFIX, STUB_STORAGE_PREFIX, type QueuedCall } from '../methods.ts';
import type { ConsentStatus, Properties, WarmlineApi, WarmlineOptions } from './types.ts';

/** A call waiting for consent (or for the engine), with the page it was made on. */
interface Call {
  method: 'page' | 'track' | 'identify' | 'identifyTraits' | 'group' | 'alias' | 'reset';
  args: unknown[];
  at: number;
  page: PageContext;
  /** The event's messageId, fixed when the call is made: a resend from the journal is deduped. */
  id: string;
}

/** A messageId like analytics-next's, from a CSPRNG (randomUUID needs a secure context). */
function messageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `ajs-next-${Date.now()}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Calls held while consent is pending; past this the newest are dropped (the landing page view is kept). */
const MAX_HELD = 100;

/** Reads and removes a JSON value from localStorage (undefined when absent, unreadable or blocked). */
function takeStored<T>(key: string): T | undefined {
  try {
    const text = localStorage.getItem(key);
    if (text === null) return undefined;
    localStorage.removeItem(key);
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Properties => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Properties) : {});

/**
 * The tracker: analytics-next configured so nothing leaves for a third party, behind a consent gate.
 * Until consent allows sending, analytics-next is not even started: no cookie, no storage, no request.
 */
export class Tracker {
  private ajs: AnalyticsBrowser | undefined;
  private instance: Analytics | undefined;
  private held: Call[] = [];
  /** Calls given to analytics-next but not yet handed to delivery; saved on pagehide, resent by the next page. */
  private readonly journal = new Map<string, Call>();
  private readyFns: (() => void)[] = [];
  private state: ConsentStatus;
  readonly api: WarmlineApi;

  constructor(
    private readonly writeKey: string,
    private readonly options: WarmlineOptions,
  ) {
    this.state = consentStatus(options);
    const now = Date.now;
    this.api = {
      page: (name, properties) => this.page(str(name), obj(properties), now()),
      track: (event, properties) => this.call('track', [event, obj(properties)], now()),
      identify: (userId, traits) => this.call('identify', [userId, obj(traits)], now()),
      group: (groupId, traits) => this.call('group', [groupId, obj(traits)], now()),
      alias: (userId, previousId) => this.call('alias', [userId, previousId], now()),
      reset: () => this.call('reset', [], now()),
      ready: (fn) => this.ready(fn),
      anonymousId: () => this.instance?.user().anonymousId() ?? null,
      consent: { grant: () => this.grant(), deny: () => this.deny(), status: () => this.state },
      loaded: true,
      ...intentHelpers({
        track: (event, properties) => this.call('track', [event, properties], now()),
        identifyTraits: (traits) => this.call('identifyTraits', [traits], now()),
      }),
    };
  }

  /**
   * Resends what an earlier page left unsent (its journal, or a snippet queue the bundle never
   * took), then watches SPA route changes. The landing page view comes queued by the snippet.
   */
  start(): void {
    addEventListener('pagehide', () => this.saveJournal());
    for (const call of takeStored<Call[]>(JOURNAL_STORAGE_PREFIX + this.writeKey) ?? []) this.call(call.method, call.args, call.at, call.page, call.id);
    const stub = takeStored<{ u: string; r: string; t: string; q: QueuedCall[] }>(STUB_STORAGE_PREFIX + this.writeKey);
    if (stub) {
      const url = new URL(stub.u);
      const page: PageContext = { path: url.pathname, referrer: stub.r, search: url.search, title: stub.t, url: stub.u.split('#')[0]! };
      for (const [method, at, ...args] of stub.q) this.replay(method, at, args, page);
    }
    if (this.options.trackPages !== false) watchRoutes((previousUrl) => this.page(undefined, {}, Date.now(), previousUrl));
  }

  private saveJournal(): void {
    const key = JOURNAL_STORAGE_PREFIX + this.writeKey;
    try {
      if (this.journal.size) localStorage.setItem(key, JSON.stringify([...this.journal.values()]));
      else localStorage.removeItem(key);
    } catch {
      // Storage full or blocked: analytics-next's own queue still holds what was in flight.
    }
  }

  /** Replays one call the snippet queued: `[method, at, ...args]`. */
  replay(method: string, at: number, args: unknown[], page = pageContext()): void {
    if (method === 'consent.grant') return this.grant();
    if (method === 'consent.deny') return this.deny();
    if (method === 'page') return this.call('page', [str(args[0]), obj(args[1])], at, page);
    if (method === 'ready') return typeof args[0] === 'function' ? this.ready(args[0] as () => void) : undefined;
    if (method === 'track' || method === 'identify' || method === 'group' || method === 'alias' || method === 'reset') {
      return this.call(method, args, at, page);
    }
    if (isIntentHelper(method)) {
      // Route the helper's calls through `at`, the time the snippet queued it, not now.
      const helpers = intentHelpers({
        track: (event, p) => this.call('track', [event, p], at, page),
        identifyTraits: (traits) => this.call('identifyTraits', [traits], at, page),
      });
      (helpers[method] as (arg: unknown) => void)(args[0]);
    }
  }

  private page(name: string | undefined, properties: Properties, at: number, referrer?: string): void {
    this.call('page', [name, properties], at, pageContext(referrer));
  }

  private call(method: Call['method'], args: unknown[], at: number, page = pageContext(), id = messageId()): void {
    const call: Call = { method, args, at, page, id };
    if (this.state === 'denied') return;
    if (this.state === 'pending') {
      if (this.held.length < MAX_HELD) this.held.push(call);
      return;
    }
    this.send(call);
  }

  private grant(): void {
    recordConsent('granted', this.options);
    this.state = 'granted';
    const held = this.held.splice(0);
    for (const call of held) this.send(call);
    if (!held.length) this.engine();
  }

  /** Opt-out: remembered, held calls dropped, the user's ids and traits forgotten on this device. */
  private deny(): void {
    recordConsent('denied', this.options);
    this.state = 'denied';
    this.held = [];
    void this.ajs?.reset();
  }

  private ready(fn: () => void): void {
    if (this.instance) fn();
    else this.readyFns.push(fn);
  }

  private send(call: Call): void {
    const { method, args, at, page, id } = call;
    const ajs = this.engine();
    const options = { timestamp: new Date(at), context: { page }, messageId: id };
    const run = (): Promise<unknown> => {
      switch (method) {
        case 'page':
          return ajs.page(null, str(args[0]) ?? null, { ...page, ...obj(args[1]) }, options);
        case 'track':
          return ajs.track(String(args[0]), obj(args[1]), options);
        case 'identify':
          return ajs.identify(String(args[0]), obj(args[1]), options);
        case 'identifyTraits':
          return ajs.identify(obj(args[0]), options);
        case 'group':
          return ajs.group(String(args[0]), obj(args[1]), options);
        case 'alias':
          return ajs.alias(String(args[0]), str(args[1]), options);
        case 'reset':
          return ajs.reset();
      }
    };
    // Journaled until analytics-next has handed the event to delivery (sent, or in its persisted retry queue).
    if (method !== 'reset') this.journal.set(id, call);
    run()
      .then(() => this.journal.delete(id))
      .catch((err: unknown) => console.warn('warmline: call failed', err));
  }

  /** analytics-next, started on first use: settings inline, our host only, metrics off, no remote plugins. */
  private engine(): AnalyticsBrowser {
    if (this.ajs) return this.ajs;
    const url = new URL(this.options.host);
    const protocol = url.protocol === 'http:' ? 'http' : 'https';
    // analytics-next wants the API host without a scheme; our ingest API lives under /v1.
    const apiHost = `${url.host}/v1`;
    const ajs = AnalyticsBrowser.load(
      {
        writeKey: this.writeKey,
        cdnURL: url.origin,
        cdnSettings: {
          integrations: { 'Segment.io': { apiKey: this.writeKey, apiHost, protocol, addBundledMetadata: false } },
          metrics: { sampleRate: 0 },
          remotePlugins: [],
        },
      },
      {
        integrations: {
          // Standard delivery keeps a persisted retry queue (survives navigation and downtime);
          // keepalive lets the last events of a page finish after it unloads.
          'Segment.io': { apiHost, protocol, deliveryStrategy: { strategy: 'standard', config: { keepalive: true } } },
        },
        ...(this.options.cookieDomain ? { cookie: { domain: this.options.cookieDomain } } : {}),
        retryQueue: true,
        initialPageview: false,
        // A crafted link must not set someone's userId or fire events (?ajs_uid=…).
        useQueryString: false,
        // Never read another analytics.js snippet's `window.analytics` queue.
        globalAnalyticsKey: '__warmline_ajs',
      },
    );
    this.ajs = ajs;
    ajs
      .then(([instance]) => {
        this.instance = instance;
        for (const fn of this.readyFns.splice(0)) fn();
      })
      .catch((err: unknown) => console.warn('warmline: tracker failed to start', err));
    return ajs;
  }
}
