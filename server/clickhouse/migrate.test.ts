import { describe, expect, it } from 'vitest';
import { loadMigrations, planMigrations, splitStatements } from './migrate.ts';

describe('splitStatements', () => {
  it('drops comment lines (even with semicolons) and splits at line-ending semicolons', () => {
    expect(splitStatements('-- a; b\nCREATE TABLE a (x String);\n\nSELECT 1;')).toEqual(['CREATE TABLE a (x String)', 'SELECT 1']);
  });
});

describe('planMigrations', () => {
  const files = loadMigrations();
  it('loads the schema migrations in order, one statement or more each', () => {
    expect(files.map((f) => f.version)).toEqual([...files.map((f) => f.version)].sort((a, b) => a - b));
    expect(files.slice(0, 2).map((f) => f.name)).toEqual(['events', 'rejected_events']);
    for (const f of files) expect(f.statements.length).toBeGreaterThan(0);
  });
  it('plans what is not applied and refuses rewritten history', () => {
    const [first] = files;
    if (!first) throw new Error('no migrations');
    expect(planMigrations(files, [first])).toEqual({ kind: 'ok', pending: files.slice(1) });
    expect(planMigrations(files, [{ ...first, checksum: 'x' }])).toMatchObject({ kind: 'refuse' });
    expect(planMigrations(files, [{ version: 9999, name: 'future', checksum: 'x' }])).toMatchObject({ kind: 'refuse' });
  });
});
