import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric Warmline exposes, on a registry of its own (tests build several apps in one
 * process). Gauges that mirror Redis state (log length, lag) are filled at scrape time by `collectLog`.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly ingestEvents = new Counter({
    name: 'warmline_ingest_events_total',
    help: 'Events received by the collector, by outcome (accepted, duplicate, rejected)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly ingestRejects = new Counter({
    name: 'warmline_ingest_rejects_total',
    help: 'Events refused inside otherwise valid requests, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly ingestRequests = new Counter({
    name: 'warmline_ingest_requests_total',
    help: 'Ingest requests answered, by status code',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly ingestShed = new Counter({
    name: 'warmline_ingest_shed_total',
    help: 'Requests refused to protect the collector or the log (inflight, rate_limit, log_full, redis_down)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly trackerMetrics = new Counter({
    name: 'warmline_tracker_metrics_total',
    help: 'Metric reports received from trackers on /v1/m',
    registers: [this.registry],
  });
  readonly logLength = new Gauge({
    name: 'warmline_log_length',
    help: 'Entries held in each log partition',
    labelNames: ['partition'] as const,
    registers: [this.registry],
  });
  readonly logLag = new Gauge({
    name: 'warmline_log_lag',
    help: 'Entries not yet delivered to a consumer group, summed over partitions',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly logPending = new Gauge({
    name: 'warmline_log_pending',
    help: 'Entries delivered to a consumer group but not yet acknowledged, summed over partitions',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly sinkBatchRows = new Histogram({
    name: 'warmline_sink_batch_rows',
    help: 'Rows per ClickHouse insert by the sink',
    buckets: [1, 10, 100, 1_000, 5_000, 20_000, 100_000],
    registers: [this.registry],
  });
  readonly sinkBatchSeconds = new Histogram({
    name: 'warmline_sink_batch_seconds',
    help: 'Latency of one sink flush (insert and acknowledge)',
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly sinkDeadLettered = new Counter({
    name: 'warmline_sink_dead_lettered_total',
    help: 'Log entries the sink moved to a dead-letter stream',
    registers: [this.registry],
  });

  readonly scorerEvents = new Counter({
    name: 'warmline_scorer_events_total',
    help: 'Events applied to profiles by the scorer (duplicates and bots excluded)',
    registers: [this.registry],
  });
  readonly scorerLatency = new Histogram({
    name: 'warmline_scorer_latency_seconds',
    help: "From the collector's receipt of an event to its profile write",
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly signals = new Counter({
    name: 'warmline_signals_total',
    help: 'Signals emitted (segment entries/exits, threshold crossings)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'warmline_' });
  }
}
