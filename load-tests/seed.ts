import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { z } from 'zod';
import type { StoredEvent } from '../schema/stored-event.ts';
import { applyDue, applyEvent, compileModel, mergeProfiles, type CompiledModel, type ScoreResult, type ScoreState } from '../scoring/engine/index.ts';
import { loadModelFile } from '../scoring/model/load.ts';
import { triggerOf } from '../scoring/runtime/batch.ts';
import { route } from '../scoring/runtime/identity.ts';
import { scoreRowOf, type Trigger } from '../scoring/runtime/outputs.ts';
import { createClickHouse, type ClickHouseClient } from '../server/clickhouse/client.ts';
import { migrate } from '../server/clickhouse/migrate.ts';
import { loadConfig } from '../server/config.ts';
import { UserAgentParser } from '../server/ingest/enrich.ts';
import { normalize, type RequestMeta } from '../server/ingest/normalize.ts';
import { createLogger } from '../server/logger.ts';
import { progressBar } from '../server/progress.ts';
import { insertTables } from '../server/sink/insert.ts';
import { generateUsers, prng, type GeneratedEvent, type GenerateOptions } from './generator.ts';
import { seedOverHttp } from './seed-http.ts';

/** The model the live system scores with by default. */
export const DEFAULT_MODEL = fileURLToPath(new URL('../scoring/models/b2b-saas.yaml', import.meta.url));

/** What to seed: the generator's options (seed, users, days, start), the workspace and the model. */
export interface SeedOptions extends GenerateOptions {
  workspaceId: string;
  /** Model file (YAML/JSON); default {@link DEFAULT_MODEL}. */
  model?: string;
  /** Stop after this many events (the last user's are cut): `--events` of the CLI. */
  maxEvents?: number;
  /** Rows per ClickHouse insert (events and score rows alike). */
  batchRows?: number;
  /** The clock the timers run to after the last event (default: now), as the live scorer's would have. */
  now?: number;
  /** Called with the events done so far, every few thousand events and at the end. */
  onProgress?: (events: number) => void;
}

/** What was written. */
export interface SeedResult {
  events: number;
  /** Rows inserted into `score_changes_in` (→ `score_changes`). */
  scoreRows: number;
  /** Segment entries plus exits among them (→ `segment_changes`). */
  segmentRows: number;
  users: number;
}

/**
 * Seeds a workspace with generated traffic as the live system would have stored and scored it:
 * every event goes through the collector's `normalize` (validation, enrichment, StoredEvent line) and
 * the sink's insert into `events_in`; every user's events go through the real engine (routing and
 * stitching as the scorer does, timers run when due) and its `scoreRowOf` rows into `score_changes_in`.
 * Streams: one user in memory at a time, inserts of `batchRows` rows, one in flight while the next
 * is built. Same seed and workspace: same messageIds, so a re-run collapses onto the same rows.
 * Applies pending migrations first.
 * @example const { events, scoreRows } = await seedClickHouse(ch, { workspaceId: 'ws_demo', users: 200, days: 7, seed: 1 });
 */
export async function seedClickHouse(ch: ClickHouseClient, opts: SeedOptions): Promise<SeedResult> {
  await migrate(ch, createLogger('silent'));
  const model = await loadModelFile(opts.model ?? DEFAULT_MODEL);
  const cm = compileModel(model);
  const now = opts.now ?? Date.now();
  const batchRows = opts.batchRows ?? 200_000;
  const maxEvents = opts.maxEvents ?? Infinity;
  const ingest = new Ingest(opts.workspaceId, opts.seed);
  const out = new Inserts(ch);
  const result: SeedResult = { events: 0, scoreRows: 0, segmentRows: 0, users: 0 };
  let eventLines: string[] = [];
  let scoreLines: string[] = [];
  let reported = 0;

  for (const { events } of generateUsers(opts)) {
    const take = events.length > maxEvents - result.events ? events.slice(0, maxEvents - result.events) : events;
    const stored: StoredEvent[] = [];
    for (const line of ingest.lines(take)) {
      eventLines.push(line);
      stored.push(JSON.parse(line) as StoredEvent);
    }
    for (const row of scoreUser(cm, model.name, opts.workspaceId, stored, now)) {
      scoreLines.push(row.line);
      result.segmentRows += row.segments;
    }
    result.events += take.length;
    result.users++;
    if (eventLines.length >= batchRows) {
      await out.send('events_in', eventLines);
      eventLines = [];
    }
    if (scoreLines.length >= batchRows) {
      result.scoreRows += scoreLines.length;
      await out.send('score_changes_in', scoreLines);
      scoreLines = [];
    }
    if (result.events - reported >= 5_000) opts.onProgress?.((reported = result.events));
    if (result.events >= maxEvents) break;
  }
  result.scoreRows += scoreLines.length;
  await out.send('events_in', eventLines);
  await out.send('score_changes_in', scoreLines);
  await out.drain();
  opts.onProgress?.(result.events);
  return result;
}

