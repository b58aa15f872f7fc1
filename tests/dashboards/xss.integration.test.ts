import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { CompareResponse, SegmentsResponse } from '../../schema/dashboard.ts';
import { waitFor } from '../helpers/wait.ts';
import { useDashboardHarness, DESKTOP, js, texts } from './harness.ts';

const env = useDashboardHarness();

/** Attacker-controlled strings, each of which would run script or inject markup if rendered as HTML. */
const P = {
  imgUser: '<img src=x onerror=alert(1)>',
  svgUser: '"><svg onload=alert(2)>',
  jsUser: 'javascript:alert(3)',
  scriptEvent: '<script>alert(4)</script>',
  pricingPath: '/pricing"><img src=x onerror=alert(5)>',
  svgPageName: '<svg/onload=alert(6)>',
  imgCompany: '<img src=x onerror=alert(7)>',
  svgTitle: '"><svg onload=alert(8)>',
  jsWebsite: 'javascript:alert(9)',
  traitKey: '<b onmouseover=alert(10)>key</b>',
  propKey: '<img src=x onerror=alert(11)>',
  anonId: '<script>alert(13)</script>',
  iframe: '<iframe src="javascript:alert(14)"></iframe>',
};
const USERS = [P.imgUser, P.svgUser, P.jsUser];

/** Each payload user: traits, an evil event, evil pages that score (so they reach the feed), a demo and a trial (high-intent). */
async function seed(): Promise<void> {
  for (const user of USERS) {
    await env.h.send([
      { type: 'identify', userId: user, anonymousId: P.anonId + user.length, traits: { company: P.imgCompany, title: P.svgTitle, website: P.jsWebsite, [P.traitKey]: P.iframe } },
      { type: 'track', userId: user, event: P.scriptEvent, properties: { [P.propKey]: P.jsWebsite, html: P.iframe } },
      ...[0, 1, 2].map(() => ({ type: 'page', userId: user, name: P.svgPageName, properties: { path: P.pricingPath, title: P.iframe } })),
      { type: 'track', userId: user, event: 'Demo Requested' },
      { type: 'track', userId: user, event: 'Trial Started' },
    ]);
  }
  await waitFor(
    async () => {
      const r = await env.h.api<SegmentsResponse>('/api/segments');
      return r.segments.find((s) => s.id === 'high-intent')?.size === 3 && r.segments.find((s) => s.id === 'pricing-researchers')?.size === 3;
    },
    { what: 'payload users in ClickHouse' },
  );
  for (const user of USERS) await waitFor(async () => (await env.h.storedEvents(user)) >= 7 || undefined, { what: `events of ${user}` });
}

/** What an injection would leave behind: elements and attributes we never render. */
async function injected(page: Page): Promise<Record<string, number>> {
  return js(
    page,
    `({
      img: document.querySelectorAll('img').length,
      svg: document.querySelectorAll('svg').length,
      iframe: document.querySelectorAll('iframe, object, embed').length,
      scripts: document.querySelectorAll('script').length,
      handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
      jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => !a.getAttribute('href').startsWith('/app/')).length,
      foreignLinks: [...document.querySelectorAll('a')].filter((a) => a.origin !== location.origin).length,
    })`,
  );
}
const CLEAN = { img: 0, svg: 0, iframe: 0, scripts: 1, handlers: 0, jsLinks: 0, foreignLinks: 0 };

