import type { Redis } from 'ioredis';
import { explain, type CompiledModel, type Explanation } from '../engine/index.ts';
import type { ScorerKeys } from './keys.ts';
import { loadProfiles } from './store.ts';

export interface Profile extends Omit<Explanation, 'at' | 'firstSeen' | 'lastSeen'> {
  workspaceId: string;
  userKey: string;
  anonymousIds: string[];
  firstSeen: string | null;
  lastSeen: string | null;
  at: string;
  model: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A profile as the read API shows it: ids, traits, the score now with its breakdown by rule (decay
 * applied), segments, counters, first/last seen. An anonymous id already stitched resolves to its user.
 */
export async function readProfile(redis: Redis, sk: ScorerKeys, cm: CompiledModel, model: string, ws: string, id: string, now = Date.now()): Promise<Profile | undefined> {
  const userKey = (await redis.get(sk.alias(ws, id))) ?? id;
  const p = sk.partitionOf(userKey);
  const [stored] = await loadProfiles(redis, [sk.profile(p, ws, userKey)]);
  if (!stored?.state) return undefined;
  const x = explain(cm, stored.state, now);
  const anonymousIds = (await redis.smembers(sk.anonymousIds(p, ws, userKey))).sort();
  return { ...x, workspaceId: ws, userKey, anonymousIds, at: new Date(x.at).toISOString(), firstSeen: iso(x.firstSeen), lastSeen: iso(x.lastSeen), model };
}
