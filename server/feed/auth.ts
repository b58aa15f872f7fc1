import type { IncomingMessage } from 'node:http';
import { FeedCloseCode } from '../../schema/feed.ts';
import type { KeyStore } from '../keys/workspaces.ts';

export type FeedAuth =
  | { ok: true; workspaceId: string }
  | { ok: false; code: number; reason: 'missing_secret_key' | 'unknown_secret_key' | 'write_key_cannot_read' | 'key_store_unavailable' };

/**
 * The secret key of a feed handshake: `Authorization: Bearer sk_…`, or `?key=` for browsers, whose
 * WebSocket API cannot set headers.
 */
export function feedKeyOf(req: IncomingMessage, url: URL): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? '');
  return m?.[1] ?? url.searchParams.get('key') ?? null;
}

/** Who may open the feed: a secret key's workspace. Write keys ship in web pages, so they never read. */
export async function authorizeFeed(keys: KeyStore, key: string | null): Promise<FeedAuth> {
  if (!key) return { ok: false, code: FeedCloseCode.unauthorized, reason: 'missing_secret_key' };
  let grant;
  try {
    grant = await keys.resolve(key);
  } catch {
    return { ok: false, code: FeedCloseCode.tryAgainLater, reason: 'key_store_unavailable' };
  }
  if (!grant) return { ok: false, code: FeedCloseCode.unauthorized, reason: 'unknown_secret_key' };
  if (grant.kind !== 'secret') return { ok: false, code: FeedCloseCode.forbidden, reason: 'write_key_cannot_read' };
  return { ok: true, workspaceId: grant.workspaceId };
}
