import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onSessionChange, secretKey, signOut } from './lib/session.ts';
import { useRoute } from './lib/router.ts';
import { useApi } from './lib/use-api.ts';
import type { WorkspaceResponse } from '../../schema/dashboard.ts';
import { Link } from './components/ui.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { FeedPage } from './pages/feed.tsx';
import { ProfilePage } from './pages/profile.tsx';
import { SegmentsPage } from './pages/segments.tsx';
import { SegmentPage } from './pages/segment.tsx';
import { ComparePage } from './pages/compare.tsx';
import { SetupPage } from './pages/setup.tsx';

const NAV = [
  { to: '/feed', label: 'Live feed', match: (p: string) => p === '/' || p === '/feed' || p.startsWith('/profile/') },
  { to: '/segments', label: 'Segments', match: (p: string) => p.startsWith('/segments') },
  { to: '/compare', label: 'Compare', match: (p: string) => p === '/compare' },
  { to: '/setup', label: 'Setup', match: (p: string) => p === '/setup' },
];

/** Route → page; ids in the path were encoded by the links that built them. */
function page(path: string, query: URLSearchParams): ComponentChildren {
  if (path === '/' || path === '/feed') return <FeedPage />;
  const [, head, rest] = /^\/([a-z]+)\/(.+)$/.exec(path) ?? [];
  const id = rest === undefined ? undefined : safeDecode(rest);
  if (head === 'profile' && id !== undefined) return <ProfilePage key={id} userId={id} />;
  if (head === 'segments' && id !== undefined) return <SegmentPage key={id} segmentId={id} />;
  if (path === '/segments') return <SegmentsPage />;
  if (path === '/compare') return <ComparePage initial={(query.get('segments') ?? '').split(',').filter(Boolean)} />;
  if (path === '/setup') return <SetupPage />;
  return <div class="error">No page at this address.</div>;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** The signed-in shell: left nav, header with the workspace's name, the page. */
export function App() {
  const [key, setKey] = useState(secretKey);
  const [navOpen, setNavOpen] = useState(false);
  const { path, query } = useRoute();
  useEffect(() => onSessionChange(() => setKey(secretKey())), []);
  useEffect(() => setNavOpen(false), [path]);
  const workspace = useApi<WorkspaceResponse>(key ? '/api/workspace' : null);
  if (!key) return <SignIn />;
  return (
    <div class={`shell ${navOpen ? 'nav-open' : ''}`}>
      <aside class="nav">
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          Warmline
        </div>
        <nav>
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} class={n.match(path) ? 'active' : ''} testId={`nav-${n.to.slice(1)}`}>
              {n.label}
            </Link>
          ))}
        </nav>
      </aside>
      <div class="main">
        <header class="top">
          <button class="menu" type="button" aria-label="Menu" onClick={() => setNavOpen(!navOpen)}>
            ☰
          </button>
          <div class="workspace" title={`Signed in with ${key.slice(0, 7)}…`} data-testid="workspace">
            Workspace <strong>{workspace.state === 'ok' ? workspace.data.name : '…'}</strong>
          </div>
          <button type="button" class="ghost" data-testid="sign-out" onClick={() => signOut()}>
            Sign out
          </button>
        </header>
        <main class="content">{page(path, query)}</main>
      </div>
    </div>
  );
}
