import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request a receiver got, with its Standard Webhooks verification (by the `standardwebhooks` library). */
export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  verified: boolean;
  at: number;
  /** How the receiver answered: 2xx, another status, or not at all. */
  answered?: 'ok' | 'error' | 'hang';
}

/** What the receiver answers: a status (and headers), or nothing at all (`hang`: a black hole). */
export type Reply = { status: number; headers?: Record<string, string> } | 'hang';

/**
 * A real HTTP receiver on a loopback port that verifies every request's signature with `secret`
 * (set once the endpoint exists). `reply` decides each answer; `stop()`/`start()` take it down and up
 * on the same port.
 */
export class Receiver {
  readonly received: Received[] = [];
  secret = '';
  reply: (r: Received) => Reply = () => ({ status: 204 });
  private server: Server | undefined;
  private hanging = new Set<ServerResponse>();
  port = 0;

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Distinct webhook ids verified and answered 2xx. */
  delivered(): Set<string> {
    return new Set(this.received.filter((r) => r.verified && r.answered === 'ok').map((r) => r.id));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const header = (name: string) => String(req.headers[name] ?? '');
    const headers = { 'webhook-id': header('webhook-id'), 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') };
    let verified: boolean;
    try {
      new Webhook(this.secret).verify(body, headers);
      verified = true;
    } catch {
      verified = false;
    }
    const r: Received = {
      id: headers['webhook-id'],
      timestamp: headers['webhook-timestamp'],
      signature: headers['webhook-signature'],
      body,
      verified,
      at: Date.now(),
    };
    const reply = this.reply(r);
    r.answered = reply === 'hang' ? 'hang' : reply.status >= 200 && reply.status < 300 ? 'ok' : 'error';
    this.received.push(r);
    if (reply === 'hang') {
      this.hanging.add(res);
      return;
    }
    res.writeHead(reply.status, reply.headers ?? {});
    res.end();
  }
}
