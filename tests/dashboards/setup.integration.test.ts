import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookPayload } from '../../schema/webhook.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitFor } from '../helpers/wait.ts';
import { useDashboardHarness, texts } from './harness.ts';

const env = useDashboardHarness();
const receiver = new Receiver();
beforeAll(() => receiver.start(), 10_000);
afterAll(() => receiver.stop());

describe('dashboards: setup', () => {
  it('creates and revokes keys, and shows a webhook endpoint with its signed deliveries', async () => {
    const { page, context, errors } = await env.h.signedIn(undefined, '/app/setup');
    try {
      await page.waitForSelector('[data-testid=key-row]');
      expect(await page.locator('[data-testid=key-row]').count()).toBe(2); // the workspace's write and secret keys

      // A new secret key is shown whole once, listed by its hint, then revoked in two clicks.
      await page.selectOption('form.inline-form select', 'secret');
      await page.fill('input[placeholder="Label (optional)"]', 'CRM sync');
      await page.click('text=Create key');
      const notice = page.locator('.notice', { hasText: 'shown once' });
      const shown = (await notice.locator('code').textContent()) ?? '';
      expect(shown).toMatch(/^sk_[A-Za-z0-9_-]{20,}$/);
      await waitFor(async () => (await page.locator('[data-testid=key-row]').count()) === 3, { what: 'the new key listed' });
      const row = page.locator('[data-testid=key-row]', { hasText: 'CRM sync' });
      expect(await row.locator('td.mono').textContent()).toBe(`${shown.slice(0, 7)}…`);
      const created = await fetch(`${env.h.base}/api/workspace`, { headers: { authorization: `Bearer ${shown}` } });
      expect(created.status).toBe(200);
      await row.locator('[data-testid=revoke-key]').click();
      expect(await row.locator('[data-testid=revoke-key]').textContent()).toBe('Confirm revoke');
      await row.locator('[data-testid=revoke-key]').click();
      await waitFor(async () => (await page.locator('[data-testid=key-row]').count()) === 2, { what: 'the key gone from the list' });
      await waitFor(async () => (await fetch(`${env.h.base}/api/workspace`, { headers: { authorization: `Bearer ${shown}` } })).status === 401, {
        what: 'the revoked key refused',
      });

      // A webhook endpoint added through the page receives a signed delivery, and its log shows it.
      await page.fill('input[type=url]', receiver.url);
      await page.click('text=Add endpoint');
      const secret = (await page.locator('.notice', { hasText: 'Signing secret' }).locator('code').textContent()) ?? '';
      expect(secret).toMatch(/^whsec_/);
      receiver.secret = secret;
      await page.waitForSelector('[data-testid=webhook-endpoint]');
      await env.h.send([
        { type: 'identify', userId: 'hook-lead', traits: { title: 'CTO', company: 'Initech' } },
        { type: 'track', userId: 'hook-lead', event: 'Demo Requested' },
      ]);
      await waitFor(() => receiver.delivered().size >= 1, { what: 'a verified delivery at the receiver', timeoutMs: 15_000 });
      const payload = WebhookPayload.parse(JSON.parse(receiver.received.find((r) => r.verified)!.body));
      expect(payload.data).toMatchObject({ user: { key: 'hook-lead' }, traits: { company: 'Initech', title: 'CTO' } });

      await page.reload();
      await page.waitForSelector('[data-testid=webhook-endpoint]');
      await page.click('[data-testid=webhook-endpoint] summary');
      await waitFor(async () => (await texts(page, '[data-testid=webhook-endpoint] .deliveries td.pos')).includes('delivered'), { what: 'the delivery log' });
      const users = await texts(page, '[data-testid=webhook-endpoint] .deliveries td.ellipsis-cell');
      expect(users.every((u) => u === 'hook-lead')).toBe(true);
      // The active model, read-only, with durations as the model file writes them.
      const model = (await page.locator('pre.json').last().textContent()) ?? '';
      expect(model).toContain('"halfLife": "14d"');
      expect(model).toContain('"within": "7d"');
      await env.h.screenshot(page, 'setup-webhooks-desktop');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
