import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ProfileHistoryResponse, RecentSignalsResponse } from '../../../schema/dashboard.ts';
import type { Signal } from '../../../schema/signal.ts';
import { api, ApiError } from '../lib/api.ts';
import { openFeed, type FeedStatus } from '../lib/feed.ts';
import { fmtAgo, fmtDateTime, fmtNum, fmtPoints } from '../lib/format.ts';
import { loadModel, type ModelFacts } from '../lib/model.ts';
import { profilePath } from '../lib/router.ts';
import { secretKey, signOut } from '../lib/session.ts';
import { keyTraits, signalLabel } from '../lib/signal-text.ts';
import { useNow } from '../lib/use-now.ts';
import { Sparkline } from '../components/chart.tsx';
import { Card, Empty, Link } from '../components/ui.tsx';

interface Item {
  signal: Signal;
  /** Arrived over the socket while the page was open (not from the backlog): highlighted. */
  fresh: boolean;
}

const MAX_ITEMS = 200;

/** Live feed: the latest signals, then new ones as they happen over `/ws/feed`. */
export function FeedPage() {
  const [items, setItems] = useState<Item[] | null>(null);
  const [status, setStatus] = useState<{ status: FeedStatus; detail?: string | undefined }>({ status: 'connecting' });
  const [model, setModel] = useState<ModelFacts | null>(null);
  const [segment, setSegment] = useState('');
  const [minScore, setMinScore] = useState('');
  const [notify, setNotify] = useState(false);
  const notifyRef = useRef(notify);
  notifyRef.current = notify;
  const modelRef = useRef(model);
  modelRef.current = model;
  const now = useNow();

  useEffect(() => {
    loadModel().then(setModel, () => undefined);
  }, []);

  useEffect(() => {
    let feed: { close(): void } | undefined;
    let live = true;
    const add = (signal: Signal) => {
      setItems((prev) => {
        const list = prev ?? [];
        if (list.some((i) => i.signal.id === signal.id)) return list;
        return [{ signal, fresh: true }, ...list].slice(0, MAX_ITEMS);
      });
      if (notifyRef.current && isHot(signal, modelRef.current) && Notification.permission === 'granted') {
        new Notification(`Hot lead: ${signal.userKey}`, { body: `${signalLabel(signal)} · score ${fmtNum(signal.score)}`, tag: signal.id });
      }
    };
    const subscribe = (since?: string) => {
      if (!live) return;
      feed = openFeed({
        key: secretKey() ?? '',
        ...(since ? { since } : {}),
        onSignal: add,
        onStatus: (s, detail) => {
          if (s === 'refused') signOut(`Signed out: the live feed refused the key (${detail ?? 'refused'}).`);
          setStatus({ status: s, detail });
        },
      });
    };
    api<RecentSignalsResponse>('/api/signals?limit=50').then(
      (r) => {
        if (!live) return;
        setItems(r.signals.map((signal) => ({ signal, fresh: false })));
        subscribe(r.cursor);
      },
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) return;
        setItems([]);
        subscribe(); // no backlog: live signals only
      },
    );
    return () => {
      live = false;
      feed?.close();
    };
  }, []);

  const shown = useMemo(() => {
    const min = minScore === '' ? -Infinity : Number(minScore);
    return groupByCause((items ?? []).filter((i) => i.signal.score >= min && (!segment || i.signal.segment === segment || i.signal.threshold === segment)));
  }, [items, segment, minScore]);

  const toggleNotify = async () => {
    if (!notify && 'Notification' in window && Notification.permission !== 'granted') await Notification.requestPermission();
    setNotify(!notify && 'Notification' in window && Notification.permission === 'granted');
  };

  return (
    <div class="page">
      <div class="page-head">
        <h1>Live feed</h1>
        <span class={`status status-${status.status}`} data-testid="feed-status" title={status.detail}>
          {status.status === 'live' ? 'Live' : status.status === 'refused' ? 'Refused' : status.status === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </span>
      </div>
      <div class="toolbar">
        <label>
          Segment
          <select value={segment} onChange={(e) => setSegment(e.currentTarget.value)} data-testid="filter-segment">
            <option value="">All signals</option>
            {model?.segments.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
            {model?.thresholds.map((t) => (
              <option key={`t:${t.id}`} value={t.id}>
                Threshold: {t.id} ({t.score})
              </option>
            ))}
          </select>
        </label>
        <label>
          Min score
          <input type="number" inputMode="numeric" class="narrow" value={minScore} onInput={(e) => setMinScore(e.currentTarget.value)} data-testid="filter-min-score" />
        </label>
        <label class="check">
          <input type="checkbox" checked={notify} onChange={() => void toggleNotify()} />
          Desktop alert on hot leads
        </label>
      </div>
      {items === null ? (
        <div class="loading">Loading signals…</div>
      ) : shown.length === 0 ? (
        <Card>
          <Empty>{items.length === 0 ? 'No signals yet. They appear here the moment a lead enters a segment or crosses a threshold.' : 'No signal matches these filters.'}</Empty>
        </Card>
      ) : (
        <ol class="feed" data-testid="feed-list">
          {shown.map((group) => (
            <FeedCard key={group[0]!.signal.id} group={group} hot={group.some((i) => isHot(i.signal, model))} now={now} trend={trendOf(items, group[0]!.signal.userKey)} />
          ))}
        </ol>
      )}
    </div>
  );
}

/**
 * One card per lead and cause: the signals one event (or one timer) raised for a user — entered a
 * segment, crossed a threshold… — arrive together and read as one line of news, not four.
 */
function groupByCause(items: Item[]): Item[][] {
  const groups = new Map<string, Item[]>();
  for (const i of items) {
    const cause = `${i.signal.userKey}\n${i.signal.trigger?.messageId ?? i.signal.at}`;
    const group = groups.get(cause);
    if (group) group.push(i);
    else groups.set(cause, [i]);
  }
  return [...groups.values()];
}

/** Hot: at or over the model's top threshold (the one that means "call now"). */
function isHot(s: Signal, model: ModelFacts | null): boolean {
  const top = model?.top;
  if (!top) return s.kind === 'threshold.crossed' && s.direction === 'up';
  return s.score >= top.score && s.kind !== 'segment.exited' && s.direction !== 'down';
}

/** The user's scores at each of their signals in the feed, oldest first. */
function trendOf(items: Item[], userKey: string): { at: number; score: number }[] {
  return items
    .filter((i) => i.signal.userKey === userKey)
    .map((i) => ({ at: Date.parse(i.signal.at) / 1000, score: i.signal.score }))
    .reverse();
}

const histories = new Map<string, Promise<ProfileHistoryResponse | null>>();

/** The score history of a user (last 7 days), fetched once per page load; null when unavailable. */
function history(userKey: string): Promise<ProfileHistoryResponse | null> {
  let h = histories.get(userKey);
  if (!h) {
    h = api<ProfileHistoryResponse>(`/api/profiles/${encodeURIComponent(userKey)}/history?days=7`).catch(() => null);
    histories.set(userKey, h);
  }
  return h;
}

function FeedCard(props: { group: Item[]; hot: boolean; now: number; trend: { at: number; score: number }[] }) {
  const s = props.group[0]!.signal;
  const fresh = props.group.some((i) => i.fresh);
  const labels = [...new Set(props.group.map((i) => signalLabel(i.signal)))];
  const down = props.group.every((i) => i.signal.kind === 'segment.exited' || i.signal.direction === 'down');
  const [past, setPast] = useState<{ at: number; score: number }[]>([]);
  useEffect(() => {
    let live = true;
    void history(s.userKey).then((h) => live && h && setPast(h.scores.map((p) => ({ at: Date.parse(p.at) / 1000, score: p.score }))));
    return () => {
      live = false;
    };
  }, [s.userKey]);
  const last = past.at(-1)?.at ?? -Infinity;
  const points = [...past, ...props.trend.filter((p) => p.at > last)];
  const traits = keyTraits(s.traits);
  const hot = props.hot;
  return (
    <li class={`feed-card ${hot ? 'hot' : ''} ${fresh ? 'fresh' : ''} ${down ? 'down' : ''}`} data-testid="feed-card">
      <div class="feed-score" title="Score when the signal fired">
        <span data-testid="feed-score">{fmtNum(s.score)}</span>
        {hot && <span class="hot-badge">HOT</span>}
      </div>
      <div class="feed-body">
        <div class="feed-line">
          <Link to={profilePath(s.userKey)} class="feed-user" testId="feed-user" title={s.userKey}>
            {s.userKey}
          </Link>
          {labels.map((label) => (
            <span key={label} class="chip" data-testid="feed-kind">
              {label}
            </span>
          ))}
          <time class="muted ago" dateTime={s.at} title={fmtDateTime(s.at)}>
            {fmtAgo(s.at, props.now)}
          </time>
        </div>
        {traits.length > 0 && (
          <div class="feed-traits">
            {traits.map(([k, v]) => (
              <span key={k} class="trait" title={k}>
                {v}
              </span>
            ))}
          </div>
        )}
        <div class="feed-reasons" data-testid="feed-reasons">
          {s.reasons.slice(0, 3).map((r) => (
            <span key={r.rule} class="reason" title={r.description ?? r.rule}>
              {r.rule} <b>{fmtPoints(r.points)}</b>
            </span>
          ))}
        </div>
        {s.trigger && (
          <div class="feed-trigger muted">
            after <span class="mono">{s.trigger.name ?? s.trigger.type}</span> · {fmtDateTime(s.trigger.timestamp)}
          </div>
        )}
      </div>
      <div class="feed-trend">{points.length > 0 && <Sparkline values={points.slice(-20).map((p) => p.score)} hot={hot} />}</div>
    </li>
  );
}
