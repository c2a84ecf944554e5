import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmsCredential, webPushCredential, webPushSubscriptionToken } from '../support/credentials.js';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';
import { until } from '../support/wait.js';

/**
 * The SSRF of issue 13: a user registers a Web Push device whose subscription endpoint is an internal URL, a
 * call to that user makes the gateway POST there, and the answer comes back through GET /v1/calls/{id}.
 * docs/security.md, "Outbound requests: the endpoint policy".
 */

const MARKER = 'INTERNAL-ANSWER-3f9c1e';

/** An internal HTTP service: counts the requests that reach it and answers with a body the caller must never see. */
async function internalService(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createHttpServer((_req, res) => {
    requests += 1;
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ secret: MARKER }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A TCP listener that only counts connections: what a refused lookup must never reach. */
async function tcpCounter(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, connections: () => connections, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const subscriptionKeys = () => JSON.parse(webPushSubscriptionToken()).keys as Record<string, string>;

describe('the endpoint policy, end to end (the gateway trusts private provider endpoints, as in the tests)', () => {
  let gw: TestGateway;
  let app: { key: string; secret: string };
  let bob: string;
  let internal: Awaited<ReturnType<typeof internalService>>;
  let counter: Awaited<ReturnType<typeof tcpCounter>>;
  const call = (method: string, p: string, opts?: Parameters<typeof request>[3]) => request(gw.url, method, p, opts);
  const appAuth = () => basic(app.key, app.secret);
  const register = (deviceId: string, endpoint: string, provider = 'webpush') =>
    call('PUT', `/v1/me/devices/${deviceId}`, {
      auth: bob,
      body: { provider, token: JSON.stringify({ endpoint, keys: subscriptionKeys() }), kind: 'alert' },
    });

  beforeAll(async () => {
    internal = await internalService();
    counter = await tcpCounter();
    gw = await startTestGateway('sqlite');
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'ssrf' } })).body;
    const put = await call('PUT', `/v1/apps/${app.key}/providers/webpush`, {
      auth: appAuth(),
      body: webPushCredential(),
    });
    expect(put.status, put.text).toBe(201);
    const token = await call('POST', '/v1/users/bob/access-tokens', { auth: appAuth() });
    bob = `Bearer ${token.body.accessToken}`;
  });
  afterAll(async () => {
    await gw?.stop();
    await internal?.close();
    await counter?.close();
  });

  it('refuses at registration a subscription endpoint that is not https or names or resolves to a non-public address', async () => {
    const gatewayPort = new URL(gw.url).port;
    const refused = [
      `http://127.0.0.1:${gatewayPort}/v1/apps?x`, // the reproduction: the gateway's own admin API
      `https://127.0.0.1:${gatewayPort}/v1/apps?x`,
      `https://localhost:${counter.port}/push/1`, // a name that resolves to loopback
      'https://[::1]/push/1',
      'https://[::ffff:127.0.0.1]/push/1',
      'https://0x7f000001/push/1',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.8/push/1',
      'https://100.100.100.200/push/1',
      'https://[fd00:ec2::254]/push/1',
      'http://push.example.net/push/1', // public, but not https
    ];
    for (const endpoint of refused) {
      const r = await register('evil', endpoint);
      expect([r.status, r.body?.error?.code, r.body?.error?.field], endpoint).toEqual([
        400,
        'endpoint_not_allowed',
        'token.endpoint',
      ]);
    }
    const devices = await call('GET', '/v1/users/bob/devices', { auth: appAuth() });
    expect(devices.body.devices).toEqual([]);
    // A push service's https endpoint is accepted (this name does not resolve here: the send decides then).
    expect((await register('browser', 'https://push.example.net/push/abc')).status).toBe(201);
  });

  it('sends nothing to a subscription planted in the database, and no byte of an answer reaches the call view', async () => {
    // Two devices pass registration, then their tokens are rewritten in the database as an attacker with
    // write access, or a row from before this policy, would have them.
    expect((await register('planted-http', 'https://push.example.net/push/1')).status).toBe(201);
    expect((await register('planted-name', 'https://push.example.net/push/2')).status).toBe(201);
    const db = new SQLite(path.join(gw.config.dataDir, 'callpush.db'));
    const plant = db.prepare('UPDATE device_registrations SET token = ? WHERE app_key = ? AND device_id = ?');
    plant.run(
      JSON.stringify({ endpoint: `${internal.url}/v1/apps?x`, keys: subscriptionKeys() }),
      app.key,
      'planted-http',
    );
    plant.run(
      JSON.stringify({ endpoint: `https://localhost:${counter.port}/push/2`, keys: subscriptionKeys() }),
      app.key,
      'planted-name',
    );
    db.close();

    const placed = await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: ['bob'] } });
    expect(placed.status, placed.text).toBe(201);
    const view = await until('the planted deliveries settle', async () => {
      const r = await call('GET', `/v1/calls/${placed.body.callId}`, { auth: appAuth() });
      const planted = r.body.deliveries.filter((d: { deviceId: string }) => d.deviceId.startsWith('planted'));
      return planted.every((d: { state: string }) => d.state !== 'pending') ? r : undefined;
    });
    expect(internal.requests()).toBe(0);
    expect(counter.connections()).toBe(0);
    expect(view.text).not.toContain(MARKER);
    const byDevice = Object.fromEntries(
      view.body.deliveries.map((d: { deviceId: string; outcome?: string; detail?: string }) => [
        d.deviceId,
        [d.outcome, d.detail],
      ]),
    );
    // A subscription that can never be pushed to under the policy is dead (token_gone, which the prune guard
    // keeps as config_error while this credential has delivered nothing); one whose name resolves to a
    // private address is kept (that may be the operator's DNS) and flagged.
    expect(byDevice['planted-http']).toEqual([
      expect.stringMatching(/^(token_gone|config_error)$/),
      expect.stringMatching(/^the subscription endpoint must be https/),
    ]);
    expect(byDevice['planted-name']).toEqual(['config_error', 'the endpoint resolves to a non-public address']);
  });

  it('accepts a private origin that the Web Push credential itself lists, and only that one', async () => {
    const listed = { ...webPushCredential(), allowedOrigins: [internal.url] };
    const put = await call('PUT', `/v1/apps/${app.key}/providers/lab`, { auth: appAuth(), body: listed });
    expect(put.status, put.text).toBe(201);
    expect(put.body.config.allowedOrigins).toEqual([internal.url]);
    expect((await register('lab', `${internal.url}/push/1`, 'lab')).status).toBe(201);
    const other = await register('lab2', `http://127.0.0.1:${counter.port}/push/1`, 'lab');
    expect([other.status, other.body.error.field]).toEqual([400, 'token.endpoint']);
    // The list does not carry over to the app's other credential.
    const plain = await register('lab3', `${internal.url}/push/1`, 'webpush');
    expect([plain.status, plain.body.error.field]).toEqual([400, 'token.endpoint']);
  });

  it('accepts provider endpoint overrides on loopback, because this operator allows private endpoints', async () => {
    const hms = { ...hmsCredential(), endpoint: internal.url, tokenUrl: `${internal.url}/oauth2/v3/token` };
    const put = await call('PUT', `/v1/apps/${app.key}/providers/hms`, { auth: appAuth(), body: hms });
    expect(put.status, put.text).toBe(201);
    const kaleyra = await call('PUT', `/v1/apps/${app.key}/webhooks/kaleyra`, {
      auth: appAuth(),
      body: {
        secret: 's'.repeat(24),
        scheme: 'bandyer',
        payloadFormat: 'kaleyra',
        credentials: { baseUrl: internal.url, apiKey: 'k-1' },
      },
    });
    expect(kaleyra.status, kaleyra.text).toBe(201);
  });
});

