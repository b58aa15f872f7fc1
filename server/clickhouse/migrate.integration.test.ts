import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, tempClickHouse } from '../../tests/helpers/clickhouse.ts';
import { createLogger } from '../logger.ts';
import { MIGRATIONS_DIR, MigrationError, migrate } from './migrate.ts';

const log = createLogger('silent');
let ch: ReturnType<typeof tempClickHouse>;
let dir: string;

beforeAll(() => {
  ch = tempClickHouse();
  dir = mkdtempSync(join(tmpdir(), 'warmline-migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
});
afterAll(async () => {
  await ch.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies every migration once, in order, and records it', async () => {
    const applied = await migrate(ch.client, log, dir);
    expect(applied.slice(0, 2)).toEqual(['0001_events', '0002_rejected_events']);
    const ledger = await rows<{ version: number; name: string; checksum: string }>(
      ch.client,
      'SELECT version, name, checksum FROM schema_migrations FINAL ORDER BY version',
    );
    expect(ledger.map((r) => r.name)).toEqual(applied.map((a) => a.slice(5)));
    for (const r of ledger) expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
    const tables = await rows<{ name: string; engine: string }>(
      ch.client,
      'SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)} ORDER BY name',
      { names: ['events', 'rejected_events'] },
    );
    expect(tables).toEqual([
      { name: 'events', engine: 'ReplacingMergeTree' },
      { name: 'rejected_events', engine: 'ReplacingMergeTree' },
    ]);
  });

  it('is a no-op when up to date', async () => {
    expect(await migrate(ch.client, log, dir)).toEqual([]);
  });

  it('applies a new migration added later', async () => {
    writeFileSync(join(dir, '0900_extra.sql'), 'CREATE TABLE IF NOT EXISTS extra_t (x String) ENGINE = MergeTree ORDER BY x;\n');
    expect(await migrate(ch.client, log, dir)).toEqual(['0900_extra']);
  });

  it('refuses when an applied migration changed', async () => {
    writeFileSync(join(dir, '0900_extra.sql'), 'CREATE TABLE IF NOT EXISTS extra_t (x String, y String) ENGINE = MergeTree ORDER BY x;\n');
    await expect(migrate(ch.client, log, dir)).rejects.toThrow(MigrationError);
    await expect(migrate(ch.client, log, dir)).rejects.toThrow(/0900_extra changed after it was applied/);
  });
});
