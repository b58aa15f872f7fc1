/** One entry as read from a partition's stream; `fields` is Redis' flat `[k, v, k, v…]` list. */
export interface LogEntry {
  stream: string;
  partition: number;
  id: string;
  fields: string[];
}

/** What an entry holds for ClickHouse (its lines per staging table, untouched), or why it must be dead-lettered. */
export type EntryResult =
  | { kind: 'ok'; lines: Map<string, string>; rows: number; chars: number }
  | { kind: 'dlq'; reason: string };

/**
 * Takes the fields of an entry that `tables` (field → staging table) knows, as they are: the producer
 * wrote valid rows, and ClickHouse parses them (see `insertTables`). Parsing and re-serialising ~1 KB
 * per event here cost ~17 µs of the only JS thread; a line that is not what it should be now fails
 * the insert, and the sink singles out its entry then. `rows` counts lines, `chars` their length.
 * @example parseEntry(['ev', line1, 'rj', line2], { ev: 'events_in', rj: 'rejected_events_in' })
 * // { kind: 'ok', lines: Map { events_in → line1, rejected_events_in → line2 }, rows: 2, chars: … }
 */
export function parseEntry(fields: readonly string[], tables: Readonly<Record<string, string>>): EntryResult {
  const lines = new Map<string, string>();
  let known = false;
  let rows = 0;
  let chars = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const key = fields[i] ?? '';
    const table = Object.hasOwn(tables, key) ? tables[key] : undefined;
    if (table === undefined) continue;
    known = true;
    const text = fields[i + 1] ?? '';
    rows += countLines(text);
    chars += text.length;
    if (text.length === 0) continue;
    const before = lines.get(table);
    lines.set(table, before === undefined ? text : `${before}\n${text}`);
  }
  if (!known) {
    return { kind: 'dlq', reason: `entry has no ${Object.keys(tables).map((f) => `"${f}"`).join(' or ')} field` };
  }
  return { kind: 'ok', lines, rows, chars };
}

/** Non-empty newline-separated lines, counted without splitting. */
function countLines(text: string): number {
  let n = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) n++;
    start = end + 1;
  }
  return n;
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
