import { SCORE_ROWS_FIELD, scorerKeys } from '../../scoring/runtime/keys.ts';
import { ENTRY_EVENTS, ENTRY_REJECTS, LOG_GROUPS, type LogKeys } from '../log/keys.ts';

/** The consumer group of the ClickHouse sink on every stream it drains. */
export const SINK_GROUP = 'sink';

/**
 * A set of per-partition streams the ClickHouse sink drains. Each entry holds newline-delimited JSON
 * rows in one or more fields; each field's rows go, untouched, to a staging table whose parsing and
 * materialized views (schema/migrations) map them to the tables that keep them.
 * @example
 * const audit: SinkSource = {
 *   name: 'audit', partitions: 8, group: SINK_GROUP,
 *   stream: (p) => `wl:{p${p}}:audit`, deadLetter: (p) => `wl:{p${p}}:audit:dlq`,
 *   fields: { au: 'audit_in' },
 * };
 */
export interface SinkSource {
  /** Names the source in logs. */
  readonly name: string;
  readonly partitions: number;
  stream(partition: number): string;
  /** Where poison entries of `stream(partition)` go; must share its hash tag (moved atomically). */
  deadLetter(partition: number): string;
  /** The consumer group the sink reads through. */
  readonly group: string;
  /** Entry field → the staging table its lines are inserted into. An entry with none of them is poison. */
  readonly fields: Readonly<Record<string, string>>;
  /** Groups that must have acknowledged an entry before it is trimmed (default: `[group]`). */
  readonly trimAfter?: readonly string[];
}

/** The collector's log: `ev` → `events_in`, `rj` → `rejected_events_in` (migrations 0001, 0002). */
export function logSource(keys: LogKeys): SinkSource {
  return {
    name: 'log',
    partitions: keys.partitions,
    stream: (p) => keys.stream(p),
    deadLetter: (p) => keys.deadLetter(p),
    group: SINK_GROUP,
    fields: { [ENTRY_EVENTS]: 'events_in', [ENTRY_REJECTS]: 'rejected_events_in' },
    trimAfter: LOG_GROUPS,
  };
}

/** The scorer's score history: `sc` → `score_changes_in` (migration 0003). */
export function scoresSource(keys: LogKeys): SinkSource {
  const sk = scorerKeys(keys);
  return {
    name: 'scores',
    partitions: keys.partitions,
    stream: sk.scores,
    deadLetter: sk.scoresDeadLetter,
    group: SINK_GROUP,
    fields: { [SCORE_ROWS_FIELD]: 'score_changes_in' },
  };
}

/** Every source the sink role drains. */
export function sinkSources(keys: LogKeys): SinkSource[] {
  return [logSource(keys), scoresSource(keys)];
}
