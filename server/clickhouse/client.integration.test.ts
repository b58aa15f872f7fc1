import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, tempClickHouse } from '../../tests/helpers/clickhouse.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let ch: ReturnType<typeof tempClickHouse>;

beforeAll(() => {
  ch = tempClickHouse(); // capped at 1024 MB
});
afterAll(async () => {
  await ch.dispose();
});

describe('createClickHouse (embedded)', () => {
  it('caps the engine memory and fails a query beyond the cap', async () => {
    const [s] = await rows<{ value: string }>(ch.client, "SELECT value FROM system.server_settings WHERE name = 'max_server_memory_usage'");
    expect(s?.value).toBe(String(1024 * 1024 * 1024));
    await expect(rows(ch.client, 'SELECT length(groupArray(number)) FROM numbers(400000000)')).rejects.toMatchObject({
      code: '241', // MEMORY_LIMIT_EXCEEDED
    });
  });

  it('pins 64-bit integers as strings and times as ISO UTC', async () => {
    expect(await rows(ch.client, "SELECT toUInt64(1) AS n, toDateTime64('2024-05-01 12:00:00.123', 3, 'UTC') AS t")).toEqual([
      { n: '1', t: '2024-05-01T12:00:00.123Z' },
    ]);
  });

  it('tells a second process that the data directory is taken', async () => {
    const script = `import { createClickHouse } from './server/clickhouse/client.ts';
      try { createClickHouse({ WARMLINE_DATA_DIR: ${JSON.stringify(ch.dir)}, WARMLINE_CLICKHOUSE_MAX_MEMORY_MB: 256 }); console.log('opened'); }
      catch (err) { console.log(err.name + ': ' + err.message); }`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT });
    expect(stdout).toMatch(/^ClickHouseLockedError: embedded ClickHouse at .* is in use by another process \(pid \d+\)/);
  });
});