/** Inserts through the sink's path, one at a time, the next batch built while the last is stored. */
class Inserts {
  private inflight: Promise<void> = Promise.resolve();
  constructor(private readonly ch: ClickHouseClient) {}

  /** Waits for the previous insert (throwing its error), then starts this one. */
  async send(table: 'events_in' | 'score_changes_in', lines: string[]): Promise<void> {
    await this.inflight;
    if (lines.length === 0) return;
    this.inflight = insertTables(this.ch, [[table, lines.join('\n')]]).then((outcome) => {
      if (outcome.kind !== 'ok') throw new Error(`seed: insert into ${table} failed (${outcome.kind})`, { cause: outcome.err });
    });
    // Handled when awaited next; until then a failure must not count as unhandled.
    this.inflight.catch(() => undefined);
  }

  drain(): Promise<void> {
    return this.inflight;
  }
}

/** A browser tracker's flush interval: events this close to a request's first share the request. */
const FLUSH_MS = 10_000;

/**
 * A user's generated events as the collector would have received them (the tracker sending what
 * happened within {@link FLUSH_MS} in one request, answered a few hundred ms later, from the user's
 * address) and logged them: StoredEvent lines, through the collector's own `normalize`.
 */
export class Ingest {
  private readonly ua = new UserAgentParser();
  private readonly latency: () => number;

  constructor(
    private readonly workspaceId: string,
    seed: number,
  ) {
    this.latency = prng(seed ^ 0x5eed);
  }

  *lines(events: readonly GeneratedEvent[]): Generator<string> {
    for (let i = 0; i < events.length; ) {
      const first = events[i] as GeneratedEvent;
      const from = Date.parse(first.timestamp);
      let j = i + 1;
      while (j < events.length && Date.parse((events[j] as GeneratedEvent).timestamp) - from < FLUSH_MS) j++;
      const batch = events.slice(i, j);
      const meta: RequestMeta = {
        workspaceId: this.workspaceId,
        receivedAt: Date.parse((batch[batch.length - 1] as GeneratedEvent).timestamp) + 30 + Math.floor(this.latency() * 400),
        ip: first.context.ip,
        userAgent: first.context.userAgent,
        anonymizeIp: true,
        partitions: 1,
      };
      const { byPartition, rejected } = normalize('batch', { batch }, meta, this.ua);
      if (rejected.length > 0) throw new Error(`seed: the collector refused a generated event: ${rejected[0]?.reason}`);
      for (const accepted of byPartition.get(0) ?? []) yield accepted.line;
      i = j;
    }
  }
}

interface Profile {
  state?: ScoreState;
  dueAt: number | null;
}

/**
 * One user's score history as the live scorer writes it: events routed to profiles (the anonymous
 * one until an event carries the userId, then folded into the known one), each applied at its own
 * time, timers (absence rules, decay and recency leaving segments) run when due and, after the last
 * event, up to `now`. Returns `score_changes_in` lines with their segment entries + exits.
 */
function scoreUser(cm: CompiledModel, modelName: string, ws: string, events: readonly StoredEvent[], now: number): { line: string; segments: number }[] {
  const rows: { line: string; segments: number }[] = [];
  const profiles = new Map<string, Profile>();
  const aliases = new Map<string, string | null>();
  const emit = (userKey: string, p: Profile, r: ScoreResult, trigger: Trigger | undefined) => {
    p.state = r.state;
    p.dueAt = r.changes.nextDueAt;
    const line = scoreRowOf(ws, userKey, r.changes, trigger, modelName);
    if (line) rows.push({ line, segments: r.changes.entered.length + r.changes.exited.length });
  };
  const runDue = (userKey: string, p: Profile, until: number) => {
    while (p.state && p.dueAt !== null && p.dueAt <= until) {
      const at = p.dueAt;
      emit(userKey, p, applyDue(cm, p.state, at), undefined);
      // The scorer's timer loop never runs one twice at the same instant.
      if (p.dueAt !== null && p.dueAt <= at) p.dueAt = at + 1;
    }
  };
  for (const e of events) {
    const at = Date.parse(e.timestamp);
    const { profile, mergeFrom } = route(e, aliases);
    let p = profiles.get(profile);
    if (!p) profiles.set(profile, (p = { dueAt: null }));
    runDue(profile, p, at);
    if (mergeFrom !== undefined) {
      const anon = profiles.get(mergeFrom);
      if (anon?.state) {
        runDue(mergeFrom, anon, at);
        const merged = mergeProfiles(cm, p.state, anon.state, at, { anonymousKey: `${ws}\n${mergeFrom}` });
        if (!merged.changes.duplicate) emit(profile, p, merged, triggerOf(e));
      }
      profiles.delete(mergeFrom);
      aliases.set(mergeFrom, profile);
    }
    const r = applyEvent(cm, p.state, e, at);
    if (!r.changes.duplicate && !r.changes.ignored) emit(profile, p, r, triggerOf(e));
  }
  for (const [userKey, p] of profiles) runDue(userKey, p, now);
  return rows;
}

