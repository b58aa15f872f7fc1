import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../logger.ts';

/** Where the versioned migrations live: `schema/migrations/NNNN_name.sql`, applied in version order. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../schema/migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

export type MigrationPlan = { kind: 'ok'; pending: Migration[] } | { kind: 'refuse'; reason: string };

/** A migration was edited after being applied, or the database is ahead of this build. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * Splits a migration file into statements: full-line `--` comments dropped, statements ended by a
 * `;` at the end of a line. The HTTP interface runs one statement per request, so files may hold several.
 */
export function splitStatements(sql: string): string[] {
  const code = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return code
    .split(/;[ \t]*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Reads and checksums the migration files of `dir` (sha256 of the file's bytes), in version order. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .flatMap((file) => {
      const m = FILE.exec(file);
      if (!m?.[1] || !m[2]) return [];
      const text = readFileSync(join(dir, file), 'utf8');
      return [
        {
          version: Number(m[1]),
          name: m[2],
          checksum: createHash('sha256').update(text).digest('hex'),
          statements: splitStatements(text),
        },
      ];
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.version === migrations[i - 1]?.version) {
      throw new MigrationError(`two migrations share version ${migrations[i]?.version} in ${dir}`);
    }
  }
  return migrations;
}

/**
 * Decides what to apply: every file not yet recorded, in order. Refuses when an applied file's
 * checksum changed (history was rewritten: write a new migration instead) or when the database
 * records a version this build does not have (it was migrated by a newer build).
 */
export function planMigrations(files: Migration[], applied: AppliedMigration[]): MigrationPlan {
  const byVersion = new Map(files.map((f) => [f.version, f]));
  for (const a of applied) {
    const f = byVersion.get(a.version);
    if (!f) return { kind: 'refuse', reason: `database has migration ${migrationId(a)}, unknown to this build` };
    if (f.checksum !== a.checksum) {
      return {
        kind: 'refuse',
        reason: `migration ${migrationId(a)} changed after it was applied (checksum ${a.checksum.slice(0, 12)}… ≠ ${f.checksum.slice(0, 12)}…); add a new migration instead`,
      };
    }
  }
  const done = new Set(applied.map((a) => a.version));
  return { kind: 'ok', pending: files.filter((f) => !done.has(f.version)) };
}

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations
(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY version`;

/**
 * Applies pending migrations in version order, in the connection's current database, recording each
 * in `schema_migrations` once its statements ran. Safe to run at every start (a no-op when up to date).
 * Statements are written idempotently (`IF NOT EXISTS`), so a crash between a migration and its
 * record is repaired by the next run. Throws {@link MigrationError} when history does not match.
 * @returns the `NNNN_name` of each migration applied now.
 */
export async function migrate(client: ClickHouseClient, log: Logger, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  const mlog = log.child({ module: 'clickhouse.migrate' });
  await client.command({ query: LEDGER });
  const rs = await client.query({
    query: 'SELECT version, name, checksum FROM schema_migrations FINAL ORDER BY version',
    format: 'JSONEachRow',
  });
  const applied = (await rs.json<{ version: number | string; name: string; checksum: string }>()).map((r) => ({
    ...r,
    version: Number(r.version),
  }));
  const plan = planMigrations(loadMigrations(dir), applied);
  if (plan.kind === 'refuse') throw new MigrationError(plan.reason);
  const done: string[] = [];
  for (const m of plan.pending) {
    const id = migrationId(m);
    for (const statement of m.statements) await client.command({ query: statement });
    await client.insert({
      table: 'schema_migrations',
      format: 'JSONEachRow',
      values: [{ version: m.version, name: m.name, checksum: m.checksum, applied_at: chNow() }],
    });
    mlog.info({ migration: id }, 'migration applied');
    done.push(id);
  }
  return done;
}

/** `NNNN_name`, as the file is named. */
function migrationId(m: { version: number; name: string }): string {
  return `${String(m.version).padStart(4, '0')}_${m.name}`;
}

function chNow(): string {
  return new Date().toISOString().slice(0, 23).replace('T', ' ');
}
