import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';
import { openTcp, receiveAll } from '../support/raw-http.js';
import { openSocket } from '../support/socket.js';

/**
 * Every way `secret` could show up in a log line: as it is, as base64 or base64url at any byte alignment
 * (inside a longer encoded buffer), as the JSON byte array pino writes for a Buffer, and as hex.
 */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const out = [secret, [...bytes].join(','), bytes.toString('hex')];
  for (let pad = 0; pad < 3; pad++) {
    // With `pad` bytes before it, the secret's own characters start after the pad's and end before the tail's.
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const inner = encoded.slice(Math.ceil((pad * 4) / 3), encoded.length - 4);
    out.push(inner, inner.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return out;
}

/** Requests that break HTTP in different ways, each carrying `authorization` in its header block. */
function brokenRequests(authorization: string): string[] {
  const auth = `Authorization: ${authorization}\r\n`;
  return [
    `GET /v1/apps HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    `G@T /v1/apps HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
    `GET /v1/apps HTTP/9.9\r\nHost: x\r\n${auth}\r\n`,
    `GET /v1/apps HTTP/1.1\r\nHost: x\r\n${auth}Bad Header: y\r\n\r\n`,
    `GET /v1/apps HTTP/1.1\r\nHost: x\r\n${auth}X-Nul: a\u0000b\r\n\r\n`,
    `POST /v1/calls HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello`,
    `POST /v1/calls HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
    `POST /v1/calls HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    `GET /v1/apps HTTP/1.1\nHost: x\n${auth.replace('\r\n', '\n')}\n`,
    `GET /v1/apps/%E0%A4%A HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`,
    `GET /v1/users/${'u'.repeat(3000)}/devices HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`,
    `OPTIONS /v1/calls HTTP/1.1\r\nHost: x\r\nOrigin: https://a.example\r\n${auth}Connection: close\r\n\r\n`,
  ];
}

/**
 * Issue 13 item 9: at LOG_LEVEL=trace nothing a client sends as a credential reaches the logs, also not inside
 * the raw bytes Node keeps of a request it could not parse.
 */
describe('logs at trace level', () => {
  let gw: TestGateway;
  const secrets: string[] = [ADMIN_TOKEN];
  const headers: string[] = [`Bearer ${ADMIN_TOKEN}`];

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { LOG_LEVEL: 'trace' });
    const app = (await request(gw.url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'logs' } }))
      .body;
    const appBasic = basic(app.key, app.secret);
    const token = (await request(gw.url, 'POST', '/v1/users/ann/access-tokens', { auth: appBasic })).body.accessToken;
    secrets.push(app.secret, appBasic.slice('Basic '.length), token);
    headers.push(appBasic, `Bearer ${token}`, basic(app.key, `${app.secret}x`));
  });
  afterAll(async () => gw?.stop());

  it('writes no credential, raw or encoded, while a fuzz of requests carries them', async () => {
    for (const authorization of headers) {
      // Well-formed requests, accepted and refused.
      for (const path of ['/v1/apps', `/v1/users/ann/devices`, '/v1/me/devices', '/v1/calls', '/nothing']) {
        await request(gw.url, 'GET', path, { headers: { authorization } });
        await request(gw.url, 'POST', path, { headers: { authorization }, raw: '{"broken":' });
      }
      // Bytes Node's parser refuses, and a request the gateway stops waiting for.
      for (const bytes of brokenRequests(authorization)) {
        const socket = await openTcp(gw.url);
        const closed = receiveAll(socket);
        socket.write(bytes, 'latin1');
        setTimeout(() => socket.destroy(), 1000).unref();
        await closed;
      }
      // Active connections: a hello carrying the credential, then frames the protocol refuses.
      const ws = await openSocket(gw.url);
      ws.send({ type: 'hello', token: authorization.split(' ')[1], deviceId: 'phone' });
      ws.send(`{"type":"hello","token":"${authorization}"`);
      await ws.closed;
    }
    const logs = gw.logs();
    // The refused requests were seen and logged, by their parser code only.
    expect(logs).toContain('HPE_HEADER_OVERFLOW');
    for (const secret of secrets) {
      for (const encoded of encodings(secret)) expect(logs, `${secret} as ${encoded}`).not.toContain(encoded);
    }
  });
});
