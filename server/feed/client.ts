import { WebSocket } from 'ws';
import { FeedCloseCode, FeedServerMessage, type FeedClientMessage, type FeedFilters, type SubscribedMessage } from '../../schema/feed.ts';
import type { Signal } from '../../schema/signal.ts';

/** The part of the WebSocket API the client uses: `ws` in Node, the built-in one in browsers. */
export interface FeedSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type FeedClientEvent =
  | { type: 'subscribed'; message: SubscribedMessage }
  | { type: 'error'; code: string; message: string }
  | { type: 'closed'; code: number; reason: string }
  | { type: 'reconnecting'; attempt: number; delayMs: number }
  /** The server refused the key (4401/4403): the client stops for good. */
  | { type: 'refused'; code: number; reason: string };

export interface FeedClientOptions {
  /** `ws(s)://host:port/ws/feed` */
  url: string;
  /** A secret key (`sk_…`). */
  key: string;
  filters?: FeedFilters;
  /** Resume after this cursor (e.g. one persisted before a restart). */
  since?: string;
  onSignal: (signal: Signal, cursor: string) => void;
  onEvent?: (event: FeedClientEvent) => void;
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * Opens a socket; the default uses `ws` with the key in an `Authorization` header. Browsers pass
   * `(url, key) => new WebSocket(`${url}?key=${encodeURIComponent(key)}`)`.
   */
  connect?: (url: string, key: string) => FeedSocket;
}

export interface FeedClient {
  /** The cursor after the last signal (or heartbeat) received: what a reconnect resumes from. */
  readonly cursor: string | undefined;
  /** Resolves at the first `subscribed`; rejects if the key is refused first. */
  readonly ready: Promise<void>;
  close(): void;
}

const OPEN = 1;
const nodeSocket = (url: string, key: string): FeedSocket => new WebSocket(url, { headers: { authorization: `Bearer ${key}` } }) as unknown as FeedSocket;

/**
 * A feed subscription that survives disconnects: it reconnects with exponential backoff and jitter and
 * resumes from the last cursor, so nothing is lost or repeated within the retention window. A silent
 * server (no heartbeat for three periods) counts as a disconnect.
 *
 * @example
 *   const feed = connectFeed({ url: 'ws://localhost:8080/ws/feed', key: 'sk_…', filters: { minScore: 50 },
 *     onSignal: (s) => console.log(s.userKey, s.kind, s.score) });
 *   await feed.ready;
 */
export function connectFeed(opts: FeedClientOptions): FeedClient {
  const initialMs = opts.backoff?.initialMs ?? 250;
  const maxMs = opts.backoff?.maxMs ?? 30_000;
  const open = opts.connect ?? nodeSocket;
  let cursor = opts.since;
  let stopped = false;
  let attempt = 0;
  let socket: FeedSocket | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => undefined);

  const armWatchdog = (heartbeatMs: number) => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => socket?.close(4000, 'no heartbeat'), heartbeatMs * 3);
  };

  const connect = () => {
    const ws = open(opts.url, opts.key);
    socket = ws;
    let heartbeatMs = 0;
    ws.onopen = () => {
      const subscribe: FeedClientMessage = { type: 'subscribe', ...opts.filters, ...(cursor ? { since: cursor } : {}) };
      ws.send(JSON.stringify(subscribe));
    };
    ws.onmessage = (ev) => {
      if (heartbeatMs) armWatchdog(heartbeatMs);
      let json: unknown;
      try {
        json = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data));
      } catch {
        return;
      }
      const parsed = FeedServerMessage.safeParse(json);
      if (!parsed.success) return;
      const msg = parsed.data;
      switch (msg.type) {
        case 'signal':
          cursor = msg.cursor;
          opts.onSignal(msg.signal, msg.cursor);
          break;
        case 'heartbeat':
          if (msg.cursor) cursor = msg.cursor;
          break;
        case 'subscribed':
          attempt = 0;
          heartbeatMs = msg.heartbeatMs;
          armWatchdog(heartbeatMs);
          cursor ??= msg.cursor;
          opts.onEvent?.({ type: 'subscribed', message: msg });
          resolveReady();
          break;
        case 'error':
          opts.onEvent?.({ type: 'error', code: msg.code, message: msg.message });
          break;
        case 'slow_consumer':
          opts.onEvent?.({ type: 'error', code: 'slow_consumer', message: msg.message });
          break;
      }
    };
    ws.onerror = () => undefined; // a close follows
    ws.onclose = (ev) => {
      clearTimeout(watchdog);
      if (socket === ws) socket = null;
      opts.onEvent?.({ type: 'closed', code: ev.code, reason: ev.reason });
      if (stopped) return;
      if (ev.code === FeedCloseCode.unauthorized || ev.code === FeedCloseCode.forbidden) {
        stopped = true;
        opts.onEvent?.({ type: 'refused', code: ev.code, reason: ev.reason });
        rejectReady(new Error(`feed refused the key: ${ev.code} ${ev.reason}`));
        return;
      }
      const delayMs = Math.round(Math.min(maxMs, initialMs * 2 ** attempt) * (0.5 + Math.random() / 2));
      attempt++;
      opts.onEvent?.({ type: 'reconnecting', attempt, delayMs });
      retry = setTimeout(connect, delayMs);
    };
  };
  connect();

  return {
    get cursor() {
      return cursor;
    },
    ready,
    close() {
      stopped = true;
      clearTimeout(retry);
      clearTimeout(watchdog);
      if (socket && socket.readyState <= OPEN) socket.close(1000, 'client closed');
    },
  };
}
