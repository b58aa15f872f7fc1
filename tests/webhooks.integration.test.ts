import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryAttempt, WebhookDelivery, WebhookEndpoint, WebhookPayload } from '../schema/webhook.ts';
import { Receiver } from './helpers/receiver.ts';
import { waitFor } from './helpers/wait.ts';
import { WRITE_KEY, signal, webhookWorld, type WebhookWorld } from './helpers/webhooks.ts';

let world: WebhookWorld | undefined;
const receivers: Receiver[] = [];

async function setup(): Promise<WebhookWorld> {
  world = await webhookWorld();
  return world;
}
async function receiver(): Promise<Receiver> {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
}
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
  await world?.dispose();
  world = undefined;
});

const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;

describe('webhook delivery', () => {
  it('delivers every signal once the receiver comes back, with the same webhook-id on every attempt', async () => {
    const w = await setup();
    const r = await receiver();
    const { endpoint, secret } = await w.createEndpoint({ url: r.url });
    r.secret = secret;
    // Up but failing (503), then down (connection refused), then healthy.
    r.reply = () => ({ status: 503 });
    await w.startNotifier();
    const signals = Array.from({ length: 20 }, (_, i) => signal({ userKey: `u${i}` }));
    await w.emit(signals);

    await waitFor(() => new Set(r.received.map((x) => x.id)).size === 20, { what: 'a first failed attempt of every signal' });
    await r.stop();
    const refused = async () => {
      const res = await w.api('GET', `/webhooks/${endpoint.id}/attempts?limit=200`);
      const { attempts } = await json<{ attempts: DeliveryAttempt[] }>(res);
      return attempts.some((a) => a.status === undefined && a.error?.includes('network'));
    };
    await waitFor(refused, { what: 'attempts against the stopped receiver' });
    r.reply = () => ({ status: 200 });
    await r.start();

    await waitFor(() => r.delivered().size === 20, { what: 'every signal delivered' });
    expect(r.received.every((x) => x.verified)).toBe(true);
    const byId = new Map<string, typeof r.received>();
    for (const x of r.received) byId.set(x.id, [...(byId.get(x.id) ?? []), x]);
    for (const attempts of byId.values()) {
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      // One body and one id; signatures differ per attempt (fresh timestamp or not, the id is stable).
      expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    }
    const payloads = [...byId.values()].map((a) => JSON.parse(a[0]!.body) as WebhookPayload);
    expect(new Set(payloads.map((p) => p.data.signalId))).toEqual(new Set(signals.map((s) => s.id)));
    expect(payloads[0]).toMatchObject({ version: 1, type: 'segment.entered', data: { workspaceId: 'ws_test', segment: 'hot', score: 42 } });

    const res = await w.api('GET', `/webhooks/${endpoint.id}/deliveries?limit=50`);
    const { deliveries } = await json<{ deliveries: WebhookDelivery[] }>(res);
    expect(deliveries).toHaveLength(20);
    await waitFor(async () => {
      const list = await json<{ deliveries: WebhookDelivery[] }>(await w.api('GET', `/webhooks/${endpoint.id}/deliveries?limit=50`));
      return list.deliveries.every((d) => d.status === 'delivered');
    }, { what: 'every delivery marked delivered' });
  });

  it('keeps a fast endpoint fast while another black-holes', async () => {
    const w = await setup();
    const hole = await receiver();
    const fast = await receiver();
    hole.reply = () => 'hang';
    const a = await w.createEndpoint({ url: hole.url, filters: { segments: ['hot'] } });
    const b = await w.createEndpoint({ url: fast.url, filters: { segments: ['hot'] } });
    hole.secret = a.secret;
    fast.secret = b.secret;
    await w.startNotifier({ timeoutMs: 5_000, concurrency: 4 });
    const started = Date.now();
    await w.emit(Array.from({ length: 100 }, (_, i) => signal({ userKey: `u${i}` })));
    await waitFor(() => fast.delivered().size === 100, { what: 'the fast endpoint served' });
    const elapsed = Date.now() - started;
    // Well before the black hole's first timeout fires.
    expect(elapsed).toBeLessThan(2_500);
    expect(hole.received.length).toBeGreaterThan(0);
    expect(hole.received.length).toBeLessThanOrEqual(4);
    expect(fast.received.every((x) => x.verified)).toBe(true);
  });

  it('dead-letters a 4xx at once and retries 5xx', async () => {
    const w = await setup();
    const r = await receiver();
    const { endpoint, secret } = await w.createEndpoint({ url: r.url });
    r.secret = secret;
    r.reply = () => ({ status: 400 });
    await w.startNotifier();
    await w.emit([signal()]);
    const dead = await waitFor(async () => {
      const list = await json<{ deliveries: WebhookDelivery[] }>(await w.api('GET', `/webhooks/${endpoint.id}/deliveries`));
      return list.deliveries.find((d) => d.status === 'dead');
    }, { what: 'the delivery dead-lettered' });
    expect(dead.attempts).toBe(1);
    expect(dead.history[0]).toMatchObject({ attempt: 1, status: 400, outcome: 'dead' });
    expect(dead.lastError).toContain('HTTP 400');
    // Past the whole short schedule: still exactly one request.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(r.received).toHaveLength(1);
  });

  it('honours Retry-After on 429', async () => {
    const w = await setup();
    const r = await receiver();
    const { secret } = await w.createEndpoint({ url: r.url });
    r.secret = secret;
    r.reply = (x) => (r.received.some((p) => p.id === x.id) ? { status: 200 } : { status: 429, headers: { 'retry-after': '1' } });
    await w.startNotifier({ retrySchedule: [50, 50, 50] });
    await w.emit([signal()]);
    await waitFor(() => r.delivered().size === 1, { what: 'delivery after the 429' });
    const [first, second] = r.received;
    expect(second!.id).toBe(first!.id);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(second!.verified).toBe(true);
  });

  it('auto-disables an endpoint after a long failure streak, with the reason visible; re-enabling clears it', async () => {
    const w = await setup();
    const r = await receiver();
    const { endpoint, secret } = await w.createEndpoint({ url: r.url });
    r.secret = secret;
    r.reply = () => ({ status: 500 });
    await w.startNotifier({ disableAfterFailures: 5, disableAfterMs: 300, retrySchedule: Array.from({ length: 20 }, () => 50) });
    await w.emit([signal({ userKey: 'a' }), signal({ userKey: 'b' })]);
    const disabled = await waitFor(async () => {
      const e = await json<WebhookEndpoint>(await w.api('GET', `/webhooks/${endpoint.id}`));
      return e.enabled ? false : e;
    }, { what: 'the endpoint auto-disabled' });
    expect(disabled.disabledReason).toMatch(/^auto-disabled after \d+ consecutive failed attempts over [\d.]+ h \(last: HTTP 500/);
    expect(disabled.disabledAt).toBeDefined();
    // No more attempts once disabled (allow the ones in flight to land).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const count = r.received.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(r.received.length).toBe(count);

    r.reply = () => ({ status: 200 });
    const res = await w.api('PATCH', `/webhooks/${endpoint.id}`, { enabled: true });
    const enabled = await json<WebhookEndpoint>(res);
    expect(enabled).toMatchObject({ enabled: true });
    expect(enabled.disabledReason).toBeUndefined();
    // Its queue resumes where it stopped.
    await waitFor(() => r.delivered().size === 2, { what: 'the queue resumed after re-enabling' });
  });

  it('replays one delivery and everything since a time, with the same webhook-id', async () => {
    const w = await setup();
    const r = await receiver();
    const { endpoint, secret } = await w.createEndpoint({ url: r.url });
    r.secret = secret;
    await w.startNotifier();
    const since = new Date().toISOString();
    await w.emit([signal({ userKey: 'a' }), signal({ userKey: 'b' }), signal({ userKey: 'c' })]);
    await waitFor(() => r.delivered().size === 3, { what: 'first deliveries' });
    const { deliveries } = await json<{ deliveries: WebhookDelivery[] }>(await w.api('GET', `/webhooks/${endpoint.id}/deliveries`));
    await waitFor(async () => {
      const d = await json<WebhookDelivery>(await w.api('GET', `/webhooks/${endpoint.id}/deliveries/${deliveries[0]!.id}`));
      return d.status === 'delivered';
    });

    const one = await w.api('POST', `/webhooks/${endpoint.id}/deliveries/${deliveries[0]!.id}/replay`);
    expect(one.status).toBe(202);
    await waitFor(() => r.received.filter((x) => x.id === deliveries[0]!.id).length === 2, { what: 'the replayed delivery' });
    expect(r.received.length).toBe(4);

    const all = await w.api('POST', `/webhooks/${endpoint.id}/replay`, { since });
    expect(await json(all)).toEqual({ replayed: 3 });
    await waitFor(() => r.received.length === 7, { what: 'replay since' });
    expect(r.received.every((x) => x.verified)).toBe(true);
    expect(new Set(r.received.map((x) => x.id))).toEqual(new Set(deliveries.map((d) => d.id)));

    expect((await w.api('POST', `/webhooks/${endpoint.id}/deliveries/msg_nope/replay`)).status).toBe(404);
    expect((await w.api('POST', `/webhooks/${endpoint.id}/replay`, { since: 'yesterday' })).status).toBe(400);
  });

  it('delivers a user\'s signals in order when the endpoint asks for it', async () => {
    const w = await setup();
    const r = await receiver();
    const { secret } = await w.createEndpoint({ url: r.url, orderedPerUser: true });
    r.secret = secret;
    let failFirst = true;
    r.reply = () => {
      if (failFirst) {
        failFirst = false;
        return { status: 503 };
      }
      return { status: 200 };
    };
    await w.startNotifier({ concurrency: 8 });
    const signals = Array.from({ length: 6 }, (_, i) => signal({ userKey: 'same-user', score: i }));
    await w.emit(signals);
    await waitFor(() => r.delivered().size === 6, { what: 'all six delivered' });
    const order = r.received.filter((x) => x.answered === 'ok').map((x) => (JSON.parse(x.body) as WebhookPayload).data.score);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('two notifiers share the work without double deliveries', async () => {
    const w = await setup();
    const r = await receiver();
    const { secret } = await w.createEndpoint({ url: r.url });
    r.secret = secret;
    await w.startNotifier();
    await w.startNotifier();
    await w.emit(Array.from({ length: 200 }, (_, i) => signal({ userKey: `u${i}` })));
    await waitFor(() => r.delivered().size === 200, { what: 'all delivered' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.received).toHaveLength(200);
  });
});

describe('webhook API', () => {
  it('validates URLs precisely and returns the secret once', async () => {
    const w = await setup();
    const post = async (body: unknown) => {
      const res = await w.api('POST', '/webhooks', body);
      return { status: res.status, body: await json<{ error: string; message: string }>(res) };
    };
    const http = await post({ url: 'http://hooks.example.com/in' });
    expect(http).toMatchObject({ status: 400, body: { error: 'invalid_body' } });
    expect(http.body.message).toContain('url: https is required');
    const creds = await post({ url: 'https://user:pass@hooks.example.com/in' });
    expect(creds.status).toBe(400);
    expect(creds.body.message).toContain('credentials in the URL are not allowed');
    expect((await post({ url: 'ftp://hooks.example.com' })).body.message).toContain('scheme ftp: not allowed');
    expect((await post({ url: 'not a url' })).body.message).toContain('not an absolute URL');
    expect((await post({ url: 'https://hooks.example.com', filters: { kinds: ['nope'] } })).status).toBe(400);
    expect((await post({ url: 'https://hooks.example.com', extra: 1 })).status).toBe(400);
    const bad = await w.app.request('/api/webhooks', { method: 'POST', headers: { authorization: `Bearer ${'sk_test_secret_key_0001'}` }, body: '{' });
    expect(await json(bad)).toMatchObject({ error: 'invalid_json' });
    const huge = await post({ url: 'https://hooks.example.com', filters: { segments: ['x'.repeat(70_000)] } });
    expect(huge).toMatchObject({ status: 413, body: { error: 'body_too_large' } });

    const ok = await post({ url: 'http://localhost:9/in' });
    expect(ok.status).toBe(201);
    const created = await w.createEndpoint({ url: 'https://hooks.example.com/in', filters: { segments: ['hot'], minScore: 10 } });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = await w.api('GET', `/webhooks/${created.endpoint.id}`);
    const text = await got.text();
    expect(text).not.toContain(created.secret.slice(6));
    expect(JSON.parse(text)).toMatchObject({ url: 'https://hooks.example.com/in', enabled: true, orderedPerUser: false });

    const list = await json<{ endpoints: WebhookEndpoint[] }>(await w.api('GET', '/webhooks'));
    expect(list.endpoints).toHaveLength(2);
    const patched = await w.api('PATCH', `/webhooks/${created.endpoint.id}`, { url: 'http://example.com' });
    expect(patched.status).toBe(400);
    expect((await w.api('PATCH', `/webhooks/${created.endpoint.id}`, {})).status).toBe(400);
    expect((await w.api('DELETE', `/webhooks/${created.endpoint.id}`)).status).toBe(204);
    expect((await w.api('GET', `/webhooks/${created.endpoint.id}`)).status).toBe(404);
  });

  it('takes secret keys only', async () => {
    const w = await setup();
    expect((await w.app.request('/api/webhooks')).status).toBe(401);
    expect((await w.api('GET', '/webhooks', undefined, WRITE_KEY)).status).toBe(403);
    expect((await w.api('GET', '/webhooks', undefined, 'sk_unknown_key_123')).status).toBe(401);
    expect((await w.api('POST', '/webhooks', { url: 'https://a.example' }, WRITE_KEY)).status).toBe(403);
  });
});
