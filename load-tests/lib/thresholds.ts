/**
 * Pass/fail criteria declared in a scenario's own script, as k6's `thresholds` are: a metric name, a
 * comparator and a limit. A scenario measures a flat record of numbers, `evaluate` checks each
 * threshold against it, `printSummary` prints a k6-like end-of-run summary, and the scenario exits 1
 * when any threshold failed, so a run passes or fails on its own (CI, a shell loop, a cron job).
 */

export type Comparator = '<' | '<=' | '>' | '>=' | '==';

export interface Threshold {
  /** A key of the scenario's metrics record, e.g. `http_req_duration_p99_ms`. */
  metric: string;
  op: Comparator;
  limit: number;
  /** Why this bound, shown in the summary. */
  why?: string;
}

export interface ThresholdResult extends Threshold {
  /** The measured value; undefined when the scenario did not measure it (a failure). */
  value: number | undefined;
  ok: boolean;
}

const COMPARE: Record<Comparator, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
};

/** Checks every threshold; a metric that is missing or not a finite number fails its threshold. */
export function evaluate(thresholds: readonly Threshold[], metrics: Readonly<Record<string, number>>): ThresholdResult[] {
  return thresholds.map((t) => {
    const value = metrics[t.metric];
    const ok = value !== undefined && Number.isFinite(value) && COMPARE[t.op](value, t.limit);
    return { ...t, value, ok };
  });
}

const OVERRIDE = /^([a-z0-9_]+)\s*(<=|>=|==|<|>)\s*(-?[0-9.]+(?:e-?\d+)?)$/i;

/**
 * Applies `--threshold` flags (`metric<=limit`) to a scenario's defaults: a flag naming a declared
 * metric replaces its comparator and limit; any other flag is an error naming the known metrics.
 * @example withOverrides(defaults, ['http_req_duration_p99_ms<=50'])
 */
export function withOverrides(thresholds: readonly Threshold[], flags: readonly string[]): Threshold[] {
  const out = thresholds.map((t) => ({ ...t }));
  for (const flag of flags) {
    const m = OVERRIDE.exec(flag.trim());
    if (!m) throw new Error(`--threshold "${flag}": expected <metric><op><number>, op one of < <= > >= ==`);
    const [, metric, op, limit] = m as unknown as [string, string, Comparator, string];
    const t = out.find((x) => x.metric === metric);
    if (!t) throw new Error(`--threshold "${flag}": no threshold on "${metric}" here (known: ${out.map((x) => x.metric).join(', ')})`);
    t.op = op;
    t.limit = Number(limit);
    t.why = 'set by --threshold';
  }
  return out;
}

const num = (x: number | undefined) => (x === undefined ? 'not measured' : Number.isInteger(x) ? String(x) : x.toFixed(x >= 100 ? 0 : 2));

/**
 * The end-of-run summary: every metric (dotted to a column), then each threshold with ✓ or ✗.
 * Returns true when every threshold passed.
 */
export function printSummary(name: string, metrics: Readonly<Record<string, number>>, results: readonly ThresholdResult[], out: (line: string) => void = console.log): boolean {
  const width = Math.max(...Object.keys(metrics).map((k) => k.length), ...results.map((r) => r.metric.length)) + 3;
  out(`\n  scenario: ${name}\n`);
  for (const [k, v] of Object.entries(metrics)) out(`     ${`${k}`.padEnd(width, '.')}: ${num(v)}`);
  out('\n  thresholds:');
  for (const r of results) out(`   ${r.ok ? '✓' : '✗'} ${r.metric.padEnd(width, '.')}: ${num(r.value)} ${r.op} ${r.limit}${r.why ? `  (${r.why})` : ''}`);
  const failed = results.filter((r) => !r.ok);
  out(failed.length === 0 ? `\n  PASS: ${results.length} thresholds met\n` : `\n  FAIL: ${failed.length} of ${results.length} thresholds crossed: ${failed.map((r) => r.metric).join(', ')}\n`);
  return failed.length === 0;
}