describe('dashboards: attacker-controlled data is shown as text', () => {
  it('renders every payload literally on every page, runs none and injects nothing', async () => {
    await seed();
    const { context, page, dialogs, errors } = await env.h.signedIn(DESKTOP, '/app/feed');
    const text = () => js<string>(page, 'document.body.innerText');

    // Feed: user ids, traits, the trigger (the page name) as text; profile links encoded, to our routes only.
    await page.waitForSelector('[data-testid=feed-card]');
    const cardUsers = await waitFor(
      async () => {
        const users = await texts(page, '[data-testid=feed-user]');
        return USERS.every((u) => users.includes(u)) && users;
      },
      { what: 'cards of every payload user' },
    );
    expect(new Set(cardUsers)).toEqual(new Set(USERS));
    const feedText = await text();
    for (const s of [P.imgUser, P.svgUser, P.jsUser, P.svgTitle, P.svgPageName]) expect(feedText).toContain(s);
    const hrefs = await js<string[]>(page, `[...document.querySelectorAll('[data-testid=feed-user]')].map((a) => a.getAttribute('href'))`);
    expect(hrefs).toContain(`/app/profile/${encodeURIComponent(P.jsUser)}`);
    expect(await injected(page)).toEqual(CLEAN);

    // Each profile, reached by clicking its link: traits (keys too), identities, the timeline's properties.
    for (const user of USERS) {
      await page.click('[data-testid=nav-feed]');
      await page.locator('[data-testid=feed-user]', { hasText: user }).first().click();
      await page.waitForSelector('[data-testid=timeline-row]');
      await page.waitForSelector('[data-testid=traits]');
      expect(await page.textContent('[data-testid=profile-id]')).toBe(user);
      await js(page, `document.querySelectorAll('details').forEach((d) => (d.open = true))`);
      const t = await text();
      // Literally, as text or inside the JSON shown as text (where quotes are escaped).
      const shown = (s: string) => t.includes(s) || t.includes(JSON.stringify(s).slice(1, -1));
      const missing = [P.imgCompany, P.svgTitle, P.jsWebsite, P.traitKey, P.iframe, P.scriptEvent, P.propKey, `${P.anonId}${user.length}`].filter((s) => !shown(s));
      expect(missing).toEqual([]);
      expect(await injected(page)).toEqual(CLEAN);
    }
    await env.h.screenshot(page, 'xss-profile');

    // Segment pages: the latest entries list the payload user ids.
    await page.goto(`${env.h.base}/app/segments/high-intent`);
    await page.waitForSelector('[data-testid=recent-table]');
    for (const u of USERS) expect(await text()).toContain(u);
    expect(await injected(page)).toEqual(CLEAN);
    await page.goto(`${env.h.base}/app/segments`);
    await page.waitForSelector('[data-testid=segments-table]');
    expect(await injected(page)).toEqual(CLEAN);

    // Compare: event names, page paths and trait values are keys of the lists.
    const cmp = await env.h.api<CompareResponse>('/api/compare?segments=high-intent,pricing-researchers,active-this-week');
    expect(cmp.events.map((e) => e.key)).toContain(P.scriptEvent);
    await page.goto(`${env.h.base}/app/compare?segments=high-intent,pricing-researchers,active-this-week`);
    await page.waitForSelector('[data-testid=compare-events]');
    const keys = await texts(page, '[data-testid=lift-key]');
    expect(keys).toContain(P.scriptEvent);
    expect(keys).toContain(P.pricingPath);
    expect(keys.some((k) => k.includes(P.imgCompany))).toBe(true);
    expect(await injected(page)).toEqual(CLEAN);
    await env.h.screenshot(page, 'xss-compare');

    await page.click('[data-testid=nav-setup]');
    await page.waitForSelector('[data-testid=model-rules]');
    expect(await injected(page)).toEqual(CLEAN);

    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('serves the app with a strict Content-Security-Policy and hashed, compressed assets', async () => {
    const res = await fetch(`${env.h.base}/app/profile/anything`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
    const html = await res.text();
    const script = /<script type="module" src="(\/app\/assets\/app-[A-Z0-9]+\.js)"><\/script>/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js1 = await fetch(`${env.h.base}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js1.headers.get('content-encoding')).toBe('gzip');
    expect(js1.headers.get('cache-control')).toContain('immutable');
    const gzipBytes = Number(js1.headers.get('content-length'));
    console.log(`dashboards up-front JS: ${gzipBytes} bytes gzip`);
    expect(gzipBytes).toBeLessThan(25_000);
    const again = await fetch(`${env.h.base}${script}`, { headers: { 'if-none-match': js1.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
    expect((await fetch(`${env.h.base}/app/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });
});
