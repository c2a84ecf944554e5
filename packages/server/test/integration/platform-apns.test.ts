import { type ApnsEmulator, type Emulators, startApnsEmulator, startEmulators } from '@callpush/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { postgresAvailable } from '../support/services.js';
import { until } from '../support/wait.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];

const TOPIC = 'com.example.calls';

/**
 * One app, one sandbox APNs credential, iPhones of a development build (sandbox tokens) and of a release build
 * (production tokens): docs/providers.md#apns-environments.
 */
describe.each(engines)('APNs environment per registration, through the gateway on %s', (engine) => {
  let emu: Emulators;
  // Apple's production host: a second emulator that accepts the same key and trusts the same CA.
  let production: ApnsEmulator;
  let gw: TestGateway;
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);

  /** An app with the sandbox APNs credential (production at the second emulator) and an FCM one. */
  async function newApp(name: string): Promise<string> {
    const app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name } })).body;
    const auth = basic(app.key, app.secret);
    const credentials = emulatorProviderCredentials(emu.credentials);
    for (const [provider, body] of Object.entries({
      apns: { ...credentials.apns, topic: TOPIC, endpoints: { production: production.baseUrl } },
      fcm: credentials.fcm,
    })) {
      const r = await call('PUT', `/v1/apps/${app.key}/providers/${provider}`, { auth, body });
      expect(r.status, r.text).toBe(201);
    }
    return auth;
  }

  /** What one app does, as its backend and its users' phones. */
  const appOf = (auth: string) => ({
    async register(user: string, deviceId: string, body: Record<string, unknown>) {
      const token = (await call('POST', `/v1/users/${user}/access-tokens`, { auth })).body.accessToken;
      return call('PUT', `/v1/me/devices/${deviceId}`, { auth: `Bearer ${token}`, body });
    },
    /** Registers an iPhone's PushKit token, of the credential's environment unless one is named. */
    async iphone(user: string, deviceId: string, token: string, environment?: 'sandbox' | 'production') {
      const body = { provider: 'apns', token, kind: 'voip', ...(environment ? { environment } : {}) };
      const r = await this.register(user, deviceId, body);
      expect(r.status, r.text).toBeLessThan(300);
    },
    /** Rings `to` and waits until each delivery settled: by device id. */
    async ring(from: string, to: string) {
      const placed = await call('POST', '/v1/calls', { auth, body: { from, to: [to] } });
      expect(placed.status, placed.text).toBe(201);
      const ds = await until('every delivery settled', async () => {
        const r = await call('GET', `/v1/calls/${placed.body.callId}`, { auth });
        const list: Array<{ deviceId: string; state: string; outcome: string; detail: string }> = r.body.deliveries;
        return list.every((d) => d.state !== 'pending') ? list : undefined;
      });
      return Object.fromEntries(ds.map((d) => [d.deviceId, d]));
    },
    async deviceIds(user: string) {
      const { devices } = (await call('GET', `/v1/users/${user}/devices`, { auth })).body;
      return devices.map((d: { deviceId: string }) => d.deviceId).sort();
    },
  });
  let app: ReturnType<typeof appOf>;

  beforeAll(async () => {
    emu = await startEmulators();
    production = await startApnsEmulator({ environment: 'production', key: emu.apns, tls: emu.tls });
    gw = await startTestGateway(engine, {}, { providerCa: emu.tls.ca });
    app = appOf(await newApp('platform'));
  });
  afterAll(async () => {
    await gw?.stop();
    await production?.close();
    await emu?.close();
  });

  it('keeps the environment a registration names, refuses it on another provider', async () => {
    const r = await app.register('ann', 'iphone', {
      provider: 'apns',
      token: 'a0'.repeat(32),
      kind: 'voip',
      environment: 'production',
    });
    expect(r.status, r.text).toBeLessThan(300);
    expect(r.body.registrations).toEqual([expect.objectContaining({ kind: 'voip', environment: 'production' })]);

    const wrong = await app.register('ann', 'pixel', {
      provider: 'fcm',
      token: 'ann-fcm',
      kind: 'alert',
      environment: 'sandbox',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'validation_failed', field: 'environment' });
  });

  it('rings a sandbox iPhone and a production one of the same app, each on its own gateway', async () => {
    const [dev, release] = ['b1'.repeat(32), 'b2'.repeat(32)];
    emu.apns.registerDevice(dev, { topic: `${TOPIC}.voip` });
    production.registerDevice(release, { topic: `${TOPIC}.voip` });
    await app.iphone('bob', 'dev-phone', dev);
    await app.iphone('bob', 'release-phone', release, 'production');

    const ds = await app.ring('alice', 'bob');

    expect(ds['dev-phone']?.outcome).toBe('sent');
    expect(ds['release-phone']?.outcome).toBe('sent');
    expect(emu.apns.messages.list({ token: dev })).toHaveLength(1);
    expect(production.messages.list({ token: release })).toHaveLength(1);
    expect(emu.apns.messages.list({ token: release })).toEqual([]);
  });

  it('trusts a dead-token answer only from an environment that delivers: the sandbox proves nothing of production', async () => {
    // A fresh credential has proved nothing; each environment of it proves itself.
    const guarded = appOf(await newApp('guard'));
    const [dev, stale] = ['c1'.repeat(32), 'c2'.repeat(32)];
    emu.apns.registerDevice(dev, { topic: `${TOPIC}.voip` });
    production.behaviours.set(stale, { kind: 'invalid' });
    await guarded.iphone('zed', 'dev-phone', dev);
    await guarded.iphone('zed', 'old-phone', stale, 'production');

    // The sandbox delivers in the same push; production answers BadDeviceToken without having delivered.
    const first = await guarded.ring('yan', 'zed');
    expect(first['dev-phone']?.outcome).toBe('sent');
    expect(first['old-phone']).toMatchObject({ outcome: 'config_error', detail: expect.stringMatching(/device kept/) });
    expect(await guarded.deviceIds('zed')).toEqual(['dev-phone', 'old-phone']);

    // Once production delivers to another iPhone, its BadDeviceToken is a dead token's: the device goes.
    const fresh = 'c3'.repeat(32);
    production.registerDevice(fresh, { topic: `${TOPIC}.voip` });
    await guarded.iphone('yan', 'iphone', fresh, 'production');
    expect((await guarded.ring('zed', 'yan')).iphone?.outcome).toBe('sent');
    expect((await guarded.ring('yan', 'zed'))['old-phone']?.outcome).toBe('token_gone');
    expect(await guarded.deviceIds('zed')).toEqual(['dev-phone']);
  });
});
