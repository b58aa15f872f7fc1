import type { Signal } from '../../../schema/signal.ts';

/** What a signal says, in words: "Entered high-intent", "Crossed hot ↑". */
export function signalLabel(s: Signal): string {
  if (s.kind === 'segment.entered') return `Entered ${s.segment ?? 'segment'}`;
  if (s.kind === 'segment.exited') return `Left ${s.segment ?? 'segment'}`;
  return `Crossed ${s.threshold ?? 'threshold'} ${s.direction === 'down' ? '↓' : '↑'}`;
}

/** The key traits a card shows, in this order when present (name, company, title, country), then a few others. */
export function keyTraits(traits: Signal['traits'], max = 4): [string, string][] {
  const preferred = ['name', 'company', 'company.name', 'group.name', 'title', 'country', 'email'];
  const entries = Object.entries(traits).map(([k, v]) => [k, String(v)] as [string, string]);
  const rank = (k: string) => {
    const i = preferred.indexOf(k);
    return i === -1 ? preferred.length : i;
  };
  return entries.sort((a, b) => rank(a[0]) - rank(b[0])).slice(0, max);
}
