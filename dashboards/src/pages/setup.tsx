import { useEffect, useState } from 'preact/hooks';
import type { CreatedKeyResponse, KeyInfo, KeysResponse } from '../../../schema/dashboard.ts';
import type { WebhookDelivery, WebhookEndpoint } from '../../../schema/webhook.ts';
import { api } from '../lib/api.ts';
import { fmtAgo, fmtDateTime, fmtPoints } from '../lib/format.ts';
import { loadModel, type ModelFacts } from '../lib/model.ts';
import { profilePath } from '../lib/router.ts';
import { useApi } from '../lib/use-api.ts';
import { Async, Card, Empty, Json, Link } from '../components/ui.tsx';

/** Setup: the tracker snippet, keys, webhook endpoints with their deliveries, the active model. */
export function SetupPage() {
  const keys = useApi<KeysResponse>('/api/keys');
  const writeKey = keys.state === 'ok' ? keys.data.keys.find((k) => k.kind === 'write')?.display : undefined;
  return (
    <div class="page">
      <div class="page-head">
        <h1>Setup</h1>
      </div>
      <Snippet writeKey={writeKey} />
      <Keys keys={keys} />
      <Webhooks />
      <Model />
    </div>
  );
}

function Snippet(props: { writeKey: string | undefined }) {
  const [snippet, setSnippet] = useState<string | null>(null);
  useEffect(() => {
    if (!props.writeKey) return;
    fetch(`/tracker/snippet?writeKey=${encodeURIComponent(props.writeKey)}`)
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then(setSnippet, (err: unknown) => setSnippet(`// could not load the snippet: ${String(err)}`));
  }, [props.writeKey]);
  return (
    <Card
      title="Tracker snippet"
      actions={
        snippet && (
          <button type="button" class="ghost" onClick={() => void navigator.clipboard.writeText(snippet)}>
            Copy
          </button>
        )
      }
    >
      <p class="muted">Paste it in the &lt;head&gt; of your pages. It carries this workspace's write key (public by design).</p>
      {snippet ? <pre class="code" data-testid="snippet">{snippet}</pre> : <Empty>{props.writeKey === undefined ? 'Create a write key to get the snippet.' : 'Loading…'}</Empty>}
    </Card>
  );
}

