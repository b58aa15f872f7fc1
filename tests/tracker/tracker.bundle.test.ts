import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { errorHandler } from '../../server/http/errors.ts';
import { createLogger } from '../../server/logger.ts';
import { trackerRoutes } from '../../server/routes/tracker.route.ts';
import { trackerBuild } from '../../tracker/build.ts';
import { loaderSnippet } from '../../tracker/snippet.ts';
import { testConfig } from '../helpers/env.ts';
import { WRITE_KEY } from '../helpers/collector.ts';

/** Budget for what a page downloads before the tracker runs (gzip, summed per file). */
const BUDGET_GZIP = 32 * 1024;

describe('tracker bundle', () => {
  it(`keeps the up-front download within ${BUDGET_GZIP / 1024} KB gzip`, async () => {
    const build = await trackerBuild();
    const files = build.upFront.map((n) => build.files.get(n)!);
    const sum = (f: (a: (typeof files)[number]) => number) => files.reduce((acc, a) => acc + f(a), 0);
    const [raw, gzip, br] = [sum((a) => a.body.length), sum((a) => a.gzip.length), sum((a) => a.br.length)];
    console.log(`tracker up front: ${files.length} files, ${raw} B raw, ${gzip} B gzip, ${br} B brotli (built in ${build.buildMs} ms)`);
    expect(gzip).toBeLessThanOrEqual(BUDGET_GZIP);
    expect(build.upFront[0]).toBe(build.entry);
    expect(build.entry).toMatch(/^warmline-[A-Z0-9]{8}\.js$/);
  });

  it('has a loader snippet of a few hundred bytes that never breaks out of its script tag', () => {
    const snippet = loaderSnippet('wk_x</script><script>alert(1)', { host: 'https://collect.example.com/' });
    expect(snippet).not.toContain('</script><script>alert');
    expect(snippet).toContain('"https://collect.example.com"');
    const real = loaderSnippet(WRITE_KEY, { host: 'https://collect.example.com' });
    console.log(`loader snippet: ${real.length} B, ${gzipSync(real).length} B gzip`);
    expect(real.length).toBeLessThan(1_000);
  });
});

describe('/tracker routes', () => {
  const app = new Hono().onError(errorHandler(createLogger('silent'))).route('/', trackerRoutes(testConfig({ WARMLINE_DEV_WRITE_KEY: WRITE_KEY })));

  it('serves hashed files immutable and the stable entry revalidated, compressed, with CORS', async () => {
    const build = await trackerBuild();
    const chunk = build.upFront[1]!;
    const res = await app.request(`/tracker/${chunk}`, { headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const entry = await app.request('/tracker/warmline.js', { headers: { 'accept-encoding': 'gzip;q=1, br;q=0' } });
    expect(entry.headers.get('cache-control')).toMatch(/^public, max-age=300/);
    expect(entry.headers.get('content-encoding')).toBe('gzip');
    const plain = await app.request('/tracker/warmline.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toContain(`./${chunk}`);
    const etag = plain.headers.get('etag')!;
    expect((await app.request('/tracker/warmline.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('serves nothing but the build: no directory traversal', async () => {
    for (const path of ['/tracker/..%2F..%2Fpackage.json', '/tracker/../package.json', '/tracker/build.ts', '/tracker/%2e%2e/server/config.ts', '/tracker/']) {
      expect((await app.request(path)).status, path).toBe(404);
    }
  });

  it('hands out the snippet for a write key, and the demo with the dev key', async () => {
    const res = await app.request(`http://collect.example.com/tracker/snippet?writeKey=${WRITE_KEY}`);
    expect(await res.text()).toContain(`"${WRITE_KEY}",{"host":"http://collect.example.com"}`);
    expect((await app.request('/tracker/snippet?writeKey=bad key')).status).toBe(400);
    const demo = await app.request('/demo/');
    expect(demo.status).toBe(200);
    expect(await demo.text()).toContain(WRITE_KEY);
    expect((await app.request('/demo/nope')).status).toBe(404);
    const noKey = trackerRoutes(testConfig());
    expect((await noKey.request('/demo/')).status).toBe(404);
  });
});
