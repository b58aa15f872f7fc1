import { Counter, Gauge, type Registry } from 'prom-client';

/** The feed's Prometheus metrics, on the process registry (reused when a second feed shares it, as in tests). */
export class FeedMetrics {
  readonly connections: Gauge<'state'>;
  readonly refused: Counter<'reason'>;
  readonly sent: Counter;
  readonly disconnects: Counter<'reason'>;

  constructor(registry?: Registry) {
    const reuse = <T>(name: string, make: () => T): T => (registry?.getSingleMetric(name) as T | undefined) ?? make();
    const registers = registry ? [registry] : [];
    this.connections = reuse('warmline_feed_connections', () =>
      new Gauge({ name: 'warmline_feed_connections', help: 'Open live-feed WebSockets, by state (replaying, live)', labelNames: ['state'] as const, registers }),
    );
    this.refused = reuse('warmline_feed_refused_total', () =>
      new Counter({ name: 'warmline_feed_refused_total', help: 'Feed connections refused, by reason', labelNames: ['reason'] as const, registers }),
    );
    this.sent = reuse('warmline_feed_signals_sent_total', () =>
      new Counter({ name: 'warmline_feed_signals_sent_total', help: 'Signal messages written to feed sockets (replayed and live)', registers }),
    );
    this.disconnects = reuse('warmline_feed_disconnects_total', () =>
      new Counter({ name: 'warmline_feed_disconnects_total', help: 'Feed connections closed by the server, by reason (slow_consumer, dead_peer, shutdown)', labelNames: ['reason'] as const, registers }),
    );
  }
}
