import { describe, expect, it } from 'vitest';
import { SegmentEvent } from '../schema/events.ts';
import { CONVERSION_EVENT, EVENTS, FORMS, generate, generateUsers, PERSONA_SPECS, PERSONAS, windowOf, type GeneratedEvent } from './generator.ts';

const START = Date.UTC(2025, 0, 6);
const opts = { seed: 7, users: 400, days: 14, start: START };

describe('generate', () => {
  it('is reproducible from its seed, messageIds included', () => {
    const a = [...generate(opts)];
    const b = [...generate(opts)];
    expect(a.length).toBeGreaterThan(2_000);
    expect(b).toEqual(a);
    const other = [...generate({ ...opts, seed: 8 })];
    expect(other[0]?.messageId).not.toBe(a[0]?.messageId);
  });

  it('makes user i the same whatever the number of users', () => {
    const few = [...generateUsers({ ...opts, users: 20 })];
    const many = [...generateUsers({ ...opts, users: 60 })].slice(0, 20);
    expect(many).toEqual(few);
  });

  it('yields Segment events the collector accepts, with unique messageIds', () => {
    const events = [...generate(opts)];
    const bad = events.map((e) => SegmentEvent.safeParse(e)).filter((r) => !r.success);
    expect(bad).toEqual([]);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(events.length);
    const types = new Set(events.map((e) => e.type));
    expect([...types].sort()).toEqual(['group', 'identify', 'page', 'track']);
  });

  it('keeps each user in time order, inside the window, with the userId from the identify call on', () => {
    const { start, end } = windowOf(opts);
    for (const { user, events } of generateUsers(opts)) {
      let last = start;
      let identified = false;
      for (const e of events) {
        const t = Date.parse(e.timestamp);
        expect(t).toBeGreaterThanOrEqual(last);
        expect(t).toBeLessThan(end);
        last = t;
        expect(e.anonymousId).toBe(user.anonymousId);
        identified ||= e.type === 'identify';
        expect(e.userId).toBe(identified ? (user.userId ?? undefined) : undefined);
      }
      expect(user.userId !== null).toBe(identified);
    }
  });

  it('mixes personas as specified and converts mostly buyers', () => {
    const n = 4_000;
    const by = Object.fromEntries(PERSONAS.map((p) => [p, { users: 0, converted: 0 }]));
    let converted = 0;
    for (const { user, events } of generateUsers({ ...opts, users: n, days: 60 })) {
      const p = by[user.persona]!;
      p.users++;
      const conversion = events.find((e) => e.event === CONVERSION_EVENT);
      expect(conversion?.properties?.revenue ?? null).toBe(user.revenue);
      if (user.revenue !== null) {
        p.converted++;
        converted++;
        expect(user.revenue).toBeGreaterThan(0);
        expect(user.userId).not.toBeNull();
      }
    }
    for (const persona of PERSONAS) expect(Math.abs(by[persona]!.users / n - PERSONA_SPECS[persona].share)).toBeLessThan(0.03);
    expect(converted / n).toBeGreaterThan(0.03);
    expect(converted / n).toBeLessThan(0.12);
    const rate = (p: string) => by[p]!.converted / by[p]!.users;
    expect(rate('buyer')).toBeGreaterThan(0.25);
    expect(rate('buyer')).toBeGreaterThan(4 * rate('researcher'));
    expect(by.candidate!.converted).toBe(0);
  });

  it('emits the intent steps, identify traits and group traits the b2b-saas model reads', () => {
    const events = [...generate({ ...opts, users: 1_000, days: 30 })];
    const names = new Set(events.flatMap((e) => (e.event ? [e.event] : [])));
    for (const name of [EVENTS.demoRequested, EVENTS.trialStarted, EVENTS.formSubmitted, EVENTS.inviteSent, EVENTS.activated, EVENTS.webinarRegistered, CONVERSION_EVENT]) {
      expect(names).toContain(name);
    }
    expect(events.some((e) => e.event === EVENTS.formSubmitted && e.properties?.form === FORMS.contactSales)).toBe(true);
    const paths = new Set(events.map((e) => e.context.page.path));
    for (const path of ['/', '/pricing', '/careers', '/support', '/docs/getting-started', '/customers/globex', '/integrations/salesforce', '/blog/real-time-lead-scoring']) {
      expect(paths).toContain(path);
    }
    const identify = events.find((e): e is GeneratedEvent & { traits: Record<string, unknown> } => e.type === 'identify' && e.traits?.title !== undefined);
    expect(Object.keys(identify?.traits ?? {}).sort()).toEqual(['company', 'country', 'email', 'firstName', 'lastName', 'plan', 'seniority', 'title']);
    const group = events.find((e) => e.type === 'group');
    expect(group?.groupId).toMatch(/^grp_/);
    expect(typeof group?.traits?.employees).toBe('number');
    expect(typeof group?.traits?.industry).toBe('string');
  });
});
