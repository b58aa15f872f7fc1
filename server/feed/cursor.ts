/**
 * Feed cursors: one Redis stream id per signals partition (`0-0` for "before anything"), encoded as
 * base64url of `ms.seq` pairs in base 36 joined by commas (`0-0` as an empty string), so a cursor for
 * 8 partitions stays near 120 characters.
 */

export type Position = readonly string[];

const ID = /^(\d{1,16})-(\d{1,16})$/;
const COMPACT = /^([0-9a-z]{1,11})\.([0-9a-z]{1,11})$/;

/** Orders two stream ids (`ms-seq`); negative when a comes first. */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const [ams = '0', aseq = '0'] = a.split('-');
  const [bms = '0', bseq = '0'] = b.split('-');
  return Number(ams) - Number(bms) || Number(aseq) - Number(bseq);
}

/** The later of two positions, partition by partition. */
export function maxPosition(a: Position, b: Position): string[] {
  return a.map((id, p) => (compareIds(id, b[p] ?? '0-0') >= 0 ? id : (b[p] ?? '0-0')));
}

export function encodeCursor(pos: Position): string {
  const compact = pos.map((id) => {
    if (id === '0-0') return '';
    const [ms = '0', seq = '0'] = id.split('-');
    return `${Number(ms).toString(36)}.${Number(seq).toString(36)}`;
  });
  return Buffer.from(compact.join(','), 'utf8').toString('base64url');
}

/** The position of a cursor, or an error when it is malformed or was made for another partition count. */
export function decodeCursor(cursor: string, partitions: number): { ok: true; pos: string[] } | { ok: false; reason: string } {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(',');
  if (parts.length !== partitions) return { ok: false, reason: `the cursor has ${parts.length} partitions, the feed ${partitions}` };
  const pos: string[] = [];
  for (const part of parts) {
    if (part === '') {
      pos.push('0-0');
      continue;
    }
    const m = COMPACT.exec(part);
    if (!m) return { ok: false, reason: 'malformed cursor' };
    const id = `${parseInt(m[1]!, 36)}-${parseInt(m[2]!, 36)}`;
    if (!ID.test(id)) return { ok: false, reason: 'malformed cursor' };
    pos.push(id);
  }
  return { ok: true, pos };
}
