import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse } from '../../server/clickhouse/client.ts';

/** A fresh embedded ClickHouse in its own temp dir (one per test file: chdb binds one path per process). */
export function tempClickHouse(): { client: ClickHouseClient; dir: string; dispose(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'warmline-ch-'));
  const client = createClickHouse({ WARMLINE_DATA_DIR: dir, WARMLINE_CLICKHOUSE_MAX_MEMORY_MB: 1024 });
  return {
    client,
    dir,
    async dispose() {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a query with parameters and returns its JSONEachRow rows. */
export async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}
