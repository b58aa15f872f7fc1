import { useState } from 'preact/hooks';
import type { CompareItem, CompareResponse, SegmentsResponse } from '../../../schema/dashboard.ts';
import { withQuery } from '../lib/api.ts';
import { fmtNum, fmtPct } from '../lib/format.ts';
import { navigate } from '../lib/router.ts';
import { useApi } from '../lib/use-api.ts';
import { KPI_COLUMNS } from '../components/kpis.tsx';
import { Async, Card, Empty } from '../components/ui.tsx';

/** Pick 2–3 segments: KPIs side by side, and the events, pages and traits over-represented in each. */
export function ComparePage(props: { initial: string[] }) {
  const [picked, setPicked] = useState<string[]>(props.initial.slice(0, 3));
  const segments = useApi<SegmentsResponse>('/api/segments');
  const ready = picked.length >= 2;
  const compare = useApi<CompareResponse>(ready ? withQuery('/api/compare', { segments: picked.join(',') }) : null);
  const toggle = (id: string) => {
    const next = picked.includes(id) ? picked.filter((p) => p !== id) : picked.length < 3 ? [...picked, id] : picked;
    setPicked(next);
    navigate(withQuery('/compare', { segments: next.join(',') }), true);
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>Compare segments</h1>
      </div>
      <Card title="Segments (pick 2 or 3)">
        <Async
          value={segments}
          what="segments"
          render={(r) => (
            <div class="picker" data-testid="compare-picker">
              {r.segments.map((s) => (
                <label key={s.id} class={`pick ${picked.includes(s.id) ? 'on' : ''}`}>
                  <input type="checkbox" value={s.id} checked={picked.includes(s.id)} disabled={!picked.includes(s.id) && picked.length >= 3} onChange={() => toggle(s.id)} />
                  {s.name}
                </label>
              ))}
            </div>
          )}
        />
      </Card>
      {!ready ? (
        <Card>
          <Empty>Pick at least two segments to compare.</Empty>
        </Card>
      ) : (
        <Async value={compare} what="the comparison" render={(r) => <Comparison r={r} />} />
      )}
    </div>
  );
}

function Comparison(props: { r: CompareResponse }) {
  const { r } = props;
  return (
    <>
      <Card title="KPIs side by side">
        <div class="table-wrap">
          <table data-testid="compare-kpis">
            <thead>
              <tr>
                <th>KPI</th>
                {r.segments.map((s) => (
                  <th key={s.id} class="num">
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {KPI_COLUMNS.map((c) => (
                <tr key={c.key} data-testid={`kpi-${c.key}`}>
                  <td>{c.label}</td>
                  {r.segments.map((s) => (
                    <td key={s.id} class="num">
                      {c.fmt(s.kpis)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <div class="grid-3">
        <LiftTable title="Events" items={r.events} names={r.segments.map((s) => s.name)} testId="compare-events" />
        <LiftTable title="Pages" items={r.pages} names={r.segments.map((s) => s.name)} testId="compare-pages" />
        <LiftTable title="Traits" items={r.traits} names={r.segments.map((s) => s.name)} testId="compare-traits" />
      </div>
    </>
  );
}

/** Share of each segment's members having the item, and its lift against the other segments. */
function LiftTable(props: { title: string; items: CompareItem[]; names: string[]; testId: string }) {
  return (
    <Card title={props.title}>
      {props.items.length === 0 ? (
        <Empty>Nothing to compare.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="lift" data-testid={props.testId}>
            <thead>
              <tr>
                <th>{props.title.replace(/s$/, '')}</th>
                {props.names.map((n) => (
                  <th key={n} class="num" title={`Share of ${n} members · lift vs the others`}>
                    {n}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.items.map((it) => (
                <tr key={it.key} data-testid="lift-row">
                  <td class="wrap" data-testid="lift-key">
                    {it.key}
                  </td>
                  {it.share.map((share, i) => {
                    const lift = it.lift[i] ?? null;
                    return (
                      <td key={i} class={`num ${lift !== null && lift > 1.5 ? 'over' : ''}`} data-testid={`lift-cell-${i}`}>
                        <div data-testid="share">{fmtPct(share)}</div>
                        <div class="muted small" data-testid="lift">
                          {lift === null ? (share > 0 ? 'only here' : '—') : `×${fmtNum(lift)}`}
                        </div>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
