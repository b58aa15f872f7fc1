import { Hono } from 'hono';
import { serveAsset } from '../http/assets.ts';
import { dashboardsBuild } from '../../dashboards/build.ts';

/**
 * What the app's page may do: its own scripts and styles only (no inline code, so an injected
 * `<script>` or `onerror=` could not run even if rendering let one through), API calls and the feed's
 * WebSocket to this origin, images from itself or `data:`; no plugins, no `<base>`, no framing.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The dashboards (issue 6): the built files under `/app/assets/<name>` (from memory: only names the
 * build made are served) and the HTML shell for every other `/app/*` path, so client-side routes
 * survive a reload. The shell holds no data: pages read `/api/*` and `/ws/feed` with the secret key.
 */
export function dashboardRoutes(): Hono {
  const app = new Hono();
  // Build at start so the first visit does not wait for it; errors surface on request.
  dashboardsBuild().catch(() => undefined);

  app.get('/app', (c) => c.redirect('/app/', 301));
  app.get('/app/assets/:name', async (c) => {
    const asset = (await dashboardsBuild()).files.get(c.req.param('name'));
    return asset ? serveAsset(c, asset) : c.notFound();
  });
  app.get('/app/*', async (c) =>
    c.html((await dashboardsBuild()).html, 200, {
      'Content-Security-Policy': DASHBOARD_CSP,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
    }),
  );
  return app;
}
