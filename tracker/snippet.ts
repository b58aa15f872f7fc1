import { ENTRY_PATH, QUEUED_CONSENT, QUEUED_METHODS, STUB_STORAGE_PREFIX } from './methods.ts';

/** What a site passes to the tracker through the snippet (see tracker/browser/types.ts for all options). */
export interface SnippetOptions {
  /** Collector origin, e.g. `https://collect.example.com` (no path). */
  host: string;
  [option: string]: unknown;
}

/** JSON safe inside an inline `<script>`: no `</script>`, no `<!--`, no U+2028/2029 surprises. */
const inlineJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/**
 * The copy-paste loader: stubs every tracker method so calls made before the bundle arrives are
 * queued (with the time of the call), queues the landing page view, keeps the queue in localStorage
 * if the page goes before the bundle ran, then loads the bundle as a module from the collector.
 * Pasting it twice is harmless. ES5, so it never breaks an old page.
 * @example loaderSnippet('wk_…', { host: 'https://collect.example.com', consent: 'required' })
 */
export function loaderSnippet(writeKey: string, options: SnippetOptions): string {
  const host = options.host.replace(/\/+$/, '');
  const js =
    '!function(w,d,k,o){var a=w.warmline=w.warmline||[];if(a.invoked)return;a.invoked=1;a.t=Date.now();' +
    'function s(m){return function(){var c=[].slice.call(arguments);c.unshift(m,Date.now());a.push(c);return a}}' +
    `"${QUEUED_METHODS.join(' ')}".split(" ").forEach(function(m){a[m]=s(m)});` +
    `a.consent={${QUEUED_CONSENT.map((m) => `${m}:s("consent.${m}")`).join(',')}};a.writeKey=k;a.options=o;` +
    // Calls still queued when the page goes (the bundle never ran) are kept for the next page.
    `w.addEventListener("pagehide",function(){if(a.length)try{localStorage.setItem("${STUB_STORAGE_PREFIX}"+k,JSON.stringify({u:location.href,r:d.referrer,t:d.title,q:a}))}catch(e){}});` +
    'o.trackPages===false||a.page();' +
    `var e=d.createElement("script");e.type="module";e.src=o.host+"${ENTRY_PATH}";d.head.appendChild(e)` +
    `}(window,document,${inlineJson(writeKey)},${inlineJson({ ...options, host })});`;
  return `<script>\n${js}\n</script>`;
}
