import { secretKey, signOut } from './session.ts';

/** A failed API call, with the server's error code and message (`{ error, message }` bodies). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Calls the read API with the session's secret key. A 401 signs out (the form says why); other
 * failures throw an {@link ApiError} carrying the server's message. Responses are typed by the
 * caller against `schema/` (the server validates what it builds; we render every string as text).
 */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${secretKey() ?? ''}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => null)) as { error?: string; message?: string } | null;
  if (res.status === 401) {
    signOut(`Signed out: ${json?.message ?? 'the key was refused'}.`);
    throw new ApiError(401, json?.error ?? 'unauthorized', json?.message ?? 'unauthorized');
  }
  if (!res.ok) throw new ApiError(res.status, json?.error ?? 'http_error', json?.message ?? `HTTP ${res.status}`);
  return json as T;
}

/** `path?query` with the defined values encoded. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
