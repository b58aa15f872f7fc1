import { describe, expect, it } from 'vitest';
import { lines, rejectedEvent, storedEvent } from '../../tests/helpers/stored-events.ts';
import { parseEntry, parseReadReply } from './entries.ts';
import { parseEventLine, parseRejectLine, toChDateTime, toEventRow, toRejectedRow } from './rows.ts';

describe('toChDateTime', () => {
  it('formats any ISO instant as UTC DateTime64 text, normalising impossible days like Date.parse', () => {
    expect(toChDateTime('2024-05-01T12:00:00.123Z')).toBe('2024-05-01 12:00:00.123');
    expect(toChDateTime('2024-05-01T12:00:00.123+02:00')).toBe('2024-05-01 10:00:00.123');
    expect(toChDateTime('2024-05-01')).toBe('2024-05-01 00:00:00.000');
    expect(toChDateTime('2024-05-01T12:00:00Z')).toBe('2024-05-01 12:00:00.000');
    expect(toChDateTime('2024-05-01T12:00:00.5Z')).toBe('2024-05-01 12:00:00.500');
    expect(toChDateTime('2024-01-31T12:00:00.000Z')).toBe('2024-01-31 12:00:00.000');
    expect(toChDateTime('2024-02-30T12:00:00.000Z')).toBe('2024-03-01 12:00:00.000'); // as Date.parse would
  });
  it('refuses what DateTime64 cannot hold', () => {
    expect(toChDateTime('nope')).toBeNull();
    expect(toChDateTime('1899-12-31T23:59:59Z')).toBeNull();
    expect(toChDateTime('2300-01-01T00:00:00Z')).toBeNull();
  });
});

describe('toEventRow', () => {
  it('maps a track event: hot fields as columns, bags kept whole as JSON text', () => {
    const e = storedEvent({ messageId: 'm1', userKey: 'u1' });
    const r = toEventRow(e);
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.row).toMatchObject({
      workspace_id: 'ws-test',
      message_id: 'm1',
      type: 'track',
      event: 'Product Viewed',
      name: '',
      user_id: 'u1',
      anonymous_id: 'anon-1',
      user_key: 'u1',
      timestamp: '2024-05-01 12:00:00.123',
      received_at: '2024-05-01 12:00:00.456',
      sent_at: '2024-05-01 12:00:00.200',
      original_timestamp: '2024-05-01 12:00:00.100',
      page_path: '/products/1',
      page_url: 'https://shop.example/products/1',
      page_referrer: 'https://www.google.com/',
      page_title: 'Product 1',
      browser: 'Chrome',
      os: 'Mac OS',
      device_type: 'desktop',
      is_bot: false,
      library_name: 'analytics.js',
      library_version: 'npm:next-1.70.0',
      traits: {},
      integrations: {},
    });
    expect(r.row.properties).toEqual({ product_id: 'sku-1', price: 19.99, currency: 'USD', tags: ['a', 'b'] });
    expect(r.row.context).toEqual(e.event.context);
  });

  it('takes page fields from page properties when context.page lacks them', () => {
    const r = toEventRow(
      storedEvent({
        type: 'page',
        event: { type: 'page', name: 'Pricing', userId: 42, properties: { path: '/pricing', title: 'Pricing', url: 'https://x/pricing' } },
      }),
    );
    expect(r).toMatchObject({
      kind: 'ok',
      row: { type: 'page', name: 'Pricing', event: '', user_id: '42', page_path: '/pricing', page_title: 'Pricing', library_name: '' },
    });
  });

  it('maps identify traits, group and alias ids; ignores non-object bags and non-scalar ids', () => {
    const identify = toEventRow(storedEvent({ type: 'identify', event: { type: 'identify', userId: 'u', traits: { plan: null } } }));
    expect(identify).toMatchObject({ kind: 'ok', row: { traits: { plan: null }, event: '' } });
    const group = toEventRow(storedEvent({ type: 'group', event: { type: 'group', groupId: 7, context: [1, 2] } }));
    expect(group).toMatchObject({ kind: 'ok', row: { group_id: '7', context: {} } });
    const alias = toEventRow(storedEvent({ type: 'alias', event: { type: 'alias', previousId: 'old', userId: { x: 1 } } }));
    expect(alias).toMatchObject({ kind: 'ok', row: { previous_id: 'old', user_id: '' } });
  });

  it('nulls unstorable optional times and dead-letters an unstorable event time', () => {
    expect(toEventRow(storedEvent({ sentAt: '3000-01-01T00:00:00Z', originalTimestamp: null }))).toMatchObject({
      kind: 'ok',
      row: { sent_at: null, original_timestamp: null },
    });
    expect(toEventRow(storedEvent({ timestamp: 'garbage' }))).toMatchObject({ kind: 'dlq' });
    expect(toEventRow(storedEvent({ receivedAt: '1800-01-01T00:00:00Z' }))).toMatchObject({ kind: 'dlq' });
  });
});

describe('parse lines', () => {
  it('parses a stored event line and a rejected event line', () => {
    expect(parseEventLine(JSON.stringify(storedEvent({ messageId: 'x' })))).toMatchObject({ kind: 'ok', row: { message_id: 'x' } });
    const rj = rejectedEvent({ id: 'r1', raw: '{bad' });
    expect(parseRejectLine(JSON.stringify(rj))).toEqual(toRejectedRow(rj));
    expect(toRejectedRow(rj)).toMatchObject({ kind: 'ok', row: { id: 'r1', raw: '{bad', received_at: '2024-05-01 12:00:00.456' } });
  });
  it('dead-letters invalid JSON and wrong shapes, naming the problem', () => {
    expect(reason(parseEventLine('{nope'))).toContain('invalid JSON');
    const { v: _v, ...noVersion } = storedEvent();
    expect(reason(parseEventLine(JSON.stringify(noVersion)))).toContain('v: Invalid input');
    expect(reason(parseRejectLine(JSON.stringify({ v: 1 })))).toContain('not a RejectedEvent');
  });
});

describe('parseEntry', () => {
  it('collects every line of ev and rj', () => {
    const r = parseEntry(['ev', lines([storedEvent(), storedEvent()]), 'rj', lines([rejectedEvent()])]);
    expect(r).toMatchObject({ kind: 'ok' });
    if (r.kind === 'ok') expect([r.events.length, r.rejects.length]).toEqual([2, 1]);
  });
  it('dead-letters the whole entry for one bad line, and an entry with no known field', () => {
    expect(reason(parseEntry(['ev', `${JSON.stringify(storedEvent())}\n{bad`]))).toContain('ev line 2');
    expect(parseEntry(['x', '1'])).toMatchObject({ kind: 'dlq' });
  });
});

describe('parseReadReply', () => {
  const partitions = new Map([
    ['s0', 0],
    ['s1', 1],
  ]);
  const expected = [
    { stream: 's0', partition: 0, id: '1-0', fields: ['ev', 'a'] },
    { stream: 's1', partition: 1, id: '2-0', fields: [] },
  ];
  it('reads RESP2 nested replies and RESP3 maps delivered flat', () => {
    expect(parseReadReply([['s0', [['1-0', ['ev', 'a']]]], ['s1', [['2-0', null]]]], partitions)).toEqual(expected);
    expect(parseReadReply(['s0', [['1-0', ['ev', 'a']]], 's1', [['2-0', null]]], partitions)).toEqual(expected);
    expect(parseReadReply(null, partitions)).toEqual([]);
  });
});

function reason(r: { kind: string; reason?: string }): string {
  return r.kind === 'dlq' ? (r.reason ?? '') : `not dead-lettered: ${r.kind}`;
}
