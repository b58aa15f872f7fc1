import { describe, expect, it } from 'vitest';
import { SegmentEvent } from '../../schema/events.ts';
import { surelyValid } from './fast-valid.ts';

const base = { userId: 'u', messageId: 'm', timestamp: '2026-01-28T23:59:59.123Z', context: {}, integrations: {} };
const CASES: unknown[] = [
  { ...base, type: 'track', event: 'A', properties: { a: 1 } },
  { ...base, type: 'track', event: '' },
  { ...base, type: 'track', event: 'x'.repeat(513) },
  { ...base, type: 'track' },
  { ...base, type: 'page', name: null, category: 'c', properties: {} },
  { ...base, type: 'page', name: 5 },
  { ...base, type: 'screen', name: 'S' },
  { ...base, type: 'identify', traits: { email: 'a@b' } },
  { ...base, type: 'identify', traits: [] },
  { ...base, type: 'group', groupId: 12 },
  { ...base, type: 'group' },
  { ...base, type: 'alias', previousId: 'p' },
  { type: 'alias', previousId: 'p', anonymousId: 'a' },
  { type: 'track', event: 'A', anonymousId: 3.5 },
  { type: 'track', event: 'A', anonymousId: null, userId: null },
  { type: 'track', event: 'A', userId: '' },
  { type: 'track', event: 'A', userId: 'u', messageId: '' },
  { type: 'track', event: 'A', userId: 'u', writeKey: 5 },
  { type: 'track', event: 'A', userId: 'u', context: null },
  { type: 'track', event: 'A', userId: 'u', timestamp: '2024-02-29T12:00:00Z' },
  { type: 'track', event: 'A', userId: 'u', timestamp: '2023-02-29T12:00:00Z' },
  { type: 'track', event: 'A', userId: 'u', sentAt: '2026-01-01T12:00:00+02:00' },
  { type: 'track', event: 'A', userId: 'u', originalTimestamp: '2026-13-01T12:00:00Z' },
  { type: 'track', event: 'A', userId: 'u', timestamp: '2026-01-01' },
  { type: 'track', event: 'A', userId: 'u', timestamp: '2026-01-01T24:00:00Z' },
  { type: 'rocket', userId: 'u' },
  [],
  null,
  'track',
];

describe('surelyValid', () => {
  it('accepts only what zod accepts, and the plain events clients send', () => {
    for (const c of CASES) if (surelyValid(c)) expect(SegmentEvent.safeParse(c).success, JSON.stringify(c)).toBe(true);
    expect(CASES.filter((c) => surelyValid(c))).toHaveLength(7);
  });
});
