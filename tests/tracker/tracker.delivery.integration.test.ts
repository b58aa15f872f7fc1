import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { TrackerHarness, js, nOf, trackerLoaded, warmline, type EventRow } from './harness.ts';
import { waitFor } from '../helpers/wait.ts';
import { trackerBuild } from '../../tracker/build.ts';

let h: TrackerHarness;
beforeAll(async () => {
  h = await TrackerHarness.start();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const track = (page: Page, event: string, props: object) => warmline(page, 'track', event, props);

describe('the tracker in Chromium', () => {
  it('sends page, track, identify and group from the demo site, with ids, context and timestamps, to our host only', async () => {
    const page = await h.newPage();
    const t0 = Date.now();
    await page.goto(`${h.base}/demo/products/2`);
    await trackerLoaded(page);
    await page.click('#add');
    await page.goto(`${h.base}/demo/signup`);
    await page.click('#submit'); // identify, group, Signed Up, Trial Started, then on to the SPA
    await page.waitForURL(`${h.base}/demo/app/`);
    const anonymousId = await waitFor(() => warmline<string | null>(page, 'anonymousId').then((a) => a ?? undefined));

    const rows = await waitFor(async () => {
      const r = await h.query('anonymous_id = {a:String}', { a: anonymousId });
      const have = new Set(r.map((x) => (x.type === 'track' ? x.event : x.type === 'page' ? `page ${x.page_path}` : x.type)));
      const want = ['page /demo/products/2', 'Product Viewed', 'Product Added', 'page /demo/signup', 'Form Submitted', 'identify', 'group', 'Signed Up', 'Trial Started', 'page /demo/app/'];
      return want.every((w) => have.has(w)) ? r : undefined;
    }, { what: 'the demo journey in ClickHouse' }).catch(async (err: unknown) => {
      const seen = await h.query('1');
      throw new Error(`${String(err)}; rows: ${JSON.stringify(seen.map((r) => [r.type, r.event, r.page_path, r.anonymous_id, r.user_id]))}; anonymousId ${anonymousId}; requests ${JSON.stringify(h.requests)}`);
    });
    const one = (pred: (r: EventRow) => boolean) => {
      const found = rows.filter(pred);
      expect(found).toHaveLength(1);
      return found[0]!;
    };
    const product = one((r) => r.type === 'page' && r.page_path === '/demo/products/2');
    expect(product).toMatchObject({ page_url: `${h.base}/demo/products/2`, library_name: 'analytics.js', user_id: '' });
    expect(product.page_title).toContain('Lead Lamp');
    const viewed = one((r) => r.event === 'Product Viewed');
    expect(JSON.parse(viewed.properties)).toMatchObject({ product_id: '2', name: 'Lead Lamp', price: 49 });
    expect(viewed.page_path).toBe('/demo/products/2');
    one((r) => r.event === 'Product Added');
    one((r) => r.event === 'Form Submitted');
    const identify = one((r) => r.type === 'identify');
    expect(identify.user_id).toBe('demo-ada');
    expect(JSON.parse(identify.traits)).toMatchObject({ email: 'ada@acme.test', company: 'Acme Corp', role: 'Engineer' });
    const group = one((r) => r.type === 'group');
    expect(group).toMatchObject({ group_id: 'acct-acme-corp', user_id: 'demo-ada' });
    expect(one((r) => r.event === 'Signed Up').user_id).toBe('demo-ada');
    one((r) => r.type === 'page' && r.page_path === '/demo/app/');
    // One visitor throughout: the anonymousId survived three page loads.
    expect(new Set(rows.map((r) => r.anonymous_id))).toEqual(new Set([anonymousId]));
    const ctx = JSON.parse(viewed.context) as { library?: { name: string } };
    expect(ctx.library?.name).toBe('analytics.js');
    for (const r of rows) {
      const ts = Date.parse(r.timestamp);
      expect(ts).toBeGreaterThanOrEqual(t0 - 1_000);
      expect(ts).toBeLessThanOrEqual(Date.parse(r.received_at) + 1_000);
      expect(Math.abs(ts - Date.parse(r.original_timestamp!))).toBeLessThan(2_000);
    }
    expect(h.foreignRequests()).toEqual([]);
    await page.close();
  });

  it('downloads only the up-front files, within 32 KB compressed', async () => {
    const build = await trackerBuild();
    const page = await h.newPage();
    const fetched = new Map<string, number>();
    page.on('requestfinished', (req) => {
      const u = new URL(req.url());
      if (!u.pathname.startsWith('/tracker/')) return;
      void req.sizes().then((s) => fetched.set(u.pathname.slice('/tracker/'.length), s.responseBodySize));
    });
    // A cold cache: the files are otherwise served from the HTTP cache.
    const cdp = await h.context.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    await page.goto(h.siteUrl('sizes'));
    await trackerLoaded(page);
    await waitFor(() => fetched.size >= build.upFront.length, { what: 'the up-front files' });
    expect(new Set(fetched.keys())).toEqual(new Set(['warmline.js', ...build.upFront.slice(1)]));
    const bytes = [...fetched.values()].reduce((a, b) => a + b, 0);
    console.log(`tracker up front in Chromium: ${fetched.size} files, ${bytes} bytes on the wire (brotli)`);
    expect(bytes).toBeLessThanOrEqual(32 * 1024);
    await page.close();
  });

  it('stores exactly one row per event when the page navigates right after track()', async () => {
    const page = await h.newPage();
    await page.goto(h.siteUrl('a'));
    await trackerLoaded(page);
    await track(page, 'Leaving', { tag: 'nav-1', n: 1 });
    await track(page, 'Leaving', { tag: 'nav-1', n: 2 });
    await page.click('#next');
    await page.waitForURL(/\/next/);
    await trackerLoaded(page);
    const rows = await h.tagged('nav-1', 2);
    // The next page flushed its queue: wait until no request is in flight, then count again.
    await page.waitForLoadState('networkidle');
    const again = await h.query("JSONExtractString(properties, 'tag') = 'nav-1'", {}, false);
    expect(again).toHaveLength(2);
    expect(new Set(rows.map(nOf))).toEqual(new Set([1, 2]));
    await page.close();
  });

  it('keeps events while the collector is down and sends them, once each, from the next page', async () => {
    const page = await h.newPage();
    await page.goto(h.siteUrl('down-a'));
    await trackerLoaded(page);
    await page.waitForLoadState('networkidle');
    await h.stopCollector();
    try {
      await track(page, 'While Down', { tag: 'down', n: 1 });
      await track(page, 'While Down', { tag: 'down', n: 2 });
      await waitFor(() => h.requests.filter((u) => u.endsWith('/v1/t')).length >= 2, { what: 'failed attempts' });
      await page.goto(h.siteUrl('down-b')); // the bundle comes from the HTTP cache
      await trackerLoaded(page);
      await track(page, 'While Down', { tag: 'down', n: 3 });
      await page.goto('about:blank'); // nothing of the site runs while the collector comes back
      expect(await h.query("JSONExtractString(properties, 'tag') = 'down'")).toHaveLength(0);
    } finally {
      await h.restartCollector();
    }
    await page.goto(h.siteUrl('down-c'));
    const rows = await h.tagged('down', 3, 30_000);
    await page.waitForLoadState('networkidle');
    expect(await h.query("JSONExtractString(properties, 'tag') = 'down'", {}, false)).toHaveLength(3);
    expect(rows.map(nOf).sort()).toEqual([1, 2, 3]);
    await page.close();
  });

  it('queues events while offline and sends them when back online', async () => {
    const page = await h.newPage();
    await page.goto(h.siteUrl('offline'));
    await trackerLoaded(page);
    await h.context.setOffline(true);
    await track(page, 'Offline', { tag: 'offline', n: 1 });
    await track(page, 'Offline', { tag: 'offline', n: 2 });
    expect(await js(page, 'navigator.onLine')).toBe(false);
    await h.context.setOffline(false);
    const rows = await h.tagged('offline', 2);
    expect(rows).toHaveLength(2);
    await page.close();
  });

  it('sends a page view on a single-page-app route change', async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/demo/app/`);
    await trackerLoaded(page);
    await page.click('text=Reports');
    await page.waitForURL(/\/demo\/app\/reports$/);
    const [row] = await waitFor(async () => {
      const r = await h.query("type = 'page' AND page_path = '/demo/app/reports'");
      return r.length ? r : undefined;
    }, { what: 'the SPA page view' });
    expect(row!.page_referrer).toBe(`${h.base}/demo/app/`);
    expect(row!.page_title).toBe('reports · App');
    await page.goBack();
    await waitFor(async () => (await h.query("type = 'page' AND page_path = '/demo/app/'")).length >= 3 || undefined, { what: 'popstate page view' });
    await page.close();
  });

  it('measures track() to a queryable row', async () => {
    const page = await h.newPage();
    await page.goto(h.siteUrl('latency'));
    await trackerLoaded(page);
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const at = Date.now();
      await track(page, 'Latency', { tag: `lat-${i}` });
      await h.tagged(`lat-${i}`, 1);
      latencies.push(Date.now() - at);
    }
    latencies.sort((a, b) => a - b);
    console.log(`track() → row queryable (sink max age 200 ms): p50 ${latencies[5]} ms, max ${latencies[9]} ms`);
    expect(h.foreignRequests()).toEqual([]);
    await page.close();
  });
});
