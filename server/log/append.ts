import type { Redis } from 'ioredis';
import { runScript, script } from '../redis.ts';
import type { LogKeys } from './keys.ts';
import { ENTRY_EVENTS, ENTRY_REJECTS } from './keys.ts';
import type { AcceptedEvent } from '../ingest/normalize.ts';

/**
 * Dedupe and append in one atomic step per partition. KEYS: the stream, then one dedupe key per event;
 * ARGV: max entries, dedupe TTL (s), reject lines ('' for none), the event lines joined by '\n'
 * (line i belongs to dedupe key i; JSON lines never hold a raw newline). Events whose dedupe key
 * already exists are dropped (a resend); the rest go into ONE entry. Passing the lines pre-joined
 * spares Redis 100 argument strings and a table.concat per request: the common case (no resend)
 * appends ARGV[4] as it came; only a request holding resends is split up to drop them.
 * If the XADD fails the dedupe keys it set are deleted again, so a failed append never makes a
 * later retry look like a duplicate. The shebang makes Redis refuse the whole script up front when
 * it is out of memory, instead of failing half-way.
 * Returns [appended, duplicates], or [-1, length] when the stream is full (the caller sheds load).
 */
const APPEND_LUA = `#!lua
local len = redis.call('XLEN', KEYS[1])
if len >= tonumber(ARGV[1]) then return {-1, len} end
local setKeys, dup = {}, {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[2]) then
    setKeys[#setKeys + 1] = KEYS[i]
  else
    dup[i - 1] = true
  end
end
local events = ARGV[4]
if #setKeys < #KEYS - 1 then
  local fresh, n = {}, 0
  for line in string.gmatch(events, '[^\\n]+') do
    n = n + 1
    if not dup[n] then fresh[#fresh + 1] = line end
  end
  events = table.concat(fresh, '\\n')
end
local fields = {}
if #setKeys > 0 then fields[#fields + 1] = '${ENTRY_EVENTS}'; fields[#fields + 1] = events end
if ARGV[3] ~= '' then fields[#fields + 1] = '${ENTRY_REJECTS}'; fields[#fields + 1] = ARGV[3] end
if #fields > 0 then
  local ok = redis.pcall('XADD', KEYS[1], '*', unpack(fields))
  if type(ok) == 'table' and ok.err then
    if #setKeys > 0 then redis.call('DEL', unpack(setKeys)) end
    return redis.error_reply(ok.err)
  end
end
return {#setKeys, #KEYS - 1 - #setKeys}
`;
const APPEND_SCRIPT = script(APPEND_LUA);

/**
 * The events' lines, '\n'-separated, UTF-8 encoded into one Buffer. Handing ioredis a Buffer
 * instead of a ~100 KB string spares it measuring, concatenating and re-encoding the string (that
 * cost more than the whole Lua call). Sized for ASCII plus slack; grows in the rare case it must.
 */
export function joinLines(events: readonly AcceptedEvent[]): Buffer {
  let chars = events.length;
  for (const e of events) chars += e.line.length;
  let buf = Buffer.allocUnsafe(chars + (chars >> 4) + 64);
  let at = 0;
  for (let i = 0; i < events.length; i++) {
    const line = (events[i] as AcceptedEvent).line;
    // Only near the end can a line not fit; a write must never be cut short.
    if (buf.length - at < line.length * 3 + 1) {
      const need = at + 1 + Buffer.byteLength(line);
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafe(need + (need >> 1));
        buf.copy(bigger, 0, 0, at);
        buf = bigger;
      }
    }
    if (i > 0) buf[at++] = 10; // '\n'
    at += buf.write(line, at);
  }
  return buf.subarray(0, at);
}

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
    for (const e of events) keys.push(this.keys.dedupe(partition, workspaceId, e.messageId));
    const args = [this.opts.maxEntries, this.opts.dedupeSeconds, rejectLines.join('\n'), joinLines(events)];
    const [a, b] = (await runScript(this.redis, APPEND_SCRIPT, keys, args)) as [number, number];
    return a < 0 ? { kind: 'full', length: b } : { kind: 'appended', appended: a, duplicates: b };
  }
}
