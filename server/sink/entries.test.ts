import { describe, expect, it } from 'vitest';
import { lines, rejectedEvent, storedEvent } from '../../tests/helpers/stored-events.ts';
import { parseEntry } from './entries.ts';
import { parseReadReply } from '../log/replies.ts';

describe('parseEntry', () => {
  const tables = { ev: 'events_in', rj: 'rejected_events_in' };
  it("takes the known fields' lines as they are, per staging table, counting them", () => {
    const ev = lines([storedEvent(), storedEvent()]);
    const rj = lines([rejectedEvent()]);
    expect(parseEntry(['ev', ev, 'rj', rj], tables)).toEqual({
      kind: 'ok',
      lines: new Map([
        ['events_in', ev],
        ['rejected_events_in', rj],
      ]),
      rows: 3,
      chars: ev.length + rj.length,
    });
    expect(parseEntry(['rj', `${rj}\n\n`, 'other', 'x'], tables)).toMatchObject({ kind: 'ok', lines: new Map([['rejected_events_in', `${rj}\n\n`]]), rows: 1 });
  });
  it('joins fields that feed one table, and ignores inherited keys', () => {
    expect(parseEntry(['a', 'x', 'b', 'y'], { a: 't', b: 't' })).toEqual({ kind: 'ok', lines: new Map([['t', 'x\ny']]), rows: 2, chars: 2 });
    expect(parseEntry(['constructor', 'x'], tables)).toMatchObject({ kind: 'dlq' });
  });
  it('dead-letters an entry with no known field', () => {
    expect(parseEntry(['x', '1'], tables)).toEqual({ kind: 'dlq', reason: 'entry has no "ev" or "rj" field' });
    expect(parseEntry([], { sc: 'score_changes_in' })).toEqual({ kind: 'dlq', reason: 'entry has no "sc" field' });
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
