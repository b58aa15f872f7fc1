/**
 * Calls `onChange(previousUrl)` when a single-page app changes route through the history API
 * (pushState, replaceState, back/forward). Hash-only changes and same-URL replaceState are not route
 * changes. The call is deferred a tick so the app can update `document.title` first.
 */
export function watchRoutes(onChange: (previousUrl: string) => void): void {
  let last = routeOf(location.href);
  let lastUrl = location.href;
  const check = () => {
    const now = routeOf(location.href);
    if (now === last) return;
    const previous = lastUrl;
    last = now;
    lastUrl = location.href;
    setTimeout(() => onChange(previous), 0);
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method].bind(history);
    history[method] = (...args: Parameters<History['pushState']>) => {
      original(...args);
      check();
    };
  }
  window.addEventListener('popstate', check);
}

function routeOf(href: string): string {
  const u = new URL(href);
  return u.origin + u.pathname + u.search;
}
