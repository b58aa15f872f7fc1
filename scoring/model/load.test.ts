import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelFile, ModelError, parseModel } from './load.ts';

const HEAD = 'version: 1\nname: t\ndecay: { halfLife: 7d }\n';

function issuesOf(text: string) {
  try {
    parseModel(text, 'bad.yaml');
  } catch (err) {
    if (err instanceof ModelError) return err.issues;
    throw err;
  }
  throw new Error('expected a ModelError');
}

describe('model loading', () => {
  it('loads the shipped models', async () => {
    for (const f of ['b2b-saas', 'ecommerce']) {
      const m = await loadModelFile(`scoring/models/${f}.yaml`);
      expect(m.version).toBe(1);
      expect(m.rules.length).toBeGreaterThan(10);
    }
  });

  it('names file, line and path for a wrong type deep inside', () => {
    const text = `${HEAD}rules:
  - id: a
    when: { event: X }
    points: 1
  - id: b
    when:
      event: Product Viewed
      properties:
        price: { gt: cheap }
    points: 2
`;
    expect(issuesOf(text)).toEqual([{ path: 'rules[1].when.properties.price.gt', message: 'expected number, received string', line: 12, column: 22 }]);
    expect(() => parseModel(text, 'models/x.yaml')).toThrow('models/x.yaml:12:22 rules[1].when.properties.price.gt: expected number, received string');
  });

  it('points at unknown keys, bad regexes, durations and references', () => {
    const text = `${HEAD}rules:
  - id: a
    when: { evnt: X }
    points: 1
  - id: b
    when: { event: X, properties: { sku: { regex: '(' } } }
    points: 1
    cap: { points: 5, window: 1 day }
segments:
  - id: s
    enter: { counter: { nope: { gte: 1 } } }
`;
    const issues = issuesOf(text);
    expect(issues.map((i) => `${i.line} ${i.path}: ${i.message}`)).toEqual([
      "6 rules[0].when.evnt: unknown key 'evnt'",
      expect.stringMatching(/^9 rules\[1\]\.when\.properties\.sku\.regex: invalid regex: /),
      "11 rules[1].cap.window: expected a duration like '30m', '24h' or '7d' (units ms, s, m, h, d, w; at most 10 years)",
      "14 segments[0].enter.counter.nope: unknown counter 'nope'",
    ]);
  });

  it('reports missing fields, duplicates and rule shape at the closest line', () => {
    const text = `version: 1
name: t
rules:
  - { id: a, when: { event: X }, points: 1 }
  - { id: a, when: { event: X }, absence: { after: { event: X }, missing: { event: Y }, within: 1h }, points: 1 }
`;
    expect(issuesOf(text).map((i) => `${i.line ?? '-'} ${i.path}: ${i.message}`)).toEqual([
      '1 decay: required (expected object)',
      '5 rules[1]: a rule needs exactly one of when or absence',
    ]);
    const dup = issuesOf(`${HEAD}rules:\n  - { id: a, when: { event: X }, points: 1 }\n  - { id: a, when: { event: Y }, points: 2 }\n`);
    expect(dup).toEqual([{ path: 'rules[1].id', message: "duplicate id 'a'", line: 6, column: 11 }]);
  });

  it('refuses an unsupported version and YAML syntax errors with their line', () => {
    expect(issuesOf('version: 2\nname: t\ndecay: { halfLife: 7d }\n')[0]).toMatchObject({ path: 'version', line: 1, message: 'unsupported model version; this build reads version 1' });
    const syntax = issuesOf(`${HEAD}rules:\n  - id: a\n   points: [1\n`);
    expect(syntax[0]!.line).toBeGreaterThanOrEqual(5);
    expect(syntax[0]!.path).toBe('');
  });

  it('reads JSON with line numbers too, and refuses other extensions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wl-model-'));
    const json = join(dir, 'm.json');
    await writeFile(json, '{\n  "version": 1,\n  "name": "t",\n  "decay": { "halfLife": "fortnight" }\n}\n');
    await expect(loadModelFile(json)).rejects.toMatchObject({ issues: [{ path: 'decay.halfLife', line: 4, column: 26 }] });
    await expect(loadModelFile(join(dir, 'm.toml'))).rejects.toThrow("expected a .yaml, .yml or .json file, got '.toml'");
    await expect(loadModelFile(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read/);
  });
});
