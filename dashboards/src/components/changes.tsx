import { fmtAgo, fmtDateTime, fmtNum } from '../lib/format.ts';
import { Link } from './ui.tsx';

/** One segment entry or exit: who or which segment (a link to its page), what, the score, when. */
export interface ChangeRow {
  label: string;
  to: string;
  change: 'entered' | 'exited';
  score: number;
  at: string;
}

/** Segment entries and exits, in the order given; `first` names the first column (User, Segment). */
export function ChangesTable(props: { first: string; rows: ChangeRow[]; testId?: string }) {
  return (
    <div class="table-wrap">
      <table data-testid={props.testId}>
        <thead>
          <tr>
            <th>{props.first}</th>
            <th>Change</th>
            <th class="num">Score</th>
            <th>When</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((x) => (
            <tr key={`${x.label}-${x.at}-${x.change}`}>
              <td class="ellipsis-cell">
                <Link to={x.to} title={x.label}>
                  {x.label}
                </Link>
              </td>
              <td class={x.change === 'entered' ? 'pos' : 'neg'}>{x.change}</td>
              <td class="num">{fmtNum(x.score)}</td>
              <td class="nowrap" title={fmtDateTime(x.at)}>
                {fmtAgo(x.at)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
