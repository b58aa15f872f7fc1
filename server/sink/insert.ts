import type { ClickHouseClient } from '@clickhouse/client';
import { insertJsonLines } from '../clickhouse/client.ts';
import { isDataError } from '../clickhouse/errors.ts';

/**
 * Settings of every sink insert. Synchronous inserts (the sink batches itself, and "insert returned"
 * must mean "stored"); no in-block dedupe (ReplacingMergeTree merges and FINAL do it; measured ~15%
 * faster); no refusal of a block that spans many months (backfilled history is legitimate).
 * Lines are parsed by the engine into staging tables (`events_in` / `rejected_events_in`,
 * `score_changes_in`: migrations 0001-0003): the client's event object is kept as its JSON text, and
 * a missing or null field, or a missing member of `ua`, refuses the insert instead of storing a default. JSON functions use
 * RapidJSON: simdjson fails a whole document holding an integer ≥ 2^64 (JS writes 1e20 with all its
 * digits), and every field extracted from it would silently come out empty.
 */
const INSERT_SETTINGS = {
  async_insert: 0,
  optimize_on_insert: 0,
  throw_on_max_partitions_per_insert_block: 0,
  input_format_json_read_objects_as_strings: 1,
  input_format_force_null_for_omitted_fields: 1,
  input_format_null_as_default: 0,
  input_format_json_defaults_for_missing_elements_in_named_tuple: 0,
  allow_simdjson: 0,
} as const;

/** An insert's outcome: stored; refused for its data (never retry as is); or ClickHouse unavailable. */
export type InsertOutcome = { kind: 'ok' } | { kind: 'data'; err: unknown } | { kind: 'down'; err: unknown };

/**
 * Inserts each table's newline-delimited JSON, in order, each in one pass of the engine's parser, and
 * classifies any failure. Tables are constant names from a `SinkSource`, never input; empty texts are skipped.
 */
export async function insertTables(ch: ClickHouseClient, tables: ReadonlyArray<readonly [table: string, lines: string]>): Promise<InsertOutcome> {
  try {
    for (const [table, lines] of tables) await insertJsonLines(ch, table, lines, INSERT_SETTINGS);
    return { kind: 'ok' };
  } catch (err) {
    return isDataError(err) ? { kind: 'data', err } : { kind: 'down', err };
  }
}

/** Log lines as the collector wrote them: newline-delimited StoredEvent and RejectedEvent JSON. */
export interface LineSet {
  events: string;
  rejects: string;
}

/** The log's lines into `events_in` then `rejected_events_in` (the tables of `logSource`). */
export function insertLines(ch: ClickHouseClient, lines: LineSet): Promise<InsertOutcome> {
  return insertTables(ch, [
    ['events_in', lines.events],
    ['rejected_events_in', lines.rejects],
  ]);
}
