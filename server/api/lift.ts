import type { CompareItem } from '../../schema/dashboard.ts';

/**
 * Counts for one item (event name, page path, `trait=value`) across 2-3 compared segments:
 * `have[i]` = members of segment i who have it; `haveOthers[i]` = members of any other compared
 * segment who have it (a user in several segments counts once).
 */
export interface ItemCounts {
  key: string;
  have: readonly number[];
  haveOthers: readonly number[];
}

/** Member counts: `users[i]` in segment i, `usersOthers[i]` in any other compared segment. */
export interface MemberCounts {
  users: readonly number[];
  usersOthers: readonly number[];
}

const ratio = (n: number, d: number) => (d === 0 ? 0 : n / d);
/** Descending order that holds for infinities too (their difference is NaN). */
const desc = (a: number, b: number) => (a === b ? 0 : a > b ? -1 : 1);

/**
 * Shares and lifts of items (schema/dashboard.ts CompareItem): for each segment its `perSegment`
 * items of highest lift (an item no other segment's member has ranks first: its lift is null,
 * unbounded), merged and sorted by their highest lift, ties by highest share.
 */
export function compareItems(items: readonly ItemCounts[], members: MemberCounts, perSegment = 20): CompareItem[] {
  const n = members.users.length;
  const scored = items.map((it) => {
    const share = Array.from({ length: n }, (_, i) => ratio(it.have[i] ?? 0, members.users[i] ?? 0));
    const lift = share.map((s, i) => {
      const other = ratio(it.haveOthers[i] ?? 0, members.usersOthers[i] ?? 0);
      return other === 0 ? null : s / other;
    });
    // Ranking value per segment: unbounded when only this segment has it; nothing when it has none.
    const rank = share.map((s, i) => (s === 0 ? -1 : (lift[i] ?? Number.POSITIVE_INFINITY)));
    return { item: { key: it.key, share, lift }, rank };
  });
  const byRank = (i: number) => (a: (typeof scored)[number], b: (typeof scored)[number]) =>
    desc(a.rank[i] ?? -1, b.rank[i] ?? -1) || desc(a.item.share[i] ?? 0, b.item.share[i] ?? 0) || a.item.key.localeCompare(b.item.key);
  const picked = new Set<(typeof scored)[number]>();
  for (let i = 0; i < n; i++) {
    for (const s of scored.filter((x) => (x.rank[i] ?? -1) >= 0).sort(byRank(i)).slice(0, perSegment)) picked.add(s);
  }
  const best = (s: (typeof scored)[number]) => Math.max(...s.rank);
  const bestShare = (s: (typeof scored)[number]) => Math.max(...s.item.share);
  return [...picked].sort((a, b) => desc(best(a), best(b)) || desc(bestShare(a), bestShare(b)) || a.item.key.localeCompare(b.item.key)).map((s) => s.item);
}
