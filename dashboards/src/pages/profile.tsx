import { useEffect, useState } from 'preact/hooks';
import type { ProfileHistoryResponse } from '../../../schema/dashboard.ts';
import type { TimelineEvent } from '../../../server/api/events.query.ts';
import type { Profile } from '../../../scoring/runtime/profile.ts';
import { api, withQuery } from '../lib/api.ts';
import { fmtAgo, fmtDateTime, fmtInt, fmtNum, fmtPoints } from '../lib/format.ts';
import { segmentPath } from '../lib/router.ts';
import { useApi } from '../lib/use-api.ts';
import { ChangesTable } from '../components/changes.tsx';
import { TimeChart } from '../components/chart.tsx';
import { Async, Card, Empty, Json, Link, Stat } from '../components/ui.tsx';

interface EventsPage {
  events: TimelineEvent[];
  nextCursor: string | null;
}

/** One lead: score now and why, history, segments, traits, identities and the event timeline. */
export function ProfilePage(props: { userId: string }) {
  const id = encodeURIComponent(props.userId);
  const profile = useApi<Profile>(`/api/profiles/${id}`);
  const history = useApi<ProfileHistoryResponse>(`/api/profiles/${id}/history?days=30`);
  return (
    <div class="page">
      <div class="page-head">
        <h1 class="ellipsis" data-testid="profile-id" title={props.userId}>
          {props.userId}
        </h1>
      </div>
      {profile.state === 'error' && profile.status === 404 ? (
        <Card>
          <Empty>No score for this user yet: it appears once the scorer has seen one of their events.</Empty>
        </Card>
      ) : (
        <Async value={profile} what="the profile" render={(p) => <ProfileSummary p={p} />} />
      )}
      <div class="grid-2">
        <Card title="Score history (30 days)">
          <Async
            value={history}
            what="the history"
            render={(h) =>
              h.scores.length === 0 ? (
                <Empty>No score changes recorded yet.</Empty>
              ) : (
                <TimeChart times={h.scores.map((s) => Date.parse(s.at) / 1000)} series={[{ label: 'Score', values: h.scores.map((s) => s.score), color: '#4f46e5', stepped: true }]} until={Date.now() / 1000} testId="score-chart" />
              )
            }
          />
        </Card>
        <Card title="Segment entries and exits">
          <Async
            value={history}
            what="segment changes"
            render={(h) =>
              h.segments.length === 0 ? (
                <Empty>No segment changes yet.</Empty>
              ) : (
                <ChangesTable
                  first="Segment"
                  rows={[...h.segments].reverse().map((x) => ({ label: x.segment, to: segmentPath(x.segment), change: x.change, score: x.score, at: x.at }))}
                />
              )
            }
          />
        </Card>
      </div>
      <Timeline userId={props.userId} />
    </div>
  );
}

