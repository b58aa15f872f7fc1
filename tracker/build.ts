import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { browserBundle, buildOnce, bundleFiles, type StaticAsset } from '../server/http/assets.ts';
import { ENTRY_PATH } from './methods.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'tracker/browser/index.ts';

/** One served file of the bundle, with its precompressed forms. */
export type TrackerAsset = StaticAsset;

export interface TrackerBuild {
  /** File name (no directory) → asset; the only names `/tracker/` serves. */
  files: ReadonlyMap<string, TrackerAsset>;
  /** Hashed name of the entry; also served as the stable `warmline.js` the snippet loads. */
  entry: string;
  /** What a page downloads before the tracker runs: the entry and its static imports. */
  upFront: string[];
  buildMs: number;
}

export const STABLE_ENTRY = ENTRY_PATH.split('/').pop()!;

const baseOptions: esbuild.BuildOptions = { ...browserBundle, entryPoints: { warmline: ENTRY } };

/**
 * Keeps the up-front download small without forking analytics-next:
 * - its lazily imported features (legacy destinations, middleware, auto-track, …, none used with
 *   our inline settings) go to ONE lazy chunk instead of nine, so the code they share with the
 *   core lands in one shared chunk, not eight small ones (fewer requests, better compression);
 * - `unfetch` becomes the native fetch (every browser that runs ES modules has it);
 * - the batching dispatcher is left out: we deliver in standard mode only (batching loses
 *   events when the collector is down and the page navigates).
 */
function lean(lazyModules: ReadonlySet<string>): esbuild.Plugin {
  return {
    name: 'warmline-lean',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || (args.pluginData as { inner?: boolean } | undefined)?.inner) return undefined;
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { inner: true } });
        return lazyModules.has(r.path) ? { path: 'lazy', namespace: 'warmline-lazy' } : r;
      });
      build.onLoad({ filter: /.*/, namespace: 'warmline-lazy' }, () => ({
        contents: [...lazyModules].map((p) => `export * from ${JSON.stringify(p)};`).join('\n'),
        resolveDir: ROOT,
        loader: 'js',
      }));
      build.onResolve({ filter: /^unfetch$/ }, () => ({ path: 'unfetch', namespace: 'warmline-stub' }));
      build.onResolve({ filter: /^\.\/batched-dispatcher$/ }, (args) =>
        /analytics-next[\\/]dist[\\/]pkg[\\/]plugins[\\/]segmentio/.test(args.importer) ? { path: 'batch', namespace: 'warmline-stub' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'warmline-stub' }, (args) => ({
        contents:
          args.path === 'unfetch'
            ? 'export default (url, init) => fetch(url, init);'
            : 'export default () => { throw new Error("warmline: only standard delivery is bundled"); };',
        loader: 'js',
      }));
    },
  };
}

/**
 * The analytics-next features loaded with `import()` straight from the up-front code, found by a
 * first build. Fails when two of them export the same name (they could not share one chunk).
 */
async function lazyFeatures(): Promise<Set<string>> {
  const { metafile } = await esbuild.build(baseOptions);
  const outputs = Object.values(metafile!.outputs);
  const byPath = new Map(Object.entries(metafile!.outputs));
  const main = outputs.find((o) => o.entryPoint === ENTRY)!;
  const lazy = new Set<string>();
  const names = new Map<string, string>();
  const walk = (o: esbuild.Metafile['outputs'][string], seen = new Set<typeof o>()) => {
    if (seen.has(o)) return;
    seen.add(o);
    for (const i of o.imports) {
      const target = byPath.get(i.path);
      if (!target) continue;
      if (i.kind === 'import-statement') walk(target, seen);
      else if (i.kind === 'dynamic-import' && target.entryPoint?.includes('@segment/analytics-next')) {
        const abs = resolve(ROOT, target.entryPoint);
        lazy.add(abs);
        for (const name of target.exports) {
          const other = names.get(name);
          if (other && other !== abs) throw new Error(`tracker build: "${name}" is exported by both ${other} and ${abs}`);
          names.set(name, abs);
        }
      }
    }
  };
  walk(main);
  return lazy;
}

/** Builds the tracker bundle in memory: ESM, code-split, content-hashed names, gzip and brotli forms. */
export async function buildTracker(): Promise<TrackerBuild> {
  const t0 = performance.now();
  const result = await esbuild.build({ ...baseOptions, plugins: [lean(await lazyFeatures())] });
  const { files, entry, upFront } = await bundleFiles({ outputFiles: result.outputFiles!, metafile: result.metafile! }, ENTRY);
  files.set(STABLE_ENTRY, { ...files.get(entry)!, name: STABLE_ENTRY, immutable: false });
  return { files, entry, upFront, buildMs: Math.round(performance.now() - t0) };
}

/** The process's tracker build, made once on first use (about half a second) and kept in memory. */
export const trackerBuild = buildOnce(buildTracker);
