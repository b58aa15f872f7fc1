import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { testConfig } from './helpers/env.ts';
import { basic, readLog, useInProcessCollector, WRITE_KEY } from './helpers/collector.ts';

const config = testConfig();
const t = useInProcessCollector(config);

const send = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  t.app.request(path, { method: 'POST', headers: { authorization: basic(WRITE_KEY), 'content-type': 'text/plain', ...headers }, body });

const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const validEvent = (id: string) => ({ type: 'track', event: 'Ok', userId: 'u-ok', messageId: id });

/** [name, path, body, headers, expected status, expected error code, message pattern] */
const battery: [string, string, string | Uint8Array, Record<string, string>, number, string, RegExp][] = [
  ['malformed JSON', '/v1/batch', '{"batch": [', {}, 400, 'invalid_json', /not valid JSON/],
  ['a JSON array body', '/v1/t', '[1,2]', {}, 400, 'invalid_body', /must be a JSON object/],
  ['a JSON string body', '/v1/t', '"hello"', {}, 400, 'invalid_body', /must be a JSON object/],
  ['an empty body', '/v1/t', '', {}, 400, 'empty_body', /empty/],
  ['batch is not an array', '/v1/batch', '{"batch": {"type":"track"}}', {}, 400, 'invalid_batch', /batch/],
  ['an empty batch', '/v1/batch', '{"batch": []}', {}, 400, 'invalid_batch', /at least one event/],
  ['event name of the wrong type', '/v1/t', '{"event": 42, "userId": "u"}', {}, 400, 'invalid_events', /event:.*expected string/],
  ['no userId nor anonymousId', '/v1/t', '{"event": "X"}', {}, 400, 'invalid_events', /userId or anonymousId is required/],
  ['group without groupId', '/v1/g', '{"userId": "u"}', {}, 400, 'invalid_events', /groupId/],
  ['a bad timestamp', '/v1/t', '{"event": "X", "userId": "u", "timestamp": "yesterday"}', {}, 400, 'invalid_events', /timestamp/],
  ['properties not an object', '/v1/t', '{"event": "X", "userId": "u", "properties": "x"}', {}, 400, 'invalid_events', /properties/],
  ['an oversize single event', '/v1/t', JSON.stringify({ event: 'X', userId: 'u', properties: { s: 'x'.repeat(40_000) } }), {}, 413, 'body_too_large', /32 KB/],
  ['an oversize batch', '/v1/batch', JSON.stringify({ batch: [{ type: 'track', event: 'X', userId: 'u', properties: { s: 'x'.repeat(600_000) } }] }), {}, 413, 'body_too_large', /500 KB/],
  ['deep nesting in an event', '/v1/t', `{"event": "X", "userId": "u", "properties": ${nested(200)}}`, {}, 400, 'invalid_events', /nests deeper than 32/],
  ['pathological nesting of the body', '/v1/batch', '['.repeat(400_000), {}, 400, 'invalid_json', /not valid JSON/],
  ['non-UTF-8 bytes', '/v1/t', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), {}, 400, 'invalid_utf8', /UTF-8/],
  ['a gzip bomb', '/v1/batch', gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)), { 'content-encoding': 'gzip' }, 413, 'body_too_large', /decompressed body exceeds/],
  ['broken gzip', '/v1/batch', new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]), { 'content-encoding': 'gzip' }, 400, 'bad_encoding', /gzip/],
  ['an unsupported encoding', '/v1/batch', '{}', { 'content-encoding': 'br' }, 415, 'unsupported_encoding', /br/],
  ['an oversize tracker-metrics body', '/v1/m', JSON.stringify({ series: 'x'.repeat(40_000) }), {}, 413, 'body_too_large', /32 KB/],
  ['an unknown write key', '/v1/t', JSON.stringify(validEvent('m-unknown')), { authorization: basic('wk_unknown') }, 401, 'unknown_write_key', /unknown write key/],
];

describe('bad input battery', () => {
  for (const [name, path, body, headers, status, code, message] of battery) {
    it(`${name} → ${status} ${code}`, async () => {
      const res = await send(path, body, headers);
      expect(res.status).toBe(status);
      const json = (await res.json()) as { success: boolean; error: string; message: string };
      expect(json.success).toBe(false);
      expect(json.error).toBe(code);
      expect(json.message).toMatch(message);
    });
  }

  it('keeps valid neighbours of oversize, deep and huge-string events in a batch', async () => {
    const batch = [
      validEvent('m-keep-1'),
      { type: 'track', event: 'Big', userId: 'u', properties: { s: 'é'.repeat(20_000) } },
      { type: 'track', event: 'Deep', userId: 'u', properties: JSON.parse(nested(100)) as unknown },
      validEvent('m-keep-2'),
      { type: 'identify', userId: 'u', traits: { __proto__: { polluted: true }, constructor: 'x' } },
    ];
    const res = await send('/v1/batch', JSON.stringify({ batch }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rejected: { index: number; reason: string }[] };
    expect(body.rejected.map((r) => [r.index, r.reason.split(' ')[0]])).toEqual([
      [1, 'event'],
      [2, 'event'],
    ]);
    expect(body.rejected[0]!.reason).toMatch(/over the 32 KB limit/);
    expect(body.rejected[1]!.reason).toMatch(/nests deeper/);
    const { events } = await readLog(t.redis, t.deps);
    expect(events.map((e) => e.messageId)).toEqual(expect.arrayContaining(['m-keep-1', 'm-keep-2']));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never answered 5xx and still serves a valid request afterwards', async () => {
    const res = await send('/v1/t', JSON.stringify(validEvent('m-after')));
    expect(res.status).toBe(200);
    const metrics = await (await t.app.request('/metrics')).text();
    expect(metrics).not.toMatch(/warmline_ingest_requests_total\{status="5\d\d"\}/);
    expect(metrics).toMatch(/warmline_ingest_requests_total\{status="400"\}/);
  });
});
