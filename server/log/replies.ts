/** One entry as read from a partition's stream; `fields` is Redis' flat `[k, v, k, v…]` list. */
export interface LogEntry {
  stream: string;
  partition: number;
  id: string;
  fields: string[];
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
