import { describe, expect, it } from 'vitest';
import { lines, rejectedEvent, storedEvent } from '../../tests/helpers/stored-events.ts';
import { parseEntry, parseReadReply } from './entries.ts';

describe('parseEntry', () => {
  it('takes the ev and rj lines as they are, counting them', () => {
    const ev = lines([storedEvent(), storedEvent()]);
    const rj = lines([rejectedEvent()]);
    expect(parseEntry(['ev', ev, 'rj', rj])).toEqual({ kind: 'ok', events: ev, rejects: rj, rows: 3, chars: ev.length + rj.length });
    expect(parseEntry(['rj', `${rj}\n\n`, 'other', 'x'])).toMatchObject({ kind: 'ok', events: '', rows: 1 });
  });
  it('dead-letters an entry with no known field', () => {
    expect(parseEntry(['x', '1'])).toMatchObject({ kind: 'dlq', reason: expect.stringContaining('neither') as string });
    expect(parseEntry([])).toMatchObject({ kind: 'dlq' });
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
