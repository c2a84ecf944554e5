import { type Emulators, startEmulators } from '@callpush/emulators';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { mintAccessToken } from '../../src/infra/tokens/index.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { postgresAvailable } from '../support/services.js';
import { connectDevice, openSocket, type TestSocket } from '../support/socket.js';
import { sleep, until } from '../support/wait.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];
/** The callpush message an FCM push carries. */
const messageIn = (payload: unknown) =>
  JSON.parse((payload as { data: { callpush: string } }).data.callpush) as { callId: string; type: string };
const ACK_WINDOW_MS = 400;
const MAX_DEVICES = 3;

describe.each(engines)('active connection on %s', (engine) => {
  let emu: Emulators;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  let bob: string;
  let alice: string;
  let bobToken: string;
  const sockets: TestSocket[] = [];
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);

  async function userToken(userId: string): Promise<string> {
    const r = await call('POST', `/v1/users/${userId}/access-tokens`, { auth: appAuth() });
    return r.body.accessToken;
  }
  async function device(deviceId: string, token = bobToken): Promise<TestSocket> {
    const s = await connectDevice(gw.url, token, deviceId);
    sockets.push(s);
    return s;
  }
  const fcmFor = (token: string) => emu.fcm.messages.list({ token });
  /** The pushes of one call: a previous test's cancel may still land after the messages were cleared. */
  const fcmOfCall = (token: string, callId: string) =>
    fcmFor(token).filter((m) => messageIn(m.payload).callId === callId);
  const place = async (body: Record<string, unknown> = {}) => {
    const r = await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: ['bob'], ...body } });
    expect(r.status, r.text).toBe(201);
    return r.body as { callId: string; expiresAt: number };
  };
  const deliveries = async (callId: string) =>
    (await call('GET', `/v1/calls/${callId}`, { auth: appAuth() })).body.deliveries as Array<Record<string, unknown>>;

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startTestGateway(
      engine,
      {
        CALLPUSH_ACK_WINDOW_MS: String(ACK_WINDOW_MS),
        CALLPUSH_HEARTBEAT_SECONDS: '1',
        CALLPUSH_MAX_DEVICES_PER_USER: String(MAX_DEVICES),
      },
      { providerCa: emu.tls.ca },
    );
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'live' } })).body;
    const { fcm } = emulatorProviderCredentials(emu.credentials);
    expect((await call('PUT', `/v1/apps/${app.key}/providers/fcm`, { auth: appAuth(), body: fcm })).status).toBe(201);
    bobToken = await userToken('bob');
    bob = `Bearer ${bobToken}`;
    alice = `Bearer ${await userToken('alice')}`;
  });
  afterAll(async () => {
    await gw?.stop();
    await emu?.close();
  });
  beforeEach(async () => {
    emu.fcm.messages.clear();
    for (const [deviceId, token] of [
      ['pixel', 'pixel-token'],
      ['tablet', 'tablet-token'],
    ]) {
      const body = { provider: 'fcm', token, kind: 'alert' };
      expect((await call('PUT', `/v1/me/devices/${deviceId}`, { auth: bob, body })).status).toBeLessThan(300);
    }
  });
  afterEach(async () => {
    const open = sockets.splice(0);
    for (const s of open) s.ws.terminate();
    await Promise.all(open.map((s) => s.closed));
  });

  it('rings a connected device over its socket, and no push follows its receipt', async () => {
    const pixel = await device('pixel');
    const { callId, expiresAt } = await place({ video: true, headers: { room: 'r1' }, displayName: 'Alice' });
    const ring = await pixel.next((f) => f.type === 'call.ring');
    expect(ring).toMatchObject({
      v: 1,
      callId,
      app: app.key,
      from: 'alice',
      to: 'bob',
      video: true,
      headers: { room: 'r1' },
      displayName: 'Alice',
      expiresAt,
    });
    pixel.send({ type: 'receipt', callId });
    // The device without a socket got its push at once.
    await until('tablet push', () => fcmOfCall('tablet-token', callId).length === 1);
    await sleep(ACK_WINDOW_MS + 300);
    expect(fcmOfCall('pixel-token', callId)).toEqual([]);
    const pixelRing = (await deliveries(callId)).find((d) => d.deviceId === 'pixel');
    expect(pixelRing).toMatchObject({ transport: 'connection', state: 'received' });
  });

  it('falls back to the push when no receipt arrives within the ack window', async () => {
    const pixel = await device('pixel');
    const { callId } = await place();
    await pixel.next((f) => f.type === 'call.ring');
    const sentAt = Date.now();
    const push = await emu.fcm.messages.waitFor((m) => m.token === 'pixel-token', 5000);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(ACK_WINDOW_MS - 100);
    expect(messageIn(push.payload)).toMatchObject({ callId });
    const pixelRing = await until('fallback recorded', async () =>
      (await deliveries(callId)).find((d) => d.deviceId === 'pixel' && d.state === 'sent' && d.transport === 'push'),
    );
    expect(pixelRing.attempts).toBe(2);
  });

  it('still rings by push when the socket dies mid-ring', async () => {
    const pixel = await device('pixel');
    const { callId } = await place();
    await pixel.next((f) => f.type === 'call.ring');
    pixel.ws.terminate();
    const push = await emu.fcm.messages.waitFor((m) => m.token === 'pixel-token', ACK_WINDOW_MS + 2000);
    expect(messageIn(push.payload)).toMatchObject({ callId });
  });

  it('rings a device known only by its socket, and cancels it when another device answers', async () => {
    const browser = await device('browser-tab');
    const { callId } = await place();
    await browser.next((f) => f.type === 'call.ring' && f.callId === callId);
    browser.send({ type: 'receipt', callId });
    const rows = await until('receipt', async () =>
      (await deliveries(callId)).find((d) => d.deviceId === 'browser-tab' && d.state === 'received'),
    );
    expect(rows).toMatchObject({ provider: '', transport: 'connection' });
    const answered = await call('POST', `/v1/calls/${callId}/answer`, { auth: bob, body: { deviceId: 'pixel' } });
    expect(answered.status, answered.text).toBe(200);
    const cancel = await browser.next((f) => f.type === 'call.cancel' && f.callId === callId);
    expect(cancel).toMatchObject({ callId, reason: 'answered_elsewhere' });
  });

  it('catches a device up on calls already ringing when it connects, and cancels them there', async () => {
    const { callId } = await place();
    await until('pushes', () => fcmOfCall('pixel-token', callId).length === 1);
    const laptop = await device('laptop');
    await laptop.next((f) => f.type === 'call.ring' && f.callId === callId);
    expect(laptop.frames.filter((f) => f.type === 'call.ring' && f.callId === callId)).toHaveLength(1);
    expect((await call('POST', `/v1/calls/${callId}/cancel`, { auth: alice })).status).toBe(200);
    expect(await laptop.next((f) => f.type === 'call.cancel' && f.callId === callId)).toMatchObject({
      reason: 'caller_cancelled',
    });
  });

  it('sends cancels over the socket instead of the push where there is one', async () => {
    const { callId } = await place();
    await until(
      'pushes',
      () => fcmOfCall('pixel-token', callId).length === 1 && fcmOfCall('tablet-token', callId).length === 1,
    );
    await until('sent', async () => (await deliveries(callId)).every((d) => d.state === 'sent'));
    const tablet = await device('tablet');
    await tablet.next((f) => f.type === 'call.ring');
    expect((await call('POST', `/v1/calls/${callId}/answer`, { auth: bob, body: { deviceId: 'pixel' } })).status).toBe(
      200,
    );
    expect(await tablet.next((f) => f.type === 'call.cancel' && f.callId === callId)).toMatchObject({
      reason: 'answered_elsewhere',
    });
    const cancel = await until('cancel recorded', async () =>
      (await deliveries(callId)).find((d) => d.type === 'cancel' && d.deviceId === 'tablet' && d.state === 'sent'),
    );
    expect(cancel).toMatchObject({ transport: 'connection' });
    await sleep(200);
    expect(fcmOfCall('tablet-token', callId).filter((m) => messageIn(m.payload).type === 'call.cancel')).toEqual([]);
  });

  it('cancels a push ring still in flight when another device answers', async () => {
    emu.fcm.behaviours.set('tablet-token', { kind: 'latency', ms: 600, count: 1 });
    const pixel = await device('pixel');
    const { callId } = await place();
    await pixel.next((f) => f.type === 'call.ring');
    const answered = await call('POST', `/v1/calls/${callId}/answer`, { auth: bob, body: { deviceId: 'pixel' } });
    expect(answered.body.deliveries.find((d: { deviceId: string }) => d.deviceId === 'tablet').state).toBe('pending');
    const types = () => fcmOfCall('tablet-token', callId).map((m) => messageIn(m.payload).type);
    await until('ring and cancel', () => types().length === 2, 3000);
    expect(types().sort()).toEqual(['call.cancel', 'call.ring']);
  });

  it('refuses bad tokens and bad frames with the documented close codes', async () => {
    const bad = await openSocket(gw.url);
    bad.send({ type: 'hello', token: 'a.b.c', deviceId: 'pixel' });
    expect(await bad.next((f) => f.type === 'error')).toMatchObject({ code: 'token_malformed' });
    expect((await bad.closed).code).toBe(4001);

    const stray = await device('stray');
    stray.send({ type: 'receipt', callId: 'not a callpush id / from another push' });
    stray.send({ type: 'ping' });
    await stray.next((f) => f.type === 'pong');
    expect(stray.ws.readyState).toBe(stray.ws.OPEN);

    const early = await openSocket(gw.url);
    early.send({ type: 'receipt', callId: 'c_x' });
    expect(await early.closed).toMatchObject({ code: 4008, reason: 'hello_required' });

    const junk = await openSocket(gw.url);
    junk.send('{not json');
    expect((await junk.closed).code).toBe(4008);

    const huge = await openSocket(gw.url);
    huge.send({ type: 'hello', token: 'x'.repeat(20_000), deviceId: 'pixel' });
    expect((await huge.closed).code).toBe(1009);
  });

  it('answers a plain GET with 426 and documents the route in the OpenAPI doc', async () => {
    const r = await call('GET', '/v1/connect', { auth: bob });
    expect([r.status, r.body.error.code, r.headers.get('upgrade')]).toEqual([426, 'upgrade_required', 'websocket']);
    const doc = (await call('GET', '/openapi.json')).body;
    expect(doc.paths['/v1/connect'].get.summary).toMatch(/Active connection/);
  });

  it('replaces an older socket of the same device, and closes the oldest beyond the device limit', async () => {
    const first = await device('pixel');
    await device('pixel');
    expect(await first.closed).toMatchObject({ code: 4009, reason: 'replaced' });

    const carol = await userToken('carol');
    const tabs = [];
    for (let i = 0; i < MAX_DEVICES + 1; i++) tabs.push(await device(`tab-${i}`, carol));
    expect(await tabs[0]!.closed).toMatchObject({ code: 4009, reason: 'evicted' });
    expect(tabs.slice(1).every((t) => t.ws.readyState === t.ws.OPEN)).toBe(true);
  });

  it('pings, closes a silent socket, and keeps one that answers', async () => {
    const silent = await openSocket(gw.url);
    silent.send({ type: 'hello', token: bobToken, deviceId: 'silent' });
    await silent.next((f) => f.type === 'ping', 2500);
    expect((await silent.closed).code).toBe(4000);

    const lively = await device('lively');
    lively.ws.on('message', (data) => {
      if (JSON.parse(data.toString()).type === 'ping') lively.send({ type: 'pong' });
    });
    await sleep(2500);
    expect(lively.ws.readyState).toBe(lively.ws.OPEN);
  });

  it('takes a fresh token on the open socket, refuses another user, and closes when the token expires', async () => {
    const short = await mintAccessToken(
      { namespace: 'callpush', maxLifetimeSeconds: 3600 },
      { appKey: app.key, appSecret: app.secret, userId: 'bob', ttlSeconds: 2 },
    );
    const expiring = await openSocket(gw.url);
    const pong = () => expiring.send({ type: 'pong' });
    expiring.ws.on('message', pong);
    expiring.send({ type: 'hello', token: short.accessToken, deviceId: 'expiring' });
    await expiring.next((f) => f.type === 'ready');
    expect(await expiring.next((f) => f.type === 'error', 5000)).toMatchObject({ code: 'token_expired' });
    expect((await expiring.closed).code).toBe(4001);

    const refreshed = await device('refreshed');
    refreshed.send({ type: 'auth', token: await userToken('bob') });
    expect(await refreshed.next((f) => f.type === 'auth.ok')).toHaveProperty('tokenExpiresAt');
    refreshed.send({ type: 'auth', token: await userToken('carol') });
    expect(await refreshed.closed).toMatchObject({ code: 4003, reason: 'wrong_user' });
  });
});
