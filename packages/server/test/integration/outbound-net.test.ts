import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointRefusal } from '../../src/infra/net/endpoint-policy.js';
import { HttpClient, SessionPool } from '../../src/infra/net/index.js';

/**
 * The two transports every provider request goes over, against loopback servers: redirects are answers, never
 * followed, and without the operator's allowance nothing private is connected to, whether named by address
 * or by a name that resolves to one (docs/security.md, "Outbound requests: the endpoint policy").
 */

let connections = 0;
let followed = 0;
const servers: Server[] = [];

async function listen(server: Server): Promise<number> {
  server.on('connection', () => {
    connections += 1;
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

let target = 0;
let h1 = 0;
let h2 = 0;

beforeAll(async () => {
  target = await listen(
    http.createServer((_req, res) => {
      followed += 1;
      res.end('followed');
    }),
  );
  const redirect = (_req: unknown, res: http.ServerResponse | http2.Http2ServerResponse) => {
    (res as http.ServerResponse).writeHead(302, { location: `http://127.0.0.1:${target}/internal` });
    res.end('moved');
  };
  h1 = await listen(http.createServer(redirect));
  h2 = await listen(http2.createServer(redirect));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

const post = (client: HttpClient, url: string) => client.post(new URL(url), {}, '{}');
const h2Request = (pool: SessionPool) => pool.request({ ':method': 'POST', ':path': '/send' }, '{}');

describe('redirects are answers, never followed', () => {
  it('HttpClient (HTTP/1.1)', async () => {
    const client = new HttpClient({ allowPrivate: true });
    try {
      const res = await post(client, `http://127.0.0.1:${h1}/send`);
      expect([res.status, res.headers.location]).toEqual([302, `http://127.0.0.1:${target}/internal`]);
      expect(followed).toBe(0);
    } finally {
      client.close();
    }
  });

  it('SessionPool (HTTP/2)', async () => {
    const pool = new SessionPool(`http://127.0.0.1:${h2}`, { allowPrivate: true });
    try {
      const res = await h2Request(pool);
      expect(res.status).toBe(302);
      expect(followed).toBe(0);
    } finally {
      await pool.close();
    }
  });
});

describe('without private endpoints allowed, nothing private is connected to', () => {
  it('HttpClient refuses an address and a name that resolves to loopback, before any connection', async () => {
    const client = new HttpClient();
    const before = connections;
    try {
      for (const url of [`https://127.0.0.1:${h1}/send`, `https://localhost:${h1}/send`, `http://8.8.8.8/`]) {
        const err = await post(client, url).catch((e: unknown) => e);
        expect(endpointRefusal(err)?.message, url).toMatch(
          /^the endpoint (names|resolves to) a non-public address$|^the endpoint must be https$/,
        );
      }
      expect(connections).toBe(before);
    } finally {
      client.close();
    }
  });

  it('SessionPool refuses an address and a name that resolves to loopback, before any connection', async () => {
    const before = connections;
    for (const origin of [`https://127.0.0.1:${h2}`, `https://localhost:${h2}`]) {
      const pool = new SessionPool(origin);
      try {
        const err = await h2Request(pool).catch((e: unknown) => e);
        expect(endpointRefusal(err)?.message, origin).toMatch(
          /^the endpoint (names|resolves to) a non-public address$/,
        );
      } finally {
        await pool.close();
      }
    }
    expect(connections).toBe(before);
  });
});
