import { request as httpsRequest } from 'node:https';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApnsEmulator, startApnsEmulator } from '../src/apns/index.js';
import { providerToken, RawApnsConnection } from './apns-client.js';

const TOKEN = '8f0c0b7f3a1e9d2c4b6a8f0c0b7f3a1e9d2c4b6a8f0c0b7f3a1e9d2c4b6a8f0c';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VOIP = { 'apns-push-type': 'voip', 'apns-topic': 'com.example.phone.voip', 'apns-priority': '10' };

let emulator: ApnsEmulator;
let connection: RawApnsConnection;
let jwt: string;

beforeAll(async () => {
  emulator = await startApnsEmulator();
  connection = new RawApnsConnection(emulator);
  jwt = await providerToken(emulator);
});

afterEach(() => {
  emulator.messages.clear();
  emulator.behaviours.clear();
});

afterAll(async () => {
  await connection.close();
  await emulator.close();
});

/** Sets a behaviour through the inspection API, over HTTP/2 like everything else on this host. */
async function script(behaviour: Record<string, unknown>): Promise<void> {
  const answer = await connection.request(
    { ':path': '/_emulator/behaviours', 'content-type': 'application/json' },
    { token: TOKEN, ...behaviour },
  );
  expect(answer.status).toBe(201);
}

describe('APNs emulator: accepted pushes', () => {
  it('answers 200 with the echoed apns-id and a sandbox apns-unique-id, and records the push', async () => {
    const apnsId = '123e4567-e89b-12d3-a456-426614174000';
    const payload = { call_id: 'c-123', caller: '+15550100', sent_at: 1700000000 };
    const answer = await connection.push(TOKEN, jwt, { ...VOIP, 'apns-expiration': '0', 'apns-id': apnsId }, payload);
    expect(answer.status).toBe(200);
    expect(answer.headers['apns-id']).toBe(apnsId);
    expect(answer.headers['apns-unique-id']).toMatch(UUID);
    expect(answer.body).toBeUndefined();

    const listed = await connection.request({ ':method': 'GET', ':path': `/_emulator/messages?token=${TOKEN}` });
    expect(listed.body).toMatchObject({
      messages: [
        {
          provider: 'apns',
          token: TOKEN,
          payload,
          headers: { 'apns-push-type': 'voip', 'apns-topic': 'com.example.phone.voip', 'apns-id': apnsId },
        },
      ],
    });
    const [recorded] = emulator.messages.list();
    expect(recorded?.headers.authorization).toBeUndefined();
  });

  it('generates an apns-id when the request has none and treats a missing apns-push-type as alert', async () => {
    const answer = await connection.push(TOKEN, jwt, { 'apns-push-type': null });
    expect(answer.status).toBe(200);
    expect(answer.headers['apns-id']).toMatch(UUID);
  });

  it('accepts 4096-byte alert and 5120-byte VoIP payloads', async () => {
    const sized = (bytes: number) => JSON.stringify({ aps: { badge: 1 }, pad: 'x'.repeat(bytes - 28) });
    expect(sized(4096)).toHaveLength(4096);
    expect((await connection.push(TOKEN, jwt, {}, sized(4096))).status).toBe(200);
    expect((await connection.push(TOKEN, jwt, VOIP, sized(5120))).status).toBe(200);
    expect((await connection.push(TOKEN, jwt, { 'apns-push-type': 'background', 'apns-priority': '5' })).status).toBe(
      200,
    );
  });

  it('omits apns-unique-id in production', async () => {
    const production = await startApnsEmulator({ environment: 'production', tls: emulator.tls });
    const client = new RawApnsConnection(production);
    const answer = await client.push(TOKEN, await providerToken(production));
    expect(answer.status).toBe(200);
    expect(answer.headers['apns-unique-id']).toBeUndefined();
    await client.close();
    await production.close();
  });
});

