import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ScoreChanges } from '../../scoring/engine/index.ts';
import { scoreRowOf } from '../../scoring/runtime/outputs.ts';
import { rows } from '../../tests/helpers/clickhouse.ts';
import { drained, testPrefix } from '../../tests/helpers/redis.ts';
import { countRows, openSinkTestEnv, type SinkTestEnv } from '../../tests/helpers/sink.ts';
import { lines, storedEvent } from '../../tests/helpers/stored-events.ts';
import { waitFor } from '../../tests/helpers/wait.ts';
import { logKeys, type LogKeys } from '../log/keys.ts';
import { createLogger } from '../logger.ts';
import { createClickHouseSink, SINK_GROUP, type ClickHouseSink } from './clickhouse.sink.ts';
import { scoresSource, sinkSources, type SinkSource } from './source.ts';

const log = createLogger(process.env.TEST_LOG ?? 'silent');
const prefix = testPrefix();
let redis: Redis;
let blocking: Redis;
let ch: SinkTestEnv['ch'];
let env: SinkTestEnv;
let sink: ClickHouseSink | undefined;
let n = 0;

const config = {
  WARMLINE_SINK_BATCH_ROWS: 200,
  WARMLINE_SINK_MAX_AGE_MS: 100,
  WARMLINE_CLAIM_IDLE_MS: 1_000,
  WARMLINE_MAX_DELIVERIES: 10,
};

function fresh(partitions: number): { keys: LogKeys; scores: SinkSource; ws: string } {
  n++;
  const keys = logKeys(`${prefix}-${n}`, partitions);
  return { keys, scores: scoresSource(keys), ws: `ws-${prefix}-${n}` };
}

function startSink(keys: LogKeys, observed: { rows: number; dead: number }, trimEveryMs = 0) {
  sink = createClickHouseSink({
    redis,
    blocking,
    clickhouse: ch.client,
    keys,
    sources: sinkSources(keys),
    log,
    config,
    trimEveryMs,
    observer: { batch: (r) => void (observed.rows += r), deadLettered: (d) => void (observed.dead += d) },
  });
  return sink.start();
}

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0, 123);

/** A score row as the scorer writes it (outputs.ts), for call `i` of `user`. */
function scoreRow(ws: string, user: string, i: number, segments: Partial<Pick<ScoreChanges, 'entered' | 'exited'>> = {}): string {
  const changes: ScoreChanges = {
    duplicate: false,
    at: T0 + i * 1_000,
    scoreBefore: i * 10,
    scoreAfter: i * 10 + 10,
    awards: [{ rule: 'pricing-page', points: 10, ...(i % 2 === 1 ? { capped: true } : {}) }] as ScoreChanges['awards'],
    entered: segments.entered ?? [],
    exited: segments.exited ?? [],
    crossings: [],
    top: [],
    nextDueAt: null,
  };
  const row = scoreRowOf(ws, user, changes, { messageId: `${user}-m${i}`, type: 'track', name: 'Viewed', timestamp: '' }, 'b2b-saas');
  if (!row) throw new Error('no row');
  return row;
}


const streamsOf = (s: SinkSource) => Array.from({ length: s.partitions }, (_, p) => s.stream(p));

beforeAll(async () => {
  env = await openSinkTestEnv(prefix, log);
  ({ redis, blocking, ch } = env);
});
afterEach(async () => {
  await sink?.stop();
  sink = undefined;
});
afterAll(() => env.close());

