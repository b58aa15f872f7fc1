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
