import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Emulators, type KaleyraEmulator, type RecordedMessage, startKaleyraEmulator } from '@callpush/emulators';
import { type Gateway, resolveConfig, startGateway } from '@callpush/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLOCK_SKEW_MS, isCallPushPayload, queryPushPayload } from '../src/payload/index.js';

/**
 * What the gateway really sends: a sandbox gateway (SQLite in a temp folder, its own provider emulators on
 * loopback, the app and bob's four devices) places calls, and each message the emulators recorded is fed to
 * queryPushPayload as the device would be handed it.
 */

const KALEYRA_SECRET = 'kaleyra-webhook-secret-0123456789';
const APNS_ALERT_TOKEN = 'a1e7'.repeat(16);
const CALLEE = { fcm: 'usr999-fcm-token', hms: 'usr999-hms-token' };

let dataDir: string;
let gw: Gateway;
let emu: Emulators;
let kaleyra: KaleyraEmulator;
let basic: string;

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of many shapes, asserted field by field
  body: any;
}

async function call(method: string, url: string, auth: string, body?: unknown, raw?: string): Promise<Reply> {
  const headers: Record<string, string> = { authorization: auth };
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${gw.url}${url}`, { method, headers, body: raw ?? JSON.stringify(body) });
  const text = await res.text();
  const reply = { status: res.status, body: text ? JSON.parse(text) : undefined };
  expect(reply.status, text).toBeLessThan(300);
  return reply;
}

async function userToken(userId: string): Promise<string> {
  const r = await call('POST', `/v1/users/${userId}/access-tokens`, basic);
  return `Bearer ${r.body.accessToken}`;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + 5000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Only devices a ring reached get its cancel: waits until the gateway has recorded every ring as sent. */
const ringsSent = (callId: string) =>
  until('every ring recorded as sent', async () => {
    const { deliveries } = (await call('GET', `/v1/calls/${callId}`, basic)).body;
    return deliveries.every((d: { state: string }) => d.state === 'sent') || undefined;
  });

/** The recorded messages of a device once there are `count` of them. */
const messages = (list: () => RecordedMessage[], count: number, what: string) =>
  until(what, () => {
    const found = list();
    return found.length >= count ? found : undefined;
  });

// biome-ignore lint/suspicious/noExplicitAny: recorded provider bodies
const body = (m: RecordedMessage | undefined) => m!.payload as any;

/** The v1 message inside a recorded push, unwrapped by hand as each transport wraps it (docs/providers.md). */
const WIRE = {
  fcm: (m: RecordedMessage) => JSON.parse(body(m).data.callpush),
  hms: (m: RecordedMessage) => JSON.parse(JSON.parse(body(m).data).callpush),
  apns: (m: RecordedMessage) => body(m).callpush,
  web: (m: RecordedMessage) => body(m),
};

/** The first recorded push of a device whose v1 message is of `type` (a Kaleyra-format push is none). */
const ofType = (list: () => RecordedMessage[], wire: (m: RecordedMessage) => unknown, type: string) =>
  until(`a ${type} push`, () =>
    list().find((m) => {
      try {
        return (wire(m) as { type?: unknown }).type === type;
      } catch {
        return false;
      }
    }),
  );

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-client-'));
  const config = resolveConfig({
    env: { HOST: '127.0.0.1', PORT: '0', CALLPUSH_DATA_DIR: dataDir, CALLPUSH_SANDBOX: 'true', LOG_LEVEL: 'silent' },
  });
  gw = await startGateway(config);
  emu = gw.emulators!;
  kaleyra = await startKaleyraEmulator({ host: '127.0.0.1' });
  basic = `Basic ${btoa(`${gw.sandbox!.appKey}:${gw.sandbox!.appSecret}`)}`;
  const bob = await userToken('bob');
  await call('PUT', '/v1/me/devices/ipad', bob, { provider: 'apns', token: APNS_ALERT_TOKEN, kind: 'alert' });
  const callee = await userToken('usr_999');
  for (const provider of ['fcm', 'hms'] as const) {
    await call('PUT', `/v1/me/devices/${provider}-phone`, callee, { provider, token: CALLEE[provider], kind: 'alert' });
  }
});

afterAll(async () => {
  await gw?.close();
  await kaleyra?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('queryPushPayload on what the gateway sent, through the emulators', () => {
  it('reads the ring, the cancel and the missed notice on every one of bob’s devices', async () => {
    const headers = { room: 'r-42', 'x-émoji': '📞' };
    const placedAt = Date.now();
    const placed = await call('POST', '/v1/calls', basic, {
      from: 'alice',
      to: ['bob'],
      video: true,
      displayName: 'Alice',
      headers,
    });
    const { callId, expiresAt } = placed.body;
    const fcm = () => emu.fcm.messages.list({ token: 'sandbox-fcm-token-bob' });
    const hms = () => emu.hms.messages.list({ token: 'sandbox-hms-token-bob' });
    const voip = () => emu.apns.messages.list({ token: 'b0b0'.repeat(16) });
    const alert = () => emu.apns.messages.list({ token: APNS_ALERT_TOKEN });
    const web = () => emu.webpush.messages.list();

    // As each platform hands the push to the app.
    const rings = {
      'FCM RemoteMessage.getData()': body((await messages(fcm, 1, 'FCM ring'))[0]).data,
      'HMS RemoteMessage.getData()': body((await messages(hms, 1, 'HMS ring'))[0]).data,
      'HMS RemoteMessage.getDataOfMap()': JSON.parse(body(hms()[0]).data),
      'APNs VoIP PKPushPayload.dictionaryPayload': body((await messages(voip, 1, 'APNs VoIP ring'))[0]),
      'APNs alert userInfo': body((await messages(alert, 1, 'APNs alert ring'))[0]),
      'Web Push event.data.json()': body((await messages(web, 1, 'Web Push ring'))[0]),
      'Web Push event.data.text()': JSON.stringify(body(web()[0])),
    };
    expect(typeof rings['FCM RemoteMessage.getData()'].callpush).toBe('string');
    expect(typeof rings['HMS RemoteMessage.getData()']).toBe('string');
    for (const [device, data] of Object.entries(rings)) {
      expect(isCallPushPayload(data), device).toBe(true);
      const r = queryPushPayload(data);
      expect(r, device).toEqual({
        isValid: true,
        isCall: true,
        isCancel: false,
        isMissed: false,
        callResult: {
          callId,
          remoteUserId: 'alice',
          displayName: 'Alice',
          videoOffered: true,
          headers,
          timedOut: false,
          cancelled: false,
          expiresAt,
          sentAt: expect.any(Number),
          app: gw.sandbox!.appKey,
          to: 'bob',
          format: 'callpush',
        },
      });
      expect(r.callResult!.sentAt).toBeGreaterThanOrEqual(placedAt);
      expect(r.callResult!.sentAt).toBeLessThanOrEqual(Date.now());
    }

    const fcmRing = rings['FCM RemoteMessage.getData()'];
    const at = (now: number) => queryPushPayload(fcmRing, { now }).callResult!.timedOut;
    expect(at(expiresAt + DEFAULT_CLOCK_SKEW_MS)).toBe(false);
    expect(at(expiresAt + DEFAULT_CLOCK_SKEW_MS + 1)).toBe(true);

    await ringsSent(callId);
    await call('POST', `/v1/calls/${callId}/cancel`, basic);
    /** As each device is handed its push of `type`; the Web Push body is the v1 message itself. */
    const stops = async (type: string) => {
      const web1 = await ofType(web, WIRE.web, type);
      return {
        wire: WIRE.web(web1),
        handed: {
          'FCM RemoteMessage.getData()': body(await ofType(fcm, WIRE.fcm, type)).data,
          'HMS RemoteMessage.getData()': body(await ofType(hms, WIRE.hms, type)).data,
          'APNs alert userInfo': body(await ofType(alert, WIRE.apns, type)),
          'Web Push event.data.json()': body(web1),
        },
      };
    };
    const common = { callId, remoteUserId: 'alice', sentAt: expect.any(Number), app: gw.sandbox!.appKey, to: 'bob' };
    const cancels = await stops('call.cancel');
    // The text the gateway rendered, when it renders one, is the same on every transport.
    const cancelText = cancels.wire.text === undefined ? {} : { text: cancels.wire.text };
    for (const [device, data] of Object.entries(cancels.handed)) {
      expect(queryPushPayload(data), device).toEqual({
        isValid: true,
        isCall: false,
        isCancel: true,
        isMissed: false,
        callResult: {
          ...common,
          videoOffered: false,
          headers: {},
          timedOut: false,
          cancelled: true,
          reason: 'caller_cancelled',
          ...cancelText,
          expiresAt,
          format: 'callpush',
        },
      });
    }

    // Nobody answered before the caller hung up: bob missed the call, on every device that can show it.
    const notices = await stops('call.missed');
    const hmsNotice = notices.handed['HMS RemoteMessage.getData()'];
    const missed = {
      ...notices.handed,
      'HMS RemoteMessage.getDataOfMap()': JSON.parse(hmsNotice),
      'Web Push event.data.text()': JSON.stringify(notices.wire),
    };
    const missedText = notices.wire.text === undefined ? {} : { text: notices.wire.text };
    expect(notices.wire.expiresAt).toBeGreaterThan(expiresAt);
    for (const [device, data] of Object.entries(missed)) {
      expect(isCallPushPayload(data), device).toBe(true);
      expect(queryPushPayload(data), device).toEqual({
        isValid: true,
        isCall: false,
        isCancel: false,
        isMissed: true,
        callResult: {
          ...common,
          displayName: 'Alice',
          videoOffered: true,
          headers: {},
          timedOut: false,
          cancelled: false,
          missed: { reason: 'caller_cancelled', callStartedAt: placed.body.createdAt },
          ...missedText,
          expiresAt: notices.wire.expiresAt,
          format: 'callpush',
        },
      });
    }
    // iOS requires every VoIP push to report a call, so neither a cancel nor a notice goes to the VoIP token.
    expect(voip()).toHaveLength(1);
  });

  describe('Kaleyra webhook intake', () => {
    const fcm = () => emu.fcm.messages.list({ token: CALLEE.fcm });
    const hms = () => emu.hms.messages.list({ token: CALLEE.hms });
    let rooms = 0;

    /** Signs `raw` as Kaleyra does (bandyer-signature, t=<unix>,v0=hex HMAC-SHA256 of `<t>.<body>`) and posts it. */
    async function deliver(webhook: object): Promise<{ callId?: string }> {
      const raw = JSON.stringify(webhook);
      const t = Math.floor(Date.now() / 1000);
      const v0 = createHmac('sha256', KALEYRA_SECRET).update(`${t}.${raw}`).digest('hex');
      const res = await fetch(`${gw.url}/v1/webhooks/kaleyra/${gw.sandbox!.appKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'bandyer-signature': `t=${t},v0=${v0}` },
        body: raw,
      });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      return JSON.parse(text);
    }

    /** Rings usr_999 from usr_123 in a new room, in the given payload format; returns the room. */
    async function ring(payloadFormat: string, callType: string): Promise<{ room: string; callId: string }> {
      const credentials = { baseUrl: kaleyra.baseUrl, apiKey: kaleyra.apiKey };
      await call('PUT', `/v1/apps/${gw.sandbox!.appKey}/webhooks/kaleyra`, basic, {
        secret: KALEYRA_SECRET,
        scheme: 'bandyer',
        payloadFormat,
        ...(payloadFormat === 'kaleyra-hybrid' ? { credentials } : {}),
      });
      const room = `room_${Date.now().toString(36)}${++rooms}`;
      // Kaleyra lists the initiator among the invited users (docs/providers.md#kaleyra-webhooks).
      const users = ['usr_123', 'usr_999'].map((userAlias) => ({ user: { userAlias }, status: 'invited' }));
      const data = { initiator: 'usr_123', users, roomAlias: room, options: { callType, live: true } };
      const { callId } = await deliver({ event: 'on_call_incoming', room_id: room, data });
      return { room, callId: callId! };
    }

    /** Whether a data map (FCM's, or HMS's parsed) is the ring of the call in `room`, in whichever format it is. */
    const ringIn = (data: Record<string, string>, room: string): boolean => {
      if (data.callpush !== undefined) {
        const v1 = JSON.parse(data.callpush);
        return v1.type === 'call.ring' && v1.headers?.['kaleyra.roomId'] === room;
      }
      if (data.message === undefined) return false;
      const message = JSON.parse(data.message);
      return (message.kaleyra?.payload ?? message).room_id === room;
    };

    /**
     * The FCM data map and HMS data string of the ring in `room` to usr_999, once both arrived. Found by its room,
     * not as the last message: an earlier test's cancel or missed-call notice may arrive after it.
     */
    async function ringOf(room: string): Promise<Record<string, unknown>> {
      const f = await until('FCM ring', () => fcm().find((m) => ringIn(body(m).data, room)));
      const h = await until('HMS ring', () => hms().find((m) => ringIn(JSON.parse(body(m).data), room)));
      return { FCM: body(f).data, HMS: body(h).data };
    }

    const kaleyraRing = (room: string, videoOffered: boolean) => ({
      isValid: true,
      isCall: true,
      isCancel: false,
      isMissed: false,
      callResult: {
        callId: room,
        roomId: room,
        remoteUserId: 'usr_123',
        videoOffered,
        headers: {},
        timedOut: false,
        cancelled: false,
        format: 'kaleyra',
      },
    });

    it('reads the kaleyra format, and the callpush cancel of on_missed_call', async () => {
      const { room, callId } = await ring('kaleyra', 'audio_video');
      const data = await ringOf(room);
      expect(Object.keys(data.FCM as object).sort()).toEqual(['event', 'message']);
      for (const [device, d] of Object.entries(data)) {
        expect(isCallPushPayload(d), device).toBe(true);
        expect(queryPushPayload(d), device).toEqual(kaleyraRing(room, true));
      }

      await ringsSent(callId);
      await deliver({ event: 'on_missed_call', room_id: room });
      const ofCall = () =>
        fcm().filter((m) => {
          try {
            return WIRE.fcm(m).callId === callId;
          } catch {
            return false;
          }
        });
      const cancel = body(await ofType(ofCall, WIRE.fcm, 'call.cancel')).data;
      // The gateway sends every cancel as v1, under its own call id for the room, not the room id.
      expect(queryPushPayload(cancel)).toMatchObject({
        isValid: true,
        isCancel: true,
        callResult: { callId, remoteUserId: 'usr_123', reason: 'timeout', timedOut: true, format: 'callpush' },
      });
      expect(callId).not.toBe(room);
    });

    it('reads the kaleyra-hybrid format, which carries a Kaleyra user token', async () => {
      const { room } = await ring('kaleyra-hybrid', 'audio_upgradable');
      const data = await ringOf(room);
      expect(Object.keys(data.FCM as object)).toEqual(['message']);
      expect(data.FCM).toHaveProperty('message', expect.stringContaining(kaleyra.requests()[0]!.accessToken));
      for (const [device, d] of Object.entries(data)) {
        expect(isCallPushPayload(d), device).toBe(true);
        expect(queryPushPayload(d), device).toEqual(kaleyraRing(room, false));
      }
    });

    it('reads a callpush-format ring placed from a webhook, with its room', async () => {
      const { room } = await ring('callpush', 'audio_video');
      const data = await ringOf(room);
      for (const [device, d] of Object.entries(data)) {
        expect(queryPushPayload(d).callResult, device).toMatchObject({
          remoteUserId: 'usr_123',
          roomId: room,
          videoOffered: true,
          headers: { 'kaleyra.roomId': room, 'kaleyra.callType': 'audio_video' },
          format: 'callpush',
        });
      }
    });
  });
});