function ProfileSummary(props: { p: Profile }) {
  const { p } = props;
  const traits = Object.entries(p.traits);
  return (
    <>
      <div class="stats">
        <Stat label="Score" value={fmtNum(p.score)} testId="profile-score" />
        <Stat label="Behaviour" value={fmtNum(p.behaviour)} hint="Decayed behaviour points" />
        <Stat label="Fit" value={fmtNum(p.fit)} hint="Who the lead is" />
        <Stat label="First seen" value={p.firstSeen ? fmtAgo(p.firstSeen) : '—'} />
        <Stat label="Last seen" value={p.lastSeen ? fmtAgo(p.lastSeen) : '—'} />
      </div>
      <div class="grid-2">
        <Card title="Score breakdown" testId="breakdown">
          {p.rules.length === 0 ? (
            <Empty>No rule contributes to this score.</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Rule</th>
                    <th>Kind</th>
                    <th class="num">Points</th>
                  </tr>
                </thead>
                <tbody>
                  {p.rules.map((r) => (
                    <tr key={r.rule} data-testid="breakdown-row">
                      <td>
                        <div data-testid="breakdown-rule">{r.rule}</div>
                        {r.description && <div class="muted small">{r.description}</div>}
                      </td>
                      <td>{r.kind}</td>
                      <td class={`num ${r.points < 0 ? 'neg' : ''}`} data-testid="breakdown-points">
                        {fmtPoints(r.points)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div class="chips">
            {p.segments.length === 0 ? <span class="muted">In no segment</span> : p.segments.map((s) => (
              <Link key={s} to={segmentPath(s)} class="chip" testId="profile-segment">
                {s}
              </Link>
            ))}
          </div>
        </Card>
        <div class="stack">
          <Card title="Traits">
            {traits.length === 0 ? (
              <Empty>No traits yet (they come from identify and group calls).</Empty>
            ) : (
              <table class="kv" data-testid="traits">
                <tbody>
                  {traits.map(([k, v]) => (
                    <tr key={k}>
                      <th>{k}</th>
                      <td>{String(v)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          <Card title="Identities">
            <table class="kv" data-testid="identities">
              <tbody>
                <tr>
                  <th>User</th>
                  <td class="mono">{p.userKey}</td>
                </tr>
                {p.anonymousIds.map((a) => (
                  <tr key={a}>
                    <th>Anonymous id</th>
                    <td class="mono">{a}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          <Card title="Counters">
            <table class="kv">
              <tbody>
                {Object.entries(p.counters).map(([k, v]) => (
                  <tr key={k}>
                    <th>{k}</th>
                    <td class="num">{fmtInt(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        </div>
      </div>
    </>
  );
}

/** The user's events from ClickHouse, newest first, a page at a time. */
function Timeline(props: { userId: string }) {
  const [pages, setPages] = useState<EventsPage[]>([]);
  /** 'loading', 'idle', or the last error's message. */
  const [state, setState] = useState<string>('loading');
  const load = (cursor?: string) => {
    setState('loading');
    api<EventsPage>(withQuery(`/api/profiles/${encodeURIComponent(props.userId)}/events`, { limit: 50, cursor })).then(
      (page) => {
        setPages((prev) => [...(cursor ? prev : []), page]);
        setState('idle');
      },
      (err: unknown) => setState(err instanceof Error ? err.message : String(err)),
    );
  };
  useEffect(() => load(), [props.userId]);
  const events = pages.flatMap((p) => p.events);
  const next = pages.at(-1)?.nextCursor ?? null;
  return (
    <Card
      title="Events"
      actions={
        <button type="button" class="ghost" onClick={() => load()} data-testid="timeline-refresh">
          Refresh
        </button>
      }
    >
      {events.length === 0 && state === 'idle' ? (
        <Empty>No stored events yet (the sink writes them to ClickHouse within a second or two).</Empty>
      ) : (
        <div class="table-wrap">
          <table class="timeline" data-testid="timeline">
            <thead>
              <tr>
                <th>When</th>
                <th>Type</th>
                <th>Event / page</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.messageId} data-testid="timeline-row">
                  <td class="nowrap" title={fmtDateTime(e.timestamp)}>
                    {fmtDateTime(e.timestamp)}
                  </td>
                  <td>{e.type}</td>
                  <td class="wrap" data-testid="timeline-name">
                    {e.event ?? e.name ?? e.pagePath ?? '—'}
                    {e.pagePath && (e.event ?? e.name) && <div class="muted small mono">{e.pagePath}</div>}
                  </td>
                  <td>
                    <details>
                      <summary>properties</summary>
                      <Json value={{ properties: e.properties, traits: e.traits, userId: e.userId, anonymousId: e.anonymousId }} />
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {state === 'loading' && <div class="loading">Loading events…</div>}
      {state !== 'loading' && state !== 'idle' && <div class="error">Could not load events: {state}</div>}
      {next && state === 'idle' && (
        <button type="button" class="ghost more" onClick={() => load(next)} data-testid="timeline-more">
          Load older events
        </button>
      )}
    </Card>
  );
}
