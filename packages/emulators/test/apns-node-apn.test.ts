import apn from '@parse/node-apn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApnsEmulator, startApnsEmulator } from '../src/apns/index.js';
import type { Behaviour } from '../src/core/index.js';

/**
 * Conformance: @parse/node-apn 8, pointed at the emulator the way docs/emulators.md says (address
 * `localhost`, explicit port, the emulator's CA), must see each scripted reason as it would see Apple's.
 */

const VOIP_TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const APP_TOKEN = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';

let emulator: ApnsEmulator;
let provider: apn.Provider;

function newProvider(key: { teamId: string; keyId: string; privateKey: string } = emulator): apn.Provider {
  return new apn.Provider({
    token: { key: key.privateKey, keyId: key.keyId, teamId: key.teamId },
    address: 'localhost',
    port: emulator.port,
    ca: [emulator.tls.ca],
  });
}

function voip(payload: Record<string, unknown> = { call_id: 'c-1', caller: 'alice' }): apn.Notification {
  const note = new apn.Notification();
  note.pushType = 'voip';
  note.topic = 'com.example.phone.voip';
  note.priority = 10;
  note.expiry = 0;
  note.payload = payload;
  return note;
}

function alert(text: string): apn.Notification {
  const note = new apn.Notification();
  note.pushType = 'alert';
  note.topic = 'com.example.phone';
  note.alert = text;
  return note;
}

beforeAll(async () => {
  emulator = await startApnsEmulator();
  provider = newProvider();
});

afterEach(() => {
  emulator.behaviours.clear();
  emulator.messages.clear();
});

afterAll(async () => {
  await provider.shutdown();
  await emulator.close();
});

describe('@parse/node-apn against the APNs emulator', () => {
  it('delivers a VoIP push and an alert push', async () => {
    const call = await provider.send(voip({ call_id: 'c-123', caller: '+15550100' }), VOIP_TOKEN);
    expect(call.failed).toEqual([]);
    expect(call.sent).toEqual([expect.objectContaining({ device: VOIP_TOKEN, 'apns-id': expect.any(String) })]);

    const missed = await provider.send(alert('Missed call from Alice'), APP_TOKEN);
    expect(missed.failed).toEqual([]);

    expect(emulator.messages.list({ token: VOIP_TOKEN })).toEqual([
      expect.objectContaining({
        payload: { call_id: 'c-123', caller: '+15550100' },
        headers: expect.objectContaining({
          'apns-push-type': 'voip',
          'apns-topic': 'com.example.phone.voip',
          'apns-priority': '10',
          'apns-expiration': '0',
        }),
      }),
    ]);
    expect(emulator.messages.list({ token: APP_TOKEN })[0]?.payload).toEqual({
      aps: { alert: 'Missed call from Alice' },
    });
  });

  it.each<[Behaviour['kind'], number, string]>([
    ['invalid', 400, 'BadDeviceToken'],
    ['rate_limited', 429, 'TooManyRequests'],
    ['unavailable', 503, 'ServiceUnavailable'],
  ])('reports scripted %s as %i %s', async (kind, status, reason) => {
    // node-apn retries 429 and 5xx up to three times: script more failures than that.
    emulator.behaviours.set(VOIP_TOKEN, { kind, count: 10 });
    const { sent, failed } = await provider.send(voip(), VOIP_TOKEN);
    expect(sent).toEqual([]);
    expect(failed).toEqual([expect.objectContaining({ device: VOIP_TOKEN, status, response: { reason } })]);
  });

  it('reports scripted unregistered as 410 Unregistered with the timestamp', async () => {
    emulator.behaviours.set(VOIP_TOKEN, { kind: 'unregistered' });
    const { failed } = await provider.send(voip(), VOIP_TOKEN);
    expect(failed).toEqual([
      expect.objectContaining({ status: 410, response: { reason: 'Unregistered', timestamp: expect.any(Number) } }),
    ]);
  });

  it('retries a single 503 itself and delivers', async () => {
    emulator.behaviours.set(VOIP_TOKEN, { kind: 'unavailable', count: 1 });
    const { sent, failed } = await provider.send(voip(), VOIP_TOKEN);
    expect(failed).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(emulator.messages.list({ token: VOIP_TOKEN })).toHaveLength(1);
  });

  it('reports a lasting auth_expired as 403 ExpiredProviderToken', async () => {
    emulator.behaviours.set(VOIP_TOKEN, { kind: 'auth_expired' });
    const { failed } = await provider.send(voip(), VOIP_TOKEN);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.status).toBe(403);
    expect(failed[0]?.error?.message).toBe('ExpiredProviderToken');
  });

  it('regenerates its JWT after one ExpiredProviderToken and delivers on the same connection', async () => {
    emulator.behaviours.set(VOIP_TOKEN, { kind: 'auth_expired', count: 1 });
    const { sent, failed } = await provider.send(voip(), VOIP_TOKEN);
    expect(failed).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  it('reports a reset stream as a write failure without a status', async () => {
    emulator.behaviours.set(VOIP_TOKEN, { kind: 'reset', count: 1 });
    const { failed } = await provider.send(voip(), VOIP_TOKEN);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.status).toBeUndefined();
    expect(failed[0]?.error?.message).toMatch(/NGHTTP2_INTERNAL_ERROR/);
    expect(emulator.messages.list()).toEqual([]);
  });

  it('fails the push answered 503 Shutdown + GOAWAY, then reconnects for the next push', async () => {
    emulator.behaviours.set(VOIP_TOKEN, { kind: 'goaway', count: 1 });
    const first = await provider.send(voip(), VOIP_TOKEN);
    expect(first.sent).toEqual([]);
    // node-apn wants to retry the 503 but its session is gone by then, so it reports its own error.
    expect(first.failed).toEqual([
      expect.objectContaining({
        error: expect.objectContaining({ message: 'client session is either closed or destroyed' }),
      }),
    ]);
    const second = await provider.send(voip(), VOIP_TOKEN);
    expect(second.failed).toEqual([]);
    expect(second.sent).toHaveLength(1);
  });

  it.each<[string, number, string, () => apn.Notification]>([
    [
      'a VoIP push to the app topic',
      400,
      'DeviceTokenNotForTopic',
      () => Object.assign(voip(), { topic: 'com.example.phone' }),
    ],
    ['a 5121-byte VoIP payload', 413, 'PayloadTooLarge', () => voip({ pad: 'x'.repeat(5111) })],
    ['a 4097-byte alert', 413, 'PayloadTooLarge', () => alert('x'.repeat(4097 - 20))],
  ])('reports %s as %i %s', async (_name, status, reason, note) => {
    const { failed } = await provider.send(note(), VOIP_TOKEN);
    expect(failed).toEqual([expect.objectContaining({ status, response: { reason } })]);
  });

  it('reports a token signed with a key APNs does not know as 403 InvalidProviderToken', async () => {
    const stranger = newProvider({ ...emulator.addKey(), keyId: 'UNKNOWN123' });
    const { failed } = await stranger.send(voip(), VOIP_TOKEN);
    await stranger.shutdown();
    expect(failed).toEqual([expect.objectContaining({ status: 403, response: { reason: 'InvalidProviderToken' } })]);
  });
});
