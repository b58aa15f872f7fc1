import type { EventType } from '../../../schema/events.ts';
import type { EventMatch } from '../../../schema/model.ts';
import { compileGetter, type EventView } from '../event.ts';
import { compileGlob } from './glob.ts';
import { compilePredicate } from './predicate.ts';

/**
 * A compiled event matcher. `types` and `names` are used by the index (so an event only meets
 * matchers for its type and name); `test` checks the rest: path and properties.
 */
export interface CompiledMatch {
  types: readonly EventType[];
  /** Track event names or page/screen names; empty: any. */
  names: readonly string[];
  test: (ev: EventView) => boolean;
}

export function compileMatch(m: EventMatch): CompiledMatch {
  const types: EventType[] = m.type ?? (m.event ? ['track'] : m.path ? ['page'] : m.name ? ['page', 'screen'] : ['track', 'page', 'screen', 'identify', 'group', 'alias']);
  const names = m.event ?? m.name ?? [];
  const checks: ((ev: EventView) => boolean)[] = [];
  if (m.path) {
    const globs = m.path.map(compileGlob);
    checks.push((ev) => {
      const path = ev.path;
      return path !== null && globs.some((g) => g.test(path));
    });
  }
  for (const [key, predicate] of Object.entries(m.properties ?? {})) {
    const get = compileGetter(key);
    const test = compilePredicate(predicate);
    checks.push((ev) => test(get(ev.properties)));
  }
  const test =
    checks.length === 0
      ? () => true
      : (ev: EventView) => {
          for (const c of checks) if (!c(ev)) return false;
          return true;
        };
  return { types, names, test };
}
