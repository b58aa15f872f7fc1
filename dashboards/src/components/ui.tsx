import type { ComponentChildren } from 'preact';
import type { Loaded } from '../lib/use-api.ts';
import { navigate } from '../lib/router.ts';

/** An in-app link: a real `<a href>` (open in new tab works) that navigates without a reload. */
export function Link(props: { to: string; class?: string; children: ComponentChildren; testId?: string; title?: string }) {
  return (
    <a
      href={`/app${props.to}`}
      class={props.class}
      data-testid={props.testId}
      title={props.title}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

export function Card(props: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; class?: string; testId?: string }) {
  return (
    <section class={`card ${props.class ?? ''}`} data-testid={props.testId}>
      {(props.title ?? props.actions) && (
        <header class="card-head">
          <h2>{props.title}</h2>
          {props.actions && <div class="card-actions">{props.actions}</div>}
        </header>
      )}
      {props.children}
    </section>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <div class="empty">{props.children}</div>;
}

/** Loading / error states of a {@link Loaded} value, else `render(data)`. */
export function Async<T>(props: { value: Loaded<T>; render: (data: T) => ComponentChildren; what: string }) {
  const v = props.value;
  if (v.state === 'loading') return <div class="loading" aria-busy="true">Loading {props.what}…</div>;
  if (v.state === 'error') {
    return (
      <div class="error" role="alert">
        Could not load {props.what}: {v.message}
      </div>
    );
  }
  return <>{props.render(v.data)}</>;
}

/** A labelled number (KPI tiles). */
export function Stat(props: { label: string; value: ComponentChildren; testId?: string; hint?: string }) {
  return (
    <div class="stat" title={props.hint}>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value" data-testid={props.testId}>
        {props.value}
      </div>
    </div>
  );
}

/** JSON shown as text (model definitions, event properties): never parsed as markup. */
/** Model fields holding durations: the API sends them in milliseconds, the model file writes `7d`. */
const DURATION_KEYS = new Set(['halfLife', 'window', 'within', 'notWithin', 'firedWithin', 'idleFor']);

/** Milliseconds as the model file writes them: `7d`, `24h`, `30m`, `45s` (else `1500ms`). */
function modelDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A JSON value, pretty-printed as text; with `model`, durations read as in the model file. */
export function Json(props: { value: unknown; model?: boolean }) {
  const replacer = props.model ? (key: string, v: unknown) => (DURATION_KEYS.has(key) && typeof v === 'number' ? modelDuration(v) : v) : undefined;
  return <pre class="json">{JSON.stringify(props.value, replacer, 2)}</pre>;
}
