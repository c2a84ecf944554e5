import http from 'node:http';
import { constants } from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FcmEmulator, MAX_CONCURRENT_STREAMS } from '../src/fcm/index.js';
import { useFcmEmulators } from './support/fcm-emulators.js';
import { Http2Connection, http1 } from './support/raw-http.js';

/** Transports: HTTP/2 and HTTP/1.1 on one port (h2c sniffing, TLS ALPN), stream limit, reset and goaway. */

const json = { 'content-type': 'application/json' };

function sendPath(fcm: FcmEmulator): string {
  return `/v1/projects/${fcm.projectId}/messages:send`;
}

function sendRequest(fcm: FcmEmulator, token: string) {
  return {
    headers: { ...json, authorization: `Bearer ${fcm.issueAccessToken().access_token}` },
    body: { message: { token, data: { call_id: 'c-1' } } },
  };
}

/** Writes `chunks` to a raw TCP connection with a pause between them and resolves with the first bytes answered. */
function rawExchange(port: number, chunks: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data);
    });
    socket.on('error', reject);
    chunks.forEach((chunk, i) => {
      setTimeout(() => socket.write(chunk), i * 20);
    });
  });
}

const emulators = useFcmEmulators();

describe('h2c transport', () => {
  let fcm: FcmEmulator;
  beforeAll(() => {
    fcm = emulators.h2c;
  });

  it('serves HTTP/2 (prior knowledge) and keep-alive HTTP/1.1 on the same port', async () => {
    const connection = new Http2Connection(fcm.baseUrl);
    expect((await connection.request(sendPath(fcm), sendRequest(fcm, 'h2'))).status).toBe(200);
    await connection.close();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (const token of ['h1-a', 'h1-b', 'h1-c']) {
      expect((await http1(`${fcm.baseUrl}${sendPath(fcm)}`, sendRequest(fcm, token), { agent })).status).toBe(200);
    }
    agent.destroy();
    expect(fcm.messages.list().map((m) => m.token)).toEqual(expect.arrayContaining(['h2', 'h1-a', 'h1-b', 'h1-c']));
  });

  it('tells the protocols apart when the first bytes arrive in pieces', async () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const emptySettings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const h2 = await rawExchange(fcm.port, [preface.subarray(0, 5), preface.subarray(5), emptySettings]);
    expect(h2[3]).toBe(4); // the server's first frame is its SETTINGS
    const request = 'ET /nowhere HTTP/1.1\r\nHost: fcm.googleapis.com\r\nConnection: close\r\n\r\n';
    const h1 = await rawExchange(fcm.port, [Buffer.from('G'), Buffer.from(request)]);
    expect(h1.toString('latin1')).toMatch(/^HTTP\/1\.1 404 /);
  });
});

describe('tls transport', () => {
  let fcm: FcmEmulator;
  beforeAll(() => {
    fcm = emulators.tls;
  });

  it.each([
    [['h2', 'http/1.1'], 'h2'],
    [['http/1.1'], 'http/1.1'],
  ])('negotiates ALPN %j as %s for fcm.googleapis.com with the emulator CA', async (protocols, expected) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: fcm.port,
      ca: fcm.tls?.ca,
      servername: 'fcm.googleapis.com',
      ALPNProtocols: protocols,
    });
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    expect(socket.alpnProtocol).toBe(expected);
    socket.destroy();
  });
});

describe.each(['h2c', 'tls'] as const)('HTTP/2 connection behaviour (%s)', (transport) => {
  let fcm: FcmEmulator;
  beforeAll(() => {
    fcm = emulators[transport];
  });

  it(`announces ${MAX_CONCURRENT_STREAMS} concurrent streams and serves 150 concurrent sends on one connection`, async () => {
    const connection = new Http2Connection(fcm.baseUrl, fcm.tls?.ca);
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) => connection.request(sendPath(fcm), sendRequest(fcm, `many-${i}`))),
    );
    expect(connection.session.remoteSettings.maxConcurrentStreams).toBe(MAX_CONCURRENT_STREAMS);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await connection.close();
  });

  it('reset drops the stream (RST_STREAM INTERNAL_ERROR) and the connection keeps serving', async () => {
    const connection = new Http2Connection(fcm.baseUrl, fcm.tls?.ca);
    fcm.behaviours.set('r', { kind: 'reset', count: 1 });
    const dropped = await connection.request(sendPath(fcm), sendRequest(fcm, 'r'));
    expect(dropped.status).toBe(0);
    expect(dropped.rstCode).toBe(constants.NGHTTP2_INTERNAL_ERROR);
    expect((await connection.request(sendPath(fcm), sendRequest(fcm, 'r'))).status).toBe(200);
    await connection.close();
  });

  it('goaway answers the request, then sends GOAWAY naming it as the last stream and closes', async () => {
    const connection = new Http2Connection(fcm.baseUrl, fcm.tls?.ca);
    fcm.behaviours.set('g', { kind: 'goaway', count: 1 });
    const closed = new Promise((resolve) => connection.session.once('close', resolve));
    const answer = await connection.request(sendPath(fcm), sendRequest(fcm, 'g'));
    expect(answer.status).toBe(200);
    await closed;
    expect(connection.goaways[0]).toEqual({ errorCode: constants.NGHTTP2_NO_ERROR, lastStreamID: 1 });
    expect(fcm.messages.list({ token: 'g' })).toHaveLength(1);
  });
});

describe('HTTP/1.1 connection behaviour', () => {
  let fcm: FcmEmulator;
  beforeAll(() => {
    fcm = emulators.h2c;
  });

  it('reset closes the socket without an answer', async () => {
    fcm.behaviours.set('r', { kind: 'reset', count: 1 });
    await expect(http1(`${fcm.baseUrl}${sendPath(fcm)}`, sendRequest(fcm, 'r'))).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
  });

  it('goaway answers with Connection: close', async () => {
    fcm.behaviours.set('g', { kind: 'goaway', count: 1 });
    const answer = await http1(`${fcm.baseUrl}${sendPath(fcm)}`, sendRequest(fcm, 'g'));
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('close');
  });
});
