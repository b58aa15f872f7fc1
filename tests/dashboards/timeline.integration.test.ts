import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../server/api/events.query.ts';
import type { Profile } from '../../scoring/runtime/profile.ts';
import { waitFor } from '../helpers/wait.ts';
import { DashboardHarness } from './harness.ts';

let h: DashboardHarness;
beforeAll(async () => {
  h = await DashboardHarness.start();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('GET /api/profiles/:id/events', () => {
  it("lists a stitched person's events, the anonymous ones before identify included, by either id", async () => {
    await h.send([
      { type: 'page', anonymousId: 'anon-77', properties: { path: '/pricing' } },
      { type: 'page', anonymousId: 'anon-77', properties: { path: '/docs' } },
    ]);
    await h.send([{ type: 'identify', userId: 'tim', anonymousId: 'anon-77', traits: { title: 'CTO' } }]);
    await h.send([{ type: 'track', userId: 'tim', event: 'Demo Requested' }]);
    await waitFor(async () => (await h.api<Profile>('/api/profiles/tim').catch(() => null))?.anonymousIds.includes('anon-77') || undefined, { what: 'the stitch' });
    const timeline = async (id: string) => (await h.api<{ events: TimelineEvent[] }>(`/api/profiles/${id}/events?limit=10`)).events;
    const events = await waitFor(async () => ((await timeline('tim')).length === 4 ? timeline('tim') : undefined), { what: 'four stored events' });
    expect(events.map((e) => e.event ?? e.pagePath ?? e.type)).toEqual(['Demo Requested', 'identify', '/docs', '/pricing']);
    expect((await timeline('anon-77')).map((e) => e.messageId)).toEqual(events.map((e) => e.messageId));
    expect(await timeline('nobody')).toEqual([]);
  });
});
