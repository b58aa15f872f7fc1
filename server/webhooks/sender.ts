import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { Webhook } from 'standardwebhooks';
import { isLoopbackHost } from '../../schema/webhook.ts';
import type { AttemptResult } from './retry.ts';

/** Resolves a host to its addresses (injectable for tests). */
export type Resolver = (hostname: string) => Promise<string[]>;
const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Why a receiver URL must not be called, or undefined when it may: a URL that names a loopback host
 * is allowed (local development, validated at subscription), any other must resolve only to public
 * unicast addresses — never private, link-local (cloud metadata), loopback or reserved ones (SSRF).
 */
export async function refusedTarget(url: string, resolve: Resolver = systemResolver): Promise<string | undefined> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isLoopbackHost(host)) return undefined;
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : await resolve(host);
  } catch {
    return undefined; // not resolvable now: the attempt itself reports the network error and is retried
  }
  for (const address of addresses) {
    const parsed = ipaddr.process(address);
    if (parsed.range() !== 'unicast') return `${host} resolves to ${address} (${parsed.range()}), not a public address`;
  }
  return undefined;
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

  constructor(
    private readonly timeoutMs: number,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  async send(url: string, secret: string, id: string, payload: string, now = new Date()): Promise<SendResult> {
    const refused = await refusedTarget(url, this.resolve);
    if (refused) return { result: { kind: 'refused', reason: refused } };
    const signature = this.signer(secret).sign(id, now, payload);
    try {
      const res = await this.fetchImpl(url, {
        method: 'POST',
        redirect: 'manual',
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
      const body = await readSome(res);
      const ok = res.status >= 200 && res.status < 300;
      return {
        result: { kind: 'response', status: res.status, retryAfter: res.headers.get('retry-after') },
        ...(ok || !body ? {} : { detail: body.slice(0, 300) }),
      };
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return { result: { kind: 'timeout' } };
      return { result: { kind: 'network', error: describeNetworkError(err) } };
    }
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
async function readSome(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the rest of the body.
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
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
