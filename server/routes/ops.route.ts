import { Hono } from 'hono';
import type { Metrics } from '../metrics.ts';
import type { Logger } from '../logger.ts';

/** A dependency `/readyz` must reach: resolves when healthy, throws with the reason otherwise. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

/** `/healthz` (the process answers), `/readyz` (its dependencies answer), `/metrics` (Prometheus text). */
export function opsRoutes(opts: { metrics: Metrics; checks: ReadinessCheck[]; beforeScrape: () => Promise<void>; log: Logger }): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const results = await Promise.all(
      opts.checks.map(async ({ name, check }) => {
        try {
          await check();
          return { name, ok: true as const };
        } catch (err) {
          return { name, ok: false as const, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    return c.json({ status: ready ? 'ready' : 'not_ready', checks: results }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    try {
      await opts.beforeScrape();
    } catch (err) {
      opts.log.warn({ err }, 'log stats unavailable for this scrape');
    }
    return c.text(await opts.metrics.registry.metrics(), 200, { 'Content-Type': opts.metrics.registry.contentType });
  });
  return app;
}
