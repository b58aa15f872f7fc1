import { describe, expect, it } from 'vitest';
import { compareItems } from './lift.ts';

describe('compareItems', () => {
  const members = { users: [4, 2], usersOthers: [2, 4] };
  it('computes shares and lifts against the other segments, null when they have none', () => {
    expect(compareItems([{ key: 'a', have: [2, 1], haveOthers: [1, 2] }], members)).toEqual([{ key: 'a', share: [0.5, 0.5], lift: [1, 1] }]);
    expect(compareItems([{ key: 'b', have: [1, 0], haveOthers: [0, 1] }], members)).toEqual([{ key: 'b', share: [0.25, 0], lift: [null, 0] }]);
  });
  it('sorts by highest lift (exclusive items first, then by share) and keeps the top items of each segment', () => {
    const items = [
      { key: 'low', have: [1, 1], haveOthers: [1, 1] },
      { key: 'only-a-rare', have: [1, 0], haveOthers: [0, 1] },
      { key: 'only-a-common', have: [3, 0], haveOthers: [0, 3] },
      { key: 'b-leans', have: [1, 2], haveOthers: [2, 1] },
    ];
    expect(compareItems(items, members).map((i) => i.key)).toEqual(['only-a-common', 'only-a-rare', 'b-leans', 'low']);
    // One per segment: a's best (exclusive, most common) and b's best (lift 4).
    expect(compareItems(items, members, 1).map((i) => i.key)).toEqual(['only-a-common', 'b-leans']);
  });
  it('handles segments without members', () => {
    expect(compareItems([{ key: 'x', have: [1, 0, 0], haveOthers: [0, 1, 1] }], { users: [1, 1, 0], usersOthers: [1, 1, 2] })).toEqual([
      { key: 'x', share: [1, 0, 0], lift: [null, 0, 0] },
    ]);
  });
});
