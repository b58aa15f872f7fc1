import type { Redis } from 'ioredis';
import { runScript, script } from '../../server/redis.ts';
import type { ScoreState } from '../engine/index.ts';

/**
 * Writes a batch's profiles of one partition in one atomic call: fenced on the lease of the
 * partition the events came from (a scorer that lost its lease cannot write), then per profile a
 * compare-and-set on its version (and on the version of an anonymous profile it folds in) that
 * writes the state, its timer and its signals; score-history rows of the written profiles go out as
 * one stream entry. A profile whose version moved is skipped and reported, the others are written.
 * KEYS: lease, signals, scores, due, then per profile: profile [, anonymous profile, alias, anonymous-id set]
 * ARGV: token, signalsMaxLen, profile count, then per profile:
 *       version, state, due member, due at (''=none), score rows (''=none), merge ('0'|'1'),
 *       [anonymous version, alias target, anonymous id,] signal count, signal…
 * Returns -1 when the lease is lost, else one 1 (written) or 0 (conflict) per profile.
 */
const WRITE = script(`#!lua
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local k, a = 5, 4
local rows, results = {}, {}
for i = 1, tonumber(ARGV[3]) do
  local key = KEYS[k]
  k = k + 1
  local ver, state, member, dueAt, rws, merge = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  a = a + 6
  local anonKey, aliasKey, idsKey, anonVer, aliasTarget, anonId
  if merge == '1' then
    anonKey, aliasKey, idsKey = KEYS[k], KEYS[k + 1], KEYS[k + 2]
    anonVer, aliasTarget, anonId = ARGV[a], ARGV[a + 1], ARGV[a + 2]
    k, a = k + 3, a + 3
  end
  local signals = tonumber(ARGV[a])
  a = a + 1
  local current = redis.call('HGET', key, 'ver') or ''
  if current == ver and (merge ~= '1' or (redis.call('HGET', anonKey, 'ver') or '') == anonVer) then
    redis.call('HSET', key, 'ver', (tonumber(current) or 0) + 1, 's', state)
    if dueAt == '' then redis.call('ZREM', KEYS[4], member) else redis.call('ZADD', KEYS[4], dueAt, member) end
    if rws ~= '' then rows[#rows + 1] = rws end
    for j = a, a + signals - 1 do redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'sg', ARGV[j]) end
    if merge == '1' then
      redis.call('DEL', anonKey)
      redis.call('SET', aliasKey, aliasTarget)
      redis.call('SADD', idsKey, anonId)
    end
    results[i] = 1
  else
    results[i] = 0
  end
  a = a + signals
end
if #rows > 0 then redis.call('XADD', KEYS[3], '*', 'sc', table.concat(rows, '\\n')) end
return results
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

/** One profile's new state and what goes with it. */
export interface ProfileUpdate {
  profileKey: string;
  expectedVersion: string;
  state: ScoreState;
  dueMember: string;
  dueAt: number | null;
  scoreRows: string[];
  signals: string[];
  merge?: { anonymousProfileKey: string; expectedVersion: string; aliasKey: string; aliasTarget: string; anonymousId: string; idsKey: string };
}

/** Updates of profiles living in one partition, fenced on one lease. */
export interface PartitionWrite {
  leaseKey: string;
  token: string;
  signalsKey: string;
  scoresKey: string;
  dueKey: string;
  updates: ProfileUpdate[];
}

/** Signals are for live delivery within a window; score rows are never capped: the sink trims what it stored. */
export const SIGNALS_MAX_LEN = 100_000;

/** Writes the updates atomically; per update whether it was written (false: its version moved), or 'lease_lost'. */
export async function writeProfiles(redis: Redis, w: PartitionWrite): Promise<boolean[] | 'lease_lost'> {
  const keys = [w.leaseKey, w.signalsKey, w.scoresKey, w.dueKey];
  const args: (string | number)[] = [w.token, SIGNALS_MAX_LEN, w.updates.length];
  for (const u of w.updates) {
    keys.push(u.profileKey);
    args.push(u.expectedVersion, JSON.stringify(u.state), u.dueMember, u.dueAt ?? '', u.scoreRows.join('\n'));
    if (u.merge) {
      keys.push(u.merge.anonymousProfileKey, u.merge.aliasKey, u.merge.idsKey);
      args.push('1', u.merge.expectedVersion, u.merge.aliasTarget, u.merge.anonymousId);
    } else args.push('0');
    args.push(u.signals.length, ...u.signals);
  }
  const reply = await runScript(redis, WRITE, keys, args);
  return reply === -1 ? 'lease_lost' : (reply as number[]).map((r) => r === 1);
}
