import { describe, expect, it } from 'vitest';
import { joinLines } from './append.ts';

const events = (lines: string[]) => lines.map((line, i) => ({ messageId: String(i), line }));

describe('joinLines', () => {
  it('joins lines with newlines, as UTF-8', () => {
    const lines = ['{"a":1}', '{"b":"é€😀"}', '{}'];
    expect(joinLines(events(lines)).toString('utf8')).toBe(lines.join('\n'));
    expect(joinLines(events([])).length).toBe(0);
  });
  it('grows when multi-byte text outruns the ASCII-sized buffer', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `{"t":"${'€'.repeat(200 + i)}"}`);
    expect(joinLines(events(lines)).toString('utf8')).toBe(lines.join('\n'));
  });
});
