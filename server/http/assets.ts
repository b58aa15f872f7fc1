import { fileURLToPath } from 'node:url';
import type { BuildOptions, Metafile, OutputFile } from 'esbuild';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import type { Context } from 'hono';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** A static file built in memory (tracker bundle, dashboards app), with its precompressed forms. */
export interface StaticAsset {
  name: string;
  contentType: string;
  body: Buffer;
  gzip: Buffer;
  br: Buffer;
  etag: string;
  /** Content-hashed name: cacheable forever. A stable alias (e.g. the tracker's `warmline.js`) is not. */
  immutable: boolean;
}

/** Content types of the files our esbuild builds emit, by extension. */
const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

/**
 * Compresses one built file (gzip 9, brotli 11: done once at build, served many times) and tags it
 * with a strong ETag from its content. The content type follows the name's extension.
 */
export async function precompress(name: string, contents: Uint8Array, immutable = true): Promise<StaticAsset> {
  const body = Buffer.from(contents);
  const [gzipped, br] = await Promise.all([
    gz(body, { level: 9 }),
    brotli(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  ]);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  const ext = name.split('.').pop() ?? '';
  return { name, contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream', body, gzip: gzipped, br, etag, immutable };
}

/** `br` or `gzip` when the client takes it (q > 0), else identity. */
function encodingFor(acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  const accepted = new Set(
    (acceptEncoding ?? '')
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => !q || !/^\s*q=0(\.0*)?\s*$/.test(q))
      .map(([name]) => name!.trim().toLowerCase()),
  );
  return accepted.has('br') ? 'br' : accepted.has('gzip') ? 'gzip' : undefined;
}

/**
 * Answers with a built asset: the best encoding the client takes, ETag / 304, long caching for
 * hashed names, `nosniff`. `headers` adds per-route ones (CORS for the tracker, which sites load
 * cross-origin; none for the dashboards, which are same-origin only).
 */
export function serveAsset(c: Context, asset: StaticAsset, extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = {
    'Content-Type': asset.contentType,
    // Hashed names never change: cache forever. A stable alias is revalidated.
    'Cache-Control': asset.immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300, stale-while-revalidate=86400',
    ETag: asset.etag,
    Vary: 'Accept-Encoding',
    'X-Content-Type-Options': 'nosniff',
    ...extra,
  };
  if (c.req.header('if-none-match') === asset.etag) return new Response(null, { status: 304, headers });
  const encoding = encodingFor(c.req.header('accept-encoding'));
  const body = encoding === 'br' ? asset.br : encoding === 'gzip' ? asset.gzip : asset.body;
  if (encoding) headers['Content-Encoding'] = encoding;
  headers['Content-Length'] = String(body.length);
  return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
}

/**
 * esbuild options every browser bundle of ours shares (the tracker, the dashboards): ESM with code
 * splitting, minified, content-hashed names, built in memory from the repository root.
 */
export const browserBundle = {
  absWorkingDir: fileURLToPath(new URL('../..', import.meta.url)),
  bundle: true,
  format: 'esm',
  splitting: true,
  minify: true,
  write: false,
  outdir: 'out',
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  target: 'es2022',
  platform: 'browser',
  metafile: true,
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
} as const satisfies BuildOptions;

/**
 * A build made once, on first use, and kept in memory; a failed build is forgotten, so the next
 * request tries again instead of serving the error forever.
 */
export function buildOnce<T>(build: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () =>
    (cached ??= build().catch((err: unknown) => {
      cached = undefined;
      throw err;
    }));
}

/** A file name without its directory. */
const baseName = (p: string) => p.replace(/^.*[\\/]/, '');

/**
 * The served files of an in-memory build (precompressed, by file name), its entry file and the entry's
 * CSS bundle if any, and what a browser downloads before the entry runs: the entry and its static
 * imports, in load order.
 */
export async function bundleFiles(
  result: { outputFiles: OutputFile[]; metafile: Metafile },
  entryPoint: string,
): Promise<{ files: Map<string, StaticAsset>; entry: string; css: string | undefined; upFront: string[] }> {
  const files = new Map<string, StaticAsset>();
  await Promise.all(result.outputFiles.map(async (f) => files.set(baseName(f.path), await precompress(baseName(f.path), f.contents))));
  const outputs = result.metafile.outputs;
  const [entryKey, entryOutput] = Object.entries(outputs).find(([, o]) => o.entryPoint === entryPoint) ?? [];
  if (!entryKey || !entryOutput) throw new Error(`build: no output for ${entryPoint}`);
  const upFront: string[] = [];
  const visit = (key: string) => {
    const name = baseName(key);
    if (upFront.includes(name)) return;
    upFront.push(name);
    for (const i of outputs[key]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(entryKey);
  return { files, entry: baseName(entryKey), css: entryOutput.cssBundle && baseName(entryOutput.cssBundle), upFront };
}
