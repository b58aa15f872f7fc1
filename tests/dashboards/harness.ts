import { afterAll, beforeAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { testConfig, testRedis } from '../helpers/env.ts';
import { cleanupPrefix, drained } from '../helpers/redis.ts';
import { SINK_GROUP } from '../../server/sink/clickhouse.sink.ts';
import { rows, tempClickHouse } from '../helpers/clickhouse.ts';
import { basic, SECRET_KEY, WORKSPACE, WRITE_KEY } from '../helpers/collector.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../tracker/harness.ts';
import { migrate } from '../../server/clickhouse/migrate.ts';
import { createLogger } from '../../server/logger.ts';
import { Metrics } from '../../server/metrics.ts';
import { startCollector, type CollectorRole } from '../../server/roles/collector.role.ts';
import { loadActiveModel, startScorer, type ScorerRole } from '../../server/roles/scorer.role.ts';
import { startSink, type SinkRole } from '../../server/roles/sink.role.ts';
import { startNotifier, type NotifierRole } from '../../server/roles/notifier.role.ts';

export { SECRET_KEY, WORKSPACE, WRITE_KEY };

/** Where page screenshots go (gitignored): looked at by a human, not compared. */
export const ARTIFACTS = 'test-artifacts/dashboards';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * The whole product in this process — collector (with the read API, the dashboards and the live
 * feed), sink into an embedded ClickHouse, streaming scorer with the default model, webhook notifier —
 * on a real loopback port, and real Chromium to drive the dashboards.
 */
export class DashboardHarness {
  private messageSeq = 0;
  private constructor(
    readonly config: ReturnType<typeof testConfig>,
    private readonly ch: ReturnType<typeof tempClickHouse>,
    private readonly redis: Redis,
    private readonly collector: CollectorRole,
    private readonly sink: SinkRole,
    private readonly scorer: ScorerRole,
    private readonly notifier: NotifierRole,
    private readonly browser: Browser,
    readonly base: string,
  ) {}

  static async start(): Promise<DashboardHarness> {
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1', WARMLINE_SINK_MAX_AGE_MS: '200' });
    const ch = tempClickHouse();
    const log = createLogger('silent');
    const redis = await testRedis(config);
    await migrate(ch.client, log);
    const metrics = new Metrics();
    const model = await loadActiveModel(config);
    const collector = await startCollector(config, log, metrics, { clickhouse: ch.client, model });
    const sink = await startSink(config, log, metrics, ch.client);
    const scorer = await startScorer(config, log, metrics, model);
    const notifier = await startNotifier(config, log, metrics);
    await collector.deps.keys.ensureWorkspace(WORKSPACE, 'Test');
    await collector.deps.keys.addKey(WORKSPACE, 'write', WRITE_KEY);
    await collector.deps.keys.addKey(WORKSPACE, 'secret', SECRET_KEY);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    return new DashboardHarness(config, ch, redis, collector, sink, scorer, notifier, browser, `http://127.0.0.1:${collector.http.port}`);
  }

  /**
   * POSTs events to `/v1/batch` with the write key (as a backend would: a curl user agent is never
   * taken for a bot); fills messageId and, when absent, timestamp. Resolves at the 200.
   */
  async send(batch: Record<string, unknown>[]): Promise<void> {
    const res = await fetch(`${this.base}/v1/batch`, {
      method: 'POST',
      headers: { authorization: basic(WRITE_KEY), 'content-type': 'application/json', 'user-agent': 'curl/8.5.0' },
      body: JSON.stringify({ batch: batch.map((e) => ({ messageId: `dash-${this.messageSeq++}`, timestamp: new Date().toISOString(), ...e })) }),
    });
    if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${await res.text()}`);
  }

  /** True once the sink has read and acknowledged everything in the log (all of it is in ClickHouse). */
  sinkDrained(): Promise<boolean> {
    return drained(this.redis, this.collector.deps.logKeys.streams(), SINK_GROUP);
  }

  /** Entries in the log, all partitions (nothing trims it within a test). */
  async logEntries(): Promise<number> {
    const lengths = await Promise.all(this.collector.deps.logKeys.streams().map((s) => this.redis.xlen(s)));
    return lengths.reduce((a, b) => a + b, 0);
  }

  /** GET on the read API with the secret key. */
  async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.base}${path}`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Stored events of a user in ClickHouse (FINAL): how the tests know the sink has flushed. */
  async storedEvents(userId: string): Promise<number> {
    const [r] = await rows<{ c: string }>(this.ch.client, 'SELECT count() AS c FROM events FINAL WHERE workspace_id = {ws:String} AND user_id = {u:String}', { ws: WORKSPACE, u: userId });
    return Number(r?.c ?? 0);
  }

  /**
   * A fresh browser context at `viewport`, signed in through the form. `dialogs` collects every
   * alert/confirm/prompt a page opens (an XSS payload that ran would open one).
   */
  async signedIn(viewport = DESKTOP, path = '/app/'): Promise<{ context: BrowserContext; page: Page; dialogs: string[]; errors: string[] }> {
    const context = await this.browser.newContext({ viewport });
    const page = await context.newPage();
    const dialogs: string[] = [];
    const errors: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${this.base}${path}`);
    await page.fill('#key', SECRET_KEY);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=sign-out]');
    return { context, page, dialogs, errors };
  }

  async screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    for (const step of [...this.notifier.steps, ...this.scorer.steps, ...this.collector.steps, ...this.sink.steps]) await step.run();
    await cleanupPrefix(this.redis, this.config.WARMLINE_REDIS_PREFIX);
    this.redis.disconnect();
    await this.ch.dispose();
  }
}

/** Evaluates a JavaScript expression in the page (a string: the tests typecheck against Node, not the DOM). */
export function js<T = unknown>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/** The text of every element matching `selector`, in document order. */
export function texts(page: Page, selector: string): Promise<string[]> {
  return js(page, `[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent)`);
}

/** Per element matching `rowSelector`: the text of its first match of each of `cells` (null when none). */
export function table(page: Page, rowSelector: string, cells: string[]): Promise<(string | null)[][]> {
  return js(
    page,
    `[...document.querySelectorAll(${JSON.stringify(rowSelector)})].map((r) => ${JSON.stringify(cells)}.map((c) => r.querySelector(c)?.textContent ?? null))`,
  );
}

/** `data-testid` → text of the cells of the row matching `rowSelector`. */
export function testIdCells(page: Page, rowSelector: string): Promise<Record<string, string>> {
  return js(
    page,
    `Object.fromEntries([...document.querySelector(${JSON.stringify(rowSelector)}).querySelectorAll('td[data-testid]')].map((td) => [td.getAttribute('data-testid'), td.textContent]))`,
  );
}

/**
 * Starts a harness before the test file's tests and closes it after them; tests reach it as `env.h`.
 * @example const env = useDashboardHarness(); it('…', async () => { await env.h.send([…]); });
 */
export function useDashboardHarness(): { readonly h: DashboardHarness } {
  let started: DashboardHarness | undefined;
  beforeAll(async () => {
    started = await DashboardHarness.start();
  }, 60_000);
  afterAll(async () => {
    await started?.close();
  });
  return {
    get h() {
      if (!started) throw new Error('the dashboard harness is not started (use it inside tests)');
      return started;
    },
  };
}
