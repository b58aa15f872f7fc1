import type { MiddlewareHandler } from 'hono';
import { HttpError, unavailable } from '../http/errors.ts';
import type { KeyStore } from '../keys/workspaces.ts';

/** Variables the read API's auth middleware sets on the context. */
export interface ApiEnv {
  Variables: { workspaceId: string };
}

/** The key of an `Authorization: Bearer <key>` header; undefined when the header is not one. */
export const bearerToken = (header: string | undefined): string | undefined => /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '')?.[1];

/**
 * `Authorization: Bearer <secret key>` for every read endpoint. Write keys are public (they ship in
 * web pages), so they can never read.
 */
export function secretKeyAuth(keys: KeyStore): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const key = bearerToken(c.req.header('authorization'));
    if (!key) throw new HttpError(401, 'missing_secret_key', 'send "Authorization: Bearer <secret key>"');
    let grant;
    try {
      grant = await keys.resolve(key);
    } catch {
      throw unavailable('key store unavailable; retry later');
    }
    if (!grant) throw new HttpError(401, 'unknown_secret_key', 'unknown secret key');
    if (grant.kind !== 'secret') throw new HttpError(403, 'write_key_cannot_read', 'write keys can only ingest; use a secret key');
    c.set('workspaceId', grant.workspaceId);
    await next();
  };
}
