import { describe, expect, it } from 'vitest';
import { logKeys } from '../log/keys.ts';
import { planSources, readCount } from './plan.ts';
import { logSource, scoresSource, sinkSources, type SinkSource } from './source.ts';

describe('planSources', () => {
  const keys = logKeys('wl', 2);
  it('covers every partition of every source, reading sources of one group together, tables in order', () => {
    const plan = planSources(sinkSources(keys));
    expect(plan.lanes.map((l) => [l.source.name, l.stream])).toEqual([
      ['log', 'wl:{p0}:log'],
      ['log', 'wl:{p1}:log'],
      ['scores', 'wl:{p0}:scores'],
      ['scores', 'wl:{p1}:scores'],
    ]);
    expect(plan.reads).toHaveLength(1);
    expect(plan.reads[0]?.group).toBe('sink');
    expect([...(plan.reads[0]?.partitions ?? [])]).toEqual([
      ['wl:{p0}:log', 0],
      ['wl:{p1}:log', 1],
      ['wl:{p0}:scores', 0],
      ['wl:{p1}:scores', 1],
    ]);
    expect(plan.tables).toEqual(['events_in', 'rejected_events_in', 'score_changes_in']);
    expect(plan.sourceOf.get('wl:{p1}:scores')?.name).toBe('scores');
    expect(scoresSource(keys).deadLetter(1)).toBe('wl:{p1}:scores:dlq');
  });
  it('reads each group apart, and refuses sources that share a stream or none', () => {
    const other: SinkSource = { ...scoresSource(keys), group: 'archive' };
    expect(planSources([logSource(keys), other]).reads.map((r) => r.group)).toEqual(['sink', 'archive']);
    expect(() => planSources([logSource(keys), { ...logSource(keys), name: 'again' }])).toThrow(/share a stream/);
    expect(() => planSources([])).toThrow(/at least one/);
  });
});

describe('readCount', () => {
  it('fills the room left over every stream for the largest entries, at least one', () => {
    expect(readCount([{ rows: 10, chars: 1_000 }], { rows: 800, chars: 1e9 }, 8)).toBe(10);
    expect(readCount([{ rows: 10, chars: 1_000 }, { rows: 1, chars: 50_000 }], { rows: 800, chars: 1e6 }, 8)).toBe(2);
    expect(readCount([{ rows: 1, chars: 1 }], { rows: 1e9, chars: 1e9 }, 1)).toBe(10_000);
    expect(readCount([{ rows: 40, chars: 1 }], { rows: 0, chars: 1e9 }, 4)).toBe(1);
  });
});
