/**
 * `npm run bench:tracker`: what a page downloads up front (raw, gzip, brotli) and, with Chromium at
 * /usr/bin/chromium, the time from `track()` in a page to the row being queryable in ClickHouse
 * (real collector, sink at its default 1 s flush age, embedded ClickHouse, local Redis).
 */
import { existsSync } from 'node:fs';
import { trackerBuild } from './build.ts';
import { loaderSnippet } from './snippet.ts';
import { CHROMIUM, TrackerHarness, trackerLoaded } from '../tests/tracker/harness.ts';

const build = await trackerBuild();
const rowsOf = build.upFront.map((n) => build.files.get(n)!);
const line = (name: string, raw: number, gz: number, br: number) =>
  `${name.padEnd(26)} ${String(raw).padStart(8)} ${String(gz).padStart(8)} ${String(br).padStart(8)}`;
console.log(`tracker build: ${build.buildMs} ms, ${build.files.size - 1} files; up front (entry + static imports):`);
console.log(`${'file'.padEnd(26)}      raw     gzip   brotli`);
for (const a of rowsOf) console.log(line(a.name, a.body.length, a.gzip.length, a.br.length));
const total = (f: (a: (typeof rowsOf)[number]) => number) => rowsOf.reduce((s, a) => s + f(a), 0);
console.log(line('total', total((a) => a.body.length), total((a) => a.gzip.length), total((a) => a.br.length)));
console.log(`loader snippet (inline in the page): ${loaderSnippet('wk_' + 'x'.repeat(32), { host: 'https://collect.example.com' }).length} B`);

if (!existsSync(CHROMIUM)) {
  console.log(`no ${CHROMIUM}: skipping the track() → row latency (apt-get install -y chromium)`);
  process.exit(0);
}
const N = 30;
const h = await TrackerHarness.start({ WARMLINE_SINK_MAX_AGE_MS: process.env.SINK_MAX_AGE_MS ?? '1000' });
try {
  const page = await h.newPage();
  await page.goto(h.siteUrl('bench'));
  await trackerLoaded(page);
  const latencies: number[] = [];
  for (let i = 0; i < N; i++) {
    const at = Date.now();
    await page.evaluate(`window.warmline.track('Bench', { tag: 'bench-${i}' })`);
    await h.tagged(`bench-${i}`, 1);
    latencies.push(Date.now() - at);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(N - 1, Math.floor((p / 100) * N))];
  console.log(`track() → row queryable, ${N} events one at a time (sink max age ${h.config.WARMLINE_SINK_MAX_AGE_MS} ms): ` +
    `p50 ${pct(50)} ms, p90 ${pct(90)} ms, max ${latencies[N - 1]} ms`);
  if (h.foreignRequests().length) throw new Error(`requests left for other hosts: ${h.foreignRequests().join(', ')}`);
} finally {
  await h.close();
}
process.exit(0);
