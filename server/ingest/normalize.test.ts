import { describe, expect, it } from 'vitest';
import { StoredEventSchema } from '../../schema/stored-event.ts';
import { UserAgentParser } from './enrich.ts';
import { normalize, type RequestMeta } from './normalize.ts';

const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const meta: RequestMeta = {
  workspaceId: 'ws_"quoted"',
  receivedAt: Date.UTC(2026, 0, 1, 12),
  ip: '203.0.113.77',
  userAgent: UA,
  anonymizeIp: true,
  partitions: 4,
};
const parser = new UserAgentParser();
const lines = (n: ReturnType<typeof normalize>) => [...n.byPartition.values()].flat().map((e) => StoredEventSchema.parse(JSON.parse(e.line)));

describe('normalize', () => {
  it('writes lines that are StoredEvents, enrichment serialised once per request', () => {
    const body = {
      sentAt: '2026-01-01T12:00:02.000Z',
      context: { library: { name: 'analytics.js' } },
      writeKey: 'wk_x',
      batch: [
        { type: 'track', event: 'A', userId: 42, messageId: 'm\n1', timestamp: '2026-01-01T12:00:00.000Z', writeKey: 'wk_x', properties: { a: 1 } },
        { type: 'page', anonymousId: 'anon', messageId: 'm2', context: { ip: '198.51.100.9', userAgent: 'curl/8' } },
        { type: 'alias', userId: 'u', previousId: 7 },
      ],
    };
    const out = normalize('batch', body, meta, parser);
    expect(out.accepted).toBe(3);
    const byType = new Map(lines(out).map((e) => [e.type, e]));
    const [a, b, c] = [byType.get('track'), byType.get('page'), byType.get('alias')];
    expect(a).toEqual({
      v: 1,
      workspaceId: 'ws_"quoted"',
      messageId: 'm\n1',
      type: 'track',
      userKey: '42',
      receivedAt: '2026-01-01T12:00:00.000Z',
      timestamp: '2026-01-01T11:59:58.000Z',
      originalTimestamp: '2026-01-01T12:00:00.000Z',
      sentAt: '2026-01-01T12:00:02.000Z',
      ip: '203.0.113.0',
      userAgent: UA,
      ua: parser.parse(UA),
      // numeric ids become strings, the event's writeKey is dropped, the batch context merged in
      event: { type: 'track', event: 'A', userId: '42', messageId: 'm\n1', timestamp: '2026-01-01T12:00:00.000Z', properties: { a: 1 }, context: { library: { name: 'analytics.js' } } },
    });
    expect(b).toMatchObject({ messageId: 'm2', userKey: 'anon', ip: '198.51.100.0', userAgent: 'curl/8', originalTimestamp: null, timestamp: '2026-01-01T12:00:00.000Z' });
    expect(b!.event.context).toEqual({ library: { name: 'analytics.js' }, ip: '198.51.100.0', userAgent: 'curl/8' });
    expect(c!.event).toMatchObject({ previousId: '7', userId: 'u' });
    expect(c!.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects every event when the batch context nests too deep', () => {
    const deep = JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40)) as Record<string, unknown>;
    const out = normalize('batch', { context: deep, batch: [{ type: 'track', event: 'A', userId: 'u' }] }, meta, parser);
    expect(out.rejected.map((r) => r.code)).toEqual(['too_deep']);
  });
});
