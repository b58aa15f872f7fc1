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
    block(200);
    const during = loop.lagMs();
    expect(during).toBeGreaterThan(150);
    await tick(20);
    // Relative, so a busy machine delaying timers a little does not fail it.
    expect(loop.lagMs()).toBeLessThan(during / 2);
    loop.stop();
  });
});
