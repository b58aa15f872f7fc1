import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { HttpError, badRequest } from '../http/errors.ts';

const gunzipAsync = promisify(gunzip);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns a request body into a JSON value: undoes gzip (bounded: a gzip bomb stops at `limit` bytes),
 * decodes strict UTF-8 and parses. analytics-next posts `text/plain`, so the content type is not trusted
 * to say JSON; every failure is a 4xx naming the problem.
 */
export async function parseBody(raw: ArrayBuffer, encoding: string | undefined, limit: number): Promise<unknown> {
  let bytes: Uint8Array = new Uint8Array(raw);
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
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw badRequest('invalid_utf8', 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : 'nesting too deep';
    throw badRequest('invalid_json', `request body is not valid JSON: ${detail}`);
  }
}

/**
 * True when `json` nests objects/arrays deeper than `limit`. Scans the text once, skipping strings,
 * so it costs far less than walking the parsed value.
 */
export function nestsDeeperThan(json: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (++depth > limit) return true;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) depth--;
  }
  return false;
}
