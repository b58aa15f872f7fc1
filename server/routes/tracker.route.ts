import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { badRequest } from '../http/errors.ts';
import { serveAsset } from '../http/assets.ts';
import { trackerBuild } from '../../tracker/build.ts';
import { loaderSnippet } from '../../tracker/snippet.ts';
import { demoPage } from '../../tracker/demo/pages.ts';

const WRITE_KEY = /^[A-Za-z0-9_-]{8,200}$/;
const DevKeysFile = z.object({ writeKey: z.string().min(8) });

/**
 * The dev workspace's write key for the demo: `WARMLINE_DEV_WRITE_KEY`, else the one `warmline start`
 * generated into the data dir (`dev-keys.json`, written by server/keys/dev.ts). None → no demo.
 */
function devWriteKey(config: Config): string | undefined {
  if (config.WARMLINE_DEV_WRITE_KEY) return config.WARMLINE_DEV_WRITE_KEY;
  try {
    return DevKeysFile.parse(JSON.parse(readFileSync(join(config.WARMLINE_DATA_DIR, 'dev-keys.json'), 'utf8'))).writeKey;
  } catch {
    return undefined;
  }
}

/**
 * The browser tracker: the bundle under `/tracker/<name>` (from memory: only names the build made
 * are served, so no path reaches the disk), the loader snippet at `/tracker/snippet?writeKey=…`,
 * and, when a dev write key exists, the demo site under `/demo/`.
 */
export function trackerRoutes(config: Config): Hono {
  const app = new Hono();
  // Build at start so the first page view does not wait for it; errors surface on request.
  trackerBuild().catch(() => undefined);
  const origin = (c: Context) => new URL(c.req.url).origin;

  app.get('/tracker/snippet', (c) => {
    const writeKey = c.req.query('writeKey') ?? '';
    if (!WRITE_KEY.test(writeKey)) throw badRequest('bad_write_key', 'pass ?writeKey=wk_… (letters, digits, - and _)');
    return c.text(`${loaderSnippet(writeKey, { host: origin(c) })}\n`, 200, { 'Cache-Control': 'no-store' });
  });
  app.get('/tracker/:name', async (c) => {
    const asset = (await trackerBuild()).files.get(c.req.param('name'));
    return asset
      ? // Module scripts are fetched with CORS from the site's origin; the files hold nothing private.
        serveAsset(c, asset, { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' })
      : c.notFound();
  });

  app.get('/demo', (c) => c.redirect('/demo/', 301));
  app.get('/demo/*', (c) => {
    const writeKey = devWriteKey(config);
    if (!writeKey) return c.notFound();
    const page = demoPage(c.req.path.slice('/demo'.length), loaderSnippet(writeKey, { host: origin(c) }));
    if (!page) return c.notFound();
    return c.html(page, 200, { 'Cache-Control': 'no-store' });
  });
  return app;
}
