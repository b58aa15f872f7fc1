import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../server/api/events.query.ts';
import type { Profile } from '../../scoring/runtime/profile.ts';
import { waitFor } from '../helpers/wait.ts';
import { useDashboardHarness } from './harness.ts';

const env = useDashboardHarness();

describe('GET /api/profiles/:id/events', () => {
  it("lists a stitched person's events, the anonymous ones before identify included, by either id", async () => {
    await env.h.send([
      { type: 'page', anonymousId: 'anon-77', properties: { path: '/pricing' } },
      { type: 'page', anonymousId: 'anon-77', properties: { path: '/docs' } },
    ]);
    await env.h.send([{ type: 'identify', userId: 'tim', anonymousId: 'anon-77', traits: { title: 'CTO' } }]);
    await env.h.send([{ type: 'track', userId: 'tim', event: 'Demo Requested' }]);
    await waitFor(async () => (await env.h.api<Profile>('/api/profiles/tim').catch(() => null))?.anonymousIds.includes('anon-77') || undefined, { what: 'the stitch' });
    const timeline = async (id: string) => (await env.h.api<{ events: TimelineEvent[] }>(`/api/profiles/${id}/events?limit=10`)).events;
    const events = await waitFor(async () => ((await timeline('tim')).length === 4 ? timeline('tim') : undefined), { what: 'four stored events' });
    expect(events.map((e) => e.event ?? e.pagePath ?? e.type)).toEqual(['Demo Requested', 'identify', '/docs', '/pricing']);
    expect((await timeline('anon-77')).map((e) => e.messageId)).toEqual(events.map((e) => e.messageId));
    expect(await timeline('nobody')).toEqual([]);
  });
});
