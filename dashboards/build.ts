import * as esbuild from 'esbuild';
import { browserBundle, buildOnce, bundleFiles, type StaticAsset } from '../server/http/assets.ts';

const ENTRY = 'dashboards/src/main.tsx';
/** Where the route serves the built files; the HTML shell references them under it. */
export const ASSET_BASE = '/app/assets/';

export interface DashboardsBuild {
  /** File name (no directory) → asset; the only names `/app/assets/` serves. */
  files: ReadonlyMap<string, StaticAsset>;
  /** The HTML shell every `/app/*` path answers with (references hashed names only). */
  html: string;
  /** What the browser downloads before the first page renders: the entry, its static imports, the CSS. */
  upFront: string[];
  buildMs: number;
}

/**
 * Builds the dashboards in memory: Preact + JSX, ESM, code-split (uPlot and the less used pages load
 * on demand), minified, content-hashed names, gzip and brotli forms, and the HTML shell.
 */
export async function buildDashboards(): Promise<DashboardsBuild> {
  const t0 = performance.now();
  const result = await esbuild.build({ ...browserBundle, entryPoints: { app: ENTRY }, jsx: 'automatic', jsxImportSource: 'preact' });
  const { files, css, upFront } = await bundleFiles(result, ENTRY);
  if (css) upFront.push(css);
  return { files, html: shell(upFront[0]!, upFront.slice(1).filter((n) => n.endsWith('.js')), css), upFront, buildMs: Math.round(performance.now() - t0) };
}

/** The app's one HTML page: no inline script or style (the CSP forbids both), hashed asset names only. */
function shell(entry: string, preload: string[], css: string | undefined): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Warmline</title>',
    '<link rel="icon" href="data:,">',
    ...(css ? [`<link rel="stylesheet" href="${ASSET_BASE}${css}">`] : []),
    ...preload.map((n) => `<link rel="modulepreload" href="${ASSET_BASE}${n}">`),
    `<script type="module" src="${ASSET_BASE}${entry}"></script>`,
    '</head><body><div id="app"></div></body></html>',
    '',
  ].join('\n');
}

/** The process's dashboards build, made once on first use and kept in memory. */
export const dashboardsBuild = buildOnce(buildDashboards);
