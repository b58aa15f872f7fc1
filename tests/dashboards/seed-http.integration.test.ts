import { describe, expect, it } from 'vitest';
import type { ProfileHistoryResponse } from '../../schema/dashboard.ts';
import type { Profile } from '../../scoring/runtime/profile.ts';
import { generateUsers } from '../../load-tests/generator.ts';
import { SeedRefused, seedOverHttp } from '../../load-tests/seed-http.ts';
import { waitFor } from '../helpers/wait.ts';
import { useDashboardHarness, WRITE_KEY } from './harness.ts';

const env = useDashboardHarness();
const GEN = { seed: 7, users: 25, days: 3 };

describe('npm run seed -- --url (generated history through a running Warmline)', () => {
  it('is stored and scored live, and sending it again changes nothing', async () => {
    const r = await seedOverHttp({ url: env.h.base, writeKey: WRITE_KEY, ...GEN, batchSize: 40 });
    const users = [...generateUsers(GEN)];
    expect(r.events).toBe(users.reduce((n, u) => n + u.events.length, 0));
    expect(r.users).toBe(GEN.users);
    const known = users.find((u) => u.user.userId !== null && u.events.some((e) => e.type === 'track'))!;
    const userId = known.user.userId!;
    const expected = known.events.filter((e) => e.userId === userId).length;
    await waitFor(async () => (await env.h.storedEvents(userId)) === expected || undefined, { what: `${userId}'s ${expected} events in ClickHouse`, timeoutMs: 20_000 });
    const profile = await waitFor(() => env.h.api<Profile>(`/api/profiles/${encodeURIComponent(userId)}`).catch(() => undefined), { what: 'the profile' });
    expect(profile.userKey).toBe(userId);
    expect(profile.anonymousIds).toEqual([known.user.anonymousId]);
    // Scored at the events' own times, stitching included, not at the moment they were processed.
    const lastEvent = Math.max(...known.events.map((e) => Date.parse(e.timestamp)));
    const history = await waitFor(
      async () => {
        const h = await env.h.api<ProfileHistoryResponse>(`/api/profiles/${encodeURIComponent(userId)}/history?days=30`);
        return h.scores.length > 0 ? h : undefined;
      },
      { what: 'the score history in ClickHouse' },
    );
    expect(Math.max(...history.scores.map((p) => Date.parse(p.at)))).toBeLessThanOrEqual(lastEvent);
    expect(history.segments.every((c) => Date.parse(c.at) <= lastEvent)).toBe(true);

    // The collector deduplicates on messageId: the same history again appends nothing to the log.
    const entries = await env.h.logEntries();
    const again = await seedOverHttp({ url: env.h.base, writeKey: WRITE_KEY, ...GEN });
    expect(again.events).toBe(r.events);
    expect(await env.h.logEntries()).toBe(entries);
    await waitFor(() => env.h.sinkDrained(), { what: 'the log drained into ClickHouse' });
    expect(await env.h.storedEvents(userId)).toBe(expected);
  });

  it('stops with the collector’s answer when the key is refused', async () => {
    await expect(seedOverHttp({ url: env.h.base, writeKey: 'wk_not_a_real_key_123', ...GEN })).rejects.toThrow(SeedRefused);
    await expect(seedOverHttp({ url: env.h.base, writeKey: 'wk_not_a_real_key_123', ...GEN })).rejects.toThrow(/answered 401/);
  });
});
