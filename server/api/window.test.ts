import { describe, expect, it } from 'vitest';
import { chTime, resolveWindow } from './window.ts';

const NOW = Date.parse('2026-03-31T12:00:00.000Z');

describe('resolveWindow', () => {
  it('defaults to the 30 days before now', () => {
    expect(resolveWindow({}, NOW)).toEqual({ ok: true, window: { from: new Date('2026-03-01T12:00:00.000Z'), to: new Date(NOW) } });
  });
  it('defaults from to 30 days before a given to', () => {
    const r = resolveWindow({ to: '2026-02-01T00:00:00Z' }, NOW);
    expect(r.ok && r.window.from.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });
  it('refuses reversed, empty and over-long windows', () => {
    expect(resolveWindow({ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }, NOW)).toEqual({ ok: false, reason: 'from must be before to' });
    expect(resolveWindow({ from: '2026-03-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, NOW).ok).toBe(false);
    expect(resolveWindow({ from: '2024-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, NOW)).toEqual({ ok: false, reason: 'the window may span at most 366 days' });
  });
});

describe('chTime', () => {
  it('formats a ClickHouse DateTime64(3) in UTC', () => {
    expect(chTime(Date.parse('2026-03-01T09:05:07.123Z'))).toBe('2026-03-01 09:05:07.123');
  });
});
