import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';
import { type RawReply, rawRequest } from '../support/raw-http.js';

/** The error contract: `{"error":{"code","message","field"?}}` and nothing else, as JSON. */
function expectContract(reply: { status: number; json?: unknown; body?: unknown }, status: number, code: string) {
  const body = 'json' in reply ? reply.json : reply.body;
  expect(reply.status, JSON.stringify(body)).toBe(status);
  expect(body).toEqual({
    error: {
      code,
      message: expect.any(String),
      ...((body as { error?: { field?: string } })?.error?.field ? { field: expect.any(String) } : {}),
    },
  });
}

const expectNoBody = (reply: RawReply) => expect(reply.body, 'a HEAD answer carries no body').toBe('');

/**
 * Issue 13 item 10: refusals made before a route runs (the router, Node's HTTP parser, CORS) answer in the
 * same contract as the routes' own, and HEAD answers carry no body.
 */
describe('the error contract outside the routes', () => {
  let gw: TestGateway;
  let app: { key: string; secret: string };

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { CALLPUSH_CORS_ORIGINS: 'https://app.example' });
    app = (await request(gw.url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'ids' } })).body;
  });
  afterAll(async () => gw?.stop());

  it('accepts ids of 128 characters in a path and refuses 129 with a 400 naming the parameter', async () => {
    const auth = basic(app.key, app.secret);
    const ok = await request(gw.url, 'GET', `/v1/users/${'u'.repeat(128)}/devices`, { auth });
    expect([ok.status, ok.body]).toEqual([200, { devices: [] }]);
    const long = await request(gw.url, 'GET', `/v1/users/${'u'.repeat(129)}/devices`, { auth });
    expectContract(long, 400, 'validation_failed');
    expect(long.body.error.field).toBe('userId');
  });

  it('answers a path segment longer than any id with 414 in the contract', async () => {
    const reply = await request(gw.url, 'GET', `/v1/users/${'u'.repeat(5000)}/devices`);
    expectContract(reply, 414, 'uri_too_long');
  });

  it('answers a malformed URL with 400 in the contract', async () => {
    const reply = await rawRequest(
      gw.url,
      'GET /v1/users/%E0%A4%A/devices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expectContract(reply, 400, 'invalid_url');
  });

  it('answers oversized headers with 431 and bytes that are not HTTP with 400, in the contract', async () => {
    const big = await rawRequest(gw.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectContract(big, 431, 'request_headers_too_large');
    expect(big.headers['content-type']).toMatch(/^application\/json/);
    const garbage = await rawRequest(gw.url, 'NOT HTTP AT ALL\r\n\r\n');
    expectContract(garbage, 400, 'bad_request');
    const badHeader = await rawRequest(gw.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
    expectContract(badHeader, 400, 'bad_request');
  });

  it('answers what Node and ws would refuse on their own in the contract', async () => {
    const expectation = await rawRequest(
      gw.url,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nConnection: close\r\n\r\n',
    );
    expectContract(expectation, 417, 'expectation_failed');
    const noHost = await rawRequest(gw.url, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    expectContract(noHost, 400, 'host_required');
    const upgrade = (path: string, headers: string) =>
      rawRequest(gw.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: ${headers}\r\n\r\n`);
    expectContract(await upgrade('/v1/connect', 'websocket'), 400, 'invalid_upgrade');
    expectContract(await upgrade('/v1/connect', 'h2c'), 400, 'invalid_upgrade');
    expectContract(await upgrade('/openapi.json', 'websocket'), 400, 'invalid_upgrade');
    const connect = await rawRequest(gw.url, 'CONNECT /v1/apps HTTP/1.1\r\nHost: x\r\n\r\n');
    expectContract(connect, 405, 'method_not_allowed');
  });

  it('answers a failed CORS preflight in the contract', async () => {
    const preflight = await request(gw.url, 'OPTIONS', '/v1/calls', { headers: { origin: 'https://app.example' } });
    expectContract(preflight, 400, 'invalid_preflight');
    const ok = await request(gw.url, 'OPTIONS', '/v1/calls', {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect([ok.status, ok.headers.get('access-control-allow-origin')]).toEqual([204, 'https://app.example']);
  });

  it('answers HEAD without a body, also when it is refused', async () => {
    const health = await rawRequest(gw.url, 'HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(health.status).toBe(200);
    expectNoBody(health);
    const unknown = await rawRequest(gw.url, 'HEAD /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(unknown.status).toBe(404);
    expectNoBody(unknown);
    const badUrl = await rawRequest(
      gw.url,
      'HEAD /v1/users/%E0%A4%A/devices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(badUrl.status).toBe(400);
    expectNoBody(badUrl);
    const big = await rawRequest(gw.url, `HEAD /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expectNoBody(big);
  });
});
