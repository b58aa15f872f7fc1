import type { Redis } from 'ioredis';
import { explain, type Explanation, type ScoreState } from '../engine/index.ts';
import type { ActiveModel, ActiveScoring, Generation } from './active.ts';

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
 * Reads one generation only (its keys, its model), so a profile is never half old, half new scores.
 */
export async function readProfile(redis: Redis, generation: Generation, ws: string, id: string, now = Date.now()): Promise<Profile | undefined> {
  const { keys: sk, model } = generation;
  const userKey = (await redis.get(sk.alias(ws, id))) ?? id;
  const p = sk.partitionOf(userKey);
  const profileKey = sk.profile(p, ws, userKey);
  const replies = (await redis.pipeline().hmget(profileKey, 'ver', 's').smembers(sk.anonymousIds(p, ws, userKey)).exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  const [, s] = replies[0]?.[1] as [string | null, string | null];
  if (!s) return undefined;
  const x = explain(model.compiled, JSON.parse(s) as ScoreState, now);
  const anonymousIds = (replies[1]?.[1] as string[]).sort();
  return { ...x, workspaceId: ws, userKey, anonymousIds, at: new Date(x.at).toISOString(), firstSeen: iso(x.firstSeen), lastSeen: iso(x.lastSeen), model: model.name };
}

/**
 * {@link readProfile} in the active generation. A miss is retried once when the generation changed
 * meanwhile: `rescore` drops the old generation's keys right after the swap.
 */
export async function readActiveProfile(redis: Redis, active: ActiveScoring, fallback: ActiveModel, ws: string, id: string): Promise<Profile | undefined> {
  const generation = await active.current(fallback);
  const profile = await readProfile(redis, generation, ws, id);
  if (profile) return profile;
  const now = await active.current(fallback);
  return now.gen === generation.gen ? undefined : readProfile(redis, now, ws, id);
}
