import net from 'node:net';
import { type FcmEmulator, type HmsEmulator, startFcmEmulator, startHmsEmulator } from '@callpush/emulators';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthServerConfig } from '../../src/edges/auth-server/config.js';
import { buildAuthServer } from '../../src/edges/auth-server/server.js';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';

/**
 * End to end, three real HTTP servers: the gateway rings an HMS device through each auth mode (direct, flow A,
 * flow B) with the owner's auth-server in between, and an FCM device through FCM flow A. Requests are counted
 * at the auth-server: one token fetch per credential per token lifetime, and one refresh on an expired token.
 */

let hms: HmsEmulator;
let fcm: FcmEmulator;
let gw: TestGateway;
let auth: FastifyInstance;
let authUrl: string;
let app: { key: string; secret: string };
const hits = new Map<string, number>();
const hitsOf = (path: string) => hits.get(path) ?? 0;

const call = (method: string, path: string, body?: unknown, auth = basic(app.key, app.secret)) =>
  request(gw.url, method, path, { auth, ...(body === undefined ? {} : { body }) });

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function until(what: string, probe: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  hms = await startHmsEmulator();
  fcm = await startFcmEmulator();
  // These tests place many calls from one caller within a minute: the per-caller limit is not under test.
  gw = await startTestGateway('sqlite', { CALLPUSH_RATE_LIMIT_CALLER_PER_MINUTE: '0' }, { providerCa: fcm.tls?.ca });
  app = (await request(gw.url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'owner' } })).body;
  const port = await freePort();
  authUrl = `http://127.0.0.1:${port}`;
  const config = parseAuthServerConfig({
    port,
    publicTokenUrl: `${authUrl}/oauth2/v1/huawei-hms/token`,
    apps: { [app.key]: app.secret },
    clients: { 'gateway-client': 'gateway-secret' },
    hms: { tokenUrl: hms.tokenUrl, apps: { [hms.appId]: hms.clientSecret } },
    fcm: { serviceAccount: fcm.serviceAccount, projectNumber: fcm.projectNumber },
  });
  auth = buildAuthServer(config, { ...(fcm.tls ? { ca: fcm.tls.ca } : {}) });
  auth.addHook('onRequest', async (req) => {
    hits.set(req.url, hitsOf(req.url) + 1);
  });
  await auth.listen({ host: '127.0.0.1', port });
});

afterAll(async () => {
  await gw?.stop();
  await auth?.close();
  await hms?.close();
  await fcm?.close();
});

const delegatedA = {
  tokenUrl: () => `${authUrl}/oauth/token`,
  client: { clientId: 'gateway-client', clientSecret: 'gateway-secret' },
};

/** Puts credential `name`, registers user `user`'s one device on it, and returns the device token. */
async function setUp(name: string, credential: Record<string, unknown>, user: string): Promise<string> {
  const put = await call('PUT', `/v1/apps/${app.key}/providers/${name}`, credential);
  expect(put.status, put.text).toBe(201);
  const { accessToken } = (await call('POST', `/v1/users/${user}/access-tokens`)).body;
  const token = `${user}-device-token`;
  const device = await call(
    'PUT',
    `/v1/me/devices/d1`,
    { provider: name, token, kind: 'alert' },
    `Bearer ${accessToken}`,
  );
  expect(device.status, device.text).toBeLessThan(300);
  return token;
}

/** Places `n` calls to `user` one after the other and waits until every ring has reached `store`. */
async function ring(user: string, token: string, store: HmsEmulator | FcmEmulator, n: number): Promise<void> {
  const before = store.messages.list({ token }).length;
  for (let i = 0; i < n; i++) {
    const placed = await call('POST', '/v1/calls', { from: 'alice', to: [user] });
    expect(placed.status, placed.text).toBe(201);
    await until(`ring ${i} to ${user}`, () => store.messages.list({ token }).length === before + i + 1);
  }
}

function hmsCredential(mode: Record<string, unknown>) {
  return { type: 'hms', appId: hms.appId, endpoint: hms.pushUrl, ...mode };
}

