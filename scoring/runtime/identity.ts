import type { StoredEvent } from '../../schema/stored-event.ts';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/** The ids an event carries: its userId, and the anonymous id it may link to that userId. */
export function idsOf(e: StoredEvent): { userId?: string; anonymousId?: string } {
  const userId = str(e.event.userId);
  // `alias` links previousId to userId; any event carrying both ids links its anonymousId.
  const anonymousId = e.type === 'alias' ? str(e.event.previousId) : str(e.event.anonymousId);
  return { ...(userId ? { userId } : {}), ...(anonymousId && anonymousId !== userId ? { anonymousId } : {}) };
}

/**
 * Where an event is scored: its userId, else the userId its anonymousId was stitched to, else the
 * anonymousId. Returns the anonymous profile to fold in when the event links a not-yet-stitched one.
 */
export function route(e: StoredEvent, aliases: ReadonlyMap<string, string | null>): { profile: string; mergeFrom?: string } {
  const { userId, anonymousId } = idsOf(e);
  if (userId) return anonymousId && !aliases.get(anonymousId) ? { profile: userId, mergeFrom: anonymousId } : { profile: userId };
  return { profile: (anonymousId && aliases.get(anonymousId)) || e.userKey };
}
