import type { Server, Socket } from 'node:net';

/** A server that is listening, with the URL clients use and a `close()` that does not wait for them. */
export interface Listening {
  port: number;
  host: string;
  baseUrl: string;
  close(): Promise<void>;
}

/** The URL clients dial: a wildcard bind is reached through loopback, an IPv6 literal needs brackets. */
export function baseUrlFor(scheme: 'http' | 'https', host: string, port: number): string {
  const dialable = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `${scheme}://${dialable.includes(':') ? `[${dialable}]` : dialable}:${port}`;
}

/**
 * Listens on `port` (0 picks a free one) and `host` (default 127.0.0.1). `close()` also destroys open
 * sockets: keep-alive HTTP/1.1 connections and HTTP/2 sessions would otherwise keep `server.close()` waiting
 * until every client hangs up, and test clients (node-apn pings, web-push agents) rarely do.
 */
export async function listen(
  server: Server,
  scheme: 'http' | 'https',
  options: { port?: number; host?: string } = {},
): Promise<Listening> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  return {
    port,
    host,
    baseUrl: baseUrlFor(scheme, host, port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
