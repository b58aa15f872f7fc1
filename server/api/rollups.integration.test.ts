import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../schema/stored-event.ts';
import { tempClickHouse } from '../../tests/helpers/clickhouse.ts';
import { lines, storedEvent } from '../../tests/helpers/stored-events.ts';
import { MIGRATIONS_DIR, migrate } from '../clickhouse/migrate.ts';
import { createLogger } from '../logger.ts';
import { insertTables } from '../sink/insert.ts';
import { EVERYONE, segmentKpis } from './kpis.query.ts';
import { segmentCounts } from './segments.query.ts';

const ch = tempClickHouse();
const log = createLogger('silent');
const WS = 'ws-rollups';
const spec = { conversionEvent: 'Subscription Started', revenueProperties: ['revenue'] };
const window = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-04T00:00:00Z') };
const kpisOf = async () => (await segmentKpis(ch.client, { workspaceId: WS, window, segments: ['hot'], everyone: true, spec })).get(EVERYONE);

function ev(id: string, at: string, e: { event?: string; revenue?: number } = {}): StoredEvent {
  return storedEvent({
    workspaceId: WS,
    messageId: id,
    userKey: 'u1',
    timestamp: at,
    event: { type: 'track', messageId: id, userId: 'u1', event: e.event ?? 'Viewed', properties: e.revenue === undefined ? {} : { revenue: e.revenue } },
  });
}
const insert = async (table: 'events_in' | 'score_changes_in', rows: object[]) => expect(await insertTables(ch.client, [[table, lines(rows)]])).toEqual({ kind: 'ok' });
const change = (at: string, c: { entered?: string[]; exited?: string[] }) => ({
  workspace_id: WS, user_key: 'u1', at, message_id: `m-${at}`, model: 'm', score_before: 0, score_after: 1, awards: '[]', entered: c.entered ?? [], exited: c.exited ?? [],
});

afterAll(async () => {
  await ch.dispose();
});

describe('dashboard rollups (migration 0004)', () => {
  it('backfills what was stored before, then keeps exact counts under redelivery and late events', async () => {
    // A database at 0003 holding data, then migrated: the rollups are backfilled.
    const early = mkdtempSync(join(tmpdir(), 'warmline-migrations-'));
    try {
      for (const f of ['0001_events.sql', '0002_rejected_events.sql', '0003_score_history.sql']) cpSync(join(MIGRATIONS_DIR, f), join(early, f));
      await migrate(ch.client, log, early);
    } finally {
      rmSync(early, { recursive: true, force: true });
    }
    await insert('events_in', [ev('a', '2026-03-01T23:50:00.000Z'), ev('b', '2026-03-02T00:10:00.000Z', { event: 'Subscription Started', revenue: 40 })]);
    await insert('score_changes_in', [change('2026-02-20 10:00:00.000', { entered: ['hot'] })]);
    expect(await migrate(ch.client, log)).toContain('0004_dashboard_rollups');
    // Across midnight, 20 minutes apart: one session over two days.
    expect(await kpisOf()).toMatchObject({ users: 1, converted: 1, eventsPerUser: 2, sessionsPerUser: 1, revenuePerUser: 40 });

    // Redelivered (in another insert, not merged yet), and a late event that splits nothing but adds a session.
    await insert('events_in', [ev('a', '2026-03-01T23:50:00.000Z'), ev('b', '2026-03-02T00:10:00.000Z', { event: 'Subscription Started', revenue: 40 })]);
    await insert('events_in', [ev('c', '2026-03-01T08:00:00.000Z')]);
    await insert('score_changes_in', [change('2026-02-20 10:00:00.000', { entered: ['hot'] }), change('2026-03-02 12:00:00.000', { exited: ['hot'] })]);
    expect(await kpisOf()).toMatchObject({ users: 1, converted: 1, eventsPerUser: 3, sessionsPerUser: 2, revenuePerUser: 40 });
    const hot = (await segmentKpis(ch.client, { workspaceId: WS, window, segments: ['hot'], everyone: false, spec })).get('hot');
    expect(hot).toMatchObject({ users: 1, converted: 1, eventsPerUser: 3, sessionsPerUser: 2, medianSecondsToConvert: (9 * 86_400 + 14 * 3_600 + 600) });
    expect((await segmentCounts(ch.client, { workspaceId: WS, window, segments: ['hot'] })).get('hot')).toEqual({ size: 0, entered: 0, exited: 1 });
  });
});