describe('APNs emulator: request rules', () => {
  it.each([
    ['a GET', { ':method': 'GET' }, 405, 'MethodNotAllowed'],
    ['a path outside /3/device/', { ':path': '/3/devices/abc' }, 404, 'BadPath'],
    ['an empty device token', { ':path': '/3/device/' }, 400, 'MissingDeviceToken'],
    ['a non-hex device token', { ':path': '/3/device/not-hex' }, 400, 'BadDeviceToken'],
  ])('refuses %s', async (_name, headers, status, reason) => {
    const answer = await connection.request({
      ':path': `/3/device/${TOKEN}`,
      authorization: `bearer ${jwt}`,
      ...headers,
    });
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ reason });
    expect(answer.headers['apns-id']).toMatch(UUID);
  });

  it.each([
    ['an unknown apns-push-type', { 'apns-push-type': 'ring' }, 'InvalidPushType'],
    ['a missing apns-topic', { 'apns-topic': null }, 'MissingTopic'],
    ['a malformed apns-topic', { 'apns-topic': 'com example' }, 'BadTopic'],
    ['a voip push to a topic without .voip', { ...VOIP, 'apns-topic': 'com.example.phone' }, 'DeviceTokenNotForTopic'],
    ['an alert push to a .voip topic', { 'apns-topic': 'com.example.phone.voip' }, 'DeviceTokenNotForTopic'],
    ['apns-priority 7', { 'apns-priority': '7' }, 'BadPriority'],
    ['a background push at priority 10', { 'apns-push-type': 'background', 'apns-priority': '10' }, 'BadPriority'],
    ['a background push with the default priority', { 'apns-push-type': 'background' }, 'BadPriority'],
    ['a non-integer apns-expiration', { 'apns-expiration': '1700000000.5' }, 'BadExpirationDate'],
    ['an apns-collapse-id over 64 bytes', { 'apns-collapse-id': 'é'.repeat(33) }, 'BadCollapseId'],
    ['an apns-id that is not a lowercase UUID', { 'apns-id': '123E4567-E89B-12D3-A456-426614174000' }, 'BadMessageId'],
    ['a repeated header', { 'apns-topic': ['com.example.phone', 'com.example.phone'] }, 'DuplicateHeaders'],
  ])('answers 400 to %s', async (_name, headers, reason) => {
    const answer = await connection.push(TOKEN, jwt, headers);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ reason });
    expect(emulator.messages.list()).toHaveLength(0);
  });

  it('still echoes a valid apns-id on failures and replaces an invalid one', async () => {
    const apnsId = '00000000-0000-4000-8000-000000000001';
    expect((await connection.push(TOKEN, jwt, { 'apns-id': apnsId, 'apns-priority': '2' })).headers['apns-id']).toBe(
      apnsId,
    );
    const bad = await connection.push(TOKEN, jwt, { 'apns-id': 'nope' });
    expect(bad.headers['apns-id']).toMatch(UUID);
  });

  it.each([
    ['an empty body', {}, '', 400, 'PayloadEmpty'],
    ['a body that is not JSON', {}, '{"aps":', 400, 'BadPayload'],
    ['a JSON array', {}, '[1]', 400, 'BadPayload'],
    ['a 4097-byte alert payload', {}, JSON.stringify({ pad: 'x'.repeat(4087) }), 413, 'PayloadTooLarge'],
    ['a 5121-byte VoIP payload', VOIP, JSON.stringify({ pad: 'x'.repeat(5111) }), 413, 'PayloadTooLarge'],
    ['a 64 KiB payload', VOIP, 'x'.repeat(65536), 413, 'PayloadTooLarge'],
  ])('refuses %s', async (_name, headers, body, status, reason) => {
    const answer = await connection.push(TOKEN, jwt, headers, body);
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ reason });
  });

  it.each([
    ['no aps', { callpush: {} }],
    ['an aps that is not a dictionary', { aps: 'hi' }],
    ['an empty aps (nothing to show)', { aps: {} }],
    ['an alert that is a number', { aps: { alert: 7 } }],
    ['an alert title that is not a string', { aps: { alert: { title: ['Alice'] } } }],
    ['loc-args that are not strings', { aps: { alert: { 'loc-key': 'MISSED', 'loc-args': [1] } } }],
    ['a sound that is a number', { aps: { alert: 'hi', sound: 1 } }],
    ['a negative badge', { aps: { badge: -1 } }],
  ])('refuses an alert push with %s (400 BadPayload)', async (_name, body) => {
    const answer = await connection.push(TOKEN, jwt, {}, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ reason: 'BadPayload' });
    expect(emulator.messages.list()).toHaveLength(0);
  });

  it('leaves the payload of a VoIP push to the app: no aps needed', async () => {
    expect((await connection.push(TOKEN, jwt, VOIP, { call_id: 'c-1' })).status).toBe(200);
  });

  it('refuses a declared token pushed to another topic or from another environment', async () => {
    emulator.registerDevice('aa01', { topic: 'com.example.phone.voip' });
    expect((await connection.push('aa01', jwt, VOIP)).status).toBe(200);
    expect((await connection.push('aa01', jwt)).body).toEqual({ reason: 'DeviceTokenNotForTopic' });

    const declared = await connection.request(
      { ':path': '/_emulator/devices', 'content-type': 'application/json' },
      { token: 'aa02', topic: 'com.example.phone', environment: 'production' },
    );
    expect(declared.status).toBe(201);
    const answer = await connection.push('aa02', jwt);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ reason: 'BadDeviceToken' });
  });

  it('answers HTTP/1.1 pushes with 505 but serves the inspection API over HTTP/1.1', async () => {
    const get = (path: string, method = 'GET') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpsRequest(`${emulator.baseUrl}${path}`, { method, ca: emulator.tls.ca }, (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    expect((await get(`/3/device/${TOKEN}`, 'POST')).status).toBe(505);
    const listed = await get('/_emulator/messages');
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.body)).toEqual({ messages: [] });
  });

  it('answers 500 InternalServerError when the emulator itself fails', async () => {
    const record = vi.spyOn(emulator.messages, 'record').mockImplementation(() => {
      throw new Error('disk full');
    });
    const answer = await connection.push(TOKEN, jwt);
    record.mockRestore();
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ reason: 'InternalServerError' });
  });
});

