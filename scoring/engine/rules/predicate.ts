import type { NumberPredicate, Predicate } from '../../../schema/model.ts';

export type Test = (value: unknown) => boolean;

/** A number, or a string holding one (`"19.99"`): clients send both. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function same(a: unknown, b: string | number | boolean): boolean {
  if (a === b) return true;
  return typeof b === 'number' && typeof a === 'string' && asNumber(a) === b;
}

/** Compiles a predicate once (regex included) into a test; all its operators must hold. */
export function compilePredicate(p: Predicate): Test {
  const tests: Test[] = [];
  if (p.exists !== undefined) {
    const want = p.exists;
    tests.push((v) => (v !== undefined && v !== null) === want);
  }
  if (p.equals !== undefined) {
    const want = p.equals;
    tests.push((v) => same(v, want));
  }
  if (p.notEquals !== undefined) {
    const not = p.notEquals;
    tests.push((v) => !same(v, not));
  }
  if (p.in) {
    const set = new Set<unknown>(p.in);
    const numbers = p.in.some((x) => typeof x === 'number');
    tests.push((v) => set.has(v) || (numbers && typeof v === 'string' && set.has(asNumber(v))));
  }
  if (p.notIn) {
    const set = new Set<unknown>(p.notIn);
    tests.push((v) => !set.has(v) && !(typeof v === 'string' && set.has(asNumber(v))));
  }
  tests.push(...numberTests(p));
  if (p.regex !== undefined) {
    const re = new RegExp(p.regex, p.flags);
    tests.push((v) => typeof v === 'string' && re.test(v));
  }
  return all(tests);
}

function numberTests(p: { gt?: number | undefined; gte?: number | undefined; lt?: number | undefined; lte?: number | undefined }): Test[] {
  const out: Test[] = [];
  const cmp = (bound: number | undefined, ok: (n: number, b: number) => boolean) => {
    if (bound !== undefined) {
      out.push((v) => {
        const n = asNumber(v);
        return n !== undefined && ok(n, bound);
      });
    }
  };
  cmp(p.gt, (n, b) => n > b);
  cmp(p.gte, (n, b) => n >= b);
  cmp(p.lt, (n, b) => n < b);
  cmp(p.lte, (n, b) => n <= b);
  return out;
}

/** A number test for scores and counters. */
export function compileNumberPredicate(p: NumberPredicate): (n: number) => boolean {
  const tests = numberTests(p);
  if (p.equals !== undefined) {
    const want = p.equals;
    tests.push((v) => v === want);
  }
  if (p.in) {
    const set = new Set(p.in);
    tests.push((v) => set.has(v as number));
  }
  return all(tests);
}

/** The values where a number predicate can change its answer (for "when will this flip" timers). */
export function boundaries(p: NumberPredicate): number[] {
  return [p.equals, p.gt, p.gte, p.lt, p.lte, ...(p.in ?? [])].filter((v): v is number => v !== undefined);
}

function all(tests: Test[]): Test {
  if (tests.length === 1) return tests[0]!;
  return (v) => {
    for (const t of tests) if (!t(v)) return false;
    return true;
  };
}
