import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

/** How long in-flight requests may finish after close() before their sockets are cut. */
const CLOSE_GRACE_MS = 5_000;

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
    server.once('error', reject);
  });
}
