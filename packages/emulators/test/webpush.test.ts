import { connect } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { type IssuedSubscription, startWebPushEmulator, type WebPushEmulator } from '../src/webpush/index.js';
import { type Answer, send, tamperSignature, webPushRequest } from './webpush-client.js';

let emulator: WebPushEmulator;
let subscription: IssuedSubscription;
const vapid = webpush.generateVAPIDKeys();

beforeAll(async () => {
  emulator = await startWebPushEmulator();
  subscription = emulator.createSubscription();
});

afterEach(() => {
  emulator.messages.clear();
  emulator.behaviours.clear();
});

afterAll(() => emulator.close());

/** Sends what web-push would, after `alter` has edited the headers. */
function push(
  alter: (headers: Record<string, unknown>) => void = () => {},
  { to = subscription, payload = 'ring' as string | null, options = {} as webpush.RequestOptions } = {},
): Promise<Answer> {
  const { headers, body } = webPushRequest(to, payload, vapid, options);
  alter(headers);
  return send(emulator, to.endpoint, { headers, body });
}

const reasonOf = (answer: Answer) => [answer.status, answer.body?.reason];

describe('Web Push emulator: subscriptions and accepted messages', () => {
  it('issues subscriptions over the inspection API in the browser JSON shape', async () => {
    const answer = await send(emulator, `${emulator.baseUrl}/_emulator/subscriptions`, {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(answer.status).toBe(201);
    const issued = answer.body as { subscription: { endpoint: string; keys: Record<string, string> }; id: string };
    expect(issued.subscription).toEqual({
      endpoint: `${emulator.baseUrl}/push/${issued.id}`,
      expirationTime: null,
      keys: {
        p256dh: expect.stringMatching(/^B[A-Za-z0-9_-]{86}$/),
        auth: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      },
    });
  });

  it('answers 201 with Location and the TTL applied, and records the decrypted payload with headers', async () => {
    const answer = await push(() => {}, {
      payload: '{"type":"call.ring","callId":"c_1"}',
      options: { urgency: 'high', topic: 'call-c-123' },
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.location).toMatch(new RegExp(`^${emulator.baseUrl}/msg/[0-9a-f-]{36}$`));
    expect(answer.headers.ttl).toBe('30');
    const listed = await send(emulator, `${emulator.baseUrl}/_emulator/messages?token=${subscription.id}`, {
      method: 'GET',
    });
    expect(listed.body).toEqual({
      messages: [
        expect.objectContaining({
          provider: 'webpush',
          token: subscription.id,
          payload: { type: 'call.ring', callId: 'c_1' },
          headers: expect.objectContaining({
            ttl: '30',
            urgency: 'high',
            topic: 'call-c-123',
            'content-encoding': 'aes128gcm',
          }),
        }),
      ],
    });
    expect(emulator.messages.list()[0]?.device).toEqual({ priority: 'high', collapseKey: 'call-c-123' });
  });

  it.each([
    ['normal', 'normal'],
    ['low', 'low'],
    ['very-low', 'low'],
  ] as const)('shows Urgency %s as priority %s; without Urgency a message is normal', async (urgency, priority) => {
    await push(() => {}, { options: { urgency } });
    await push((headers) => {
      delete headers.Urgency;
    });
    expect(emulator.messages.list().map((m) => m.device)).toEqual([{ priority }, { priority: 'normal' }]);
  });

  it('clamps the TTL it reports and accepts a message without payload', async () => {
    expect((await push((h) => Object.assign(h, { TTL: '99999999' }))).headers.ttl).toBe('2419200');
    expect((await push(() => {}, { payload: null })).status).toBe(201);
    expect(emulator.messages.list().map((m) => m.payload)).toEqual(['ring', null]);
  });

  it('serves HTTP/2 as well', async () => {
    const { headers, body } = webPushRequest(subscription, 'over h2', vapid);
    const session = connect(emulator.baseUrl, { ca: emulator.tls?.ca });
    const stream = session.request({ ':method': 'POST', ':path': new URL(subscription.endpoint).pathname, ...headers });
    stream.end(body);
    const status = await new Promise((resolve) => stream.on('response', (h) => resolve(h[':status'])));
    stream.resume();
    await new Promise<void>((resolve) => session.close(resolve));
    expect(status).toBe(201);
    expect(emulator.messages.list()[0]?.payload).toBe('over h2');
  });

  it('runs over plain HTTP when asked', async () => {
    const plain = await startWebPushEmulator({ secure: false });
    const issued = plain.createSubscription();
    expect(issued.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/push\//);
    expect(plain.tls).toBeUndefined();
    const { headers, body } = webPushRequest(issued, 'plain', vapid);
    expect((await send(plain, issued.endpoint, { headers, body })).status).toBe(201);
    expect(plain.messages.list()[0]?.payload).toBe('plain');
    await plain.close();
  });
});

describe('Web Push emulator: RFC 8030 request rules', () => {
  it.each<[string, (h: Record<string, unknown>) => void, string]>([
    ['a missing TTL', (h) => delete h.TTL, 'missing_ttl'],
    ['a negative TTL', (h) => Object.assign(h, { TTL: '-1' }), 'invalid_ttl'],
    ['an unknown Urgency', (h) => Object.assign(h, { Urgency: 'urgent' }), 'invalid_urgency'],
    ['a repeated Urgency', (h) => Object.assign(h, { Urgency: ['high', 'low'] }), 'invalid_urgency'],
    ['a 33-character Topic', (h) => Object.assign(h, { Topic: 'a'.repeat(33) }), 'invalid_topic'],
    ['a Topic outside base64url', (h) => Object.assign(h, { Topic: 'call c+1' }), 'invalid_topic'],
    ['Content-Encoding aesgcm', (h) => Object.assign(h, { 'Content-Encoding': 'aesgcm' }), 'unsupported_encoding'],
    ['a body without Content-Encoding', (h) => delete h['Content-Encoding'], 'unsupported_encoding'],
  ])('400 for %s', async (_name, alter, reason) => {
    expect(reasonOf(await push(alter))).toEqual([400, reason]);
    expect(emulator.messages.list()).toEqual([]);
  });

  it('400 for a body that does not decrypt with the subscription keys', async () => {
    const { headers, body } = webPushRequest(subscription, 'ring', vapid);
    body![body!.length - 1]! ^= 1;
    expect(reasonOf(await send(emulator, subscription.endpoint, { headers, body }))).toEqual([
      400,
      'decryption_failed',
    ]);
  });

  it('400 when the VAPID key is also the ECDH key of the body', async () => {
    const { headers, body } = webPushRequest(subscription, 'ring', vapid);
    Buffer.from(vapid.publicKey, 'base64url').copy(body!, 21);
    expect(reasonOf(await send(emulator, subscription.endpoint, { headers, body }))).toEqual([400, 'vapid_key_reused']);
  });

  it('413 for a body over 4096 bytes', async () => {
    const { headers } = webPushRequest(subscription, 'ring', vapid);
    const answer = await send(emulator, subscription.endpoint, {
      headers: { ...headers, 'Content-Length': 4097 },
      body: Buffer.alloc(4097),
    });
    expect(reasonOf(answer)).toEqual([413, 'payload_too_large']);
  });

  it('404 for an unknown subscription, 410 once unsubscribed, 404/405 off the push resource', async () => {
    const doomed = emulator.createSubscription();
    expect(reasonOf(await push(() => {}, { to: { ...doomed, endpoint: `${emulator.baseUrl}/push/nope` } }))).toEqual([
      404,
      'unknown_subscription',
    ]);
    const removed = await send(emulator, `${emulator.baseUrl}/_emulator/subscriptions?id=${doomed.id}`, {
      method: 'DELETE',
    });
    expect(removed.status).toBe(204);
    expect(reasonOf(await push(() => {}, { to: doomed }))).toEqual([410, 'unsubscribed']);
    expect(
      (await send(emulator, `${emulator.baseUrl}/_emulator/subscriptions?id=nope`, { method: 'DELETE' })).status,
    ).toBe(404);
    const get = await send(emulator, subscription.endpoint, { method: 'GET' });
    expect([get.status, get.headers.allow]).toEqual([405, 'POST']);
    expect((await send(emulator, `${emulator.baseUrl}/send/x`, {})).status).toBe(404);
  });
});

describe('Web Push emulator: VAPID (RFC 8292)', () => {
  it('binds a subscription to an application server key: 401 without VAPID, 403 for another key', async () => {
    const bound = emulator.createSubscription({ applicationServerKey: vapid.publicKey });
    const without = await push((h) => delete h.Authorization, { to: bound });
    expect(reasonOf(without)).toEqual([401, 'vapid_required']);
    expect(without.headers['www-authenticate']).toBe('vapid');

    const other = webpush.generateVAPIDKeys();
    const { headers, body } = webPushRequest(bound, 'ring', other);
    expect(reasonOf(await send(emulator, bound.endpoint, { headers, body }))).toEqual([403, 'vapid_key_mismatch']);
    expect((await push(() => {}, { to: bound })).status).toBe(201);
  });

  it('accepts messages without VAPID on an unrestricted subscription', async () => {
    expect((await push((h) => delete h.Authorization)).status).toBe(201);
  });

  it.each<[string, (h: Record<string, unknown>) => void, string]>([
    [
      'a JWT for another audience',
      (h) =>
        Object.assign(
          h,
          webpush.getVapidHeaders(
            'https://push.example.net',
            'mailto:a@b.c',
            vapid.publicKey,
            vapid.privateKey,
            'aes128gcm',
          ),
        ),
      'vapid_audience',
    ],
    [
      'a tampered signature',
      (h) => Object.assign(h, { Authorization: tamperSignature(String(h.Authorization)) }),
      'vapid_signature',
    ],
    [
      'vapid without k',
      (h) => Object.assign(h, { Authorization: String(h.Authorization).replace(/, k=.*/, '') }),
      'vapid_malformed',
    ],
  ])('403 for %s', async (_name, alter, reason) => {
    expect(reasonOf(await push(alter))).toEqual([403, reason]);
  });

  it('refuses an applicationServerKey that is not a P-256 point', async () => {
    const answer = await send(emulator, `${emulator.baseUrl}/_emulator/subscriptions`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ applicationServerKey: 'AAAA' }),
    });
    expect(answer.status).toBe(400);
    expect(() => emulator.createSubscription({ applicationServerKey: 'AAAA' })).toThrow(/P-256/);
  });
});

describe('Web Push emulator: scripted behaviours', () => {
  const script = (behaviour: Record<string, unknown>) =>
    send(emulator, `${emulator.baseUrl}/_emulator/behaviours`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: subscription.id, ...behaviour }),
    });

  it.each([
    ['unregistered', 410, 'unsubscribed'],
    ['invalid', 404, 'expired_subscription'],
    ['unavailable', 503, 'unavailable'],
    ['auth_expired', 403, 'vapid_expired'],
  ])('%s: %i', async (behaviour, status, reason) => {
    expect((await script({ behaviour })).status).toBe(201);
    expect(reasonOf(await push())).toEqual([status, reason]);
    expect(emulator.messages.list()).toEqual([]);
  });

  it('rate_limited: 429 with Retry-After', async () => {
    await script({ behaviour: 'rate_limited', retryAfterSeconds: 7 });
    const answer = await push();
    expect(reasonOf(answer)).toEqual([429, 'rate_limited']);
    expect(answer.headers['retry-after']).toBe('7');
  });

  it('latency: delays the answer', async () => {
    await script({ behaviour: 'latency', ms: 150 });
    const started = Date.now();
    expect((await push()).status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('reset: drops the connection without an answer', async () => {
    await script({ behaviour: 'reset', count: 1 });
    await expect(push()).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await push()).status).toBe(201);
  });

  it('goaway: 503 and the connection closes (HTTP/1.1) or gets GOAWAY (HTTP/2)', async () => {
    await script({ behaviour: 'goaway', count: 2 });
    const answer = await push();
    expect([answer.status, answer.headers.connection]).toEqual([503, 'close']);

    const { headers, body } = webPushRequest(subscription, 'ring', vapid);
    const session = connect(emulator.baseUrl, { ca: emulator.tls?.ca });
    const goaway = new Promise((resolve) => session.once('goaway', (code) => resolve(code)));
    const stream = session.request({ ':method': 'POST', ':path': new URL(subscription.endpoint).pathname, ...headers });
    stream.end(body);
    stream.resume();
    expect(await new Promise((resolve) => stream.on('response', (h) => resolve(h[':status'])))).toBe(503);
    expect(await goaway).toBe(0);
    session.destroy();
  });
});
