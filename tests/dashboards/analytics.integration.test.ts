import { beforeAll, describe, expect, it } from 'vitest';
import type { SegmentsResponse } from '../../schema/dashboard.ts';
import { waitFor } from '../helpers/wait.ts';
import { useDashboardHarness, DESKTOP, PHONE, js, table, testIdCells, texts } from './harness.ts';

const env = useDashboardHarness();
beforeAll(() => seed(), 90_000);

const at = (t0: number, seconds: number) => new Date(t0 + seconds * 1000).toISOString();

/**
 * Five users, 20 minutes ago:
 * - buyer-1, buyer-2, buyer-3 request a demo and start a trial (score 70: enter high-intent at the
 *   trial); buyer-1 subscribes 60 s later (revenue 120), buyer-2 120 s later (revenue 30);
 * - reader-1, reader-2 view /pricing three times (enter pricing-researchers, score 45).
 */
async function seed(): Promise<void> {
  const t0 = Date.now() - 20 * 60_000;
  for (const [i, user] of ['buyer-1', 'buyer-2', 'buyer-3'].entries()) {
    await env.h.send([
      { type: 'track', userId: user, event: 'Demo Requested', timestamp: at(t0, i * 10) },
      { type: 'track', userId: user, event: 'Trial Started', timestamp: at(t0, i * 10 + 1) },
    ]);
  }
  await env.h.send([
    { type: 'track', userId: 'buyer-1', event: 'Subscription Started', properties: { revenue: 120 }, timestamp: at(t0, 0 + 1 + 60) },
    { type: 'track', userId: 'buyer-2', event: 'Subscription Started', properties: { revenue: 30 }, timestamp: at(t0, 10 + 1 + 120) },
  ]);
  for (const [i, user] of ['reader-1', 'reader-2'].entries()) {
    await env.h.send([0, 1, 2].map((n) => ({ type: 'page', userId: user, name: 'Pricing', properties: { path: '/pricing' }, timestamp: at(t0, 200 + i * 10 + n) })));
  }
  // Everything scored and stored: the API reports the seeded membership and conversions.
  await waitFor(
    async () => {
      const r = await env.h.api<SegmentsResponse>('/api/segments');
      const hi = r.segments.find((s) => s.id === 'high-intent');
      const pr = r.segments.find((s) => s.id === 'pricing-researchers');
      return hi?.size === 3 && hi.kpis.converted === 2 && pr?.size === 2 && r.everyone.users === 5 && r.everyone.converted === 2;
    },
    { timeoutMs: 30_000, what: 'seeded segments in the API' },
  );
}

describe('dashboards: segments and compare', () => {
  it('shows the sizes, flows and KPIs the seeded data implies', async () => {
    const { context, page, dialogs, errors } = await env.h.signedIn(DESKTOP, '/app/segments');
    await page.waitForSelector('[data-testid=segments-table]');
    expect(await testIdCells(page, '[data-testid=segment-row-high-intent]')).toEqual({
      size: '3',
      entered: '3',
      exited: '0',
      users: '3',
      converted: '2',
      conversionRate: '66.7%',
      medianSecondsToConvert: '1.5 min',
      eventsPerUser: '2.7',
      sessionsPerUser: '1',
      revenuePerUser: '50.00',
    });
    expect(await testIdCells(page, '[data-testid=segment-row-pricing-researchers]')).toEqual({
      size: '2',
      entered: '2',
      exited: '0',
      users: '2',
      converted: '0',
      conversionRate: '0%',
      medianSecondsToConvert: '—',
      eventsPerUser: '3',
      sessionsPerUser: '1',
      revenuePerUser: '0.00',
    });
    const everyone = await testIdCells(page, '[data-testid=segment-row-everyone]');
    expect(everyone).toMatchObject({ users: '5', converted: '2', conversionRate: '40%', eventsPerUser: '2.8', revenuePerUser: '30.00' });
    await env.h.screenshot(page, 'segments-desktop');

    // One segment: KPIs, the day's entries in the chart data, the latest entries linking to profiles.
    await page.click('a[href="/app/segments/high-intent"]');
    await page.waitForSelector('[data-testid=recent-table]');
    expect(await page.textContent('[data-testid=detail-size]')).toBe('3');
    expect(await page.textContent('[data-testid=detail-entered]')).toBe('3');
    expect(await page.textContent('[data-testid=detail-conversionRate]')).toBe('66.7%');
    expect(await texts(page, '[data-testid=recent-table] tbody tr td:first-child')).toEqual(['buyer-3', 'buyer-2', 'buyer-1']);
    await page.waitForSelector('[data-testid=size-chart] canvas');
    await page.waitForSelector('[data-testid=flow-chart] canvas');
    await env.h.screenshot(page, 'segment-desktop');

    // Compare high-intent with pricing-researchers: KPIs side by side, over-represented items with lift.
    await page.goto(`${env.h.base}/app/compare?segments=high-intent,pricing-researchers`);
    await page.waitForSelector('[data-testid=compare-kpis]');
    const kpi = (key: string) => texts(page, `[data-testid=kpi-${key}] td.num`);
    expect(await kpi('users')).toEqual(['3', '2']);
    expect(await kpi('conversionRate')).toEqual(['66.7%', '0%']);
    expect(await kpi('revenuePerUser')).toEqual(['50.00', '0.00']);
    /** Item → "share lift" per compared segment. */
    const lift = async (list: string): Promise<Record<string, (string | null)[]>> =>
      Object.fromEntries(
        (await table(page, `[data-testid=${list}] [data-testid=lift-row]`, ['[data-testid=lift-key]', ...[0, 1].map((i) => `[data-testid=lift-cell-${i}]`)])).map(([key, ...cells]) => [
          key ?? '',
          cells,
        ]),
      );
    expect(await lift('compare-events')).toMatchObject({
      'Demo Requested': ['100%only here', '0%×0'],
      'Trial Started': ['100%only here', '0%×0'],
      'Subscription Started': ['66.7%only here', '0%×0'],
    });
    expect(await lift('compare-pages')).toMatchObject({ '/pricing': ['0%×0', '100%only here'] });
    await env.h.screenshot(page, 'compare-desktop');

    // Setup: the snippet carries the write key; the model's rules are listed.
    await page.click('[data-testid=nav-setup]');
    await page.waitForSelector('[data-testid=snippet]');
    expect(await page.textContent('[data-testid=snippet]')).toContain('wk_test_write_key_0001');
    await page.waitForSelector('[data-testid=model-rules]');
    expect(await page.textContent('[data-testid=model-rules]')).toContain('demo-requested');
    await env.h.screenshot(page, 'setup-desktop');
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();

    const phone = await env.h.signedIn(PHONE, '/app/segments');
    for (const [path, ready, name] of [
      ['/app/segments', '[data-testid=segments-table]', 'segments-phone'],
      ['/app/segments/high-intent', '[data-testid=flow-chart] canvas', 'segment-phone'],
      ['/app/compare?segments=high-intent,pricing-researchers', '[data-testid=compare-events]', 'compare-phone'],
      ['/app/setup', '[data-testid=model-rules]', 'setup-phone'],
    ] as const) {
      await phone.page.goto(`${env.h.base}${path}`);
      await phone.page.waitForSelector(ready);
      expect(await js<number>(phone.page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
      await env.h.screenshot(phone.page, name);
    }
    await phone.context.close();
  });
});
