import { type Emulators, type RecordedMessage, startEmulators } from '@callpush/emulators';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { Listener } from '../support/event-listener.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { unwrapV1 } from '../support/recorded.js';
import { postgresAvailable } from '../support/services.js';
import { connectDevice } from '../support/socket.js';
import { sleep, until } from '../support/wait.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];
const APNS_TOPIC = 'com.example.calls';

/**
 * The call after the ring, end to end through the emulators: bob has an Android phone (FCM), a Huawei phone
 * (HMS), an iPhone with a PushKit and a regular APNs token, and a browser (Web Push).
 */
describe.each(engines)('the call after the ring on %s', (engine) => {
  let emu: Emulators;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  const users: Record<string, string> = {};
  const tokens = { fcm: 'bob-fcm', hms: 'bob-hms', voip: 'b1'.repeat(32), alert: 'b2'.repeat(32), webpush: '' };
  let webpushId = '';
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);
  const bob = () => users.bob!;

  async function userToken(userId: string): Promise<string> {
    const r = await call('POST', `/v1/users/${userId}/access-tokens`, { auth: appAuth() });
    return r.body.accessToken as string;
  }

  async function put(path: string, body: unknown): Promise<void> {
    const r = await call('PUT', path, { auth: appAuth(), body });
    expect(r.status, r.text).toBeLessThan(300);
  }

  /** Messages of one call on one of bob's tokens, unwrapped. */
  function arrived(store: keyof Emulators & ('fcm' | 'hms' | 'apns' | 'webpush'), token: string, callId: string) {
    return emu[store].messages
      .list({ token })
      .map((m) => ({ m, body: unwrapV1(m) }))
      .filter((x) => x.body.callId === callId);
  }
  const onPixel = (id: string) => arrived('fcm', tokens.fcm, id);
  const onHuawei = (id: string) => arrived('hms', tokens.hms, id);
  const onIphoneVoip = (id: string) => arrived('apns', tokens.voip, id);
  const onIphoneAlert = (id: string) => arrived('apns', tokens.alert, id);
  const onBrowser = (id: string) => arrived('webpush', webpushId, id);

  async function place(from: string, to: string[], extra: Record<string, unknown> = {}) {
    const r = await call('POST', '/v1/calls', { auth: `Bearer ${users[from]}`, body: { to, ...extra } });
    expect(r.status, r.text).toBe(201);
    return r.body as { callId: string; state: string; callees: Record<string, string>; deliveries: unknown[] };
  }

  const act = (userId: string, callId: string, action: string, body: Record<string, unknown>) =>
    call('POST', `/v1/calls/${callId}/${action}`, { auth: `Bearer ${users[userId]}`, body });

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startTestGateway(engine, {}, { providerCa: emu.tls.ca });
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'lifecycle' } })).body;
    const credentials = emulatorProviderCredentials(emu.credentials);
    const providers = { ...credentials, apns: { ...credentials.apns, topic: APNS_TOPIC } };
    for (const [name, body] of Object.entries(providers)) await put(`/v1/apps/${app.key}/providers/${name}`, body);
    for (const u of ['alice', 'bob', 'carol']) users[u] = await userToken(u);
    const sub = emu.webpush.createSubscription();
    webpushId = sub.id;
    tokens.webpush = JSON.stringify({ endpoint: sub.endpoint, keys: sub.keys });
    const devices: Array<[string, unknown]> = [
      ['pixel', { provider: 'fcm', token: tokens.fcm, kind: 'alert' }],
      ['huawei', { provider: 'hms', token: tokens.hms, kind: 'alert' }],
      [
        'iphone',
        {
          registrations: [
            { provider: 'apns', token: tokens.voip, kind: 'voip' },
            { provider: 'apns', token: tokens.alert, kind: 'alert' },
          ],
          locale: 'de-AT',
        },
      ],
      ['browser', { provider: 'webpush', token: tokens.webpush, kind: 'alert' }],
    ];
    for (const [device, body] of devices) {
      const r = await call('PUT', `/v1/me/devices/${device}`, { auth: `Bearer ${bob()}`, body });
      expect(r.status, r.text).toBe(201);
    }
    await put(`/v1/apps/${app.key}/notifications`, {
      defaultLocale: 'en',
      locales: {
        de: {
          answeredElsewhere: { title: '{displayName}', body: 'Auf einem anderen Gerät angenommen' },
          missedCall: { title: 'Verpasster Anruf', body: '{displayName}' },
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await emu?.close();
  });

  beforeEach(async () => {
    await put(`/v1/apps/${app.key}/settings`, {
      missedCalls: { enabled: true, visibleOnData: false },
      rejectWhenBusy: false,
    });
  });

  it('the app backend hears every event of a call that rings, is answered and ends, in order, as subscribed', async () => {
    const listener = new Listener();
    const url = await listener.start();
    try {
      const subscribed = ['call.created', 'delivery.sent', 'delivery.received', 'call.answered', 'call.ended'];
      const put = await call('PUT', `/v1/apps/${app.key}/webhooks/events`, {
        auth: appAuth(),
        body: { url, events: subscribed },
      });
      expect(put.status, put.text).toBe(201);
      listener.secrets = [put.body.signingSecret];
      const c = await place('alice', ['bob']);
      await until('the rings', () => onPixel(c.callId).length === 1 && onHuawei(c.callId).length === 1);
      // The emulator records a push before the gateway hears its answer, and a receipt landing before the send is
      // recorded is reported first (as it happened): the order asserted below needs the send recorded first.
      await until('the pixel ring recorded as sent', async () => {
        const { deliveries } = (await call('GET', `/v1/calls/${c.callId}`, { auth: appAuth() })).body;
        return deliveries.some(
          (d: { type: string; deviceId: string; state: string }) =>
            d.type === 'ring' && d.deviceId === 'pixel' && d.state === 'sent',
        );
      });
      expect((await act('bob', c.callId, 'receipts', { deviceId: 'pixel' })).status).toBe(200);
      expect((await act('bob', c.callId, 'answer', { deviceId: 'pixel' })).status).toBe(200);
      expect((await act('alice', c.callId, 'end', {})).status).toBe(200);
      const ofCall = () => listener.received.filter((r) => r.data.callId === c.callId);
      // A ring only the iPhone or the browser got may be recorded after the end (the call was answered once the
      // pixel and the Huawei phone were rung): its event comes after call.ended, so wait for it too.
      const ringsSent = () => ofCall().filter((r) => r.type === 'delivery.sent' && r.data.type === 'ring').length;
      await until(
        'the end of the call and every ring sent',
        () => ofCall().some((r) => r.type === 'call.ended') && ringsSent() === 4,
        8000,
      );
      // Time for an event of a type not subscribed to show up, had it been sent.
      await sleep(300);
      const types = ofCall().map((r) => r.type);
      // Every type received was subscribed; none of the cancels' or other outcomes' events came.
      expect(new Set(types)).toEqual(new Set(subscribed));
      // In order of occurrence: the call's own changes, and each ring sent before it was received. (The
      // cancels answering sends may go out after the call ended: that is when they happened.)
      expect(types[0]).toBe('call.created');
      const callEvents = types.filter((t) => t.startsWith('call.'));
      expect(callEvents).toEqual(['call.created', 'call.answered', 'call.ended']);
      expect(types.indexOf('call.answered')).toBeGreaterThan(types.indexOf('delivery.received'));
      const pixelRing = ofCall().filter((r) => r.data.deviceId === 'pixel' && r.data.type === 'ring');
      expect(pixelRing.map((r) => r.type)).toEqual(['delivery.sent', 'delivery.received']);
      // One delivery.sent per device the call rang (4 pushes), then the cancels to the 3 others.
      const sent = ofCall().filter((r) => r.type === 'delivery.sent');
      expect(
        sent
          .filter((r) => r.data.type === 'ring')
          .map((r) => r.data.deviceId)
          .sort(),
      ).toEqual(['browser', 'huawei', 'iphone', 'pixel']);
      const received = ofCall().find((r) => r.type === 'delivery.received')!;
      expect(received.data).toMatchObject({ deviceId: 'pixel', type: 'ring', userId: 'bob' });
      expect(ofCall().find((r) => r.type === 'call.answered')!.data).toMatchObject({
        userId: 'bob',
        deviceId: 'pixel',
      });
      expect(listener.unverified).toEqual([]);
      // The funnel of the answering device: provider accepted with its message id, received, answered on it.
      const view = await call('GET', `/v1/calls/${c.callId}`, { auth: appAuth() });
      const ring = view.body.deliveries.find((d: any) => d.type === 'ring' && d.deviceId === 'pixel');
      expect(ring).toMatchObject({ state: 'received' });
      expect(JSON.stringify(ring)).toContain('answered');
    } finally {
      await call('DELETE', `/v1/apps/${app.key}/webhooks/events`, { auth: appAuth() });
      await listener.close();
    }
  });

  it('rings the iPhone by VoIP, and its cancel goes to its alert token in German, never as VoIP', async () => {
    const c = await place('alice', ['bob'], { displayName: 'Alice' });
    await until('the pushes', () => onIphoneVoip(c.callId).length === 1 && onPixel(c.callId).length === 1);
    expect(onIphoneVoip(c.callId)[0]!.body.type).toBe('call.ring');
    expect(onIphoneAlert(c.callId)).toEqual([]);

    expect((await act('bob', c.callId, 'answer', { deviceId: 'pixel' })).status).toBe(200);
    await until('the pushes', () => onIphoneAlert(c.callId).length === 1 && onHuawei(c.callId).length === 2);
    const [cancel] = onIphoneAlert(c.callId);
    expect(cancel!.body).toMatchObject({ type: 'call.cancel', reason: 'answered_elsewhere' });
    expect(cancel!.m.headers['apns-push-type']).toBe('alert');
    expect(cancel!.m.headers['apns-collapse-id']).toBe(c.callId);
    expect(cancel!.body.text).toEqual({ title: 'Alice', body: 'Auf einem anderen Gerät angenommen' });
    expect(JSON.stringify((cancel!.m.payload as any).aps)).toContain('Auf einem anderen Gerät angenommen');
    await sleep(200);
    expect(onIphoneVoip(c.callId).map((x) => x.body.type)).toEqual(['call.ring']);
    expect(onPixel(c.callId).map((x) => x.body.type)).toEqual(['call.ring']);
    expect((await act('alice', c.callId, 'end', {})).status).toBe(200);
  });

  it('a call that times out sends call.missed to each of bob\u2019s devices, at normal priority', async () => {
    const c = await place('alice', ['bob'], { displayName: 'Alice', ringTimeoutSeconds: 1 });
    const allMissed = () =>
      [onPixel, onHuawei, onIphoneAlert, onBrowser].every((f) =>
        f(c.callId).some((x) => x.body.type === 'call.missed'),
      );
    await until('a missed notice on every device', allMissed, 8000);
    const missed = (list: Array<{ m: RecordedMessage; body: Record<string, any> }>) =>
      list.find((x) => x.body.type === 'call.missed')!;
    const pixel = missed(onPixel(c.callId));
    expect(pixel.body).toMatchObject({ reason: 'timeout', from: 'alice', displayName: 'Alice', to: 'bob' });
    expect(pixel.body.expiresAt - pixel.body.sentAt).toBeGreaterThan(3600_000);
    expect((pixel.m.payload as any).android.priority).toBe('NORMAL');
    const iphone = missed(onIphoneAlert(c.callId));
    expect(iphone.m.headers['apns-priority']).toBe('5');
    expect(iphone.body.text).toEqual({ title: 'Verpasster Anruf', body: 'Alice' });
    expect(missed(onBrowser(c.callId)).m.headers.urgency).toBe('normal');
    expect(onIphoneVoip(c.callId).map((x) => x.body.type)).toEqual(['call.ring']);
    const final = await call('GET', `/v1/calls/${c.callId}`, { auth: appAuth() });
    expect(final.body.deliveries.filter((d: any) => d.type === 'missed')).toHaveLength(4);
  });

  it('a caller cancel is missed too; an app that turned missed calls off gets none', async () => {
    const c = await place('alice', ['bob']);
    await until('the pushes', () => onPixel(c.callId).length === 1);
    expect((await act('alice', c.callId, 'cancel', {})).status).toBe(200);
    await until('the pushes', () => onPixel(c.callId).some((x) => x.body.type === 'call.missed'));
    expect(onPixel(c.callId).find((x) => x.body.type === 'call.missed')!.body.reason).toBe('caller_cancelled');

    await put(`/v1/apps/${app.key}/settings`, { missedCalls: { enabled: false } });
    const quiet = await place('alice', ['bob'], { ringTimeoutSeconds: 1 });
    await until('the timeout cancel', () => onPixel(quiet.callId).some((x) => x.body.type === 'call.cancel'), 8000);
    await sleep(300);
    expect(onPixel(quiet.callId).map((x) => x.body.type)).toEqual(['call.ring', 'call.cancel']);
  });

  it('a receipt for a ring that arrives after the call ended says so, and the status route agrees', async () => {
    const c = await place('alice', ['bob']);
    expect((await act('alice', c.callId, 'cancel', {})).status).toBe(200);
    const receipt = await act('bob', c.callId, 'receipts', { deviceId: 'iphone' });
    expect(receipt.status, receipt.text).toBe(200);
    expect(receipt.body.call).toMatchObject({ callId: c.callId, state: 'cancelled', status: 'cancelled' });
    const status = await call('GET', `/v1/calls/${c.callId}/status?deviceId=iphone`, { auth: `Bearer ${bob()}` });
    expect(status.body).toMatchObject({ state: 'cancelled', status: 'cancelled', endReason: 'caller_cancelled' });

    const live = await place('alice', ['bob']);
    const ringing = await act('bob', live.callId, 'receipts', { deviceId: 'pixel' });
    expect(ringing.body.call.status).toBe('ringing');
    await act('bob', live.callId, 'answer', { deviceId: 'pixel' });
    const elsewhere = await call('GET', `/v1/calls/${live.callId}/status?deviceId=iphone`, { auth: `Bearer ${bob()}` });
    expect(elsewhere.body).toMatchObject({ state: 'answered', status: 'answered_elsewhere' });
    const other = await call('GET', `/v1/calls/${live.callId}/status`, { auth: `Bearer ${users.carol}` });
    expect(other.status).toBe(404);
    await act('alice', live.callId, 'end', {});
  });

  it('busy: a busy decline ends the call busy; with rejectWhenBusy a call to a talking user never rings', async () => {
    const first = await place('carol', ['bob']);
    const declined = await act('bob', first.callId, 'decline', { deviceId: 'pixel', reason: 'busy' });
    expect(declined.body).toMatchObject({ state: 'busy', endReason: 'busy', callees: { bob: 'busy' } });

    await put(`/v1/apps/${app.key}/settings`, { rejectWhenBusy: true });
    const talking = await place('alice', ['bob']);
    await act('bob', talking.callId, 'answer', { deviceId: 'pixel' });
    const refused = await place('carol', ['bob']);
    expect(refused).toMatchObject({ state: 'busy', callees: { bob: 'busy' }, deliveries: [] });
    // The caller itself is busy too while its call goes on; a user in no call still rings.
    const toAlice = await place('carol', ['alice', 'bob']);
    expect(toAlice.callees).toEqual({ alice: 'busy', bob: 'busy' });
    await sleep(300);
    expect(onPixel(refused.callId)).toEqual([]);
    await act('alice', talking.callId, 'end', {});
    const after = await place('carol', ['bob']);
    expect(after.state).toBe('ringing');
    await act('carol', after.callId, 'cancel', {});
  });

  it('the caller hears every change of its call over the active connection', async () => {
    const alicePhone = await connectDevice(gw.url, users.alice!, 'alice-phone');
    try {
      const c = await place('alice', ['bob']);
      await alicePhone.next((f) => f.type === 'call.state' && f.callId === c.callId && f.state === 'ringing');
      await act('bob', c.callId, 'answer', { deviceId: 'huawei' });
      const answered = await alicePhone.next(
        (f) => f.type === 'call.state' && f.callId === c.callId && f.state === 'answered',
      );
      expect(answered).toMatchObject({
        callees: { bob: 'answered' },
        answeredBy: { userId: 'bob', deviceId: 'huawei' },
      });
      await act('alice', c.callId, 'end', {});
      await alicePhone.next((f) => f.type === 'call.state' && f.callId === c.callId && f.state === 'ended');
    } finally {
      alicePhone.ws.close();
    }
  });

  it('a device that connects after a call ended gets its cancel (an iPhone rung by VoIP hears no cancel push)', async () => {
    const c = await place('alice', ['bob']);
    await act('alice', c.callId, 'cancel', {});
    const iphone = await connectDevice(gw.url, bob(), 'iphone');
    try {
      const frame = await iphone.next((f) => f.type === 'call.cancel' && f.callId === c.callId);
      expect(frame.reason).toBe('caller_cancelled');
      // A connected callee gets the missed notice of a later call over its socket.
      const next = await place('alice', ['bob'], { ringTimeoutSeconds: 1 });
      await iphone.next((f) => f.type === 'call.missed' && f.callId === next.callId, 8000);
    } finally {
      iphone.ws.close();
    }
  });
});
