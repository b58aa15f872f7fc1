import type { SegmentsResponse } from '../../../schema/dashboard.ts';
import { fmtDateTime, fmtInt } from '../lib/format.ts';
import { segmentPath } from '../lib/router.ts';
import { useApi } from '../lib/use-api.ts';
import { KPI_COLUMNS } from '../components/kpis.tsx';
import { Async, Card, Empty, Link } from '../components/ui.tsx';

/** Every segment of the model: size now, entries/exits and KPIs over the window, against everyone. */
export function SegmentsPage() {
  const segments = useApi<SegmentsResponse>('/api/segments');
  return (
    <div class="page">
      <div class="page-head">
        <h1>Segments</h1>
        <Link to="/compare" class="button ghost">
          Compare segments
        </Link>
      </div>
      <Async
        value={segments}
        what="segments"
        render={(r) => (
          <Card
            title={
              <>
                Last 30 days <span class="muted small">· {fmtDateTime(r.from)} – {fmtDateTime(r.to)} · conversion: {r.conversionEvent}</span>
              </>
            }
          >
            {r.segments.length === 0 ? (
              <Empty>The model defines no segment.</Empty>
            ) : (
              <div class="table-wrap">
                <table data-testid="segments-table">
                  <thead>
                    <tr>
                      <th>Segment</th>
                      <th class="num">Size now</th>
                      <th class="num">Entered</th>
                      <th class="num">Exited</th>
                      {KPI_COLUMNS.map((c) => (
                        <th key={c.key} class="num">
                          {c.label}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {r.segments.map((s) => (
                      <tr key={s.id} data-testid={`segment-row-${s.id}`}>
                        <td>
                          <Link to={segmentPath(s.id)}>{s.name}</Link>
                          {s.description && <div class="muted small clamp">{s.description}</div>}
                        </td>
                        <td class="num" data-testid="size">
                          {fmtInt(s.size)}
                        </td>
                        <td class="num" data-testid="entered">
                          {fmtInt(s.entered)}
                        </td>
                        <td class="num" data-testid="exited">
                          {fmtInt(s.exited)}
                        </td>
                        {KPI_COLUMNS.map((c) => (
                          <td key={c.key} class="num" data-testid={c.key}>
                            {c.fmt(s.kpis)}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                  <tfoot>
                    <tr data-testid="segment-row-everyone">
                      <td>Everyone</td>
                      <td class="num">—</td>
                      <td class="num">—</td>
                      <td class="num">—</td>
                      {KPI_COLUMNS.map((c) => (
                        <td key={c.key} class="num" data-testid={c.key}>
                          {c.fmt(r.everyone)}
                        </td>
                      ))}
                    </tr>
                  </tfoot>
                </table>
              </div>
            )}
          </Card>
        )}
      />
    </div>
  );
}
