import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { badRequest } from '../http/errors.ts';
import { trackerBuild, type TrackerAsset } from '../../tracker/build.ts';
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

/** `br` or `gzip` when the client takes it (q > 0), else identity. */
function encodingFor(acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  const accepted = new Set(
    (acceptEncoding ?? '')
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => !q || !/^\s*q=0(\.0*)?\s*$/.test(q))
      .map(([name]) => name!.trim().toLowerCase()),
  );
  return accepted.has('br') ? 'br' : accepted.has('gzip') ? 'gzip' : undefined;
}

function serveAsset(c: Context, asset: TrackerAsset): Response {
  const headers: Record<string, string> = {
    'Content-Type': 'text/javascript; charset=utf-8',
    // Hashed names never change: cache forever. The stable entry the snippet loads is revalidated.
    'Cache-Control': asset.immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300, stale-while-revalidate=86400',
    ETag: asset.etag,
    Vary: 'Accept-Encoding',
    // Module scripts are fetched with CORS from the site's origin; the files hold nothing private.
    'Access-Control-Allow-Origin': '*',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'X-Content-Type-Options': 'nosniff',
  };
  if (c.req.header('if-none-match') === asset.etag) return new Response(null, { status: 304, headers });
  const encoding = encodingFor(c.req.header('accept-encoding'));
  const body = encoding === 'br' ? asset.br : encoding === 'gzip' ? asset.gzip : asset.body;
  if (encoding) headers['Content-Encoding'] = encoding;
  headers['Content-Length'] = String(body.length);
  return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
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
    return asset ? serveAsset(c, asset) : c.notFound();
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
