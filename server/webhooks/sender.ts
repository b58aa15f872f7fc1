import { lookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { Webhook } from 'standardwebhooks';
import { Agent, fetch } from 'undici';
import { isLoopbackHost } from '../../schema/webhook.ts';
import type { AttemptResult } from './retry.ts';

/** Resolves a host to its addresses (injectable for tests). */
export type Resolver = (hostname: string) => Promise<string[]>;
const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** Why `address` (what `host` resolved to) must not be called, or undefined when it may. */
export function refusedAddress(host: string, address: string): string | undefined {
  const parsed = ipaddr.process(address);
  return parsed.range() === 'unicast' ? undefined : `${host} resolves to ${address} (${parsed.range()}), not a public address`;
}

/** Error code of a connection the guard refused (read back from fetch's `cause`). */
const REFUSED = 'EWARMLINE_REFUSED_TARGET';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The SSRF guard, applied where the connection is made: the Agent resolves the receiver's host with
 * this lookup and connects to exactly the addresses it checked, so a host that re-resolves to a
 * private address between a check and the connect (DNS rebinding) is still refused. A host named as
 * loopback is allowed (local development, validated at subscription); any other must resolve only to
 * public unicast addresses — never private, link-local (cloud metadata), loopback or reserved ones.
 */
export function guardedLookup(resolve: Resolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const host = hostname.replace(/^\[|\]$/g, '');
    resolve(host).then(
      (addresses) => {
        const refused = isLoopbackHost(host) ? undefined : addresses.map((a) => refusedAddress(host, a)).find(Boolean);
        if (refused) return callback(Object.assign(new Error(refused), { code: REFUSED }), []);
        if (addresses.length === 0) return callback(Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' }), []);
        const entries = addresses.map((address) => ({ address, family: ipaddr.parse(address).kind() === 'ipv6' ? 6 : 4 }));
        if (options.all) return callback(null, entries);
        const [first] = entries as [LookupAddress];
        callback(null, first.address, first.family);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), []),
    );
  };
}

/** An IP-literal receiver is connected to without a lookup, so it is checked before the attempt. */
function refusedLiteral(url: string): string | undefined {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return ipaddr.isValid(host) && !isLoopbackHost(host) ? refusedAddress(host, host) : undefined;
}

/** Bytes of a response body read (the rest is discarded): enough for an error message, never a memory risk. */
const BODY_READ_LIMIT = 16_384;

/** A signed attempt's result, with the receiver's first words when it failed. */
export interface SendResult {
  result: AttemptResult;
  /** A short excerpt of a non-2xx body, for the delivery log. */
  detail?: string;
}

/**
 * Sends one attempt of a delivery per Standard Webhooks: `webhook-id` is the delivery id (the same on
 * every attempt), `webhook-timestamp` and `webhook-signature` are made fresh for this attempt, so a
 * receiver enforcing the usual 5-minute tolerance accepts a retry hours later. Redirects are not
 * followed (a 3xx is a receiver misconfiguration and goes to the dead letter).
 */
export class WebhookSender {
  private readonly signers = new Map<string, Webhook>();
  private readonly agent: Agent;

  constructor(
    private readonly timeoutMs: number,
    resolve: Resolver = systemResolver,
  ) {
    this.agent = new Agent({ connect: { lookup: guardedLookup(resolve) } });
  }

  async send(url: string, secret: string, id: string, payload: string, now = new Date()): Promise<SendResult> {
    const literal = refusedLiteral(url);
    if (literal) return { result: { kind: 'refused', reason: literal } };
    const signature = this.signer(secret).sign(id, now, payload);
    try {
      const res = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Warmline-Webhooks/1',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: payload,
      });
      const body = await readSome(res.body);
      const ok = res.status >= 200 && res.status < 300;
      return {
        result: { kind: 'response', status: res.status, retryAfter: res.headers.get('retry-after') },
        ...(ok || !body ? {} : { detail: body.slice(0, 300) }),
      };
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return { result: { kind: 'timeout' } };
      const cause = err instanceof Error ? err.cause : undefined;
      if (cause instanceof Error && 'code' in cause && cause.code === REFUSED) return { result: { kind: 'refused', reason: cause.message } };
      return { result: { kind: 'network', error: describeNetworkError(err) } };
    }
  }

  /** Closes the kept-alive connections. */
  close(): Promise<void> {
    return this.agent.close();
  }

  private signer(secret: string): Webhook {
    let signer = this.signers.get(secret);
    if (!signer) {
      signer = new Webhook(secret);
      if (this.signers.size > 10_000) this.signers.clear();
      this.signers.set(secret, signer);
    }
    return signer;
  }
}

/** Reads at most BODY_READ_LIMIT bytes of a body (so keep-alive connections are reused), then lets the rest go. */
async function readSome(stream: AsyncIterable<Uint8Array> | null): Promise<string> {
  if (!stream) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the rest of the body.
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size >= BODY_READ_LIMIT) break;
  }
  return Buffer.concat(chunks).toString('utf8', 0, Math.min(size, BODY_READ_LIMIT));
}

/** undici hides the cause (`ECONNREFUSED`…) under `fetch failed`. */
function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) return `${err.message}: ${'code' in cause ? String(cause.code) : cause.message}`;
  return err.message;
}
