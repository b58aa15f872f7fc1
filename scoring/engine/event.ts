import type { EventType } from '../../schema/events.ts';
import { normalisePath } from './rules/glob.ts';

/**
 * What the engine needs of an event: a subset of the log's `StoredEvent`, so the live scorer passes
 * log entries as they are and `rescore` can build them from ClickHouse rows.
 */
export interface ScorableEvent {
  messageId: string;
  type: EventType;
  /** Skew-corrected event time, ISO-8601. */
  timestamp: string;
  receivedAt?: string;
  ua?: { isBot: boolean };
  /** The client's event as sent: `event`, `name`, `properties`, `traits`, `context`… */
  event: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An event with its hot fields read once and its page path worked out only if a rule asks. */
export class EventView {
  readonly name: string | undefined;
  readonly properties: Record<string, unknown>;
  private pathCache: string | null | undefined;

  constructor(readonly e: ScorableEvent) {
    const raw = e.type === 'track' ? e.event.event : e.event.name;
    this.name = typeof raw === 'string' ? raw : undefined;
    this.properties = isObject(e.event.properties) ? e.event.properties : {};
  }

  /** The page path: `properties.path`, else `context.page.path`, else the path of the page URL. */
  get path(): string | null {
    if (this.pathCache !== undefined) return this.pathCache;
    const page = isObject(this.e.event.context) && isObject(this.e.event.context.page) ? this.e.event.context.page : {};
    let path: unknown = this.properties.path ?? page.path;
    if (typeof path !== 'string') {
      const url = this.properties.url ?? page.url;
      path = typeof url === 'string' ? pathOfUrl(url) : null;
    }
    this.pathCache = typeof path === 'string' ? normalisePath(path) : null;
    return this.pathCache;
  }

  /** Traits of an identify or group call. */
  get traits(): Record<string, unknown> {
    return isObject(this.e.event.traits) ? this.e.event.traits : {};
  }
}

function pathOfUrl(url: string): string | null {
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

/** Reads `a.b.c` from nested objects; a key holding a dot literally is tried first. */
export function compileGetter(key: string): (obj: Record<string, unknown>) => unknown {
  if (!key.includes('.')) return (obj) => obj[key];
  const parts = key.split('.');
  return (obj) => {
    if (key in obj) return obj[key];
    let cur: unknown = obj;
    for (const p of parts) {
      if (!isObject(cur)) return undefined;
      cur = cur[p];
    }
    return cur;
  };
}

/**
 * The event's time in ms: its skew-corrected timestamp, else when it was received, never later
 * than `now` (a client clock in the future must not push a user's clock ahead).
 */
export function eventTime(e: ScorableEvent, now: number): number {
  let t = Date.parse(e.timestamp);
  if (Number.isNaN(t) && e.receivedAt) t = Date.parse(e.receivedAt);
  return Number.isNaN(t) ? now : Math.min(t, now);
}
