import { type Emulators, startEmulators } from '@callpush/emulators';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { unwrapV1 } from '../support/recorded.js';
import { postgresAvailable } from '../support/services.js';
import { sleep, until } from '../support/wait.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];
const APNS_TOPIC = 'com.example.calls';

describe.each(engines)('calls on %s, through the emulators', (engine) => {
  let emu: Emulators;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  /**
   * The callee, a new user with new tokens in every test: the calls of earlier tests still send to their callee's
   * devices in the background (cancels and missed-call notices after an answer or timeout, retries after a
   * backoff, timeouts of calls left ringing), and those must neither land in this test's lists nor spend or
   * trip the behaviours it sets on its tokens.
   */
  let bobId = '';
  let bobs = 0;
  let bob: string;
  let alice: string;
  const tokens = { fcm: '', hms: '', apns: '', webpush: '' };
  let webpushId = '';
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);

  async function userToken(userId: string): Promise<string> {
    const r = await call('POST', `/v1/users/${userId}/access-tokens`, { auth: appAuth() });
    return `Bearer ${r.body.accessToken}`;
  }

  async function registerBob(): Promise<void> {
    bobId = `bob-${++bobs}`;
    bob = await userToken(bobId);
    tokens.fcm = `${bobId}-fcm-token`;
    tokens.hms = `${bobId}-hms-token`;
    tokens.apns = bobs.toString(16).padStart(2, '0').repeat(32);
    const sub = emu.webpush.createSubscription();
    webpushId = sub.id;
    tokens.webpush = JSON.stringify({ endpoint: sub.endpoint, keys: sub.keys });
    for (const [device, provider, kind] of [
      ['pixel', 'fcm', 'alert'],
      ['huawei', 'hms', 'alert'],
      ['iphone', 'apns', 'voip'],
      ['browser', 'webpush', 'alert'],
    ] as const) {
      const r = await call('PUT', `/v1/me/devices/${device}`, {
        auth: bob,
        body: { provider, token: tokens[provider], kind },
      });
      expect(r.status, r.text).toBeLessThan(300);
    }
  }

  /** Messages for this test's bob's device on one provider, unwrapped. */
  const arrived = (provider: keyof typeof tokens) => {
    const store = emu[provider].messages;
    const token = provider === 'webpush' ? webpushId : tokens[provider];
    return store.list({ token }).map((m) => ({ m, body: unwrapV1(m) }));
  };

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startTestGateway(engine, {}, { providerCa: emu.tls.ca });
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'calls' } })).body;
    const credentials = emulatorProviderCredentials(emu.credentials);
    const providers = { ...credentials, apns: { ...credentials.apns, topic: APNS_TOPIC } };
    for (const [name, body] of Object.entries(providers)) {
      const r = await call('PUT', `/v1/apps/${app.key}/providers/${name}`, { auth: appAuth(), body });
      expect(r.status, r.text).toBe(201);
    }
    alice = await userToken('alice');
  });
  afterAll(async () => {
    await gw?.stop();
    await emu?.close();
  });
  beforeEach(async () => {
    for (const e of [emu.fcm, emu.hms, emu.apns, emu.webpush]) {
      e.messages.clear();
      e.behaviours.clear();
    }
    await registerBob();
  });

  it('rings every device of the callee at once, in each provider wrapping, and records the deliveries', async () => {
    const placed = await call('POST', '/v1/calls', {
      auth: appAuth(),
      body: { from: 'alice', to: [bobId], video: true, headers: { room: 'r1' }, displayName: 'Alice' },
    });
    expect(placed.status, placed.text).toBe(201);
    const { callId, expiresAt } = placed.body;
    expect(placed.body.state).toBe('ringing');
    expect(placed.body.deliveries).toHaveLength(4);
    const ring = {
      v: 1,
      type: 'call.ring',
      callId,
      from: 'alice',
      to: bobId,
      video: true,
      headers: { room: 'r1' },
      displayName: 'Alice',
      expiresAt,
    };
    const ringOn = (provider: keyof typeof tokens) =>
      arrived(provider).find((x) => x.body.callId === callId && x.body.type === 'call.ring');
    for (const provider of ['fcm', 'hms', 'apns', 'webpush'] as const) {
      const first = await until(`${provider} ring`, () => ringOn(provider));
      expect(first.body, provider).toMatchObject(ring);
    }
    const fcm = ringOn('fcm')!.m.payload as any;
    expect(fcm.android).toMatchObject({ priority: 'HIGH', collapse_key: callId });
    expect(Number(fcm.android.ttl.replace('s', ''))).toBeGreaterThanOrEqual(28);
    const apns = ringOn('apns')!.m.headers;
    expect(apns).toMatchObject({
      'apns-push-type': 'voip',
      'apns-topic': `${APNS_TOPIC}.voip`,
      'apns-priority': '10',
      'apns-collapse-id': callId,
    });
    expect(Number(apns['apns-expiration'])).toBe(Math.floor(expiresAt / 1000));
    const state = await until('all sent', async () => {
      const r = await call('GET', `/v1/calls/${callId}`, { auth: appAuth() });
      return r.body.deliveries.every((d: { state: string }) => d.state === 'sent') ? r.body : undefined;
    });
    expect(state.deliveries.map((d: { attempts: number }) => d.attempts)).toEqual([1, 1, 1, 1]);
  });

  it('sends ttl "0s" when less than a second is left', async () => {
    const r = await call('POST', '/v1/calls', {
      auth: appAuth(),
      body: { from: 'alice', to: [bobId], ringTimeoutSeconds: 1 },
    });
    expect(r.status).toBe(201);
    // The call times out a second later: its cancel may overtake a slow ring.
    const ring = await until('fcm ring', () =>
      arrived('fcm').find((x) => x.body.callId === r.body.callId && x.body.type === 'call.ring'),
    );
    expect((ring.m.payload as any).android.ttl).toBe('0s');
  });

  it('answer on one device cancels the other rung devices, never with a VoIP push', async () => {
    const { callId } = (await call('POST', '/v1/calls', { auth: alice, body: { to: [bobId] } })).body;
    await until('rings sent', async () => {
      const r = await call('GET', `/v1/calls/${callId}`, { auth: bob });
      return r.body.deliveries.filter((d: { state: string }) => d.state === 'sent').length === 4 || undefined;
    });
    const answered = await call('POST', `/v1/calls/${callId}/answer`, { auth: bob, body: { deviceId: 'pixel' } });
    expect([answered.status, answered.body.state, answered.body.answeredBy]).toEqual([
      200,
      'answered',
      { userId: bobId, deviceId: 'pixel' },
    ]);
    for (const provider of ['hms', 'webpush'] as const) {
      const cancel = await until(`${provider} cancel`, () =>
        arrived(provider).find((x) => x.body.callId === callId && x.body.type === 'call.cancel'),
      );
      expect(cancel.body).toMatchObject({ callId, reason: 'answered_elsewhere' });
    }
    const after = await until('cancels recorded', async () => {
      const r = await call('GET', `/v1/calls/${callId}`, { auth: appAuth() });
      const cancels = r.body.deliveries.filter((d: { type: string }) => d.type === 'cancel');
      return cancels.length === 3 && cancels.every((d: { state: string }) => d.state !== 'pending')
        ? cancels
        : undefined;
    });
    expect(after.find((d: { deviceId: string }) => d.deviceId === 'iphone').state).toBe('skipped');
    expect(arrived('apns').filter((x) => x.body.callId === callId && x.body.type === 'call.cancel')).toEqual([]);
    expect(arrived('fcm').filter((x) => x.body.callId === callId && x.body.type === 'call.cancel')).toEqual([]);
    const again = await call('POST', `/v1/calls/${callId}/answer`, { auth: bob, body: { deviceId: 'huawei' } });
    expect([again.status, again.body.error.code]).toEqual([409, 'invalid_transition']);
  });

  it('refuses an answer from a device the callee does not have', async () => {
    const { callId } = (await call('POST', '/v1/calls', { auth: alice, body: { to: [bobId] } })).body;
    // carol's device is real, but not bob's.
    const carol = await userToken('carol');
    await call('PUT', '/v1/me/devices/carol-pixel', {
      auth: carol,
      body: { provider: 'fcm', token: 'carol-fcm-token', kind: 'alert' },
    });
    for (const deviceId of ['nope', 'carol-pixel']) {
      const r = await call('POST', `/v1/calls/${callId}/answer`, { auth: bob, body: { deviceId } });
      expect([r.status, r.body.error?.code, r.body.error?.field], deviceId).toEqual([
        400,
        'unknown_device',
        'deviceId',
      ]);
    }
    expect((await call('GET', `/v1/calls/${callId}`, { auth: bob })).body.state).toBe('ringing');
    const answered = await call('POST', `/v1/calls/${callId}/answer`, { auth: bob, body: { deviceId: 'iphone' } });
    expect([answered.status, answered.body.answeredBy]).toEqual([200, { userId: bobId, deviceId: 'iphone' }]);
  });

  it('caller cancel and decline stop the ringing with their reasons; impossible transitions are 409', async () => {
    const a = (await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: [bobId] } })).body;
    await until('ring', () => arrived('hms').find((x) => x.body.callId === a.callId));
    const cancelled = await call('POST', `/v1/calls/${a.callId}/cancel`, { auth: alice });
    expect([cancelled.status, cancelled.body.state]).toEqual([200, 'cancelled']);
    const c = await until('cancel', () =>
      arrived('hms').find((x) => x.body.callId === a.callId && x.body.type === 'call.cancel'),
    );
    expect(c.body.reason).toBe('caller_cancelled');
    expect(
      (await call('POST', `/v1/calls/${a.callId}/answer`, { auth: bob, body: { deviceId: 'pixel' } })).status,
    ).toBe(409);
    expect((await call('POST', `/v1/calls/${a.callId}/cancel`, { auth: alice })).status).toBe(409);

    const b = (await call('POST', '/v1/calls', { auth: alice, body: { to: [bobId] } })).body;
    await until('ring', () => arrived('hms').find((x) => x.body.callId === b.callId));
    const declined = await call('POST', `/v1/calls/${b.callId}/decline`, { auth: bob, body: { deviceId: 'huawei' } });
    expect([declined.status, declined.body.state]).toEqual([200, 'declined']);
    const d = await until('decline cancel', () =>
      arrived('webpush').find((x) => x.body.callId === b.callId && x.body.type === 'call.cancel'),
    );
    expect(d.body.reason).toBe('declined');
    expect((await call('POST', `/v1/calls/${b.callId}/decline`, { auth: alice, body: { deviceId: 'x' } })).status).toBe(
      403,
    );
  });

  it('times out at the deadline and tells the rung devices', async () => {
    const { callId } = (
      await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: [bobId], ringTimeoutSeconds: 1 } })
    ).body;
    const cancel = await until(
      'timeout cancel',
      () => arrived('hms').find((x) => x.body.callId === callId && x.body.type === 'call.cancel'),
      4000,
    );
    expect(cancel.body.reason).toBe('timeout');
    expect((await call('GET', `/v1/calls/${callId}`, { auth: appAuth() })).body.state).toBe('timed_out');
  });

  it('retries transient failures, honours Retry-After, and never sends past the deadline', async () => {
    emu.fcm.behaviours.set(tokens.fcm, { kind: 'unavailable', count: 1 });
    emu.hms.behaviours.set(tokens.hms, { kind: 'rate_limited', retryAfterSeconds: 5 });
    const { callId } = (
      await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: [bobId], ringTimeoutSeconds: 2 } })
    ).body;
    const deliveries = await until('outcomes', async () => {
      const r = await call('GET', `/v1/calls/${callId}`, { auth: appAuth() });
      const byDevice = Object.fromEntries(r.body.deliveries.map((d: { deviceId: string }) => [d.deviceId, d]));
      return byDevice.pixel?.state === 'sent' && byDevice.huawei?.state === 'expired' ? byDevice : undefined;
    });
    expect(deliveries.pixel.attempts).toBe(2);
    expect(deliveries.huawei.attempts).toBe(1);
    expect(arrived('hms')).toEqual([]);
  });

  it('prunes a dead token, but not one re-registered since', async () => {
    // The credential delivers first: a dead-token answer is trusted only then.
    const ok = (await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: [bobId] } })).body;
    await until('a delivered ring', () => arrived('hms').find((x) => x.body.callId === ok.callId));
    emu.hms.behaviours.set(tokens.hms, { kind: 'unregistered' });
    const first = (await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: [bobId] } })).body;
    const goneOutcome = (callId: string) =>
      until('token_gone', async () => {
        const r = await call('GET', `/v1/calls/${callId}`, { auth: appAuth() });
        return r.body.deliveries.find(
          (d: { deviceId: string; outcome?: string }) => d.deviceId === 'huawei' && d.outcome === 'token_gone',
        );
      });
    await goneOutcome(first.callId);
    const deviceIds = async () =>
      (await call('GET', `/v1/users/${bobId}/devices`, { auth: appAuth() })).body.devices
        .map((d: { deviceId: string }) => d.deviceId)
        .sort();
    expect(await deviceIds()).toEqual(['browser', 'iphone', 'pixel']);

    // The phone re-registers while the provider is still answering "unregistered" for the old send: keep it.
    await call('PUT', '/v1/me/devices/huawei', {
      auth: bob,
      body: { provider: 'hms', token: tokens.hms, kind: 'alert' },
    });
    // Held at the provider for a second: re-registered once the send is known to be there, before its answer.
    emu.hms.behaviours.set(tokens.hms, { kind: 'latency', ms: 1000, count: 1 });
    const held = () =>
      emu.hms.behaviours
        .list()
        .find((b) => b.token === tokens.hms)
        ?.behaviours.some((b) => b.kind === 'latency');
    const second = (await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: [bobId] } })).body;
    await until('the send held at the provider', () => !held());
    await call('PUT', '/v1/me/devices/huawei', {
      auth: bob,
      body: { provider: 'hms', token: tokens.hms, kind: 'alert' },
    });
    const gone = await goneOutcome(second.callId);
    expect(gone.detail).not.toContain('device removed');
    expect(await deviceIds()).toEqual(['browser', 'huawei', 'iphone', 'pixel']);
  });

  it('keeps every device of a credential that never delivered, and prunes once it does', async () => {
    // A fresh app: its credentials have proved nothing yet. Its APNs credential names a bundle id the phones'
    // tokens are not for, as a typo would: every token answers DeviceTokenNotForTopic.
    const other = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'prune' } })).body;
    const auth = basic(other.key, other.secret);
    const credentials = emulatorProviderCredentials(emu.credentials);
    for (const [name, body] of Object.entries({
      apns: { ...credentials.apns, topic: 'com.example.typo' },
      hms: credentials.hms,
    })) {
      expect((await call('PUT', `/v1/apps/${other.key}/providers/${name}`, { auth, body })).status).toBe(201);
    }
    const userAuth = async (userId: string) =>
      `Bearer ${(await call('POST', `/v1/users/${userId}/access-tokens`, { auth })).body.accessToken}`;
    const zed = await userAuth('zed');
    const phones = ['a1', 'a2', 'a3'].map((p) => p.repeat(32));
    for (const [i, token] of phones.entries()) {
      emu.apns.registerDevice(token, { topic: `${APNS_TOPIC}.voip` });
      await call('PUT', `/v1/me/devices/iphone-${i}`, { auth: zed, body: { provider: 'apns', token, kind: 'voip' } });
    }
    await call('PUT', '/v1/me/devices/huawei', {
      auth: zed,
      body: { provider: 'hms', token: 'zed-hms', kind: 'alert' },
    });
    emu.hms.behaviours.set('zed-hms', { kind: 'invalid' });
    const devicesOf = async (userId: string) =>
      (await call('GET', `/v1/users/${userId}/devices`, { auth })).body.devices.map(
        (d: { deviceId: string }) => d.deviceId,
      );
    const settled = async (callId: string) =>
      until('every delivery settled', async () => {
        const r = await call('GET', `/v1/calls/${callId}`, { auth });
        const ds: Array<{ state: string; outcome: string; detail: string }> = r.body.deliveries;
        return ds.every((d) => d.state !== 'pending') ? ds : undefined;
      });

    const first = (await call('POST', '/v1/calls', { auth, body: { from: 'yan', to: ['zed'] } })).body;
    const kept = await settled(first.callId);
    expect(kept.map((d) => d.outcome)).toEqual(['config_error', 'config_error', 'config_error', 'config_error']);
    expect(kept[0]!.detail).toMatch(/device kept/);
    expect((await devicesOf('zed')).sort()).toEqual(['huawei', 'iphone-0', 'iphone-1', 'iphone-2']);
    const loud = gw
      .logs()
      .split('\n')
      .filter((l) => l.includes('while delivering to no device'));
    expect(loud.map((l) => JSON.parse(l).credential).sort()).toEqual(['apns', 'hms']);
    expect(loud.every((l) => JSON.parse(l).level === 50)).toBe(true);
    const metrics = await call('GET', '/metrics');
    expect(metrics.text).toMatch(/callpush_credential_misconfigured_total\{provider="apns",cause="not_delivering"\} 3/);

    // Once each credential delivers to another phone, the same answers are a dead token's: the devices go.
    const yan = await userAuth('yan');
    await call('PUT', '/v1/me/devices/iphone', {
      auth: yan,
      body: { provider: 'apns', token: 'b1'.repeat(32), kind: 'voip' },
    });
    await call('PUT', '/v1/me/devices/huawei', {
      auth: yan,
      body: { provider: 'hms', token: 'yan-hms', kind: 'alert' },
    });
    const toYan = (await call('POST', '/v1/calls', { auth, body: { from: 'zed', to: ['yan'] } })).body;
    expect((await settled(toYan.callId)).map((d) => d.outcome)).toEqual(['sent', 'sent']);
    const second = (await call('POST', '/v1/calls', { auth, body: { from: 'yan', to: ['zed'] } })).body;
    expect((await settled(second.callId)).map((d) => d.outcome)).toEqual([
      'token_gone',
      'token_gone',
      'token_gone',
      'token_gone',
    ]);
    expect(await devicesOf('zed')).toEqual([]);
  });

  it('honours Idempotency-Key and validates the call', async () => {
    const body = { from: 'alice', to: [bobId] };
    const first = await call('POST', '/v1/calls', { auth: appAuth(), body, headers: { 'idempotency-key': 'k-1' } });
    const second = await call('POST', '/v1/calls', { auth: appAuth(), body, headers: { 'idempotency-key': 'k-1' } });
    expect([first.status, second.status, second.headers.get('idempotent-replayed')]).toEqual([201, 200, 'true']);
    expect(second.body.callId).toBe(first.body.callId);
    const rings = () => arrived('fcm').filter((x) => x.body.callId === first.body.callId);
    await until('the ring', () => rings().length > 0);
    // Time for a second ring, had the replay sent one.
    await sleep(300);
    expect(rings()).toHaveLength(1);

    const big = await call('POST', '/v1/calls', {
      auth: appAuth(),
      body: { ...body, headers: { k: 'x'.repeat(1024) } },
    });
    expect([big.status, big.body.error.field]).toEqual([400, 'headers']);
    const self = await call('POST', '/v1/calls', { auth: alice, body: { to: ['alice'] } });
    expect([self.status, self.body.error.field]).toEqual([400, 'to']);
    const spoof = await call('POST', '/v1/calls', { auth: alice, body: { from: 'bob', to: ['carol'] } });
    expect(spoof.status).toBe(403);
    const stranger = await userToken('mallory');
    expect((await call('GET', `/v1/calls/${first.body.callId}`, { auth: stranger })).status).toBe(404);
  });

  it('scopes an Idempotency-Key to its caller: another user or the app credential gets a call of its own', async () => {
    const carol = await userToken('carol');
    const headers = { 'idempotency-key': 'shared-key' };
    const byAlice = await call('POST', '/v1/calls', { auth: alice, body: { to: [bobId] }, headers });
    const byCarol = await call('POST', '/v1/calls', { auth: carol, body: { to: [bobId] }, headers });
    const byApp = await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'dave', to: [bobId] }, headers });
    expect([byAlice.status, byCarol.status, byApp.status]).toEqual([201, 201, 201]);
    expect([byAlice.body.from, byCarol.body.from, byApp.body.from]).toEqual(['alice', 'carol', 'dave']);
    expect(new Set([byAlice.body.callId, byCarol.body.callId, byApp.body.callId]).size).toBe(3);
    // Each caller's own replay still answers with its own call.
    for (const [auth, first] of [
      [alice, byAlice],
      [carol, byCarol],
      [appAuth(), byApp],
    ] as const) {
      const again = await call('POST', '/v1/calls', { auth, body: { from: first.body.from, to: [bobId] }, headers });
      expect([again.status, again.body.callId]).toEqual([200, first.body.callId]);
    }
    // Racing requests of one caller still make one call.
    const race = await Promise.all(
      Array.from({ length: 5 }, () =>
        call('POST', '/v1/calls', { auth: carol, body: { to: [bobId] }, headers: { 'idempotency-key': 'race' } }),
      ),
    );
    expect(race.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(race.map((r) => r.body.callId)).size).toBe(1);
  });

  it('refuses headers a callee provider could never carry, and rings every device with those it accepts', async () => {
    // Each at most 1024 bytes of keys plus values, as the schema allows, yet over 4096 once escaped and wrapped.
    const refused: Record<string, Record<string, string>> = {
      'control characters': { k: '\u0001\u001f'.repeat(500) },
      quotes: { q: '"'.repeat(1000) },
      // 800 bytes of two-letter keys: each costs HMS 36 bytes once its quotes are escaped three times over.
      'many empty keys': Object.fromEntries(
        Array.from({ length: 400 }, (_, i) => [i.toString(36).padStart(2, '0'), '']),
      ),
    };
    for (const [name, headers] of Object.entries(refused)) {
      const r = await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: [bobId], headers } });
      expect([r.status, r.body.error?.code, r.body.error?.field], name).toEqual([400, 'payload_too_large', 'headers']);
    }
    // 4-byte UTF-8 stays unescaped: 1024 bytes of it fit every provider.
    const emoji = { e: '😀'.repeat(255) };
    const placed = await call('POST', '/v1/calls', {
      auth: appAuth(),
      body: { from: 'alice', to: [bobId], headers: emoji },
    });
    expect(placed.status, placed.text).toBe(201);
    const outcomes = await until('every ring sent', async () => {
      const r = await call('GET', `/v1/calls/${placed.body.callId}`, { auth: appAuth() });
      const ds: Array<{ state: string; outcome?: string }> = r.body.deliveries;
      return ds.every((d) => d.state !== 'pending') ? ds.map((d) => d.outcome) : undefined;
    });
    expect(outcomes).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(arrived('hms').find((x) => x.body.callId === placed.body.callId)?.body.headers).toEqual(emoji);
  });

  it('records ring receipts from the callee device', async () => {
    const { callId } = (await call('POST', '/v1/calls', { auth: alice, body: { to: [bobId] } })).body;
    const r = await call('POST', `/v1/calls/${callId}/receipts`, { auth: bob, body: { deviceId: 'pixel' } });
    expect([r.status, r.body.state, typeof r.body.receivedAt]).toEqual([200, 'received', 'number']);
    expect((await call('POST', `/v1/calls/${callId}/receipts`, { auth: bob, body: { deviceId: 'nope' } })).status).toBe(
      404,
    );
  });
});
