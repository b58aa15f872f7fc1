import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../http/errors.ts';
import { parseBody, readBody } from './body.ts';

/** A stand-in for a Node request: a stream with headers. */
const incoming = (chunks: Buffer[], headers: Record<string, string> = {}) => {
  const s = new PassThrough() as PassThrough & { headers: Record<string, string> };
  s.headers = headers;
  setImmediate(() => {
    for (const c of chunks) s.write(c);
    s.end();
  });
  return s as unknown as IncomingMessage;
};

describe('readBody', () => {
  it('joins the chunks of a body within the limit', async () => {
    const body = await readBody(incoming([Buffer.from('{"a":'), Buffer.from('1}')]), 100);
    expect(body.toString()).toBe('{"a":1}');
  });
  it('refuses with 413 a declared or streamed length over the limit', async () => {
    await expect(readBody(incoming([Buffer.alloc(10)], { 'content-length': '2048' }), 1024)).rejects.toMatchObject({ status: 413, message: 'request body exceeds the 1 KB limit' });
    const streamed = readBody(incoming([Buffer.alloc(600), Buffer.alloc(600)]), 1024);
    await expect(streamed).rejects.toBeInstanceOf(HttpError);
    await expect(streamed).rejects.toMatchObject({ status: 413 });
  });
});

describe('parseBody', () => {
  it('parses plain and gzip JSON', async () => {
    expect(await parseBody(Buffer.from('{"a":"é"}'), undefined, 100)).toEqual({ a: 'é' });
    expect(await parseBody(new Uint8Array(gzipSync('{"a":1}')), 'gzip', 100)).toEqual({ a: 1 });
  });
  it('refuses invalid UTF-8 and invalid JSON with 400', async () => {
    await expect(parseBody(new Uint8Array([0x7b, 0xff, 0x7d]), undefined, 100)).rejects.toMatchObject({ status: 400, code: 'invalid_utf8' });
    await expect(parseBody(Buffer.from('{"a":'), undefined, 100)).rejects.toMatchObject({ status: 400, code: 'invalid_json' });
  });
});
