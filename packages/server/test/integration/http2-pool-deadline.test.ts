import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionPool } from '../../src/infra/net/index.js';

/**
 * The pool's one deadline timer: every request fails 10 s after it was made, whether it waited for a stream
 * or sat on one without an answer, and a request answered in time is not held up by the others' deadline.
 */
const sessions: http2.ServerHttp2Session[] = [];
let server: http2.Http2Server;
let origin = '';
let open = 0;
let mostOpen = 0;

beforeAll(async () => {
  // Two streams per session, and only a request to /answer is answered (after 300 ms).
  server = http2.createServer({ settings: { maxConcurrentStreams: 2 } });
  server.on('session', (s) => sessions.push(s));
  server.on('stream', (stream, headers) => {
    open += 1;
    mostOpen = Math.max(mostOpen, open);
    stream.on('close', () => {
      open -= 1;
    });
    if (headers[':path'] === '/answer') {
      setTimeout(() => stream.respond({ ':status': 200 }, { endStream: false }), 300);
      setTimeout(() => stream.end('{"name":"m1"}'), 310);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sessions) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('SessionPool deadlines', () => {
  it('fails requests nobody answers 10 s after they were made, queued ones included', async () => {
    // One session, its two streams known (SETTINGS in): two requests go on streams, four wait for one.
    const pool = new SessionPool(origin, { allowPrivate: true }, 1);
    await pool.keepWarm();
    const started = performance.now();
    const silent = Array.from({ length: 6 }, () => pool.request({ ':method': 'POST', ':path': '/silent' }, '{}'));
    const settledAt: number[] = [];
    const results = await Promise.allSettled(
      silent.map((p) => p.finally(() => settledAt.push(performance.now() - started))),
    );
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/no answer within 10000 ms/);
    }
    for (const at of settledAt) {
      expect(at).toBeGreaterThanOrEqual(9_900);
      expect(at).toBeLessThan(12_000);
    }
    // The waiting ones never got a stream: the session carried no more than the server allows.
    expect(mostOpen).toBe(2);
    await pool.close();
  }, 20_000);

  it('answers a request in time while others wait out their deadline', async () => {
    const pool = new SessionPool(origin, { allowPrivate: true });
    const silent = pool.request({ ':method': 'POST', ':path': '/silent' }, '{}').catch((err: Error) => err.message);
    const res = await pool.request({ ':method': 'POST', ':path': '/answer' }, '{}');
    expect(res).toMatchObject({ status: 200, body: '{"name":"m1"}' });
    expect(await silent).toBe('no answer within 10000 ms');
    await pool.close();
  }, 20_000);
});
