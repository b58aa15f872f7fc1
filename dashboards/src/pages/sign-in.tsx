import { useState } from 'preact/hooks';
import { signIn, signInNotice } from '../lib/session.ts';

/** The secret key form: checked against the API before it is kept (sessionStorage, this tab only). */
export function SignIn() {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(signInNotice());
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return setError('Paste a secret key (sk_…).');
    setBusy(true);
    setError(null);
    // Any /api path checks the key first: 401/403 refuse it, anything else accepts it.
    const res = await fetch('/api/keys', { headers: { authorization: `Bearer ${k}` } }).catch(() => null);
    setBusy(false);
    if (!res) return setError('Warmline is not reachable.');
    if (res.status === 401 || res.status === 403) {
      const body = (await res.json().catch(() => null)) as { message?: string } | null;
      return setError(`Refused: ${body?.message ?? `HTTP ${res.status}`}.`);
    }
    signIn(k);
  };
  return (
    <div class="signin">
      <form class="card signin-card" onSubmit={(e) => void submit(e)} data-testid="sign-in">
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          Warmline
        </div>
        <p class="muted">Sign in with your workspace's secret key. It stays in this tab only.</p>
        <label for="key">Secret key</label>
        <input id="key" name="key" type="password" autocomplete="off" placeholder="sk_…" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        {error && (
          <div class="error" role="alert" data-testid="sign-in-error">
            {error}
          </div>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
