import { describe, expect, it } from 'vitest';
import { EventLoopLag } from './overload.ts';

const block = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EventLoopLag', () => {
  it('reports how long the current iteration has held the loop, and recovers once it yields', async () => {
    const loop = new EventLoopLag(5);
    await tick(20);
    expect(loop.lagMs()).toBeLessThan(30);
    block(80);
    expect(loop.lagMs()).toBeGreaterThan(60);
    await tick(20);
    expect(loop.lagMs()).toBeLessThan(30);
    loop.stop();
  });
});
