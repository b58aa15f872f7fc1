/**
 * Pure-CPU micro-benchmark of the scoring engine with the shipped models:
 * `node --import tsx scoring/bench/engine.bench.ts [events]`. Prints events/s for `applyEvent`
 * alone and with the state's JSON round trip the live scorer pays per event (Redis blob).
 */
import { performance } from 'node:perf_hooks';
import type { StoredEvent } from '../../schema/stored-event.ts';
import { applyEvent, compileModel, type ScoreState } from '../engine/index.ts';
import { loadModelFile } from '../model/load.ts';

const EVENTS = Number(process.argv[2] ?? 300_000);
const USERS = 5_000;
const T0 = Date.parse('2026-01-05T09:00:00.000Z');

const TRACKS = ['Product Viewed', 'Product Viewed', 'Product Added', 'Order Completed', 'Checkout Started', 'Demo Requested', 'Trial Started', 'Signed Up', 'Button Clicked', 'Video Played'];
const PATHS = ['/', '/pricing', '/docs/getting-started', '/blog/launch', '/support/billing', '/careers', '/integrations/slack', '/products/42', '/shipping'];
const ua = { browser: 'Chrome', browserVersion: '130', os: 'macOS', osVersion: '15', deviceType: 'desktop', isBot: false };

/** A deterministic stream: many users, each user's events a few minutes apart. */
function makeEvents(n: number): StoredEvent[] {
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const out: StoredEvent[] = [];
  for (let i = 0; i < n; i++) {
    const user = `user-${Math.floor(rnd() * USERS)}`;
    const at = T0 + i * 50;
    const r = rnd();
    const common = { v: 1 as const, workspaceId: 'ws', messageId: `${user}-${i}`, userKey: user, receivedAt: new Date(at).toISOString(), timestamp: new Date(at).toISOString(), originalTimestamp: null, sentAt: null, ip: '', userAgent: 'bench', ua };
    if (r < 0.02) out.push({ ...common, type: 'identify', event: { type: 'identify', userId: user, traits: { title: 'VP Marketing', country: 'US', email: `${user}@acme.io` } } });
    else if (r < 0.45) out.push({ ...common, type: 'page', event: { type: 'page', properties: { path: PATHS[Math.floor(rnd() * PATHS.length)], url: 'https://acme.io/x', referrer: '' } } });
    else out.push({ ...common, type: 'track', event: { type: 'track', event: TRACKS[Math.floor(rnd() * TRACKS.length)], properties: { price: Math.floor(rnd() * 500), sku: 'AB-1' } } });
  }
  return out;
}

const events = makeEvents(EVENTS);
for (const name of ['b2b-saas', 'ecommerce']) {
  const cm = compileModel(await loadModelFile(new URL(`../models/${name}.yaml`, import.meta.url).pathname));
  for (const withJson of [false, true]) {
    const states = new Map<string, ScoreState | string>();
    const pass = (list: StoredEvent[]) => {
      for (const e of list) {
        const prev = states.get(e.userKey);
        const state = typeof prev === 'string' ? (JSON.parse(prev) as ScoreState) : prev;
        const r = applyEvent(cm, state, e, Date.parse(e.receivedAt));
        states.set(e.userKey, withJson ? JSON.stringify(r.state) : r.state);
      }
    };
    pass(events.slice(0, 20_000)); // warm-up
    // Best of three: the number is a property of the code, not of whatever else the machine runs.
    let secs = Infinity;
    for (let run = 0; run < 3; run++) {
      states.clear();
      const start = performance.now();
      pass(events);
      secs = Math.min(secs, (performance.now() - start) / 1000);
    }
    const label = withJson ? 'applyEvent + state JSON parse/stringify' : 'applyEvent';
    console.log(`${name.padEnd(9)} ${label.padEnd(42)} ${Math.round(EVENTS / secs).toLocaleString('en-US').padStart(10)} events/s  (${EVENTS} events, ${USERS} users)`);
  }
}
