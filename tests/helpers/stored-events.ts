import { randomUUID } from 'node:crypto';
import type { RejectedEvent, StoredEvent } from '../../schema/stored-event.ts';

/** A realistic stored track event (as the collector would log it), with overrides. */
export function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  const messageId = overrides.messageId ?? randomUUID();
  const userKey = overrides.userKey ?? 'user-1';
  return {
    v: 1,
    workspaceId: 'ws-test',
    messageId,
    type: 'track',
    userKey,
    receivedAt: '2024-05-01T12:00:00.456Z',
    timestamp: '2024-05-01T12:00:00.123Z',
    originalTimestamp: '2024-05-01T12:00:00.100Z',
    sentAt: '2024-05-01T12:00:00.200Z',
    ip: '203.0.113.0',
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    ua: { browser: 'Chrome', browserVersion: '120.0.0.0', os: 'Mac OS', osVersion: '10.15.7', deviceType: 'desktop', isBot: false },
    event: {
      type: 'track',
      event: 'Product Viewed',
      messageId,
      userId: userKey,
      anonymousId: 'anon-1',
      properties: { product_id: 'sku-1', price: 19.99, currency: 'USD', tags: ['a', 'b'] },
      context: {
        page: { path: '/products/1', url: 'https://shop.example/products/1', referrer: 'https://www.google.com/', title: 'Product 1' },
        library: { name: 'analytics.js', version: 'npm:next-1.70.0' },
        locale: 'en-US',
      },
      integrations: {},
    },
    ...overrides,
  };
}

/** A rejected event as the collector would log it. */
export function rejectedEvent(overrides: Partial<RejectedEvent> = {}): RejectedEvent {
  return {
    v: 1,
    id: randomUUID(),
    workspaceId: 'ws-test',
    receivedAt: '2024-05-01T12:00:00.456Z',
    reason: 'track needs "event"',
    raw: '{"type":"track","userId":"u1"}',
    ...overrides,
  };
}

/** The `ev` / `rj` field value of a log entry: newline-delimited JSON. */
export function lines(items: readonly object[]): string {
  return items.map((i) => JSON.stringify(i)).join('\n');
}
