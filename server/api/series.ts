import type { Window } from './window.ts';

const DAY_MS = 86_400_000;

/** The UTC calendar days (`YYYY-MM-DD`) a window touches, oldest first. */
export function utcDays(w: Window): string[] {
  const days: string[] = [];
  const last = w.to.getTime() - 1;
  for (let t = Math.floor(w.from.getTime() / DAY_MS) * DAY_MS; t <= last; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** Entries and exits of one UTC day (any day, before or inside the window). */
export interface DayChanges {
  day: string;
  entered: number;
  exited: number;
}

/**
 * A segment's size at the end of each of `days` (cumulative entries minus exits up to that day's
 * end, days before the first one included) with that day's entries and exits.
 */
export function dailySizes(days: readonly string[], changes: readonly DayChanges[]): (DayChanges & { size: number })[] {
  const byDay = new Map(changes.map((c) => [c.day, c]));
  const first = days[0] ?? '';
  let size = changes.filter((c) => c.day < first).reduce((n, c) => n + c.entered - c.exited, 0);
  return days.map((day) => {
    const c = byDay.get(day);
    size += (c?.entered ?? 0) - (c?.exited ?? 0);
    return { day, size, entered: c?.entered ?? 0, exited: c?.exited ?? 0 };
  });
}

/**
 * At most `max` of `points` (oldest first): the newest half kept whole, the older ones sampled evenly
 * (the oldest kept), so a long history still shows its shape and the recent detail.
 */
export function thinPoints<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return points.slice();
  const recent = Math.ceil(max / 2);
  const older = points.slice(0, points.length - recent);
  const slots = max - recent;
  const step = older.length / slots;
  const sampled = Array.from({ length: slots }, (_, i) => older[Math.floor(i * step)]!);
  return [...sampled, ...points.slice(points.length - recent)];
}
