/**
 * The flags every scenario shares, and running a scenario: parse, evaluate the thresholds, print the
 * summary, exit 1 on a crossed threshold (2 on an error), after cleaning up what the run started.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { evaluate, printSummary, withOverrides, type Threshold } from './thresholds.ts';

/** True when the module at `metaUrl` is the script node was started with (not an import). */
export function isMain(metaUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(resolve(script)).href === metaUrl;
}

/** Flags of every scenario: the target (or none: start one) and threshold overrides. */
export const COMMON_OPTIONS = {
  /** A running Warmline on loopback (e.g. `npm start`'s http://127.0.0.1:8080); unset: start one. */
  url: { type: 'string' },
  'write-key': { type: 'string' },
  'secret-key': { type: 'string' },
  /** The running instance's WARMLINE_REDIS_PREFIX and WARMLINE_PARTITIONS (read-only use: lag, signals). */
  prefix: { type: 'string', default: 'wl' },
  partitions: { type: 'string', default: '8' },
  /** `metric<=limit`, repeatable: replaces a declared threshold's comparator and limit. */
  threshold: { type: 'string', multiple: true, default: [] },
} as const satisfies ParseArgsConfig['options'];

/** Parses `argv`: the common flags and the scenario's own string flags (name → default); unknown flags are refused. */
export function flags<K extends string>(defaults: Record<K, string>, argv = process.argv.slice(2)) {
  const own = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, { type: 'string', default: v }])) as Record<K, { type: 'string'; default: string }>;
  const { values } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...own }, allowNegative: true, strict: true });
  return values as typeof values & Record<K, string>;
}

/** A positive number from a flag, or an error naming the flag. */
export function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got "${value}")`);
  return n;
}

/**
 * Runs a scenario: `measure` returns the metrics (and cleans up what it started, even on error); the
 * thresholds, with `--threshold` overrides applied, decide the exit code: 0 pass, 1 a threshold
 * crossed, 2 the run itself failed.
 */
export async function runScenario(name: string, thresholds: readonly Threshold[], overrides: readonly string[], measure: () => Promise<Record<string, number>>): Promise<void> {
  try {
    const effective = withOverrides(thresholds, overrides);
    const metrics = await measure();
    process.exitCode = printSummary(name, metrics, evaluate(effective, metrics)) ? 0 : 1;
  } catch (err) {
    console.error(`\n  ${name}: the run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  }
}
