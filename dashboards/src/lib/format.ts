/** Formatting in the viewer's locale and time zone (the API speaks UTC ISO instants). */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2, minimumFractionDigits: 2 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

export const fmtDateTime = (iso: string) => dateTime.format(new Date(iso));
/** A UTC day (`YYYY-MM-DD`) as a short label. */
export const fmtDay = (day: string) => dateOnly.format(new Date(`${day}T12:00:00Z`));
export const fmtInt = (n: number) => integer.format(n);
export const fmtNum = (n: number) => decimal.format(n);
export const fmtMoney = (n: number) => money.format(n);
export const fmtPct = (n: number) => percent.format(n);
/** Points with their sign: `+40`, `-10`, `+2.5`. */
export const fmtPoints = (n: number) => `${n > 0 ? '+' : ''}${decimal.format(n)}`;

/**
 * "2 min ago" (from `now`, default the current time). Up to a minute ahead reads "now": `now` is
 * refreshed only every few seconds, so a signal that just arrived is slightly in its future.
 */
export function fmtAgo(iso: string, now = Date.now()): string {
  const ahead = Math.round((Date.parse(iso) - now) / 1000);
  const s = ahead > 0 && ahead < 60 ? 0 : ahead;
  const abs = Math.abs(s);
  if (abs < 45) return relative.format(s, 'second');
  if (abs < 2700) return relative.format(Math.round(s / 60), 'minute');
  if (abs < 79_200) return relative.format(Math.round(s / 3600), 'hour');
  return relative.format(Math.round(s / 86_400), 'day');
}

/** A duration in seconds as "45 s", "12 min", "3.5 h", "2.1 d"; an em dash for null. */
export function fmtDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${integer.format(seconds)} s`;
  if (seconds < 3600) return `${decimal.format(seconds / 60)} min`;
  if (seconds < 86_400) return `${decimal.format(seconds / 3600)} h`;
  return `${decimal.format(seconds / 86_400)} d`;
}
