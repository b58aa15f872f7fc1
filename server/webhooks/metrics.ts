import { Counter, Histogram, type Registry } from 'prom-client';
import type { DispatchObserver } from './dispatcher.ts';

/**
 * Per-endpoint webhook metrics on `registry`, as a dispatch observer. Endpoint ids are labels:
 * their number is bounded by what workspaces configure.
 */
export function webhookMetrics(registry: Registry): DispatchObserver {
  const attempts = new Counter({
    name: 'warmline_webhook_attempts_total',
    help: 'Webhook delivery attempts, by endpoint, outcome (delivered, retry, dead) and status (HTTP code, timeout, network)',
    labelNames: ['endpoint', 'outcome', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'warmline_webhook_attempt_seconds',
    help: 'Latency of webhook attempts, by endpoint',
    labelNames: ['endpoint'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const disabled = new Counter({
    name: 'warmline_webhook_endpoints_disabled_total',
    help: 'Endpoints auto-disabled after a long failure streak',
    labelNames: ['endpoint'] as const,
    registers: [registry],
  });
  return {
    attempt(endpoint, outcome, status, ms) {
      attempts.inc({ endpoint, outcome, status });
      latency.observe({ endpoint }, ms / 1000);
    },
    disabled(endpoint) {
      disabled.inc({ endpoint });
    },
  };
}