describe('the endpoint policy when the operator does not allow private endpoints (the production default)', () => {
  let gw: TestGateway;
  let app: { key: string; secret: string };
  const call = (method: string, p: string, opts?: Parameters<typeof request>[3]) => request(gw.url, method, p, opts);
  const appAuth = () => basic(app.key, app.secret);

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'false' });
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'prod' } })).body;
  });
  afterAll(() => gw?.stop());

  it('refuses provider endpoint and token URL overrides on private addresses, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...hmsCredential(), endpoint: 'http://127.0.0.1:9000' }, 'endpoint'],
      [{ ...hmsCredential(), endpoint: 'https://localhost:9000' }, 'endpoint'],
      [{ ...hmsCredential(), tokenUrl: 'https://169.254.169.254/token' }, 'tokenUrl'],
      [{ ...hmsCredential(), endpoint: 'http://push-api.example.com' }, 'endpoint'],
      [{ ...webPushCredential(), endpoint: 'https://[::1]:4443' }, 'endpoint'],
      [{ ...webPushCredential(), allowedOrigins: ['http://127.0.0.1:4443'] }, 'allowedOrigins.0'],
    ];
    for (const [body, field] of cases) {
      const r = await call('PUT', `/v1/apps/${app.key}/providers/p`, { auth: appAuth(), body });
      expect([r.status, r.body.error.code, r.body.error.field], JSON.stringify(body)).toEqual([
        400,
        'endpoint_not_allowed',
        field,
      ]);
    }
    const ok = await call('PUT', `/v1/apps/${app.key}/providers/p`, {
      auth: appAuth(),
      body: { ...hmsCredential(), endpoint: 'https://push-api.example.com' },
    });
    expect(ok.status, ok.text).toBe(201);
  });

  it('refuses Kaleyra credentials on a private base URL', async () => {
    const r = await call('PUT', `/v1/apps/${app.key}/webhooks/kaleyra`, {
      auth: appAuth(),
      body: {
        secret: 's'.repeat(24),
        scheme: 'bandyer',
        payloadFormat: 'kaleyra',
        credentials: { baseUrl: 'http://127.0.0.1:8080', apiKey: 'k-1' },
      },
    });
    expect([r.status, r.body.error.code, r.body.error.field]).toEqual([
      400,
      'endpoint_not_allowed',
      'credentials.baseUrl',
    ]);
  });
});

