import { describe, expect, it } from 'vitest';
import { logKeys, partitionOf } from './keys.ts';

describe('log keys', () => {
  it('puts every key of a partition in one cluster slot via its hash tag', () => {
    const keys = logKeys('wl', 8);
    expect(keys.stream(3)).toBe('wl:{p3}:log');
    expect(keys.dedupe(3, 'ws', 'm1')).toBe('wl:{p3}:dd:ws:m1');
    expect(keys.deadLetter(3)).toBe('wl:{p3}:dlq');
    expect(keys.streams()).toHaveLength(8);
  });
  it('spreads user keys over partitions, stably', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[partitionOf(`user-${i}`, 8)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(partitionOf('user-42', 8)).toBe(partitionOf('user-42', 8));
  });
});
