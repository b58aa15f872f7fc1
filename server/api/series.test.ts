import { describe, expect, it } from 'vitest';
import { dailySizes, thinPoints, utcDays } from './series.ts';

describe('utcDays', () => {
  it('lists the UTC days a window touches, the end excluded', () => {
    expect(utcDays({ from: new Date('2026-02-27T18:00:00Z'), to: new Date('2026-03-02T00:00:00Z') })).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(utcDays({ from: new Date('2026-03-01T10:00:00Z'), to: new Date('2026-03-01T10:00:01Z') })).toEqual(['2026-03-01']);
  });
});

describe('dailySizes', () => {
  it('accumulates entries minus exits, days before the window included, days without changes kept', () => {
    const changes = [
      { day: '2026-02-01', entered: 5, exited: 1 },
      { day: '2026-03-01', entered: 2, exited: 0 },
      { day: '2026-03-03', entered: 0, exited: 3 },
    ];
    expect(dailySizes(['2026-03-01', '2026-03-02', '2026-03-03'], changes)).toEqual([
      { day: '2026-03-01', size: 6, entered: 2, exited: 0 },
      { day: '2026-03-02', size: 6, entered: 0, exited: 0 },
      { day: '2026-03-03', size: 3, entered: 0, exited: 3 },
    ]);
  });
});

describe('thinPoints', () => {
  it('keeps short series whole', () => {
    expect(thinPoints([1, 2, 3], 5)).toEqual([1, 2, 3]);
  });
  it('keeps the newest half whole and samples the older points evenly', () => {
    const points = Array.from({ length: 100 }, (_, i) => i);
    const thinned = thinPoints(points, 10);
    expect(thinned).toEqual([0, 19, 38, 57, 76, 95, 96, 97, 98, 99]);
  });
});
