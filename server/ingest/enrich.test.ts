import { describe, expect, it } from 'vitest';
import { anonymizeIp, clientIp, correctedTimestamp, normalizeIp, parseTime, UserAgentParser } from './enrich.ts';

describe('correctedTimestamp (Segment skew correction)', () => {
  const received = Date.UTC(2026, 0, 1, 12, 0, 0);
  it('shifts the client time by the gap between sentAt and originalTimestamp', () => {
    // Client clock 1 h fast: it says it sent at 13:00:05 an event from 13:00:00.
    const sent = Date.UTC(2026, 0, 1, 13, 0, 5);
    const original = Date.UTC(2026, 0, 1, 13, 0, 0);
    expect(correctedTimestamp(received, sent, original)).toBe(received - 5_000);
  });
  it('keeps the client time without sentAt, and uses receivedAt without either', () => {
    expect(correctedTimestamp(received, undefined, 123)).toBe(123);
    expect(correctedTimestamp(received, 456, undefined)).toBe(received);
  });
});

describe('parseTime', () => {
  it('reads offsets, Z, dates, and treats zone-less times as UTC', () => {
    expect(parseTime('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime('2026-01-01T02:00:00+02:00')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime('2026-01-01T00:00:00.250')).toBe(Date.UTC(2026, 0, 1) + 250);
    expect(parseTime('2026-01-01')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime(undefined)).toBeUndefined();
  });
});

describe('IP handling', () => {
  it('anonymises IPv4 to /24 and IPv6 to /48, unwrapping IPv4-mapped addresses', () => {
    expect(anonymizeIp('203.0.113.77')).toBe('203.0.113.0');
    expect(anonymizeIp('2001:db8:abcd:12:1:2:3:4')).toBe('2001:db8:abcd::');
    expect(anonymizeIp('::ffff:198.51.100.9')).toBe('198.51.100.0');
    expect(anonymizeIp('not an ip')).toBe('');
    expect(normalizeIp('::ffff:198.51.100.9')).toBe('198.51.100.9');
  });
  it('trusts only as many X-Forwarded-For hops as configured', () => {
    const xff = 'spoofed, 198.51.100.9, 10.0.0.2';
    expect(clientIp('10.0.0.1', xff, 0)).toBe('10.0.0.1');
    expect(clientIp('10.0.0.1', xff, 1)).toBe('10.0.0.2');
    expect(clientIp('10.0.0.1', xff, 2)).toBe('198.51.100.9');
    expect(clientIp('10.0.0.1', '1.2.3.4', 3)).toBe('10.0.0.1');
  });
});

describe('UserAgentParser', () => {
  const parser = new UserAgentParser(2);
  it('parses browsers and flags bots', () => {
    const chrome = parser.parse(
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    );
    expect(chrome).toMatchObject({ browser: 'Chrome', os: 'Windows', deviceType: 'desktop', isBot: false });
    const bot = parser.parse('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)');
    expect(bot.isBot).toBe(true);
    expect(parser.parse('')).toMatchObject({ browser: '', isBot: false });
  });
  it('never flags server-side HTTP clients (SDKs relaying for users) as bots', () => {
    for (const ua of ['analytics-node-next/latest', 'curl/8.5.0', 'node', 'python-requests/2.31']) {
      expect(parser.parse(ua)).toMatchObject({ isBot: false, deviceType: 'server' });
    }
    expect(parser.parse('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36').isBot).toBe(true);
  });
  it('stays within its capacity', () => {
    for (let i = 0; i < 10; i++) parser.parse(`agent-${i}`);
    expect(parser.parse('agent-9')).toEqual(parser.parse('agent-9'));
  });
});
