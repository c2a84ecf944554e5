import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Call, CallPushClient } from '@callpush/client';
import type { Emulators, RecordedMessage } from '@callpush/emulators';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_FILE } from '../../src/edges/sandbox/index.js';
import { bandyerSignature, isKaleyraPushNotificationPayload } from '../../src/integrations/kaleyra/index.js';
import { basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { unwrapV1 } from '../support/recorded.js';
import { postgresAvailable } from '../support/services.js';
import { connectDevice } from '../support/socket.js';
import { sleep, until } from '../support/wait.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];

type Provider = 'fcm' | 'hms' | 'apns' | 'webpush';
interface SandboxDevice {
  deviceId: string;
  provider: Provider;
  kind: string;
  token: string;
}

const KALEYRA_SECRET = 'sandbox-kaleyra-secret-0123456789';
/** The regular APNs token the test gives the sandbox iPhone next to its PushKit one. */
const IPHONE_ALERT_TOKEN = 'a1e7'.repeat(16);

// biome-ignore lint/suspicious/noExplicitAny: recorded provider bodies, asserted field by field
type Json = Record<string, any>;

/** The v1 message of a recorded push, or nothing for a push of another format (a Kaleyra chat push). */
function v1(m: RecordedMessage): Json {
  try {
    return unwrapV1(m) ?? {};
  } catch {
    return {};
  }
}

/**
 * The "Done when" of the call after the ring, in the sandbox as `npm start` makes it: bob's four emulated
 * devices, his iPhone given its regular APNs token next to the PushKit one, and the sandbox's own emulators.
 */
describe.each(engines)('the call after the ring in the sandbox on %s', (engine) => {
  let gw: TestGateway;
  let emu: Emulators;
  let auth: string;
  let devices: Record<string, SandboxDevice>;
  const tokens: Record<string, string> = {};
  const call = (method: string, p: string, opts?: CallOptions) => request(gw.url, method, p, opts);
  const asUser = (userId: string) => `Bearer ${tokens[userId]}`;

  /** The v1 messages of one call that the emulator of one of bob's devices received (by one token). */
  const on = (provider: Provider, token: string, callId: string) =>
    emu[provider].messages
      .list({ token })
      .map((m) => ({ m, body: v1(m) }))
      .filter((x) => x.body.callId === callId);
  const onDevice = (deviceId: string, callId: string) => {
    const d = devices[deviceId]!;
    return on(d.provider, d.token, callId);
  };
  const onIphoneVoip = (callId: string) => onDevice('iphone', callId);
  const onIphoneAlert = (callId: string) => on('apns', IPHONE_ALERT_TOKEN, callId);

  async function place(body: Record<string, unknown>): Promise<Json> {
    const r = await call('POST', '/v1/calls', { auth, body: { from: 'alice', to: ['bob'], ...body } });
    expect(r.status, r.text).toBe(201);
    return r.body;
  }
  const act = (userId: string, callId: string, action: string, body: Record<string, unknown> = {}) =>
    call('POST', `/v1/calls/${callId}/${action}`, { auth: asUser(userId), body });

  beforeAll(async () => {
    gw = await startTestGateway(engine, { CALLPUSH_SANDBOX: 'true' });
    emu = gw.emulators!;
    auth = basic(gw.sandbox!.appKey, gw.sandbox!.appSecret);
    // What a user reads to find bob's devices in the emulators.
    const info = JSON.parse(readFileSync(path.join(gw.config.dataDir, SANDBOX_FILE), 'utf8'));
    devices = Object.fromEntries(
      (info.user.devices as SandboxDevice[]).map((d) => [d.deviceId, d] as [string, SandboxDevice]),
    );
    expect(Object.keys(devices).sort()).toEqual(['browser', 'huawei', 'iphone', 'pixel']);
    for (const u of ['alice', 'bob', 'carol']) {
      tokens[u] = (await call('POST', `/v1/users/${u}/access-tokens`, { auth })).body.accessToken;
    }
    // Bob's iPhone gets its regular APNs token next to the PushKit one the sandbox registered.
    const iphone = await call('PUT', '/v1/me/devices/iphone', {
      auth: asUser('bob'),
      body: {
        registrations: [
          { provider: 'apns', token: devices.iphone!.token, kind: 'voip' },
          { provider: 'apns', token: IPHONE_ALERT_TOKEN, kind: 'alert' },
        ],
      },
    });
    expect(iphone.status, iphone.text).toBe(200);
    expect(iphone.body.registrations.map((r: { kind: string }) => r.kind)).toEqual(['voip', 'alert']);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });
  beforeEach(async () => {
    const r = await call('PUT', `/v1/apps/${gw.sandbox!.appKey}/settings`, { auth, body: { rejectWhenBusy: false } });
    expect(r.status, r.text).toBe(200);
  });

  it('answered on the Pixel: the iPhone gets an alert cancel on its APNs token and no VoIP cancel', async () => {
    const c = await place({ displayName: 'Alice' });
    await until('the rings', () => onDevice('pixel', c.callId).length === 1 && onIphoneVoip(c.callId).length === 1);
    expect(onIphoneVoip(c.callId)[0]!.m.headers['apns-push-type']).toBe('voip');
    expect((await act('bob', c.callId, 'answer', { deviceId: 'pixel' })).status).toBe(200);

    const cancel = await until('the alert cancel', () => onIphoneAlert(c.callId)[0]);
    expect(cancel.body).toMatchObject({ type: 'call.cancel', reason: 'answered_elsewhere' });
    expect(cancel.m.headers).toMatchObject({ 'apns-push-type': 'alert', 'apns-collapse-id': c.callId });
    // The alert shows the caller and why the ring stopped, in the built-in language of a device without one.
    expect((cancel.m.payload as Json).aps.alert).toEqual({ title: 'Alice', body: 'Answered on another device' });
    await until('the other cancels', () =>
      ['huawei', 'browser'].every((d) => onDevice(d, c.callId).some((x) => x.body.type === 'call.cancel')),
    );
    await sleep(200);
    expect(onIphoneVoip(c.callId).map((x) => x.body.type)).toEqual(['call.ring']);
    expect(onIphoneAlert(c.callId).map((x) => x.body.type)).toEqual(['call.cancel']);
    expect(onDevice('pixel', c.callId).map((x) => x.body.type)).toEqual(['call.ring']);
    expect((await act('alice', c.callId, 'end')).status).toBe(200);
  });

  it('a call that times out sends call.missed to each of bob’s devices, the iPhone by its alert token', async () => {
    const c = await place({ ringTimeoutSeconds: 1 });
    const missedOn = (list: Array<{ body: Json }>) => list.find((x) => x.body.type === 'call.missed');
    await until(
      'a missed notice on every device',
      () =>
        ['pixel', 'huawei', 'browser'].every((d) => missedOn(onDevice(d, c.callId))) &&
        missedOn(onIphoneAlert(c.callId)),
      8000,
    );
    for (const d of ['pixel', 'huawei', 'browser']) {
      expect(missedOn(onDevice(d, c.callId))!.body, d).toMatchObject({ reason: 'timeout', from: 'alice', to: 'bob' });
    }
    expect(missedOn(onIphoneAlert(c.callId))!.body.reason).toBe('timeout');
    expect(onIphoneVoip(c.callId).map((x) => x.body.type)).toEqual(['call.ring']);
    const final = (await call('GET', `/v1/calls/${c.callId}`, { auth })).body;
    expect(final.state).toBe('timed_out');
  });

  it('a ring relayed after the call ended yields cancelled, by the status in the receipt’s answer', async () => {
    const c = await place({});
    const ring = await until('the Pixel ring', () => onDevice('pixel', c.callId)[0]);
    expect((await act('alice', c.callId, 'cancel')).status).toBe(200);

    // Bob's Pixel wakes from the push it got, with the client library, and relays it.
    const client = new CallPushClient({ deviceId: 'pixel' });
    await client.connect({ baseUrl: gw.url, userId: 'bob', accessTokenProvider: async () => tokens.bob! });
    try {
      const rung: Call[] = [];
      client.on('incomingCall', (incoming) => rung.push(incoming));
      const result = client.relayPushPayload((ring.m.payload as { data: Record<string, string> }).data);
      expect(result.isCall).toBe(true);
      const [incoming] = rung;
      expect(incoming?.callId).toBe(c.callId);
      const reason = await new Promise((resolve) => incoming!.on('cancelled', resolve));
      expect(reason).toBe('caller_cancelled');
      expect(incoming!.state).toBe('cancelled');
    } finally {
      client.disconnect();
    }
  });

  it('with rejectWhenBusy a call to bob while he talks never rings, ends busy, and its caller hears so', async () => {
    const settings = await call('PUT', `/v1/apps/${gw.sandbox!.appKey}/settings`, {
      auth,
      body: { rejectWhenBusy: true },
    });
    expect(settings.body.rejectWhenBusy).toBe(true);
    const talking = await place({});
    const hostile = await act('bob', talking.callId, 'decline', { deviceId: 'pixel', reason: 'on holiday' });
    expect([hostile.status, hostile.body.error?.field], hostile.text).toEqual([400, 'reason']);
    expect((await act('bob', talking.callId, 'answer', { deviceId: 'pixel' })).status).toBe(200);

    const carolPhone = await connectDevice(gw.url, tokens.carol!, 'carol-phone');
    try {
      const r = await call('POST', '/v1/calls', { auth: asUser('carol'), body: { to: ['bob'] } });
      expect(r.status, r.text).toBe(201);
      expect(r.body).toMatchObject({ state: 'busy', callees: { bob: 'busy' }, deliveries: [] });
      const frame = await carolPhone.next((f) => f.type === 'call.state' && f.callId === r.body.callId);
      expect(frame).toMatchObject({ state: 'busy', endReason: 'busy', callees: { bob: 'busy' } });
      const shown = (await call('GET', `/v1/calls/${r.body.callId}`, { auth })).body;
      expect(shown).toMatchObject({ state: 'busy', endReason: 'busy' });
      // Time for a push, had one gone out.
      await sleep(300);
      for (const d of Object.keys(devices)) expect(onDevice(d, r.body.callId), d).toEqual([]);
      expect(onIphoneAlert(r.body.callId)).toEqual([]);
    } finally {
      carolPhone.ws.close();
      await act('alice', talking.callId, 'end');
    }
  });

  it('a Kaleyra on_message_sent reaches the participants’ FCM and HMS phones, recognised as Kaleyra’s', async () => {
    const configured = await call('PUT', `/v1/apps/${gw.sandbox!.appKey}/webhooks/kaleyra`, {
      auth,
      body: { secret: KALEYRA_SECRET, scheme: 'bandyer', payloadFormat: 'kaleyra' },
    });
    expect(configured.status, configured.text).toBeLessThan(300);
    const messageId = `msg_${Date.now().toString(36)}`;
    const raw = JSON.stringify({
      event: 'on_message_sent',
      data: { channel_id: 'ch_sandbox', message_id: messageId, sender: 'alice', participants: ['alice', 'bob'] },
    });
    const t = Math.floor(Date.now() / 1000);
    const r = await call('POST', `/v1/webhooks/kaleyra/${gw.sandbox!.appKey}`, {
      raw,
      headers: { 'bandyer-signature': `t=${t},v0=${bandyerSignature(KALEYRA_SECRET, t, Buffer.from(raw))}` },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ event: 'on_message_sent', action: 'notified' });

    const chatTo = (deviceId: 'pixel' | 'huawei') => {
      const d = devices[deviceId]!;
      return emu[d.provider].messages
        .list({ token: d.token })
        .filter((m) => JSON.stringify(m.payload).includes(messageId));
    };
    const fcm = await until('the chat push on the Pixel', () => chatTo('pixel')[0]);
    const hms = await until('the chat push on the Huawei', () => chatTo('huawei')[0]);
    const fcmData = (fcm.payload as { data: Record<string, string> }).data;
    expect(fcmData).toEqual({ event: 'on_message_sent', message: raw });
    expect(isKaleyraPushNotificationPayload(JSON.stringify(fcmData))).toBe(true);
    expect(isKaleyraPushNotificationPayload((hms.payload as { data: string }).data)).toBe(true);
    // Not a ring.
    expect((fcm.payload as Json).android.priority).toBe('NORMAL');
    expect((hms.payload as Json).android.urgency).toBe('NORMAL');
  });
});
