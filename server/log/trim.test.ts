import { describe, expect, it } from 'vitest';
import { compareIds, trimPoint } from './trim.ts';

describe('trimPoint', () => {
  const sink = { name: 'sink', lastDeliveredId: '100-5', pending: 0, smallestPending: null };
  it('trims up to just after the last delivered entry when nothing is pending', () => {
    expect(trimPoint([sink], ['sink'])).toBe('100-6');
  });
  it('stops at the smallest pending entry', () => {
    expect(trimPoint([{ ...sink, pending: 2, smallestPending: '90-0' }], ['sink'])).toBe('90-0');
  });
  it('takes the slowest of the required groups, and nothing when one is missing', () => {
    const scorer = { name: 'scorer', lastDeliveredId: '50-0', pending: 0, smallestPending: null };
    expect(trimPoint([sink, scorer], ['sink', 'scorer'])).toBe('50-1');
    expect(trimPoint([sink], ['sink', 'scorer'])).toBeNull();
  });
  it('compares ids numerically, not as text', () => {
    expect(compareIds('9-0', '10-0')).toBe(-1);
    expect(compareIds('10-10', '10-9')).toBe(1);
    expect(compareIds('10-9', '10-9')).toBe(0);
  });
});
