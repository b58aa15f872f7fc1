/**
 * ClickHouse error codes meaning "this data is refused", as opposed to "the server cannot take it now".
 * Only these dead-letter rows; anything else (connection refused, memory, too many parts, unknown
 * table…) is retried, so an outage or a schema mistake stalls the sink instead of discarding events.
 */
const DATA_ERROR_CODES = new Set([
  '6', // CANNOT_PARSE_TEXT
  '26', // CANNOT_PARSE_QUOTED_STRING
  '27', // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  '32', // ATTEMPT_TO_READ_AFTER_EOF
  '33', // CANNOT_READ_ALL_DATA
  '38', // CANNOT_PARSE_DATE
  '41', // CANNOT_PARSE_DATETIME
  '53', // TYPE_MISMATCH
  '69', // ARGUMENT_OUT_OF_BOUND
  '70', // CANNOT_CONVERT_TYPE
  '72', // CANNOT_PARSE_NUMBER
  '117', // INCORRECT_DATA
  '130', // CANNOT_READ_ARRAY_FROM_TEXT
  '131', // TOO_LARGE_STRING_SIZE
  '321', // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  '349', // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  '467', // CANNOT_PARSE_BOOL
  '469', // VIOLATED_CONSTRAINT
  '1001', // STD_EXCEPTION (e.g. invalid UTF-8 handling deep in a parser)
]);

/** True when ClickHouse refused the rows themselves: retrying the same rows can never succeed. */
export function isDataError(err: unknown): boolean {
  const code = clickHouseErrorCode(err);
  return code !== undefined && DATA_ERROR_CODES.has(code);
}

/**
 * The numeric ClickHouse error code of `err`, if it is a ClickHouse error. Duck-typed on purpose:
 * `@clickhouse/client` and chdb's connection each carry their own `ClickHouseError` class, so
 * `instanceof` fails for one of them; socket errors have codes too, but never numeric ones.
 */
export function clickHouseErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || !('code' in err)) return undefined;
  const code = String(err.code);
  return /^\d+$/.test(code) ? code : undefined;
}