const CliOptions = z.object({
  events: z.coerce.number().int('--events must be a whole number').min(1, '--events must be at least 1').max(1_000_000_000),
  days: z.coerce.number().int('--days must be a whole number').min(1, '--days must be at least 1').max(3_650),
  seed: z.coerce.number().int('--seed must be a whole number').min(0).max(0xffff_ffff),
  workspace: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '--workspace: letters, digits, - and _ (1-64)'),
  model: z.string().min(1).optional(),
  batchRows: z.coerce.number().int().min(1_000, '--batch-rows must be at least 1000').max(1_000_000),
  url: z.url({ protocol: /^https?$/, error: '--url must be an http(s) URL, e.g. http://127.0.0.1:8080' }).optional(),
  writeKey: z.string().regex(/^[A-Za-z0-9_-]{8,200}$/, '--write-key must be a write key (wk_…)').optional(),
}).refine((o) => (o.url === undefined) === (o.writeKey === undefined), { error: '--url and --write-key go together' });

/**
 * `npm run seed -- --events 10000000 --days 60 --seed 1 [--workspace ws_dev]` into the data dir's
 * ClickHouse, or `npm run seed -- --events 20000 --url http://127.0.0.1:8080 --write-key wk_…` through a
 * running Warmline (scored live: profiles, segments, signals).
 */
async function main(argv: string[]): Promise<void> {
  const raw = new Command('seed')
    .description('Seed ClickHouse with generated events and the score history the live scorer would have written')
    .option('--events <n>', 'events to generate', '1000000')
    .option('--days <n>', 'days the events span, ending at UTC midnight today', '30')
    .option('--seed <n>', 'PRNG seed (same seed, same events)', '1')
    .option('--workspace <id>', 'workspace the events belong to', 'ws_seed')
    .option('--model <file>', 'scoring model file (default: scoring/models/b2b-saas.yaml)')
    .option('--batch-rows <n>', 'rows per ClickHouse insert', '200000')
    .option('--url <url>', 'send through this running Warmline instead (its collector, /v1/batch)')
    .option('--write-key <key>', 'a write key of that Warmline (with --url)')
    .parse(argv)
    .opts();
  const parsed = CliOptions.safeParse(raw);
  if (!parsed.success) {
    process.stderr.write(`seed: ${parsed.error.issues.map((i) => i.message).join('; ')}\n`);
    process.exitCode = 2;
    return;
  }
  const o = parsed.data;
  if (o.url !== undefined && o.writeKey !== undefined) {
    const bar = progressBar(process.stderr, 'sending');
    const started = performance.now();
    try {
      const r = await seedOverHttp({ url: o.url, writeKey: o.writeKey, seed: o.seed, days: o.days, users: o.events, maxEvents: o.events, onProgress: (n) => bar.update(n, o.events) });
      bar.done();
      const s = (performance.now() - started) / 1000;
      process.stdout.write(`sent ${r.events} events of ${r.users} users to ${o.url} in ${s.toFixed(1)} s (${Math.round(r.events / s)} events/s, ${r.requests} requests, ${r.retried} retried after 429/503)\n`);
    } finally {
      bar.done();
    }
    return;
  }
  const config = loadConfig();
  const ch = createClickHouse(config);
  const bar = progressBar(process.stderr, 'seeding');
  const started = performance.now();
  try {
    const r = await seedClickHouse(ch, {
      workspaceId: o.workspace,
      seed: o.seed,
      days: o.days,
      // Every user makes at least one event: enough users, of which only the first `events` worth are made.
      users: o.events,
      maxEvents: o.events,
      batchRows: o.batchRows,
      ...(o.model ? { model: o.model } : {}),
      onProgress: (n) => bar.update(n, o.events),
    });
    bar.done();
    const s = (performance.now() - started) / 1000;
    process.stdout.write(
      `seeded ${r.events} events of ${r.users} users into workspace ${o.workspace} in ${s.toFixed(1)} s ` +
        `(${Math.round(r.events / s)} events/s); ${r.scoreRows} score_changes rows, ${r.segmentRows} segment_changes rows\n`,
    );
  } finally {
    bar.done();
    await ch.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`seed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
