import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { testConfig, testRedis } from '../helpers/env.ts';
import { cleanupPrefix } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { tempClickHouse, rows } from '../helpers/clickhouse.ts';
import { WRITE_KEY, SECRET_KEY, WORKSPACE } from '../helpers/collector.ts';
import { migrate } from '../../server/clickhouse/migrate.ts';
import { createCollectorApp } from '../../server/collector.ts';
import { createLogger } from '../../server/logger.ts';
import { Metrics } from '../../server/metrics.ts';
import { startCollector, type CollectorRole } from '../../server/roles/collector.role.ts';
import { startSink, type SinkRole } from '../../server/roles/sink.role.ts';
import { listen, type RunningServer } from '../../server/roles/http.ts';
import { loaderSnippet } from '../../tracker/snippet.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** Every host but 127.0.0.1 fails to resolve: a request to a third party cannot succeed, and is recorded. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

/** An `events` row as the tests read it (JSONEachRow of selected columns). */
export interface EventRow {
  message_id: string;
  type: string;
  event: string;
  name: string;
  user_id: string;
  anonymous_id: string;
  group_id: string;
  timestamp: string;
  received_at: string;
  original_timestamp: string | null;
  page_path: string;
  page_url: string;
  page_referrer: string;
  page_title: string;
  library_name: string;
  properties: string;
  traits: string;
  context: string;
}

/**
 * A real collector + sink + embedded ClickHouse in this process, a second local origin serving test
 * pages with the snippet (a site is rarely on the collector's origin), and real Chromium.
 */
export class TrackerHarness {
  readonly requests: string[] = [];
  private collectorHttp: RunningServer | undefined;
  private constructor(
    readonly config: ReturnType<typeof testConfig>,
    private readonly ch: ReturnType<typeof tempClickHouse>,
    private readonly redis: Redis,
    private readonly collector: CollectorRole,
    private readonly sink: SinkRole,
    private readonly site: Server,
    readonly context: BrowserContext,
    private readonly profileDir: string,
    readonly base: string,
    readonly siteBase: string,
  ) {
    this.collectorHttp = collector.http;
  }

  static async start(overrides: Record<string, string> = {}): Promise<TrackerHarness> {
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1', WARMLINE_SINK_MAX_AGE_MS: '200', WARMLINE_DEV_WRITE_KEY: WRITE_KEY, ...overrides });
    const ch = tempClickHouse();
    const log = createLogger('silent');
    const redis = await testRedis(config);
    await migrate(ch.client, log);
    const metrics = new Metrics();
    const collector = await startCollector(config, log, metrics, { clickhouse: ch.client });
    const sink = await startSink(config, log, metrics, ch.client);
    await collector.deps.keys.ensureWorkspace(WORKSPACE, 'Test');
    await collector.deps.keys.addKey(WORKSPACE, 'write', WRITE_KEY);
    await collector.deps.keys.addKey(WORKSPACE, 'secret', SECRET_KEY);
    const base = `http://127.0.0.1:${collector.http.port}`;
    const site = await testSite(base);
    const siteBase = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    const profileDir = mkdtempSync(join(tmpdir(), 'warmline-chromium-'));
    const context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const h = new TrackerHarness(config, ch, redis, collector, sink, site, context, profileDir, base, siteBase);
    context.on('request', (r) => h.requests.push(r.url()));
    return h;
  }

  /** Requests that tried a host other than our loopback (must stay empty). */
  foreignRequests(): string[] {
    return this.requests.filter((u) => !/^(https?:\/\/127\.0\.0\.1[:/]|about:|data:|blob:|chrome)/.test(u));
  }

  /** Requests to the ingest API so far. */
  ingestRequests(): string[] {
    return this.requests.filter((u) => u.startsWith(`${this.base}/v1/`));
  }

  /** Stops the collector's HTTP server (Redis, the log and the sink keep running). */
  async stopCollector(): Promise<void> {
    const http = this.collectorHttp;
    if (!http) return;
    this.collectorHttp = undefined;
    const closed = http.close();
    // Like a crash: drop open sockets too (a browser's preconnected socket would hold close() for 60 s).
    if ('closeAllConnections' in http.server) http.server.closeAllConnections();
    await closed;
  }

  /** Serves the collector again on the same port (the same origin the pages know). */
  async restartCollector(): Promise<void> {
    const port = Number(new URL(this.base).port);
    this.collectorHttp = await listen(createCollectorApp(this.collector.deps, { clickhouse: this.ch.client }), '127.0.0.1', port);
  }

  /** A test page on the site origin: `/<name>?<tracker options>`, e.g. `consent=required`. */
  siteUrl(name: string, options: Record<string, string> = {}): string {
    const q = new URLSearchParams(options).toString();
    return `${this.siteBase}/${name}${q ? `?${q}` : ''}`;
  }

  async newPage(): Promise<Page> {
    return this.context.newPage();
  }

  async query<T = EventRow>(where: string, params: Record<string, unknown> = {}, final = true): Promise<T[]> {
    return rows<T>(
      this.ch.client,
      `SELECT * FROM events ${final ? 'FINAL' : ''} WHERE workspace_id = {ws:String} AND (${where}) ORDER BY original_timestamp, timestamp`,
      { ws: WORKSPACE, ...params },
    );
  }

  /** Rows (without FINAL: a duplicate would show) of track events carrying `properties.tag = tag`, once `n` are there. */
  async tagged(tag: string, n: number, timeoutMs = 20_000): Promise<EventRow[]> {
    return waitFor(
      async () => {
        const r = await this.query("JSONExtractString(properties, 'tag') = {tag:String}", { tag }, false);
        return r.length >= n ? r : undefined;
      },
      { timeoutMs, what: `${n} rows tagged ${tag}` },
    );
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    rmSync(this.profileDir, { recursive: true, force: true });
    await new Promise<void>((r) => this.site.close(() => r()));
    await this.stopCollector();
    for (const step of [...this.collector.steps.slice(1), ...this.sink.steps]) await step.run();
    await cleanupPrefix(this.redis, this.config.WARMLINE_REDIS_PREFIX);
    this.redis.disconnect();
    await this.ch.dispose();
  }
}

/** The test site: any path is a page embedding the snippet (options from the query string) and a link to go on. */
async function testSite(collectorBase: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/favicon.ico') return void res.writeHead(404).end();
    const options: Record<string, unknown> = { host: collectorBase };
    for (const [k, v] of url.searchParams) options[k] = v === 'true' ? true : v === 'false' ? false : v;
    const name = url.pathname.slice(1) || 'home';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${name}</title>${loaderSnippet(WRITE_KEY, options as { host: string })}</head>
<body><h1>${name}</h1><a id="next" href="/next${url.search}">next</a></body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/** Evaluates a JavaScript expression in the page (a string: these tests typecheck against Node, not the DOM). */
export function js<T = unknown>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/** Calls `window.warmline.<method>(...args)` in the page. */
export function warmline<T = unknown>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  return js<T>(page, `window.warmline.${method}(${args.map((a) => JSON.stringify(a)).join(',')})`);
}

/** A stored event's `properties.n`. */
export const nOf = (row: { properties: string }) => (JSON.parse(row.properties) as { n?: number }).n;

/** Waits until the bundle has replaced the snippet's stub on `page`. */
export async function trackerLoaded(page: Page): Promise<void> {
  await page.waitForFunction('window.warmline && window.warmline.loaded === true', undefined, { timeout: 15_000 });
}
