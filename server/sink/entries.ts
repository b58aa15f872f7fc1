import { ENTRY_EVENTS, ENTRY_REJECTS } from '../log/keys.ts';
import { parseEventLine, parseRejectLine, type EventRow, type RejectedRow } from './rows.ts';

/** One log entry as read from a partition's stream; `fields` is Redis' flat `[k, v, k, v…]` list. */
export interface LogEntry {
  stream: string;
  partition: number;
  id: string;
  fields: string[];
}

/** What an entry holds for ClickHouse, or why it must be dead-lettered (all its lines go together). */
export type EntryResult =
  | { kind: 'ok'; events: EventRow[]; rejects: RejectedRow[] }
  | { kind: 'dlq'; reason: string };

/**
 * Parses an entry's `ev` / `rj` fields into rows. One bad line dead-letters the whole entry: the
 * collector writes an entry at once, so a bad line means the entry cannot be trusted, and keeping
 * it whole in the dead-letter stream lets it be replayed as it was.
 */
export function parseEntry(fields: readonly string[]): EntryResult {
  const events: EventRow[] = [];
  const rejects: RejectedRow[] = [];
  let known = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const key = fields[i];
    const value = fields[i + 1] ?? '';
    if (key !== ENTRY_EVENTS && key !== ENTRY_REJECTS) continue;
    known = true;
    const lines = value.split('\n');
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n] ?? '';
      if (line.length === 0) continue;
      if (key === ENTRY_EVENTS) {
        const r = parseEventLine(line);
        if (r.kind === 'dlq') return { kind: 'dlq', reason: `${key} line ${n + 1}: ${r.reason}` };
        events.push(r.row);
      } else {
        const r = parseRejectLine(line);
        if (r.kind === 'dlq') return { kind: 'dlq', reason: `${key} line ${n + 1}: ${r.reason}` };
        rejects.push(r.row);
      }
    }
  }
  if (!known) return { kind: 'dlq', reason: `entry has neither "${ENTRY_EVENTS}" nor "${ENTRY_REJECTS}"` };
  return { kind: 'ok', events, rejects };
}

/**
 * Parses an XREADGROUP reply: RESP2's `[[stream, entries], …]` or RESP3's map, which ioredis hands
 * over flat as `[stream, entries, stream, entries…]`; null when nothing arrived. Entries whose fields
 * are null were deleted from the stream while pending; they are returned with empty fields.
 */
export function parseReadReply(reply: unknown, partitions: ReadonlyMap<string, number>): LogEntry[] {
  if (!Array.isArray(reply)) return [];
  const list = reply as unknown[];
  const pairs: Array<[unknown, unknown]> =
    typeof list[0] === 'string'
      ? Array.from({ length: Math.floor(list.length / 2) }, (_, i) => [list[2 * i], list[2 * i + 1]])
      : list.map((s) => (Array.isArray(s) ? [s[0], s[1]] : [undefined, undefined]));
  const out: LogEntry[] = [];
  for (const [stream, entries] of pairs) {
    if (typeof stream !== 'string') continue;
    const partition = partitions.get(stream);
    if (partition === undefined) continue;
    for (const [id, fields] of parseEntries(entries)) out.push({ stream, partition, id, fields });
  }
  return out;
}

/** Parses an XAUTOCLAIM reply: `[nextCursor, entries, deletedIds]`. */
export function parseAutoclaimReply(reply: unknown): { next: string; entries: Array<[string, string[]]> } {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') return { next: '0-0', entries: [] };
  return { next: reply[0], entries: parseEntries(reply[1]) };
}

function parseEntries(list: unknown): Array<[string, string[]]> {
  if (!Array.isArray(list)) return [];
  const out: Array<[string, string[]]> = [];
  for (const e of list as unknown[]) {
    if (!Array.isArray(e) || typeof e[0] !== 'string') continue;
    const fields = Array.isArray(e[1]) ? (e[1] as unknown[]).map(String) : [];
    out.push([e[0], fields]);
  }
  return out;
}