function Keys(props: { keys: ReturnType<typeof useApi<KeysResponse>> }) {
  const [kind, setKind] = useState<'write' | 'secret'>('write');
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<CreatedKeyResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** The key whose Revoke was clicked once: a second click revokes it. */
  const [confirming, setConfirming] = useState<string | null>(null);
  const revoke = async (k: KeyInfo) => {
    if (confirming !== k.id) return setConfirming(k.id);
    setConfirming(null);
    setError(null);
    try {
      await api(`/api/keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' });
      props.keys.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setCreated(await api<CreatedKeyResponse>('/api/keys', { method: 'POST', body: { kind, ...(label.trim() ? { label: label.trim() } : {}) } }));
      setLabel('');
      props.keys.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Card title="Keys">
      <Async
        value={props.keys}
        what="keys"
        render={(r) => (
          <div class="table-wrap">
            <table data-testid="keys-table">
              <thead>
                <tr>
                  <th>Kind</th>
                  <th>Key</th>
                  <th>Label</th>
                  <th>Created</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {r.keys.map((k) => (
                  <tr key={k.id} data-testid="key-row">
                    <td>{k.kind}</td>
                    <td class="mono wrap">{k.display}</td>
                    <td>{k.label ?? '—'}</td>
                    <td>{k.createdAt ? fmtDateTime(k.createdAt) : '—'}</td>
                    <td class="num">
                      <button type="button" class="ghost danger" data-testid="revoke-key" onClick={() => void revoke(k)}>
                        {confirming === k.id ? 'Confirm revoke' : 'Revoke'}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      />
      <form class="inline-form" onSubmit={(e) => void create(e)}>
        <select value={kind} onChange={(e) => setKind(e.currentTarget.value === 'secret' ? 'secret' : 'write')}>
          <option value="write">Write key</option>
          <option value="secret">Secret key</option>
        </select>
        <input placeholder="Label (optional)" value={label} maxLength={100} onInput={(e) => setLabel(e.currentTarget.value)} />
        <button type="submit" class="primary">
          Create key
        </button>
      </form>
      {created && (
        <div class="notice" role="status">
          New {created.info.kind} key (shown once): <code class="wrap">{created.key}</code>
        </div>
      )}
      {error && <div class="error">{error}</div>}
    </Card>
  );
}

function Webhooks() {
  const endpoints = useApi<{ endpoints: WebhookEndpoint[] }>('/api/webhooks');
  const [url, setUrl] = useState('');
  const [minScore, setMinScore] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api<{ endpoint: WebhookEndpoint; secret: string }>('/api/webhooks', {
        method: 'POST',
        body: { url: url.trim(), ...(minScore !== '' ? { filters: { minScore: Number(minScore) } } : {}) },
      });
      setSecret(r.secret);
      setUrl('');
      endpoints.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const act = async (path: string, method: string, body?: unknown) => {
    try {
      await api(path, { method, ...(body !== undefined ? { body } : {}) });
      endpoints.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Card title="Webhook endpoints">
      <Async
        value={endpoints}
        what="webhook endpoints"
        render={(r) =>
          r.endpoints.length === 0 ? (
            <Empty>No endpoint yet. Signals are signed per Standard Webhooks and retried with backoff.</Empty>
          ) : (
            <div class="stack">
              {r.endpoints.map((ep) => (
                <div key={ep.id} class="endpoint" data-testid="webhook-endpoint">
                  <div class="endpoint-head">
                    <span class="mono wrap">{ep.url}</span>
                    <span class={`chip ${ep.enabled ? 'ok' : 'off'}`}>{ep.enabled ? 'enabled' : 'disabled'}</span>
                    <span class="grow" />
                    <button type="button" class="ghost" onClick={() => void act(`/api/webhooks/${encodeURIComponent(ep.id)}`, 'PATCH', { enabled: !ep.enabled })}>
                      {ep.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button type="button" class="ghost danger" onClick={() => void act(`/api/webhooks/${encodeURIComponent(ep.id)}`, 'DELETE')}>
                      Delete
                    </button>
                  </div>
                  {ep.disabledReason && <div class="error small">Disabled: {ep.disabledReason}</div>}
                  <Deliveries endpointId={ep.id} />
                </div>
              ))}
            </div>
          )
        }
      />
      <form class="inline-form" onSubmit={(e) => void add(e)}>
        <input type="url" required placeholder="https://example.com/warmline" value={url} onInput={(e) => setUrl(e.currentTarget.value)} class="grow" />
        <input type="number" placeholder="Min score" value={minScore} onInput={(e) => setMinScore(e.currentTarget.value)} class="narrow" />
        <button type="submit" class="primary">
          Add endpoint
        </button>
      </form>
      {secret && (
        <div class="notice" role="status">
          Signing secret (shown once): <code class="wrap">{secret}</code>
        </div>
      )}
      {error && <div class="error">{error}</div>}
    </Card>
  );
}

function Deliveries(props: { endpointId: string }) {
  const deliveries = useApi<{ deliveries: WebhookDelivery[]; next: string | null }>(`/api/webhooks/${encodeURIComponent(props.endpointId)}/deliveries?limit=20`);
  return (
    <details class="deliveries">
      <summary>Delivery log</summary>
      <Async
        value={deliveries}
        what="deliveries"
        render={(r) =>
          r.deliveries.length === 0 ? (
            <Empty>No delivery yet.</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Signal</th>
                    <th>User</th>
                    <th>Status</th>
                    <th class="num">Attempts</th>
                    <th>Created</th>
                    <th>Last error</th>
                  </tr>
                </thead>
                <tbody>
                  {r.deliveries.map((d) => (
                    <tr key={d.id}>
                      <td>{d.payload.type}</td>
                      <td class="ellipsis-cell">
                        <Link to={profilePath(d.userKey)}>{d.userKey}</Link>
                      </td>
                      <td class={d.status === 'dead' ? 'neg' : d.status === 'delivered' ? 'pos' : ''}>{d.status}</td>
                      <td class="num">{d.attempts}</td>
                      <td title={fmtDateTime(d.createdAt)}>{fmtAgo(d.createdAt)}</td>
                      <td class="wrap small">{d.lastError ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      />
    </details>
  );
}

function Model() {
  const [model, setModel] = useState<ModelFacts | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadModel().then(setModel, (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, []);
  if (error) return <Card title="Scoring model"><div class="error">Could not load the model: {error}</div></Card>;
  if (!model) return <Card title="Scoring model"><div class="loading">Loading the model…</div></Card>;
  const m = model.raw.model as { rules?: unknown; fit?: unknown };
  const asList = (v: unknown) => (Array.isArray(v) ? (v as { id?: unknown; description?: unknown; points?: unknown; trait?: unknown; match?: unknown }[]) : []);
  /** A fit rule without a description reads as its trait and match: `title {"regex":"…"}`. */
  const describeRule = (r: ReturnType<typeof asList>[number]) =>
    typeof r.description === 'string' ? r.description : typeof r.trait === 'string' ? `${r.trait} ${JSON.stringify(r.match)}` : '—';
  const rules = [...asList(m.rules), ...asList(m.fit)];
  return (
    <Card
      title={
        <>
          Scoring model <span class="muted small">· {model.name} · generation {model.raw.generation} · conversion: {model.conversionEvent}</span>
        </>
      }
    >
      <p class="muted small">Read-only. Change it with <code>warmline rescore --model &lt;file&gt;</code>.</p>
      <div class="table-wrap">
        <table data-testid="model-rules">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Description</th>
              <th class="num">Points</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r, i) => (
              <tr key={i}>
                <td class="mono">{String(r.id)}</td>
                <td class="wrap">{describeRule(r)}</td>
                <td class="num">{typeof r.points === 'number' ? fmtPoints(r.points) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <details>
        <summary>Whole model (JSON)</summary>
        <Json value={model.raw.model} model />
      </details>
    </Card>
  );
}
