import { describe, expect, expectTypeOf, it } from 'vitest';
import { FeedClientMessage, FeedServerMessage, type SubscribeMessage } from './feed.ts';
import type { SignalKind } from './signal.ts';

describe('feed wire format', () => {
  it('parses the client messages and refuses bad ones', () => {
    expect(FeedClientMessage.parse({ type: 'subscribe', segments: ['high-intent'], minScore: 50, kinds: ['segment.entered'], since: 'MTIz' })).toMatchObject({ type: 'subscribe', minScore: 50 });
    expect(FeedClientMessage.parse({ type: 'ping' })).toEqual({ type: 'ping' });
    expect(FeedClientMessage.safeParse({ type: 'subscribe', kinds: ['segment.renamed'] }).success).toBe(false);
    expect(FeedClientMessage.safeParse({ type: 'subscribe', since: 'not a cursor!' }).success).toBe(false);
    expect(FeedClientMessage.safeParse({ type: 'unsubscribe' }).success).toBe(false);
  });

  it('discriminates server messages on type', () => {
    const msg = FeedServerMessage.parse({ type: 'error', code: 'bad_cursor', message: 'malformed cursor' });
    if (msg.type === 'error') expectTypeOf(msg.code).toEqualTypeOf<'bad_message' | 'bad_cursor' | 'unavailable'>();
    expectTypeOf<SubscribeMessage['kinds']>().toEqualTypeOf<SignalKind[] | undefined>();
  });
});
