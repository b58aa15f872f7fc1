import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../logger.ts';

/**
 * The one HTTP error type. Handlers throw it; `onError` turns it into the one error body shape
 * `{ success: false, error: <code>, message: <human text>, ...extra }`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: { retryAfterSeconds?: number; body?: Record<string, unknown> } = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, body?: Record<string, unknown>) =>
  new HttpError(400, code, message, body ? { body } : {});
export const unavailable = (message: string, retryAfterSeconds = 2) =>
  new HttpError(503, 'unavailable', message, { retryAfterSeconds });

/** Renders any thrown value; 4xx are warnings, anything else an error and a bare 500. */
export function errorHandler(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof HttpError) {
      const fields = { status: err.status, code: err.code, path: c.req.path, msg: err.message };
      if (err.status >= 500) log.error(fields, 'request failed');
      else log.warn(fields, 'request refused');
      if (err.extra.retryAfterSeconds !== undefined) c.header('Retry-After', String(err.extra.retryAfterSeconds));
      return c.json({ success: false, error: err.code, message: err.message, ...err.extra.body }, err.status);
    }
    log.error({ err, path: c.req.path }, 'unhandled error');
    return c.json({ success: false, error: 'internal', message: 'internal error' }, 500);
  };
}
