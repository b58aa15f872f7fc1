import type { Redis } from 'ioredis';
import { runScript, script } from '../redis.ts';
import type { LogKeys } from './keys.ts';
import { ENTRY_EVENTS, ENTRY_REJECTS } from './keys.ts';
import type { AcceptedEvent } from '../ingest/normalize.ts';

/**
 * Dedupe and append in one atomic step per partition. KEYS: the stream, then one dedupe key per event;
 * ARGV: max entries, dedupe TTL (s), reject lines ('' for none), then one event line per dedupe key.
 * Events whose dedupe key already exists are dropped (a resend); the rest go into ONE entry.
 * If the XADD fails the dedupe keys it set are deleted again, so a failed append never makes a
 * later retry look like a duplicate. The shebang makes Redis refuse the whole script up front when
 * it is out of memory, instead of failing half-way.
 * Returns [appended, duplicates], or [-1, length] when the stream is full (the caller sheds load).
 */
const APPEND_LUA = `#!lua
local len = redis.call('XLEN', KEYS[1])
if len >= tonumber(ARGV[1]) then return {-1, len} end
local fresh, setKeys = {}, {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[2]) then
    fresh[#fresh + 1] = ARGV[i + 2]
    setKeys[#setKeys + 1] = KEYS[i]
  end
end
local fields = {}
if #fresh > 0 then fields[#fields + 1] = '${ENTRY_EVENTS}'; fields[#fields + 1] = table.concat(fresh, '\\n') end
if ARGV[3] ~= '' then fields[#fields + 1] = '${ENTRY_REJECTS}'; fields[#fields + 1] = ARGV[3] end
if #fields > 0 then
  local ok = redis.pcall('XADD', KEYS[1], '*', unpack(fields))
  if type(ok) == 'table' and ok.err then
    if #setKeys > 0 then redis.call('DEL', unpack(setKeys)) end
    return redis.error_reply(ok.err)
  end
end
return {#fresh, #KEYS - 1 - #fresh}
`;
const APPEND_SCRIPT = script(APPEND_LUA);

export type AppendOutcome =
  | { kind: 'appended'; appended: number; duplicates: number }
  | { kind: 'full'; length: number };

/** Appends requests' events to the partitioned log; see APPEND_LUA for the guarantees. */
export class LogAppender {
  constructor(
    private readonly redis: Redis,
    private readonly keys: LogKeys,
    private readonly opts: { maxEntries: number; dedupeSeconds: number },
  ) {}

  /** One script call for one partition's share of a request (events and/or rejects). */
  async append(partition: number, workspaceId: string, events: AcceptedEvent[], rejectLines: string[] = []): Promise<AppendOutcome> {
    const keys = [this.keys.stream(partition)];
    const lines: string[] = [];
    for (const e of events) {
      keys.push(this.keys.dedupe(partition, workspaceId, e.messageId));
      lines.push(e.line);
    }
    const reply = await runScript(this.redis, APPEND_SCRIPT, keys, [
      this.opts.maxEntries,
      this.opts.dedupeSeconds,
      rejectLines.join('\n'),
      ...lines,
    ]);
    const [a, b] = reply as [number, number];
    return a < 0 ? { kind: 'full', length: b } : { kind: 'appended', appended: a, duplicates: b };
  }
}