describe('the endpoint policy at send time, for a credential stored while private endpoints were allowed', () => {
  it('sends nothing once the operator stops allowing them: config_error, the device is kept', async () => {
    const internal = await internalService();
    const first = await startTestGateway('sqlite', {}, { keep: true });
    const { dataDir } = first.config;
    const call = (gw: TestGateway, method: string, p: string, opts?: Parameters<typeof request>[3]) =>
      request(gw.url, method, p, opts);
    const app = (await call(first, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'x' } })).body;
    const appAuth = basic(app.key, app.secret);
    const hms = { ...hmsCredential(), endpoint: internal.url, tokenUrl: `${internal.url}/oauth2/v3/token` };
    expect((await call(first, 'PUT', `/v1/apps/${app.key}/providers/hms`, { auth: appAuth, body: hms })).status).toBe(
      201,
    );
    const token = (await call(first, 'POST', '/v1/users/bob/access-tokens', { auth: appAuth })).body.accessToken;
    const device = { provider: 'hms', token: 'bob-hms-token', kind: 'alert' };
    expect((await call(first, 'PUT', '/v1/me/devices/huawei', { auth: `Bearer ${token}`, body: device })).status).toBe(
      201,
    );
    await first.stop();
    // The first gateway, allowed to, warmed the credential (its token request went to the internal service).
    const before = internal.requests();

    const second = await startTestGateway('sqlite', { CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'false' }, { dataDir });
    try {
      const placed = await call(second, 'POST', '/v1/calls', { auth: appAuth, body: { from: 'alice', to: ['bob'] } });
      expect(placed.status, placed.text).toBe(201);
      const [delivery] = await until('the delivery settles', async () => {
        const r = await call(second, 'GET', `/v1/calls/${placed.body.callId}`, { auth: appAuth });
        return r.body.deliveries[0]?.state === 'pending' ? undefined : r.body.deliveries;
      });
      expect(delivery).toMatchObject({
        state: 'failed',
        outcome: 'config_error',
        detail: 'the endpoint must be https',
      });
      expect(internal.requests() - before).toBe(0);
      const devices = await call(second, 'GET', '/v1/users/bob/devices', { auth: appAuth });
      expect(devices.body.devices).toHaveLength(1);
    } finally {
      await second.stop();
      await internal.close();
    }
  });
});
