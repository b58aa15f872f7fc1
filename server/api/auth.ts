import type { MiddlewareHandler } from 'hono';
import { HttpError, unavailable } from '../http/errors.ts';
import type { KeyStore } from '../keys/workspaces.ts';

/** Variables the read API's auth middleware sets on the context. */
export interface ApiEnv {
  Variables: { workspaceId: string };
}

/**
 * `Authorization: Bearer <secret key>` for every read endpoint. Write keys are public (they ship in
 * web pages), so they can never read.
 */
export function secretKeyAuth(keys: KeyStore): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization')?.trim() ?? '');
    if (!m?.[1]) throw new HttpError(401, 'missing_secret_key', 'send "Authorization: Bearer <secret key>"');
    let grant;
    try {
      grant = await keys.resolve(m[1]);
    } catch {
      throw unavailable('key store unavailable; retry later');
    }
    if (!grant) throw new HttpError(401, 'unknown_secret_key', 'unknown secret key');
    if (grant.kind !== 'secret') throw new HttpError(403, 'write_key_cannot_read', 'write keys can only ingest; use a secret key');
    c.set('workspaceId', grant.workspaceId);
    await next();
  };
}
