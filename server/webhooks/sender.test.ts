import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedAddress, WebhookSender, type Resolver } from './sender.ts';
import { decide } from './retry.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('refusedAddress', () => {
  it('allows public unicast addresses only', () => {
    expect(refusedAddress('hooks.example.com', '93.184.216.34')).toBeUndefined();
    expect(refusedAddress('hooks.example.com', '2606:2800:220:1::1')).toBeUndefined();
    expect(refusedAddress('hooks.example.com', '10.0.0.5')).toMatch(/10\.0\.0\.5 \(private\)/);
    expect(refusedAddress('metadata.example', '169.254.169.254')).toMatch(/linkLocal/);
    expect(refusedAddress('fd.example', 'fd00::1')).toMatch(/uniqueLocal/);
    expect(refusedAddress('rebind.example', '::ffff:127.0.0.1')).toMatch(/loopback/);
  });
});

/**
 * The guard runs in the connection's own lookup, against a real local receiver: a host name that
 * resolves to 127.0.0.1 (as a rebinding attacker's would) is refused and the receiver sees nothing;
 * a host named as loopback is allowed.
 */
describe('WebhookSender SSRF guard (connect-time lookup)', () => {
  let server: Server;
  let port = 0;
  let received = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      received += 1;
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const sender = (resolve: Resolver) => new WebhookSender(2_000, resolve);

  it('refuses a host whose lookup yields a loopback, private or link-local address, without sending', async () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '169.254.169.254']) {
      // Every name resolves to the local receiver's address except in this one answer: the guard must
      // judge the address the connection would use, not a lookup made earlier.
      const s = sender(() => Promise.resolve([address]));
      const { result } = await s.send(`http://rebind.example:${port}/in`, SECRET, 'msg_1', '{}');
      await s.close();
      expect(result).toMatchObject({ kind: 'refused' });
      expect(result.kind === 'refused' && result.reason).toContain(address);
    }
    expect(received).toBe(0);
  });

  it('refuses private IP literals before any attempt', async () => {
    const s = sender(() => Promise.reject(new Error('literals are never looked up')));
    const { result } = await s.send('https://192.168.1.1/in', SECRET, 'msg_1', '{}');
    await s.close();
    expect(result).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/private/) as unknown });
    const decision = decide(result, 1, { schedule: [1_000] }, Date.now());
    expect(decision.kind === 'dead' && decision.reason).toMatch(/^not sent: .*private/);
  });

  it('sends to hosts named as loopback (local development) and reports unresolvable hosts as network errors', async () => {
    const s = sender(() => Promise.resolve(['127.0.0.1']));
    const ok = await s.send(`http://localhost:${port}/in`, SECRET, 'msg_2', '{}');
    expect(ok.result).toMatchObject({ kind: 'response', status: 200 });
    expect(received).toBe(1);
    const gone = await sender(() => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }))).send(
      `http://nowhere.example:${port}/in`,
      SECRET,
      'msg_3',
      '{}',
    );
    await s.close();
    expect(gone.result).toMatchObject({ kind: 'network', error: expect.stringMatching(/ENOTFOUND/) as unknown });
  });
});