describe('APNs emulator: what the device gets', () => {
  it('an alert push shows its alert, with the localization keys, priority and collapse id', async () => {
    const alert = {
      title: 'Alice',
      body: 'Missed call',
      'title-loc-key': 'MISSED_TITLE',
      'loc-key': 'MISSED_BODY',
      'loc-args': ['Alice'],
    };
    const headers = { 'apns-priority': '5', 'apns-collapse-id': 'c_42' };
    expect((await connection.push(TOKEN, jwt, headers, { aps: { alert, sound: 'default' } })).status).toBe(200);
    expect(emulator.messages.list()[0]?.device).toEqual({
      priority: 'normal',
      collapseKey: 'c_42',
      notification: {
        title: 'Alice',
        body: 'Missed call',
        titleLocKey: 'MISSED_TITLE',
        locKey: 'MISSED_BODY',
        locArgs: ['Alice'],
        sound: true,
      },
    });
  });

  it('a string alert is its body; without a sound it is silent', async () => {
    await connection.push(TOKEN, jwt, { 'apns-priority': '1' }, { aps: { alert: 'Call ended' } });
    expect(emulator.messages.list()[0]?.device).toEqual({
      priority: 'low',
      notification: { body: 'Call ended', sound: false },
    });
  });

  it('a VoIP push shows nothing by itself (the app reports the call)', async () => {
    await connection.push(TOKEN, jwt, { ...VOIP, 'apns-collapse-id': 'c_43' }, { aps: {}, call_id: 'c_43' });
    expect(emulator.messages.list()[0]?.device).toEqual({ priority: 'high', collapseKey: 'c_43' });
  });
});

describe('APNs emulator: scripted behaviours', () => {
  it('unregistered: 410 Unregistered with a timestamp in epoch ms', async () => {
    await script({ behaviour: 'unregistered' });
    const before = Date.now();
    const answer = await connection.push(TOKEN, jwt);
    expect(answer.status).toBe(410);
    expect(answer.body).toEqual({ reason: 'Unregistered', timestamp: expect.any(Number) });
    expect(answer.body?.timestamp).toBeGreaterThanOrEqual(before);
    expect(emulator.messages.list()).toHaveLength(0);
  });

  it.each([
    ['invalid', 400, 'BadDeviceToken'],
    ['rate_limited', 429, 'TooManyRequests'],
    ['auth_expired', 403, 'ExpiredProviderToken'],
  ])('%s: %i %s until cleared', async (behaviour, status, reason) => {
    await script({ behaviour });
    for (let i = 0; i < 2; i++) {
      const answer = await connection.push(TOKEN, jwt);
      expect([answer.status, answer.body]).toEqual([status, { reason }]);
    }
    emulator.behaviours.clear(TOKEN);
    expect((await connection.push(TOKEN, jwt)).status).toBe(200);
  });

  it('unavailable: 503 ServiceUnavailable for the next N requests', async () => {
    await script({ behaviour: 'unavailable', count: 2 });
    expect((await connection.push(TOKEN, jwt)).body).toEqual({ reason: 'ServiceUnavailable' });
    expect((await connection.push(TOKEN, jwt)).status).toBe(503);
    expect((await connection.push(TOKEN, jwt)).status).toBe(200);
  });

  it('latency: delays the answer', async () => {
    await script({ behaviour: 'latency', ms: 150 });
    const started = Date.now();
    expect((await connection.push(TOKEN, jwt)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('reset: resets the stream with INTERNAL_ERROR and records nothing', async () => {
    await script({ behaviour: 'reset', count: 1 });
    const answer = await connection.push(TOKEN, jwt);
    expect(answer.status).toBe(0);
    expect(answer.rstCode).toBe(2);
    expect(emulator.messages.list()).toHaveLength(0);
    expect((await connection.push(TOKEN, jwt)).status).toBe(200);
  });

  it('goaway: 503 Shutdown, then GOAWAY carrying {"reason":"Shutdown"}; a new connection works', async () => {
    await script({ behaviour: 'goaway', count: 1 });
    const own = new RawApnsConnection(emulator);
    const goaway = new Promise<{ code: number; debug: string }>((resolve) =>
      own.session.once('goaway', (code, _last, data) => resolve({ code, debug: String(data) })),
    );
    const answer = await own.push(TOKEN, jwt);
    expect([answer.status, answer.body]).toEqual([503, { reason: 'Shutdown' }]);
    expect(await goaway).toEqual({ code: 0, debug: '{"reason":"Shutdown"}' });
    await own.close();
    const fresh = new RawApnsConnection(emulator);
    expect((await fresh.push(TOKEN, jwt)).status).toBe(200);
    await fresh.close();
  });
});
