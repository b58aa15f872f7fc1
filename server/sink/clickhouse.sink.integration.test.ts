import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../tests/helpers/clickhouse.ts';
import { drained, testPrefix } from '../../tests/helpers/redis.ts';
import { countRows, openSinkTestEnv, type SinkTestEnv } from '../../tests/helpers/sink.ts';
import { lines, rejectedEvent, storedEvent } from '../../tests/helpers/stored-events.ts';
import { waitFor } from '../../tests/helpers/wait.ts';
import { logKeys, type LogKeys } from '../log/keys.ts';
import { trimLog } from '../log/trim.ts';
import { createLogger } from '../logger.ts';
import { createClickHouseSink, SINK_GROUP, type ClickHouseSink } from './clickhouse.sink.ts';

const log = createLogger(process.env.TEST_LOG ?? 'silent');
const prefix = testPrefix();
let redis: Redis;
let blocking: Redis;
let ch: SinkTestEnv['ch'];
let env: SinkTestEnv;
let sink: ClickHouseSink | undefined;
let n = 0;

const config = {
  WARMLINE_SINK_BATCH_ROWS: 500,
  WARMLINE_SINK_MAX_AGE_MS: 100,
  WARMLINE_CLAIM_IDLE_MS: 1_000,
  WARMLINE_MAX_DELIVERIES: 10,
};

/** Fresh keys (a prefix derived from the file's) and a workspace per test, so tests do not see each other. */
function fresh(partitions = 3): { keys: LogKeys; ws: string } {
  n++;
  return { keys: logKeys(`${prefix}-${n}`, partitions), ws: `ws-${prefix}-${n}` };
}

function startSink(keys: LogKeys, overrides: Partial<typeof config> = {}, observed?: { rows: number; dead: number }) {
  sink = createClickHouseSink({
    redis,
    blocking,
    clickhouse: ch.client,
    keys,
    log,
    config: { ...config, ...overrides },
    trimEveryMs: 0,
    observer: observed && {
      batch: (r) => void (observed.rows += r),
      deadLettered: (d) => void (observed.dead += d),
    },
  });
  return sink.start();
}


beforeAll(async () => {
  env = await openSinkTestEnv(prefix, log);
  ({ redis, blocking, ch } = env);
});
afterEach(async () => {
  await sink?.stop();
  sink = undefined;
});
afterAll(() => env.close());

