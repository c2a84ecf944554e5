import { Agent } from 'node:https';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import webpush, { WebPushError } from 'web-push';
import { type IssuedSubscription, startWebPushEmulator, type WebPushEmulator } from '../src/webpush/index.js';
import { send, tamperSignature, VAPID_SUBJECT, webPushRequest } from './webpush-client.js';

/**
 * Conformance: web-push 3.6 (HTTPS only, so it reaches the emulator with an agent trusting its CA) must
 * get its encrypted, VAPID-signed messages accepted and decrypted to the exact bytes, and see refusals as the
 * status codes RFC 8030 / RFC 8292 give.
 */

let emulator: WebPushEmulator;
let agent: Agent;
let subscription: IssuedSubscription;
const vapid = webpush.generateVAPIDKeys();

beforeAll(async () => {
  emulator = await startWebPushEmulator();
  agent = new Agent({ ca: emulator.tls?.ca });
  subscription = emulator.createSubscription();
});

afterEach(() => {
  emulator.messages.clear();
  emulator.behaviours.clear();
});

afterAll(async () => {
  agent.destroy();
  await emulator.close();
});

function sendNotification(payload: string | null, options: webpush.RequestOptions = {}, to = subscription) {
  return webpush.sendNotification(to, payload, {
    agent,
    vapidDetails: { subject: VAPID_SUBJECT, ...vapid },
    ...options,
  });
}

/** The status (and the error web-push raised) of a push that must fail. */
async function refusal(promise: Promise<unknown>): Promise<WebPushError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(WebPushError);
  return error as WebPushError;
}

describe('web-push against the Web Push emulator', () => {
  it('gets text and JSON payloads accepted and decrypted exactly', async () => {
    const ring = JSON.stringify({ v: 1, type: 'call.ring', callId: 'c_1', from: 'alice', displayName: 'Ålice 📞' });
    const answer = await sendNotification(ring, { TTL: 30, urgency: 'high', topic: 'c_1' });
    expect(answer.statusCode).toBe(201);
    expect(answer.headers.location).toMatch(/\/msg\//);
    await sendNotification('When I grow up, I want to be a watermelon');
    expect(emulator.messages.list().map((m) => m.payload)).toEqual([
      JSON.parse(ring),
      'When I grow up, I want to be a watermelon',
    ]);
    expect(emulator.messages.list()[0]?.headers).toMatchObject({ ttl: '30', urgency: 'high', topic: 'c_1' });
  });

  it('accepts the largest payload that fits 4096 bytes (3993) and sees 413 above it', async () => {
    const largest = 'x'.repeat(3993);
    expect((await sendNotification(largest)).statusCode).toBe(201);
    expect(emulator.messages.list()[0]?.payload).toBe(largest);
    expect((await refusal(sendNotification(`${largest}x`))).statusCode).toBe(413);
  });

  it('uses its defaults (TTL four weeks, Urgency normal) and may skip VAPID on an open subscription', async () => {
    const answer = await webpush.sendNotification(subscription, 'no vapid', { agent });
    expect(answer.statusCode).toBe(201);
    expect(answer.headers.ttl).toBe('2419200');
    expect(emulator.messages.list()[0]?.headers).toMatchObject({ urgency: 'normal' });
    expect(emulator.messages.list()[0]?.headers.authorization).toBeUndefined();
  });

  it('is refused with 403 when signing with a key other than the subscription was bound to', async () => {
    const bound = emulator.createSubscription({ applicationServerKey: vapid.publicKey });
    expect((await sendNotification('right key', {}, bound)).statusCode).toBe(201);
    const other = webpush.generateVAPIDKeys();
    const error = await refusal(
      sendNotification('wrong key', { vapidDetails: { subject: VAPID_SUBJECT, ...other } }, bound),
    );
    expect(error.statusCode).toBe(403);
    expect(JSON.parse(error.body)).toMatchObject({ reason: 'vapid_key_mismatch' });
  });

  it('has its request refused with 403 once the VAPID signature is tampered with', async () => {
    const { headers, body } = webPushRequest(subscription, 'tampered', vapid);
    headers.Authorization = tamperSignature(String(headers.Authorization));
    const answer = await send(emulator, subscription.endpoint, { headers, body });
    expect([answer.status, answer.body?.reason]).toEqual([403, 'vapid_signature']);
  });

  it.each([
    ['unregistered', 410],
    ['invalid', 404],
    ['unavailable', 503],
    ['auth_expired', 403],
  ] as const)('sees scripted %s as %i', async (kind, status) => {
    emulator.behaviours.set(subscription.id, { kind });
    expect((await refusal(sendNotification('ring'))).statusCode).toBe(status);
  });

  it('sees scripted rate_limited as 429 with Retry-After', async () => {
    emulator.behaviours.set(subscription.id, { kind: 'rate_limited', retryAfterSeconds: 3 });
    const error = await refusal(sendNotification('ring'));
    expect(error.statusCode).toBe(429);
    expect(error.headers['retry-after']).toBe('3');
  });

  it('sees a scripted reset as a connection error', async () => {
    emulator.behaviours.set(subscription.id, { kind: 'reset', count: 1 });
    await expect(sendNotification('ring')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await sendNotification('ring')).statusCode).toBe(201);
  });
});
