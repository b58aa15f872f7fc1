import { describe, expect, it } from 'vitest';
import { WebhookEndpointCreate, WebhookUrl, isLoopbackHost } from './webhook.ts';
import { WebhookConfig, parseDurations } from '../server/webhooks/settings.ts';

const issues = (v: unknown) => {
  const r = WebhookUrl.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => i.message);
};

describe('WebhookUrl', () => {
  it('takes https anywhere and http only to loopback', () => {
    expect(issues('https://hooks.example.com/in?x=1')).toEqual([]);
    for (const u of ['http://localhost:3000/x', 'http://127.0.0.1/x', 'http://127.9.9.9/x', 'http://[::1]:80/x', 'http://app.localhost/x']) expect(issues(u)).toEqual([]);
    expect(issues('http://example.com/x')).toEqual(['https is required (plain http only to a loopback host)']);
    expect(issues('http://10.0.0.1/x')).toEqual(['https is required (plain http only to a loopback host)']);
  });
  it('refuses credentials, fragments, other schemes and junk', () => {
    expect(issues('https://u:p@example.com')).toEqual(['credentials in the URL are not allowed; verify our signature instead']);
    expect(issues('https://token@example.com')).toHaveLength(1);
    expect(issues('https://example.com/#x')).toEqual(['a fragment (#…) is not allowed']);
    expect(issues('javascript:alert(1)')).toEqual(['scheme javascript: not allowed; use https:']);
    expect(issues('/relative')).toEqual(['not an absolute URL']);
  });
  it('knows loopback hosts', () => {
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
  });
  it('fills defaults on create', () => {
    expect(WebhookEndpointCreate.parse({ url: 'https://a.example' })).toEqual({ url: 'https://a.example', filters: {}, enabled: true, orderedPerUser: false });
  });
});

describe('webhook settings', () => {
  it('parses the retry schedule; the default reaches about 24 h', () => {
    expect(parseDurations('5s, 2m,1h,500ms')).toEqual([5_000, 120_000, 3_600_000, 500]);
    expect(parseDurations('5x')).toBeNull();
    const config = WebhookConfig.parse({});
    const total = config.WARMLINE_WEBHOOK_RETRY_SCHEDULE.reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).toBeGreaterThan(23);
    expect(total / 3_600_000).toBeLessThan(25);
    expect(WebhookConfig.safeParse({ WARMLINE_WEBHOOK_RETRY_SCHEDULE: 'often' }).success).toBe(false);
  });
});
