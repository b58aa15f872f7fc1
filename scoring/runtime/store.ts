import type { Redis } from 'ioredis';
import { runScript, script } from '../../server/redis.ts';
import type { ScoreState } from '../engine/index.ts';

/**
 * The one write of a profile, atomic: fenced on the partition lease (a scorer that lost its lease
 * cannot write), compare-and-set on the profile's version (and the merged anonymous profile's), then
 * the state, its timer, its score-history rows and its signals, all or nothing.
 * KEYS: profile, lease, signals, scores, due [, anonymous profile, alias, profile's anonymous-id set]
 * ARGV: token, expected version, state, due member, due at (''=none), score rows (''=none),
 *       anonymous expected version, alias target, anonymous id, signalsMaxLen, scoresMaxLen, signal…
 * Returns 1 written, -1 lease lost, -2 version conflict.
 */
const WRITE = script(`#!lua
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local ver = redis.call('HGET', KEYS[1], 'ver') or ''
if ver ~= ARGV[2] then return -2 end
if #KEYS >= 6 and (redis.call('HGET', KEYS[6], 'ver') or '') ~= ARGV[7] then return -2 end
redis.call('HSET', KEYS[1], 'ver', (tonumber(ver) or 0) + 1, 's', ARGV[3])
if ARGV[5] == '' then redis.call('ZREM', KEYS[5], ARGV[4]) else redis.call('ZADD', KEYS[5], ARGV[5], ARGV[4]) end
if ARGV[6] ~= '' then redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[11], '*', 'sc', ARGV[6]) end
for i = 12, #ARGV do redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[10], '*', 'sg', ARGV[i]) end
if #KEYS >= 6 then
  redis.call('DEL', KEYS[6])
  redis.call('SET', KEYS[7], ARGV[8])
  redis.call('SADD', KEYS[8], ARGV[9])
end
return 1
`);

export interface StoredProfile {
  /** '' when the profile does not exist yet. */
  version: string;
  state: ScoreState | undefined;
}

/** Loads profiles in one round trip. */
export async function loadProfiles(redis: Redis, keys: string[]): Promise<StoredProfile[]> {
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const k of keys) pipeline.hmget(k, 'ver', 's');
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, reply]) => {
    if (err) throw err;
    const [version, s] = reply as [string | null, string | null];
    return { version: version ?? '', state: s ? (JSON.parse(s) as ScoreState) : undefined };
  });
}

export interface ProfileWrite {
  profileKey: string;
  leaseKey: string;
  signalsKey: string;
  scoresKey: string;
  dueKey: string;
  token: string;
  expectedVersion: string;
  state: ScoreState;
  dueMember: string;
  dueAt: number | null;
  scoreRows: string[];
  signals: string[];
  merge?: { anonymousProfileKey: string; expectedVersion: string; aliasKey: string; aliasTarget: string; anonymousId: string; idsKey: string };
}

export type WriteOutcome = 'written' | 'lease_lost' | 'conflict';

/** Retention of the output streams: signals are for live delivery within a window; score rows wait for the sink. */
export const SIGNALS_MAX_LEN = 100_000;
export const SCORES_MAX_LEN = 1_000_000;

export async function writeProfile(redis: Redis, w: ProfileWrite): Promise<WriteOutcome> {
  const keys = [w.profileKey, w.leaseKey, w.signalsKey, w.scoresKey, w.dueKey];
  if (w.merge) keys.push(w.merge.anonymousProfileKey, w.merge.aliasKey, w.merge.idsKey);
  const reply = await runScript(redis, WRITE, keys, [
    w.token,
    w.expectedVersion,
    JSON.stringify(w.state),
    w.dueMember,
    w.dueAt === null ? '' : w.dueAt,
    w.scoreRows.join('\n'),
    w.merge?.expectedVersion ?? '',
    w.merge?.aliasTarget ?? '',
    w.merge?.anonymousId ?? '',
    SIGNALS_MAX_LEN,
    SCORES_MAX_LEN,
    ...w.signals,
  ]);
  return reply === 1 ? 'written' : reply === -1 ? 'lease_lost' : 'conflict';
}
