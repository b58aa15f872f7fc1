import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../schema/stored-event.ts';
import { rows, tempClickHouse } from '../../tests/helpers/clickhouse.ts';
import { lines, rejectedEvent, storedEvent } from '../../tests/helpers/stored-events.ts';
import { migrate } from '../clickhouse/migrate.ts';
import { createLogger } from '../logger.ts';
import { insertLines } from './insert.ts';

const ch = tempClickHouse();
let n = 0;

beforeAll(() => migrate(ch.client, createLogger('silent')));
afterAll(() => ch.dispose());

/** Inserts one event line through the sink's path and reads its `events` row back. */
async function stored(e: StoredEvent): Promise<Record<string, unknown>> {
  const id = `map-${++n}`;
  expect(await insertLines(ch.client, { events: lines([{ ...e, messageId: id }]), rejects: '' })).toEqual({ kind: 'ok' });
  const [row] = await rows<Record<string, unknown>>(ch.client, 'SELECT * EXCEPT message_id FROM events WHERE message_id = {id:String}', { id });
  return row ?? {};
}

async function refused(text: string, table: 'events' | 'rejects' = 'events'): Promise<string> {
  const outcome = await insertLines(ch.client, table === 'events' ? { events: text, rejects: '' } : { events: '', rejects: text });
  expect(outcome.kind).toBe('data');
  return outcome.kind === 'data' ? String(outcome.err) : '';
}

describe('StoredEvent lines → events (events_in_mv)', () => {
  it('maps a track event: hot fields as columns, bags kept whole as JSON text', async () => {
    const e = storedEvent({ userKey: 'u1' });
    expect(await stored(e)).toEqual({
      workspace_id: 'ws-test',
      type: 'track',
      event: 'Product Viewed',
      name: '',
      user_id: 'u1',
      anonymous_id: 'anon-1',
      user_key: 'u1',
      group_id: '',
      previous_id: '',
      timestamp: '2024-05-01T12:00:00.123Z',
      received_at: '2024-05-01T12:00:00.456Z',
      sent_at: '2024-05-01T12:00:00.200Z',
      original_timestamp: '2024-05-01T12:00:00.100Z',
      page_path: '/products/1',
      page_url: 'https://shop.example/products/1',
      page_referrer: 'https://www.google.com/',
      page_title: 'Product 1',
      ip: '203.0.113.0',
      user_agent: e.userAgent,
      browser: 'Chrome',
      browser_version: '120.0.0.0',
      os: 'Mac OS',
      os_version: '10.15.7',
      device_type: 'desktop',
      is_bot: false,
      library_name: 'analytics.js',
      library_version: 'npm:next-1.70.0',
      properties: JSON.stringify(e.event.properties),
      traits: '{}',
      context: JSON.stringify(e.event.context),
      integrations: '{}',
    });
  });

  it('takes page fields from page properties when context.page lacks them', async () => {
    const page = { type: 'page', name: 'Pricing', userId: 42, properties: { path: '/pricing', title: 'Pricing', url: 'https://x/pricing' } };
    expect(await stored(storedEvent({ type: 'page', event: page }))).toMatchObject({
      type: 'page',
      name: 'Pricing',
      event: '',
      user_id: '42',
      page_path: '/pricing',
      page_title: 'Pricing',
      library_name: '',
    });
    const track = { type: 'track', event: 'x', context: { page: { path: '' } }, properties: { path: '/props' } };
    expect(await stored(storedEvent({ event: track }))).toMatchObject({ page_path: '' }); // page events only
  });

  it('maps identify traits, group and alias ids; ignores non-object bags and non-scalar values', async () => {
    expect(await stored(storedEvent({ type: 'identify', event: { type: 'identify', userId: 'u', traits: { plan: null } } }))).toMatchObject({
      traits: '{"plan":null}',
      event: '',
    });
    expect(await stored(storedEvent({ type: 'group', event: { type: 'group', groupId: 7, context: [1, 2] } }))).toMatchObject({
      group_id: '7',
      context: '{}',
    });
    expect(await stored(storedEvent({ type: 'alias', event: { type: 'alias', previousId: 'old', userId: { x: 1 } } }))).toMatchObject({
      previous_id: 'old',
      user_id: '',
    });
    const odd = {
      type: 'page',
      name: { a: 1 },
      userId: '[bot]',
      anonymousId: true,
      properties: { path: { a: 1 }, url: ['x'], title: 5.5, referrer: null, big: 123456789012345680000 },
      context: { page: { path: ['p'], url: '{not' }, library: ['lib', 'v'] },
      traits: 'nope',
    };
    expect(await stored(storedEvent({ type: 'page', event: odd }))).toMatchObject({
      name: '',
      user_id: '[bot]',
      anonymous_id: 'true',
      page_path: '',
      page_url: '{not',
      page_title: '5.5',
      page_referrer: '',
      library_name: '',
      traits: '{}',
    });
  });

  it('nulls unstorable optional times and refuses an unstorable event time', async () => {
    expect(await stored(storedEvent({ sentAt: '3000-01-01T00:00:00Z', originalTimestamp: 'garbage' }))).toMatchObject({
      sent_at: null,
      original_timestamp: null,
    });
    expect(await stored(storedEvent({ timestamp: '2024-05-01T12:00:00.123+02:00', receivedAt: '2024-05-01' }))).toMatchObject({
      timestamp: '2024-05-01T10:00:00.123Z',
      received_at: '2024-05-01T00:00:00.000Z',
    });
    expect(await refused(lines([storedEvent({ timestamp: 'garbage' })]))).toContain('timestamp_storable');
    expect(await refused(lines([storedEvent({ receivedAt: '1800-01-01T00:00:00Z' })]))).toContain('received_at_storable');
  });

  it('refuses lines that are not StoredEvents instead of storing defaults', async () => {
    const { workspaceId: _w, ...noWorkspace } = storedEvent();
    const { ua: _u, ...noUa } = storedEvent();
    const { browser: _b, ...uaLacking } = storedEvent().ua;
    await refused('{not json');
    await refused(JSON.stringify(noWorkspace));
    await refused(JSON.stringify({ ...storedEvent(), messageId: null }));
    await refused(JSON.stringify(noUa));
    await refused(JSON.stringify({ ...storedEvent(), ua: uaLacking }));
    expect(await refused(JSON.stringify({ ...storedEvent(), v: 2 }))).toContain('version_1');
    expect(await refused(JSON.stringify({ ...storedEvent(), type: 'boom' }))).toContain('known_type');
    expect(await refused(JSON.stringify({ ...storedEvent(), event: 'str' }))).toContain('event_is_object');
  });
});

describe('RejectedEvent lines → rejected_events (rejected_events_in_mv)', () => {
  it('stores a reject, and refuses a malformed one', async () => {
    const r = rejectedEvent({ id: `rj-${++n}`, raw: '{bad' });
    expect(await insertLines(ch.client, { events: '', rejects: lines([r]) })).toEqual({ kind: 'ok' });
    expect(await rows(ch.client, 'SELECT * FROM rejected_events WHERE id = {id:String}', { id: r.id })).toEqual([
      { id: r.id, workspace_id: 'ws-test', received_at: '2024-05-01T12:00:00.456Z', reason: r.reason, raw: '{bad' },
    ]);
    await refused(JSON.stringify({ v: 1 }), 'rejects');
    expect(await refused(JSON.stringify({ ...r, receivedAt: 'nope' }), 'rejects')).toContain('received_at_storable');
  });
});
