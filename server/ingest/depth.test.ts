import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './depth.ts';

const nested = (depth: number): unknown => JSON.parse('{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1));

describe('nestsDeeperThan', () => {
  it('counts the value itself as level 1, objects and arrays alike', () => {
    expect(nestsDeeperThan(nested(32), 32)).toBe(false);
    expect(nestsDeeperThan(nested(33), 32)).toBe(true);
    expect(nestsDeeperThan({ a: [[1]] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [[[]]] }, 3)).toBe(true);
  });
  it('finds a deep branch behind shallow siblings, and ignores scalars', () => {
    expect(nestsDeeperThan({ x: 1, y: 'deep {{{{', z: [1, 2, { ok: true }], w: { v: nested(10) } }, 11)).toBe(true);
    expect(nestsDeeperThan({ x: 1, y: 'deep {{{{', z: [1, 2, { ok: true }], w: { v: nested(10) } }, 12)).toBe(false);
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
  });
});
