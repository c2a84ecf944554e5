import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionPool } from '../../src/infra/net/index.js';
import { until } from '../support/wait.js';

/** A kept-warm pool against a loopback HTTP/2 server: the connection is made before the first request needs it. */
const sessions: http2.ServerHttp2Session[] = [];
let server: http2.Http2Server;
let origin = '';

beforeAll(async () => {
  server = http2.createServer((_req, res) => res.end('{}'));
  server.on('session', (s) => sessions.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sessions) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('SessionPool.keepWarm', () => {
  it('opens a session before any request and reuses it for the first one', async () => {
    const pool = new SessionPool(origin, { allowPrivate: true });
    const before = sessions.length;
    await pool.keepWarm();
    expect(sessions.length).toBe(before + 1);
    expect(pool.sessions().open).toBe(1);
    expect((await pool.request({ ':method': 'POST', ':path': '/send' }, '{}')).status).toBe(200);
    expect(sessions.length).toBe(before + 1);
    await pool.close();
  });

  it('replaces a session the server closed (GOAWAY) without waiting for a request', async () => {
    const pool = new SessionPool(origin, { allowPrivate: true });
    await pool.keepWarm();
    const first = sessions.at(-1)!;
    const opened = sessions.length;
    first.goaway();
    first.close();
    await until('reopened', () => sessions.length === opened + 1 && pool.sessions().open === 1, 5000);
    await pool.close();
  });

  it('does not reopen after close, and a plain pool opens nothing until asked', async () => {
    const plain = new SessionPool(origin, { allowPrivate: true });
    const before = sessions.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sessions.length).toBe(before);
    await plain.close();
    const warm = new SessionPool(origin, { allowPrivate: true });
    await warm.keepWarm();
    await warm.close();
    const after = sessions.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(sessions.length).toBe(after);
  });
});
