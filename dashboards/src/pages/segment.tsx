import type { SegmentDetailResponse } from '../../../schema/dashboard.ts';
import { fmtInt } from '../lib/format.ts';
import { profilePath } from '../lib/router.ts';
import { useApi } from '../lib/use-api.ts';
import { ChangesTable } from '../components/changes.tsx';
import { TimeChart } from '../components/chart.tsx';
import { KPI_COLUMNS } from '../components/kpis.tsx';
import { Async, Card, Empty, Json, Link, Stat } from '../components/ui.tsx';

const dayTime = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

/** One segment: size over time, entries and exits per day, KPIs, definition, latest changes. */
export function SegmentPage(props: { segmentId: string }) {
  const detail = useApi<SegmentDetailResponse>(`/api/segments/${encodeURIComponent(props.segmentId)}`);
  return (
    <div class="page">
      <Async
        value={detail}
        what="the segment"
        render={(r) => {
          const times = r.days.map((d) => dayTime(d.day));
          return (
            <>
              <div class="page-head">
                <h1>
                  <Link to="/segments" class="crumb">
                    Segments
                  </Link>{' '}
                  / {r.segment.name}
                </h1>
                <Link to={`/compare?segments=${encodeURIComponent(r.segment.id)}`} class="button ghost">
                  Compare…
                </Link>
              </div>
              {r.segment.description && <p class="muted">{r.segment.description}</p>}
              <div class="stats">
                <Stat label="Size now" value={fmtInt(r.segment.size)} testId="detail-size" />
                <Stat label="Entered" value={fmtInt(r.segment.entered)} testId="detail-entered" />
                <Stat label="Exited" value={fmtInt(r.segment.exited)} testId="detail-exited" />
                {KPI_COLUMNS.filter((c) => c.key !== 'users').map((c) => (
                  <Stat key={c.key} label={c.label} value={c.fmt(r.segment.kpis)} testId={`detail-${c.key}`} />
                ))}
              </div>
              <div class="grid-2">
                <Card title="Size over time">
                  {r.days.length === 0 ? <Empty>No data in this window.</Empty> : <TimeChart times={times} series={[{ label: 'Members', values: r.days.map((d) => d.size), color: '#4f46e5' }]} testId="size-chart" />}
                </Card>
                <Card title="Entries and exits per day">
                  {r.days.length === 0 ? (
                    <Empty>No data in this window.</Empty>
                  ) : (
                    <TimeChart
                      times={times}
                      series={[
                        { label: 'Entered', values: r.days.map((d) => d.entered), color: '#16a34a', bars: true },
                        { label: 'Exited', values: r.days.map((d) => -d.exited), color: '#dc2626', bars: true },
                      ]}
                      testId="flow-chart"
                    />
                  )}
                </Card>
              </div>
              <div class="grid-2">
                <Card title="Latest entries and exits">
                  {r.recent.length === 0 ? (
                    <Empty>Nobody entered or left in this window.</Empty>
                  ) : (
                    <ChangesTable
                      first="User"
                      testId="recent-table"
                      rows={r.recent.map((x) => ({ label: x.userKey, to: profilePath(x.userKey), change: x.change, score: x.score, at: x.at }))}
                    />
                  )}
                </Card>
                <Card title="Definition">
                  <Json value={r.segment.definition} model />
                </Card>
              </div>
            </>
          );
        }}
      />
    </div>
  );
}
