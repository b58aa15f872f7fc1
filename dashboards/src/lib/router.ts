import { useEffect, useState } from 'preact/hooks';

/** The app lives under `/app/`; routes are the rest of the path, e.g. `/profile/<encoded id>`. */
export const BASE = '/app';

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

/** The current route: the path after `/app` (always starting with `/`) and its query. */
export function currentRoute(): { path: string; query: URLSearchParams } {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) || '/' : '/';
  return { path, query: new URLSearchParams(location.search) };
}

/** Goes to an app route (`/segments`, `/profile/…`) without reloading. */
export function navigate(to: string, replace = false): void {
  const url = `${BASE}${to}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.scrollTo(0, 0);
  listeners.forEach((l) => l());
}

/** Re-renders on navigation; returns the current route. */
export function useRoute(): ReturnType<typeof currentRoute> {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const l = () => setRoute(currentRoute());
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  return route;
}

/** The route of a profile: the id is attacker-controlled, so it is encoded into one path segment. */
export const profilePath = (userKey: string) => `/profile/${encodeURIComponent(userKey)}`;
export const segmentPath = (id: string) => `/segments/${encodeURIComponent(id)}`;
