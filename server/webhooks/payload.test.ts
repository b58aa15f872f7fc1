import { describe, expect, it } from 'vitest';
import type { Signal } from '../../schema/signal.ts';
import { WebhookPayload, type StoredWebhookEndpoint } from '../../schema/webhook.ts';
import { fanoutEntry } from './fanout.ts';
import { deliveryId, matches, payloadOf, targets } from './payload.ts';

const signal: Signal = {
  v: 1,
  id: 'sig-1',
  kind: 'threshold.crossed',
  workspaceId: 'ws1',
  userKey: 'u1',
  threshold: 'sql',
  direction: 'up',
  score: 55,
  reasons: [{ rule: 'demo', kind: 'behaviour', points: 40 }],
  traits: { email: 'a@b.co' },
  at: '2024-05-01T12:00:00.000Z',
};
const endpoint = (over: Partial<StoredWebhookEndpoint> = {}): StoredWebhookEndpoint => ({
  id: 'ep_1',
  workspaceId: 'ws1',
  url: 'https://example.com',
  filters: {},
  enabled: true,
  orderedPerUser: false,
  createdAt: '2024-05-01T00:00:00.000Z',
  updatedAt: '2024-05-01T00:00:00.000Z',
  secret: 'whsec_x',
  ...over,
});

describe('matching', () => {
  it('applies kinds, minScore and segments', () => {
    expect(matches({}, signal)).toBe(true);
    expect(matches({ kinds: ['segment.entered'] }, signal)).toBe(false);
    expect(matches({ minScore: 56 }, signal)).toBe(false);
    expect(matches({ minScore: 55 }, signal)).toBe(true);
    expect(matches({ segments: ['hot'] }, signal)).toBe(false);
    expect(matches({ segments: ['hot'] }, { ...signal, segment: 'hot' })).toBe(true);
  });
  it('targets enabled endpoints of the workspace created before the signal was written', () => {
    const written = Date.parse('2024-05-01T12:00:00Z');
    const eps = [endpoint(), endpoint({ id: 'ep_2', enabled: false }), endpoint({ id: 'ep_3', workspaceId: 'ws2' }), endpoint({ id: 'ep_4', createdAt: '2024-05-02T00:00:00.000Z' })];
    expect(targets(eps, signal, written).map((e) => e.id)).toEqual(['ep_1']);
  });
});

describe('payload and ids', () => {
  it('builds a versioned payload matching the documented schema', () => {
    const p = payloadOf(signal);
    expect(WebhookPayload.parse(p)).toEqual(p);
    expect(p).toMatchObject({ version: 1, type: 'threshold.crossed', data: { signalId: 'sig-1', user: { key: 'u1' }, threshold: 'sql', direction: 'up' } });
  });
  it('derives a stable delivery id from signal and endpoint', () => {
    expect(deliveryId('sig-1', 'ep_1')).toBe(deliveryId('sig-1', 'ep_1'));
    expect(deliveryId('sig-1', 'ep_1')).not.toBe(deliveryId('sig-1', 'ep_2'));
    expect(deliveryId('sig-1', 'ep_1')).toMatch(/^msg_[0-9a-f]{32}$/);
  });
  it('fans an entry out, or drops what is not a signal', () => {
    const entry = { stream: 's', partition: 0, id: `${Date.parse('2024-05-01T12:00:01Z')}-0`, fields: ['sg', JSON.stringify(signal)] };
    const r = fanoutEntry(entry, [endpoint(), endpoint({ id: 'ep_2', orderedPerUser: true })]);
    expect(r.kind === 'ok' && r.deliveries.map((d) => [d.endpointId, d.ordered])).toEqual([['ep_1', false], ['ep_2', true]]);
    expect(fanoutEntry({ ...entry, fields: ['sg', '{'] }, [endpoint()])).toEqual({ kind: 'drop', reason: 'signal is not JSON' });
    expect(fanoutEntry({ ...entry, fields: ['x', '1'] }, [endpoint()]).kind).toBe('drop');
  });
});
