import { describe, expect, it } from 'vitest';
import { refusedTarget, WebhookSender } from './sender.ts';
import { decide } from './retry.ts';

const resolvesTo = (...addresses: string[]) => () => Promise.resolve(addresses);

describe('refusedTarget (SSRF guard)', () => {
  it('allows loopback receivers and hosts that resolve to public addresses only', async () => {
    expect(await refusedTarget('http://127.0.0.1:9000/in', resolvesTo())).toBeUndefined();
    expect(await refusedTarget('http://localhost:9000/in', resolvesTo('10.0.0.1'))).toBeUndefined();
    expect(await refusedTarget('https://hooks.example.com/in', resolvesTo('93.184.216.34', '2606:2800:220:1::1'))).toBeUndefined();
  });
  it('refuses hosts resolving to private, link-local (metadata) or unique-local addresses, and such literals', async () => {
    expect(await refusedTarget('https://hooks.example.com/in', resolvesTo('93.184.216.34', '10.0.0.5'))).toMatch(/10\.0\.0\.5 \(private\)/);
    expect(await refusedTarget('https://metadata.example/in', resolvesTo('169.254.169.254'))).toMatch(/linkLocal/);
    expect(await refusedTarget('https://192.168.1.1/in', resolvesTo())).toMatch(/private/);
    expect(await refusedTarget('https://[fd00::1]/in', resolvesTo())).toMatch(/uniqueLocal/);
    expect(await refusedTarget('https://rebind.example/in', resolvesTo('::ffff:127.0.0.1'))).toMatch(/loopback/);
  });
  it('leaves an unresolvable host to the attempt (a retried network error)', async () => {
    expect(await refusedTarget('https://nowhere.example/in', () => Promise.reject(new Error('ENOTFOUND')))).toBeUndefined();
  });
  it('never sends to a refused target, and the delivery is dead-lettered with the reason', async () => {
    const fetchImpl: typeof fetch = () => Promise.reject(new Error('must not be called'));
    const sender = new WebhookSender(1_000, fetchImpl, resolvesTo('10.1.2.3'));
    const { result } = await sender.send('https://internal.example/in', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_1', '{}');
    expect(result).toMatchObject({ kind: 'refused' });
    const decision = decide(result, 1, { schedule: [1_000] }, Date.now());
    expect(decision.kind).toBe('dead');
    expect(decision.kind === 'dead' && decision.reason).toMatch(/^not sent: .*private/);
  });
});
