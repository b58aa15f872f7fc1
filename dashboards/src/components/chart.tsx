import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';

/**
 * uPlot charts, loaded on first use (uPlot is most of the app's weight and no page needs it before
 * its data arrives). Times are epoch seconds; uPlot labels them in the viewer's time zone.
 */
export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Bars instead of a line (counts per day). */
  bars?: boolean;
  /** A step line: the value holds until the next point (a score between its changes). */
  stepped?: boolean;
}

/** At least an hour of x range: points a few seconds apart would otherwise stretch the axis over years. */
const MIN_SPAN_S = 3600;

/** The x range shown: the data's, widened to MIN_SPAN_S and, when given, running up to `until` (now). */
function xRange(times: number[], until?: number): [number, number] {
  const max = Math.max(until ?? -Infinity, ...times);
  const min = Math.min(max - MIN_SPAN_S, ...times);
  return [min, max];
}

let loaded: Promise<typeof uPlot> | undefined;
const loadUPlot = () => (loaded ??= import('uplot').then((m) => m.default));

function useUPlot(build: (U: typeof uPlot, width: number) => uPlot.Options, data: uPlot.AlignedData, deps: unknown[]) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    let chart: uPlot | undefined;
    let live = true;
    const observer = new ResizeObserver(() => chart?.setSize({ width: el.clientWidth, height: chart.height }));
    loadUPlot().then(
      (U) => {
        if (!live) return;
        chart = new U(build(U, el.clientWidth), data, el);
        observer.observe(el);
      },
      () => undefined,
    );
    return () => {
      live = false;
      observer.disconnect();
      chart?.destroy();
    };
  }, deps);
  return host;
}

/** A time chart with axes and a legend: score history, segment size, entries and exits per day. */
export function TimeChart(props: { times: number[]; series: ChartSeries[]; height?: number; testId?: string; until?: number }) {
  const { times, series, height = 200, until } = props;
  const [xMin, xMax] = xRange(times, until);
  const host = useUPlot(
    (U, width) => ({
      width,
      height,
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, auto: false, range: [xMin, xMax] },
        y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e5e7eb' } },
        { stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e5e7eb' }, size: 44 },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.bars ? 0 : 2,
          fill: s.bars ? s.color : `${s.color}1f`,
          points: { show: !s.bars && times.length < 40 },
          ...(s.bars ? { paths: U.paths.bars!({ size: [0.6, 24], gap: 1 }) } : s.stepped ? { paths: U.paths.stepped!({ align: 1 }) } : {}),
        })),
      ],
    }),
    [times, ...series.map((s) => s.values)],
    [times, series, xMin, xMax],
  );
  return <div class="chart" ref={host} data-testid={props.testId} />;
}

/** A tiny line without axes: a lead's score after each of its last changes, oldest first (evenly spaced). */
export function Sparkline(props: { values: number[]; hot?: boolean }) {
  const color = props.hot ? '#dc2626' : '#4f46e5';
  const host = useUPlot(
    () => ({
      width: 96,
      height: 28,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: false }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: color, width: 1.5, fill: `${color}1a`, points: { show: props.values.length === 1, size: 4 } }],
    }),
    [props.values.map((_, i) => i), props.values],
    [props.values, props.hot],
  );
  return <div class="spark" ref={host} aria-hidden="true" />;
}
