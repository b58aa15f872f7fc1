/** Segment's `context.page`, captured when a call is made (a held call may be sent pages later). */
export interface PageContext {
  path: string;
  referrer: string;
  search: string;
  title: string;
  url: string;
}

export function pageContext(referrer = document.referrer): PageContext {
  const canonical = document.querySelector<HTMLLinkElement>('link[rel="canonical"]')?.href;
  return {
    path: location.pathname,
    referrer,
    search: location.search,
    title: document.title,
    url: canonical ? canonical + location.search : location.href.split('#')[0]!,
  };
}
