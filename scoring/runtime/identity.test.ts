import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../schema/stored-event.ts';
import { idsOf, route } from './identity.ts';

const ev = (type: StoredEvent['type'], event: Record<string, unknown>): StoredEvent =>
  ({ type, userKey: String(event.userId ?? event.anonymousId), event }) as StoredEvent;

describe('identity routing', () => {
  it('links anonymousId (or alias previousId) to userId', () => {
    expect(idsOf(ev('identify', { userId: 'u', anonymousId: 'a' }))).toEqual({ userId: 'u', anonymousId: 'a' });
    expect(idsOf(ev('alias', { userId: 'u', previousId: 'a' }))).toEqual({ userId: 'u', anonymousId: 'a' });
    expect(idsOf(ev('track', { userId: 7 }))).toEqual({ userId: '7' });
  });
  it('merges an anonymous profile once, then routes its later events to the user', () => {
    const none = new Map<string, string | null>();
    expect(route(ev('identify', { userId: 'u', anonymousId: 'a' }), none)).toEqual({ profile: 'u', mergeFrom: 'a' });
    const stitched = new Map([['a', 'u']]);
    expect(route(ev('track', { userId: 'u', anonymousId: 'a' }), stitched)).toEqual({ profile: 'u' });
    expect(route(ev('track', { anonymousId: 'a' }), stitched)).toEqual({ profile: 'u' });
    expect(route(ev('track', { anonymousId: 'b' }), stitched)).toEqual({ profile: 'b' });
  });
});
