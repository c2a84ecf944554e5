import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';
import { openTcp, receiveAll } from '../support/raw-http.js';
import { connectDevice, openSocket } from '../support/socket.js';
import { until } from '../support/wait.js';

/** A client frame with the given first byte (FIN, RSV, opcode), masked unless told otherwise. */
function frame(first: number, payload: Buffer, masked = true): Buffer {
  const mask = randomBytes(4);
  const length =
    payload.length < 126
      ? Buffer.from([payload.length])
      : Buffer.from([126, payload.length >> 8, payload.length & 255]);
  length[0]! |= masked ? 0x80 : 0;
  const body = masked ? Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!)) : payload;
  return Buffer.concat([Buffer.from([first]), length, masked ? mask : Buffer.alloc(0), body]);
}

/** Upgrades a raw TCP connection to /v1/connect and sends `bytes` as they are; resolves when the server closes. */
async function sendRaw(baseUrl: string, bytes: Buffer): Promise<void> {
  const socket: net.Socket = await openTcp(baseUrl);
  const closed = receiveAll(socket);
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET /v1/connect HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
  );
  await new Promise((resolve) => socket.once('data', resolve));
  socket.write(bytes);
  await closed;
}

const protocolErrors = (metrics: string) =>
  [...metrics.matchAll(/^callpush_ws_protocol_errors_total\{reason="([a-z0-9_]+)"\} (\d+)$/gm)].reduce(
    (sum, m) => sum + Number(m[2]),
    0,
  );

/**
 * Issue 13 item 12: frames that break the WebSocket protocol or the active-connection protocol are a client's
 * doing: each is counted in a metric and logged at debug without a stack, never at error level.
 */
describe('malformed active-connection frames', () => {
  let gw: TestGateway;
  let token: string;

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    const app = (await request(gw.url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'ws' } }))
      .body;
    token = (await request(gw.url, 'POST', '/v1/users/bob/access-tokens', { auth: basic(app.key, app.secret) })).body
      .accessToken;
  });
  afterAll(async () => gw?.stop());

  it('counts every protocol error and logs none of them as an error or with a stack', async () => {
    const text = (s: string) => Buffer.from(s);
    const raw = [
      frame(0x83, text('reserved opcode')),
      frame(0x81, text('unmasked'), false),
      frame(0xc1, text('rsv1 without an extension')),
      frame(0x81, Buffer.from([0xff, 0xfe, 0xfd])),
      frame(0x09, text('fragmented ping')),
      frame(0x88, Buffer.from([0x03, 0xe7])),
      frame(0x81, Buffer.alloc(9000, 0x61)),
      frame(0x00, text('continuation of nothing')),
    ];
    for (const bytes of raw) await sendRaw(gw.url, bytes);
    const ws = [
      (s: Awaited<ReturnType<typeof openSocket>>) => s.send('not json'),
      (s: Awaited<ReturnType<typeof openSocket>>) => s.send({ type: 'receipt', callId: 'c_1' }),
      (s: Awaited<ReturnType<typeof openSocket>>) => s.ws.send(Buffer.from('{"type":"ping"}'), { binary: true }),
    ];
    for (const send of ws) {
      const s = await openSocket(gw.url);
      send(s);
      await s.closed;
    }
    const live = await connectDevice(gw.url, token, 'phone');
    live.send({ type: 'hello', token, deviceId: 'phone' });
    await live.closed;
    const expected = raw.length + ws.length + 1;

    const counted = await until('every protocol error is counted', async () => {
      const n = protocolErrors((await request(gw.url, 'GET', '/metrics')).text);
      return n >= expected ? n : undefined;
    });
    expect(counted).toBe(expected);
    const lines = gw.logs().split('\n').filter(Boolean);
    expect(lines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    expect(lines.filter((l) => l.includes('"stack"'))).toEqual([]);
    expect(lines.filter((l) => l.includes('active connection protocol error')).length).toBe(expected);
  });
});
