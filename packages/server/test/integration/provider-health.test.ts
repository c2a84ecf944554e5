import { generateKeyPairSync } from 'node:crypto';
import { type Emulators, startEmulators } from '@callpush/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { until } from '../support/wait.js';

interface Health {
  name: string;
  type: string;
  deliveries: number;
  failures: number;
  lastError?: { reason: string; detail?: string; at: number };
  tokenCache?: { cached: boolean; fetchedAt?: number; connections: number };
  misconfigured: boolean;
}

/** `GET /v1/apps/{appKey}/provider-health`: each credential's last hour, from its deliveries and its client. */
describe('provider health', () => {
  let emu: Emulators;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  let other: { key: string; secret: string };
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);
  const health = async () => {
    const r = await call('GET', `/v1/apps/${app.key}/provider-health`, { auth: appAuth() });
    expect(r.status, r.text).toBe(200);
    return new Map((r.body.providers as Health[]).map((p) => [p.name, p]));
  };

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startTestGateway('sqlite', {}, { providerCa: emu.tls.ca });
    const admin = { auth: `Bearer ${ADMIN_TOKEN}` };
    app = (await call('POST', '/v1/apps', { ...admin, body: { name: 'health' } })).body;
    other = (await call('POST', '/v1/apps', { ...admin, body: { name: 'other' } })).body;
    const credentials = emulatorProviderCredentials(emu.credentials);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const broken = {
      ...credentials.fcm,
      serviceAccount: {
        ...credentials.fcm.serviceAccount,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    };
    for (const [name, body] of Object.entries({
      fcm: credentials.fcm,
      'fcm-broken': broken,
      webpush: credentials.webpush,
    })) {
      const r = await call('PUT', `/v1/apps/${app.key}/providers/${name}`, { auth: appAuth(), body });
      expect(r.status, r.text).toBe(201);
    }
    const token = (await call('POST', '/v1/users/hal/access-tokens', { auth: appAuth() })).body.accessToken;
    for (const [deviceId, provider] of [
      ['good', 'fcm'],
      ['bad', 'fcm-broken'],
    ]) {
      const r = await call('PUT', `/v1/me/devices/${deviceId}`, {
        auth: `Bearer ${token}`,
        body: { provider, token: `hal-${deviceId}`, kind: 'alert' },
      });
      expect(r.status, r.text).toBe(201);
    }
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await emu?.close();
  });

  it('counts deliveries and failures, names the last error, the token cache and a misconfigured credential', async () => {
    const before = await health();
    expect(before.get('fcm')).toMatchObject({
      name: 'fcm',
      type: 'fcm',
      deliveries: 0,
      failures: 0,
      misconfigured: false,
    });
    expect(before.get('fcm')!.lastError).toBeUndefined();
    const placed = await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: ['hal'] } });
    expect(placed.status, placed.text).toBe(201);
    const after = await until('both deliveries settled', async () => {
      const h = await health();
      return h.get('fcm-broken')?.lastError && h.get('fcm')?.tokenCache ? h : undefined;
    });
    expect(after.get('fcm')).toMatchObject({
      deliveries: 1,
      failures: 0,
      misconfigured: false,
      tokenCache: { cached: true },
    });
    expect(after.get('fcm')!.lastError).toBeUndefined();
    const broken = after.get('fcm-broken')!;
    expect(broken).toMatchObject({ deliveries: 1, misconfigured: true, lastError: { reason: 'config_error' } });
    expect(broken.tokenCache?.cached ?? false).toBe(false);
    // Web Push caches no token: nothing to show.
    expect(after.get('webpush')).toMatchObject({ deliveries: 0, misconfigured: false });
    expect(after.get('webpush')!.tokenCache).toBeUndefined();
  });

  it('shows an app only its own, and refuses user tokens and no credentials', async () => {
    const theirs = await call('GET', `/v1/apps/${app.key}/provider-health`, { auth: basic(other.key, other.secret) });
    expect(theirs.status).toBe(403);
    expect(theirs.body.error.code).toBe('wrong_app');
    const own = await call('GET', `/v1/apps/${other.key}/provider-health`, { auth: basic(other.key, other.secret) });
    expect(own.body).toMatchObject({ providers: [] });
    const token = (await call('POST', '/v1/users/hal/access-tokens', { auth: appAuth() })).body.accessToken;
    const user = await call('GET', `/v1/apps/${app.key}/provider-health`, { auth: `Bearer ${token}` });
    expect(user.status).toBe(401);
    expect((await call('GET', `/v1/apps/${app.key}/provider-health`)).status).toBe(401);
    const long = await call('GET', `/v1/apps/${'k'.repeat(65)}/provider-health`, { auth: appAuth() });
    expect(long.status).toBe(400);
  });
});
