import { describe, expect, it } from 'vitest';
import { compareIds, decodeCursor, encodeCursor, maxPosition } from './cursor.ts';

describe('feed cursors', () => {
  it('round-trips positions, including empty partitions', () => {
    const pos = ['1732373301234-0', '0-0', '1732373301999-17', '1-1'];
    const cursor = encodeCursor(pos);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 4)).toEqual({ ok: true, pos });
  });

  it('stays compact for 8 partitions', () => {
    expect(encodeCursor(Array.from({ length: 8 }, (_, i) => `1732373301234-${i}`)).length).toBeLessThan(130);
  });

  it('refuses a cursor made for another partition count or garbage', () => {
    expect(decodeCursor(encodeCursor(['1-0', '2-0']), 4)).toMatchObject({ ok: false });
    expect(decodeCursor('bm90LWEtY3Vyc29y', 1)).toMatchObject({ ok: false });
  });

  it('orders stream ids numerically, not as strings', () => {
    expect(compareIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareIds('10-2', '10-2')).toBe(0);
    expect(maxPosition(['9-0', '5-1'], ['10-0', '5-0'])).toEqual(['10-0', '5-1']);
  });
});
