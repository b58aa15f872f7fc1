import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { TrackerHarness, js, trackerLoaded, warmline } from './harness.ts';
import { waitFor } from '../helpers/wait.ts';

let h: TrackerHarness;
beforeAll(async () => {
  h = await TrackerHarness.start();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const storedIds = (page: Page) => js<{ cookies: string; storage: string[] }>(page, '({ cookies: document.cookie, storage: Object.keys(localStorage) })');

describe('tracker privacy', () => {
  it('sends and stores nothing before consent when consent is required, then everything held once granted', async () => {
    const page = await h.newPage();
    await page.goto(h.siteUrl('consent', { consent: 'required' }));
    await trackerLoaded(page);
    await warmline(page, 'track', 'Before Consent', { tag: 'consent' });
    await js(page, "history.pushState({}, '', '/consent/spa')");
    await page.waitForLoadState('networkidle');
    expect(await warmline(page, 'consent.status')).toBe('pending');
    expect(h.ingestRequests()).toEqual([]);
    expect(await storedIds(page)).toEqual({ cookies: '', storage: [] });

    await warmline(page, 'consent.grant');
    const rows = await waitFor(async () => {
      const r = await h.query("page_path LIKE '/consent%'");
      return r.length >= 3 ? r : undefined;
    }, { what: 'the held events' });
    // In call order, each with the page it was made on.
    expect(rows.map((r) => [r.type, r.event, r.page_path])).toEqual([
      ['page', '', '/consent'],
      ['track', 'Before Consent', '/consent'],
      ['page', '', '/consent/spa'],
    ]);
    expect(await warmline(page, 'consent.status')).toBe('granted');

    // Opt-out: stops sending and forgets the ids; remembered on the next page.
    await warmline(page, 'consent.deny');
    const sent = h.ingestRequests().length;
    await page.goto(h.siteUrl('consent-after', { consent: 'required' }));
    await trackerLoaded(page);
    await warmline(page, 'track', 'After Opt Out', { tag: 'optout' });
    await page.waitForLoadState('networkidle');
    expect(await warmline(page, 'consent.status')).toBe('denied');
    expect(h.ingestRequests().length).toBe(sent);
    expect((await storedIds(page)).cookies).not.toMatch(/ajs_anonymous_id|ajs_user_id/);
    expect(h.foreignRequests()).toEqual([]);
    await page.close();
  });

  it('honours Global Privacy Control until the visitor grants consent', async () => {
    const context = h.context;
    await context.clearCookies();
    const page = await context.newPage();
    await page.addInitScript("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })");
    const before = h.ingestRequests().length;
    await page.goto(h.siteUrl('gpc'));
    await trackerLoaded(page);
    await warmline(page, 'track', 'GPC', { tag: 'gpc' });
    await page.waitForLoadState('networkidle');
    expect(await warmline(page, 'consent.status')).toBe('denied');
    expect(h.ingestRequests().length).toBe(before);
    await warmline(page, 'consent.grant');
    await warmline(page, 'track', 'GPC', { tag: 'gpc' });
    await h.tagged('gpc', 1);
    await page.close();
  });
});