describe('HMS rings through each auth mode, one token per lifetime', () => {
  it('direct: the gateway holds the Huawei secret and never asks the auth-server', async () => {
    const token = await setUp(
      'hms-direct',
      hmsCredential({ clientSecret: hms.clientSecret, tokenUrl: hms.tokenUrl }),
      'u-direct',
    );
    const before = new Map(hits);
    await ring('u-direct', token, hms, 5);
    expect(hits).toEqual(before);
  });

  it('flow A: one bearer and one HMS token for many calls; an expired token is refreshed once', async () => {
    const token = await setUp(
      'hms-a',
      hmsCredential({
        authMode: 'delegated-a',
        tokenUrl: delegatedA.tokenUrl(),
        ...delegatedA.client,
        hmsTokenUrl: `${authUrl}/oauth/hms-token`,
      }),
      'u-a',
    );
    await ring('u-a', token, hms, 8);
    expect([hitsOf('/oauth/token'), hitsOf('/oauth/hms-token')]).toEqual([1, 1]);
    hms.behaviours.set(token, { kind: 'auth_expired', count: 1 });
    await ring('u-a', token, hms, 5);
    expect([hitsOf('/oauth/token'), hitsOf('/oauth/hms-token')]).toEqual([1, 2]);
  });

  it('flow B: one signed assertion for many calls; an expired token is refreshed once', async () => {
    const path = '/oauth2/v1/huawei-hms/token';
    const token = await setUp(
      'hms-b',
      hmsCredential({ authMode: 'delegated-b', tokenUrl: `${authUrl}${path}` }),
      'u-b',
    );
    await ring('u-b', token, hms, 8);
    expect(hitsOf(path)).toBe(1);
    hms.behaviours.set(token, { kind: 'auth_expired', count: 1 });
    await ring('u-b', token, hms, 5);
    expect(hitsOf(path)).toBe(2);
  });

  it("a refused token fetch is a config error carrying the owner's OAuth error", async () => {
    const token = await setUp(
      'hms-bad',
      hmsCredential({
        authMode: 'delegated-a',
        tokenUrl: delegatedA.tokenUrl(),
        clientId: 'gateway-client',
        clientSecret: 'nope',
        hmsTokenUrl: `${authUrl}/oauth/hms-token`,
      }),
      'u-bad',
    );
    const placed = await call('POST', '/v1/calls', { from: 'alice', to: ['u-bad'] });
    const { callId } = placed.body;
    let delivery: Record<string, unknown> | undefined;
    const end = Date.now() + 5000;
    while (Date.now() < end && (delivery === undefined || delivery.state === 'pending')) {
      await new Promise((r) => setTimeout(r, 25));
      delivery = (await call('GET', `/v1/calls/${callId}`)).body.deliveries?.[0];
    }
    // The owner's error code; its error_description is free text and stays out (docs/security.md).
    expect(delivery).toMatchObject({
      outcome: 'config_error',
      detail: 'token request refused (HTTP 401): invalid_client',
    });
    expect(hms.messages.list({ token })).toEqual([]);
  });
});

describe('FCM flow A', () => {
  it('rings an FCM device with a Google token the auth-server minted from its service account', async () => {
    // From before the credential is stored: storing it warms it (the token requests may come then).
    const before = [hitsOf('/oauth/token'), hitsOf('/oauth/fcm-token')];
    const token = await setUp(
      'fcm-a',
      {
        type: 'fcm',
        authMode: 'delegated-a',
        tokenUrl: delegatedA.tokenUrl(),
        ...delegatedA.client,
        fcmTokenUrl: `${authUrl}/oauth/fcm-token`,
        projectNumber: fcm.projectNumber,
        endpoint: fcm.baseUrl,
      },
      'u-fcm',
    );
    await ring('u-fcm', token, fcm, 3);
    // One bearer from the auth-server and one Google token from it, for the warm-up and all three rings.
    expect([hitsOf('/oauth/token') - before[0]!, hitsOf('/oauth/fcm-token') - before[1]!]).toEqual([1, 1]);
  });
});

describe('credential validation', () => {
  it('names the missing or misplaced field and shows only public parts', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [hmsCredential({}), 'clientSecret'],
      [
        hmsCredential({ authMode: 'delegated-a', tokenUrl: 'https://as.example/t', clientId: 'c', clientSecret: 's' }),
        'hmsTokenUrl',
      ],
      [hmsCredential({ authMode: 'delegated-b' }), 'tokenUrl'],
      [hmsCredential({ authMode: 'delegated-b', tokenUrl: 'https://as.example/t', clientSecret: 's' }), 'clientSecret'],
      [hmsCredential({ authMode: 'delegated-b', tokenUrl: 'not a url' }), 'tokenUrl'],
      [{ type: 'fcm', authMode: 'delegated-a', tokenUrl: 'https://as.example/t' }, 'projectNumber'],
      [{ type: 'fcm' }, 'serviceAccount'],
    ];
    for (const [body, field] of cases) {
      const r = await call('PUT', `/v1/apps/${app.key}/providers/check`, body);
      expect([r.status, r.body.error?.field], r.text).toEqual([400, field]);
    }
    const view = (await call('GET', `/v1/apps/${app.key}/providers/hms-a`)).text;
    expect(view).toContain('clientSecretFingerprint');
    expect(view).not.toContain('gateway-secret');
  });
});
