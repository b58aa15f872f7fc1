import type { SegmentKpis } from '../../../schema/dashboard.ts';
import { fmtDuration, fmtInt, fmtMoney, fmtNum, fmtPct } from '../lib/format.ts';

/** The KPI columns every analytics table shows, in order, with how each value is written. */
export const KPI_COLUMNS: { key: keyof SegmentKpis; label: string; fmt: (k: SegmentKpis) => string }[] = [
  { key: 'users', label: 'Users', fmt: (k) => fmtInt(k.users) },
  { key: 'converted', label: 'Converted', fmt: (k) => fmtInt(k.converted) },
  { key: 'conversionRate', label: 'Conv. rate', fmt: (k) => fmtPct(k.conversionRate) },
  { key: 'medianSecondsToConvert', label: 'Median to convert', fmt: (k) => fmtDuration(k.medianSecondsToConvert) },
  { key: 'eventsPerUser', label: 'Events / user', fmt: (k) => fmtNum(k.eventsPerUser) },
  { key: 'sessionsPerUser', label: 'Sessions / user', fmt: (k) => fmtNum(k.sessionsPerUser) },
  { key: 'revenuePerUser', label: 'Revenue / user', fmt: (k) => fmtMoney(k.revenuePerUser) },
];
