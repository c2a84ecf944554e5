import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';
import { openTcp, parseReply, receiveAll } from '../support/raw-http.js';
import { openSocket } from '../support/socket.js';
import { sleep } from '../support/wait.js';

const HEADERS_MS = 1000;
const IDLE_MS = 1500;
const REQUEST_MS = 3000;
/** Node checks the header and request deadlines on an interval of up to a second. */
const SLACK_MS = 1500;

/** Writes `bytes` one byte every `everyMs` until the socket closes; resolves with what the server sent, and when. */
async function trickle(
  baseUrl: string,
  head: string,
  bytes: string,
  everyMs: number,
): Promise<{ text: string; ms: number }> {
  const socket = await openTcp(baseUrl);
  const started = Date.now();
  const received = receiveAll(socket);
  socket.write(head);
  let i = 0;
  const timer = setInterval(() => {
    if (socket.writable && i < bytes.length) socket.write(bytes[i++]!);
  }, everyMs);
  const text = await received;
  clearInterval(timer);
  return { text, ms: Date.now() - started };
}

/** The gateway's answer, when it gave one, is a 408 in the contract; it may also just close. */
function expectTimeoutOrClose(text: string) {
  if (text === '') return;
  const reply = parseReply(text);
  expect([reply.status, reply.json?.error?.code]).toEqual([408, 'request_timeout']);
}

/** Issue 13 item 3: no request can hold a connection longer than the timeouts allow. */
describe('inbound timeouts', () => {
  let gw: TestGateway;
  let appKey: string;

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', {
      CALLPUSH_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      CALLPUSH_IDLE_TIMEOUT_MS: String(IDLE_MS),
      CALLPUSH_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
    });
    appKey = (await request(gw.url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'k' } })).body
      .key;
  });
  afterAll(async () => gw?.stop());

  it('cuts off a Kaleyra webhook body trickled a byte at a time at the request timeout', async () => {
    const head = `POST /v1/webhooks/kaleyra/${appKey} HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n`;
    const { text, ms } = await trickle(gw.url, head, 'x'.repeat(200_000), 100);
    expect(ms).toBeGreaterThanOrEqual(REQUEST_MS - 100);
    expect(ms).toBeLessThan(REQUEST_MS + SLACK_MS);
    expectTimeoutOrClose(text);
  });

  it('cuts off headers trickled a byte at a time at the headers timeout', async () => {
    const { text, ms } = await trickle(gw.url, 'GET /healthz HTTP/1.1\r\n', `X-Slow: ${'y'.repeat(1000)}\r\n\r\n`, 50);
    expect(ms).toBeLessThan(HEADERS_MS + SLACK_MS);
    expectTimeoutOrClose(text);
  });

  it('closes a connection whose body stalls at the idle timeout', async () => {
    const head = `POST /v1/webhooks/kaleyra/${appKey} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a":`;
    const { text, ms } = await trickle(gw.url, head, '', 1000);
    expect(ms).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(ms).toBeLessThan(REQUEST_MS);
    expectTimeoutOrClose(text);
  });

  it('still serves a request that takes its time within the limits', async () => {
    const body = '{"event":"x"}';
    const head = `POST /v1/webhooks/kaleyra/${appKey} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { text } = await trickle(gw.url, head, body, 100);
    // Unsigned, so refused; what matters is that it was answered, not cut.
    expect(parseReply(text).status).toBe(401);
  });
});

/**
 * The per-IP cap counts connections that have not authenticated yet (no request with valid credentials, no
 * accepted hello): an authenticated connection does not count, a refused one is told so in the contract.
 */
describe('unauthenticated connections per IP', () => {
  let gw: TestGateway;
  const held: net.Socket[] = [];

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { CALLPUSH_UNAUTHENTICATED_CONNECTIONS_PER_IP: '3' });
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await gw?.stop();
  });

  const refused = async () => {
    const socket = await openTcp(gw.url);
    held.push(socket);
    const text = await Promise.race([receiveAll(socket), sleep(1000).then(() => undefined)]);
    if (text === undefined) return false;
    const reply = parseReply(text);
    expect([reply.status, reply.json?.error?.code]).toEqual([429, 'too_many_connections']);
    return true;
  };

  it('refuses a connection over the cap until one of the others authenticates or closes', async () => {
    const waiting: net.Socket[] = [];
    for (let i = 0; i < 3; i++) waiting.push(await openTcp(gw.url));
    held.push(...waiting);
    expect(await refused()).toBe(true);

    // One of them authenticates: it no longer counts, so there is room for one more.
    const first = waiting[0]!;
    const answered = new Promise<string>((resolve) => first.once('data', (d: Buffer) => resolve(d.toString())));
    first.write(`GET /v1/apps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n\r\n`);
    expect(parseReply(await answered).status).toBe(200);
    expect(await refused()).toBe(false);
    expect(await refused()).toBe(true);

    // A WebSocket that has not said hello counts too; one closing frees its place.
    waiting[1]!.destroy();
    await sleep(50);
    const ws = await openSocket(gw.url);
    expect(await refused()).toBe(true);
    ws.ws.close();
    await ws.closed;
    await sleep(50);
    expect(await refused()).toBe(false);
  });
});
