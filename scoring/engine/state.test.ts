import { describe, expect, it } from 'vitest';
import { loadModelFile } from '../model/load.ts';
import { applyDue, applyEvent } from './apply.ts';
import { compileModel } from './compile.ts';
import type { ScorableEvent } from './event.ts';
import { MIN, T0 } from './testing.ts';

/** A deterministic mix of every kind of event the default models react to. */
function* traffic(n: number): Generator<ScorableEvent> {
  const tracks = ['Product Viewed', 'Product Added', 'Order Completed', 'Checkout Started', 'Demo Requested', 'Trial Started', 'Invite Sent', 'Signed Up', 'Coupon Entered'];
  const paths = ['/pricing', '/docs/api', '/support', '/careers', '/blog/x', '/integrations', '/customers/acme', '/shipping'];
  for (let i = 0; i < n; i++) {
    const timestamp = new Date(T0 + i * 7 * MIN).toISOString();
    const messageId = `msg-${i}-${'x'.repeat(100)}`;
    if (i % 50 === 0) yield { messageId, type: 'identify', timestamp, event: { traits: { title: 'VP of Something '.repeat(30), country: 'US', survey: { timeline: 'this quarter' } } } };
    else if (i % 3 === 0) yield { messageId, type: 'page', timestamp, event: { properties: { path: paths[i % paths.length] } } };
    else yield { messageId, type: 'track', timestamp, event: { event: tracks[i % tracks.length], properties: { price: i % 400 } } };
  }
}

describe('state size', () => {
  for (const name of ['b2b-saas', 'ecommerce']) {
    it(`${name}: stays bounded and JSON-round-trips after 20 000 events`, async () => {
      const cm = compileModel(await loadModelFile(`scoring/models/${name}.yaml`));
      let state = applyEvent(cm, undefined, traffic(1).next().value as ScorableEvent, T0).state;
      let max = 0;
      for (const e of traffic(20_000)) {
        state = applyEvent(cm, state, e, Date.parse(e.timestamp)).state;
        if (Math.random() < 0.05) state = applyDue(cm, state, state.t + MIN).state;
        const bytes = JSON.stringify(state).length;
        if (bytes > max) max = bytes;
        state = JSON.parse(JSON.stringify(state)) as typeof state;
      }
      expect(max).toBeLessThan(3_000);
      expect(state.ids).toHaveLength(128 * 8);
    });
  }
});
