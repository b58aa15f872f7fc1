import { script } from '../redis.ts';

/*
 * The delivery queue's atomic steps. Every key is under one endpoint's hash tag `{wh:<id>}`; scripts
 * that reach keys named by ids (locks, a user's next delivery) build them from ARGV `tag`.
 */

/**
 * Enqueues a delivery once (idempotent on its id). Ordered endpoints: a user with a delivery in
 * progress gets the new one parked behind it (`waiting`), else it becomes the user's head.
 * KEYS: delivery, due, index, heads, userQueue. ARGV: id, endpointId, signalId, userKey, payload,
 * createdMs, ordered (1/0), nowMs, indexKeepFromMs.
 */
export const ENQUEUE = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local status = 'pending'
if ARGV[7] == '1' then
  local head = redis.call('HGET', KEYS[4], ARGV[4])
  if head and head ~= ARGV[1] then
    redis.call('RPUSH', KEYS[5], ARGV[1])
    status = 'waiting'
  else
    redis.call('HSET', KEYS[4], ARGV[4], ARGV[1])
  end
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'ep', ARGV[2], 'sig', ARGV[3], 'user', ARGV[4], 'payload', ARGV[5],
  'created', ARGV[6], 'status', status, 'attempts', 0, 'ordered', ARGV[7])
if status == 'pending' then
  redis.call('HSET', KEYS[1], 'next', ARGV[8])
  redis.call('ZADD', KEYS[2], ARGV[8], ARGV[1])
end
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[9])
return 1`);

/**
 * Claims up to `limit` due deliveries: per delivery a lock `SET NX PX lease` (token = this attempt)
 * and its due time pushed out by the lease, so a crashed notifier's delivery comes due again after it.
 * Returns [nextDueMs or -1, id, payload, attempts, …].
 * KEYS: due. ARGV: nowMs, limit, leaseMs, token, tag.
 */
export const CLAIM = script(`
local now = tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = { -1 }
for _, id in ipairs(ids) do
  local lock = ARGV[5] .. ':lock:' .. id
  if redis.call('SET', lock, ARGV[4], 'NX', 'PX', ARGV[3]) then
    local d = redis.call('HMGET', ARGV[5] .. ':d:' .. id, 'payload', 'attempts')
    if d[1] then
      redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), id)
      table.insert(out, id)
      table.insert(out, d[1])
      table.insert(out, d[2])
    else
      redis.call('ZREM', KEYS[1], id)
      redis.call('DEL', lock)
    end
  end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then out[1] = tonumber(first[2]) end
return out`);

/**
 * Records an attempt's outcome, fenced by the lock token (a peer that took over after our lease
 * expired wins; we return -1 and change nothing), releases the lock, reschedules or finishes the
 * delivery, advances the user's ordered queue, tracks the failure streak and auto-disables.
 * Returns 1, 2 when the endpoint was just disabled, -1 when fenced.
 * KEYS: delivery, due, lock, attemptLog, health, endpoint, heads, history.
 * ARGV: id, token, outcome (delivered|retry|dead), nextMs, attemptNo, attemptJson, nowMs, nowIso,
 *   countsAsFailure (1/0), disableFailures, disableMs, retentionMs, tag, logMax, lastError.
 */
export const SETTLE = script(`
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return -1 end
redis.call('DEL', KEYS[3])
local id, outcome, now = ARGV[1], ARGV[3], tonumber(ARGV[7])
redis.call('HSET', KEYS[1], 'attempts', ARGV[5], 'lastError', ARGV[15])
redis.call('RPUSH', KEYS[8], ARGV[6])
redis.call('LTRIM', KEYS[8], -20, -1)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[14], '*', 'a', ARGV[6])
if outcome == 'retry' then
  redis.call('HSET', KEYS[1], 'status', 'pending', 'next', ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[4], id)
else
  redis.call('HSET', KEYS[1], 'status', outcome)
  redis.call('HDEL', KEYS[1], 'next')
  redis.call('ZREM', KEYS[2], id)
  redis.call('PEXPIRE', KEYS[1], ARGV[12])
  redis.call('PEXPIRE', KEYS[8], ARGV[12])
  local user = redis.call('HGET', KEYS[1], 'user')
  if user and redis.call('HGET', KEYS[7], user) == id then
    local nxt = redis.call('LPOP', ARGV[13] .. ':uq:' .. user)
    if nxt then
      redis.call('HSET', KEYS[7], user, nxt)
      redis.call('HSET', ARGV[13] .. ':d:' .. nxt, 'status', 'pending', 'next', now)
      redis.call('ZADD', KEYS[2], now, nxt)
    else
      redis.call('HDEL', KEYS[7], user)
    end
  end
end
if outcome == 'delivered' then
  redis.call('DEL', KEYS[5])
elseif ARGV[9] == '1' then
  local fails = redis.call('HINCRBY', KEYS[5], 'fails', 1)
  redis.call('HSETNX', KEYS[5], 'since', now)
  local since = tonumber(redis.call('HGET', KEYS[5], 'since'))
  if fails >= tonumber(ARGV[10]) and now - since >= tonumber(ARGV[11]) and redis.call('HGET', KEYS[6], 'enabled') == '1' then
    local hours = string.format('%.1f', (now - since) / 3600000)
    redis.call('HSET', KEYS[6], 'enabled', '0', 'disabledAt', ARGV[8], 'disabledReason',
      'auto-disabled after ' .. fails .. ' consecutive failed attempts over ' .. hours .. ' h (last: ' .. ARGV[15] .. ')')
    return 2
  end
end
return 1`);

/**
 * Schedules a delivery again now with a fresh retry schedule (attempt history kept). Finished and
 * pending deliveries only: a `waiting` one is released by its predecessor. Returns 1, 0 when the
 * delivery is unknown (or expired), -2 when it is waiting.
 * KEYS: delivery, due, history. ARGV: id, nowMs.
 */
export const REPLAY = script(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
if status == 'waiting' then return -2 end
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'next', ARGV[2])
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1`);