describe('ClickHouse sink', () => {
  it('stores every event and reject exactly once, and acknowledges them', async () => {
    const { keys, ws } = fresh();
    const events = Array.from({ length: 1_200 }, (_, i) => storedEvent({ workspaceId: ws, messageId: `m${i}`, userKey: `u${i % 7}` }));
    const rejects = [rejectedEvent({ workspaceId: ws }), rejectedEvent({ workspaceId: ws })];
    for (let i = 0; i < events.length; i += 40) {
      await redis.xadd(keys.stream(i % keys.partitions), '*', 'ev', lines(events.slice(i, i + 40)));
    }
    await redis.xadd(keys.stream(0), '*', 'ev', lines(events.slice(0, 5)), 'rj', lines(rejects)); // a redelivery
    const observed = { rows: 0, dead: 0 };
    await startSink(keys, {}, observed);
    await waitFor(() => drained(redis, keys.streams(), SINK_GROUP), { what: 'log drained' });
    expect(await countRows(env, 'events', ws)).toBe(1_200);
    expect(await countRows(env, 'rejected_events', ws)).toBe(2);
    expect(observed).toEqual({ rows: 1_207, dead: 0 });
    const [row] = await rows<Record<string, unknown>>(
      ch.client,
      'SELECT event, page_path, timestamp, sent_at, is_bot, JSONExtractFloat(properties, {k:String}) AS price FROM events FINAL WHERE workspace_id = {ws:String} AND message_id = {id:String}',
      { ws, id: 'm3', k: 'price' },
    );
    expect(row).toEqual({
      event: 'Product Viewed',
      page_path: '/products/1',
      timestamp: '2024-05-01T12:00:00.123Z',
      sent_at: '2024-05-01T12:00:00.200Z',
      is_bot: false,
      price: 19.99,
    });
  });

  it('retries while ClickHouse is down, losing and duplicating nothing', async () => {
    const { keys, ws } = fresh(2);
    let failures = 3;
    const flaky = new Proxy(ch.client, {
      get(target, prop, receiver) {
        // Whichever call the sink inserts with.
        if ((prop === 'insert' || prop === 'exec' || prop === 'command') && failures > 0) {
          return () => {
            failures--;
            return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }));
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const retries: number[] = [];
    const observed = { rows: 0, dead: 0 };
    sink = createClickHouseSink({
      redis,
      blocking,
      clickhouse: flaky,
      keys,
      log,
      config,
      trimEveryMs: 0,
      observer: { batch: (r) => void (observed.rows += r), deadLettered: (d) => void (observed.dead += d), retrying: (a) => void retries.push(a) },
    });
    for (let i = 0; i < 10; i++) {
      await redis.xadd(keys.stream(i % 2), '*', 'ev', lines([storedEvent({ workspaceId: ws, messageId: `r${i}` })]));
    }
    await sink.start();
    await waitFor(() => drained(redis, keys.streams(), SINK_GROUP), { what: 'log drained after outage', timeoutMs: 15_000 });
    expect(retries).toHaveLength(3);
    expect(await countRows(env, 'events', ws, false)).toBe(10);
    expect(observed).toEqual({ rows: 10, dead: 0 });
  });

  it('dead-letters poison entries (bad JSON, wrong shape, refused by ClickHouse) while neighbours land', async () => {
    const { keys, ws } = fresh(1);
    await ch.client.command({ query: `ALTER TABLE events ADD CONSTRAINT no_boom CHECK event != 'boom'` });
    try {
      const good = (id: string) => lines([storedEvent({ workspaceId: ws, messageId: id })]);
      const stream = keys.stream(0);
      await redis.xadd(stream, '*', 'ev', good('g1'));
      const badJson = await redis.xadd(stream, '*', 'ev', '{not json');
      await redis.xadd(stream, '*', 'ev', good('g2'));
      const badShape = await redis.xadd(stream, '*', 'ev', JSON.stringify({ v: 2, hello: 'world' }));
      const refused = await redis.xadd(stream, '*', 'ev', lines([storedEvent({ workspaceId: ws, messageId: 'b1', event: { event: 'boom' } })]));
      const noField = await redis.xadd(stream, '*', 'other', 'x');
      await redis.xadd(stream, '*', 'ev', good('g3'));
      const observed = { rows: 0, dead: 0 };
      await startSink(keys, {}, observed);
      await waitFor(() => drained(redis, keys.streams(), SINK_GROUP), { what: 'log drained' });
      expect(await countRows(env, 'events', ws)).toBe(3);
      const dead = await redis.xrange(keys.deadLetter(0), '-', '+');
      const byId = new Map<string | null | undefined, string[]>(dead.map(([, f]) => [f[f.indexOf('source_id') + 1], f]));
      expect([...byId.keys()].sort()).toEqual([badJson, badShape, refused, noField].sort());
      expect(byId.get(badJson)?.slice(0, 2)).toEqual(['ev', '{not json']);
      expect(byId.get(badJson)).toContain('error');
      const refusedFields = byId.get(refused) ?? [];
      expect(refusedFields[refusedFields.indexOf('error') + 1]).toMatch(/clickhouse refused.*no_boom/);
      expect(observed.dead).toBe(4);
    } finally {
      await ch.client.command({ query: 'ALTER TABLE events DROP CONSTRAINT no_boom' });
    }
  });

  it('claims the pending entries of a dead consumer, and dead-letters entries delivered too often', async () => {
    const { keys, ws } = fresh(2);
    await redis.xgroup('CREATE', keys.stream(0), SINK_GROUP, '0', 'MKSTREAM');
    await redis.xgroup('CREATE', keys.stream(1), SINK_GROUP, '0', 'MKSTREAM');
    await redis.xadd(keys.stream(0), '*', 'ev', lines([storedEvent({ workspaceId: ws, messageId: 'orphan' })]));
    const cursed = await redis.xadd(keys.stream(1), '*', 'ev', lines([storedEvent({ workspaceId: ws, messageId: 'cursed' })]));
    // A consumer reads both, then "crashes"; the cursed entry has been delivered many times already.
    await redis.call('XREADGROUP', 'GROUP', SINK_GROUP, 'dead', 'STREAMS', keys.stream(0), keys.stream(1), '>', '>');
    for (let i = 0; i < 10; i++) await redis.call('XCLAIM', keys.stream(1), SINK_GROUP, 'dead', '0', cursed ?? '');
    await startSink(keys);
    await waitFor(() => drained(redis, keys.streams(), SINK_GROUP), { what: 'orphans claimed', timeoutMs: 10_000 });
    expect(await countRows(env, 'events', ws)).toBe(1);
    const [[, fields] = ['', []]] = await redis.xrange(keys.deadLetter(1), '-', '+');
    expect(fields[fields.indexOf('error') + 1]).toMatch(/delivered 12 times/);
  });

  it('trims only entries every group acknowledged', async () => {
    const { keys } = fresh(2);
    const s0 = keys.stream(0);
    const s1 = keys.stream(1);
    for (let i = 0; i < 6; i++) await redis.xadd(s0, '*', 'ev', `x${i}`);
    await redis.xadd(s1, '*', 'ev', 'no scorer group here');
    await redis.xgroup('CREATE', s0, SINK_GROUP, '0');
    await redis.xgroup('CREATE', s1, SINK_GROUP, '0');
    // The sink reads 4 and acknowledges 2 (2 pending, 2 never delivered).
    const read = (await redis.xreadgroup('GROUP', SINK_GROUP, 'c', 'COUNT', '4', 'STREAMS', s0, '>')) as [string, [string, string[]][]][];
    const ids = read[0]?.[1].map(([id]) => id) ?? [];
    await redis.xack(s0, SINK_GROUP, ...ids.slice(0, 2));
    await redis.xreadgroup('GROUP', SINK_GROUP, 'c', 'STREAMS', s1, '>');
    await redis.xack(s1, SINK_GROUP, (await redis.xrange(s1, '-', '+'))[0]![0]);
    expect(await trimLog(redis, keys)).toBe(0); // the scorer group is missing: nothing may go
    // The scorer reads and acknowledges everything on partition 0.
    await redis.xgroup('CREATE', s0, 'scorer', '0');
    const all = (await redis.xreadgroup('GROUP', 'scorer', 's', 'STREAMS', s0, '>')) as [string, [string, string[]][]][];
    await redis.xack(s0, 'scorer', ...(all[0]?.[1].map(([id]) => id) ?? []));
    expect(await trimLog(redis, keys)).toBe(2); // what both acknowledged on partition 0
    expect(await redis.xlen(s0)).toBe(4);
    expect(await redis.xlen(s1)).toBe(1); // still no scorer group there
    await redis.xack(s0, SINK_GROUP, ...ids.slice(2));
    expect(await trimLog(redis, keys)).toBe(2);
    expect((await redis.xrange(s0, '-', '+')).map(([, f]) => f[1])).toEqual(['x4', 'x5']);
  });
});
