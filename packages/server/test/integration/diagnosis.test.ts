import { generateKeyPairSync } from 'node:crypto';
import { type Emulators, startEmulators } from '@callpush/emulators';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { Listener } from '../support/event-listener.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { sample } from '../support/metrics.js';
import { postgresAvailable } from '../support/services.js';
import { connectDevice } from '../support/socket.js';
import { sleep, until } from '../support/wait.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];

interface DeviceDiagnosis {
  userId: string;
  deviceId?: string;
  code: string;
  message: string;
  transport?: string;
  provider?: string;
  notes: Array<{ code: string; message: string }>;
}

/** "Why didn't it ring?" for the causes the emulators can produce, end to end. */
describe.each(engines)('the diagnosis of a call on %s', (engine) => {
  let emu: Emulators;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  // The app's backend: it hears of the same failures the diagnosis explains.
  let listener: Listener;
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);

  const tokenOf = async (userId: string) =>
    (await call('POST', `/v1/users/${userId}/access-tokens`, { auth: appAuth() })).body.accessToken as string;

  async function register(userId: string, deviceId: string, body: Record<string, unknown>): Promise<void> {
    const r = await call('PUT', `/v1/me/devices/${deviceId}`, { auth: `Bearer ${await tokenOf(userId)}`, body });
    expect(r.status, r.text).toBe(201);
  }

  async function place(to: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: [to], ...extra } });
    expect(r.status, r.text).toBe(201);
    return r.body.callId as string;
  }

  /** The diagnosis of the call's only device, once it has the code `code`. */
  const diagnosedAs = (callId: string, code: string, ms = 8000) =>
    until(
      `diagnosis ${code}`,
      async () => {
        const r = await call('GET', `/v1/calls/${callId}/diagnosis`, { auth: appAuth() });
        expect(r.status, r.text).toBe(200);
        const devices = r.body.devices as DeviceDiagnosis[];
        return devices.length === 1 && devices[0]!.code === code ? devices[0]! : undefined;
      },
      ms,
    );

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startTestGateway(engine, {}, { providerCa: emu.tls.ca });
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'diagnosis' } })).body;
    const credentials = emulatorProviderCredentials(emu.credentials);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const broken = {
      ...credentials.fcm,
      serviceAccount: {
        ...credentials.fcm.serviceAccount,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    };
    for (const [name, body] of Object.entries({ fcm: credentials.fcm, hms: credentials.hms, 'fcm-broken': broken })) {
      const r = await call('PUT', `/v1/apps/${app.key}/providers/${name}`, { auth: appAuth(), body });
      expect(r.status, r.text).toBe(201);
    }
    listener = new Listener();
    const put = await call('PUT', `/v1/apps/${app.key}/webhooks/events`, {
      auth: appAuth(),
      body: { url: await listener.start(), events: ['delivery.failed', 'device.pruned', 'credential.misconfigured'] },
    });
    expect(put.status, put.text).toBe(201);
    listener.secrets = [put.body.signingSecret];
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await emu?.close();
    await listener?.close();
  });

  /** The verified event of `type` the backend got about `match` (a call id, a device, a credential). */
  const heard = (type: string, match: Record<string, unknown>) =>
    until(`${type} heard`, () => {
      expect(listener.unverified).toEqual([]);
      return listener.received.find((r) => r.type === type && Object.entries(match).every(([k, v]) => r.data[k] === v));
    });
  beforeEach(() => {
    for (const e of [emu.fcm, emu.hms]) e.behaviours.clear();
  });

  it('a dead token: pruned at the time the provider said so; the next call finds no registration', async () => {
    await register('dan', 'huawei', { provider: 'hms', token: 'dan-hms', kind: 'alert' });
    // A dead-token answer is trusted once the credential has delivered.
    const ok = await place('dan');
    await diagnosedAs(ok, 'awaiting_receipt');
    emu.hms.behaviours.set('dan-hms', { kind: 'unregistered' });
    const dead = await place('dan');
    const d = await diagnosedAs(dead, 'token_pruned');
    expect(d).toMatchObject({ userId: 'dan', deviceId: 'huawei', provider: 'hms', transport: 'push' });
    expect(d.message).toMatch(/no longer valid .* removed/);
    const failed = await heard('delivery.failed', { callId: dead, deviceId: 'huawei' });
    expect(failed.data).toMatchObject({ type: 'ring', outcome: 'token_gone', provider: 'hms' });
    const pruned = await heard('device.pruned', { userId: 'dan', deviceId: 'huawei' });
    expect(pruned.data).toMatchObject({ provider: 'hms', providerType: 'hms', reason: expect.any(String) });
    const after = await place('dan');
    const none = await diagnosedAs(after, 'no_registration');
    expect(none.deviceId).toBeUndefined();
  });

  it('a rate limit past the deadline: the provider asked to retry after the ring would be over', async () => {
    await register('erin', 'huawei', { provider: 'hms', token: 'erin-hms', kind: 'alert' });
    emu.hms.behaviours.set('erin-hms', { kind: 'rate_limited', retryAfterSeconds: 5 });
    const callId = await place('erin', { ringTimeoutSeconds: 2 });
    const d = await diagnosedAs(callId, 'retry_past_deadline');
    expect(d.message).toMatch(/try again later/);
    const failed = await heard('delivery.failed', { callId, deviceId: 'huawei' });
    expect(failed.data).toMatchObject({ outcome: 'retry', reason: expect.stringContaining('deadline') });
  });

  it('a misconfigured credential: the provider refused it, with its reason and the credential to fix', async () => {
    await register('fay', 'pixel', { provider: 'fcm-broken', token: 'fay-fcm', kind: 'alert' });
    const callId = await place('fay');
    const d = await diagnosedAs(callId, 'provider_rejected');
    expect(d.provider).toBe('fcm-broken');
    expect(d.message).toContain('invalid_grant');
    expect(d.message).toContain('/providers/fcm-broken');
    const misconfigured = await heard('credential.misconfigured', { provider: 'fcm-broken' });
    expect(misconfigured.data).toMatchObject({ providerType: 'fcm', reason: expect.stringContaining('invalid_grant') });
    expect((await heard('delivery.failed', { callId, deviceId: 'pixel' })).data).toMatchObject({
      outcome: 'config_error',
    });
  });

  it('no receipt within the ring window, and a device that said its notifications are off', async () => {
    await register('gus', 'pixel', { provider: 'fcm', token: 'gus-fcm', kind: 'alert' });
    const quiet = await place('gus', { ringTimeoutSeconds: 1 });
    const d = await diagnosedAs(quiet, 'no_receipt', 5000);
    expect(d.message).toMatch(
      /accepted the push at .* \(message id .+\), but the device sent no receipt within the ring window \(1 s\)/,
    );

    await register('hana', 'pixel', {
      provider: 'fcm',
      token: 'hana-fcm',
      kind: 'alert',
      capabilities: { notifications: 'denied', fullScreenIntent: false },
    });
    const muted = await place('hana', { ringTimeoutSeconds: 1 });
    const m = await diagnosedAs(muted, 'notifications_disabled', 5000);
    expect(m.notes.map((n) => n.code)).toEqual(['full_screen_intent_denied']);
  });

  it('a ring over the socket the device acknowledged; a received push; a callee with no device', async () => {
    const tab = await connectDevice(gw.url, await tokenOf('hal'), 'tab');
    try {
      const callId = await place('hal');
      await tab.next((f) => f.type === 'call.ring' && f.callId === callId);
      tab.send({ type: 'receipt', callId });
      const d = await diagnosedAs(callId, 'socket_acknowledged');
      expect(d).toMatchObject({ deviceId: 'tab', transport: 'connection' });
      expect(d.provider).toBeUndefined();
    } finally {
      tab.ws.close();
    }

    await register('ida', 'pixel', { provider: 'fcm', token: 'ida-fcm', kind: 'alert' });
    const rung = await place('ida');
    expect((await diagnosedAs(rung, 'awaiting_receipt')).message).toMatch(/waiting for the device's receipt/);
    const receipt = await call('POST', `/v1/calls/${rung}/receipts`, {
      auth: `Bearer ${await tokenOf('ida')}`,
      body: { deviceId: 'pixel' },
    });
    expect(receipt.status, receipt.text).toBe(200);
    expect((await diagnosedAs(rung, 'received')).message).toMatch(/provider accepted the push .* confirmed it/);

    const nobody = await place('ivy');
    expect((await diagnosedAs(nobody, 'no_registration')).message).toMatch(/ivy had no registered device/);
  });

  it('counts each ring by its receipt: received in the window, late, missing; and the receipt ratio', async () => {
    const scrape = async () => (await call('GET', '/metrics')).text;
    const receipts = (text: string, outcome: string) =>
      sample(text, 'callpush_ring_receipts_total', { provider: 'fcm', transport: 'push', outcome });
    const before = await scrape();
    const delta = (text: string, outcome: string) => receipts(text, outcome) - receipts(before, outcome);
    const receiptOf = async (userId: string, callId: string) => {
      const r = await call('POST', `/v1/calls/${callId}/receipts`, {
        auth: `Bearer ${await tokenOf(userId)}`,
        body: { deviceId: 'pixel' },
      });
      expect(r.status, r.text).toBe(200);
    };
    for (const u of ['kim', 'lee', 'mia'])
      await register(u, 'pixel', { provider: 'fcm', token: `${u}-fcm`, kind: 'alert' });
    // kim confirms in time; lee never does; mia's receipt comes after the call timed out.
    const inTime = await place('kim');
    await diagnosedAs(inTime, 'awaiting_receipt');
    await receiptOf('kim', inTime);
    const quiet = await place('lee', { ringTimeoutSeconds: 1 });
    const late = await place('mia', { ringTimeoutSeconds: 1 });
    await diagnosedAs(quiet, 'no_receipt', 5000);
    await diagnosedAs(late, 'no_receipt', 5000);
    await receiptOf('mia', late);
    const after = await until('both timed-out rings counted', async () => {
      const text = await scrape();
      return delta(text, 'missing') >= 2 ? text : undefined;
    });
    expect([delta(after, 'received'), delta(after, 'late'), delta(after, 'missing')]).toEqual([1, 1, 2]);
    const ratio = sample(after, 'callpush_ring_receipt_ratio', { provider: 'fcm' });
    const [received, missing] = [receipts(after, 'received'), receipts(after, 'missing')];
    expect(ratio).toBeCloseTo(received / (received + missing), 6);
  });

  it('is for the app only, and never shows another app its calls', async () => {
    const callId = await place('ivy');
    const asUser = await call('GET', `/v1/calls/${callId}/diagnosis`, { auth: `Bearer ${await tokenOf('alice')}` });
    expect(asUser.status).toBe(401);
    const other = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'other' } })).body;
    const elsewhere = await call('GET', `/v1/calls/${callId}/diagnosis`, { auth: basic(other.key, other.secret) });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.error.code).toBe('call_not_found');
  });

  it("a test ring rings the user's real devices, is marked, and ends by timeout without a missed-call notice", async () => {
    await register('jay', 'pixel', { provider: 'fcm', token: 'jay-fcm', kind: 'alert' });
    const r = await call('POST', '/v1/users/jay/test-ring', { auth: appAuth() });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      from: 'callpush-test',
      to: ['jay'],
      displayName: 'callpush test ring',
      test: true,
      state: 'ringing',
    });
    expect(r.body.expiresAt - r.body.createdAt).toBe(20_000);
    const { callId } = r.body;
    await until('the ring on the phone', () =>
      emu.fcm.messages.list({ token: 'jay-fcm' }).some((m) => JSON.stringify(m.payload).includes(callId)),
    );
    const diagnosis = (await call('GET', `/v1/calls/${callId}/diagnosis`, { auth: appAuth() })).body;
    expect(diagnosis).toMatchObject({ callId, test: true, devices: [{ deviceId: 'pixel' }] });
    const ended = await until(
      'the timeout',
      async () => {
        const c = (await call('GET', `/v1/calls/${callId}`, { auth: appAuth() })).body;
        return c.state === 'timed_out' && c.deliveries.some((d: { type: string }) => d.type === 'cancel')
          ? c
          : undefined;
      },
      30_000,
    );
    // A missed-call notice would have been ordered with the timeout's cancel.
    await sleep(500);
    const final = (await call('GET', `/v1/calls/${callId}`, { auth: appAuth() })).body;
    expect(final.deliveries.filter((d: { type: string }) => d.type === 'missed')).toEqual([]);
    expect(ended.test).toBe(true);

    expect((await call('POST', '/v1/users/jay/test-ring', { auth: `Bearer ${await tokenOf('jay')}` })).status).toBe(
      401,
    );
    const self = await call('POST', '/v1/users/callpush-test/test-ring', { auth: appAuth() });
    expect(self.status).toBe(400);
    expect(self.body.error.field).toBe('userId');
  }, 45_000);
});
