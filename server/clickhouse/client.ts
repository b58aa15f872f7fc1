import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { Session } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import type { Config } from '../config.ts';

export type { ClickHouseClient };

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/**
 * Settings pinned on every query, embedded or remote: 64-bit integers arrive as strings (a JS number
 * would silently round them) and DateTime64 values come back as ISO-8601 UTC (`2024-05-01T12:00:00.123Z`).
 */
export const PINNED_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 1,
  date_time_output_format: 'iso',
};

/** The embedded engine's data directory is owned by another process (chdb takes a file lock). */
export class ClickHouseLockedError extends Error {
  override readonly name = 'ClickHouseLockedError';
}

/**
 * The one place that knows how Warmline reaches ClickHouse. With `CLICKHOUSE_URL` it is a plain HTTP
 * client; without, the in-process engine (chdb) at `<WARMLINE_DATA_DIR>/clickhouse`, driven through the
 * same `@clickhouse/client` API so no other module cares which it is.
 *
 * The embedded engine would take 90% of RAM; it is capped at `WARMLINE_CLICKHOUSE_MAX_MEMORY_MB` by
 * starting it with `--max_server_memory_usage`: a short-lived chdb `Session` opened first with that
 * argument creates the process-wide engine, the client's connection then attaches to it (same path).
 * Queries beyond the cap fail with MEMORY_LIMIT_EXCEEDED; large GROUP BYs spill to disk instead.
 *
 * Only one process may own a data directory: a second one gets a {@link ClickHouseLockedError}.
 * Inserts spool through `<WARMLINE_DATA_DIR>/clickhouse-spool` (see {@link insertJsonLines}).
 * @example const ch = createClickHouse(loadConfig()); await ch.query({ query: 'SELECT 1', format: 'JSONEachRow' });
 */
export function createClickHouse(
  config: Pick<Config, 'CLICKHOUSE_URL' | 'WARMLINE_DATA_DIR' | 'WARMLINE_CLICKHOUSE_MAX_MEMORY_MB'>,
): ClickHouseClient {
  if (config.CLICKHOUSE_URL) {
    return createClient({ url: config.CLICKHOUSE_URL, clickhouse_settings: PINNED_SETTINGS });
  }
  const path = resolve(join(config.WARMLINE_DATA_DIR, 'clickhouse'));
  mkdirSync(path, { recursive: true });
  const maxBytes = config.WARMLINE_CLICKHOUSE_MAX_MEMORY_MB * 1024 * 1024;
  let primer: Session;
  try {
    primer = new Session(path, { connectionArgs: [`--max_server_memory_usage=${maxBytes}`] });
  } catch (err) {
    const owner = lockOwner(path);
    if (owner !== undefined || String(err instanceof Error ? err.message : err).includes('Cannot lock file')) {
      throw new ClickHouseLockedError(
        `embedded ClickHouse at ${path} is in use by another process${owner ? ` (pid ${owner})` : ''}; one process owns it ` +
          `(run the other roles with CLICKHOUSE_URL, or stop that process)`,
        { cause: err },
      );
    }
    throw err;
  }
  try {
    // chdb implements the Connection contract of `@clickhouse/client-common`, which `@clickhouse/client`
    // bundles its own copy of: the shapes match, the declarations are distinct, hence the cast.
    const chdb = createChdbConnection({ path });
    const client = createClient({ connection: chdb as unknown as ClientConnection, clickhouse_settings: PINNED_SETTINGS });
    // Only this process uses the data directory (the engine's lock): leftovers of a crash can go.
    const spool = resolve(join(config.WARMLINE_DATA_DIR, 'clickhouse-spool'));
    rmSync(spool, { recursive: true, force: true });
    mkdirSync(spool, { recursive: true });
    spools.set(client, spool);
    return client;
  } finally {
    // The engine lives while any connection to the path is open; the primer only had to start it.
    primer.close();
  }
}

/** The spool directory of each embedded client, for the file insert path. */
const spools = new WeakMap<ClickHouseClient, string>();

/**
 * Inserts newline-delimited JSON text as JSONEachRow into `table` (a constant name, never user input),
 * with `settings` for that insert only, the fast way for each engine. Remote: the text is the body of
 * the INSERT, as is. Embedded: the text is written to a spool file the engine reads with `file()`;
 * every inline path lexes the payload as SQL first: measured on 200k ~1 KB lines, chdb's raw insert
 * spends ~2.2 s of CPU against ~0.9 s reading the same lines from a file. Settings go in the query's
 * SETTINGS clause (the embedded connection would apply `clickhouse_settings` with session-wide SETs).
 * Failures are ClickHouse errors with the engine's code either way.
 */
export async function insertJsonLines(
  client: ClickHouseClient,
  table: string,
  lines: string,
  settings: Readonly<Record<string, number>>,
): Promise<void> {
  if (lines.length === 0) return;
  const clause = Object.entries(settings)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
  const spool = spools.get(client);
  if (!spool) {
    const rs = await client.exec({
      query: `INSERT INTO ${table} SETTINGS ${clause} FORMAT JSONEachRow`,
      values: Readable.from([lines], { objectMode: false }),
    });
    rs.stream.destroy();
    return;
  }
  const file = join(spool, `${randomUUID()}.ndjson`);
  await writeFile(file, lines);
  try {
    await client.command({
      query: `INSERT INTO ${table} SELECT * FROM file({file:String}, 'JSONEachRow') SETTINGS ${clause}`,
      query_params: { file },
    });
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * The pid of another live process that owns the engine at `path`, read from the `status` file the
 * engine writes there (chdb's own error does not always say why it could not open the directory).
 */
function lockOwner(path: string): number | undefined {
  try {
    const pid = Number(/^PID:\s*(\d+)/m.exec(readFileSync(join(path, 'status'), 'utf8'))?.[1]);
    if (!pid || pid === process.pid) return undefined;
    process.kill(pid, 0); // throws when no such process
    return pid;
  } catch {
    return undefined;
  }
}
