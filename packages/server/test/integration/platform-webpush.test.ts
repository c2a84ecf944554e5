import { type Emulators, type IssuedSubscription, startEmulators } from '@callpush/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { postgresAvailable } from '../support/services.js';
import { until } from '../support/wait.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];

const NAVIGATE = 'https://app.example/calls/{callId}';

/**
 * One app, one Web Push credential of the default format that names the page a declarative notification
 * opens: a Safari registered for the declarative format and a Chrome left to the credential's format, both
 * at the Web Push emulator, which plays the browser's declarative parser (docs/providers.md#webpush-declarative).
 */
describe.each(engines)('Web Push format per registration, through the gateway on %s', (engine) => {
  let emu: Emulators;
  let gw: TestGateway;
  let auth: string;
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startTestGateway(engine, {}, { providerCa: emu.tls.ca });
    const app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'web' } })).body;
    auth = basic(app.key, app.secret);
    const credentials = emulatorProviderCredentials(emu.credentials);
    for (const [provider, body] of Object.entries({
      webpush: { ...credentials.webpush, navigate: NAVIGATE },
      // No page to open: no registration of it may ask for the declarative format.
      'webpush-pageless': credentials.webpush,
      fcm: credentials.fcm,
    })) {
      const r = await call('PUT', `/v1/apps/${app.key}/providers/${provider}`, { auth, body });
      expect(r.status, r.text).toBe(201);
    }
  });
  afterAll(async () => {
    await gw?.stop();
    await emu?.close();
  });

  async function userAuth(user: string): Promise<string> {
    return `Bearer ${(await call('POST', `/v1/users/${user}/access-tokens`, { auth })).body.accessToken}`;
  }
  const register = async (user: string, deviceId: string, body: Record<string, unknown>) =>
    call('PUT', `/v1/me/devices/${deviceId}`, { auth: await userAuth(user), body });

  /** A browser's subscription at the emulator, as the page would register it. */
  function browser(): { subscription: IssuedSubscription; token: string } {
    const subscription = emu.webpush.createSubscription();
    const { id: _, ...json } = subscription;
    return { subscription, token: JSON.stringify(json) };
  }

  async function registerBrowser(user: string, deviceId: string, format?: 'declarative' | 'service-worker') {
    const b = browser();
    const body = { provider: 'webpush', token: b.token, kind: 'alert', ...(format ? { format } : {}) };
    const r = await register(user, deviceId, body);
    expect(r.status, r.text).toBe(201);
    return b.subscription;
  }

  /** Everything the emulator received for a subscription, once `count` pushes arrived. */
  const received = (sub: IssuedSubscription, count: number) =>
    until(`${count} pushes at ${sub.id}`, () => {
      const list = emu.webpush.messages.list({ token: sub.id });
      return list.length >= count ? list : undefined;
    });

  it('sends a declarative registration the declarative shape and its neighbour the v1 message, for ring, cancel and missed call', async () => {
    const safari = await registerBrowser('bob', 'safari', 'declarative');
    const chrome = await registerBrowser('bob', 'chrome');

    const placed = await call('POST', '/v1/calls', {
      auth,
      body: { from: 'alice', to: ['bob'], displayName: 'Alice' },
    });
    expect(placed.status, placed.text).toBe(201);
    const callId = placed.body.callId as string;
    await received(safari, 1);
    await received(chrome, 1);
    // The caller gives up: each browser gets the cancel, then the missed-call notice.
    expect((await call('POST', `/v1/calls/${callId}/cancel`, { auth })).status).toBe(200);

    const [declarative, classic] = [await received(safari, 3), await received(chrome, 3)];
    const each = <T>(ms: typeof classic, of: (p: Record<string, unknown>) => T) =>
      ms.map((m) => of(m.payload as Record<string, unknown>));
    expect(each(classic, (p) => p.type)).toEqual(['call.ring', 'call.cancel', 'call.missed']);
    expect(classic.every((m) => !('notification' in m.device) && !('declarativeError' in m.device))).toBe(true);

    // The emulator's parser takes all three as declarative push messages, one tag per call.
    expect(declarative.map((m) => m.device.declarativeError)).toEqual([undefined, undefined, undefined]);
    expect(declarative.map((m) => m.device.notification)).toEqual([
      { title: 'Alice', body: 'Incoming call', tag: callId, sound: true },
      { title: 'Alice', body: 'Call cancelled', tag: callId, sound: false },
      { title: 'Missed call', body: 'Alice', tag: callId, sound: true },
    ]);
    const notifications = each(declarative, (p) => p.notification as Record<string, unknown>);
    expect(each(declarative, (p) => p.web_push)).toEqual([8030, 8030, 8030]);
    // The v1 message each browser would have got rides in the notification's data.
    expect(notifications.map((n) => (n.data as { type: string }).type)).toEqual(each(classic, (p) => p.type));
    expect(notifications[0]).toMatchObject({ navigate: `https://app.example/calls/${callId}` });
  });

  it('shows the format in both device lists, only on the registration that chose one', async () => {
    await registerBrowser('cat', 'safari', 'declarative');
    await registerBrowser('cat', 'edge', 'service-worker');
    await registerBrowser('cat', 'chrome');
    const formats = (devices: Array<{ deviceId: string; registrations: Array<{ format?: string }> }>) =>
      Object.fromEntries(devices.map((d) => [d.deviceId, d.registrations.map((r) => r.format ?? null)]));
    const expected = { safari: ['declarative'], edge: ['service-worker'], chrome: [null] };
    expect(formats((await call('GET', '/v1/users/cat/devices', { auth })).body.devices)).toEqual(expected);
    const mine = await call('GET', '/v1/me/devices', { auth: await userAuth('cat') });
    expect(formats(mine.body.devices)).toEqual(expected);
  });

  it('refuses a format on another provider, a declarative one without a page, and an unknown one, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ provider: 'fcm', token: 'fcm-1', kind: 'alert', format: 'declarative' }, 'validation_failed', 'format'],
      [
        { registrations: [{ provider: 'fcm', token: 'fcm-1', kind: 'alert', format: 'service-worker' }] },
        'validation_failed',
        'registrations.0.format',
      ],
      [
        { provider: 'webpush-pageless', token: browser().token, kind: 'alert', format: 'declarative' },
        'validation_failed',
        'format',
      ],
      [
        { provider: 'webpush', token: browser().token, kind: 'alert', format: 'classic' },
        'validation_failed',
        'format',
      ],
    ];
    for (const [body, code, field] of cases) {
      const r = await register('dan', 'browser', body);
      expect([r.status, r.body.error?.code, r.body.error?.field], r.text).toEqual([400, code, field]);
    }
    expect((await call('GET', '/v1/users/dan/devices', { auth })).body.devices).toEqual([]);
  });

  it('refuses at placement a call whose declarative ring would not fit, where a service-worker one fits', async () => {
    await registerBrowser('eve', 'safari', 'declarative');
    await registerBrowser('fay', 'chrome');
    // 610 control characters escape to 3660 bytes: the v1 message fits 4096 encrypted, its declarative wrapping not.
    const headers = { c: '\u0001'.repeat(610) };
    const fits = await call('POST', '/v1/calls', { auth, body: { from: 'alice', to: ['fay'], headers } });
    expect(fits.status, fits.text).toBe(201);
    const refused = await call('POST', '/v1/calls', { auth, body: { from: 'alice', to: ['eve', 'fay'], headers } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'payload_too_large', field: 'headers' });
    expect(refused.body.error.message).toMatch(/ring to eve .* webpush \(declarative\), which carries at most 4096$/);
  });
});
