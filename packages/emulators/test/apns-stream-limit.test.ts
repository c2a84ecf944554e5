import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApnsEmulator, startApnsEmulator } from '../src/apns/index.js';
import { providerToken, RawApnsConnection } from './apns-client.js';
import {
  ERROR,
  FRAME,
  FrameConnection,
  isServerSettings,
  MAX_CONCURRENT_STREAMS,
  setting,
} from './support/h2-frames.js';

/**
 * APNs's stream limit per connection (docs/emulators.md#apns-stream-limit): many streams at first, one
 * after a rejected notification, many again after the next accepted one, and a stream opened past the
 * lowered limit refused unprocessed.
 */
let emulator: ApnsEmulator;
let jwt: string;
const connections: RawApnsConnection[] = [];

beforeAll(async () => {
  emulator = await startApnsEmulator();
  jwt = await providerToken(emulator);
});
afterEach(async () => {
  emulator.behaviours.clear();
  await Promise.all(connections.splice(0).map((c) => c.close()));
});
afterAll(() => emulator.close());

const deviceToken = (): string => randomBytes(32).toString('hex');
const BODY = JSON.stringify({ aps: { alert: 'hi' } });

/** A node:http2 connection and every SETTINGS_MAX_CONCURRENT_STREAMS the emulator gave it, in order. */
function connection(): { apns: RawApnsConnection; limits: Array<number | undefined> } {
  const apns = new RawApnsConnection(emulator);
  connections.push(apns);
  const limits: Array<number | undefined> = [];
  apns.session.on('remoteSettings', (settings) => limits.push(settings.maxConcurrentStreams));
  return { apns, limits };
}

/** A push request's fields for the frame-level client. */
function pushFields(token: string): Array<[string, string]> {
  return [
    [':method', 'POST'],
    [':scheme', 'https'],
    [':authority', `127.0.0.1:${emulator.port}`],
    [':path', `/3/device/${token}`],
    ['authorization', `bearer ${jwt}`],
    ['apns-topic', 'com.example.phone'],
  ];
}

describe('APNs emulator: stream limit', () => {
  it('allows 1000 streams, drops to 1 when a notification is rejected and restores after an accepted one', async () => {
    const { apns, limits } = connection();
    expect((await apns.push(deviceToken(), jwt)).status).toBe(200);
    expect(limits).toEqual([1000]);

    // A 5xx is APNs's failure, not a rejection of the notification.
    const down = deviceToken();
    emulator.behaviours.set(down, { kind: 'unavailable' });
    expect((await apns.push(down, jwt)).status).toBe(503);
    expect(limits).toEqual([1000]);

    // The lowered limit is sent before the answer, so it is known when the answer is.
    const [dead, gone] = [deviceToken(), deviceToken()];
    emulator.behaviours.set(dead, { kind: 'invalid' });
    emulator.behaviours.set(gone, { kind: 'unregistered' });
    expect((await apns.push(dead, jwt)).status).toBe(400);
    expect(limits).toEqual([1000, 1]);
    expect((await apns.push(gone, jwt)).status).toBe(410);
    expect(limits).toEqual([1000, 1]);

    // Per connection: another one keeps its limit.
    const other = connection();
    expect((await other.apns.push(deviceToken(), jwt)).status).toBe(200);
    expect(other.limits).toEqual([1000]);

    expect((await apns.push(deviceToken(), jwt)).status).toBe(200);
    await vi.waitFor(() => expect(limits).toEqual([1000, 1, 1000]));
  });

  it('refuses a stream opened past the lowered limit with REFUSED_STREAM, without processing it', async () => {
    const raw = await FrameConnection.open(emulator.port, emulator.tls.ca);
    try {
      const [initial] = await raw.waitFor(1, isServerSettings);
      expect(setting(initial!, MAX_CONCURRENT_STREAMS)).toBe(1000);
      raw.ackSettings();

      // Stream 1 stays open (its body is still to come) while stream 3 is rejected.
      const [held, dead, beyond] = [deviceToken(), deviceToken(), deviceToken()];
      emulator.behaviours.set(dead, { kind: 'invalid' });
      raw.request(1, pushFields(held));
      raw.request(3, pushFields(dead), BODY);
      const [, lowered] = await raw.waitFor(2, isServerSettings);
      expect(setting(lowered!, MAX_CONCURRENT_STREAMS)).toBe(1);

      // Not acknowledged: to the server this stream crossed the new SETTINGS on the wire.
      raw.request(5, pushFields(beyond), BODY);
      const [reset] = await raw.waitFor(1, (f) => f.type === FRAME.RST_STREAM && f.streamId === 5);
      expect(reset!.payload.readUInt32BE(0)).toBe(ERROR.REFUSED_STREAM);

      // The connection lives on: the held notification is accepted, and the limit comes back.
      raw.ackSettings();
      raw.end(1, BODY);
      const [, , restored] = await raw.waitFor(3, isServerSettings);
      expect(setting(restored!, MAX_CONCURRENT_STREAMS)).toBe(1000);
      expect(emulator.messages.list({ token: held })).toHaveLength(1);
      expect(emulator.messages.list({ token: beyond })).toEqual([]);
    } finally {
      raw.close();
    }
  });

  it('closes the connection (GOAWAY PROTOCOL_ERROR) on a stream past a limit the client acknowledged', async () => {
    const raw = await FrameConnection.open(emulator.port, emulator.tls.ca);
    try {
      await raw.waitFor(1, isServerSettings);
      raw.ackSettings();
      const [held, dead] = [deviceToken(), deviceToken()];
      emulator.behaviours.set(dead, { kind: 'invalid' });
      raw.request(1, pushFields(held));
      raw.request(3, pushFields(dead), BODY);
      await raw.waitFor(2, isServerSettings);
      raw.ackSettings();

      raw.request(5, pushFields(deviceToken()), BODY);
      const [goaway] = await raw.waitFor(1, (f) => f.type === FRAME.GOAWAY);
      expect(goaway!.payload.readUInt32BE(4)).toBe(ERROR.PROTOCOL_ERROR);
      await raw.closed();
      expect(emulator.messages.list({ token: held })).toEqual([]);
    } finally {
      raw.close();
    }
  });
});