describe('ClickHouse sink, score history', () => {
  it('stores score rows in score_changes and segment_changes exactly once, next to the log, and trims them', async () => {
    const { keys, scores, ws } = fresh(3);
    // 40 users × 10 calls, 1-3 rows per entry as the scorer batches them; user u0 enters then leaves a segment.
    let written = 0;
    for (let u = 0; u < 40; u++) {
      const user = `u${u}`;
      const calls = Array.from({ length: 10 }, (_, i) =>
        scoreRow(ws, user, i, u === 0 && i === 3 ? { entered: ['hot', 'pricing-researchers'] } : u === 0 && i === 7 ? { exited: ['hot'] } : {}),
      );
      for (let i = 0; i < calls.length; i += 1 + (u % 3)) {
        await redis.xadd(scores.stream(u % 3), '*', 'sc', calls.slice(i, i + 1 + (u % 3)).join('\n'));
      }
      written += calls.length;
    }
    const replay = [scoreRow(ws, 'u0', 3, { entered: ['hot', 'pricing-researchers'] }), scoreRow(ws, 'u1', 1)];
    await redis.xadd(scores.stream(0), '*', 'sc', replay.join('\n')); // a redelivered scorer write
    for (let i = 0; i < 30; i++) await redis.xadd(keys.stream(i % 3), '*', 'ev', lines([storedEvent({ workspaceId: ws, messageId: `e${i}` })]));

    const observed = { rows: 0, dead: 0 };
    await startSink(keys, observed, 50);
    await waitFor(async () => (await drained(redis, streamsOf(scores), SINK_GROUP)) && drained(redis, keys.streams(), SINK_GROUP), {
      what: 'scores and log drained',
    });
    expect(observed).toEqual({ rows: written + replay.length + 30, dead: 0 });
    // Each stored once (acknowledged after the insert); the replay collapses under FINAL.
    expect(await countRows(env, 'score_changes', ws, false)).toBe(written + replay.length);
    expect(await countRows(env, 'score_changes', ws, true)).toBe(written);
    expect(await countRows(env, 'events', ws, true)).toBe(30);
    expect(await countRows(env, 'segment_changes', ws, false)).toBe(5);

    const [change] = await rows<Record<string, unknown>>(
      ch.client,
      'SELECT user_key, at, message_id, model, score_before, score_after, awards FROM score_changes FINAL WHERE workspace_id = {ws:String} AND message_id = {id:String}',
      { ws, id: 'u0-m3' },
    );
    expect(change).toEqual({
      user_key: 'u0',
      at: '2024-05-01T12:00:03.123Z',
      message_id: 'u0-m3',
      model: 'b2b-saas',
      score_before: 30,
      score_after: 40,
      awards: '[{"rule":"pricing-page","points":10,"capped":true}]',
    });
    const segments = await rows<Record<string, unknown>>(
      ch.client,
      'SELECT segment, user_key, change, at, score, message_id FROM segment_changes FINAL WHERE workspace_id = {ws:String} ORDER BY at, segment',
      { ws },
    );
    expect(segments).toEqual([
      { segment: 'hot', user_key: 'u0', change: 'entered', at: '2024-05-01T12:00:03.123Z', score: 40, message_id: 'u0-m3' },
      { segment: 'pricing-researchers', user_key: 'u0', change: 'entered', at: '2024-05-01T12:00:03.123Z', score: 40, message_id: 'u0-m3' },
      { segment: 'hot', user_key: 'u0', change: 'exited', at: '2024-05-01T12:00:07.123Z', score: 80, message_id: 'u0-m7' },
    ]);
    // Consumed score entries are trimmed like the log's.
    await waitFor(async () => (await Promise.all(streamsOf(scores).map((s) => redis.xlen(s)))).every((len) => len === 0), {
      what: 'scores streams trimmed',
    });
  });

  it('dead-letters poison score entries to the scores dead-letter stream while neighbours land', async () => {
    const { keys, scores, ws } = fresh(1);
    const stream = scores.stream(0);
    const good = (i: number) => scoreRow(ws, 'g', i, i === 2 ? { entered: ['hot'] } : {});
    const row = (patch: Record<string, unknown>, drop?: string) => {
      const o = { ...(JSON.parse(good(9)) as Record<string, unknown>), ...patch };
      if (drop) delete o[drop];
      return JSON.stringify(o);
    };
    const add = async (field: string, text: string) => (await redis.xadd(stream, '*', field, text)) ?? '';
    await add('sc', good(1));
    const badJson = await add('sc', '{not json');
    await add('sc', good(2));
    const missing = await add('sc', row({}, 'exited'));
    const nullScore = await add('sc', row({ score_after: null }));
    const badTime = await add('sc', row({ at: '2400-01-01 00:00:00.000' }));
    const badAwards = await add('sc', row({ awards: 'not json' }));
    const mixed = await add('sc', `${good(3)}\n${row({}, 'model')}`); // one bad line spoils its entry
    const noField = await add('ev', good(4));
    await add('sc', good(5));
    const observed = { rows: 0, dead: 0 };
    await startSink(keys, observed);
    await waitFor(() => drained(redis, [stream], SINK_GROUP), { what: 'scores drained' });

    const stored = await rows<{ message_id: string }>(ch.client, 'SELECT message_id FROM score_changes FINAL WHERE workspace_id = {ws:String} ORDER BY at', { ws });
    expect(stored.map((r) => r.message_id)).toEqual(['g-m1', 'g-m2', 'g-m5']);
    expect(await countRows(env, 'segment_changes', ws, true)).toBe(1);
    const dead = await redis.xrange(scores.deadLetter(0), '-', '+');
    const errors = new Map(dead.map(([, f]) => [f[f.indexOf('source_id') + 1], f[f.indexOf('error') + 1]]));
    expect([...errors.keys()].sort()).toEqual([badJson, missing, nullScore, badTime, badAwards, mixed, noField].sort());
    expect(errors.get(noField)).toBe('entry has no "sc" field');
    expect(errors.get(badAwards)).toMatch(/clickhouse refused.*awards_is_array/);
    expect(errors.get(badTime)).toMatch(/clickhouse refused.*at_storable/);
    expect(errors.get(missing)).toMatch(/clickhouse refused.*NULL.*exited/);
    expect(errors.get(nullScore)).toMatch(/clickhouse refused.*scores_finite/);
    expect(await redis.xlen(keys.deadLetter(0))).toBe(0); // the log's dead letters are its own
    expect(observed.dead).toBe(7);
  });
});
