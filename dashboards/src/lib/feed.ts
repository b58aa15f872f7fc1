import type { FeedServerMessage, SubscribeMessage } from '../../../schema/feed.ts';
import type { Signal } from '../../../schema/signal.ts';

/**
 * The browser side of `/ws/feed`: the protocol `server/feed/client.ts` follows for Node (which
 * needs `ws` and zod, so cannot ship here). Subscribes after `since`, reconnects with exponential
 * backoff and jitter, resumes from the last cursor (signal or heartbeat) so nothing is lost or
 * repeated, treats three silent heartbeat periods as a disconnect, and stops on a refused key.
 */
export type FeedStatus = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface BrowserFeedOptions {
  key: string;
  /** Resume after this cursor (from `GET /api/signals`). */
  since?: string;
  onSignal: (signal: Signal, cursor: string) => void;
  onStatus: (status: FeedStatus, detail?: string) => void;
}

/** Close codes the server refuses a key with (`FeedCloseCode` in schema/feed.ts: values stay server-side). */
const REFUSED = new Set([4401, 4403]);

export function openFeed(opts: BrowserFeedOptions): { close(): void } {
  let cursor = opts.since;
  let attempt = 0;
  let stopped = false;
  let socket: WebSocket | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/feed?key=${encodeURIComponent(opts.key)}`;

  const connect = () => {
    opts.onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(url);
    socket = ws;
    let heartbeatMs = 0;
    const arm = () => {
      clearTimeout(watchdog);
      if (heartbeatMs) watchdog = setTimeout(() => ws.close(4000, 'no heartbeat'), heartbeatMs * 3);
    };
    ws.onopen = () => {
      const subscribe: SubscribeMessage = { type: 'subscribe', ...(cursor ? { since: cursor } : {}) };
      ws.send(JSON.stringify(subscribe));
    };
    ws.onmessage = (ev: MessageEvent<string>) => {
      arm();
      let msg: FeedServerMessage;
      try {
        msg = JSON.parse(ev.data) as FeedServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'signal') {
        cursor = msg.cursor;
        opts.onSignal(msg.signal, msg.cursor);
      } else if (msg.type === 'heartbeat') {
        if (msg.cursor) cursor = msg.cursor;
      } else if (msg.type === 'subscribed') {
        attempt = 0;
        heartbeatMs = msg.heartbeatMs;
        arm();
        cursor ??= msg.cursor;
        opts.onStatus('live', msg.missed ? 'some signals were trimmed before we reconnected' : undefined);
      }
    };
    ws.onclose = (ev) => {
      clearTimeout(watchdog);
      if (socket === ws) socket = null;
      if (stopped) return;
      if (REFUSED.has(ev.code)) {
        stopped = true;
        opts.onStatus('refused', ev.reason);
        return;
      }
      const delayMs = Math.round(Math.min(30_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2));
      attempt++;
      opts.onStatus('reconnecting', `retrying in ${Math.ceil(delayMs / 1000)} s`);
      retry = setTimeout(connect, delayMs);
    };
  };
  connect();

  return {
    close() {
      stopped = true;
      clearTimeout(retry);
      clearTimeout(watchdog);
      socket?.close(1000, 'page closed');
    },
  };
}
