import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

/** How long in-flight requests may finish after close() before their sockets are cut. */
const CLOSE_GRACE_MS = 5_000;
/**
 * Idle keep-alive sockets are kept longer than clients and load balancers keep theirs (60 s is the
 * usual idle timeout): with Node's 5 s default, a client reusing a socket the server is closing at that
 * moment gets a reset instead of an answer.
 */
const KEEP_ALIVE_MS = 65_000;

export interface RunningServer {
  server: ServerType;
  port: number;
  /** Stops accepting connections and waits for in-flight requests to finish. */
  close(): Promise<void>;
}

/** Serves a Hono app on `host:port` (port 0 picks a free one); resolves once listening. */
export async function listen(app: Hono, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      resolve({
        server,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            // In-flight requests get a grace period; sockets that never sent a request (browsers
            // pre-open them) or sit idle in keep-alive would otherwise hold close() open for a minute.
            const force = setTimeout(() => 'closeAllConnections' in server && server.closeAllConnections(), CLOSE_GRACE_MS);
            force.unref();
            server.close(() => {
              clearTimeout(force);
              done();
            });
            if ('closeIdleConnections' in server) server.closeIdleConnections();
          }),
      });
    });
    if ('keepAliveTimeout' in server) {
      server.keepAliveTimeout = KEEP_ALIVE_MS;
      server.headersTimeout = KEEP_ALIVE_MS + 1_000;
    }
    server.once('error', reject);
  });
}
