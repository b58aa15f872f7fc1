import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../schema/stored-event.ts';
import { applyDue, applyEvent, compileModel, type ScoreState } from '../scoring/engine/index.ts';
import { loadModelFile } from '../scoring/model/load.ts';
import { scoreRowOf } from '../scoring/runtime/outputs.ts';
import { rows, tempClickHouse } from '../tests/helpers/clickhouse.ts';
import { CONVERSION_EVENT, generateUsers, windowOf } from './generator.ts';
import { DEFAULT_MODEL, Ingest, seedClickHouse, type SeedResult } from './seed.ts';

const ch = tempClickHouse();
const WS = 'ws_seed_it';
const opts = { workspaceId: WS, users: 200, days: 14, seed: 11, start: Date.UTC(2025, 2, 3) };
/** The scorer's clock when seeding: a day after the window, so the timers due by then have run. */
const NOW = windowOf(opts).end + 86_400_000;
const users = [...generateUsers(opts)];
const generated = users.reduce((n, u) => n + u.events.length, 0);
let seeded: SeedResult;

beforeAll(async () => {
  seeded = await seedClickHouse(ch.client, { ...opts, now: NOW });
});
afterAll(() => ch.dispose());

const count = async (query: string, params: Record<string, unknown> = {}) =>
  Number((await rows<{ n: string }>(ch.client, query, { ws: WS, ...params }))[0]?.n ?? NaN);

describe('seedClickHouse', () => {
  it('stores every generated event once, mapped as the sink maps them', async () => {
    expect(seeded.events).toBe(generated);
    expect(seeded.users).toBe(200);
    expect(await count('SELECT count() AS n FROM events FINAL WHERE workspace_id = {ws:String}')).toBe(generated);
    expect(await count("SELECT count() AS n FROM events WHERE workspace_id = {ws:String} AND type = 'page' AND page_path = ''")).toBe(0);
    const revenue = users.reduce((n, { user }) => n + (user.revenue ?? 0), 0);
    expect(revenue).toBeGreaterThan(0);
    const [stored] = await rows<{ revenue: number }>(
      ch.client,
      'SELECT sum(JSONExtractFloat(properties, {key:String})) AS revenue FROM events FINAL WHERE workspace_id = {ws:String} AND event = {event:String}',
      { ws: WS, key: 'revenue', event: CONVERSION_EVENT },
    );
    expect(stored?.revenue).toBe(revenue);
  });

  it('writes the score history and segment changes the scorer would have', async () => {
    expect(seeded.scoreRows).toBeGreaterThan(generated / 4);
    expect(seeded.segmentRows).toBeGreaterThan(50);
    // Not FINAL (one insert, one part, nothing merged yet): a stitch and the event that caused it are
    // two rows that the table's key collapses, live as here.
    expect(await count('SELECT count() AS n FROM score_changes WHERE workspace_id = {ws:String}')).toBe(seeded.scoreRows);
    expect(await count('SELECT count() AS n FROM segment_changes WHERE workspace_id = {ws:String}')).toBe(seeded.segmentRows);
    expect(await count("SELECT uniqExact(user_key) AS n FROM segment_changes WHERE workspace_id = {ws:String} AND segment = 'high-intent'")).toBeGreaterThan(5);
  });

  it("ends an identified user's history at the score the engine gives their events", async () => {
    const cm = compileModel(await loadModelFile(DEFAULT_MODEL));
    const user = users.find((u) => u.user.persona === 'buyer' && u.user.revenue !== null);
    expect(user).toBeDefined();
    const { user: who, events } = user!;
    // All of the user's events on one state, timers run when due (to NOW): no routing or stitching involved.
    const stored = [...new Ingest(WS, opts.seed).lines(events)].map((l) => JSON.parse(l) as StoredEvent);
    let state: ScoreState | undefined;
    let due: number | null = null;
    let score = NaN;
    const apply = (r: ReturnType<typeof applyDue>) => {
      state = r.state;
      due = r.changes.nextDueAt;
      // The score of the last call that wrote a history row.
      if (scoreRowOf(WS, 'u', r.changes, undefined, 'm')) score = r.changes.scoreAfter;
    };
    const runDue = (until: number) => {
      for (let at = due; state && at !== null && at <= until; at = due) apply(applyDue(cm, state, at));
    };
    for (const e of stored) {
      const at = Date.parse(e.timestamp);
      runDue(at);
      apply(applyEvent(cm, state, e, at));
    }
    runDue(NOW);
    const [row] = await rows<{ user_key: string; score_after: number }>(
      ch.client,
      'SELECT user_key, score_after FROM score_changes FINAL WHERE workspace_id = {ws:String} AND user_key = {key:String} ORDER BY at DESC LIMIT 1',
      { ws: WS, key: who.userId },
    );
    expect(row?.score_after).toBeCloseTo(score, 3);
    expect(score).toBeGreaterThan(30);
    const anonymous = await count('SELECT count() AS n FROM score_changes FINAL WHERE workspace_id = {ws:String} AND user_key = {key:String}', { key: who.anonymousId });
    expect(anonymous).toBeGreaterThan(0);
  });

  it('collapses a re-run with the same seed onto the same rows', async () => {
    const history = await count('SELECT count() AS n FROM score_changes FINAL WHERE workspace_id = {ws:String}');
    const again = await seedClickHouse(ch.client, { ...opts, now: NOW });
    expect(again).toEqual(seeded);
    expect(await count('SELECT count() AS n FROM events FINAL WHERE workspace_id = {ws:String}')).toBe(generated);
    expect(await count('SELECT count() AS n FROM score_changes FINAL WHERE workspace_id = {ws:String}')).toBe(history);
  });
});
