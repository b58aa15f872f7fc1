import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { HttpError, badRequest } from '../http/errors.ts';

const gunzipAsync = promisify(gunzip);

const tooLarge = (limit: number) => new HttpError(413, 'body_too_large', `request body exceeds the ${limit / 1024} KB limit`);

/**
 * Reads a request body straight from the Node request into one Buffer (no web streams), refusing
 * with 413 as soon as the declared length or the bytes received pass `limit`. What is left unread of a
 * refused body is drained by @hono/node-server once the answer is sent.
 */
export function readBody(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(incoming.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  if (incoming.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onClose = () => finish(badRequest('body_aborted', 'the client closed the connection before sending the whole body'));
    const finish = (err?: Error) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onClose).off('close', onClose);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    incoming.on('data', onData).on('end', onEnd).on('error', onClose).on('close', onClose);
  });
}

/** The same limit for a body already read whole (the app driven in process by `app.request`). */
export function checkSize(bytes: Uint8Array, limit: number): Uint8Array {
  if (bytes.byteLength > limit) throw tooLarge(limit);
  return bytes;
}

/**
 * Turns a request body into a JSON value: undoes gzip (bounded: a gzip bomb stops at `limit` bytes),
 * checks strict UTF-8 and parses. analytics-next posts `text/plain`, so the content type is not trusted
 * to say JSON; every failure is a 4xx naming the problem.
 */
export async function parseBody(raw: Uint8Array, encoding: string | undefined, limit: number): Promise<unknown> {
  let bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const enc = encoding?.trim().toLowerCase();
  if (enc === 'gzip' || enc === 'x-gzip') {
    try {
      bytes = await gunzipAsync(bytes, { maxOutputLength: limit });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new HttpError(413, 'body_too_large', `decompressed body exceeds the ${limit / 1024} KB limit`);
      }
      throw badRequest('bad_encoding', 'body is not valid gzip');
    }
  } else if (enc && enc !== 'identity') {
    throw new HttpError(415, 'unsupported_encoding', `content-encoding "${enc}" is not supported; use gzip or none`);
  }
  if (bytes.byteLength === 0) throw badRequest('empty_body', 'request body is empty');
  // simdutf validation, then Node's decoder (fast on ASCII): cheaper than a fatal TextDecoder.
  if (!isUtf8(bytes)) throw badRequest('invalid_utf8', 'request body is not valid UTF-8');
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : 'nesting too deep';
    throw badRequest('invalid_json', `request body is not valid JSON: ${detail}`);
  }
}
